"""Dashboard units without a browser: formats, figure builders and their text
alternatives, URL validation, redaction and pseudonyms, the read-only data
layer on a real store, page layouts and callback logic, the HTML report and
basic auth."""

from __future__ import annotations

import base64
import re

import duckdb
import pandas as pd
import pytest
from govwatch.dashboard import figures as F
from govwatch.dashboard.data import (
    DashboardData,
    Filters,
    Missing,
    Options,
    pseudonymise,
    query_values,
    redact,
    to_search,
    validate_filters,
)
from govwatch.dashboard.static_parts import thaw

from govwatch.errors import StoreError, UsageError


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def store_path(dashboard_store):
    return dashboard_store


@pytest.fixture(scope="module")
def app(dashboard_app):
    return dashboard_app


@pytest.fixture
def page(dashboard_page):
    """page('overview') -> the page module as the app loaded it, inside a request."""
    return dashboard_page


def _ids(component) -> set:
    """Every id in a component tree (string ids, and dict ids as sorted tuples), its
    static parts (dashboard/static_parts.py) included."""
    out = set()
    stack = [thaw(component)]
    while stack:
        c = stack.pop()
        if isinstance(c, list | tuple):
            stack.extend(c)
            continue
        if not hasattr(c, "to_plotly_json"):
            continue
        cid = getattr(c, "id", None)
        if isinstance(cid, str):
            out.add(cid)
        elif isinstance(cid, dict):
            out.add(tuple(sorted((k, v) for k, v in cid.items())))
        stack.append(getattr(c, "children", None))
    return out


def _text(component) -> str:
    parts = []
    stack = [thaw(component)]
    while stack:
        c = stack.pop()
        if isinstance(c, str):
            parts.append(c)
        elif isinstance(c, list | tuple):
            stack.extend(reversed(c))
        elif hasattr(c, "to_plotly_json"):
            stack.append(getattr(c, "children", None))
    return " ".join(parts)


# ------------------------------------------------------------------ formats
def test_median_format_with_ci_and_not_reached():
    assert F.fmt_median(3.24, 2.1, 5.0) == "3.2 h (2.1–5.0)"
    assert F.fmt_median(None, None, None, 240.4) == "> 240 h"
    assert F.fmt_median(59.2, 22.0, None) == "59 h (22–not reached)"
    assert F.fmt_median(None) == "–"


def test_rate_gap_and_hours_formats():
    assert F.fmt_rate(0.08) == "8.0%" and F.fmt_rate(0.443) == "44%" and F.fmt_rate(None) == "–"
    assert F.fmt_gap(0.12, 0.03, 0.21) == "+12 pts (+3 to +21)"
    assert F.fmt_hours(1672.2) == "1,672 h" and F.fmt_hours(0.3) == "18 min"
    assert F.fmt_hours(2.25) == "2.2 h" and F.fmt_hours(None) == "–"


# ------------------------------------------------------------------ figures
def _curve(points):
    return pd.DataFrame(points, columns=["hours", "survival", "ci_low", "ci_high"])


def test_km_chart_steps_colours_and_summary():
    a = _curve([(0, 1, 1, 1), (2, 0.6, 0.5, 0.7), (30, 0.4, 0.3, 0.5)]).assign(g="critical")
    b = _curve([(0, 1, 1, 1), (1, 0.2, 0.1, 0.3)]).assign(g="routine")
    chart = F.km_chart(pd.concat([a, b]), "g", {"critical": "Critical", "routine": "Routine"},
                       followup={"critical": 500.0, "routine": 500.0})
    lines = [t for t in chart.figure.data if t.mode == "lines"]
    assert [t.name for t in lines] == ["Critical", "Routine"]
    assert all(t.line.shape == "hv" for t in lines)
    assert lines[0].line.color == F.OKABE_ITO[0] and lines[1].line.dash != lines[0].line.dash
    assert "Critical: 40% still unanswered after 7 days" in chart.summary
    assert "Routine: 20% still unanswered after 7 days" in chart.summary
    assert chart.anchor == F.ANCHORS["latency"] and len(chart.data) == 5


def test_km_chart_empty_says_so():
    chart = F.km_chart(_curve([]).assign(g=[]), "g")
    assert "no messages" in chart.summary.lower()


def _board(**over):
    base = {"platform": ["x", "x", "x"], "author": ["fast", "slow", "tiny"],
            "institution": ["Ministry Fast", "Ministry Slow", "Ministry Tiny"],
            "display_name": ["Fast", "Slow", "Tiny"], "country": ["XA"] * 3,
            "level": ["national"] * 3, "messages": [100, 80, 3], "answered": [90, 4, 1],
            "answered_rate_7d": [0.9, 0.05, 0.33], "km_median_hours": [2.0, None, 1.0],
            "km_median_ci_low": [1.5, None, None], "km_median_ci_high": [3.0, None, None],
            "km_median_reached": [True, False, True], "max_followup_hours": [900.0, 950.0, 10.0],
            "naive_median_hours": [1.9, 30.0, 1.0], "too_few": [False, False, True],
            "selectivity_gap": [0.02, 0.3, None], "gap_ci_low": [-0.1, 0.1, None],
            "gap_ci_high": [0.1, 0.5, None], "gap_too_few": [False, False, None],
            "composite_index": [80.0, 10.0, None]}
    base.update(over)
    return pd.DataFrame(base)


