"""A page's static parts drawn by one component each: :func:`freeze` turns a tree of
Dash components into :class:`govwatch.dashboard.components.Static` components.

The browser wakes every Dash component of a page on every update of the app's state
(a callback sent, its answer, a chart drawn), so a page of a few hundred html
components (table cells, list items, headings) spends most of its script time in
Dash's renderer. Elements that no callback reads or writes need none of that: they
become one node each of a ``Static`` component's ``tree`` and are drawn as the same
elements by ``assets/static.js``. What stays a Dash component: every component that is
not an html element or a ``dcc.Link`` (charts, stores, downloads), an html element
with a dict id, with ``n_clicks`` set, or with an id that a callback names, and
every element of a tag not in :data:`TAGS`. Those sit in the tree as ``{"s": i}``,
the i-th of the ``Static`` component's children, and their own children are frozen
in turn.

Text stays text: the browser writes strings as text nodes, never as HTML.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dash
from dash import _callback, dcc, html
from dash._utils import split_callback_id
from dash.development.base_component import Component

from .components import Static

# html elements drawn in a tree (assets/static.js draws these tags and no others)
TAGS = frozenset({
    "a", "b", "br", "button", "caption", "code", "details", "div", "em", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "header", "i", "li", "main", "nav", "ol", "p",
    "section", "small", "span", "strong", "summary", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul"})
# the attributes assets/static.js draws (besides aria-* and data-*); an element with any
# other attribute (a style, for one) stays a Dash component
ATTRS = frozenset({"className", "id", "role", "tabIndex", "hidden", "title", "scope", "colSpan",
                   "rowSpan", "type", "open", "lang", "dir", "href", "disabled"})
# Dash's own props of html components, not attributes of the element
DASH_PROPS = frozenset({"children", "n_clicks", "n_clicks_timestamp", "disable_n_clicks",
                        "loading_state", "key"})
LINK_PROPS = ("id", "className", "href", "title")


def freeze(content: Any, keep: Iterable[str] = ()) -> Any:
    """``content`` (a component, a list of them, text) with its static elements drawn
    by :class:`Static` components: the same elements, attributes and text in the
    browser, far fewer Dash components. Components whose id is in ``keep`` are left as
    they are, children included (a page container that its own callback fills). Text
    and None are returned as they are."""
    return _freeze(content, callback_ids(), frozenset(keep))


def _freeze(content: Any, named: frozenset[str], keep: frozenset[str] = frozenset()) -> Any:
    if content is None or isinstance(content, str | int | float):
        return content
    slots: list[Component] = []
    tree = _node(content, slots, named, keep)
    if isinstance(tree, dict) and "s" in tree:  # a Dash component at the top
        return slots[0]
    return Static(tree=tree, children=slots or None)


def _node(c: Any, slots: list[Component], named: frozenset[str],
          keep: frozenset[str] = frozenset()) -> Any:
    if c is None or isinstance(c, str):
        return c
    if isinstance(c, bool):
        return None  # React draws nothing for a boolean
    if isinstance(c, int | float):
        return str(c)
    if isinstance(c, list | tuple):
        return [_node(x, slots, named, keep) for x in c]
    if not isinstance(c, Component):
        raise TypeError(f"not a component: {c!r}")
    cid = getattr(c, "id", None)
    if isinstance(cid, str) and cid in keep:
        slots.append(c)
        return {"s": len(slots) - 1}
    props = c.to_plotly_json()["props"]
    if isinstance(c, dcc.Link) and _static_link(props, named):
        return {"t": "a", "p": {k: props[k] for k in LINK_PROPS if k in props}, "l": 1,
                "c": _node(props.get("children", props.get("href")), slots, named, keep)}
    tag = type(c).__name__.lower()
    if getattr(c, "_namespace", "") == "dash_html_components" and tag in TAGS \
            and _static_element(props, named):
        out: dict[str, Any] = {"t": tag, "p": {k: v for k, v in props.items()
                                               if k not in DASH_PROPS}}
        if props.get("children") is not None:
            out["c"] = _node(props["children"], slots, named, keep)
        return out
    children = getattr(c, "children", None)
    if isinstance(children, list | tuple):
        c.children = [_freeze(x, named, keep) for x in children]
    elif isinstance(children, Component):
        c.children = _freeze(children, named, keep)
    slots.append(c)
    return {"s": len(slots) - 1}


def _static_element(props: dict, named: frozenset[str]) -> bool:
    cid = props.get("id")
    return not isinstance(cid, dict) and cid not in named and "n_clicks" not in props \
        and all(k in ATTRS or k in DASH_PROPS or k.startswith(("aria-", "data-"))
                for k in props)


def _static_link(props: dict, named: frozenset[str]) -> bool:
    cid = props.get("id")
    return (cid is None or cid not in named) and not props.get("refresh") \
        and not props.get("target") and not props.get("style")


def callback_ids() -> frozenset[str]:
    """Every string id that a callback of the running app (or one registered with
    ``dash.callback`` and not yet taken in by an app) reads or writes."""
    maps: list[dict] = [_callback.GLOBAL_CALLBACK_MAP]
    try:
        maps.append(dash.get_app().callback_map)
    except Exception:  # noqa: BLE001 - no app yet: the global callbacks are all there are
        pass
    ids: set[str] = set()
    for callbacks in maps:
        for key, spec in callbacks.items():
            outputs = split_callback_id(key)  # a callback's key names its outputs
            deps = [*(outputs if isinstance(outputs, list) else [outputs]),
                    *spec.get("inputs", []), *spec.get("state", [])]
            for dep in deps:
                cid = dep.get("id") if isinstance(dep, dict) else None
                if isinstance(cid, str) and not cid.startswith("{"):
                    ids.add(cid)
    return frozenset(ids)


def thaw(content: Any) -> Any:
    """The inverse of :func:`freeze`: ``content`` with every :class:`Static` component
    turned back into the html components and links it draws (what tests and tools that
    walk a layout's components read)."""
    if isinstance(content, list | tuple):
        return [thaw(x) for x in content]
    if isinstance(content, Static):
        slots = [thaw(x) for x in _as_list(getattr(content, "children", None))]
        return _unnode(getattr(content, "tree", None), slots)
    if isinstance(content, Component):
        children = getattr(content, "children", None)
        if isinstance(children, list | tuple | Component):
            content.children = thaw(children)
    return content


def _as_list(children: Any) -> list:
    return [] if children is None else list(children) \
        if isinstance(children, list | tuple) else [children]


def _unnode(node: Any, slots: list) -> Any:
    if node is None or isinstance(node, str):
        return node
    if isinstance(node, list):
        return [_unnode(x, slots) for x in node]
    if "s" in node:
        return slots[node["s"]]
    children = _unnode(node.get("c"), slots)
    if node.get("l"):
        return dcc.Link(children, **node["p"])
    return _HTML[node["t"]](children, **node["p"])


_HTML = {name.lower(): getattr(html, name) for name in dir(html)
         if isinstance(getattr(html, name), type) and issubclass(getattr(html, name), Component)}
