"""Names with HTML render as text in every chart: institutions named
``<a href="https://evil.example">official link</a>`` and ``<b>x</b>``, and an event
whose name carries a link and a ``%{...}`` template, shown by the real server in
headless Chromium: no link or bold text comes from them in any chart (axis labels,
legends, hover labels), and the names are visible as typed."""

from __future__ import annotations

import csv

import pytest
from browser_support import (
    chromium,
    page_with_errors,
    require_browser,
    running_server,
    wait_rendered,
)

pytestmark = pytest.mark.browser

EVIL_A = '<a href="https://evil.example">official link</a>'
EVIL_B = "<b>x</b>"
EVIL_EVENT = '<a href="https://evil.example">derailment</a> %{x}'

PAGES = [
    "/",
    "/?chart=curves",
    "/account?platform=x&author=avalor_railways",
    "/account?platform=x&author=belmora_transport",
    "/events",
    "/events?event=ev01",
    "/topics",
    "/compare?a=x:avalor_railways&a=x:belmora_transport",
]

# Every chart of the page: its SVG links and bold runs, and its text, after a hover
# on the first point of every trace (hover labels exist only while shown; Plotly
# takes one hover per 50 ms).
INSPECT = """async () => {
    const out = {charts: 0, links: [], bold: [], text: ''};
    for (const gd of document.querySelectorAll('.js-plotly-plot')) {
        out.charts += 1;
        const seen = () => {
            gd.querySelectorAll('svg a').forEach(a => out.links.push(a.outerHTML));
            gd.querySelectorAll('tspan').forEach(t => {
                if ((t.getAttribute('style') || '').includes('bold')) {
                    out.bold.push(t.textContent); }
            });
            gd.querySelectorAll('svg text').forEach(t => { out.text += t.textContent + '\\n'; });
        };
        seen();
        const traces = gd.data || [];
        for (let i = 0; i < traces.length; i++) {
            const trace = traces[i];
            const n = Array.isArray(trace.x) ? trace.x.length : 0;
            if (!n || trace.hoverinfo === 'skip') { continue; }
            const first = trace.x.findIndex(v => v !== null);
            if (first < 0) { continue; }
            await new Promise(r => setTimeout(r, 80));
            // the trace's own subplot (a chart of two panels has x2y2 beside xy)
            Plotly.Fx.hover(gd, [{curveNumber: i, pointNumber: first}],
                            (trace.xaxis || 'x') + (trace.yaxis || 'y'));
            seen();
        }
        Plotly.Fx.unhover(gd);
    }
    return out;
}"""


def _hostile_store(folder):
    from govwatch.analysis.pipeline import run_analysis
    from govwatch.analysis.settings import build
    from govwatch.ingest.events import load_events
    from govwatch.ingest.pipeline import import_paths
    from govwatch.sample_data.generate import write

    from govwatch.store import Store

    files = write(folder / "csv", seed=7, scale=0.15)
    rename = {"avalor_railways": EVIL_A, "belmora_transport": EVIL_B}
    for key, column, match, values in (("accounts", "institution", "author", rename),
                                       ("events", "name", "event_id", {"ev01": EVIL_EVENT})):
        with open(files[key], encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        for r in rows:
            if r[match] in values:
                r[column] = values[r[match]]
                if "display_name" in r:
                    r["display_name"] = values[r[match]]
        with open(files[key], "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    path = folder / "store.duckdb"
    with Store(path) as store:
        assert import_paths(store, [files["accounts"]], kind="accounts").rejected == 0
        assert import_paths(store, [files["posts"]]).rejected == 0
        load_events(store, files["events"])
        run_analysis(store, build(min_peers=2))
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    require_browser()
    store = _hostile_store(tmp_path_factory.mktemp("hostile-names"))
    with running_server(store) as base, chromium() as context:
        yield base, context


def test_names_with_html_render_as_text_in_every_chart(site):
    base, context = site
    page, errors = page_with_errors(context)
    texts, charts = [], 0
    for path in PAGES:
        page.goto(base + path)
        wait_rendered(page)
        got = page.evaluate(INSPECT)
        assert not got["links"], (path, got["links"])
        assert not got["bold"], (path, got["bold"])
        assert "evil.example" not in page.evaluate(
            "[...document.querySelectorAll('a')].map(a => a.href).join(' ')"), path
        charts += got["charts"]
        texts.append(got["text"])
    page.close()
    assert not errors, errors
    shown = "\n".join(texts)
    assert charts >= len(PAGES)
    # the names are visible as typed (axis labels, legends, hover labels)
    for name in (EVIL_A, EVIL_B, EVIL_EVENT):
        assert name in shown, (name, shown[-3000:])