def test_median_chart_marks_not_reached_and_leaves_out_too_few():
    chart = F.median_chart(_board(), min_n=10)
    names = {t.name: t for t in chart.figure.data}
    assert list(names["Median (95% CI)"].y) == ["Ministry Fast (x)"]
    assert list(names["Not reached: > follow-up"].text) == ["> 950 h"]
    assert "1 of 2 accounts" in chart.summary and "not reached" in chart.summary
    assert set(chart.data["official_author"]) == {"fast", "slow"}


def test_leaderboard_rows_show_too_few_and_link():
    rows = F.leaderboard_rows(_board(), lambda p, a: f"/account?platform={p}&author={a}")
    tiny = rows[2]
    assert tiny["rate_7d"] == "too few (n=3)" and tiny["median"] == "too few (n=3)"
    assert rows[1]["median"] == "> 950 h" and rows[0]["median"] == "2.0 h (1.5–3.0)"
    assert rows[0]["account"] == "Ministry Fast · @fast"
    assert rows[0]["_href"] == "/account?platform=x&author=fast"


def test_sort_board_puts_not_reached_after_reached():
    b = F.sort_board(_board(), "median", descending=False)
    assert list(b["author"]) == ["tiny", "fast", "slow"]
    b = F.sort_board(_board(), "rate_7d", descending=True)
    assert list(b["author"]) == ["fast", "tiny", "slow"]


def test_rate_chart_labels_too_few():
    df = pd.DataFrame({"slice_value": ["flood", "roads"], "answered_rate_7d": [0.1, 0.5],
                       "messages": [40, 2]})
    chart = F.rate_chart(df, "slice_value", "By topic", "topic", min_n=10)
    assert "too few (n=2)" in list(chart.figure.data[0].text)
    assert "flood" in chart.summary


def test_long_category_labels_are_cut_distinct_and_kept_whole_in_the_hover():
    from govwatch.dashboard import margins as M

    long = "Water supply and sanitation in informal settlements of the capital"
    twin = long.replace("capital", "coast")
    df = pd.DataFrame({"slice_value": [long, twin, "roads"], "answered_rate_7d": [0.1, 0.2, 0.5],
                       "messages": [40, 50, 60]})
    trace = F.rate_chart(df, "slice_value", "By topic", "topic", min_n=10).figure.data[0]
    assert all(M.text_px(v) <= M.MAX_LABEL_PX for v in trace.y)
    assert len(set(trace.y)) == 3 and "roads" in trace.y  # cut ones stay apart
    assert sorted(trace.hovertext) == sorted([long, twin, "roads"])
    assert "%{hovertext}" in trace.hovertemplate
    assert M.text_px("WWW") > M.text_px("iii") and M.text_px("中文") == 2 * M.FONT_PX


def test_account_charts_margins_come_from_their_labels():
    """The Account page's charts set their margins (automargin and the tick-label
    overflow check off): the left margin holds the widest y label and the axis title."""
    from govwatch.dashboard import margins as M
    from govwatch.dashboard.trends import series_chart

    weeks = pd.date_range("2026-01-05", periods=3, freq="7D", tz="UTC")
    curves = pd.DataFrame({"population": ["all"] * 3 + ["needs"] * 3,
                           "hours": [0.0, 5.0, 30.0] * 2, "survival": [1, 0.5, 0.2] * 2,
                           "ci_low": [1, 0.4, 0.1] * 2, "ci_high": [1, 0.6, 0.3] * 2})
    series = pd.DataFrame({
        "period_start": weeks, "period": ["w1", "w2", "w3"], "rate_status": ["ok"] * 3,
        "answered_rate_window": [0.5, 0.6, 0.7], "rate_ci_low": [0.4, 0.5, 0.6],
        "rate_ci_high": [0.6, 0.7, 0.8], "observed_window": [50, 60, 70],
        "median_status": ["ok"] * 3, "km_median_hours": [3.0, None, 2.0],
        "km_median_ci_low": [2.0, None, 1.0], "km_median_ci_high": [5.0, None, 4.0],
        "max_followup_hours": [100.0, 90.0, 80.0]})
    ranks = pd.DataFrame({"metric": ["answered_rate", "deflection_share"],
                          "percentile": [40.0, 70.0]})
    slices = pd.DataFrame({"slice_label": ["negative", "neutral"],
                           "answered_rate_7d": [0.3, 0.6], "messages": [40, 50]})
    charts = {
        "km": F.km_chart(curves, "population"),
        "trend": series_chart(series, "week"),
        "slices": F.rate_chart(slices, "slice_label", "By sentiment", "sentiment", min_n=10),
        "activity": F.activity_chart(pd.DataFrame({"week": weeks, "posts": [5, 12345, 9]}),
                                     None, None),
        "peers": F.percentile_chart(ranks),
    }
    for name, chart in charts.items():
        layout = chart.figure.layout
        axes = [*chart.figure.select_xaxes(), *chart.figure.select_yaxes()]
        assert axes and all(a.automargin is False and a.ticklabeloverflow == "allow"
                            for a in axes), name
        labels = {"km": ["100%"], "trend": ["90 days"], "activity": ["000k"],
                  "slices": ["negative"], "peers": ["Share of deflecting replies"]}[name]
        titled = name in ("km", "trend", "activity")
        assert layout.margin.l >= M.text_px(labels[0]) + (M.Y_TITLE if titled else 0), name
        assert layout.margin.b >= 50 and layout.margin.t >= 40, name
    assert charts["km"].figure.layout.margin.t == M.TOP_LEGEND  # two curves: a legend
    assert charts["peers"].figure.layout.margin.t == M.TOP


