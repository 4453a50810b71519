"""Building blocks every page shares: chart and table cards with downloads and a
methodology link, filter controls with labels, notes and missing-data panels,
and the URL-state store that keeps the address bar in step with the filters.

Not a page itself (the leading underscore keeps Dash's page loader away).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs

import pandas as pd
from dash import ALL, MATCH, Input, Output, State, callback, ctx, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from flask import current_app

from govwatch import spreadsheet

from ..components import Rows, Toggles
from ..data import DashboardData, Missing, to_search
from ..figures import Chart

DATA_KEY = "govwatch_data"
IMAGE_FORMATS = ("png", "svg")


def data() -> DashboardData:
    """The DashboardData of the app serving the current request."""
    return current_app.extensions[DATA_KEY]


def dashed(**attrs: Any) -> dict[str, Any]:
    """HTML attributes whose names have hyphens (aria-*, data-*), written with underscores:
    ``dashed(aria_labelledby="x")`` is ``{"aria-labelledby": "x"}``."""
    return {name.replace("_", "-"): value for name, value in attrs.items()}


def parse_search(search: str | None) -> dict[str, list[str] | str]:
    """``?a=1&a=2&b=3`` -> {"a": ["1", "2"], "b": "3"} (the shape Dash passes layouts)."""
    if not search or not isinstance(search, str):
        return {}
    parsed = parse_qs(search.lstrip("?"), keep_blank_values=False)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def account_href(platform: str, author: str) -> str:
    return "/account" + to_search({"platform": platform, "author": author})


def method_href(anchor: str) -> str:
    return f"/methodology#{anchor}"


# ------------------------------------------------------------------ panels
def notes(page: str, messages: Sequence[str]) -> html.Div:
    """Notes on URL parameters that were ignored (shown, never an error page)."""
    if not messages:
        return html.Div(id=f"{page}-notes")
    return html.Div([html.P(m) for m in messages], id=f"{page}-notes", className="notes",
                    role="status")


def missing_panel(missing: Missing, page: str, key: str) -> html.Div:
    return html.Div(html.P(missing.message), className="missing", id=f"{page}-missing-{key}")


def heading(text: str, level: int = 2, **kw):
    return {1: html.H1, 2: html.H2, 3: html.H3}[level](text, **kw)


# ------------------------------------------------------------------ downloads
def download_buttons(page: str, key: str, images: bool, graph_id: str | None = None,
                     title_id: str | None = None) -> html.Div:
    """A CSV download button (served by :func:`register_downloads`) and, for a chart,
    PNG and SVG buttons that the browser renders itself (assets/downloads.js:
    plotly.js's own ``downloadImage`` on the chart drawn on screen, with its title):
    no server time or memory per image. A status line says when an image fails."""
    buttons = [html.Button("Download CSV", n_clicks=0, className="download", type="button",
                           id={"type": f"{page}-dl", "item": key, "fmt": "csv"})]
    if images:
        buttons += [html.Button(
            f"Download {fmt.upper()}", className="download", type="button",
            **dashed(data_image=fmt, data_graph=graph_id or f"{page}-graph-{key}",
                     data_title=title_id or f"{page}-title-{key}",
                     data_filename=f"govwatch-{page}-{key}"))
            for fmt in IMAGE_FORMATS]
    return html.Div(buttons + [
        dcc.Download(id={"type": f"{page}-file", "item": key}),
        html.P("", className="download-status", role="status"),
    ], className="downloads")


def register_downloads(page: str, build: Callable[[str, dict], Chart | pd.DataFrame | None]):
    """One callback per page serving every download of that page.

    ``build(item, query)`` rebuilds the chart (or table) named ``item`` for the
    page's current URL query, so a download always matches what is on screen.
    """

    @callback(
        Output({"type": f"{page}-file", "item": MATCH}, "data"),
        Input({"type": f"{page}-dl", "item": MATCH, "fmt": ALL}, "n_clicks"),
        State({"type": "url-state", "page": page}, "data"),
        prevent_initial_call=True,
    )
    def download(clicks, search):
        trigger = ctx.triggered_id
        if not trigger or not any(clicks or []):
            raise PreventUpdate
        return make_download(build(trigger["item"], parse_search(search)), trigger["fmt"],
                             f"govwatch-{page}-{trigger['item']}")

    return download


def make_download(obj: Chart | pd.DataFrame | None, fmt: str, stem: str) -> dict:
    """The dcc.Download payload of a chart's data or a table as CSV (spreadsheet-safe
    cells, govwatch.spreadsheet). Images are made in the browser (download_buttons)."""
    if obj is None or fmt != "csv":
        raise PreventUpdate
    frame = obj.data if isinstance(obj, Chart) else obj
    buf = io.StringIO()
    spreadsheet.frame(frame).to_csv(buf, index=False)
    return {"content": buf.getvalue(), "filename": f"{stem}.csv", "type": "text/csv",
            "base64": False}


# ------------------------------------------------------------------ cards
GRAPH_CONFIG: dcc.Graph.Config = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def chart_card(page: str, chart: Chart, level: int = 2, slot: str | None = None) -> html.Section:
    """A chart with its heading (h``level``), text alternative, methodology link and
    downloads. Ids end in ``slot`` (default: the chart's key); a page that swaps
    charts in one place keeps the slot and updates figure, title and summary."""
    key = slot or chart.key
    head_id = f"{page}-title-{key}"
    summary_id = f"{page}-summary-{key}"
    return html.Section([
        heading(chart.title, level, id=head_id),
        html.Figure(**dashed(aria_describedby=summary_id), children=[
            dcc.Graph(id=f"{page}-graph-{key}", figure=chart.figure,
                      config={**GRAPH_CONFIG, "toImageButtonOptions": {
                          **GRAPH_CONFIG["toImageButtonOptions"],
                          "filename": f"govwatch-{page}-{key}"}}),
            html.Figcaption(chart.summary, id=summary_id, className="summary"),
        ]),
        html.Div([
            dcc.Link("How this is measured", href=method_href(chart.anchor),
                     className="method-link"),
            download_buttons(page, key, images=True, graph_id=f"{page}-graph-{key}",
                             title_id=head_id),
        ], className="card-foot"),
    ], className="card", **dashed(aria_labelledby=head_id))


def scroll_region(table, label_id: str) -> html.Div:
    """The wrapper of a table that may be wider than a phone's screen: it scrolls
    sideways on its own (the page never does), and takes keyboard focus so that it can
    be scrolled without a mouse; named by the heading ``label_id``."""
    named: dict[str, Any] = {"aria-labelledby": label_id}
    return html.Div(table, className="table-wrap", tabIndex="0", role="region", **named)


def table_card(page: str, key: str, title: str, frame: pd.DataFrame,
               columns: Sequence[tuple[str, str]] | None = None, note: str | None = None,
               anchor: str | None = None, level: int = 2) -> html.Section:
    """A plain, accessible HTML table (caption, scoped headers) with a CSV download."""
    head_id = f"{page}-title-{key}"
    columns = list(columns or [(c, c) for c in frame.columns])
    labels: list[dict[str, Any]] = [{"data-label": label} for _, label in columns]
    body = [html.Tr([html.Td(_cell(r.get(c)), **lab)
                     for (c, _), lab in zip(columns, labels, strict=True)])
            for r in frame.to_dict("records")]
    table = html.Table([
        html.Caption(note or title, className="visually-hidden" if not note else "caption"),
        html.Thead(html.Tr([html.Th(label, scope="col") for _, label in columns])),
        html.Tbody(body),
    ], id=f"{page}-table-{key}", className="data-table")
    foot: list[Component] = [download_buttons(page, key, images=False)]
    if anchor:
        foot.insert(0, dcc.Link("How this is measured", href=method_href(anchor),
                                className="method-link"))
    return html.Section([heading(title, level, id=head_id),
                         scroll_region(table, head_id),
                         html.Div(foot, className="card-foot")],
                        className="card", **dashed(aria_labelledby=head_id))


def _cell(v):
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return "–"
    if isinstance(v, pd.Timestamp):
        return f"{v:%Y-%m-%d %H:%M} UTC"
    return str(v)


SORT_LABEL = {"asc": "ascending", "desc": "descending"}


def sortable_table(page: str, key: str, columns: Sequence[tuple[str, str]],
                   sort: str, order: str, caption: str,
                   default: tuple[str, str] = ("", "asc"), rows: list[dict] | None = None
                   ) -> html.Table:
    """A leaderboard table: every column heading is a button (keyboard-operable)
    and carries aria-sort (kept in step with the URL by the app's clientside
    callback); the sort state lives in the URL. The body is one
    :class:`govwatch.dashboard.components.Rows` (id ``{page}-{key}-body``) whose ``rows``
    a callback fills: ``{"key", "cells", "href"}``, the first cell a link."""
    head = html.Thead(html.Tr([
        html.Th(html.Button(label, type="button", n_clicks=0, className="sort-button",
                            id={"type": f"{page}-sort", "value": cid}),
                scope="col", **dashed(aria_sort=SORT_LABEL[order] if cid == sort else "none",
                                      data_sort_col=cid))
        for cid, label in columns]))
    return html.Table([
        html.Caption(caption, className="visually-hidden"),
        head,
        Rows(id=f"{page}-{key}-body", rows=rows or []),
    ], id=f"{page}-{key}", className="data-table leaderboard",
        **dashed(data_default_sort=default[0], data_default_order=default[1]))


# ------------------------------------------------------------------ filters
ALL_VALUE = "*"


def toggle_group(page: str, name: str, legend: str, options: Sequence[tuple[str, str]],
                 chosen: Sequence[str] | str, multi: bool = False,
                 collapse_over: int = 0, all_label: str = "All",
                 default: str | None = None, kind: str = "opt") -> html.Fieldset:
    """A labelled group of toggle buttons (aria-pressed): native buttons, so they
    work with the keyboard and screen readers. ``multi`` groups start with an
    "All" button, pressed when nothing is chosen; ``default`` is the choice of a
    single group when the URL names none. Groups longer than ``collapse_over``
    fold into a <details> element.

    The server renders the pressed state; after a change, the app's clientside
    URL callback sets it from the page's new query (data-* attributes say how),
    which is much cheaper than a pattern-matching output per button. Button ids
    are ``{"type": f"{page}-{kind}", "name", "value"}``: a page that handles some
    groups in the browser and others on the server gives them different kinds.
    ``kind="client"`` draws the group as one :class:`govwatch.dashboard.components.Toggles`
    (id ``f"{page}-{name}-toggles"``, its ``clicked`` prop says which was pressed).
    """
    picked = set(chosen) if multi else {chosen}
    opts = ([(ALL_VALUE, all_label)] if multi else []) + list(options)
    if kind == "client":  # one component for the group, id f"{page}-{name}-toggles"
        body = Toggles(id=f"{page}-{name}-toggles", name=name, multi=multi, default=default,
                       options=[[v, label] for v, label in opts],
                       pressed=[v for v, _ in opts if v in picked])
        return _group(page, name, legend, body, len(options), picked, multi, collapse_over)
    buttons = [html.Button(
        label, n_clicks=0, className="toggle", type="button",
        id={"type": f"{page}-{kind}", "name": name, "value": value},
        **dashed(aria_pressed=_pressed(value, picked, multi), data_toggle=name,
                 data_value=value, data_multi="1" if multi else "0",
                 data_default="1" if value == default else "0"))
        for value, label in opts]
    return _group(page, name, legend, html.Div(buttons, className="toggles"), len(options),
                  picked, multi, collapse_over)


def _group(page: str, name: str, legend: str, body, n: int, picked: set, multi: bool,
           collapse_over: int) -> html.Fieldset:
    if collapse_over and n > collapse_over:
        label = f"Show {n} choices" + (f" ({len(picked)} chosen)" if multi and picked else "")
        body = html.Details([html.Summary(label), body], open=bool(multi and picked))
    return html.Fieldset([html.Legend(legend), body], className="filter",
                         id=f"{page}-{name}")


def _pressed(value: str, picked: set, multi: bool) -> str:
    if multi and value == ALL_VALUE:
        return "false" if picked else "true"
    return "true" if value in picked else "false"


def toggled(query: dict, trigger: dict | None, multi: Sequence[str]) -> dict:
    """The query after a toggle button was pressed (multi: add/remove; single: set)."""
    q = dict(query)
    if not trigger or "name" not in trigger:
        return q
    name, value = trigger["name"], trigger["value"]
    if name in multi:
        current = q.get(name) or []
        current = [current] if isinstance(current, str) else list(current)
        if value == ALL_VALUE:
            current = []
        elif value in current:
            current.remove(value)
        else:
            current.append(value)
        q[name] = current
    else:
        q[name] = value
    return q


def url_state(page: str, search: str) -> dcc.Store:
    """The page's current URL query; a clientside callback mirrors it into the
    address bar (history.replaceState), so every view is a shareable link."""
    return dcc.Store(id={"type": "url-state", "page": page}, data=search)
