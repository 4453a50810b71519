"""Channels in the dashboard: the Channels page filtered by channel (in the URL, so a
link restores the view), the Account page showing its institution's channels side by
side, and direct messages hidden unless the dashboard is started with --include-dms.
The browser tests drive Debian's Chromium against the real server."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from browser_support import (
    axe_violations,
    build_store,
    chromium,
    page_with_errors,
    require_browser,
    running_server,
    screenshot,
    wait_rendered,
)
from govwatch.dashboard.channel_table import CHANNEL_LABELS, channel_rows, filter_figures

FIX = Path(__file__).parent / "fixtures"


def _figure(**kw) -> dict:
    row = {"platform": "x", "author": "a", "official_author": "a", "institution": "Ministry",
           "country": "XA", "display_name": "A", "channel": "public_reply", "messages": 40,
           "answered": 30, "window_hours": 168.0, "observed_window": 40, "answered_window": 30,
           "answered_rate_window": 0.75, "km_median_hours": 5.0, "km_median_reached": True,
           "max_followup_hours": 300.0, "resolved": None, "resolution_km_median_hours": None}
    row.update(kw)
    return row


def test_channel_rows_are_honest_about_few_and_unreached():
    figures = pd.DataFrame([
        _figure(),
        _figure(channel="complaint_ticket", platform="lapor", author="K", messages=50,
                observed_window=50, answered_rate_window=0.2, km_median_hours=None,
                max_followup_hours=900.0, resolution_km_median_hours=None),
        _figure(channel="review", platform="google-play", author="app", messages=3,
                observed_window=3, country="XB"),
    ])
    rows = channel_rows(figures, min_n=10).to_dict("records")
    assert rows[0]["Channel"] == "Public replies"
    assert rows[0]["Answered within 7 days"] == "75%"
    assert rows[0]["Median time to response"] == "5.0 h"
    assert rows[0]["Median time to resolution"] == "–"
    # fewer than half answered: the median is not reached and shown as a bound
    assert rows[1]["Median time to response"] == "> 900 h"
    assert rows[1]["Median time to resolution"] == "> 900 h"
    assert rows[2]["Answered within 7 days"] == "too few (n=3)"
    assert rows[2]["Median time to response"] == "too few (n=3)"
    assert list(filter_figures(figures, channels=["review"])["author"]) == ["app"]
    assert list(filter_figures(figures, countries=["XA"], institution="Ministry")["author"]) == [
        "a", "K"]
    assert set(CHANNEL_LABELS) == {"public_reply", "comment", "review", "complaint_ticket",
                                   "direct_message"}


# -- the browser -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def store(tmp_path_factory):
    require_browser()
    from govwatch.analysis.pipeline import run_analysis
    from govwatch.ingest.base import ReadOptions
    from govwatch.ingest.pipeline import import_file

    from govwatch.store import Store

    tmp = tmp_path_factory.mktemp("dash-channels")
    db = build_store(tmp / "store.duckdb", scale=0.1)
    accounts = tmp / "more_accounts.csv"
    with open(accounts, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["platform", "author", "institution", "country", "level", "timezone"])
        w.writerow(["lapor", "Kemenkes", "Ministry of Health", "XA", "national", "UTC"])
        w.writerow(["google-play", "gov.example.health", "Ministry of Health", "XA",
                    "national", "UTC"])
        w.writerow(["x", "MinHealthX", "Ministry of Health", "XA", "national", "UTC"])
    with Store(db) as s:
        import_file(s, accounts, "accounts-csv")
        import_file(s, FIX / "channels" / "tickets.csv", "tickets-csv")
        import_file(s, FIX / "channels" / "play_reviews.json", "google-play-json",
                    ReadOptions(assume_tz="UTC"))
        import_file(s, FIX / "dms" / "x_archive", "x-dms")
        run_analysis(s)
    return db


def _table(page) -> list[list[str]]:
    return [[c.strip() for c in r.split("\t")]
            for r in page.locator("#channels-table-table tbody tr").all_inner_texts()]


def toggle(page, group: str, name: str):
    return page.locator(f"fieldset:has(legend:text-is('{group}'))").get_by_role(
        "button", name=name, exact=True)


@pytest.mark.browser
def test_channel_filter_changes_the_view_and_a_link_restores_it(store):
    with running_server(store) as base, chromium() as context:
        page, errors = page_with_errors(context)
        page.goto(base + "/channels")
        wait_rendered(page)
        assert "Channels" in page.inner_text("main h1")
        rows = _table(page)
        channels = {r[2] for r in rows}
        assert {"Public replies", "Complaint tickets", "App-store reviews"} <= channels
        assert "Direct messages (private)" not in channels  # private unless asked
        assert "pension" not in page.content()
        assert not axe_violations(page)
        screenshot(page, "page-channels")

        toggle(page, "Channel", "Complaint tickets").click()
        page.wait_for_url(re.compile(r"\?channel=complaint_ticket$"))
        page.wait_for_function("[...document.querySelectorAll('#channels-table-table tbody tr')]"
                               ".every(r => r.textContent.includes('Complaint tickets'))")
        only = _table(page)
        assert only and {r[2] for r in only} == {"Complaint tickets"}
        assert only[0][1] == "Kemenkes (lapor)"
        assert toggle(page, "Channel", "Complaint tickets").get_attribute(
            "aria-pressed") == "true"

        fresh = context.new_page()
        fresh.goto(page.url)
        wait_rendered(fresh)
        assert _table(fresh) == only
        assert toggle(fresh, "Channel", "Complaint tickets").get_attribute(
            "aria-pressed") == "true"

        # the account page shows the institution's channels side by side
        fresh.goto(base + "/account?platform=x&author=avalor_health")
        wait_rendered(fresh)
        side = [[c.strip() for c in r.split("\t")] for r in
                fresh.locator("#account-table-channels tbody tr").all_inner_texts()]
        accounts = {r[1] for r in side}
        assert {"avalor_health (x)", "Kemenkes (lapor)",
                "gov.example.health (google-play)"} <= accounts
        assert not any("Direct" in r[2] for r in side)
        screenshot(fresh, "page-account-channels")
        assert not errors, errors


@pytest.mark.browser
def test_direct_messages_show_in_aggregate_only_when_asked(store):
    with running_server(store, env={"GOVWATCH_DASH_INCLUDE_DMS": "1"}) as base, \
            chromium() as context:
        page = context.new_page()
        page.goto(base + "/channels?channel=direct_message")
        wait_rendered(page)
        rows = _table(page)
        assert [r[:4] for r in rows] == [["Ministry of Health", "MinHealthX (x)",
                                          "Direct messages (private)", "7"]]
        for text in ("pension", "Jalan Mawar", "2000000002"):  # no message, no counterpart
            assert text not in page.content()
