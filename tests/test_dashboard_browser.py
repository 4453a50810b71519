"""The dashboard in a real headless Chromium (Debian's, driven by Playwright)
against the real server and a store built through the real pipeline: every page
renders and passes an axe-core scan, filters and sorting change what is shown
and the URL, a deep link restores its view, the composite index's weights
reorder the leaderboard (and travel in the link), business-clock figures show
(or say "not available"), the keyboard works, downloads give real CSV, PNG and
HTML files, and methodology links land on their section.

Screenshots of every page go to tests/artifacts/ (not committed). Skips when
/usr/bin/chromium is absent unless GOVWATCH_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from browser_support import (
    axe_violations,
    build_store,
    chromium,
    require_browser,
    running_server,
    screenshot,
    wait_rendered,
)

pytestmark = pytest.mark.browser

PAGES = {
    "overview": ("/", "Who answers the public, and how fast"),
    "account": ("/account?platform=x&author=avalor_railways", "Ministry of Railways"),
    "events": ("/events", "Events"),
    "topics": ("/topics", "Topics"),
    "compare": ("/compare?a=x:avalor_railways&a=x:belmora_transport&a=facebook:PortMarinCity",
                "Compare accounts"),
    "methodology": ("/methodology", "Methodology"),
    "accounts": ("/account", "Accounts"),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    require_browser()
    from govwatch.analysis.settings import build

    # the sample's peer groups are small: rank among two or more peers, so that
    # the composite index exists and its weights can be tried
    # a change date, so that the account page has a before/after comparison to show
    return build_store(tmp_path_factory.mktemp("dash-browser") / "store.duckdb", scale=0.15,
                       settings=build(min_peers=2, change__dates=("2026-02-15",)))


@pytest.fixture(scope="module")
def site(store):
    with running_server(store) as base, chromium() as context:
        yield base, context


@pytest.fixture
def page(site):
    base, context = site
    p = context.new_page()
    errors: list[str] = []
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.base = base
    yield p
    p.close()
    assert not errors, errors


def open_page(page, path: str):
    page.goto(page.base + path)
    wait_rendered(page)
    return page


def status(page) -> str:
    return page.inner_text("#overview-status")


def toggle(page, group: str, name: str):
    return page.locator(f"fieldset:has(legend:text-is('{group}'))").get_by_role(
        "button", name=name, exact=True)


def board_rows(page) -> list[list[str]]:
    return [[c.strip() for c in r.split("\t")]
            for r in page.locator("#overview-board-body tr").all_inner_texts()]


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_and_passes_axe(page, name):
    path, heading = PAGES[name]
    open_page(page, path)
    assert heading in page.inner_text("main h1")
    if name in ("overview", "account", "compare"):
        assert page.locator(".dash-graph .main-svg").count() >= 1
        assert page.locator("figcaption").first.inner_text().strip()
    screenshot(page, f"page-{name}")
    violations = axe_violations(page)
    assert not violations, violations


def test_filters_change_the_view_and_a_deep_link_restores_it(page):
    open_page(page, "/")
    total = int(re.search(r"of (\d+) official", status(page)).group(1))
    assert status(page).startswith(f"Showing {total} of {total}")
    toggle(page, "Country", "XB").click()
    page.wait_for_function(
        "document.querySelector('#overview-status').textContent.includes('country XB')")
    shown = int(re.search(r"Showing (\d+) of", status(page)).group(1))
    assert 0 < shown < total
    rows = board_rows(page)
    assert len(rows) == shown and {r[1] for r in rows} == {"XB"}
    page.wait_for_url(re.compile(r"\?country=XB$"))
    assert toggle(page, "Country", "XB").get_attribute("aria-pressed") == "true"
    link, before = page.url, status(page)
    fresh = page.context.new_page()
    try:
        fresh.goto(link)
        wait_rendered(fresh)
        assert fresh.inner_text("#overview-status") == before
        assert [[c.strip() for c in r.split("\t")] for r in
                fresh.locator("#overview-board-body tr").all_inner_texts()] == rows
        assert toggle(fresh, "Country", "XB").get_attribute("aria-pressed") == "true"
    finally:
        fresh.close()
    toggle(page, "Country", "All").click()
    page.wait_for_function(
        "!document.querySelector('#overview-status').textContent.includes('country XB')")
    page.wait_for_url(re.compile(r"/$"))


def test_sorting_by_a_column_heading(page):
    open_page(page, "/")
    page.get_by_role("button", name="Messages", exact=True).click()
    page.wait_for_selector("th[aria-sort='ascending'] >> text=Messages")
    counts = [int(r[4].replace(",", "")) for r in board_rows(page)]
    assert counts == sorted(counts)
    page.get_by_role("button", name="Messages", exact=True).click()
    page.wait_for_selector("th[aria-sort='descending'] >> text=Messages")
    counts = [int(r[4].replace(",", "")) for r in board_rows(page)]
    assert counts == sorted(counts, reverse=True)
    page.wait_for_url(re.compile(r"\?sort=messages&order=desc$"))


def test_keyboard_only_use(page):
    open_page(page, "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    button = toggle(page, "Level", "national")
    button.focus()
    page.keyboard.press("Space")
    page.wait_for_function(
        "document.querySelector('#overview-status').textContent.includes('level national')")
    assert button.get_attribute("aria-pressed") == "true"
    assert page.evaluate("document.activeElement.textContent") == "national"


def test_downloads_give_csv_and_png(page):
    open_page(page, "/?country=XA")
    board = page.locator("section:has(#overview-board)")
    with page.expect_download() as dl:
        board.get_by_role("button", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(dl.value.path(), encoding="utf-8").read())))
    assert dl.value.suggested_filename == "govwatch-overview-board.csv"
    assert rows and {r["country"] for r in rows} == {"XA"} and "km_median_hours" in rows[0]
    chart = page.locator("#overview-latency section")
    with page.expect_download(timeout=60_000) as dl:
        chart.get_by_role("button", name="Download PNG").click()
    data = open(dl.value.path(), "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert dl.value.suggested_filename == "govwatch-overview-chart.png"


def test_account_link_report_and_methodology_anchor(page):
    open_page(page, "/")
    first = page.locator("#overview-board-body tr a").first
    name = first.inner_text().split(" · ")[0]
    page.evaluate("window.__same_page = true")  # gone if the link loaded a new page
    first.click()
    page.wait_for_url(re.compile(r"/account\?platform=.+&author=.+"))
    wait_rendered(page, "#account-name")
    assert page.inner_text("#account-name") == name
    assert page.evaluate("window.__same_page === true")  # the table's link moved in the app
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download HTML report").click()
    report = open(dl.value.path(), encoding="utf-8").read()
    assert report.startswith("<!DOCTYPE html>") and name in report
    page.evaluate("window.__same_page = true")  # gone if the link loaded a new page
    page.locator("#account-title-km ~ div a.method-link, section:has(#account-title-km) "
                 "a.method-link").first.click()
    page.wait_for_url(re.compile(r"/methodology#response-latency$"))
    page.wait_for_selector("#response-latency")
    # the link is drawn in a static part (dashboard/static_parts.py): it moves inside
    # the app as dcc.Link does, without loading the page again
    assert page.evaluate("window.__same_page === true")
    page.wait_for_function("""() => { const r = document.getElementById('response-latency')
        .getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }""")


def test_compare_builds_up_from_toggles(page):
    open_page(page, "/compare")
    assert "Choose at least two" in page.inner_text("#compare-results")
    toggle(page, "Accounts", "Ministry of Railways (@avalor_railways, x)").click()
    toggle(page, "Accounts", "Ministry of Transport (@belmora_transport, x)").click()
    page.wait_for_selector("#compare-table-table")
    page.wait_for_url(re.compile(r"\?a=x%3Aavalor_railways&a=x%3Abelmora_transport$"))
    header = page.locator("#compare-table-table thead").inner_text()
    assert "Ministry of Railways" in header and "Ministry of Transport" in header
    page.wait_for_selector("#compare-graph-curves .main-svg")


# ------------------------------------------------------------------ composite weights
def composite_column(page) -> list[tuple[str, str]]:
    """(account handle, composite cell) of every leaderboard row, in order."""
    return [(r[0].split("@")[-1], r[-1]) for r in board_rows(page)]


def same_index(shown: list[tuple[str, str]], values: list) -> None:
    """The composite cells show the expected values (whole numbers, with the stored
    index's interval after them; "–" for none)."""
    assert len(shown) == len(values)
    for (_, cell), v in zip(shown, values, strict=True):
        assert (cell == "–") if v is None else \
            abs(int(cell.split(" ")[0]) - v) <= 0.5 + 1e-9, (cell, v)


def expected_order(store, weights: dict, population: str = "needs_response"):
    """Handles by the composite index of ``weights`` from the stored ranks, best
    first, accounts without an index last (leaderboard order among equals)."""
    from govwatch.dashboard.composite import composite_index
    from govwatch.dashboard.data import DashboardData, Filters

    d = DashboardData(store)
    try:
        board = d.leaderboard(Filters(population=population))
        comp = composite_index(d.index_ranks(population), weights, d.index_min_share())
        b = board.drop(columns=["composite_index"]).merge(comp, on=["platform", "author"],
                                                          how="left")
        b = b.sort_values("composite_index", ascending=False, na_position="last",
                          kind="stable")
        return list(b["author"]), [None if v != v else float(v) for v in b["composite_index"]]
    finally:
        d.close()


def one_metric_weights(store) -> dict:
    """URL weights that put everything on the first metric that changes the order."""
    from govwatch.dashboard.composite import as_percent
    from govwatch.dashboard.data import DashboardData

    d = DashboardData(store)
    defaults = as_percent(d.index_weights())
    d.close()
    base, _ = expected_order(store, defaults)
    for metric in defaults:
        w = {m: (100.0 if m == metric else 0.0) for m in defaults}
        if expected_order(store, w)[0] != base:
            return w
    raise AssertionError("no single-metric weighting changes the order")


def test_weights_change_the_order_and_a_deep_link_restores_them(page, store):
    from govwatch.dashboard.composite import as_percent
    from govwatch.dashboard.data import DashboardData

    d = DashboardData(store)
    defaults = as_percent(d.index_weights())
    d.close()
    open_page(page, "/?sort=composite&order=desc&rows=all")
    order, values = expected_order(store, defaults)
    assert [h for h, _ in composite_column(page)] == order
    same_index(composite_column(page), values)
    assert any(v is not None for v in values)

    weights = one_metric_weights(store)
    page.locator("summary", has_text="Composite index weights").click()
    for metric, value in weights.items():
        box = page.locator(f"#overview-weights input[id*='{metric}']")
        box.fill(f"{value:g}")
        box.press("Enter")
    new_order, new_values = expected_order(store, weights)
    assert new_order != order
    page.wait_for_function(
        "(want) => [...document.querySelectorAll('#overview-board-body tr td:first-child')]"
        ".map(td => td.textContent.split('@').pop()).join(',') === want",
        arg=",".join(new_order))
    same_index(composite_column(page), new_values)
    assert "w_" in page.url and "sort=composite" in page.url
    screenshot(page, "overview-weights")
    violations = axe_violations(page)
    assert not violations, violations

    link = page.url
    fresh = page.context.new_page()
    try:
        fresh.goto(link)
        wait_rendered(fresh, "#overview-board-body tr")
        assert [h for h, _ in composite_column(fresh)] == new_order
        assert fresh.locator("#overview-weights").get_attribute("open") is not None
        for metric, value in weights.items():
            assert float(fresh.locator(f"#overview-weights input[id*='{metric}']")
                         .input_value()) == value
    finally:
        fresh.close()

    page.get_by_role("button", name="Reset to default weights").click()
    page.wait_for_function("!window.location.search.includes('w_')")
    page.wait_for_function(
        "(want) => [...document.querySelectorAll('#overview-board-body tr td:first-child')]"
        ".map(td => td.textContent.split('@').pop()).join(',') === want",
        arg=",".join(order))
    first = next(iter(defaults))
    assert float(page.locator(f"#overview-weights input[id*='{first}']").input_value()) == \
        defaults[first]


def test_bad_weights_in_a_link_are_ignored_with_a_note(page):
    open_page(page, "/?w_answered_rate=-5&w_bogus=3")
    text = page.inner_text("#overview-notes")
    assert "Ignored the weight of answered_rate" in text and "unknown metric 'bogus'" in text
    page.wait_for_url(re.compile(r"/$"))


def test_filters_headlines_and_chart_follow_the_browser_filter(page):
    open_page(page, "/")
    summary = page.inner_text("#overview-summary-chart")
    heads = page.inner_text("#overview-headlines")
    toggle(page, "Country", "XB").click()
    page.wait_for_function(
        "document.querySelector('#overview-status').textContent.includes('country XB')")
    page.wait_for_function(
        "(s) => document.querySelector('#overview-summary-chart').textContent !== s",
        arg=summary)
    # the full names (the axis cuts long ones short)
    labels = page.evaluate("document.querySelector('#overview-graph-chart .js-plotly-plot')"
                           ".data.flatMap(t => t.hovertext)")
    rows = board_rows(page)
    institutions = {r[0].split(" · ")[0] for r in rows}
    assert labels and {lab.rsplit(" (", 1)[0] for lab in labels} <= institutions
    now = page.inner_text("#overview-headlines")
    named = set(re.findall(r"\(@(\w+), ", now))
    assert now != heads and named and named <= {r[0].split("@")[-1] for r in rows}
    toggle(page, "Messages counted", "All inbound messages").click()
    page.wait_for_function(
        "document.querySelector('#overview-status').textContent.includes('All inbound')")
    assert "country XB" in status(page)
    page.wait_for_url(re.compile(r"\?country=XB&population=all$"))


def test_every_headline_follows_the_period_filter(page):
    """Choosing a period changes every headline: each says the period it covers and
    the critical-reports one counts that period's reports, not the whole observation's."""
    open_page(page, "/")
    before = page.locator("#overview-headlines li").all_inner_texts()
    crit = [h for h in before if "critical reports" in h]
    assert len(before) >= 3 and crit
    whole_n = int(re.search(r"of ([\d,]+) critical reports", crit[0]).group(1).replace(",", ""))
    toggle(page, "Period", "2026-02").click()
    page.wait_for_function(
        "document.querySelector('#overview-status').textContent.includes('2026-02')")
    page.wait_for_function(
        "(old) => [...document.querySelectorAll('#overview-headlines li')]"
        ".every(li => !old.includes(li.textContent))", arg=before)
    after = page.locator("#overview-headlines li").all_inner_texts()
    assert after and all("2026-02" in h for h in after), after
    assert not set(after) & set(before)
    crit_after = [h for h in after if "critical reports" in h]
    assert crit_after, after
    month_n = int(re.search(r"of ([\d,]+) critical reports", crit_after[0]).group(1)
                  .replace(",", ""))
    assert month_n < whole_n
    page.wait_for_url(re.compile(r"period=2026-02"))


# ------------------------------------------------------------------ business clock
def test_business_clock_on_account_and_compare(page):
    open_page(page, "/account?platform=x&author=belmora_transport")
    table = page.locator("#account-table-business")
    text = table.inner_text()
    assert "office h" in text and "not available" not in text
    assert "Office hours Mon-Fri 08:00-16:00" in page.inner_text("main")
    screenshot(page, "account-business-hours")
    open_page(page, "/account?platform=x&author=avalor_railways")
    assert "not available (no office hours)" in page.inner_text("#account-table-business")
    open_page(page, "/compare?a=x:avalor_railways&a=x:belmora_transport")
    rows = {r.split("\t")[0]: r.split("\t")[1:] for r in
            page.locator("#compare-table-table tbody tr").all_inner_texts()}
    business = rows["Business hours: answered within the business window"]
    assert business[0] == "not available (no office hours)" and "office h" in business[1]
    screenshot(page, "compare-business-hours")
    violations = axe_violations(page)
    assert not violations, violations


# ------------------------------------------------------------------ phone
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("name", list(PAGES))
def test_phone_page_fits_the_screen_and_passes_axe(page, name):
    """At 390 x 844 (a phone) no page scrolls sideways: wide tables scroll inside their
    own focusable box or reflow into labelled rows; axe stays clean at that size."""
    page.set_viewport_size(PHONE)
    path, heading = PAGES[name]
    open_page(page, path)
    assert heading in page.inner_text("main h1")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width} px wide"
    screenshot(page, f"phone-{name}")
    violations = axe_violations(page)
    assert not violations, violations