def test_activity_and_event_charts_describe_themselves():
    weekly = pd.DataFrame({"week": pd.date_range("2026-01-05", periods=3, freq="7D", tz="UTC"),
                           "posts": [5, 0, 9]})
    events = pd.DataFrame({"onset": [pd.Timestamp("2026-01-12", tz="UTC")], "name": ["Flood"]})
    chart = F.activity_chart(weekly, None, events)
    assert "14 posts over 3 weeks" in chart.summary and "1 weeks without a post" in chart.summary
    ack = pd.DataFrame({"label": ["A", "B"], "latency_hours": [5.0, None],
                        "censored": [False, True], "observed_hours": [100.0, 100.0],
                        "public_latency_hours": [0.5, 0.5]})
    ev = F.event_chart(ack, "Flood")
    assert "1 of 2 official accounts posted" in ev.summary and "30 min after onset" in ev.summary


def test_agenda_chart_finds_the_neglected_topic():
    mix = pd.DataFrame({"side": ["public", "public", "official", "official"],
                        "country": ["XA"] * 4, "topic": ["water", "festival"] * 2,
                        "posts": [80, 20, 10, 90]})
    chart = F.agenda_chart(mix)
    assert "water (80% of messages vs 10% of official posts)" in chart.summary


# ------------------------------------------------------------------ URL validation
OPTS = Options(countries=("XA", "XB"), levels=("national",), institutions=("Ministry A",),
               platforms=("x",), populations=("all",))


def test_unknown_filter_values_are_dropped_with_notes():
    f, notes = validate_filters({"country": ["XA", "ZZ'; DROP TABLE posts;--"],
                                 "population": "needs_response", "period": "1999"}, OPTS)
    assert f == Filters(country=("XA",), population="all")
    assert any("Ignored unknown country" in n for n in notes)
    assert any("Ignored unknown period" in n for n in notes)
    assert any("showing all inbound messages" in n for n in notes)


def test_overlong_and_too_many_values_are_bounded():
    values, notes = query_values({"c": ["x" * 500] + [f"v{i}" for i in range(80)]}, "c")
    assert len(values) == 50 and "over-long" in notes[0] and "first 50" in notes[1]
    assert to_search({"a": ["x:1", "y"], "b": "", "c": []}) == "?a=x%3A1&a=y"


# ------------------------------------------------------------------ personal data
def test_redaction_of_emails_phones_and_citizen_handles():
    text = ("@Ministry_Rail @ravi_k call +91 98765 43210 or mail ravi.k@example.org; "
            "train 12951 on 2026-01-05 at 09:30-18:00")
    out = redact(text, frozenset({"ministry_rail"}), lambda h: "p_" + h.lower()[:3])
    assert out.startswith("@Ministry_Rail @p_rav call [phone] or mail [email];")
    assert "train 12951 on 2026-01-05 at 09:30-18:00" in out


def test_pseudonyms_are_keyed_stable_and_case_insensitive():
    a = pseudonymise("Ravi_K", "key1", "x")
    assert a == pseudonymise("ravi_k", "key1", "x") and a.startswith("p_")
    assert a != pseudonymise("ravi_k", "key2", "x") and a != pseudonymise("ravi_k", "key1", "fb")


# ------------------------------------------------------------------ data layer
def test_data_layer_is_read_only_and_filters(store_path):
    d = DashboardData(store_path).open()
    try:
        opts = d.options()
        assert opts.countries and opts.populations
        xa = d.leaderboard(Filters(country=("XA",), population=opts.default_population))
        assert len(xa) and set(xa["country"]) == {"XA"}
        every = d.leaderboard(Filters(population=opts.default_population))
        assert len(every) == len(d.officials()) > len(xa)
        with pytest.raises(duckdb.Error):
            d.df("CREATE TABLE hack (x INT)")
        assert d.account("x", "no_such_account") is None
        assert d.account("x", "y" * 500) is None
        assert d.account(["x"], "a") is None
    finally:
        d.close()


