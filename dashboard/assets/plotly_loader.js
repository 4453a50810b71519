// plotly.js's basic bundle (assets/plotly-basic.min.js) is not one of the page's
// blocking scripts: the page's <link rel="preload" id="govwatch-plotly"> fetches it
// with the others, and it runs when Dash sends its first callback request (the
// renderer's request_pre hook, dashboard/app.py), so the browser compiles and runs
// it while the server builds the page instead of before the app can start.
// Until it has run, window.Plotly is a promise of it: dcc.Graph waits on
// `Promise.resolve(window.Plotly)` and never fetches plotly.js's full bundle.
(function () {
  "use strict";
  var NS = (window.govwatch_dashboard = window.govwatch_dashboard || {});
  NS.loadPlotly = function () {
    if (window.Plotly) { return window.Plotly; }
    var link = document.getElementById("govwatch-plotly");
    if (!link) { return undefined; }
    window.Plotly = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = link.href;
      script.onload = function () { resolve(window.Plotly); };
      script.onerror = function (error) { window.Plotly = undefined; reject(error); };
      document.head.appendChild(script);
    });
    return window.Plotly;
  };
})();