def test_phone_overview_shows_headlines_above_the_filters(page):
    page.set_viewport_size(PHONE)
    open_page(page, "/")
    page.wait_for_function("document.querySelectorAll('#overview-headlines li').length > 0")
    top = {sel: page.locator(sel).bounding_box()["y"] for sel in
           ("#overview-headlines", ".filter-panel", "#overview-board")}
    assert top["#overview-headlines"] < top[".filter-panel"] < top["#overview-board"], top
    page.set_viewport_size({"width": 1280, "height": 900})  # the desktop keeps its order
    box = page.locator(".filter-panel").bounding_box()["y"]
    assert box < page.locator("#overview-headlines").bounding_box()["y"]


def test_phone_tables_reflow_into_labelled_rows(page):
    page.set_viewport_size(PHONE)
    open_page(page, "/account?platform=x&author=avalor_railways")
    cell = page.locator("#account-table-metrics tbody td").first
    assert page.evaluate("(td) => getComputedStyle(td).display", cell.element_handle()) == "block"
    label = page.evaluate("(td) => getComputedStyle(td, '::before').content",
                          cell.element_handle())
    assert label.strip('"').endswith(": ") and len(label) > 4
    # the leaderboard keeps its columns and scrolls inside its own box, by keyboard too
    open_page(page, "/")
    box = page.locator(".table-wrap:has(#overview-board)")
    assert box.get_attribute("tabindex") == "0"
    assert page.evaluate("(b) => b.scrollWidth > b.clientWidth", box.element_handle())
    box.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("(b) => b.scrollLeft > 0", arg=box.element_handle())


