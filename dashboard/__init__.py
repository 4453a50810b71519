"""The govwatch dashboard: a Plotly Dash app over a store opened read-only.

``govwatch.dashboard.app.create_app(db_path)`` builds the app; ``govwatch.dashboard.serve.serve``
runs it (Flask's server, or gunicorn with several workers); ``govwatch.dashboard.report``
writes a self-contained HTML report for one account. Every number shown comes
from the derived tables that ``govwatch analyze`` wrote: the dashboard never
recomputes a metric (it may re-weight the composite index from the stored peer
ranks at the reader's request, see ``govwatch.dashboard.composite``).
"""