def test_missing_derived_tables_come_back_as_missing(store_path):
    d = DashboardData(store_path)
    result = d.table("no_such_table")
    assert isinstance(result, Missing) and "no 'no_such_table' table" in result.message
    sel = d.selectivity_all("all")
    assert isinstance(sel, Missing) == (not d.columns("selectivity"))
    d.close()


def test_example_messages_show_no_citizen_handle(store_path):
    d = DashboardData(store_path)
    board = d.leaderboard(Filters(population=d.options().default_population))
    top = board.sort_values("messages").iloc[-1]
    ex = d.example_messages(top["platform"], top["author"], limit=50)
    citizens = set(d.df("SELECT lower(author) AS a FROM posts WHERE author NOT IN "
                        "(SELECT author FROM accounts WHERE official)")["a"])
    assert len(ex) == 50 and ex["author"].str.startswith("p_").all()
    handles = {h.lower() for t in ex["text"] for h in re.findall(r"@(\w+)", t)}
    assert not handles & citizens
    assert not ex["text"].str.contains(r"[\w.+-]+@[\w-]+\.\w", regex=True).any()
    d.close()


def test_figures_built_from_dicts_equal_plotly_built_ones_escaped():
    """build_figure escapes what escape_figure escapes, and the shapes vline and vrect
    write are those plotly's add_vline and add_vrect draw (on a two-panel figure too)."""
    import plotly.graph_objects as go
    import plotly.io as pio
    from plotly.subplots import make_subplots

    hostile = "<img src=x onerror=alert(1)> & %{y}"
    traces = [{"type": "bar", "x": [1, 2], "y": [hostile, "b"], "text": [hostile, "ok"],
               "hovertext": hostile, "name": hostile}]
    layout = {"title": {"text": hostile}, "legend": {"title": {"text": hostile}},
              "xaxis": {"title": {"text": hostile}},
              "yaxis": {"ticktext": [hostile], "tickvals": [1]},
              "annotations": [{"text": hostile, "x": 0, "y": 0}], "height": 300}
    fast = F.build_figure(traces, layout)
    slow = F.escape_figure(go.Figure({"data": traces,
                                      "layout": {"template": F._TEMPLATE, **layout}}))
    assert pio.to_json(fast) == pio.to_json(slow)
    assert "<img" not in pio.to_json(fast) and "%{y}" not in pio.to_json(fast)

    when = pd.Timestamp("2026-02-01", tz="UTC")
    fig = go.Figure()
    fig.add_vrect(x0=when, x1=when + pd.Timedelta(days=2), fillcolor="red", line_width=0,
                  layer="below")
    fig.add_vline(x=when, line={"color": "blue", "dash": "dot"})
    assert list(fig.layout.shapes) == list(go.Figure({"layout": {"shapes": [
        F.vrect(when, when + pd.Timedelta(days=2), fillcolor="red", line={"width": 0},
                layer="below"),
        F.vline(when, {"color": "blue", "dash": "dot"})]}}).layout.shapes)
    panels = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12)
    for row in (1, 2):  # (plotly draws a line only on panels with a trace, as the chart's)
        panels.add_trace(go.Scatter(x=[when], y=[1]), row=row, col=1)
    panels.add_vline(x=when, line_dash="dash", line_color="black")
    line = {"color": "black", "dash": "dash"}
    assert list(panels.layout.shapes) == list(go.Figure({"layout": {"shapes": [
        F.vline(when, line), F.vline(when, line, "x2", "y2")]}}).layout.shapes)


def test_series_chart_panels_are_make_subplots_panels():
    """The trend chart's two panels are laid out as plotly's make_subplots lays them."""
    from govwatch.dashboard.trends import series_chart
    from plotly.subplots import make_subplots

    df = pd.DataFrame({
        "period_start": pd.to_datetime(["2026-01-05", "2026-01-12"]), "period": ["w1", "w2"],
        "rate_status": ["ok", "ok"], "answered_rate_window": [0.5, 0.6],
        "rate_ci_low": [0.4, 0.5], "rate_ci_high": [0.6, 0.7], "observed_window": [50, 60],
        "median_status": ["ok", "ok"], "km_median_hours": [3.0, None],
        "km_median_ci_low": [2.0, None], "km_median_ci_high": [5.0, None],
        "max_followup_hours": [100.0, 90.0]})
    layout = series_chart(df, "week").figure.layout
    grid = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12).layout
    for axis in ("xaxis", "xaxis2", "yaxis", "yaxis2"):
        for prop in ("anchor", "domain", "matches", "showticklabels"):
            assert layout[axis][prop] == grid[axis][prop], (axis, prop)


