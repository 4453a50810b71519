// plotly.js's basic bundle (assets/plotly-basic.min.js) is not one of the page's
// blocking scripts: the page's <link rel="preload" id="govwatch-plotly"> fetches it
// with the others, and it runs when Dash sends its first callback request (the
// renderer's request_pre hook, dashboard/app.py), so the browser compiles and runs
// it while the server builds the page instead of before the app can start.
// Until it has run, window.Plotly is a promise of it: dcc.Graph waits on
// `Promise.resolve(window.Plotly)` and never fetches plotly.js's full bundle.
//
// Charts below the fold are drawn after the ones on screen: a chart's first draw
// (dcc.Graph's Plotly.react on a graph not drawn yet), and the redraw of a chart out
// of the window inside an element marked data-redraw="idle" (the Overview's series,
// far below the leaderboard and the latency chart), wait until the
// chart comes near the window (an IntersectionObserver, 200 px ahead) or until the
// browser is idle (requestIdleCallback), one chart at a time in the page's order.
// Every chart is drawn in the end, with the latest figure; any other chart that is
// drawn already is redrawn at once, and NS.drawNow(element) draws
// the waiting chart in that element at once (the image downloads use it). While it waits, the chart
// keeps the height of its figure, so the page does not jump when it is drawn.
(function () {
  "use strict";
  var NS = (window.govwatch_dashboard = window.govwatch_dashboard || {});
  var waiting = [];  // draws not made yet: {gd, args, promise, resolve, reject}
  var idleScheduled = false;
  var observer = null;

  function entryOf(gd) {
    for (var i = 0; i < waiting.length; i++) {
      if (waiting[i].gd === gd) { return waiting[i]; }
    }
    return null;
  }

  function waitingIn(el) {  // the waiting chart that is el or inside it
    for (var i = 0; i < waiting.length; i++) {
      if (el === waiting[i].gd || el.contains(waiting[i].gd)) { return waiting[i]; }
    }
    return null;
  }

  function draw(entry, react) {
    var i = waiting.indexOf(entry);
    if (i < 0) { return entry.promise; }
    waiting.splice(i, 1);
    if (observer) { observer.unobserve(entry.gd); }
    Promise.resolve().then(function () {
      return react.apply(window.Plotly, entry.args);
    }).then(function (gd) {
      entry.gd.style.minHeight = "";
      entry.resolve(gd);
    }, entry.reject);
    return entry.promise;
  }

  // A chart that may be redrawn later (inside an element marked data-redraw="idle")
  // and is out of the window (and 200 px around it), e.g. below the fold.
  function redrawLater(gd) {
    if (!gd.closest('[data-redraw="idle"]')) { return false; }
    var box = gd.getBoundingClientRect();
    return box.height > 0 && (box.bottom < -200 || box.top > window.innerHeight + 200);
  }

  function byPageOrder(a, b) {
    // eslint-disable-next-line no-bitwise
    return a.gd.compareDocumentPosition(b.gd) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
  }

  function deferOffscreen(Plotly) {
    var react = Plotly.react;
    if (typeof IntersectionObserver !== "function" || Plotly.__govwatchDeferred) {
      return Plotly;
    }
    var idle = window.requestIdleCallback || function (f) { return setTimeout(f, 50); };

    function drawNext() {
      idleScheduled = false;
      var left = waiting.filter(function (e) { return e.gd.isConnected; });
      waiting.filter(function (e) { return !e.gd.isConnected; }).forEach(function (e) {
        waiting.splice(waiting.indexOf(e), 1);
        if (observer) { observer.unobserve(e.gd); }
        e.resolve(e.gd);  // taken off the page before it was drawn
      });
      if (!left.length) { return; }
      left.sort(byPageOrder);
      draw(left[0], react).then(scheduleIdle, scheduleIdle);
    }

    function scheduleIdle() {
      if (idleScheduled || !waiting.length) { return; }
      idleScheduled = true;
      idle(drawNext, { timeout: 3000 });
    }

    observer = new IntersectionObserver(function (seen) {
      seen.forEach(function (s) {
        var entry = s.isIntersecting && entryOf(s.target);
        if (entry) { draw(entry, react); }
      });
    }, { rootMargin: "200px 0px 200px 0px" });

    Plotly.react = function (gd) {
      var args = Array.prototype.slice.call(arguments);
      if (!(gd instanceof Element)) { return react.apply(this, args); }
      var entry = entryOf(gd);
      if (entry) {  // asked again before its draw: the latest figure wins
        entry.args = args;
        return entry.promise;
      }
      if (gd._fullLayout && !redrawLater(gd)) {  // drawn already: redraw now
        return react.apply(this, args);
      }
      entry = { gd: gd, args: args };
      entry.promise = new Promise(function (resolve, reject) {
        entry.resolve = resolve;
        entry.reject = reject;
      });
      var figure = args[1] || {};
      var height = figure.layout && figure.layout.height;
      if (height && !gd._fullLayout) { gd.style.minHeight = height + "px"; }
      waiting.push(entry);
      observer.observe(gd);
      scheduleIdle();
      return entry.promise;
    };
    NS.drawNow = function (el) {
      var entry = waitingIn(el);
      return entry ? draw(entry, react) : Promise.resolve(el);
    };
    NS.isWaiting = function (el) { return !!waitingIn(el); };
    NS.waitingCharts = function () { return waiting.length; };
    Plotly.__govwatchDeferred = true;
    return Plotly;
  }

  NS.loadPlotly = function () {
    if (window.Plotly) { return window.Plotly; }
    var link = document.getElementById("govwatch-plotly");
    if (!link) { return undefined; }
    window.Plotly = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = link.href;
      script.onload = function () { resolve(deferOffscreen(window.Plotly)); };
      script.onerror = function (error) { window.Plotly = undefined; reject(error); };
      document.head.appendChild(script);
    });
    return window.Plotly;
  };
})();
