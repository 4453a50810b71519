"""The page for any path the dashboard does not have."""

from __future__ import annotations

import dash
from dash import dcc, html

dash.register_page(__name__, path="/404", name="Not found", title="govwatch: page not found",
                   hidden=True)


def layout(**_query):
    return html.Div([
        html.H1("Page not found"),
        html.P(["This address is not a page of the dashboard. Start from the ",
                dcc.Link("overview", href="/"), "."]),
    ], className="page page-404")