def test_example_messages_equal_one_join_of_responses_and_posts(store_path):
    """The messages and texts read in two steps are those of one join of
    ``responses`` with ``posts``, in the same order."""
    d = DashboardData(store_path)
    board = d.leaderboard(Filters(population=d.options().default_population))
    for r in board.sort_values("messages").tail(3).to_dict("records"):
        ex = d.example_messages(r["platform"], r["author"], limit=30)
        joined = d.df(
            """SELECT r.message_id, p.text FROM responses r
               JOIN posts p ON p.platform = r.platform AND p.post_id = r.message_id
               WHERE r.platform = ? AND r.official_author = ?
               ORDER BY coalesce(r.critical, false) DESC,
                        coalesce(r.needs_response, false) DESC, r.observed_hours >= 168 DESC,
                        r.censored DESC, r.message_created_at DESC, r.message_id LIMIT 30""",
            [r["platform"], r["author"]])
        assert len(ex) == 30
        assert list(ex["message_id"]) == list(joined["message_id"])
        officials = d.official_handles(r["platform"])
        assert list(ex["text"]) == [
            redact(t, officials, lambda n, p=r["platform"]: d.pseudonym(p, n), r["platform"])
            for t in joined["text"]]
    d.close()


def test_example_messages_from_account_examples_equal_the_read_of_responses(
        store_path, monkeypatch):
    """The examples the analysis chose (``account_examples``) are, row for row and
    after redaction, those the page reads from ``responses`` and ``posts`` in a store
    without that table; more than the stored number come from ``responses``."""
    from govwatch.analysis.examples import EXAMPLES

    d, bare = DashboardData(store_path), DashboardData(store_path)
    assert d.has("account_examples", "rank", "text")
    monkeypatch.setattr(bare, "columns", lambda table: () if table == "account_examples"
                        else DashboardData.columns(d, table))
    board = d.leaderboard(Filters(population=d.options().default_population))
    for r in board.sort_values("messages").tail(4).to_dict("records"):
        for limit in (EXAMPLES, 3):
            got = d.example_messages(r["platform"], r["author"], limit=limit)
            pd.testing.assert_frame_equal(got, bare.example_messages(r["platform"], r["author"],
                                                                     limit=limit))
            assert len(got) == limit
    d.close()
    bare.close()


def test_pooled_chart_equals_the_one_plotly_builds():
    """The overview's series, built from dicts, is the figure plotly's object layer
    builds (add_trace, update_xaxes/yaxes, update_layout, add_vrect)."""
    import json

    import plotly.graph_objects as go
    import plotly.io as pio
    from govwatch.dashboard.trends import _rate_trace, pooled_chart

    df = pd.DataFrame({
        "period": ["2026-W02", "2026-W03", "2026-W04"],
        "period_start": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19"]),
        "observed_window": [40.0, 3.0, 55.0], "answered_rate_window": [0.5, 1.0, 0.25],
        "rate_ci_low": [0.35, 0.4, 0.15], "rate_ci_high": [0.65, 1.0, 0.38],
        "rate_status": ["ok", "too few", "ok"]})
    for shade in (None, ("2026-W03", "2026-01-12", "2026-01-19")):
        fast = pooled_chart(df, "week", 168.0, shade=shade).figure
        rated = df[df["rate_status"] == "ok"].assign(x=lambda f: f["period_start"])
        slow = F.new_figure()
        slow.add_trace(go.Scatter(_rate_trace(rated, 168.0)))
        slow.update_xaxes(type="date")
        slow.update_yaxes(title_text="Answered", tickformat=".0%", range=[0, 1.05])
        slow.update_layout(height=340, margin={"l": 10, "r": 10, "t": 40, "b": 40},
                           showlegend=False)
        if shade:
            slow.add_vrect(x0=pd.Timestamp(shade[1]).to_pydatetime(),
                           x1=pd.Timestamp(shade[2]).to_pydatetime(),
                           fillcolor=F.OKABE_ITO[6], opacity=0.15, line_width=0)
        assert json.loads(pio.to_json(fast)) == json.loads(pio.to_json(F.escape_figure(slow)))


def test_post_texts_found_when_the_times_given_are_wrong(store_path):
    d = DashboardData(store_path)
    rows = d.df("SELECT platform, post_id, text, created_at FROM posts "
                "WHERE text IS NOT NULL ORDER BY created_at LIMIT 3")
    platform = rows["platform"].iloc[0]
    rows = rows[rows["platform"] == platform]
    wrong = [pd.Timestamp("1990-01-01", tz="UTC")] * len(rows)
    for times in (list(rows["created_at"]), wrong, None):
        got = d.post_texts(platform, list(rows["post_id"]), times)
        assert got == dict(zip(rows["post_id"], rows["text"], strict=True))
    assert d.post_texts(platform, ["no-such-post"], wrong[:1]) == {}
    assert d.post_texts(platform, []) == {}
    d.close()


