"""Outage windows on the dashboard: the Account page's activity chart and the Events page's
acknowledgement chart shade the periods a platform was unreachable in the account's country
(source and scope in the hover, escaped), and clocks that span an outage are flagged (the
event chart's markers, the example messages' response column). The browser test drives
Debian's Chromium against the real server on the demo store (sample_data/stories.py's
blocked-Telegram week)."""

from __future__ import annotations

import pandas as pd
import pytest
from browser_support import (
    axe_violations,
    chromium,
    page_with_errors,
    require_browser,
    running_server,
    screenshot,
    wait_rendered,
)
from govwatch.dashboard import outage_marks
from govwatch.dashboard.figures import activity_chart, event_chart
from govwatch.sample_data import stories

from govwatch.demo import build_demo

HOSTILE = "<img src=x onerror=alert(1)> %{y} & co"
OUTAGE = {"outage_id": "o1", "country": "XC", "region": "<b>North</b>", "scope": "telegram",
          "kind": "service-based", "source": HOSTILE,
          "start": pd.Timestamp("2026-02-09 18:00", tz="UTC"),
          "end": pd.Timestamp("2026-02-15 18:00", tz="UTC"), "ongoing": False,
          "platforms": "telegram"}


def _outage_traces(fig):
    return [t for t in fig.data if t.name == outage_marks.NAME]


def test_activity_chart_shades_outages_with_source_and_scope_escaped():
    weekly = pd.DataFrame({"week": pd.date_range("2026-01-05", periods=10, freq="7D", tz="UTC"),
                           "posts": [30] * 5 + [4] + [30] * 4})
    plain = activity_chart(weekly, None, None)
    chart = activity_chart(weekly, None, None, outages=pd.DataFrame([OUTAGE]))
    assert not _outage_traces(plain.figure) and not plain.figure.layout.shapes
    (trace,) = _outage_traces(chart.figure)
    assert list(trace.x) == [OUTAGE["start"], OUTAGE["end"]]
    label, source = trace.text[0], trace.hovertext[0]
    assert "telegram unreachable in XC" in label and "09 Feb 2026 18:00" in label
    assert "<" not in label and "&lt;b>North&lt;/b>" in label  # the region cannot render
    assert source == "Source: &lt;img src=x onerror=alert(1)> %&#123;y} &amp; co"
    assert "%{text}" in trace.hovertemplate and HOSTILE not in trace.hovertemplate
    (shape,) = chart.figure.layout.shapes
    assert (pd.Timestamp(shape.x0), pd.Timestamp(shape.x1)) == (OUTAGE["start"], OUTAGE["end"])
    assert "1 outage window" in chart.summary


def test_event_chart_flags_first_posts_whose_clock_spans_an_outage():
    onset = pd.Timestamp("2026-02-09 05:00", tz="UTC")
    ack = pd.DataFrame({
        "label": ["Ministry A (@a_tg)", "Ministry B (@b_x)", "Ministry C (@c_tg)"],
        "official_author": ["a_tg", "b_x", "c_tg"], "censored": [False, False, True],
        "latency_hours": [166.0, 3.0, None], "observed_hours": [800.0, 800.0, 800.0],
        "public_latency_hours": [0.5, 0.5, 0.5], "outage_hours": [144.0, None, 144.0],
        "latency_hours_outside_outages": [22.0, None, None]})
    chart = event_chart(ack, "Protests", pd.DataFrame([OUTAGE]), onset=onset)
    names = {t.name: t for t in chart.figure.data}
    flagged = names["First post, clock spans an outage"]
    assert list(flagged.y) == ["Ministry A (@a_tg)"]
    assert flagged.text[0] == "144 h of it while the platform was unreachable; 22 h without " \
        "the outage"
    assert list(names["Official's first post"].y) == ["Ministry B (@b_x)"]
    (shape,) = chart.figure.layout.shapes[-1:]
    assert shape.x0 == pytest.approx(13.0) and shape.x1 == pytest.approx(157.0)
    assert "1 of them only after an outage" in chart.summary
    # an outage that ended before the onset is not drawn
    early = dict(OUTAGE, start=onset - pd.Timedelta(days=3), end=onset - pd.Timedelta(hours=1))
    assert not _outage_traces(event_chart(ack, "P", pd.DataFrame([early]), onset=onset).figure)


