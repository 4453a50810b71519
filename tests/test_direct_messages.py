"""Direct messages: the X archive's DM files and a Facebook Page's inbox, linked like
replies, and kept out of every public figure, view and export unless asked."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from builders import POST_HEADER, post, write_csv
from click.testing import CliRunner
from govwatch.analysis.pipeline import AnalysisSettings, run_analysis
from govwatch.ingest import registry
from govwatch.ingest.base import ReadOptions
from govwatch.ingest.direct_messages import FacebookMessagesReader, XDirectMessagesReader
from govwatch.ingest.pipeline import import_file

from govwatch.cli import cli
from govwatch.errors import InputError
from govwatch.store import Store

FIX = Path(__file__).parent / "fixtures" / "dms"
X_ARCHIVE = FIX / "x_archive"
FB_INBOX = FIX / "facebook_inbox"
PAGE = "Ministère de la Santé (invented)"
OWNER = "MinHealthX"


def _read(reader, path: Path, options: ReadOptions | None = None):
    posts, rejects, attrs, accounts, rows = [], [], [], [], 0
    for b in reader.read(path, options or ReadOptions()):
        if b.posts is not None:
            posts += b.posts.to_dict("records")
        if b.accounts is not None:
            accounts += b.accounts.to_dict("records")
        rejects += b.rejects
        attrs += b.attributes
        rows += b.rows_read
    return posts, rejects, attrs, accounts, rows


def _accounts_csv(tmp: Path) -> Path:
    path = tmp / "accounts.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["platform", "author", "institution", "country", "level", "timezone"])
        w.writerow(["x", OWNER, "Ministry of Health", "FR", "national", "Europe/Paris"])
        w.writerow(["facebook", PAGE, "Ministry of Health", "FR", "national", "Europe/Paris"])
    return path


# -- readers ------------------------------------------------------------------------------------
def test_x_archive_dms_read_with_owner_from_account_js():
    posts, rejects, attrs, accounts, rows = _read(XDirectMessagesReader(), X_ARCHIVE)
    by_id = {p["post_id"]: p for p in posts}
    assert len(posts) == 11 and rows == 13  # the join event and the reaction are no messages
    assert {a.channel for a in attrs} == {"direct_message"} and len(attrs) == 11
    assert [a["author"] for a in accounts] == [OWNER]
    assert all(p["platform"] == "x" for p in posts)
    # the citizen writes to the account; the account answers the citizen (by user id)
    assert by_id["1886000000000000001"]["author"] == "2000000002"
    assert by_id["1886000000000000001"]["in_reply_to_author"] == OWNER
    assert by_id["1886000000000000003"]["author"] == OWNER
    assert by_id["1886000000000000003"]["in_reply_to_author"] == "2000000002"
    assert by_id["1886000000000000003"]["conversation_id"] == "dm:1000000001-2000000002"
    # a group: the account's message is addressed to whoever wrote last before it
    assert by_id["1886000000000000033"]["in_reply_to_author"] == "2000000004"
    assert by_id["1886000000000000001"]["created_at"] == datetime(2026, 2, 2, 8, tzinfo=UTC)
    where = {r.locator: r.reason for r in rejects}
    assert where == {
        "data/direct-messages.js: $[2].dmConversation.messages[0].messageCreate.createdAt":
            "createdAt: 'yesterday' is not an ISO 8601 time",
        "data/direct-messages.js: $[2].dmConversation.messages[1].messageCreate.senderId":
            "senderId is missing or not a number",
    }
    assert not any("press@health.example.org" in str(v) for p in posts for v in p.values())


def test_x_dms_from_the_zip_and_from_a_lone_file(tmp_path):
    zpath = tmp_path / "twitter-2026.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for f in (X_ARCHIVE / "data").iterdir():
            z.write(f, f"data/{f.name}")
    posts, rejects, *_ = _read(XDirectMessagesReader(), zpath)
    assert len(posts) == 11 and len(rejects) == 2
    assert rejects[0].locator.startswith("data/direct-messages.js: $[2]")

    lone = tmp_path / "direct-messages.js"
    shutil.copy(X_ARCHIVE / "data" / "direct-messages.js", lone)
    assert registry.sniff(lone).name == "x-dms"
    with pytest.raises(InputError, match="--owner HANDLE"):
        _read(XDirectMessagesReader(), lone)
    posts, rejects, _, accounts, _ = _read(XDirectMessagesReader(), lone,
                                           ReadOptions(owner="MinHealthX"))
    assert len(posts) == 8 and [a["author"] for a in accounts] == [OWNER]
    # the owner's id is the one taking part in every one-to-one conversation
    assert {p["author"] for p in posts} == {OWNER, "2000000002", "2000000003", "2000000005"}
    assert rejects[0].locator == "$[2].dmConversation.messages[0].messageCreate.createdAt"


def test_x_dms_hostile_entries(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(X_ARCHIVE / "data" / "account.js", folder)
    (folder / "direct-messages.js").write_text(
        'window.YTD.direct_messages.part0 = [\n'
        '{"dmConversation": {"conversationId": "1000000001-2000000009", "messages": '
        '[{"messageCreate": {"id": "5", "senderId": "2000000009", "recipientId": "1000000001", '
        '"text": "ok", "createdAt": "2026-02-02T08:00:00.000Z"}}, 7]}},\n'
        '{"dmConversation": {"conversationId": "2000000007-2000000008", "messages": [{}]}},\n'
        '{"dmConversation": {"messages": []}},\n'
        '{"somethingElse": {}},\n'
        '{"dmConversation": {"conversationId": "1000000001-2000000009", "messages": "x"}},\n'
        '{"dmConversation": {"conversationId": "1000000001-2000000009", "messages": '
        '[{"messageCreate": {"id": "6", "senderId": "2000000009", "text": "cut',
        encoding="utf-8")
    posts, rejects, *_ = _read(XDirectMessagesReader(), tmp_path)
    assert [p["post_id"] for p in posts] == ["5"]
    reasons = {r.locator: r.reason for r in rejects}
    assert reasons["data/direct-messages.js: $[0].dmConversation.messages[1]"] == (
        "message is not a JSON object")
    assert "does not take part" in reasons["data/direct-messages.js: $[1].dmConversation"
                                           ".conversationId"]
    assert reasons["data/direct-messages.js: $[2].dmConversation.conversationId"] == (
        "conversationId is missing")
    assert reasons["data/direct-messages.js: $[3].dmConversation"] == (
        "not a dmConversation entry")
    assert reasons["data/direct-messages.js: $[4].dmConversation.messages"] == (
        "messages is not a list")
    assert any("cut off" in r for r in reasons.values())  # the truncated last entry


def test_facebook_inbox_repairs_mojibake_and_finds_the_page():
    posts, rejects, attrs, accounts, rows = _read(FacebookMessagesReader(), FB_INBOX)
    assert [a["author"] for a in accounts] == [PAGE]  # the one participant of every thread
    assert rows == 6 and len(posts) == 4 and len(attrs) == 4
    texts = {p["text"] for p in posts}
    assert "Merci José, le centre rouvre lundi 😊" in texts
    assert "" in texts  # a photo alone is still a message
    jose = [p for p in posts if p["author"] == "José García"]
    assert jose and jose[0]["in_reply_to_author"] == PAGE
    answer = [p for p in posts if p["author"] == PAGE]
    assert [p["in_reply_to_author"] for p in answer] == ["José García"]
    assert {r.locator: r.reason for r in rejects} == {
        "amina_6f7g8h9i0j/message_1.json: $.messages[1].timestamp_ms":
            "timestamp_ms 'not a time' is not a time in milliseconds since 1970 (2004-2100)",
        "amina_6f7g8h9i0j/message_1.json: $.messages[2].sender_name": "sender_name is missing",
    }
    # ids are stable: a second read gives the same
    again, *_ = _read(FacebookMessagesReader(), FB_INBOX)
    assert sorted(p["post_id"] for p in again) == sorted(p["post_id"] for p in posts)


def test_facebook_single_thread_needs_the_page_named(tmp_path):
    one = FB_INBOX / "josegarcia_1a2b3c4d5e" / "message_1.json"
    assert registry.sniff(one).name == "facebook-messages"
    with pytest.raises(InputError, match="--owner"):
        _read(FacebookMessagesReader(), one)
    posts, rejects, *_ = _read(FacebookMessagesReader(), one, ReadOptions(owner=PAGE))
    assert len(posts) == 2 and not rejects
    posts, rejects, *_ = _read(FacebookMessagesReader(), one, ReadOptions(owner="Someone else"))
    assert not posts and rejects[0].locator == "$.participants"
    bad = tmp_path / "message_1.json"
    bad.write_text('{"participants": [], "messages": {}}', encoding="utf-8")
    with pytest.raises(InputError, match="not a Facebook messages file"):
        _read(FacebookMessagesReader(), bad, ReadOptions(owner=PAGE))


def test_a_whole_archive_is_read_for_tweets_unless_dms_are_asked_for(tmp_path):
    archive = tmp_path / "archive" / "data"
    shutil.copytree(X_ARCHIVE / "data", archive)
    shutil.copy(Path(__file__).parent / "fixtures" / "twitter" / "x_archive" / "data" /
                "tweets.js", archive)
    assert registry.sniff(tmp_path / "archive").name == "x-archive"
    assert registry.folder_reader(tmp_path / "archive", "x-dms").name == "x-dms"


# -- analysis, dashboard and exports ------------------------------------------------------------
@pytest.fixture(scope="module")
def dm_store(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("dms")
    db = tmp / "store.duckdb"
    # public posts of the same account and a citizen's public reply, beside the DMs
    public = write_csv(tmp / "public.csv", POST_HEADER, [
        post("1886000000000000900", OWNER, "2026-02-02T09:00:00Z", "Vaccination week starts"),
        post("1886000000000000901", "citizen_a", "2026-02-02T09:30:00Z",
             "Where is the vaccination centre?", reply_to="1886000000000000900",
             reply_author=OWNER),
        post("1886000000000000902", OWNER, "2026-02-02T12:30:00Z", "At the town hall",
             reply_to="1886000000000000901", reply_author="citizen_a"),
    ])
    with Store(db) as store:
        import_file(store, _accounts_csv(tmp), "accounts-csv")
        import_file(store, public, "csv")
        import_file(store, X_ARCHIVE, "x-dms")
        import_file(store, FB_INBOX, "facebook-messages")
        run_analysis(store, AnalysisSettings())
    return db


def test_dm_latencies_are_computed_like_replies_and_kept_apart(dm_store):
    from govwatch.analysis.replies import dm_responses

    con = duckdb.connect(str(dm_store), read_only=True)
    obs_end = datetime(2026, 2, 6, 14, tzinfo=UTC)  # the last message of the store
    assert con.execute("SELECT observed_until FROM analysis_runs").fetchone()[0] == obs_end
    frame = dm_responses(con, obs_end)
    dm = {r["message_id"]: (r["response_id"], r["latency_hours"], r["censored"], r["channel"],
                            r["observed_hours"]) for r in frame.to_dict("records")}
    # recomputed by hand from the fixture's createdAt / timestamp_ms
    assert dm["1886000000000000001"][:3] == ("1886000000000000003", 2.5, False)
    assert dm["1886000000000000002"][1] == pytest.approx(2 + 25 / 60)
    assert dm["1886000000000000012"][:3] == ("1886000000000000013", 24.0, False)
    assert dm["1886000000000000032"][:3] == ("1886000000000000033", 2.0, False)
    for censored in ("1886000000000000004", "1886000000000000023", "1886000000000000031"):
        assert pd.isna(dm[censored][0]) and dm[censored][2] is True
    assert dm["1886000000000000023"][4] == pytest.approx(
        (obs_end - datetime(2026, 2, 5, 12, 1, tzinfo=UTC)).total_seconds() / 3600)
    assert {v[3] for v in dm.values()} == {"direct_message"}
    assert len(dm) == 10  # 7 on X (the account's own opening message is no message), 3 on FB
    # the public figures hold the public reply only
    assert con.execute("SELECT message_id, latency_hours, channel FROM responses").fetchall() == [
        ("1886000000000000901", 3.0, "public_reply")]
    assert con.execute("SELECT messages FROM account_metrics WHERE platform = 'x' "
                       "AND population = 'all'").fetchall() == [(1,)]
    # activity counts the account's two public posts, not its direct messages
    weeks = con.execute("SELECT posts_per_week, dialogue_share FROM account_activity "
                        "WHERE platform = 'x'").fetchall()[0]
    assert weeks[1] == 0.5
    channels = {(r[0], r[1]): r[2:] for r in con.execute(
        "SELECT platform, channel, messages, answered FROM channel_metrics").fetchall()}
    assert channels[("x", "direct_message")] == (7, 4)
    assert channels[("x", "public_reply")] == (1, 1)
    assert channels[("facebook", "direct_message")] == (3, 1)


def test_exports_leave_dms_out_unless_asked(dm_store, tmp_path):
    run = CliRunner()
    for what in ("responses", "posts"):
        out = tmp_path / f"{what}.csv"
        r = run.invoke(cli, ["export", "--what", what, "--out", str(out), "--include-text",
                             "--db", str(dm_store)])
        assert r.exit_code == 0, r.output
        body = out.read_text("utf-8")
        assert "1886000000000000001" not in body and "pension" not in body
        assert "fbdm_" not in body
        manifest = json.loads(Path(f"{out}.manifest.json").read_text("utf-8"))
        assert manifest["direct_messages_included"] is False
    out = tmp_path / "all_responses.csv"
    r = run.invoke(cli, ["export", "--what", "responses", "--out", str(out), "--include-dms",
                         "--db", str(dm_store)])
    assert r.exit_code == 0 and "direct messages are included" in r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sum(row["channel"] == "direct_message" for row in rows) == 10
    assert all(row["message_author"].startswith("p_") for row in rows)  # still pseudonymised
    assert json.loads(Path(f"{out}.manifest.json").read_text("utf-8"))[
        "direct_messages_included"] is True


def test_the_dashboard_data_has_no_dm(dm_store):
    from govwatch.dashboard.data import DashboardData

    data = DashboardData(dm_store)
    weeks = data.weekly_activity("x", OWNER)
    assert int(weeks["posts"].sum()) == 2
    mix = data.topic_mix()
    assert int(mix[mix.side == "official"]["posts"].sum()) == 2


def test_cli_ingest_owner_option(tmp_path):
    lone = tmp_path / "direct-messages.js"
    shutil.copy(X_ARCHIVE / "data" / "direct-messages.js", lone)
    db = tmp_path / "s.duckdb"
    r = CliRunner().invoke(cli, ["ingest", str(lone), "--db", str(db), "-q"])
    assert r.exit_code == 3 and "--owner HANDLE" in r.output  # the file is reported, not stored
    r = CliRunner().invoke(cli, ["ingest", str(lone), "--owner", "@MinHealthX", "--db", str(db),
                                 "-q"])
    assert r.exit_code == 3, r.output  # two rejected messages
    again = CliRunner().invoke(cli, ["ingest", str(lone), "--owner", "MinHealthX", "--db",
                                     str(db), "-q"])
    assert again.exit_code == 0, again.output  # already imported: nothing changes
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM posts").fetchone()[0] == 8


def test_facebook_thread_split_over_two_files_and_a_broken_file(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(FB_INBOX, inbox)
    thread = inbox / "josegarcia_1a2b3c4d5e"
    # an older part of the same thread (Facebook splits long threads: message_2.json)
    older = {"participants": [{"name": "Jos\u00c3\u00a9 Garc\u00c3\u00ada"},
                              {"name": "Minist\u00c3\u00a8re de la Sant\u00c3\u00a9 (invented)"}],
             "messages": [{"sender_name": "Jos\u00c3\u00a9 Garc\u00c3\u00ada",
                           "timestamp_ms": 1769990400000, "content": "Bonjour ?"}],
             "thread_path": "inbox/josegarcia_1a2b3c4d5e"}
    (thread / "message_2.json").write_text(json.dumps(older), encoding="utf-8")
    (inbox / "amina_6f7g8h9i0j" / "message_1.json").write_text('{"participants": [',
                                                               encoding="utf-8")
    posts, rejects, *_ = _read(FacebookMessagesReader(), inbox, ReadOptions(owner=PAGE))
    jose = sorted((p for p in posts if "josegarcia" in p["conversation_id"]),
                  key=lambda p: p["created_at"])
    assert [p["text"] for p in jose][0] == "Bonjour ?"  # read together, in time order
    assert len(jose) == 3 and jose[-1]["author"] == PAGE
    assert [r.locator for r in rejects] == ["amina_6f7g8h9i0j/message_1.json: line 1, column 19"]
    assert "invalid JSON" in rejects[0].reason
    # the Page is the one participant of every thread, not of every file of one thread
    with pytest.raises(InputError, match="--owner"):
        _read(FacebookMessagesReader(), inbox)