def test_missing_store_is_a_store_error(tmp_path):
    with pytest.raises(StoreError):
        DashboardData(tmp_path / "none.duckdb").open()


# ------------------------------------------------------------------ pages
def test_overview_layout_and_state_round_trip(page):
    ov = page("overview")
    tree = ov.layout(country=["XA", "nowhere"], sort="median", order="desc", chart="curves")
    ids = _ids(tree)
    assert {"overview-board", "overview-status", "overview-latency"} <= ids
    assert "Ignored unknown country 'nowhere'." in _text(tree)
    st = ov.state({"country": "XA", "sort": "median", "order": "desc", "chart": "curves"})
    assert st.search() == "?country=XA&sort=median&order=desc&chart=curves"
    assert ov.state(ov.state({}).query()) == ov.state({})


def test_overview_toggles_and_sort_change_the_query(page):
    ov = page("overview")
    base = ov.state({}).query()
    q = ov.next_query(base, {"type": "overview-opt", "name": "country", "value": "XB"})
    assert q["country"] == ["XB"]
    q = ov.next_query(q, {"type": "overview-opt", "name": "country", "value": "XB"})
    assert q["country"] == []
    q = ov.next_query(base, {"type": "overview-sort", "value": "messages"})
    assert (q["sort"], q["order"]) == ("messages", "asc")
    q = ov.next_query(q, {"type": "overview-sort", "value": "messages"})
    assert (q["sort"], q["order"]) == ("messages", "desc")
    q = ov.next_query(base, {"type": "overview-sopt", "name": "population", "value": "all"})
    assert ov.state(q).filters.population == "all"
    assert ov.state({"country": "XB"}).search() == "?country=XB"


def test_overview_payload_has_every_account_once(page):
    """The browser filters the payload: it must hold every official account (not
    just the filtered ones), display cells for every column but the index, and be
    plain JSON; the chart's points are keyed by account."""
    import json

    ov = page("overview")
    d = ov.data()
    p = ov.payload(ov.state({"country": "XB", "sort": "messages"}))
    json.dumps(p, allow_nan=False)
    keys = [r["key"] for r in p["rows"]]
    assert len(keys) == len(set(keys)) == len(d.officials()) == p["total"]
    assert {r["f"]["country"] for r in p["rows"]} == set(d.options().countries)
    assert all(len(r["cells"]) == len(F.LEADERBOARD_COLUMNS) - 1 for r in p["rows"])
    traces = p["chart"]["figure"]["data"]
    assert traces and all(isinstance(t["x"], list) and set(t["customdata"]) <= set(keys)
                          for t in traces)
    with_point = {r["key"] for r in p["rows"] if r["point"]}
    assert with_point == {k for t in traces for k in t["customdata"]}
    assert p["metrics"] == list(p["default_weights"]) and p["whole"]
    assert abs(sum(p["default_weights"].values()) - 100) < 0.01
    assert any(r["ranks"] for r in p["rows"])  # min peers 2: ranks exist
    period = d.options().periods[-1]
    assert not ov.payload(ov.state({"period": period}))["whole"]


def test_toggles_carry_what_the_client_needs(page):
    from govwatch.dashboard.pages._common import toggle_group

    group = toggle_group("p", "country", "Country", [("XA", "XA"), ("XB", "XB")], ["XB"],
                         multi=True)
    buttons = group.children[1].children
    assert [b.id["value"] for b in buttons] == ["*", "XA", "XB"]
    assert [getattr(b, "aria-pressed") for b in buttons] == ["false", "false", "true"]
    assert all(getattr(b, "data-toggle") == "country" and getattr(b, "data-multi") == "1"
               for b in buttons)
    single = toggle_group("p", "population", "Pop", [("needs_response", "N"), ("all", "A")],
                          "all", default="needs_response")
    assert [getattr(b, "data-default") for b in single.children[1].children] == ["1", "0"]
    client = toggle_group("p", "level", "Level", [("local", "local"), ("state", "state")],
                          ["state"], multi=True, kind="client")
    one = client.children[1]
    assert one.id == "p-level-toggles" and one.pressed == ["state"] and one.multi is True
    assert one.options == [["*", "All"], ["local", "local"], ["state", "state"]]


@pytest.mark.parametrize("name, query, expect", [
    ("account", {"platform": "x", "author": "avalor_railways"}, "Responsiveness"),
    ("account", {"platform": "x", "author": "<script>"}, "No official account matches"),
    ("account", {}, "Choose an official account"),
    ("events", {"event": "nope"}, "Events"),
    ("topics", {"country": ["XA", "??"]}, "Ignored unknown country '??'."),
    ("compare", {"a": ["x:avalor_railways", "x:belmora_transport", "x:ghost"]}, "Side by side"),
    ("compare", {"a": "x:avalor_railways"}, "Choose at least two accounts"),
    ("methodology", {}, "Methodology"),
])
def test_every_page_renders_from_its_query(page, name, query, expect):
    tree = page(name).layout(**query)
    assert expect in _text(tree)