# ------------------------------------------------------------------ change over time
def test_account_series_switches_period_and_shows_before_after(page):
    open_page(page, "/account?platform=x&author=avalor_railways")
    assert page.inner_text("#account-title-trend").startswith("Weekly")
    assert page.locator("#account-graph-trend .main-svg").count() >= 1
    table = page.inner_text("#account-table-before-after")
    assert "2026-02-15 00:00 UTC (28 days each side)" in table
    assert "Rate difference (95% CI)" in table
    weekly = page.locator("#account-change figcaption").first.inner_text()
    page.evaluate("window.__same_page = true")
    page.get_by_role("link", name="Monthly", exact=True).click()
    page.wait_for_url(re.compile(r"trend=month"))
    page.wait_for_function("(document.querySelector('#account-title-trend') || {})"
                           ".textContent?.startsWith('Monthly')")  # (built after the top)
    wait_rendered(page)
    monthly = page.locator("#account-change figcaption").first.inner_text()
    assert monthly != weekly and "2026-0" in monthly
    assert "Monthly (shown)" in page.inner_text("#account-trend-switch")
    assert page.evaluate("window.__same_page === true")  # moved inside the app
    violations = axe_violations(page)
    assert not violations, violations


# Each chart of the page: the tick labels and axis titles drawn outside the chart's SVG,
# y tick labels that reach into the plot or under their axis title, and the margins
# plotly drew with where they differ from the ones the figure carries.
CHART_FIT = """(xtitles) => [...document.querySelectorAll('main .js-plotly-plot')].map(gd => {
    const svg = gd.querySelector('.main-svg').getBoundingClientRect();
    const size = gd._fullLayout._size, given = gd.layout.margin || {};
    const box = e => e.getBoundingClientRect();
    const out = {id: gd.id, outside: [], into_plot: [], under_title: [], moved: []};
    const labels = '.xtick text, .ytick text, .g-ytitle text, .g-y2title text' +
        (xtitles ? ', .g-xtitle text, .g-x2title text' : '');
    gd.querySelectorAll(labels).forEach(t => {
        const b = box(t);
        if (b.width && (b.left < svg.left - 0.5 || b.right > svg.right + 0.5 ||
                        b.top < svg.top - 0.5 || b.bottom > svg.bottom + 0.5)) {
            out.outside.push(t.textContent); }
    });
    const titles = [...gd.querySelectorAll('.g-ytitle text, .g-y2title text')].map(box);
    gd.querySelectorAll('.ytick text').forEach(t => {
        const b = box(t);
        if (!b.width) { return; }
        if (b.right > svg.left + size.l + 0.5) { out.into_plot.push(t.textContent); }
        if (titles.some(h => h.right > b.left && h.bottom > b.top && h.top < b.bottom)) {
            out.under_title.push(t.textContent); }
    });
    ['l', 'r', 'b'].forEach(k => { if (given[k] !== undefined && given[k] !== size[k]) {
        out.moved.push(`${k}: ${given[k]} -> ${size[k]}`); } });
    return out;
})"""


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, PHONE])
def test_account_charts_fit_their_labels_in_the_margins_they_carry(page, viewport):
    """The Account page's charts come with margins computed on the server from their
    labels (no automargin, which measures every label in the browser and draws the
    chart again): every tick label and axis title is inside the chart, y labels stay
    left of the plot and clear of the axis title, and plotly keeps the margins given
    (one draw), on a desktop and on a phone. (On a phone the x axis titles are left
    out: a long one, centred under the narrow plot of a bar chart with long labels, is
    wider than the chart, as it was with automargin.)"""
    page.set_viewport_size(viewport)
    open_page(page, "/account?platform=x&author=avalor_railways")
    charts = page.evaluate(CHART_FIT, viewport["width"] > PHONE["width"])
    assert len(charts) == 6, charts
    bad = [c for c in charts if c["outside"] or c["into_plot"] or c["under_title"]
           or c["moved"]]
    assert not bad, bad
    page.set_viewport_size({"width": 1280, "height": 900})


