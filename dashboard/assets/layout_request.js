// The app's first requests ask for its layout (/_dash-layout) and its callbacks
// (/_dash-dependencies). This script, the one script of the page's head
// (dashboard/app.py), sends both as soon as it runs, before Dash's renderer and the
// component bundles have been compiled and run, and hands each response to the
// renderer when it asks for it (once; any later request goes out as usual), so the
// server builds the page while the browser starts the app.
//
// The layout request says which page is open (its path and query, in the
// X-Govwatch-Page request header), so that the server sends the page's content
// inside the shell at once, instead of an empty shell that the page's routing
// callback fills in a second round trip (dashboard/app.py, page_container). Only
// same-origin requests for the layout carry it. The renderer's request for the
// layout also starts plotly.js (assets/plotly_loader.js), so that window.Plotly is
// its promise before any chart of the layout mounts.
(function () {
  "use strict";
  var NS = (window.govwatch_dashboard = window.govwatch_dashboard || {});
  var fetch0 = window.fetch;
  if (typeof fetch0 !== "function") { return; }
  var PAGE = window.location.pathname + window.location.search;
  var early = {};  // path -> the promise of its response, not yet handed over

  function startPlotly() {
    setTimeout(function () { if (NS.loadPlotly) { NS.loadPlotly(); } }, 0);
  }

  function isLayout(path) { return /(^|\/)_dash-layout$/.test(path); }

  function base() {  // Dash's requests prefix, written on this script's tag
    var script = document.currentScript;
    var b = script && script.dataset ? script.dataset.requestsPrefix : null;
    if (typeof b !== "string" || !b) { return null; }
    return b.charAt(b.length - 1) === "/" ? b : b + "/";
  }

  function send(path) {
    var headers = isLayout(path) ? { "X-Govwatch-Page": PAGE } : {};
    early[path] = fetch0.call(window, path, {
      method: "GET", credentials: "same-origin", headers: headers,
    });
    // a failed early request is not handed over: the renderer's own request is sent
    early[path].catch(function () { delete early[path]; });
  }

  var prefix = base();
  if (prefix !== null) {
    send(prefix + "_dash-layout");
    send(prefix + "_dash-dependencies");
  }

  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    var path = url.split("?")[0];
    var method = ((init && init.method) || "GET").toUpperCase();
    if (method === "GET" && url === path && Object.prototype.hasOwnProperty.call(early, path)) {
      var sent = early[path];
      delete early[path];
      if (isLayout(path)) { startPlotly(); }
      return sent;
    }
    if (isLayout(path)) {
      var headers = new Headers((init && init.headers) || {});
      headers.set("X-Govwatch-Page", PAGE);
      var own = fetch0.call(this, input, Object.assign({}, init, { headers: headers }));
      startPlotly();
      return own;
    }
    return fetch0.apply(this, arguments);
  };
})();