def test_spans_note():
    assert outage_marks.spans_note(None) == outage_marks.spans_note(0.0) == ""
    assert outage_marks.spans_note(71.55) == " (72 h of it during an outage)"
    assert outage_marks.spans_note(2.25) == " (2.2 h of it during an outage)"


# -- the browser -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    require_browser()
    db = tmp_path_factory.mktemp("dash-outages") / "demo.duckdb"
    build_demo(db)
    return db


def _figure(page, graph_id: str) -> dict:
    return page.evaluate("""(id) => {
        const gd = document.querySelector('#' + id + ' .js-plotly-plot');
        return {traces: gd.data.map(t => ({name: t.name, y: t.y, text: t.text,
                                           hovertext: t.hovertext})),
                shapes: (gd.layout.shapes || []).map(s => ({x0: s.x0, x1: s.x1}))};
    }""", graph_id)


def _hover_text(page, graph_id: str, trace_name: str) -> str:
    """Hover the first point of the named trace and return the hover label's text."""
    return page.evaluate("""([id, name]) => {
        const gd = document.querySelector('#' + id + ' .js-plotly-plot');
        const i = gd.data.findIndex(t => t.name === name);
        Plotly.Fx.hover(gd, [{curveNumber: i, pointNumber: 0}]);
        return gd.querySelector('.hoverlayer').textContent;
    }""", [graph_id, trace_name])


@pytest.mark.browser
def test_outage_windows_are_shaded_and_spanning_clocks_flagged(demo_store):
    block = stories.BLOCK
    with running_server(demo_store) as base, chromium() as context:
        page, errors = page_with_errors(context)
        page.goto(base + "/account?platform=telegram&author=cordania_health_tg")
        wait_rendered(page)
        fig = _figure(page, "account-graph-activity")
        outage = [t for t in fig["traces"] if t["name"] == outage_marks.NAME]
        assert len(outage) == 1
        assert (block[0], block[1]) in [(pd.Timestamp(s["x0"]), pd.Timestamp(s["x1"]))
                                        for s in fig["shapes"]]
        hover = _hover_text(page, "account-graph-activity", outage_marks.NAME)
        assert "telegram unreachable in XC, 09 Feb 2026 18:00 - 15 Feb 2026 18:00 UTC" in hover
        assert "Source: SYNTHETIC sample" in hover
        assert "outage window (platform unreachable in the account's country) shaded" in \
            page.inner_text("main")
        facts = page.inner_text("#account-activity-facts")  # the block, not a quiet account
        assert "144 h of it while the platform was unreachable in its country; longest " \
            "silence outside outages 31 h" in facts
        rows = page.locator("#account-table-examples tbody tr").all_inner_texts()
        assert any("of it during an outage" in r for r in rows)
        screenshot(page, "page-account-outage")

        # the channel that went quiet on its own: a silence of its own, no outage in it
        page.goto(base + "/account?platform=telegram&author=verenask_city_tg")
        wait_rendered(page)
        facts = page.inner_text("#account-activity-facts")
        assert "Longest silence 186 h" in facts and "unreachable" not in facts

        # an X account of the same country: Telegram's outage is not its own
        page.goto(base + "/account?platform=x&author=cordania_gov")
        wait_rendered(page)
        assert not [t for t in _figure(page, "account-graph-activity")["traces"]
                    if t["name"] == outage_marks.NAME]

        page.goto(base + "/events?event=ev06")
        wait_rendered(page)
        fig = _figure(page, "events-graph-event")
        flagged = [t for t in fig["traces"] if t["name"] == "First post, clock spans an outage"]
        assert len(flagged) == 1 and len(flagged[0]["y"]) == len(stories.CHANNELS)
        assert all("_tg)" in y for y in flagged[0]["y"])
        assert [t for t in fig["traces"] if t["name"] == outage_marks.NAME]
        hover = _hover_text(page, "events-graph-event", "First post, clock spans an outage")
        assert "144 h of it while the platform was unreachable" in hover
        assert "only after an outage that kept their platform unreachable" in \
            page.inner_text("main")
        assert not axe_violations(page)
        screenshot(page, "page-events-outage")
        assert not errors, errors