def test_overview_series_follows_the_filters_and_the_period(page):
    """The overview's series pools the rate of the accounts the filters keep: a
    country filter (applied in the browser) redraws it from that country's accounts,
    and a month chosen in the Period filter turns it monthly with that month shaded,
    as the headlines say that month's figures."""
    open_page(page, "/")
    title = page.locator("#overview-title-series")
    caption = page.locator("#overview-summary-series")
    # drawn once the page is up (below the leaderboard and the latency chart)
    page.wait_for_function("document.querySelector('#overview-title-series').textContent"
                           ".startsWith('Weekly response rate of all official accounts')")
    assert title.inner_text().startswith("Weekly response rate of all official accounts")
    assert page.locator("#overview-graph-series .main-svg").count() >= 1
    weekly = caption.inner_text()
    assert "Weekly rate:" in weekly and "shaded" not in weekly
    toggle(page, "Country", "XB").click()
    page.wait_for_function("document.querySelector('#overview-title-series').textContent"
                           ".includes('the accounts the filters keep')")
    page.wait_for_function("(old) => document.querySelector('#overview-summary-series')"
                           ".textContent !== old", arg=weekly)
    assert caption.inner_text() != weekly
    toggle(page, "Period", "2026-02").click()
    page.wait_for_function("document.querySelector('#overview-title-series').textContent"
                           ".startsWith('Monthly')")
    page.wait_for_function("document.querySelector('#overview-summary-series').textContent"
                           ".includes('The shaded band is the chosen period, 2026-02.')")
    # below the fold, it is redrawn when the browser is idle (assets/plotly_loader.js)
    page.wait_for_function("document.querySelectorAll("
                           "'#overview-graph-series .shapelayer path').length >= 1")
    page.wait_for_url(re.compile(r"country=XB.*period=2026-02"))
    violations = axe_violations(page)
    assert not violations, violations


