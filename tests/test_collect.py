"""``govwatch collect`` against a local stand-in of the Bluesky and Mastodon APIs.

The server (tests/collect_server.py) is a real process on 127.0.0.1. Its responses are
built from the APIs' documentation and filled with generated data, except the test marked
``shared``, which serves the real Bluesky post views of bluesky_twitwi_fixtures.
"""

from __future__ import annotations

import json
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from govwatch.ingest.collect import HttpClient, Settings, collect, parse_handle, read_targets
from govwatch.ingest.collect.base import Target

from govwatch.errors import CollectError, InputError, UsageError

SERVER = Path(__file__).with_name("collect_server.py")
POST_COLUMNS = ("platform, post_id, author, created_at, text, kind, in_reply_to_post_id, "
                "in_reply_to_author, conversation_id, mentions, url, like_count, share_count, "
                "reply_count, lang")


class Server:
    def __init__(self, tmp: Path, cfg: dict):
        path = tmp / f"server-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(cfg), "utf-8")
        self.proc = subprocess.Popen([sys.executable, str(SERVER), str(path)],
                                     stdout=subprocess.PIPE, text=True)
        if not select.select([self.proc.stdout], [], [], 120)[0]:
            self.proc.kill()
            pytest.fail("the test server did not say its port within 120 s")
        line = self.proc.stdout.readline()
        assert line.startswith("PORT "), line
        self.url = f"http://127.0.0.1:{line.split()[1]}"

    def get(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=60) as resp:
            return json.loads(resp.read())

    def faults(self, rules: list[dict]) -> None:
        req = urllib.request.Request(self.url + "/_control/faults", data=json.dumps(rules).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).read()

    def stats(self) -> Counter:
        return Counter(self.get("/_control/stats"))

    def served(self) -> int:
        """API requests answered so far (the control calls not counted)."""
        return sum(v for k, v in self.stats().items()
                   if not k.startswith(("user-agent", "fault")))

    def held(self) -> int:
        """Requests that arrived after ``/_control/hold?after=N`` and wait there: the
        client has saved what it had before sending them."""
        return self.get("/_control/held")["held"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def server(tmp_path):
    servers = []

    def start(**cfg) -> Server:
        s = Server(tmp_path, cfg)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


def govwatch(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "govwatch.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def _sigint_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_govwatch(args: list, **popen) -> subprocess.Popen:
    """``govwatch ARGS`` started, with SIGINT at its default action as in a terminal, so
    Python turns it into KeyboardInterrupt. A non-interactive shell starts a command put
    in the background (``pytest ... &``) with SIGINT ignored, its children inherit that,
    and Python leaves an ignored SIGINT ignored: Ctrl-C would then never reach the
    command under test."""
    return subprocess.Popen([sys.executable, "-m", "govwatch.cli", *map(str, args)],
                            preexec_fn=_sigint_as_in_a_terminal, **popen)


def wait_until(condition, seconds: float, what: str, proc: subprocess.Popen | None = None
               ) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``seconds``, or as soon
    as ``proc`` ends without it."""
    deadline = time.monotonic() + seconds
    while not condition():
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the command ended (exit {proc.returncode}) before {what}:\n"
                        f"{_text(out)}{_text(err)}")
        if time.monotonic() > deadline:
            if proc is not None:
                proc.kill()
                proc.communicate()
            pytest.fail(f"no {what} within {seconds:.0f} s")
        time.sleep(0.05)


def _text(data) -> str:
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else (data or "")


def sigint_handling(pid: int) -> str:
    """How the process ``pid`` treats SIGINT, from /proc (Linux), for a failure message."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "unknown"
    masks = {k: int(v, 16) for k, v in (line.split(":\t") for line in status.splitlines()
                                         if line.startswith(("SigIgn", "SigCgt")))}
    bit = 1 << (signal.SIGINT - 1)
    return ("ignored" if masks.get("SigIgn", 0) & bit else
            "caught" if masks.get("SigCgt", 0) & bit else "default (terminates)")


def stop_within(proc: subprocess.Popen, seconds: float, after: str) -> tuple:
    """The output of ``proc`` once it has ended; killed, and the test failed with what it
    wrote, when it has not ended ``seconds`` after ``after``."""
    try:
        return proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        sigint = sigint_handling(proc.pid)
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the command was still running {seconds:.0f} s after {after} (its SIGINT "
                    f"handling: {sigint}); killed. It wrote:\n{_text(out)}{_text(err)}")


def collect_args(srv: Server, out: Path, db: Path, *extra) -> list:
    return ["collect", "--out", out, "--db", db, "--bluesky-api", srv.url,
            "--mastodon-api", srv.url, "--quiet", *extra]


def stored(db: Path, platform: str) -> set[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute(
            "SELECT post_id FROM posts WHERE platform = ?", [platform]).fetchall()}
    finally:
        con.close()


def posts_table(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"SELECT {POST_COLUMNS} FROM posts ORDER BY platform, post_id").fetchall()
    finally:
        con.close()


def no_repeated_lines(out: Path) -> None:
    for path in out.rglob("*.jsonl"):
        lines = path.read_bytes().splitlines()
        assert lines, path
        repeated = [n for n, c in Counter(lines).items() if c > 1]
        assert not repeated, f"{path}: {len(repeated)} responses saved twice"
        for line in lines:
            json.loads(line)  # every line is whole


def quick_client(waits: list | None = None, **kw) -> HttpClient:
    return HttpClient(timeout=10, base_delay=0.01, sleep=(waits.append if waits is not None
                                                          else time.sleep), **kw)


# ---------------------------------------------------------------------- input


def test_handles_and_accounts_csv(tmp_path):
    assert parse_handle("bluesky:Health.Gov.example").platform == "bluesky"
    assert parse_handle("@health@Social.Gov.Example") == Target("mastodon",
                                                               "health@social.gov.example")
    assert parse_handle("water.gov.example") == Target("bluesky", "water.gov.example")
    with pytest.raises(UsageError, match="cannot tell the platform"):
        parse_handle("healthministry")
    csv = tmp_path / "accounts.csv"
    csv.write_text("platform,author,institution,country,level,timezone\n"
                   "bluesky,health.gov.example,Health,XA,national,UTC\n"
                   "x,someone,Other,XA,national,UTC\n"
                   "mastodon,health@social.gov.example,Health,XA,national,UTC\n", "utf-8")
    assert read_targets(csv) == [Target("bluesky", "health.gov.example"),
                                 Target("mastodon", "health@social.gov.example")]
    bad = tmp_path / "bad.csv"
    bad.write_text("platform,handle\nbluesky,x.example\n", "utf-8")
    with pytest.raises(InputError, match="platform and author"):
        read_targets(bad)


# ---------------------------------------------------------------------- politeness


def test_backoff_honours_retry_after_and_reset_and_names_the_failure(server):
    srv = server(bluesky=["health.gov.example"], posts=3, replies=5)
    srv.faults([{"status": 429, "from": 0, "count": 3, "retry_after": 2},
                {"status": 500, "from": 3, "count": 2}])
    waits: list[float] = []
    client = quick_client(waits, max_wait=30)
    resp = client.get(f"{srv.url}/xrpc/app.bsky.feed.getAuthorFeed",
                      {"actor": "health.gov.example"}, "health.gov.example", "getAuthorFeed")
    assert resp.status == 200 and len(resp.body["feed"]) >= 3
    assert client.stats.retries == 5 and client.stats.by_status == {429: 3, 500: 2, 200: 1}
    assert all(w >= 2 for w in waits[:3]), waits  # Retry-After: 2 is honoured
    assert all(w <= 0.01 * 2 ** 4 for w in waits[3:]), waits  # jittered backoff after 500s
    # The User-Agent names the tool.
    assert any(k.startswith("user-agent:govwatch/") for k in srv.stats())

    srv.faults([{"status": 500, "from": 0, "count": 10**6}])
    with pytest.raises(CollectError) as info:
        quick_client([], retries=2).get(f"{srv.url}/xrpc/app.bsky.feed.getAuthorFeed",
                                        {"actor": "health.gov.example"}, "health.gov.example",
                                        "app.bsky.feed.getAuthorFeed")
    assert str(info.value) == ("health.gov.example: app.bsky.feed.getAuthorFeed: HTTP 500: "
                               "InternalServerError: Internal Server Error (after 3 attempts)")


def test_storm_and_burst_survived_with_summary(server, tmp_path):
    """A 429 storm (the window closed: remaining 0, reset in 1 s, Retry-After 1) and a 500
    burst, through the command a user runs; bounded by --max-wait per wait."""
    srv = server(bluesky=["health.gov.example"], mastodon=["health@social.gov.example"],
                 posts=12, replies=60)
    srv.faults([{"status": 429, "from": 4, "count": 5, "retry_after": 1, "reset": 1},
                {"status": 500, "from": 20, "count": 4}])
    out, db = tmp_path / "coll", tmp_path / "s.duckdb"
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("platform,author,institution,country,level,timezone\n"
                        "bluesky,health.gov.example,Health,XA,national,UTC\n"
                        "mastodon,health@social.gov.example,Health,XA,national,UTC\n", "utf-8")
    proc = govwatch(*collect_args(srv, out, db, "--accounts", accounts, "--max-wait", "1.5",
                                  "--retries", "8"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(9 retried; 5 x 429, 4 x 500); waited " in proc.stdout, proc.stdout
    waited = float(proc.stdout.split("; waited ")[1].split(" s ")[0].replace(",", ""))
    assert 5 * 1 <= waited <= 9 * 1.5 + 1  # Retry-After honoured; no wait above --max-wait
    live = srv.get("/_control/posts")
    for platform in ("bluesky", "mastodon"):
        assert stored(db, platform) == set(live[platform])
    with duckdb.connect(str(db), read_only=True) as con:  # the accounts CSV made them official
        assert con.execute("SELECT count(*) FROM accounts WHERE official").fetchone()[0] == 2


def test_failure_names_account_and_request_and_others_go_on(server, tmp_path):
    srv = server(bluesky=["health.gov.example"], posts=3, replies=5)
    out, db = tmp_path / "coll", tmp_path / "s.duckdb"
    proc = govwatch(*collect_args(srv, out, db, "bluesky:nobody.gov.example",
                                  "bluesky:health.gov.example"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ("bluesky:nobody.gov.example: app.bsky.feed.getAuthorFeed: HTTP 400: "
            "InvalidRequest: Profile not found") in proc.stderr
    assert "1 of 2 accounts had failures" in proc.stderr
    assert "bluesky:health.gov.example: 4 posts" in proc.stdout  # 3 notices + 1 answer
    assert len(stored(db, "bluesky")) == len(srv.get("/_control/posts")["bluesky"])


# ---------------------------------------------------------------------- completeness


@pytest.mark.parametrize("platform", ["bluesky", "mastodon"])
def test_pages_deep_threads_deleted_and_incremental(server, tmp_path, platform):
    handle = "health.gov.example" if platform == "bluesky" else "health@social.gov.example"
    srv = server(**{platform: [handle]}, posts=130, replies=700, deep=3, deep_length=50,
                 mention_posts=4, answered_mentions=2)
    srv.get(f"/_control/delete?platform={platform}&n=6")  # deleted replies
    out = tmp_path / "coll"
    target = Target(platform, handle)
    api = {"bluesky_api": srv.url, "mastodon_api": srv.url}
    first = collect(out, [target], Settings(refetch_days=0, page_size=40), quick_client(), **api)
    a = first.accounts[0]
    assert not a.failures
    stats = srv.stats()
    if platform == "bluesky":
        own = a.posts
        assert stats["app.bsky.feed.getAuthorFeed"] == -(-own // 40)  # paged with the cursor
        assert stats["app.bsky.feed.getPostThread"] > own  # deep chains took more requests
        assert a.mentions == 4 + 2  # the mention posts and the answered questions
    else:
        assert stats["accounts/:id/statuses"] == -(-a.posts // 40) + 1  # + the empty last page
        assert stats["statuses/:id/context"] > a.posts
    assert a.incomplete == 0
    db = tmp_path / "s.duckdb"
    assert govwatch("ingest", *sorted(out.rglob("*.jsonl")), "--db", db).returncode == 0
    live = set(srv.get("/_control/posts")[platform])
    assert stored(db, platform) == live
    # The account's answers to messages outside its threads link to those messages (on
    # Mastodon, from another instance: resolved because they share the instance's file).
    with duckdb.connect(str(db), read_only=True) as con:
        links = con.execute(
            "SELECT q.author, q.text FROM posts a JOIN posts q ON a.in_reply_to_post_id = "
            "q.post_id WHERE a.text = 'Yes, 9 to 12.'").fetchall()
    assert len(links) == 2 and all("clinic" in text for _, text in links), links

    # A second run fetches only what is new: one timeline page, the new threads.
    srv.get("/_control/grow?posts=3&replies=12")
    before = srv.stats()
    second = collect(out, [target], Settings(refetch_days=0, page_size=40), quick_client(), **api)
    b = second.accounts[0]
    spent = srv.stats() - before
    if platform == "bluesky":
        assert spent["app.bsky.feed.getAuthorFeed"] == 1
        assert spent["app.bsky.feed.getPostThread"] == b.posts >= 3
    else:
        assert spent["accounts/:id/statuses"] == 2  # the new page, then an empty one
        assert spent["statuses/:id/context"] == b.posts >= 3
    # Late replies under an old post come with the refetch window; a deleted root is
    # counted, and not asked for again.
    srv.get("/_control/late?replies=5")
    deleted_root = srv.get(f"/_control/delete_root?platform={platform}")["deleted"]
    wide = Settings(refetch_days=10**5, page_size=40)
    third = collect(out, [target], wide, quick_client(), **api).accounts[0]
    assert third.gone == 1 and not third.failures
    assert third.threads >= a.posts + b.posts - 1  # the window re-fetched every live thread
    fourth = collect(out, [target], wide, quick_client(), **api).accounts[0]
    assert fourth.gone == 0 and fourth.threads == third.threads - 1
    assert govwatch("ingest", *sorted(out.rglob("*.jsonl")), "--db", db).returncode == 0
    live = set(srv.get("/_control/posts")[platform])
    have = stored(db, platform)
    assert live <= have  # every live post, the late replies too
    with duckdb.connect(str(db), read_only=True) as con:  # and the deleted thread, as stored
        kept = {r[0] for r in con.execute(
            "WITH RECURSIVE t(id) AS (SELECT ? UNION SELECT p.post_id FROM posts p "
            "JOIN t ON p.in_reply_to_post_id = t.id) SELECT id FROM t", [deleted_root]).fetchall()}
    assert deleted_root in kept and have - live == kept - live
    no_repeated_lines(out)


# ---------------------------------------------------------------------- the done-when


def _run_until(srv: Server, args: list, requests: int, sig: int) -> subprocess.CompletedProcess:
    """Start a collection and interrupt it (Ctrl-C or a kill) once the server has answered
    ``requests`` more requests; every wait bounded, failing with what the run wrote."""
    start = srv.served()
    proc = start_govwatch(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: srv.served() - start >= requests, 600, f"{requests} requests served",
               proc)
    proc.send_signal(sig)
    out, err = stop_within(proc, 120, signal.Signals(sig).name)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def test_ctrl_c_reaches_the_run_when_pytest_ignores_it(server, tmp_path):
    """The runs these tests interrupt take Ctrl-C as in a terminal even when pytest itself
    ignores SIGINT (started in the background by a non-interactive shell, whose children
    inherit that): the run waiting on a held request stops, saying so."""
    srv = server(bluesky=["health.gov.example"], posts=5, replies=10)
    srv.get("/_control/hold?after=1")
    args = collect_args(srv, tmp_path / "coll", tmp_path / "s.duckdb",
                        "bluesky:health.gov.example")
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        proc = start_govwatch(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, before)
    try:
        wait_until(lambda: srv.held() >= 1, 120, "held request", proc)
        assert sigint_handling(proc.pid) == "caught"
        proc.send_signal(signal.SIGINT)
        out, err = stop_within(proc, 60, "SIGINT")
    finally:
        srv.get("/_control/release")
    assert proc.returncode == 1, out + err
    assert "Interrupted. Everything fetched so far is saved" in err


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["bluesky", "mastodon"])
def test_three_accounts_interrupted_twice_resumed_without_duplicates_or_gaps(
        server, tmp_path, platform):
    """3 accounts x 200 posts x 5,000 replies; Ctrl-C, then a kill, then to the end; then an
    incremental run; the store equals one built by ingesting the saved responses."""
    if platform == "bluesky":
        handles = ["health.gov.example", "water.gov.example", "transport.gov.example"]
    else:
        handles = ["health@social.gov.example", "water@social.gov.example",
                   "transport@social.gov.example"]
    srv = server(**{platform: handles}, posts=200, replies=5000, deep=2, deep_length=30,
                 mention_posts=3, seed=7)
    out, db = tmp_path / "coll", tmp_path / "collected.duckdb"
    args = collect_args(srv, out, db, *(f"{platform}:{h}" for h in handles),
                        "--refetch-days", "0")
    first = _run_until(srv, args, 150, signal.SIGINT)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "Interrupted. Everything fetched so far is saved" in first.stderr
    second = _run_until(srv, args, 250, signal.SIGKILL)
    assert second.returncode == -signal.SIGKILL
    third = govwatch(*args)
    assert third.returncode == 0, third.stdout + third.stderr
    live = set(srv.get("/_control/posts")[platform])
    assert len(live) > 3 * 5200
    assert stored(db, platform) == live  # no gaps (and the store's key forbids duplicates)
    no_repeated_lines(out)  # no response saved twice, though two runs were cut short
    stats = srv.stats()
    thread_family = ("app.bsky.feed.getPostThread" if platform == "bluesky"
                     else "statuses/:id/context")
    state = json.loads((out / "state.json").read_text("utf-8"))
    roots = sum(len(a["threads"]) for a in state["accounts"].values())
    # Each thread was asked for once, plus the deeper parts and the requests cut short.
    assert roots <= stats[thread_family] <= roots + 2 * 3 * 3 + 2

    srv.get("/_control/grow?posts=4&replies=20")
    before = srv.stats()
    fourth = govwatch(*args)
    assert fourth.returncode == 0, fourth.stdout + fourth.stderr
    spent = srv.stats() - before
    new_roots = sum(len(a["threads"]) for a in json.loads(
        (out / "state.json").read_text("utf-8"))["accounts"].values()) - roots
    assert 12 <= spent[thread_family] == new_roots  # only the new threads
    assert stored(db, platform) == set(srv.get("/_control/posts")[platform])

    fresh = tmp_path / "from-files.duckdb"
    fmt = "bluesky" if platform == "bluesky" else "mastodon-api"
    files = sorted(out.rglob("*.jsonl"))
    assert govwatch("ingest", *files, "--format", fmt, "--db", fresh).returncode == 0
    assert posts_table(fresh) == posts_table(db)


@pytest.mark.shared
def test_real_bluesky_posts_through_the_collector(server, tmp_path, shared_data):
    """The REAL post views of bluesky_twitwi_fixtures served as feeds and threads: the
    collected rows equal those read from the fixture file itself."""
    fixture = shared_data / "bluesky_twitwi_fixtures" / "bluesky-posts.json"
    items = json.loads(fixture.read_text("utf-8"))
    views = [i["post"] if "record" not in i else i for i in items]
    authors = Counter(pv["author"]["handle"] for pv in views)
    chosen = [h for h, n in authors.most_common() if n >= 2 and h != "handle.invalid"][:4]
    assert len(chosen) >= 2
    srv = server(fixture=str(fixture))
    out, db = tmp_path / "coll", tmp_path / "collected.duckdb"
    proc = govwatch(*collect_args(srv, out, db, *(f"bluesky:{h}" for h in chosen),
                                  "--no-mentions"))
    assert proc.returncode in (0, 3), proc.stdout + proc.stderr
    # The same real records as responses the reader takes (built here, in the test's folder).
    responses = tmp_path / "responses.json"
    responses.write_text(json.dumps([{"posts": [i for i in items if "record" in i]},
                                     {"feed": [i for i in items if "record" not in i]}]), "utf-8")
    direct = tmp_path / "direct.duckdb"
    assert govwatch("ingest", responses, "--format", "bluesky", "--db", direct).returncode in (0, 3)
    cols = ("post_id, author, created_at, text, kind, in_reply_to_post_id, conversation_id, "
            "lang, url, like_count, share_count, reply_count")
    wanted = sorted({pv["uri"] for pv in views if pv["author"]["handle"] in chosen})

    def rows(path):
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(f"SELECT {cols} FROM posts WHERE post_id IN (SELECT unnest(?)) "
                               "ORDER BY post_id", [wanted]).fetchall()

    collected = rows(db)
    assert len(collected) >= len(wanted) - 1  # the one with year 0000 is rejected by both
    assert collected == rows(direct)


def _youtube_links(db: Path) -> list[tuple]:
    """Replies whose parent, author-replied-to or video link is not their thread's."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT r.post_id FROM posts r JOIN posts t ON t.post_id = r.conversation_id "
            "WHERE r.platform = 'youtube' AND r.kind = 'reply' AND NOT ("
            "r.in_reply_to_post_id IS NOT DISTINCT FROM t.post_id "
            "OR (r.in_reply_to_post_id IS NULL AND r.in_reply_to_author IS NOT NULL)) "
            "OR (r.kind = 'reply' AND (r.url IS NULL OR r.in_reply_to_author IS NULL))"
        ).fetchall()


def test_youtube_comment_threads_with_a_key(server, tmp_path):
    import hashlib

    channel = "UC" + hashlib.sha256(b"health").hexdigest()[:22]  # the stand-in's channel id
    srv = server(youtube=["health"], posts=20, replies=260)
    srv.get("/_control/late?replies=230&under=comment")  # a thread of 3 comments.list pages
    out, db = tmp_path / "coll", tmp_path / "s.duckdb"
    base = ["collect", "--out", out, "--db", db, "--youtube-api", f"{srv.url}/youtube/v3",
            "--quiet", f"youtube:{channel}"]
    missing = govwatch(*base)
    assert missing.returncode == 1
    assert "commentThreads.list: YouTube needs your own Data API key" in missing.stderr
    secret = "AIza-test-key-not-real"
    proc = govwatch(*base, "--youtube-key", secret)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "shown only in part" not in proc.stdout  # comments.list gave every reply
    stats = srv.stats()
    assert stats["commentThreads.list"] >= 2  # over 100 threads: paged with pageToken
    live = set(srv.get("/_control/posts")["youtube"])
    assert {p for p in stored(db, "youtube") if p.startswith("Ug")} == live  # comment ids
    assert not _youtube_links(db)  # replies from comments.list are linked like shown ones
    assert stats["comments.list"] >= 3
    # Ingesting the saved responses by hand gives the same posts.
    by_hand = tmp_path / "by-hand.duckdb"
    assert govwatch("ingest", out / "youtube", "--format", "youtube", "--db",
                    by_hand).returncode == 0
    assert posts_table(by_hand) == posts_table(db)

    srv.get("/_control/grow?posts=1&replies=6")
    before = srv.stats()
    again = govwatch(*base, "--youtube-key", secret, "--refetch-days", "0")
    assert again.returncode == 0, again.stdout + again.stderr
    spent = srv.stats() - before
    assert spent["commentThreads.list"] == 1  # only the newest page
    assert spent["comments.list"] == 0  # no new thread with more than the shown replies
    # Late replies inside an old thread: within the refetch window its replies are fetched
    # again (its count changed), and no other thread's.
    srv.get("/_control/late?replies=9&under=comment")
    before = srv.stats()
    late = govwatch(*base, "--youtube-key", secret, "--refetch-days", "100000")
    assert late.returncode == 0, late.stdout + late.stderr
    # (the newest video's newest thread: 9 + a few replies, one page)
    assert (srv.stats() - before)["comments.list"] == 1
    assert {p for p in stored(db, "youtube") if p.startswith("Ug")} == set(
        srv.get("/_control/posts")["youtube"])
    assert not _youtube_links(db)
    no_repeated_lines(out)
    for path in out.rglob("*"):  # the key is never saved
        if path.is_file():
            assert secret not in path.read_text("utf-8")
    assert secret not in proc.stdout + proc.stderr + again.stdout + again.stderr

    # Without the replies: fewer requests, and the summary says the threads are partial.
    quota = govwatch("collect", "--out", tmp_path / "c2", "--db", tmp_path / "s2.duckdb",
                     "--youtube-api", f"{srv.url}/youtube/v3", "--quiet", f"youtube:{channel}",
                     "--youtube-key", secret, "--no-youtube-replies")
    assert quota.returncode == 0, quota.stdout + quota.stderr
    assert "shown only in part by the server" in quota.stdout


def test_youtube_replies_resumed_inside_a_thread(server, tmp_path):
    """Killed while paging one thread's replies, the next run goes on from the page it was
    at: every reply once, the pages of a thread on consecutive lines."""
    import hashlib

    channel = "UC" + hashlib.sha256(b"health").hexdigest()[:22]
    srv = server(youtube=["health"], posts=3, replies=20)
    srv.get("/_control/late?replies=450&under=comment")  # 5 pages of replies
    out, db = tmp_path / "coll", tmp_path / "s.duckdb"
    args = ["collect", "--out", out, "--db", db, "--youtube-api", f"{srv.url}/youtube/v3",
            "--quiet", f"youtube:{channel}", "--youtube-key", "k"]
    srv.get("/_control/hold?after=3")  # the threads page and 2 reply pages, then a hold
    first = start_govwatch(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # the second reply page is saved once the third is asked for (and held)
    wait_until(lambda: srv.held() >= 1, 120, "held request for the third reply page", first)
    first.kill()
    stop_within(first, 60, "SIGKILL")
    srv.get("/_control/release")
    state = json.loads((out / "state.json").read_text("utf-8"))
    assert state["accounts"][f"youtube:{channel}"]["pass"]["todo"]  # stopped inside
    done = govwatch(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert srv.stats()["comments.list"] <= 2 + 1 + 3  # resumed at page 3, not started over
    assert {p for p in stored(db, "youtube") if p.startswith("Ug")} == set(
        srv.get("/_control/posts")["youtube"])
    no_repeated_lines(out)
    lines = [json.loads(x) for x in (out / "youtube" / "commentThreads.jsonl").read_text(
        "utf-8").splitlines()]
    kinds = [x["kind"] for x in lines]
    assert kinds[0] == "youtube#commentThreadListResponse"
    assert kinds[1:] == ["youtube#commentListResponse"] * (len(lines) - 1) and len(lines) >= 6


def test_youtube_comments_list_on_its_own(tmp_path):
    """A comments.list response without its thread: replies to parentId, author unknown."""
    reply = {"kind": "youtube#comment", "id": "UgA.r1", "snippet": {
        "parentId": "UgA", "textOriginal": "Thanks", "authorDisplayName": "@x",
        "authorChannelId": {"value": "UCx"}, "likeCount": 0,
        "publishedAt": "2026-01-05T08:00:00Z"}}
    path = tmp_path / "comments.json"
    path.write_text(json.dumps({"kind": "youtube#commentListResponse", "items": [reply]}),
                    "utf-8")
    db = tmp_path / "s.duckdb"
    proc = govwatch("ingest", path, "--db", db)  # recognised without --format
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT post_id, kind, in_reply_to_post_id, in_reply_to_author, "
                           "conversation_id FROM posts").fetchall() == [
            ("UgA.r1", "reply", "UgA", None, "UgA")]


def test_mastodon_mentions_outside_threads_need_a_token(server, tmp_path):
    """No public search: without a token the mentions outside the account's threads are not
    collected; with the account's own token they come from its notifications, with another
    account's token from the instance's search; a later run asks only for newer ones."""
    handle = "health@social.gov.example"
    tokens = {"tok-own": handle, "tok-watch": "watchdog@social.gov.example"}
    srv = server(mastodon=[handle], posts=6, replies=30, mastodon_mention_posts=5,
                 answered_mentions=2, mastodon_tokens=tokens)
    live = set(srv.get("/_control/posts")["mastodon"])

    def run(name: str, *extra):
        db = tmp_path / f"{name}.duckdb"
        proc = govwatch(*collect_args(srv, tmp_path / name, db, f"mastodon:{handle}", *extra))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return db, proc

    plain, _ = run("plain")
    missing = live - stored(plain, "mastodon")
    assert len(missing) == 5  # the mentions outside threads (answered ones come with answers)
    for token, family in (("tok-own", "notifications"), ("tok-watch", "search")):
        before = srv.stats()
        db, proc = run(family, "--mastodon-token", token)
        assert stored(db, "mastodon") == live, family
        spent = srv.stats() - before
        assert spent[family] >= 1 and spent["notifications" if family == "search"
                                            else "search"] == 0
        found = int(re.search(r", ([\d,]+) mentions", proc.stdout).group(1).replace(",", ""))
        # Search finds the texts naming the account (with the 2 answered questions); the
        # notifications hold every mention, replies in its threads too.
        assert found == len(missing) + 2 if family == "search" else found > len(missing) + 2
        assert token not in proc.stdout + proc.stderr
        for path in (tmp_path / family).rglob("*"):
            if path.is_file():
                assert token not in path.read_text("utf-8")
        # Later: only what is newer is asked for (one page, nothing new: nothing saved).
        before = srv.stats()
        _, again = run(family, "--mastodon-token", token)
        assert (srv.stats() - before)[family] == 1 and " mentions" not in again.stdout
    bad = govwatch(*collect_args(srv, tmp_path / "bad", tmp_path / "bad.duckdb",
                                 f"mastodon:{handle}", "--mastodon-token", "nope"))
    assert bad.returncode == 1
    assert (f"mastodon:{handle}: accounts/verify_credentials: HTTP 401: The access token is "
            "invalid") in bad.stderr


def test_ctrl_c_during_a_write_loses_no_response(tmp_path):
    """Ctrl-C while a response is being written: the state saved on the way out must not
    count it as saved, or the next run, fetching it again, would take it as known and
    drop it (a thread lost)."""
    from govwatch.ingest.collect.state import Collection

    rel = "bluesky/getPostThread.jsonl"
    coll = Collection(tmp_path)
    assert coll.append(rel, '{"thread": 1}', same_as="at://x")
    real = coll._handles[rel]

    class InterruptedFlush:  # the signal arrives while the line is flushed
        def write(self, data):
            return real.write(data)

        def flush(self):
            real.flush()
            raise KeyboardInterrupt

    coll._handles[rel] = InterruptedFlush()
    with pytest.raises(KeyboardInterrupt):
        coll.append(rel, '{"thread": 2}', same_as="at://x")
    coll._handles[rel] = real
    coll.close()  # what the run saves on its way out
    again = Collection(tmp_path)  # the unrecorded line is cut off
    assert again.append(rel, '{"thread": 2}', same_as="at://x")  # and saved again
    again.close()
    assert (tmp_path / rel).read_text("utf-8").splitlines() == ['{"thread":1}', '{"thread":2}']
