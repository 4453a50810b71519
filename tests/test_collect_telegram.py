"""``govwatch collect telegram:CHANNEL`` against a local stand-in of the web preview.

The server (tests/collect_server.py, a real process on 127.0.0.1) serves the SYNTHETIC pages
of tests/fixtures/telegram_preview (hand-written in the preview's markup; nothing recorded
from Telegram) and channels it draws itself in the same markup.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from govwatch.ingest.collect import parse_handle, read_targets
from govwatch.ingest.collect.base import Target
from govwatch.ingest.telegram_preview import parse_page
from test_collect import (  # noqa: F401
    govwatch,
    no_repeated_lines,
    posts_table,
    server,
    start_govwatch,
    stop_within,
    wait_until,
)

from govwatch.errors import InputError, UsageError

FIX = Path(__file__).parent / "fixtures" / "telegram_preview"
EXPORT = FIX / "citywater_desktop_export.json"
COLUMNS = ("post_id, author, created_at, text, kind, in_reply_to_post_id, in_reply_to_author, "
           "conversation_id, like_count")


def rows(db: Path, where: str = "TRUE") -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"SELECT {COLUMNS} FROM posts WHERE platform = 'telegram' AND "
                           f"{where} ORDER BY post_id").fetchall()


def pages_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for name in ("citywater.html", "citywater.before-118.html", "citywater.before-108.html"):
        shutil.copy(FIX / name, folder / name)
    return folder


def collect_args(srv, out: Path, db: Path, *extra) -> list:
    return ["collect", "--out", out, "--db", db, "--telegram-url", srv.url,
            "--telegram-delay", "0", "--quiet", *extra]


def test_handles_and_accounts_rows(tmp_path):
    assert parse_handle("telegram:CityWater") == Target("telegram", "citywater")
    assert parse_handle("https://t.me/s/citywater") == Target("telegram", "citywater")
    assert parse_handle("t.me/citywater=1878264599") == Target("telegram", "citywater",
                                                                "1878264599")
    assert parse_handle("telegram:@citywater=channel1878264599").ident == "1878264599"
    with pytest.raises(UsageError, match="channel id after .=. is a number"):
        parse_handle("telegram:citywater=abc")
    with pytest.raises(UsageError, match="public username"):
        parse_handle("telegram:a-b")
    csv = tmp_path / "accounts.csv"
    csv.write_text("platform,author,institution,country,level,timezone,handle\n"
                   "telegram,channel1878264599,Water,XA,local,UTC,citywater\n"
                   "telegram,@roadsdept,Roads,XA,local,UTC,\n"
                   "telegram,channel42,Parks,XA,local,UTC,\n"
                   "telegram,user52344,Mayor,XA,local,UTC,mayor\n", "utf-8")
    skipped: list[str] = []
    assert read_targets(csv, skipped) == [Target("telegram", "citywater", "1878264599"),
                                          Target("telegram", "roadsdept")]
    assert skipped == ["telegram:channel42 (line 4: no handle column with its public username)",
                       "telegram:user52344 (line 5: not a channel)"]
    bad = tmp_path / "bad.csv"
    bad.write_text("platform,author,institution,country,level,timezone\n"
                   "telegram,@x!,Water,XA,local,UTC\n", "utf-8")
    with pytest.raises(InputError, match="line 2"):
        read_targets(bad)


def test_parse_a_page_of_the_preview():
    page = parse_page((FIX / "citywater.html").read_text("utf-8"))
    assert page.before == 118 and page.title == "City Water Board"
    by_id = {m.mid: m for m in page.messages}
    assert sorted(by_id) == [118, 119, 120, 121, 122, 123]
    first = by_id[118]
    assert first.text == ("💧 Water supply interrupted in District 4 (Elm St to Oak Ave) for a "
                          "main repair.\nExpected back by 18:00. Details: water.example/outages "
                          "#outage")
    assert first.created.isoformat() == "2026-01-06T12:00:00+00:00"
    assert (first.views, first.reactions) == (3400, 41 + 1100)
    assert by_id[119].forwarded_from == "City Government"
    assert by_id[121].edited and by_id[121].views == 5_000_000 and not by_id[118].edited
    reply = by_id[122]
    assert reply.reply_to == ("citywater", 118)
    assert reply.text.startswith("Update: the repair is done")  # not the quoted message
    assert reply.views == 1500
    older = parse_page((FIX / "citywater.before-118.html").read_text("utf-8"))
    assert older.service == [110] and older.before == 108
    texts = {m.mid: m.text for m in older.messages}
    assert texts[114] == "" and 113 not in texts  # a photo; an album shows as one message
    assert texts[116] == ("Typing <script>alert(1)</script> into our form does nothing; "
                          "=SUM(A1) neither.")
    first_page = parse_page((FIX / "citywater.before-108.html").read_text("utf-8"))
    assert first_page.before is None and first_page.service == [101]


def test_collect_a_channel_then_only_what_is_new(server, tmp_path):  # noqa: F811
    folder = pages_dir(tmp_path)
    srv = server(telegram_dir=str(folder))
    out, db = tmp_path / "coll", tmp_path / "s.duckdb"
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("platform,author,institution,country,level,timezone\n"
                        "telegram,@citywater,City Water Board,XA,local,UTC\n", "utf-8")
    proc = govwatch(*collect_args(srv, out, db, "--accounts", accounts, "--refetch-days", "0"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "telegram:citywater: 20 posts" in proc.stdout  # 22 ids, 2 of them service messages
    assert srv.stats()["t.me/s"] == 3  # the newest page, then ?before=118 and ?before=108
    got = rows(db)
    assert len(got) == 20 and all(r[0].startswith("citywater/") for r in got)
    assert {r[1] for r in got} == {"citywater"}
    by_id = {r[0]: r for r in got}
    assert by_id["citywater/122"][4:7] == ("reply", "citywater/118", "citywater")
    assert by_id["citywater/122"][7] == "citywater/118"  # the reply chain's first message
    assert by_id["citywater/119"][4] == "repost"
    assert by_id["citywater/114"][3] is None  # a photo without a caption
    with duckdb.connect(str(db), read_only=True) as con:
        account = con.execute("SELECT display_name, official FROM accounts WHERE "
                              "platform = 'telegram' AND author = 'citywater'").fetchall()
    assert account == [("City Water Board", True)]  # the accounts row "@citywater" is it

    # A week later: the newest page holds 124-126 and an edit of 121; a run with no refetch
    # window asks for that page only.
    shutil.copy(FIX / "citywater.later.html", folder / "citywater.html")
    before = srv.stats()["t.me/s"]
    again = govwatch(*collect_args(srv, out, db, "telegram:citywater", "--refetch-days", "0"))
    assert again.returncode == 0, again.stdout + again.stderr
    assert srv.stats()["t.me/s"] - before == 1
    assert "telegram:citywater: 3 posts" in again.stdout
    assert len(rows(db)) == 23
    with duckdb.connect(str(db), read_only=True) as con:
        text = con.execute("SELECT text FROM posts WHERE post_id = 'citywater/121'").fetchone()
    assert text[0].endswith("Compensation forms: water.example/forms")  # the edit arrived
    no_repeated_lines(out)
    # The saved pages, ingested by hand, give the same posts.
    by_hand = tmp_path / "by-hand.duckdb"
    assert govwatch("ingest", out / "telegram", "--format", "telegram-preview", "--db",
                    by_hand).returncode == 0
    assert posts_table(by_hand) == posts_table(db)


def test_with_the_channel_id_a_desktop_export_merges(server, tmp_path):  # noqa: F811
    """Given the numeric id, the collected posts have the Desktop export's keys: importing an
    export of the same channel adds only what the preview lacked, and the shared posts agree."""
    srv = server(telegram_dir=str(pages_dir(tmp_path)))
    out, db = tmp_path / "coll", tmp_path / "s.duckdb"
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("platform,author,institution,country,level,timezone,handle\n"
                        "telegram,channel1878264599,City Water Board,XA,local,UTC,citywater\n",
                        "utf-8")
    proc = govwatch(*collect_args(srv, out, db, "--accounts", accounts))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    collected = rows(db)
    assert len(collected) == 20 and all(r[0].startswith("1878264599/") for r in collected)
    with duckdb.connect(str(db), read_only=True) as con:  # the accounts CSV made it official
        assert con.execute("SELECT official FROM accounts WHERE platform = 'telegram' AND "
                           "author = 'channel1878264599'").fetchone() == (True,)
    export = tmp_path / "export.duckdb"
    assert govwatch("ingest", EXPORT, "--db", export).returncode == 0
    from_export = rows(export)
    assert len(from_export) == 6
    shared = {r[0] for r in from_export}
    # Keys, author, time, text, kind, reply links, thread and reactions agree.
    assert [r for r in collected if r[0] in shared] == from_export
    merged = govwatch("ingest", EXPORT, "--db", db)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert len(rows(db)) == 20  # nothing doubled
    # The same channel collected by name, then given its id in the same folder, is refused.
    by_name = tmp_path / "by-name"
    assert govwatch(*collect_args(srv, by_name, tmp_path / "n.duckdb",
                                  "telegram:citywater")).returncode == 0
    refused = govwatch(*collect_args(srv, by_name, tmp_path / "n.duckdb",
                                     "telegram:citywater=1878264599"))
    assert refused.returncode == 1
    assert ("telegram:citywater: t.me/s: collected into this folder before without its "
            "numeric id") in refused.stderr


def test_not_a_channel_is_a_clear_failure(server, tmp_path):  # noqa: F811
    srv = server(telegram_dir=str(pages_dir(tmp_path)))
    proc = govwatch(*collect_args(srv, tmp_path / "c", tmp_path / "s.duckdb",
                                  "telegram:nosuchchannel", "telegram:citywater"))
    assert proc.returncode == 1
    assert ("telegram:nosuchchannel: t.me/s: no web preview: not a public channel, or its "
            "owner turned the preview off") in proc.stderr
    assert "telegram:citywater: 20 posts" in proc.stdout  # the other channel went on


def test_many_pages_interrupted_and_resumed(server, tmp_path):  # noqa: F811
    """A drawn channel of 430 posts (22 pages): killed while a page is held, then run to the
    end: every post once, no page saved twice; then growth fetches one page."""
    srv = server(telegram_channels={"roadsdept": 430})
    out, db = tmp_path / "coll", tmp_path / "s.duckdb"
    args = collect_args(srv, out, db, "telegram:roadsdept", "--refetch-days", "0")
    srv.get("/_control/hold?after=7")
    first = start_govwatch(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # the 7th page is saved once the 8th is asked for (and held)
    wait_until(lambda: srv.held() >= 1, 120, "held request for the 8th page", first)
    first.kill()
    stop_within(first, 60, "SIGKILL")
    srv.get("/_control/release")
    state = json.loads((out / "state.json").read_text("utf-8"))
    assert state["accounts"]["telegram:roadsdept"]["pass"]["before"]  # stopped midway
    done = govwatch(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert srv.stats()["t.me/s"] <= 22 + 1  # resumed, not started over
    assert {r[0] for r in rows(db)} == {f"roadsdept/{i}" for i in range(1, 431)}
    no_repeated_lines(out)
    srv.get("/_control/telegram_grow?name=roadsdept&n=5")
    before = srv.stats()["t.me/s"]
    again = govwatch(*args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert srv.stats()["t.me/s"] - before == 1
    assert len(rows(db)) == 435


def test_a_page_saved_by_hand_is_read(tmp_path):
    db = tmp_path / "s.duckdb"
    proc = govwatch("ingest", FIX / "citywater.before-118.html", "--db", db)  # sniffed
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r[0] for r in rows(db)] == [f"citywater/{i}" for i in
                                        (108, 109, 111, 112, 114, 115, 116, 117)]