def test_phone_median_chart_gives_the_points_the_width(page):
    """At 390 px the account names go above their rows, cut short, inside the plot, so
    the points get nearly the whole width and the time axis keeps its ticks; the full
    name stays in the hover; at a desktop width the names stay on the left."""
    page.set_viewport_size(PHONE)
    open_page(page, "/")
    graph = "#overview-graph-chart"
    page.wait_for_function(f"document.querySelectorAll('{graph} .annotation-text')"
                           ".length > 3")
    plot = page.locator(f"{graph} .nsewdrag").first.bounding_box()
    assert plot["width"] >= 0.8 * PHONE["width"], plot
    names = page.evaluate(f"[...document.querySelectorAll('{graph} .annotation-text')]"
                          ".map(t => t.textContent)")
    assert max(len(t) for t in names) <= 28, names
    assert any(t.endswith("… (x)") for t in names), names  # long names are cut
    assert page.locator(f"{graph} .ytick text").count() == 0
    shown_ticks = page.evaluate(f"[...document.querySelectorAll('{graph} .xtick text')]"
                                ".filter(t => t.getBoundingClientRect().width > 0).length")
    assert shown_ticks >= 5
    full = page.evaluate(f"document.querySelector('{graph} .js-plotly-plot').data"
                         ".flatMap(t => t.hovertext)")
    assert any(len(t) > 28 for t in full) and all("…" not in t for t in full)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "phone-overview-medians")
    violations = axe_violations(page)
    assert not violations, violations
    page.set_viewport_size({"width": 1280, "height": 900})
    open_page(page, "/")
    page.wait_for_function(f"document.querySelectorAll('{graph} .ytick text').length > 3")
    assert page.locator(f"{graph} .annotation-text").count() == 0
    box = page.locator(f"{graph} .nsewdrag").first.bounding_box()
    first = page.locator(f"{graph} .ytick text").first.bounding_box()
    assert first["x"] + first["width"] <= box["x"] + 1  # names left of the plot


