"""Complaint tickets and app-store reviews: the real samples import whole, and their
latencies equal an independent recomputation from the raw fields."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import require_shared
from govwatch.analysis.pipeline import AnalysisSettings, run_analysis
from govwatch.ingest.base import ReadOptions
from govwatch.ingest.pipeline import import_file
from govwatch.ingest.tickets import Ticket, apply_bulk_window

from govwatch.store import Store

FIX = Path(__file__).parent / "fixtures" / "channels"
BOSTON = ("dangerous.json", "25-apr-other.json", "25-apr-other-late.json",
          "illegal-parking--responses--0-1000--aa.json")


def _accounts(tmp: Path, rows: list[tuple[str, str]]) -> Path:
    path = tmp / "accounts.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["platform", "author", "institution", "country", "level", "timezone"])
        for platform, author in rows:
            w.writerow([platform, author, "inst", "US", "local", "UTC"])
    return path


def _store(tmp: Path, files: list[tuple[Path, str]], accounts: list[tuple[str, str]],
           options: ReadOptions | None = None, observed_until: datetime | None = None):
    db = tmp / "store.duckdb"
    with Store(db) as store:
        import_file(store, _accounts(tmp, accounts), "accounts-csv")
        results = [import_file(store, p, fmt, options) for p, fmt in files]
        run_analysis(store, AnalysisSettings(observed_until=observed_until))
    return db, results


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600.0


@pytest.fixture(scope="module")
def open311_store(tmp_path_factory):
    shared = require_shared()
    tmp = tmp_path_factory.mktemp("open311")
    files = [(shared / "boston_open311" / f, "auto") for f in BOSTON]
    files.append((shared / "chicago_open311_notes" / "serviceData.json", "auto"))
    raw = [json.loads(p.read_text("utf-8")) for p, _ in files]
    agencies = {(r.get("agency_responsible") or r.get("service_name")) for d in raw for r in d}
    db, results = _store(tmp, files, [("open311", a) for a in sorted(agencies - {None})])
    return db, results, raw


@pytest.mark.shared
def test_open311_samples_keep_every_request_or_reject_it(open311_store):
    db, results, raw = open311_store
    assert all(r.failed is None for r in results)
    con = duckdb.connect(str(db), read_only=True)
    for result, data in zip(results, raw, strict=True):
        assert result.rows_read == len(data)
        without_id = [i for i, r in enumerate(data) if not r.get("service_request_id")]
        assert [x.locator for x in result.rejects] == [
            f"$[{i}].service_request_id" for i in without_id]
        assert all("not yet accepted by the city" in x.reason for x in result.rejects)
    ids = {str(r["service_request_id"]) for d in raw for r in d if r.get("service_request_id")}
    stored = {r[0] for r in con.execute(
        "SELECT post_id FROM posts WHERE author LIKE 'requester-%'").fetchall()}
    assert stored == ids and len(ids) > 2000  # dumps of the same day overlap: merged


@pytest.mark.shared
def test_boston_latencies_equal_the_raw_fields(open311_store):
    """Boston publishes no notes: a closed request's updated_datetime is its closure and
    first response; open requests are censored at observation end."""
    db, _, raw = open311_store
    con = duckdb.connect(str(db), read_only=True)
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT r.message_id, r.response_created_at, r.latency_hours, r.censored, "
        "r.observed_hours, r.channel, t.resolution_hours, t.resolution_censored "
        "FROM responses r JOIN ticket_resolutions t USING (platform, message_id) "
        "WHERE r.platform = 'open311'").fetchall()}
    obs_end = con.execute("SELECT observed_until FROM analysis_runs").fetchone()[0]
    latest: dict[str, dict] = {}  # per request: its first closed record, else its first
    for data in raw[:4]:
        for r in data:
            rid = r.get("service_request_id")
            if rid and (rid not in latest or (r["status"] == "closed"
                                              and latest[rid]["status"] != "closed")):
                latest[rid] = r
    closed = 0
    for rid, r in latest.items():
        requested = _t(r["requested_datetime"])
        at, latency, censored, observed, channel, res_h, res_c = got[rid]
        assert channel == "complaint_ticket"
        assert observed == pytest.approx(_hours(requested, obs_end), abs=1e-9)
        if r["status"] == "closed":
            closed += 1
            want = _hours(requested, _t(r["updated_datetime"]))
            assert not censored and at == _t(r["updated_datetime"])
            assert latency == pytest.approx(want, abs=1e-9) and want > 0
            assert res_h == pytest.approx(want, abs=1e-9) and not res_c
        else:
            assert censored and latency is None and res_c
    assert closed > 1400


@pytest.mark.shared
def test_chicago_notes_give_response_and_resolution_and_the_bulk_update_is_named(
        open311_store):
    db, _, raw = open311_store
    con = duckdb.connect(str(db), read_only=True)
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT message_id, response_created_at, response_hours, response_censored, "
        "resolution_created_at, resolution_hours, resolution_censored, flag "
        "FROM ticket_resolutions WHERE official_author IN (SELECT DISTINCT agency FROM "
        "(SELECT unnest($a) AS agency))",
        {"a": sorted({r["agency_responsible"] for r in raw[4]})}).fetchall()}
    bulk = 0
    for r in raw[4]:
        requested = _t(r["requested_datetime"])
        official = sorted(_t(n["datetime"]) for n in r["notes"]
                          if n["type"] not in ("opened", "submitted")
                          and _t(n["datetime"]) > requested)
        closes = [_t(n["datetime"]) for n in r["notes"] if n["type"] == "closed"]
        at, hours, censored, res_at, res_h, res_c, flag = rows[r["service_request_id"]]
        if official:
            assert at == official[0] and hours == pytest.approx(_hours(requested, official[0]),
                                                               abs=1e-9)
        else:
            assert censored
        if closes:
            assert res_at == closes[0] and not res_c
            assert res_h == pytest.approx(_hours(requested, closes[0]), abs=1e-9)
        else:
            assert res_c
        # the response is never the bulk re-touch of updated_datetime
        assert at is None or at < _t(r["updated_datetime"]) or at == res_at
        if flag == "bulk_update":
            bulk += 1
            assert datetime(2015, 9, 30, tzinfo=UTC) <= res_at <= datetime(2015, 10, 3, tzinfo=UTC)
    assert bulk >= 30  # most closures are the bulk update of 30 Sep - 2 Oct 2015
    (counted,) = con.execute("SELECT sum(bulk_update) FROM channel_metrics").fetchone()
    assert counted == bulk


def test_a_bulk_update_without_notes_is_not_taken_as_answers():
    base = datetime(2014, 1, 1, tzinfo=UTC)
    tickets = [Ticket("open311", str(i), "Agency", base + timedelta(days=10 * i), status="closed",
                      updated_at=datetime(2015, 10, 1, tzinfo=UTC) + timedelta(hours=i))
               for i in range(20)]
    tickets += [Ticket("open311", f"x{i}", "Agency", base + timedelta(days=i), status="closed",
                       updated_at=base + timedelta(days=i, hours=5)) for i in range(10)]
    assert apply_bulk_window(tickets) is not None
    flagged = [t for t in tickets if t.flag == "bulk_update"]
    assert len(flagged) == 20 and all(t.closed_at is None for t in flagged)
    assert all(t.closed_at == t.updated_at for t in tickets if t.flag is None)
    posts, attrs = flagged[0].records()
    assert [p.post_id for p in posts] == [flagged[0].ticket_id]  # no closure, no response
    # the same dump without the bunching: every closure is used
    spread = [Ticket("open311", str(i), "A", base + timedelta(days=i), status="closed",
                     updated_at=base + timedelta(days=i, hours=3)) for i in range(30)]
    assert apply_bulk_window(spread) is None and all(t.closed_at for t in spread)


def _play_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


@pytest.mark.shared
@pytest.mark.parametrize("sample, app_column, zone", [
    ("bpcl_hellobpcl_playstore/raw_reviews.csv", None, "Asia/Kolkata"),
    ("satusehat_mobilejkn_playstore/review_mobile_jkn_satusehat_clean__sample.csv", "app_id",
     "Asia/Jakarta"),
])
def test_play_store_reply_latencies_equal_the_raw_fields(tmp_path, shared_data, sample,
                                                        app_column, zone):
    path = shared_data / sample
    rows = _play_rows(path)
    at_col = "at" if "at" in rows[0] else "tanggal"
    score_col = "score" if "score" in rows[0] else "rating"
    apps = sorted({r[app_column] for r in rows}) if app_column else ["com.cgt.bharatgas"]
    db, (result,) = _store(tmp_path, [(path, "auto")], [("google-play", a) for a in apps],
                           ReadOptions(assume_tz=zone, app_id=None if app_column else apps[0]))
    assert result.format == "google-play" and not result.rejects
    assert result.rows_read == len(rows)
    con = duckdb.connect(str(db), read_only=True)
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT message_id, official_author, latency_hours, censored, rating, channel "
        "FROM responses").fetchall()}
    predates = 0
    for r in rows:
        at = datetime.fromisoformat(r[at_col])
        app = r[app_column] if app_column else apps[0]
        if r["repliedAt"] and datetime.fromisoformat(r["repliedAt"]) <= at:
            predates += 1
            assert r["reviewId"] not in got  # counted apart, never a negative latency
            continue
        official, latency, censored, rating, channel = got[r["reviewId"]]
        assert (official, rating, channel) == (app, int(r[score_col]), "review")
        if r["repliedAt"]:
            want = (datetime.fromisoformat(r["repliedAt"]) - at).total_seconds() / 3600
            assert not censored and latency == pytest.approx(want, abs=1e-9)
        else:
            assert censored and latency is None
    assert len(got) + predates == len(rows)
    apart = con.execute("SELECT sum(reply_predates_message) FROM channel_metrics").fetchone()[0]
    assert apart == predates == (44 if app_column is None else 3)


def test_play_json_and_app_store_fixtures(tmp_path):
    db, (play, store) = _store(
        tmp_path, [(FIX / "play_reviews.json", "auto"),
                   (FIX / "appstore_customer_reviews.json", "auto")],
        [("google-play", "gov.example.health"), ("app-store", "1234567890")],
        ReadOptions(assume_tz="UTC"))
    assert [(x.locator, x.reason) for x in play.rejects] == [
        ("$[3].score", "rating 6 is not a whole number of stars 1-5")]
    assert [x.locator for x in store.rejects] == ["$.data[2].attributes.createdDate"]
    con = duckdb.connect(str(db), read_only=True)
    got = dict(con.execute("SELECT message_id, latency_hours FROM responses").fetchall())
    assert got == {"r-1": 2.5, "r-2": None, "as-1": 50.0, "as-2": None}
    assert con.execute("SELECT official_author, reply_predates_message FROM channel_metrics "
                       "WHERE platform = 'google-play'").fetchall() == [
        ("gov.example.health", 1)]


def test_tickets_csv_and_a_mapped_grievance_queue(tmp_path):
    mapping = dict(_play_rows(FIX / "cpgrams_mapping.csv")[i].values() for i in range(8))
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        import_file(store, _accounts(tmp_path, [("lapor", "Kemenkes"),
                                                ("tickets", "Ministry of Railways")]),
                    "accounts-csv")
        lapor = import_file(store, FIX / "tickets.csv", "auto")
        queue = import_file(store, FIX / "cpgrams_style.csv", "tickets-csv",
                            ReadOptions(mapping=mapping))
        run_analysis(store, AnalysisSettings(observed_until=datetime(2024, 3, 1, tzinfo=UTC)))
    assert [(x.locator, x.reason) for x in lapor.rejects] == [
        ("line 5, column agency", "agency is empty (who is the ticket addressed to?)")]
    assert [x.locator for x in queue.rejects] == ["line 4, column submitted_at"]
    con = duckdb.connect(str(db), read_only=True)
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT message_id, response_hours, resolution_hours, resolution_censored, flag "
        "FROM ticket_resolutions").fetchall()}
    assert rows["L-1"] == (6.0, 96.0, False, None)
    assert rows["L-2"][0] is None and rows["L-2"][2]
    assert rows["L-3"][0] is None and rows["L-3"][3] == "acknowledged_before_request"
    assert rows["MORLY/E/2024/0001"] == (2.0, 240.0, False, None)
    assert rows["MORLY/E/2024/0002"][2] is True


def test_open311_csv_fixture_and_the_service_queue_as_agency(tmp_path):
    db, (result,) = _store(tmp_path, [(FIX / "open311_requests.csv", "auto")],
                           [("open311", "Streets Department"), ("open311", "Pothole")])
    assert result.format == "open311-csv" and not result.rejects
    con = duckdb.connect(str(db), read_only=True)
    assert sorted(con.execute("SELECT message_id, official_author, latency_hours "
                              "FROM responses").fetchall()) == [
        ("201", "Streets Department", 48.0), ("202", "Streets Department", None),
        ("203", "Pothole", 6.0)]


def test_responses_export_carries_channel_and_rating_in_the_codebook(tmp_path):
    from govwatch.export import export

    db, _ = _store(tmp_path, [(FIX / "play_reviews.json", "auto"),
                              (FIX / "open311_requests.csv", "auto")],
                   [("google-play", "gov.example.health"), ("open311", "Streets Department")],
                   ReadOptions(assume_tz="UTC"))
    out = tmp_path / "responses.csv"
    export(db, "responses", "csv", out)
    rows = {r["message_id"]: r for r in csv.DictReader(open(out, encoding="utf-8"))}
    assert (rows["r-1"]["channel"], rows["r-1"]["rating"]) == ("review", "1")
    assert (rows["201"]["channel"], rows["201"]["rating"]) == ("complaint_ticket", "")
    codebook = (tmp_path / "responses.csv.codebook.csv").read_text("utf-8")
    assert "channel," in codebook and "complaint_ticket" in codebook and "rating," in codebook
