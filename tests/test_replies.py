"""Exact latencies on hand-built conversations (every number computed by hand)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from builders import account, build_store, post

OFFICIALS = [account("MinRail"), account("MinHealth")]


def responses(store):
    df = store.conn.execute(
        "SELECT message_id, official_author, via, response_id, latency_hours, censored, "
        "observed_hours FROM responses ORDER BY message_id, official_author"
    ).df()
    return {(r.message_id, r.official_author): r for r in df.itertuples()}


@pytest.fixture
def store(tmp_path):
    posts = [
        post("100", "MinRail", "2026-01-01T08:00:00Z", "Trains run on time today"),
        # reply to the official's post, answered after 2 h 30 min
        post("101", "asha", "2026-01-01T09:00:00Z", "@MinRail my train is late", "100", "MinRail"),
        post("102", "MinRail", "2026-01-01T11:30:00Z", "@asha sorry, checking", "101", "asha"),
        # a second, later official reply does not count
        post("103", "MinRail", "2026-01-01T20:00:00Z", "@asha fixed", "101", "asha"),
        # a mention with no reply link, answered by a reply; written with a +05:30 offset:
        # 15:30+05:30 = 10:00Z; answered 10:45Z -> 0.75 h
        post("104", "ravi", "2026-01-01T15:30:00+05:30", "@minrail derailment near the bridge"),
        post("105", "MinRail", "2026-01-01T10:45:00Z", "@ravi teams are there", "104", "ravi"),
        # an official "reply" created before the message it links to is not a response
        post("106", "lata", "2026-01-01T12:00:00Z", "@MinHealth water is dirty"),
        post("107", "MinHealth", "2026-01-01T11:00:00Z", "@lata ?", "106", "lata"),
        # never answered: censored at observation end (2026-01-02T12:00Z) -> 24 h
        post("108", "dev", "2026-01-01T12:00:00Z", "@MinHealth clinic closed", "", ""),
        # two officials named: each is a message of its own; only MinHealth answers (1 h)
        post("109", "meera", "2026-01-01T13:00:00Z", "@MinRail @MinHealth outbreak on train"),
        post("110", "MinHealth", "2026-01-01T14:00:00Z", "@meera on it", "109", "meera"),
        # an official answering a different message in the same thread is no response
        post("111", "kabir", "2026-01-01T09:30:00Z", "@MinRail me too", "100", "MinRail", "100"),
        post("112", "MinRail", "2026-01-01T09:45:00Z", "@asha see DM", "", "asha", "100"),
        # thread reply without a link, addressed to the author in the same conversation
        post("113", "nila", "2026-01-01T09:50:00Z", "@MinRail refund?", "100", "MinRail", "100"),
        post("114", "MinRail", "2026-01-01T10:20:00Z", "@nila done", "", "nila", "100"),
        # the official's own reply to itself is not an inbound message
        post("115", "MinRail", "2026-01-01T08:05:00Z", "thread 2/2", "100", "MinRail"),
        # a citizen reply to another citizen that does not name an official is not inbound
        post("116", "zoya", "2026-01-01T10:00:00Z", "@asha same here", "101", "asha"),
        post("117", "obs", "2026-01-02T12:00:00Z", "latest post sets observation end"),
    ]
    return build_store(tmp_path, posts, OFFICIALS)


def test_latencies_are_exact(store):
    r = responses(store)
    assert r[("101", "MinRail")].latency_hours == pytest.approx(2.5)
    assert r[("101", "MinRail")].response_id == "102"
    assert r[("101", "MinRail")].via == "reply"
    assert r[("104", "MinRail")].latency_hours == pytest.approx(0.75)
    assert r[("104", "MinRail")].via == "mention"
    assert r[("109", "MinHealth")].latency_hours == pytest.approx(1.0)
    assert r[("113", "MinRail")].latency_hours == pytest.approx(0.5)
    assert r[("113", "MinRail")].response_id == "114"


def test_censoring_and_non_responses(store):
    r = responses(store)
    # reply before the message: not a response, so censored at obs end (24 h)
    assert r[("106", "MinHealth")].censored
    assert r[("106", "MinHealth")].observed_hours == pytest.approx(24.0)
    assert r[("108", "MinHealth")].censored
    assert r[("109", "MinRail")].censored
    assert r[("109", "MinRail")].observed_hours == pytest.approx(23.0)
    # the answer to asha in the same thread is not an answer to kabir
    assert r[("111", "MinRail")].censored
    assert all(row.latency_hours >= 0 for row in r.values() if not row.censored)


def test_who_counts_as_inbound(store):
    r = responses(store)
    assert {m for m, _ in r} == {"101", "104", "106", "108", "109", "111", "113"}


def test_mention_of_the_official_replied_to(tmp_path):
    """A mention is a message of its own unless the post already replies to that official:
    through its parent where the parent is in the data, else through the author named."""
    posts = [
        post("200", "MinRail", "2026-01-01T08:00:00Z", "Timetable"),
        post("201", "asha", "2026-01-01T08:30:00Z", "hello"),
        # parent not in the data, the link names MinRail, the text names it (any case): a reply
        post("202", "ravi", "2026-01-01T09:00:00Z", "@minrail late again", "gone", "MinRail"),
        # parent in the data and by asha, although the link names MinRail: a mention
        post("203", "kabir", "2026-01-01T09:10:00Z", "@MinRail @asha", "201", "MinRail"),
        # a reply to MinRail's post that names MinHealth and MinRail: one of each
        post("204", "zoya", "2026-01-01T09:20:00Z", "@MinHealth @MINRAIL help", "200", "asha"),
        post("205", "obs", "2026-01-02T12:00:00Z", "end"),
    ]
    r = responses(build_store(tmp_path, posts, OFFICIALS))
    assert {k: row.via for k, row in r.items()} == {
        ("202", "MinRail"): "reply", ("203", "MinRail"): "mention",
        ("204", "MinHealth"): "mention", ("204", "MinRail"): "reply"}


def test_account_metrics(store):
    m = store.conn.execute(
        "SELECT * FROM account_metrics WHERE population = 'all' ORDER BY official_author"
    ).df().set_index("official_author")
    # MinRail: 101 (2.5 h), 104 (0.75 h), 113 (0.5 h) answered; 109, 111 censored
    assert m.loc["MinRail", "messages"] == 5
    assert m.loc["MinRail", "answered"] == 3
    # KM: events at 0.5, 0.75, 2.5 with 5 at risk -> S = 0.8, 0.6, 0.4: median 2.5 h
    assert m.loc["MinRail", "km_median_hours"] == pytest.approx(2.5)
    assert m.loc["MinRail", "naive_median_hours"] == pytest.approx(0.75)
    # nothing is observed for 7 days: no window rate
    assert m.loc["MinRail", "observed_window"] == 0
    # MinHealth: 106, 108 censored (24 h), 109 answered (1 h): median not reached
    assert m.loc["MinHealth", "answered"] == 1
    assert not m.loc["MinHealth", "km_median_reached"]
    assert m.loc["MinHealth", "max_followup_hours"] == pytest.approx(24.0)


def test_observed_until_censors_later_responses(tmp_path):
    posts = [
        post("1", "asha", "2026-01-01T00:00:00Z", "@MinRail late train"),
        post("2", "MinRail", "2026-01-10T00:00:00Z", "@asha sorry", "1", "asha"),
    ]
    store = build_store(tmp_path, posts, OFFICIALS,
                        observed_until=datetime(2026, 1, 8, tzinfo=UTC))
    r = responses(store)[("1", "MinRail")]
    assert r.censored and r.observed_hours == pytest.approx(168.0)
    m = store.conn.execute(
        "SELECT answered_window, observed_window, answered_rate_7d FROM account_metrics "
        "WHERE population = 'all'"
    ).fetchone()
    assert m == (0, 1, 0.0)


def test_window_rate_counts_only_messages_observed_for_the_window(tmp_path):
    posts = [
        post("1", "a", "2026-01-01T00:00:00Z", "@MinRail one"),
        post("2", "MinRail", "2026-01-01T05:00:00Z", "@a ok", "1", "a"),
        post("3", "b", "2026-01-02T00:00:00Z", "@MinRail two"),
        post("4", "MinRail", "2026-01-12T00:00:00Z", "@b late", "3", "b"),  # 240 h
        post("5", "c", "2026-01-03T00:00:00Z", "@MinRail three"),  # never answered
        post("6", "d", "2026-01-19T00:00:00Z", "@MinRail four"),  # observed 1 day only
        post("7", "MinRail", "2026-01-19T12:00:00Z", "@d ok", "6", "d"),
        post("8", "x", "2026-01-20T00:00:00Z", "end"),
    ]
    store = build_store(tmp_path, posts, OFFICIALS)
    m = store.conn.execute(
        "SELECT answered_window, observed_window, answered_rate_7d, answered FROM account_metrics "
        "WHERE population = 'all' AND official_author = 'MinRail'"
    ).fetchone()
    assert m == (1, 3, pytest.approx(1 / 3), 3)
