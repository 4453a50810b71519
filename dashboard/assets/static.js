// A static part of a page drawn by one component (``Static``, built by
// dashboard/static_parts.py): plain elements that no callback reads or writes (headings,
// paragraphs, tables, links), described by the ``tree`` prop, with the Dash components
// inside them (charts, download buttons, stores) passed as ``children`` and put back in
// their places. Every Dash component on a page is woken up by every update of the
// app's state (a callback starting, its answer, a chart's first draw); an account
// page drawn as one Dash component per element had about 300 of them.
//
// A node is a string (text: React writes it as text, never as HTML), a list of
// nodes, {"s": i} (the i-th Dash child), or {"t": tag, "p": props, "c": children,
// "l": 1 for an in-app link}. Tags and attributes come from the lists below; links
// are cleaned as dcc.Link cleans them.
(function () {
  "use strict";
  var NS = (window.govwatch_dashboard = window.govwatch_dashboard || {});
  var TAGS = {};
  ["a", "b", "br", "button", "caption", "code", "details", "div", "em", "figcaption",
   "figure", "footer", "h1", "h2", "h3", "h4", "header", "i", "li", "main", "nav", "ol", "p",
   "section", "small", "span", "strong", "summary", "table", "tbody", "td", "tfoot",
   "th", "thead", "tr", "ul"].forEach(function (t) { TAGS[t] = true; });
  var ATTRS = {};
  ["className", "id", "role", "tabIndex", "hidden", "title", "scope", "colSpan",
   "rowSpan", "type", "open", "lang", "dir", "href", "disabled"].forEach(function (a) {
    ATTRS[a] = true;
  });

  // As dcc.Link: a plain click moves inside the app (no page load), then to the top.
  // Also the overview table's links (assets/overview.js).
  function navigate(event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) { return; }
    event.preventDefault();
    window.history.pushState({}, "", event.currentTarget.getAttribute("href"));
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    window.scrollTo(0, 0);
  }

  NS.navigate = navigate;

  function cleanUrl(href) {
    var clean = window.dash_clientside && window.dash_clientside.clean_url;
    if (clean) { return clean(href); }
    return /^\s*javascript:/i.test(href) ? "about:blank" : href;
  }

  function attrs(p, key) {
    var out = { key: key };
    Object.keys(p || {}).forEach(function (name) {
      if (ATTRS[name] || /^(aria|data)-[a-z0-9-]+$/.test(name)) {
        out[name] = name === "href" ? cleanUrl(String(p[name])) : p[name];
      }
    });
    return out;
  }

  function build(node, slots, key) {
    var h = window.React.createElement;
    if (node === null || node === undefined) { return null; }
    if (typeof node === "string" || typeof node === "number") { return String(node); }
    if (Array.isArray(node)) {
      return node.map(function (n, i) { return build(n, slots, i); });
    }
    if (typeof node.s === "number") {
      var child = slots[node.s];
      return child === undefined ? null : h(window.React.Fragment, { key: key }, child);
    }
    if (!TAGS[node.t]) { return null; }
    var props = attrs(node.p, key);
    if (node.l && node.t === "a") { props.onClick = navigate; }
    var kids = node.c === undefined || node.c === null ? [] : [].concat(node.c);
    return h.apply(null, [node.t, props].concat(kids.map(function (n, i) {
      return build(n, slots, i);
    })));
  }

  NS.Static = function Static(props) {
    var children = props.children;
    var slots = children === undefined || children === null ? [] : [].concat(children);
    var tree = build(props.tree, slots, 0);
    return Array.isArray(tree) ? window.React.createElement(window.React.Fragment, null, tree)
      : tree;
  };
})();