def test_account_page_reads_each_per_account_table_once(page, monkeypatch):
    """An account page asks several questions of the same rows (metrics, every slice
    and the series, its curves): each table is read once, and what one question gets
    cannot change what the next one reads."""
    acc = page("account")
    d = acc.data()
    seen: list[str] = []
    real = type(d).df

    def counting(self, sql, params=None):
        seen.append(" ".join(sql.split()))
        return real(self, sql, params)

    def whole_page(author):  # the layout, and the rest its callback adds
        acc.layout(platform="x", author=author)
        for part in ("change", "activity"):
            acc.rest(f"?platform=x&author={author}", {"part": part})

    whole_page("avalor_railways")  # what a server reads once
    d._recent.clear()  # (other tests of this session read belmora_transport's rows)
    monkeypatch.setattr(type(d), "df", counting)
    whole_page("belmora_transport")
    tables = [m.group(1) for q in seen if (m := re.search(r"\bFROM \"?(\w+)", q))]
    for table in ("account_metrics", "slice_metrics", "km_curves", "before_after"):
        assert tables.count(table) <= 1, (table, tables)
    assert "slice_metrics" in tables and "account_metrics" in tables
    seen.clear()
    first = d.account_metrics("x", "belmora_transport")
    first["messages"] = -1
    assert (d.account_metrics("x", "belmora_transport")["messages"] >= 0).all()
    population = d.options().default_population
    assert d.slices("x", "belmora_transport", "topic", population)["slice_label"].notna().all()
    assert not seen  # answered from the rows read for the page


def test_compare_keeps_at_most_five_accounts(page):
    cmp = page("compare")
    d = page("overview").data()
    keys = [f"{r['platform']}:{r['author']}" for r in d.officials().to_dict("records")]
    chosen, _, notes = cmp.state({"a": keys})
    assert len(chosen) == 5 and any("at most 5" in n for n in notes)


def _tree(content):
    """A layout as plain data: each component its type and its props by name. Not
    ``str()``: Dash sets a component's ``data-*`` attributes in the order of a set of
    their names, so two equal components may print them in different orders."""
    from dash.development.base_component import Component

    if isinstance(content, list | tuple):
        return [_tree(x) for x in content]
    if isinstance(content, Component):
        props = content.to_plotly_json()["props"]
        return (type(content).__name__, {k: _tree(v) for k, v in sorted(props.items())})
    if isinstance(content, dict):
        return {k: _tree(v) for k, v in sorted(content.items())}
    return repr(content)


def _count(component) -> int:
    """Dash components in a tree (what the browser wakes on every state update)."""
    n, stack = 0, [component]
    while stack:
        c = stack.pop()
        if isinstance(c, list | tuple):
            stack.extend(c)
        elif hasattr(c, "to_plotly_json"):
            n += 1
            stack.append(getattr(c, "children", None))
    return n


def test_static_parts_are_one_component_and_thaw_back(page):
    """freeze() draws the elements no callback names with one component: the account
    page keeps its charts, download buttons and callback targets as Dash components,
    and thawed back it is the tree it was built from."""
    from dash import dcc, html
    from govwatch.dashboard.components import Static
    from govwatch.dashboard.static_parts import freeze

    acc = page("account")
    account = acc.resolve({"platform": "x", "author": "avalor_railways"})[0]
    built = acc.rest_of_page(account, "week", "change")
    before = _count(built)
    frozen = freeze(acc.rest_of_page(account, "week", "change"))
    assert isinstance(frozen, Static)
    assert _count(frozen) < before / 3, (_count(frozen), before)
    kept = {type(c).__name__ for c in frozen.children}
    assert {"Graph", "Button", "Download"} <= kept and "Td" not in kept and "H2" not in kept
    assert all(isinstance(b.id, dict) for b in frozen.children if isinstance(b, html.Button))
    assert _tree(thaw(frozen)) == _tree(built)
    # text is text; an id a callback reads or writes keeps its component; links stay links
    tree = html.Div([html.P("<b>x</b>", id="account-report-button"), html.Span("<i>y</i>"),
                     dcc.Link("m", href="/methodology#rate", className="method-link")])
    part = freeze(tree)
    assert part.tree["c"][1] == {"t": "span", "p": {}, "c": "<i>y</i>"}
    assert part.tree["c"][2] == {"t": "a", "l": 1, "c": "m", "p": {
        "href": "/methodology#rate", "className": "method-link"}}
    assert [c.id for c in part.children] == ["account-report-button"]
    assert _tree(thaw(freeze(tree))) == _tree(tree)
    # an attribute assets/static.js does not draw keeps the element a Dash component
    styled = freeze(html.Div([html.Span("a", style={"color": "red"}),
                              html.Span("b", **{"aria-label": "bee"})]))
    assert [type(c).__name__ for c in styled.children] == ["Span"]
    assert styled.tree["c"][1] == {"t": "span", "p": {"aria-label": "bee"}, "c": "b"}