def test_institution_type_filter_keeps_the_accounts_of_a_type(page):
    """The accounts CSV's institution types filter the overview (in the browser, and in
    a shared link): the twelve city halls of three countries."""
    open_page(page, "/")
    every = len(board_rows(page))
    toggle(page, "Institution type", "city hall").click()
    page.wait_for_function(
        "document.querySelector('#overview-status').textContent"
        ".includes('institution type city hall')")
    page.wait_for_url(re.compile(r"institution_type=city\+hall"))
    rows = board_rows(page)
    assert len(rows) == 12 < every
    assert {r[2] for r in rows} == {"local"}
    assert {r[1] for r in rows} == {"XA", "XB", "XC"}
    open_page(page, "/?institution_type=transport+ministry")
    page.wait_for_function("document.querySelectorAll('#overview-board-body tr').length == 4")
    violations = axe_violations(page)
    assert not violations, violations


def test_series_pooled_in_the_browser_is_the_one_the_server_draws(page, dashboard_page):
    """The overview's series is pooled in the browser (assets/overview.js) from the
    per-account counts the server sends once: for every filter tried (each kind, two
    at once, a selection of no account, the other population, a month of the Period
    filter) its figure, title and summary are those of the server's ``series_for``."""
    import json

    from plotly.io.json import to_json_plotly

    ov = dashboard_page("overview")
    opts = ov.data().options()
    officials = ov.data().officials()
    other = officials[officials["country"] != opts.countries[0]].iloc[0]
    month = next(p for p in opts.periods if re.fullmatch(r"\d{4}-\d{2}", p))
    queries = [{}, {"country": [opts.countries[0]]},
               {"country": list(opts.countries[:2]), "level": [opts.levels[0]]},
               {"platform": [opts.platforms[-1]]},
               {"institution": [officials["institution"].iloc[0]]},
               {"institution_type": [opts.institution_types[0]]},
               {"country": [opts.countries[0]], "institution": [other["institution"]]},
               {"population": "all", "level": [opts.levels[-1]]},
               {"period": month, "country": [opts.countries[-1]]}]
    script = (ov.__file__.rsplit("/pages/", 1)[0] + "/assets/overview.js")
    page.add_script_tag(path=script)
    for query in queries:
        st = ov.state(query)
        assert not st.notes, st.notes
        q = {name: list(getattr(st.filters, name)) for name in ov.Filters.MULTI}
        got = page.evaluate(
            "([s, p, q]) => window.govwatch_dashboard.seriesFigure("
            "JSON.parse(s), JSON.parse(p), q)",
            [to_json_plotly(ov.series_data(st)), to_json_plotly(ov.payload(st)), q])
        want = ov.series_for(st)
        assert got["title"] == want.title, query
        assert got["summary"] == want.summary, query
        assert got["figure"] == ov.plain(json.loads(to_json_plotly(want.figure))), query
