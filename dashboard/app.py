"""The dashboard shell: ``create_app(db_path)`` builds the Dash app.

The shell holds what every page shares — a skip link, the navigation, the main
landmark that Dash pages fill, and a footer naming the data and the analysis
run. Pages live one module each in ``dashboard/pages`` and register themselves
with ``dash.register_page``; their layouts are functions of the URL query, so a
link restores a view. Each page keeps its current query in a ``url-state`` store
and one clientside callback mirrors it into the address bar.

Charts use plotly.js's "basic" bundle (scatter, bar), vendored in
``assets/plotly-basic.min.js`` at the version the plotly package ships, so
dcc.Graph never fetches the full 4.8 MB bundle. It is not a blocking script of
the page: a ``preload`` link fetches it with the others and ``assets/plotly_loader.js``
runs it when the renderer sends its first callback (the ``request_pre`` hook),
so its compile and start-up (a quarter of the page's JavaScript) overlap the
server building the page; until then ``window.Plotly`` is a promise of it,
which dcc.Graph waits on.

The first page comes with the layout: ``assets/layout_request.js`` names the open
page (path and query) in the layout request's ``X-Govwatch-Page`` header and
:func:`page_container` builds that page into the shell, as Dash's routing callback
would, so the browser draws it from its first response instead of asking again.
Charts below the fold are drawn after the screen (``assets/plotly_loader.js``).

The store is opened read-only; debug mode is off. Every response carries the
security headers, the request-body cap and the 404s of ``dashboard/security.py``.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import dash
from dash import ALL, Dash, Input, Output, _callback, _pages, dcc, html
from dash.dash import _ID_CONTENT, _ID_DUMMY, _ID_LOCATION, _ID_STORE
from flask import has_request_context, request

from govwatch import DEFINITION_VERSION, __version__

from .data import DashboardData
from .pages._common import DATA_KEY
from .security import harden
from .static_parts import freeze

HERE = Path(__file__).resolve().parent
PLOTLY_JS = "plotly-basic.min.js"
PAGE_HEADER = "X-Govwatch-Page"  # set by assets/layout_request.js
# the page container's own components, which Dash's routing callbacks fill
PAGES_IDS = (_ID_CONTENT, _ID_DUMMY, _ID_LOCATION, _ID_STORE)

INDEX = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        {%config%}
        {%scripts%}
        {%renderer%}
    </body>
</html>"""

# Mirror the page's query into the address bar, then set the pressed state of
# toggle buttons and the sort state of table headings from it (data-* attributes
# written by dashboard/pages/_common.py say which query parameter each reflects).
_URL_SYNC = """
function(searches) {
    const s = (searches || []).find(x => typeof x === 'string');
    if (s === undefined) { return window.dash_clientside.no_update; }
    if (s !== window.location.search) {
        window.history.replaceState(window.history.state, '',
                                    window.location.pathname + s + window.location.hash);
    }
    const params = new URLSearchParams(s);
    document.querySelectorAll('button[data-toggle]').forEach(function(b) {
        const chosen = params.getAll(b.dataset.toggle);
        let pressed;
        if (b.dataset.multi === '1') {
            pressed = b.dataset.value === '*' ? chosen.length === 0
                                               : chosen.includes(b.dataset.value);
        } else {
            pressed = chosen.length ? chosen[0] === b.dataset.value
                                    : b.dataset.default === '1';
        }
        b.setAttribute('aria-pressed', pressed ? 'true' : 'false');
    });
    document.querySelectorAll('table[data-default-sort]').forEach(function(t) {
        const sort = params.get('sort') || t.dataset.defaultSort;
        const order = params.get('order') || t.dataset.defaultOrder;
        t.querySelectorAll('th[data-sort-col]').forEach(function(th) {
            th.setAttribute('aria-sort', th.dataset.sortCol !== sort ? 'none' :
                            (order === 'desc' ? 'descending' : 'ascending'));
        });
    });
    return window.dash_clientside.no_update;
}
"""


