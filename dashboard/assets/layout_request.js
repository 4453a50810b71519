// The app's first request asks for its layout (/_dash-layout). This says which page
// is open (its path and query, in the X-Govwatch-Page request header), so that the
// server sends the page's content inside the shell at once, instead of an empty
// shell that the page's routing callback fills in a second round trip
// (dashboard/app.py, page_container). Only same-origin requests for the layout
// carry it. The request also starts plotly.js (assets/plotly_loader.js): its
// compile overlaps the server building the page, as it does for a callback.
(function () {
  "use strict";
  var NS = (window.govwatch_dashboard = window.govwatch_dashboard || {});
  var fetch0 = window.fetch;
  if (typeof fetch0 !== "function") { return; }
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    if (/(^|\/)_dash-layout$/.test(url.split("?")[0])) {
      var headers = new Headers((init && init.headers) || {});
      headers.set("X-Govwatch-Page", window.location.pathname + window.location.search);
      var sent = fetch0.call(this, input, Object.assign({}, init, { headers: headers }));
      setTimeout(function () { if (NS.loadPlotly) { NS.loadPlotly(); } }, 0);
      return sent;
    }
    return fetch0.apply(this, arguments);
  };
})();
