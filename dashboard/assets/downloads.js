// PNG and SVG downloads of a chart, made in the browser by plotly.js's own
// downloadImage from the chart on screen (with its title added), so that an
// image costs the server nothing and takes a fraction of a second. The buttons
// come from dashboard/pages/_common.py (download_buttons): data-image is the
// format, data-graph the dcc.Graph's id, data-title the heading's id and
// data-filename the file name without extension. The card's status line says
// what happened, above all when an image could not be made.
(function () {
  "use strict";
  var NS = (window.govwatch_dashboard = window.govwatch_dashboard || {});
  var WIDTH = 1100;

  // As govwatch.dashboard.figures.escape_text: the title is shown as typed.
  function escapeText(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/%\{/g, "%&#123;");
  }

  function graphDiv(id) {
    var holder = document.getElementById(id);
    if (!holder) { return null; }
    return holder.classList.contains("js-plotly-plot") ? holder
      : holder.querySelector(".js-plotly-plot");
  }

  NS.downloadImage = function (button) {
    var fmt = button.dataset.image;
    var label = fmt.toUpperCase();
    var box = button.closest(".downloads");
    var status = box && box.querySelector(".download-status");
    function say(text) { if (status) { status.textContent = text; } }
    var holder = document.getElementById(button.dataset.graph);
    if (holder && NS.isWaiting && NS.isWaiting(holder)) {  // below the fold, not drawn yet
      return NS.drawNow(holder).then(function () { return NS.downloadImage(button); });
    }
    var gd = graphDiv(button.dataset.graph);
    if (!window.Plotly || !gd || !gd.data || !gd.layout) {
      say("The " + label + " could not be made: the chart is not drawn yet. Try again " +
          "in a moment.");
      return Promise.resolve(false);
    }
    var heading = document.getElementById(button.dataset.title);
    var layout = Object.assign({}, gd.layout, {
      title: { text: escapeText(heading ? heading.textContent : ""), x: 0.01 },
      margin: Object.assign({}, gd.layout.margin || {}, { t: 60 }),
      width: WIDTH
    });
    button.disabled = true;
    say("Making the " + label + "…");
    return window.Plotly.downloadImage({ data: gd.data, layout: layout }, {
      format: fmt, width: WIDTH, height: gd.layout.height || 450,
      filename: button.dataset.filename
    }).then(function () {
      say(label + " downloaded.");
      return true;
    }, function (err) {
      say("The " + label + " could not be made (" + ((err && err.message) || err) +
          "). Try again, or use the camera button above the chart.");
      return false;
    }).then(function (ok) {
      button.disabled = false;
      return ok;
    });
  };

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-image]");
    if (button && !button.disabled) { NS.downloadImage(button); }
  });
})();
