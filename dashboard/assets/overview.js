// Overview in the browser: the server sends every account's row of the current
// population and period once (the 'overview-data' store, built by
// dashboard/pages/overview.py); country, level, platform, institution and
// institution-type filters, sorting, the rows shown and the composite-index weights are applied
// here, so those changes need no round trip. Wording, formats and the chart's
// look come from the server; this file only selects, orders and counts.
(function () {
  "use strict";
  var NS = (window.govwatch_dashboard = window.govwatch_dashboard || {});
  var MULTI = ["country", "level", "institution", "platform", "institution_type"];
  var NARROW_PX = 600;  // below this width the median chart puts names above the points

  // ---------------------------------------------------------------- table body
  // One component for the whole <tbody>: rows are plain React elements, not one
  // Dash component per cell (which made every filter change slow). A row's link moves
  // inside the app as dcc.Link does (NS.navigate, assets/static.js; every asset has
  // loaded before anything is drawn).

  NS.Rows = function Rows(props) {
    var h = window.React.createElement;
    var rows = props.rows || [];
    return h("tbody", { id: props.id, className: props.className }, rows.map(function (r) {
      return h("tr", { key: r.key }, r.cells.map(function (cell, i) {
        var body = i === 0 && r.href ? h("a", { href: r.href, onClick: NS.navigate }, cell) : cell;
        return h("td", { key: i }, body);
      }));
    }));
  };

  // One component for a whole group of toggle buttons (see dashboard/components.py):
  // a page of 100 institutions would otherwise hold 100 Dash components, each
  // woken up by every update of the app's state.
  NS.Toggles = function Toggles(props) {
    var h = window.React.createElement;
    var pressed = props.pressed || [];
    var multi = !!props.multi;
    return h("div", { className: props.className || "toggles" },
      (props.options || []).map(function (o) {
        var value = o[0];
        var on = multi && value === "*" ? pressed.length === 0 : pressed.indexOf(value) >= 0;
        return h("button", {
          key: value, type: "button", className: "toggle", "aria-pressed": on ? "true" : "false",
          "data-toggle": props.name, "data-value": value, "data-multi": multi ? "1" : "0",
          "data-default": value === props["default"] ? "1" : "0",
          onClick: function () {
            var n = props.clicked && props.clicked.n ? props.clicked.n + 1 : 1;
            props.setProps({ clicked: { value: value, n: n } });
          }
        }, o[1]);
      }));
  };

  // ---------------------------------------------------------------- state
  function parseQuery(search, P) {
    var p = new URLSearchParams(search || "");
    var q = { sort: p.get("sort") || P.default_sort[0], order: p.get("order") || P.default_sort[1],
              rows: p.get("rows") || P.default_rows, w: {} };
    MULTI.forEach(function (name) { q[name] = p.getAll(name); });
    P.metrics.forEach(function (m) {
      var v = p.get(P.weight_prefix + m);
      if (v !== null && validWeight(Number(v), P)) { q.w[m] = Number(v); }
    });
    return q;
  }

  function validWeight(v, P) {
    return typeof v === "number" && isFinite(v) && v >= 0 && v <= P.max_weight;
  }

  function weightsOf(q, P) {
    var w = {};
    P.metrics.forEach(function (m) { w[m] = m in q.w ? q.w[m] : P.default_weights[m]; });
    var total = P.metrics.reduce(function (s, m) { return s + w[m]; }, 0);
    return total > 0 ? w : Object.assign({}, P.default_weights);
  }

  function searchOf(q, P) {
    var p = new URLSearchParams();
    MULTI.forEach(function (name) { q[name].forEach(function (v) { p.append(name, v); }); });
    P.server_query.forEach(function (kv) { p.append(kv[0], kv[1]); });
    if (q.sort !== P.default_sort[0] || q.order !== P.default_sort[1]) {
      p.append("sort", q.sort);
      p.append("order", q.order);
    }
    P.chart_query.forEach(function (kv) { p.append(kv[0], kv[1]); });
    if (q.rows !== P.default_rows) { p.append("rows", q.rows); }
    P.metrics.forEach(function (m) {
      if (m in q.w && Math.abs(q.w[m] - P.default_weights[m]) > 1e-9) {
        p.append(P.weight_prefix + m, String(q.w[m]));
      }
    });
    var s = p.toString();
    return s ? "?" + s : "";
  }

  // The query after the control that fired (toggle, column heading, weight, reset).
  function nextQuery(q, trigger, weightValues, P) {
    if (!trigger || typeof trigger !== "object") {
      if (trigger === "overview-weights-reset") { q.w = {}; }
      return q;
    }
    if (trigger.type === "overview-sort") {
      if (trigger.value === q.sort) { q.order = q.order === "asc" ? "desc" : "asc"; }
      else { q.sort = trigger.value; q.order = "asc"; }
    } else if (trigger.type === "overview-opt") {
      var name = trigger.name, value = trigger.value;
      if (MULTI.indexOf(name) >= 0) {
        var cur = q[name].slice();
        if (value === "*") { cur = []; }
        else if (cur.indexOf(value) >= 0) { cur.splice(cur.indexOf(value), 1); }
        else { cur.push(value); }
        q[name] = cur;
      } else if (name === "rows") {
        q.rows = value;
      }
    } else if (trigger.type === "overview-weight") {
      var before = JSON.stringify(weightsOf(q, P));
      P.metrics.forEach(function (m, i) {
        var v = weightValues[i];
        if (v !== null && v !== undefined && v !== "" && validWeight(Number(v), P)) {
          q.w[m] = Number(v);
        }
      });
      // Re-weighting is about the ranking: show the table ranked by the index.
      if (JSON.stringify(weightsOf(q, P)) !== before && P.whole) {
        q.sort = "composite";
        q.order = "desc";
      }
    }
    return q;
  }

  // ---------------------------------------------------------------- figures
  function composite(row, w, P) {
    if (!P.whole) { return null; }
    if (!row.ranks) { return row.composite; }
    var total = 0, used = 0, sum = 0;
    P.metrics.forEach(function (m) {
      total += w[m];
      var r = row.ranks[m];
      if (r !== null && r !== undefined && w[m] > 0) { used += w[m]; sum += w[m] * r; }
    });
    if (total <= 0 || used <= 0 || used / total < P.min_share - 1e-12) { return null; }
    return sum / used;
  }

  function sortRows(rows, key, desc) {
    return rows.slice().sort(function (a, b) {
      var x = a.sort[key], y = b.sort[key];
      var xn = x === null || x === undefined, yn = y === null || y === undefined;
      if (xn || yn) { return xn === yn ? 0 : (xn ? 1 : -1); }  // missing last
      if (x === y) { return 0; }
      return (x < y ? -1 : 1) * (desc ? -1 : 1);
    });
  }

  function fmtIndex(v) { return v === null || v === undefined ? "–" : v.toFixed(0); }

  function headlines(rows, P) {
    var ok = rows.filter(function (r) { return !r.few && r.rate !== null; });
    if (!ok.length) { return [P.text.no_rate]; }
    var out = [];
    // every headline says which period it covers: none silently ignores the filter
    var when = P.period_t ? " (" + P.period_t + ")" : "";
    var crit = ok.filter(function (r) { return r.crit && r.crit.ok && r.crit.rate !== null; });
    if (crit.length) {
      var c = crit.slice().sort(function (a, b) { return a.crit.rate - b.crit.rate; })[0];
      out.push(c.label + " answered " + c.crit.rate_t + " of " + c.crit.n_t +
               " critical reports within " + P.window_t + when + ".");
    }
    var byRate = function (dir) {
      return ok.slice().sort(function (a, b) {
        return dir * (a.rate - b.rate) || (b.n - a.n);
      })[0];
    };
    var low = byRate(1), high = byRate(-1);
    out.push(low.label + " answered " + low.rate_t + " of " + low.n_t + " messages within " +
             P.window_t + " (" + P.population_t + (P.period_t ? ", " + P.period_t : "") +
             "), the lowest rate here.");
    if (high.key !== low.key) {
      out.push(high.label + " answered the highest share: " + high.rate_t + " of " +
               high.n_t + when + ".");
    }
    var reached = ok.filter(function (r) { return r.med !== null && !r.mfew; });
    if (!reached.length) { out.push(P.text.no_median); }
    else {
      var fast = reached.slice().sort(function (a, b) { return a.med - b.med; })[0];
      out.push("Fastest median time to response" + when + ": " + fast.label + ", " +
               fast.med_t + ".");
    }
    var gaps = ok.filter(function (r) { return r.gap !== null; });
    if (gaps.length) {
      var g = gaps.slice().sort(function (a, b) { return a.gap - b.gap; })[gaps.length - 1];
      if (g.gap > 0) {
        out.push(g.label + " answers routine messages more often than critical ones: a gap " +
                 "of " + g.gap_t + ".");
      }
    }
    return out;
  }

  // The median chart: the server drew it for every account; keep the points of
  // the accounts shown (those with most messages beyond max_rows).
  function medianChart(rows, P) {
    var C = P.chart;
    var pts = rows.filter(function (r) { return r.point; });
    if (!pts.length) { return { figure: C.empty, summary: C.empty_summary }; }
    var hidden = Math.max(0, pts.length - C.max_rows);
    if (hidden) {
      pts = pts.slice().sort(function (a, b) { return b.n - a.n; }).slice(0, C.max_rows);
    }
    var keep = {};
    pts.forEach(function (r) { keep[r.key] = r; });
    var data = C.figure.data.map(function (t) {
      var idx = [];
      (t.customdata || []).forEach(function (k, i) { if (keep[k]) { idx.push(i); } });
      var out = Object.assign({}, t);
      ["x", "y", "text", "hovertext", "customdata"].forEach(function (f) {
        if (Array.isArray(t[f])) { out[f] = idx.map(function (i) { return t[f][i]; }); }
      });
      if (t.error_x) {
        out.error_x = Object.assign({}, t.error_x, {
          array: idx.map(function (i) { return t.error_x.array[i]; }),
          arrayminus: idx.map(function (i) { return t.error_x.arrayminus[i]; }) });
      }
      return out;
    }).filter(function (t) { return t.x.length; });
    var layout = Object.assign({}, C.figure.layout,
                               { height: Math.max(260, 28 * pts.length + 120) });
    // On a phone the names would take the width: each name goes above its row,
    // inside the plot (an annotation: names drawn as inside tick labels would hide
    // the time axis's ticks), and the points get the whole width. The names are the
    // server's, already escaped for Plotly.
    if (document.documentElement.clientWidth < NARROW_PX) {
      var cats = [];
      data.forEach(function (t) {
        t.y.forEach(function (y) { if (cats.indexOf(y) < 0) { cats.push(y); } });
      });
      layout.yaxis = Object.assign({}, layout.yaxis, { showticklabels: false });
      layout.xaxis = Object.assign({}, layout.xaxis, {
        title: Object.assign({}, (layout.xaxis || {}).title,
                             { text: "Time to first response (log scale)" }) });
      layout.annotations = cats.map(function (y) {
        return { x: 0, xref: "paper", xanchor: "left", y: y, yref: "y", yshift: 14,
                 text: y, showarrow: false, font: { size: 12 } };
      });
      layout.margin = Object.assign({}, layout.margin, { l: 8, r: 8 });
      layout.height = Math.max(260, 44 * pts.length + 120);
    }
    var reached = pts.filter(function (r) { return r.point.reached; })
      .sort(function (a, b) { return a.point.x - b.point.x; });
    var notReached = pts.length - reached.length;
    var summary;
    if (!reached.length) {
      summary = "None of the " + pts.length + " accounts answered half of its messages, so " +
        "no median time to response is reached; arrows mark the follow-up time.";
    } else {
      var fast = reached[0], slow = reached[reached.length - 1];
      summary = reached.length + " of " + pts.length + " accounts answered at least half of " +
        "their messages; medians range from " + fast.point.x_t + " (" + fast.point.label +
        ") to " + slow.point.x_t + " (" + slow.point.label + ")" +
        (notReached ? "; for " + notReached + " the median is not reached." : ".");
    }
    if (hidden) {
      summary += " Showing the " + C.max_rows + " accounts with the most messages; the " +
        "leaderboard and its CSV have all.";
    }
    return { figure: { data: data, layout: layout }, summary: summary };
  }

  function describe(q, P) {
    var parts = MULTI.filter(function (n) { return q[n].length; })
      .map(function (n) { return n.replace("_", " ") + " " + q[n].join(", "); });
    if (P.period_t) { parts.push(P.period_t); }
    return parts.length ? parts.join("; ") : "no filter";
  }

  // ---------------------------------------------------------------- the series
  // The pooled rate per period of the accounts the filters keep, as the server's
  // pooled_series and pooled_chart (dashboard/pooled.py, dashboard/trends.py) give
  // it: the counts summed, the rate and its Wilson 95% interval computed with the
  // same operations in the same order, and the words and formats of the server's.

  // Python's format(x, ".Nf"): like toFixed, but an exact tie rounds to even.
  function fixed(x, digits) {
    var exact = x.toFixed(20), dot = exact.indexOf(".");
    if (/^50*$/.test(exact.slice(dot + 1 + digits))) {
      var down = exact.slice(0, digits ? dot + 1 + digits : dot);
      if (Number(down.charAt(down.length - 1)) % 2 === 0) { return down; }
    }
    return x.toFixed(digits);
  }

  function fmtRate(v) {  // dashboard/figures.py fmt_rate
    if (v === null || v === undefined || isNaN(v)) { return "\u2013"; }
    var pct = 100 * v;
    return (pct > 0 && pct < 10 ? fixed(pct, 1) : fixed(pct, 0)) + "%";
  }

  function fmtCount(n) {  // Python's format(n, ",")
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function wilson(k, n, sign, W) {  // analysis/change.py wilson_sql
    var p = k / n;
    return Math.max(0, Math.min(1, (p + W[1] / n + sign * W[0] *
      Math.sqrt(p * (1 - p) / n + W[2] / (n * n))) / (1 + W[3] / n)));
  }

  function rateSummary(rows, rated, S) {  // dashboard/trends.py _rate_summary
    var kind = S.kind, summary;
    var few = rows.length - rated.length;
    if (!rated.length) {
      summary = "No " + kind + " has enough messages observed for a rate.";
    } else if (rated.length === 1) {
      summary = S.word + " rate: " + fmtRate(rated[0].rate) + " in " + rated[0].period +
        ", the only " + kind + " with enough messages.";
    } else {
      var first = rated[0], last = rated[rated.length - 1], low = rated[0];
      rated.forEach(function (r) { if (r.rate < low.rate) { low = r; } });
      summary = S.word + " rate: " + fmtRate(first.rate) + " in " + first.period + ", " +
        fmtRate(last.rate) + " in " + last.period + "; lowest " + fmtRate(low.rate) +
        " in " + low.period + ".";
    }
    if (few) {
      summary += " " + few + " " + kind + (few !== 1 ? "s" : "") + " with too few " +
        "messages observed " + (few === 1 ? "is" : "are") + " not drawn (the latest ones " +
        "are still being observed).";
    }
    return summary;
  }

  NS.seriesFigure = function (S, P, q) {
    var filtered = MULTI.some(function (n) { return q[n].length; });
    var title = filtered ? S.title_some : S.title_all;
    var n = S.periods.length, seen = new Uint8Array(n);
    var obs = new Float64Array(n), ans = new Float64Array(n);
    P.rows.forEach(function (r) {
      if (!MULTI.every(function (m) { return !q[m].length || q[m].indexOf(r.f[m]) >= 0; })) {
        return;
      }
      var c = S.counts[r.key] || [];
      for (var i = 0; i < c.length; i += 3) {
        seen[c[i]] = 1;
        obs[c[i]] += c[i + 1];
        ans[c[i]] += c[i + 2];
      }
    });
    var rows = [], rated = [];
    for (var i = 0; i < n; i++) {
      if (!seen[i]) { continue; }
      var row = { i: i, period: S.periods[i], obs: obs[i], ans: ans[i],
                  rate: obs[i] > 0 ? ans[i] / obs[i] : null };
      rows.push(row);
      if (obs[i] >= S.min_n && row.rate !== null) { rated.push(row); }
    }
    if (!rows.length) { return { figure: S.empty, title: title, summary: S.empty_summary }; }
    var W = S.wilson;
    rated.forEach(function (r) {
      r.low = wilson(r.ans, r.obs, -1, W);
      r.high = wilson(r.ans, r.obs, 1, W);
    });
    var T = S.figure.data[0];
    var trace = Object.assign({}, T, {
      x: rated.map(function (r) { return S.starts[r.i]; }),
      y: rated.map(function (r) { return r.rate; }),
      error_y: Object.assign({}, T.error_y, {
        array: rated.map(function (r) { return Math.max(0, r.high - r.rate); }),
        arrayminus: rated.map(function (r) { return Math.max(0, r.rate - r.low); }) }),
      text: rated.map(function (r) {
        return r.period + ": " + fmtRate(r.rate) + " of " + fmtCount(r.obs) + " (" +
          fmtRate(r.low) + "\u2013" + fmtRate(r.high) + ")";
      }) });
    return { figure: { data: [trace], layout: S.figure.layout }, title: title,
             summary: rateSummary(rows, rated, S) + S.note };
  };

  var lastSeries = null;
  NS.renderSeries = function (search, S, P) {
    var nu = window.dash_clientside.no_update;
    if (!S || !P) { return [nu, nu, nu]; }
    var q = parseQuery(search, P);
    // sorting, the rows shown and the weights leave the series as it is
    var sig = { S: S, f: JSON.stringify(MULTI.map(function (m) { return q[m]; })) };
    if (lastSeries && lastSeries.S === S && lastSeries.f === sig.f) { return [nu, nu, nu]; }
    lastSeries = sig;
    var out = NS.seriesFigure(S, P, q);
    return [out.figure, out.title, out.summary];
  };

  // ---------------------------------------------------------------- the callback
  var lastChart = null;
  NS.renderOverview = function (_sorts, weightValues, P, search) {
    var nu = window.dash_clientside.no_update;
    if (!P) { return [nu, nu, nu, nu, nu, nu, nu, nu, nu, nu]; }
    var ctx = window.dash_clientside.callback_context || {};
    var trigger = ctx.triggered_id;
    // a toggle group ('overview-<name>-toggles'): its 'clicked' prop names the button
    var m = typeof trigger === "string" && trigger.match(/^overview-(\w+)-toggles$/);
    if (m) {
      var clicked = (ctx.triggered || []).filter(function (t) {
        return t.prop_id === trigger + ".clicked";
      })[0];
      trigger = clicked && clicked.value ?
        { type: "overview-opt", name: m[1], value: clicked.value.value } : null;
    }
    var q = nextQuery(parseQuery(search, P), trigger, weightValues || [], P);
    var w = weightsOf(q, P);
    var rows = P.rows.filter(function (r) {
      return MULTI.every(function (n) { return !q[n].length || q[n].indexOf(r.f[n]) >= 0; });
    }).map(function (r) {
      return Object.assign({}, r, { sort: Object.assign({}, r.sort,
                                                         { composite: composite(r, w, P) }) });
    });
    var sorted = sortRows(rows, q.sort, q.order === "desc");
    var limit = q.rows === "all" ? sorted.length : parseInt(q.rows, 10);
    var shown = sorted.slice(0, limit).map(function (r) {
      // The stored index carries its bootstrap interval; a re-weighted one has none.
      var stored = JSON.stringify(w) === JSON.stringify(P.default_weights) && r.composite_t;
      // Places among peers come from the stored index's intervals too.
      var cells = stored ? r.cells : r.cells.slice(0, -1).concat([P.text.place_reweighted]);
      return { key: r.key, href: r.href,
               cells: cells.concat([stored ? r.composite_t : fmtIndex(r.sort.composite)]) };
    });
    var status = "Showing " + rows.length + " of " + P.total + " official accounts · " +
      P.population_label + " · " + describe(q, P) + "." + (P.period_note || "");
    var shownText = (q.rows === "all" || sorted.length <= limit)
      ? "All " + sorted.length + " rows shown."
      : "The first " + q.rows + " of " + sorted.length + " rows are shown; choose 'All' to " +
        "see every row.";
    var heads = headlines(rows, P).map(function (s) {
      return { type: "Li", namespace: "dash_html_components", props: { children: s } };
    });
    var chart = P.chart_kind === "medians" ? medianChart(rows, P) : null;
    // Sorting, the rows shown and the weights leave the chart as it is: do not
    // make Plotly draw it again.
    var chartSig = chart ? JSON.stringify([P.chart.title, P.rows.length, P.population_label,
                                           P.period_t, rows.map(function (r) { return r.key; })])
                         : null;
    var sameChart = chart && trigger && chartSig === lastChart;
    lastChart = chartSig;
    if (sameChart) { chart = null; }
    var newSearch = searchOf(q, P);
    var weightsOut = trigger === "overview-weights-reset" ||
      (trigger && trigger.type === "overview-weight")
      ? P.metrics.map(function (m) { return w[m]; }) : P.metrics.map(function () { return nu; });
    return [heads, shown, status, shownText,
            chart ? chart.figure : nu, chart ? P.chart.title : nu, chart ? chart.summary : nu,
            newSearch === search ? nu : newSearch, weightsOut,
            // the server draws the curves: ask it only when they are shown and changed
            P.chart_kind === "medians" || newSearch === search ? nu : newSearch];
  };
})();
