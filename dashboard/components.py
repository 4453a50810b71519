"""Components of the dashboard's own, drawn in the browser by its assets: a table body
(``Rows``) and a group of toggle buttons (``Toggles``), defined in
``assets/overview.js``, and a static part of a page (``Static``), defined in
``assets/static.js`` (built by :mod:`govwatch.dashboard.static_parts`).

Each row of ``Rows`` is ``{"key", "cells": [str, ...], "href"}``; the first cell links to
``href`` (navigating inside the app like dcc.Link). A plain React <tbody>
renders a 100-row leaderboard in a few milliseconds, where one Dash component
per cell made every filter change wait for hundreds of component wrappers.
"""

from __future__ import annotations

from dash.development.base_component import Component

NAMESPACE = "govwatch_dashboard"


class Rows(Component):
    """<tbody> of plain text cells; the first cell of a row with ``href`` is a link."""

    _children_props: list[str] = []
    _base_nodes = ["children"]
    _namespace = NAMESPACE
    _type = "Rows"

    def __init__(self, id=None, rows=None, className=None, **kwargs):
        self._prop_names = ["id", "rows", "className"]
        self._valid_wildcard_attributes = []
        self.available_properties = ["id", "rows", "className"]
        self.available_wildcard_properties = []
        args = {k: v for k, v in (("id", id), ("rows", rows), ("className", className))
                if v is not None}
        super().__init__(**args, **kwargs)


class Toggles(Component):
    """A group of toggle buttons (aria-pressed) drawn by one component.

    ``options``: [[value, label], ...]; ``pressed``: the values pressed at first
    render (afterwards the app's URL callback keeps aria-pressed in step with the
    query, via the same data-* attributes as html toggle buttons). A press sets
    ``clicked`` to ``{"value": value, "n": count}``.
    """

    _children_props: list[str] = []
    _base_nodes = ["children"]
    _namespace = NAMESPACE
    _type = "Toggles"
    _props = ("id", "name", "options", "pressed", "multi", "default", "clicked", "className")

    def __init__(self, **kwargs):
        self._prop_names = list(self._props)
        self._valid_wildcard_attributes = []
        self.available_properties = list(self._props)
        self.available_wildcard_properties = []
        super().__init__(**{k: v for k, v in kwargs.items() if v is not None})


class Static(Component):
    """A static part of a page (``tree``, see :mod:`govwatch.dashboard.static_parts`) drawn by
    one component, defined in ``assets/static.js``; ``children`` are the Dash components
    inside it, each in the place its ``{"s": index}`` node marks."""

    _children_props: list[str] = []
    _base_nodes = ["children"]
    _namespace = NAMESPACE
    _type = "Static"

    def __init__(self, tree=None, children=None, **kwargs):
        self._prop_names = ["tree", "children"]
        self._valid_wildcard_attributes = []
        self.available_properties = ["tree", "children"]
        self.available_wildcard_properties = []
        args = {k: v for k, v in (("tree", tree), ("children", children)) if v is not None}
        super().__init__(**args, **kwargs)