def create_app(db_path: str | os.PathLike, data: DashboardData | None = None,
               warm: bool = True) -> Dash:
    """A Dash app over the store at ``db_path`` (opened read-only).

    Raises ``govwatch.errors.StoreError`` when there is no usable store. ``data``
    replaces the data layer (the benchmark uses it for its baseline); ``warm``
    builds each page's default view before the first request.
    """
    data = data or DashboardData(db_path)
    data.open()
    footer = _footer(data)
    data.close()  # reopened lazily in each serving process
    # Dash re-executes the page modules for every app, and their global
    # @callback registrations collect until an app's first request: start clean
    # so that an app built earlier in this process leaves no duplicates behind.
    _callback.GLOBAL_CALLBACK_LIST.clear()
    _callback.GLOBAL_CALLBACK_MAP.clear()
    app = Dash(
        "govwatch.dashboard",
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        title="govwatch",
        update_title="",  # the tab title stays as it is while callbacks run
        serve_locally=True,
        index_string=INDEX,
        # Pages render conditional layouts (an account page without an account is a
        # chooser), so not every callback id exists on every page.
        suppress_callback_exceptions=True,
        assets_ignore=re.escape(PLOTLY_JS),  # run by assets/plotly_loader.js, see above
        hooks={"request_pre": "function () { window.govwatch_dashboard.loadPlotly(); }"},
    )
    # The chart component's code is fetched only once the first page's layout has
    # arrived (one more round trip before any chart is drawn): ask for it with the
    # other scripts, and plotly.js too (run later, see the module's doc).
    plotly_version = int((HERE / "assets" / PLOTLY_JS).stat().st_mtime)
    app.index_string = INDEX.replace("{%css%}", (
        '<link rel="preload" as="script" href="'
        f'{app.config.requests_pathname_prefix}_dash-component-suites/dash/dcc/'
        'async-graph.js">\n        '
        f'<link rel="preload" as="script" id="govwatch-plotly" '
        f'href="{app.get_asset_url(PLOTLY_JS)}?m={plotly_version}">\n        {{%css%}}'))
    app.server.extensions[DATA_KEY] = data
    harden(app)

    def layout():  # each browser's first request: the shell and its page
        return freeze(_shell(footer, page_container(app)), keep=PAGES_IDS)

    app.layout = layout
    app.clientside_callback(
        _URL_SYNC,
        Output("url-sync", "children"),
        Input({"type": "url-state", "page": ALL}, "data"),
    )
    if warm:
        _warm(app)
    return app


def _warm(app: Dash) -> None:
    """Build each page's default view once now (a page module's ``warm()``), so
    the first visitor does not wait for the store's first queries."""
    with app.server.test_request_context("/"):
        for page in dash.page_registry.values():
            warm = getattr(sys.modules.get(page["module"]), "warm", None)
            if warm is not None:
                warm()


# The navigation's accessible name (a dict, as the attribute's name has a hyphen).
_NAV_LABEL: dict[str, Any] = {"aria-label": "Dashboard pages"}


def page_container(app: Dash) -> html.Div:
    """``dash.page_container``, with the open page's content in it when the layout
    request names the page (the ``X-Govwatch-Page`` header, path and query, that
    ``assets/layout_request.js`` adds): built as Dash's routing callback builds it,
    so the browser draws the page from its first response. Its location component
    holds the page's path and query, so the routing callback does not run again
    for it; a later move to another page runs it as before. Without the header
    (another client), the container is empty and the callback fills it."""
    wanted = request.headers.get(PAGE_HEADER, "") if has_request_context() else ""
    if not wanted.startswith("/"):
        return dash.page_container
    pathname, _, query = wanted.partition("?")
    search = f"?{query}" if query else ""
    page, path_variables = _pages._path_to_page(app.strip_relative_path(pathname))
    if not page:
        page = next((p for m, p in dash.page_registry.items()
                     if m.split(".")[-1] == "not_found_404"), {})
        path_variables = None
    content = page.get("layout", "")
    if callable(content):
        content = content(**{**(path_variables or {}), **_pages._parse_query_string(search)})
    title = page.get("title", app.title)
    if callable(title):
        title = title(**(path_variables or {}))
    return html.Div([
        dcc.Location(id=_ID_LOCATION, refresh="callback-nav", pathname=pathname,
                     search=search),
        html.Div(content, id=_ID_CONTENT, disable_n_clicks=True),
        dcc.Store(id=_ID_STORE, data={"title": title}),
        html.Div(id=_ID_DUMMY, disable_n_clicks=True),
    ])


def _shell(footer: html.Footer, container: html.Div | None = None) -> html.Div:
    pages = sorted(dash.page_registry.values(),
                   key=lambda p: (p["order"] is None, p["order"] or 0, p["name"]))
    nav = html.Nav(html.Ul([
        html.Li(dcc.Link(p["name"], href=p["relative_path"], className="nav-link"))
        for p in pages if not p.get("hidden")
    ]), **_NAV_LABEL, className="site-nav")
    return html.Div([
        html.A("Skip to main content", href="#main", className="skip-link"),
        html.Header([
            html.Div([
                html.Span("govwatch", className="brand"),
                html.Span("Do governments listen? How fast official accounts answer the "
                          "public, above all on critical issues.", className="tagline"),
            ], className="brand-block"),
            nav,
        ], className="site-header"),
        html.Main(container or dash.page_container, id="main", tabIndex="-1"),
        footer,
        html.Div(id="url-sync", hidden=True),
    ], className="shell")


def _footer(data: DashboardData) -> html.Footer:
    run = data.run_info()
    parts = [f"Store: {data.path.name}"]
    if run:
        if run.get("observed_until") is not None:
            parts.append(f"observed until {run['observed_until']:%Y-%m-%d %H:%M} UTC")
        parts.append(f"metric definitions v{run.get('definition_version') or DEFINITION_VERSION}")
        parts.append(f"analysed with govwatch {run.get('tool_version') or '?'}")
    else:
        parts.append("not analysed yet: run 'govwatch analyze'")
    return html.Footer([
        html.P(" · ".join(parts)),
        html.P([f"govwatch {__version__} · citizens are pseudonymised; personal data is "
                "redacted from message texts · ",
                dcc.Link("Methodology", href="/methodology")]),
    ], className="site-footer")