def test_callback_ids_exist_in_the_page_layouts(app, page):
    """suppress_callback_exceptions is on (conditional layouts), so check ids here."""
    rendered = set()
    queries = {"overview": {}, "account": {"platform": "x", "author": "avalor_railways"},
               "events": {}, "topics": {}, "compare": {"a": ["x:avalor_railways",
                                                             "x:belmora_transport"]},
               "methodology": {}}
    for name, q in queries.items():
        rendered |= _ids(page(name).layout(**q))
    rendered |= _ids(app.layout())  # the shell (no page named: outside a request)
    for spec in app.callback_map.values():
        for dep in spec["inputs"] + spec.get("state", []):
            if not dep["id"].startswith("{") and not dep["id"].startswith("_pages"):
                if dep["id"] == "events-opt" or "events" in dep["id"]:
                    continue  # the events page has controls only when events exist
                assert dep["id"] in rendered, dep


def test_methodology_sections_and_fallback_anchors(page):
    meth = page("methodology")
    title, parts = meth.sections("# Method\n\nIntro\n\n## Response latency\n\nKM.\n"
                                 "```\n# not a heading\n```\n### Odd: name!\ntext")
    assert title == "Method" and [p[1] for p in parts] == [None, "Response latency", "Odd: name!"]
    ids = _ids(meth.render("# Method\n\n## Response latency\n\nKM.\n"))
    assert "response-latency" in ids and set(F.ANCHORS.values()) <= ids
    tree = meth.render("# M\n\n## 4. Response rate within W\n\nx\n\n## Response rate\n\ny\n"
                       "## 11. Benchmarks\n\nz\n")
    order = [getattr(c, "id", None) for c in tree if getattr(c, "id", None)]
    assert order[:5] == ["4-response-rate-within-w", "response-rate", "response-rate-2",
                         "11-benchmarks", "benchmarks-and-composite-index"]


def test_csv_download_payload(page):
    from govwatch.dashboard.pages._common import make_download

    payload = make_download(page("overview").download_item("board", {"country": "XA"}),
                            "csv", "govwatch-overview-board")
    frame = pd.read_csv(__import__("io").StringIO(payload["content"]))
    assert payload["filename"] == "govwatch-overview-board.csv"
    assert set(frame["country"]) == {"XA"} and "km_median_hours" in frame


def test_vendored_plotly_bundle_matches_the_plotly_package():
    """The charts run on the vendored basic bundle: it must be the plotly.js
    version the installed plotly package writes figures for."""
    from pathlib import Path

    import govwatch.dashboard
    from plotly.offline import get_plotlyjs_version

    bundle = Path(govwatch.dashboard.__file__).parent / "assets" / "plotly-basic.min.js"
    head = bundle.read_text("utf-8")[:200]
    assert f"plotly.js (basic - minified) v{get_plotlyjs_version()}" in head, (
        "update dashboard/assets/plotly-basic.min.js from the npm package "
        f"plotly.js-basic-dist-min@{get_plotlyjs_version()}")


# ------------------------------------------------------------------ report and serving
def test_report_is_self_contained_and_pseudonymous(store_path, tmp_path):
    from govwatch.dashboard.report import write_report

    out = write_report(store_path, "x", "avalor_railways", tmp_path / "r.html")
    text = out.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Ministry of Railways" in text
    assert text.count("plotly.js (basic - minified)") == 1 and len(text) < 2_000_000
    assert not re.search(r"<script[^>]+src=", text) and "Compared with peers" in text
    assert not re.search(r"<link[^>]+href=\"http", text)
    with pytest.raises(UsageError):
        write_report(store_path, "x", "nobody", tmp_path / "n.html")


def test_basic_auth_from_env(store_path):
    from govwatch.dashboard.serve import auth_from_env, build_server

    assert auth_from_env({}) is None
    with pytest.raises(UsageError):
        auth_from_env({"GOVWATCH_DASH_USER": "u"})
    server = build_server(store_path, auth_from_env(
        {"GOVWATCH_DASH_USER": "watch", "GOVWATCH_DASH_PASSWORD": "s3cret"}))
    client = server.test_client()
    assert client.get("/_dash-layout").status_code == 401
    bad = base64.b64encode(b"watch:nope").decode()
    assert client.get("/", headers={"Authorization": f"Basic {bad}"}).status_code == 401
    good = base64.b64encode(b"watch:s3cret").decode()
    assert client.get("/_dash-layout", headers={"Authorization": f"Basic {good}"}).status_code \
        == 200
