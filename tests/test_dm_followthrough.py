"""A public "DM us" followed into the DM thread (analysis/direct_messages.py): public tweets
in X's legacy v1.1 JSON (as academic datasets hold them) and the account's own DM archive
(tests/fixtures/dms/x_archive, written from X's documented layout). The citizen is matched
by the numeric id X's DM files name counterparts with. DM responses are stored once
(``dm_responses``) and read from there by the channel figures and the opt-in export."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from builders import account, analysed_store
from govwatch.analysis.direct_messages import DM_TERMS, dm_deflection_matcher
from govwatch.analysis.taxonomy import load_taxonomy
from govwatch.export import export

FIX = Path(__file__).parent / "fixtures"
HEALTH = account("MinHealthX", institution="Ministry of Health")
OFFICIAL = ("MinHealthX", "1000000001")
# the fixture's DMs from the public (one-to-one and group), as test_direct_messages times
# them: (message id, latency hours, censored)
DM_ROWS = [("1886000000000000001", 2.5, False), ("1886000000000000002", 2.4167, False),
           ("1886000000000000004", None, True), ("1886000000000000012", 24.0, False),
           ("1886000000000000023", None, True), ("1886000000000000031", None, True),
           ("1886000000000000032", 2.0, False)]


def _tweet(tid: str, at: str, user: tuple[str, str], text: str,
           reply_to: tuple[str, str, str] | None = None) -> dict:
    t = datetime.fromisoformat(at).replace(tzinfo=UTC)
    tweet = {"id_str": tid, "created_at": t.strftime("%a %b %d %H:%M:%S +0000 %Y"),
             "full_text": text, "user": {"id_str": user[1], "screen_name": user[0]},
             "entities": {"user_mentions": []}, "lang": "en"}
    if reply_to:
        tweet.update(in_reply_to_status_id_str=reply_to[0], in_reply_to_screen_name=reply_to[1],
                     in_reply_to_user_id_str=reply_to[2])
        tweet["entities"]["user_mentions"] = [{"screen_name": reply_to[1],
                                               "id_str": reply_to[2]}]
    return tweet


def _public(path: Path) -> None:
    """Four citizens ask; the ministry answers three with "DM us" (in three wordings) and
    one with a helpline. Two of them (2000000002, 2000000003) then write by DM and are
    answered there; one (2000000005) writes and is never answered; one never writes."""
    m = OFFICIAL
    rows = [
        _tweet("1", "2026-02-02T07:00:00", ("pension_citizen", "2000000002"),
               "@MinHealthX my pension has not arrived, where do I ask?", ("0", *m)),
        _tweet("2", "2026-02-02T07:30:00", m, "@pension_citizen Please DM us your details",
               ("1", "pension_citizen", "2000000002")),
        _tweet("3", "2026-02-03T08:00:00", ("clinic_asker", "2000000003"),
               "@MinHealthX when will the clinic reopen?", ("0", *m)),
        _tweet("4", "2026-02-03T08:30:00", m,
               "@clinic_asker kindly share your details via DM", ("3", "clinic_asker",
                                                                  "2000000003")),
        _tweet("5", "2026-02-05T11:00:00", ("vaccine_asker", "2000000005"),
               "@MinHealthX is the vaccine free? please tell me", ("0", *m)),
        _tweet("6", "2026-02-05T11:20:00", m, "@vaccine_asker Please send us a DM",
               ("5", "vaccine_asker", "2000000005")),
        _tweet("7", "2026-02-06T09:00:00", ("never_writes", "2000000009"),
               "@MinHealthX the hospital lift is broken, please fix it", ("0", *m)),
        _tweet("8", "2026-02-06T09:10:00", m, "@never_writes Please DM us the hospital name",
               ("7", "never_writes", "2000000009")),
        _tweet("9", "2026-02-07T10:00:00", ("helpline_case", "2000000010"),
               "@MinHealthX my mother needs an ambulance, please help", ("0", *m)),
        _tweet("10", "2026-02-07T10:05:00", m, "@helpline_case Please call the helpline 104",
               ("9", "helpline_case", "2000000010")),
        _tweet("11", "2026-02-12T00:00:00", ("someone", "2000000099"), "nice weather today"),
    ]
    for r in rows:  # a message that replies to no tweet is a new post naming the official
        if r.get("in_reply_to_status_id_str") == "0":
            del r["in_reply_to_status_id_str"], r["in_reply_to_screen_name"]
            del r["in_reply_to_user_id_str"]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dm-follow")
    public = tmp / "tweets.jsonl"
    _public(public)
    db, (tweets, _) = analysed_store(tmp, [HEALTH], [
        (public, "twitter-v1"),
        (FIX / "dms" / "x_archive", "x-dms")])  # two entries broken on purpose
    assert tweets.rejected == 0
    return db


def test_dm_terms_are_deflection_terms_of_the_taxonomy():
    tax = load_taxonomy()
    for lang, terms in DM_TERMS.items():
        assert set(terms) <= set(tax.deflection[lang]), lang
    m = dm_deflection_matcher()
    hits = m.counts(["Please DM us", "kindly share your details via DM", "call the helpline",
                     "напишите в личные сообщения", "silakan dm ya", "admin"])[:, 0]
    assert [bool(h) for h in hits] == [True, True, False, True, True, False]


def test_a_public_dm_us_is_followed_into_the_dm_thread(store):
    con = duckdb.connect(str(store), read_only=True)
    row = con.execute("SELECT * FROM dm_followthrough").df().to_dict("records")
    assert len(row) == 1
    r = row[0]
    # four "DM us" replies (the helpline is a deflection, not to DMs)
    assert (r["platform"], r["official_author"], r["dm_deflections"], r["dms_in_store"]) == (
        "x", "MinHealthX", 4, True)
    assert (r["followed"], r["answered"]) == (3, 2)
    assert r["followed_share"] == pytest.approx(3 / 4)
    assert r["answered_share"] == pytest.approx(2 / 3)
    # citizen's DM -> the ministry's DM answer: 2.5 h (08:00 -> 10:30), 24 h (09:30 -> 09:30
    # next day), and one censored at the observation end: the KM median is 24 h
    assert r["dm_km_median_hours"] == pytest.approx(24.0) and r["dm_km_median_reached"]
    # public message -> DM answer: 3.5 h, 25.5 h, censored: median 25.5 h
    assert r["end_to_end_km_median_hours"] == pytest.approx(25.5)
    assert r["end_to_end_km_median_reached"]
    # aggregate only: no text, no handle, no id of a citizen in the table
    cells = " ".join(str(v) for v in r.values())
    for clue in ("pension", "2000000002", "clinic_asker", "DM us"):
        assert clue not in cells
    # the DM responses are stored, and are what channel_metrics counts
    stored = con.execute("SELECT message_id, latency_hours, censored FROM dm_responses "
                         "ORDER BY message_created_at, message_id").fetchall()
    assert [(m, None if c else round(h, 4), c) for m, h, c in stored] == DM_ROWS
    assert con.execute("SELECT messages, answered FROM channel_metrics "
                       "WHERE channel = 'direct_message'").fetchone() == (7, 4)
    con.close()


def test_an_account_without_dms_in_the_store_is_unknown_not_unanswered(tmp_path):
    public = tmp_path / "tweets.jsonl"
    _public(public)
    db, _ = analysed_store(tmp_path, [HEALTH], [(public, "twitter-v1")])
    con = duckdb.connect(str(db), read_only=True)
    (deflections, in_store, followed, median), = con.execute(
        "SELECT dm_deflections, dms_in_store, followed, dm_km_median_hours "
        "FROM dm_followthrough").fetchall()
    assert (deflections, in_store, followed, median) == (4, False, None, None)
    con.close()


def test_the_opt_in_export_reads_the_stored_dm_responses(store, tmp_path):
    result = export(store, "responses", "csv", tmp_path / "r.csv", include_dms=True)
    assert result.dms_included
    with open(tmp_path / "r.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["channel"] == "direct_message"]
    assert sorted(r["message_id"] for r in rows) == sorted(m for m, _, _ in DM_ROWS)
    assert not any(r["message_author"].startswith("2000") for r in rows)  # pseudonymised
