"""Dashboard speed in a real browser: first render and filter-change latency of
the overview, served from the pre-aggregated tables, beside a baseline that
computes the same leaderboard from the raw posts on every request.

    python benchmarks/bench_dashboard.py --posts 1000000 [--changes 30] [--renders 5]
    python benchmarks/bench_dashboard.py --db STORE [--before DIR] [--pairs 3] [--accounts 5]

1. Builds (once; cached in benchmarks/work/) a synthetic store of N posts by
   100 official accounts and their public, in the DESIGN posts-CSV format,
   through the real import and analysis pipeline.
2. Serves it twice with dashboard/serve.py's server: the dashboard as shipped
   (which builds the overview's default view when the server starts), and the
   baseline (``--serve-baseline``: the same app whose data layer recomputes
   messages, 7-day response rate and naive median per account from ``posts``
   with SQL on every page view, uncached, nothing built at start).
3. Drives Debian's Chromium (Playwright): ``--renders`` page loads of "/" (the
   first in a fresh profile, so cold), timed from navigation start until the
   status line, the leaderboard and the chart (when it starts inside the window:
   charts below the fold are drawn after the screen) are drawn with no callback
   pending inside the window, and the cold one also until the chart is drawn
   wherever it is and no callback is pending anywhere; then ``--changes``
   filter changes (clicking the country/level/platform toggles through distinct
   states), each timed in the page from the click until the new status line,
   leaderboard and chart are drawn.

4. With ``--accounts N``: N account pages (the busiest accounts first), each
   opened in a new tab of the same browser (scripts cached; the server sees the
   account for the first time), timed until its name and every chart inside the
   window are drawn, with no callback pending and no part still to come inside the
   window (the first screen, the figure reported), then until every part of the
   page has come and every chart of it is drawn (charts and parts below the fold
   come after the screen).

``--db STORE`` measures an existing analysed store instead of building one (for
example a 10M-post store from bench_scaling.py ``--keep``); the dashboard opens
it read-only and nothing is written to it. The filter toggles pressed are read
from the page, so any store's countries, levels and platforms work.
``--before DIR`` serves the same store a second time from another source tree
(a checkout of the code to compare, e.g. ``git worktree add DIR main``) and
measures both in ``--pairs`` interleaved pairs (A B, B A, A B ...: which side goes
first alternates), each side with a fresh browser profile (cold) and a fresh
server process.

Targets: first render < 2 s, filter change p95 < 300 ms. This is a benchmark,
never a test: it prints figures, writes them to benchmarks/work/
dashboard-results.json (with the machine's load average) and exits 0.

The overview filters in the browser (the server sends every account's row
once), so a filter change makes no request to either server: the baseline
differs in its first render (and in population or period changes).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WORK = REPO / "benchmarks" / "work"
ACCOUNTS = 100
COUNTRIES = ("XA", "XB", "XC", "XD", "XE")
LEVELS = ("national", "state", "local")
PLATFORMS = ("x", "facebook")
START = np.datetime64("2026-01-05T00:00:00", "s")
DAYS = 70
TEXTS_PUBLIC = [
    "@{o} Train {n} is running 4 hours late, no announcement at the station",
    "@{o} Water supply cut in ward {n} since yesterday, please help",
    "@{o} Thank you for the quick fix!",
    "@{o} When will the subsidy portal open again?",
    "@{o} Flood water entered houses in sector {n}, families on rooftops",
    "@{o} Road near school {n} has a huge pothole, accident waiting to happen",
    "@{o} Great festival arrangements this year",
    "@{o} My pension has not arrived for {n} months. Is anyone listening?",
]
TEXTS_OFFICIAL = [
    "We are looking into it, please DM the details.",
    "Update: services restored in the affected area.",
    "Thank you for your feedback.",
    "Today the minister inaugurated the new bridge.",
    "Please call our helpline for assistance.",
]


# ------------------------------------------------------------------ synthetic store
ZONES = ("UTC", "Asia/Kolkata", "Europe/Berlin", "America/Sao_Paulo", "Asia/Jakarta")
OFFICE_HOURS = ("Mon-Fri 09:00-17:00", "Mon-Sat 10:00-17:00", "")


def accounts_rows() -> list[dict]:
    """100 official accounts; two in three list office hours (a business clock)."""
    rows = []
    for i in range(ACCOUNTS):
        rows.append({
            "platform": PLATFORMS[i % 2], "author": f"gov_{i:03d}",
            "institution": f"Institution {i:03d}", "country": COUNTRIES[i % 5],
            "level": LEVELS[(i // 5) % 3], "timezone": ZONES[i % 5],
            "office_hours": OFFICE_HOURS[i % 3], "display_name": f"Institution {i:03d}",
        })
    return rows


def write_posts(path: Path, n_posts: int, seed: int = 7) -> None:
    """N posts: 10% official posts, ~65% citizen replies to them, the rest official
    answers to citizens (each account with its own answer rate and speed)."""
    rng = np.random.default_rng(seed)
    n_official = max(ACCOUNTS, n_posts // 10)
    n_public = int(n_posts * 0.65)
    answer_rate = rng.uniform(0.02, 0.9, ACCOUNTS)
    speed = rng.lognormal(1.0, 1.2, ACCOUNTS)  # median hours per account
    off_acct = rng.integers(0, ACCOUNTS, n_official)
    off_time = START + rng.integers(0, DAYS * 86400, n_official).astype("timedelta64[s]")
    parent = rng.integers(0, n_official, n_public)
    pub_acct = off_acct[parent]
    pub_time = off_time[parent] + rng.exponential(6 * 3600, n_public).astype("timedelta64[s]")
    answered = rng.random(n_public) < answer_rate[pub_acct]
    answered &= np.cumsum(answered) <= n_posts - n_official - n_public
    lat = (rng.lognormal(np.log(speed[pub_acct]), 1.0) * 3600).astype("timedelta64[s]")
    end = START + np.timedelta64(DAYS * 86400, "s")
    answered &= (pub_time + lat) < end
    citizen = rng.integers(0, max(1000, n_public // 20), n_public)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["platform", "post_id", "author", "created_at", "text",
                    "in_reply_to_post_id", "in_reply_to_author", "conversation_id"])
        iso = np.datetime_as_string(off_time, unit="s")
        for i in range(n_official):
            a = int(off_acct[i])
            w.writerow([PLATFORMS[a % 2], f"o{i}", f"gov_{a:03d}", iso[i] + "Z",
                        TEXTS_OFFICIAL[i % len(TEXTS_OFFICIAL)], "", "", f"o{i}"])
        iso = np.datetime_as_string(pub_time, unit="s")
        iso_r = np.datetime_as_string(pub_time + lat, unit="s")
        for j in range(n_public):
            a = int(pub_acct[j])
            plat, off = PLATFORMS[a % 2], f"gov_{a:03d}"
            text = TEXTS_PUBLIC[j % len(TEXTS_PUBLIC)].format(o=off, n=j % 97)
            who = f"citizen_{int(citizen[j])}"
            w.writerow([plat, f"p{j}", who, iso[j] + "Z", text, f"o{parent[j]}", off,
                        f"o{parent[j]}"])
            if answered[j]:
                w.writerow([plat, f"r{j}", off, iso_r[j] + "Z",
                            TEXTS_OFFICIAL[j % 3], f"p{j}", who, f"o{parent[j]}"])


def build(n_posts: int) -> Path:
    """The cached store for N posts (built through the real pipeline)."""
    from govwatch.analysis.pipeline import run_analysis
    from govwatch.ingest.pipeline import import_paths

    from govwatch.errors import StoreError
    from govwatch.store import Store

    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / f"bench-dashboard-{n_posts}.duckdb"
    if db.exists():  # cached; an older schema is migrated and analysed again
        try:
            Store(db, read_only=True).close()
        except StoreError:
            with Store(db) as store:
                run_analysis(store)
        return db
    acc_csv = WORK / "bench-dashboard-accounts.csv"
    posts_csv = WORK / f"bench-dashboard-posts-{n_posts}.csv"
    with open(acc_csv, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(accounts_rows()[0]))
        w.writeheader()
        w.writerows(accounts_rows())
    t = time.perf_counter()
    write_posts(posts_csv, n_posts)
    print(f"wrote {posts_csv.name} in {time.perf_counter() - t:.0f} s", flush=True)
    tmp = db.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    try:
        with Store(tmp) as store:
            t = time.perf_counter()
            import_paths(store, [acc_csv], kind="accounts")
            summary = import_paths(store, [posts_csv])
            print(f"imported {summary.total('posts_added'):,} posts in "
                  f"{time.perf_counter() - t:.0f} s", flush=True)
            t = time.perf_counter()
            result = run_analysis(store)
            print(f"analysed {result.messages:,} messages in {time.perf_counter() - t:.0f} s",
                  flush=True)
        tmp.rename(db)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        posts_csv.unlink(missing_ok=True)
    return db


# ------------------------------------------------------------------ baseline data layer
def baseline_data(db: Path):
    """A data layer whose leaderboard is computed from raw posts on every call."""
    import pandas as pd
    from govwatch.dashboard.data import DashboardData, Filters

    class RawPostsData(DashboardData):
        def leaderboard(self, filters: Filters) -> pd.DataFrame:
            where, params = ["a.official"], {}
            for name in Filters.MULTI:
                if getattr(filters, name):
                    where.append(f"list_contains(${name}, a.{name})")
                    params[name] = list(getattr(filters, name))
            board = self.df(f"""
                WITH obs AS (SELECT max(created_at) AS t FROM posts),
                msg AS (
                    SELECT a.platform, a.author AS official, m.post_id, m.author AS citizen,
                           m.created_at
                    FROM posts m JOIN posts o ON o.platform = m.platform
                         AND o.post_id = m.in_reply_to_post_id
                    JOIN accounts a ON a.platform = o.platform AND a.author = o.author
                    WHERE a.official AND m.author NOT IN
                          (SELECT author FROM accounts WHERE official)),
                resp AS (
                    SELECT msg.*, min(r.created_at) AS answered_at
                    FROM msg LEFT JOIN posts r ON r.platform = msg.platform
                         AND r.in_reply_to_post_id = msg.post_id AND r.author = msg.official
                         AND r.created_at > msg.created_at
                    GROUP BY ALL)
                SELECT a.platform, a.author, a.author AS display_name, a.institution,
                       a.country, a.level, count(resp.post_id) AS messages,
                       count(resp.answered_at) AS answered,
                       count(*) FILTER (WHERE resp.answered_at <= resp.created_at
                                        + INTERVAL 7 DAY) /
                       nullif(count(*) FILTER (WHERE resp.created_at + INTERVAL 7 DAY
                                               <= (SELECT t FROM obs)), 0)
                           AS answered_rate_7d,
                       median(epoch(resp.answered_at - resp.created_at) / 3600)
                           AS naive_median_hours
                FROM accounts a LEFT JOIN resp ON resp.platform = a.platform
                     AND resp.official = a.author
                WHERE {' AND '.join(where)}
                GROUP BY ALL ORDER BY a.institution
            """, params)
            for col in ("km_median_hours", "km_median_ci_low", "km_median_ci_high",
                        "max_followup_hours", "selectivity_gap", "gap_ci_low", "gap_ci_high",
                        "composite_index", "rate_status", "median_status", "gap_too_few"):
                board[col] = None
            board["km_median_reached"] = False
            board["messages"] = board["messages"].astype("int64")
            board["too_few"] = board["messages"] < self.min_n
            board["median_too_few"] = board["too_few"]
            return board

        def memo(self, key, make):  # uncached: every page view starts from raw posts
            return make()

    return RawPostsData(db)


def serve_baseline(db: Path, port: int) -> None:
    from govwatch.dashboard.app import create_app

    create_app(db, data=baseline_data(db), warm=False).server.run(host="127.0.0.1", port=port,
                                                                 threaded=True)


# ------------------------------------------------------------------ browser measurement
# Ready: the status line written, leaderboard rows and the median chart drawn
# (its points, or the note of a chart without medians; not just empty axes), no
# callback pending.
READY = """() => {
    const s = document.querySelector('#overview-status');
    const rows = document.querySelectorAll('#overview-board-body tr').length;
    const g = [...document.querySelectorAll('#overview-latency .dash-graph')];
    return s && s.textContent.length > 0 && rows > 0 && g.length > 0 &&
           g.every(x => x.querySelector('.main-svg .point, .main-svg .annotation')) &&
           !document.querySelector('[data-dash-is-loading="true"]');
}"""
# The first screen of the overview: as READY, but the chart only when it starts inside
# the window (charts below the fold are drawn after the screen).
# A callback still pending below the fold (the series chart) is not part of the screen.
BELOW = "(e => e.getBoundingClientRect().top >= window.innerHeight)"
READY_SCREEN = READY.replace(
    "g.every(x => x.querySelector('.main-svg .point, .main-svg .annotation'))",
    "g.every(x => x.querySelector('.main-svg .point, .main-svg .annotation') ||\n"
    f"                   {BELOW}(x))").replace(
    "!document.querySelector('[data-dash-is-loading=\"true\"]')",
    "[...document.querySelectorAll('[data-dash-is-loading=\"true\"]')]"
    f".every({BELOW})")
# A change is done when the status line changed and the chart has been drawn
# again (Plotly's plotly_afterplot event), or, two frames later, the chart
# was left as it was (the same accounts).
CHANGE = """async (selector) => {
    const before = document.querySelector('#overview-status').textContent;
    const gd = document.querySelector('#overview-latency .js-plotly-plot');
    const dataBefore = gd.data;
    let drawn = false;
    gd.on('plotly_afterplot', () => { drawn = true; });
    const button = document.querySelector(selector);
    const t0 = performance.now();
    button.click();
    return await new Promise((resolve, reject) => {
        const give_up = t0 + 60000;
        let framesSince = -1;
        function check() {
            const s = document.querySelector('#overview-status').textContent;
            const changed = s !== before &&
                !document.querySelector('[data-dash-is-loading="true"]');
            if (changed) { framesSince += 1; }
            const done = changed && (drawn || (framesSince >= 2 && gd.data === dataBefore));
            if (done) {
                gd.removeAllListeners('plotly_afterplot');
                resolve(performance.now() - t0);
            }
            else if (performance.now() > give_up) { reject(new Error('no update')); }
            else { requestAnimationFrame(check); }
        }
        requestAnimationFrame(check);
    });
}"""


def toggle_states(changes: int, seed: int = 3,
                  buttons: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """A walk over distinct filter states: (group, value) buttons to press."""
    rng = random.Random(seed)
    buttons = buttons or ([("country", c) for c in COUNTRIES] + [("level", v) for v in LEVELS]
                          + [("platform", p) for p in PLATFORMS])
    state: set = set()
    seen = {frozenset()}
    out = []
    for _ in range(changes * 1000):
        if len(out) >= changes:
            break
        b = rng.choice(buttons)
        nxt = frozenset(state ^ {b})
        groups = {g for g, _ in nxt}
        if nxt in seen or any(sum(1 for g2, _ in nxt if g2 == g) > 2 for g in groups):
            continue
        state, seen = set(nxt), seen | {nxt}
        out.append(b)
    return out


# The filter buttons of the page (value '*' is "all", not a state of its own).
BUTTONS = """() => ['country', 'level', 'platform'].flatMap(g =>
    [...document.querySelectorAll(`#overview-${g} button[data-value]`)]
        .map(b => [g, b.dataset.value]).filter(([, v]) => v !== '*'))"""
# An account page's first screen is drawn: its name, the SVG of every chart that
# starts inside the window (or no chart at all), and no callback pending and no part
# still to come (the placeholder of what its own callback fills) inside the window.
# Charts and parts below the fold come after the screen (dashboard/assets/
# plotly_loader.js, the page's later parts): ACCOUNT_ALL_DRAWN is the page with every
# part in and every chart drawn, measured after it.
_ACCOUNT_READY = """() => document.querySelector('#account-name') &&
    [...document.querySelectorAll('main .dash-graph')].every(g => g.querySelector('.main-svg')
                                                                  || BELOW(g))
    && [...document.querySelectorAll('[data-dash-is-loading="true"]')].every(BELOW)
    && [...document.querySelectorAll('.pending-content')].every(BELOW)"""
ACCOUNT_READY = _ACCOUNT_READY.replace("BELOW", BELOW)
ACCOUNT_ALL_DRAWN = _ACCOUNT_READY.replace("BELOW", "(e => false)")


def measure(base: str, renders: int, changes: int, accounts: list[tuple[str, str]] = ()
            ) -> dict:
    sys.path.insert(0, str(REPO / "tests"))
    from urllib.parse import urlencode

    from browser_support import chromium

    first, first_all, loads, lat, acc, acc_all = None, None, [], [], [], []
    with chromium() as context:
        for i in range(renders):
            page = context.new_page()
            page.goto(base + "/")
            page.wait_for_function(READY_SCREEN, timeout=120_000, polling="raf")
            ms = page.evaluate("performance.now()")
            page.wait_for_function(READY, timeout=120_000, polling="raf")
            if i == 0:
                first, first_all = ms, page.evaluate("performance.now()")
            else:
                loads.append(ms)
            if i < renders - 1:
                page.close()
        buttons = [tuple(b) for b in page.evaluate(BUTTONS)]
        for group, value in toggle_states(changes, buttons=buttons):
            sel = f"#overview-{group} button[data-value='{value}']"
            lat.append(page.evaluate(CHANGE, sel))
        for platform, author in accounts:
            tab = context.new_page()
            tab.goto(base + "/account?" + urlencode({"platform": platform, "author": author}))
            tab.wait_for_function(ACCOUNT_READY, timeout=120_000, polling="raf")
            acc.append(tab.evaluate("performance.now()"))
            tab.wait_for_function(ACCOUNT_ALL_DRAWN, timeout=120_000, polling="raf")
            acc_all.append(tab.evaluate("performance.now()"))
            tab.close()
        browser_cpu = chromium_cpu()
    return {"first": first, "first_all": first_all, "loads": loads, "changes": lat,
            "accounts": acc,
            "accounts_all": acc_all, "browser_cpu": browser_cpu}


def cpu_seconds(proc, children: bool = False) -> float:
    """User + system CPU seconds of a process (with its reaped children's)."""
    t = proc.cpu_times()
    own = t.user + t.system
    return own + (t.children_user + t.children_system if children else 0.0)


def chromium_cpu() -> float:
    """CPU seconds of the Chromium processes this process started, their exited
    processes (tabs closed, reaped by their parent) included."""
    import psutil

    total = 0.0
    for proc in psutil.Process().children(recursive=True):
        try:
            if "chrom" in proc.name().lower():
                total += cpu_seconds(proc, children=True)
        except psutil.Error:
            continue
    return total


def busiest_accounts(db: Path, n: int) -> list[tuple[str, str]]:
    """The ``n`` official accounts with the most messages (read-only)."""
    if n <= 0:
        return []
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return [tuple(r) for r in con.execute(
            "SELECT platform, official_author FROM account_metrics "
            "WHERE population = 'all' "
            "ORDER BY messages DESC, platform, official_author LIMIT ?", [n]).fetchall()]


def store_size(db: Path) -> tuple[int, int]:
    """(posts, official accounts) of a store (read-only)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        posts = con.execute("SELECT count(*) FROM posts").fetchone()[0]
        accounts = con.execute("SELECT count(*) FROM accounts WHERE official").fetchone()[0]
    return int(posts), int(accounts)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def run_server(db: Path, baseline: bool, code: Path | None = None, tag: str = ""):
    """The dashboard over ``db`` in a new process: as shipped, the raw-posts
    baseline, or (``code``) as another source tree of govwatch serves it."""
    import subprocess

    sys.path.insert(0, str(REPO / "tests"))
    from browser_support import free_port, wait_for_http

    port = free_port()
    if baseline:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-baseline", "--db",
               str(db), "--port", str(port)]
    elif code is not None:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-code", str(code),
               "--db", str(db), "--port", str(port)]
    else:
        cmd = [sys.executable, "-m", "govwatch.dashboard.serve", "--db", str(db), "--port",
               str(port)]
    name = "baseline" if baseline else (tag or "shipped")
    log = WORK / f"bench-dashboard-{name.split()[0]}.log"
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    wait_for_http(f"http://127.0.0.1:{port}", proc, 600, log)
    return proc, f"http://127.0.0.1:{port}"


def serve_code(code: Path, db: Path, port: int) -> None:
    """Serve ``db`` with the govwatch packages of the source tree ``code`` (the
    editable install's package map pointed at that tree, before any import)."""
    import importlib

    finder = next((m for m in list(sys.modules.values())
                   if getattr(m, "__name__", "").startswith("__editable___govwatch")), None)
    if finder is None:  # not yet imported by name: find it on sys.path
        for entry in sys.path:
            for f in Path(entry).glob("__editable___govwatch*_finder.py") \
                    if Path(entry).is_dir() else []:
                finder = importlib.import_module(f.stem)
    if finder is None:
        raise SystemExit("--before needs govwatch installed in editable mode (make venv)")
    for name, path in list(finder.MAPPING.items()):
        finder.MAPPING[name] = str(code / Path(path).name)
    for name in [m for m in sys.modules if m == "govwatch" or m.startswith("govwatch.")]:
        del sys.modules[name]
    serve = importlib.import_module("govwatch.dashboard.serve")
    assert Path(serve.__file__).resolve().is_relative_to(code.resolve()), serve.__file__
    serve.main(["--db", str(db), "--port", str(port)])


def report(name: str, r: dict) -> str:
    line = (f"{name:<28} first render {r['first'] / 1000:6.2f} s (cold; "
            f"every chart {r['first_all'] / 1000:.2f} s)  "
            f"warm p50 {pct(r['loads'], 50) / 1000:5.2f} s  "
            f"filter change p50 {pct(r['changes'], 50):7.0f} ms  "
            f"p95 {pct(r['changes'], 95):7.0f} ms  (n={len(r['changes'])})")
    if r.get("accounts"):
        line += (f"  account page p50 {pct(r['accounts'], 50) / 1000:5.2f} s  "
                 f"max {max(r['accounts']) / 1000:5.2f} s (n={len(r['accounts'])}), "
                 f"every chart drawn p50 {pct(r['accounts_all'], 50) / 1000:5.2f} s")
    if r.get("server_cpu") is not None:
        line += (f"  CPU server {r['server_cpu']:.2f} s + browser "
                 f"{r.get('browser_cpu', 0.0):.2f} s")
    return line


def pooled(runs: list[dict]) -> dict:
    """The runs of one side together: the median of the cold first renders, every
    warm load, filter change and account page."""
    return {"first": statistics.median(r["first"] for r in runs),
            "first_all": statistics.median(r["first_all"] for r in runs),
            "firsts": [r["first"] for r in runs],
            "loads": [x for r in runs for x in r["loads"]],
            "changes": [x for r in runs for x in r["changes"]],
            "accounts": [x for r in runs for x in r.get("accounts", [])],
            "accounts_all": [x for r in runs for x in r.get("accounts_all", [])],
            **({"server_cpu": statistics.median(r["server_cpu"] for r in runs),
                "browser_cpu": statistics.median(r["browser_cpu"] for r in runs)}
               if all("server_cpu" in r for r in runs) else {})}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, help="an existing analysed store to measure, "
                    "read-only (instead of building one of --posts posts)")
    ap.add_argument("--before", type=Path, help="a source tree of the code to compare "
                    "(its dashboard serves the same store), measured in interleaved pairs")
    ap.add_argument("--pairs", type=int, default=3, help="interleaved pairs with --before")
    ap.add_argument("--changes", type=int, default=30)
    ap.add_argument("--renders", type=int, default=5)
    ap.add_argument("--accounts", type=int, default=0,
                    help="account pages to open (the busiest accounts first)")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--serve-code", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve_baseline:
        serve_baseline(args.db, args.port)
        return 0
    if args.serve_code:
        serve_code(args.serve_code, args.db, args.port)
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    db = args.db.resolve() if args.db else build(args.posts)
    posts, n_accounts = store_size(db)
    accounts = busiest_accounts(db, args.accounts)
    sides = [(SHIPPED, False, None)]
    if args.before:
        sides.append((BEFORE, False, args.before.resolve()))
    rounds = args.pairs if args.before else 1
    runs: dict[str, list[dict]] = {}
    load_start = os.getloadavg()
    for i in range(rounds):
        # A B, then B A: the side measured first in a round is not always the same one
        # (on a busy machine two identical trees differed by 10-20% within a pair)
        for name, baseline, code in (sides if i % 2 == 0 else sides[::-1]):
            proc, base = run_server(db, baseline, code, tag=name)
            try:
                import psutil

                server = psutil.Process(proc.pid)
                cpu0 = cpu_seconds(server)
                run = measure(base, args.renders, args.changes, accounts)
                run["server_cpu"] = cpu_seconds(server) - cpu0
                runs.setdefault(name, []).append(run)
            finally:
                proc.terminate()
                proc.wait(10)
            print(f"round {i + 1}: {report(name, runs[name][-1])}", flush=True)
    if not args.skip_baseline:
        proc, base = run_server(db, True)
        try:
            runs[BASELINE] = [measure(base, args.renders, args.changes, accounts)]
        finally:
            proc.terminate()
            proc.wait(10)
    load_end = os.getloadavg()
    results = {name: pooled(r) for name, r in runs.items()}
    print(f"\nOverview of {posts:,} posts, {n_accounts:,} official accounts"
          + (f" ({db})" if args.db else "")
          + " (targets: first render < 2 s, filter change p95 < 300 ms)")
    for name, r in results.items():
        print(report(name, r) + (f"  cold renders {[round(x) for x in r['firsts']]} ms"
                                 if len(r["firsts"]) > 1 else ""))
    if BEFORE in runs:
        print("pairs, this tree vs --before (first render cold, filter p50, filter p95, "
              "account page p50, every chart of it p50, CPU server + browser):")
        for a, b in zip(runs[SHIPPED], runs[BEFORE], strict=True):
            print(f"  {a['first']:6.0f} vs {b['first']:6.0f} ms   "
                  f"{pct(a['changes'], 50):5.0f} vs {pct(b['changes'], 50):5.0f} ms   "
                  f"{pct(a['changes'], 95):5.0f} vs {pct(b['changes'], 95):5.0f} ms   "
                  f"{pct(a['accounts'], 50):5.0f} vs {pct(b['accounts'], 50):5.0f} ms   "
                  f"{pct(a['accounts_all'], 50):5.0f} vs {pct(b['accounts_all'], 50):5.0f} ms   "
                  f"{a['server_cpu'] + a['browser_cpu']:5.2f} vs "
                  f"{b['server_cpu'] + b['browser_cpu']:5.2f} s")
    if results:
        print("filter-change samples (ms):",
              {k: [round(x) for x in v["changes"]] for k, v in results.items()})
    print("load average (1, 5, 15 min): start "
          f"{' '.join(f'{v:.2f}' for v in load_start)}, end "
          f"{' '.join(f'{v:.2f}' for v in load_end)} on {os.cpu_count()} CPUs")
    out = write_results(args, posts, n_accounts, results, load_start, load_end)
    print(f"wrote {out.relative_to(REPO)}")
    return 0


SHIPPED = "pre-aggregated (shipped)"
BEFORE = "before (--before)"
BASELINE = "baseline: from raw posts"
RESULTS = WORK / "dashboard-results.json"


def figures(r: dict) -> dict:
    """The four headline figures of one measured server."""
    out = {
        "first_render_cold_s": round(r["first"] / 1000, 3),
        "first_render_cold_all_charts_s": round(r["first_all"] / 1000, 3),
        "first_render_warm_s": round(pct(r["loads"], 50) / 1000, 3) if r["loads"] else None,
        "filter_p50_ms": round(pct(r["changes"], 50), 1),
        "filter_p95_ms": round(pct(r["changes"], 95), 1),
    }
    if len(r.get("firsts", [])) > 1:
        out["first_render_cold_runs_s"] = [round(x / 1000, 3) for x in r["firsts"]]
    if r.get("accounts"):
        out["account_page_p50_s"] = round(pct(r["accounts"], 50) / 1000, 3)
        out["account_page_max_s"] = round(max(r["accounts"]) / 1000, 3)
        out["account_page_all_charts_p50_s"] = round(pct(r["accounts_all"], 50) / 1000, 3)
        out["account_page_all_charts_max_s"] = round(max(r["accounts_all"]) / 1000, 3)
    if r.get("server_cpu") is not None:
        out["server_cpu_s"] = round(r["server_cpu"], 2)
        out["browser_cpu_s"] = round(r["browser_cpu"], 2)
    return out


def write_results(args, posts: int, accounts: int, results: dict, load_start,
                  load_end) -> Path:
    """benchmarks/work/dashboard-results.json: the shipped figures at the top
    level, the baseline's (when measured) under ``baseline``, the other source
    tree's under ``before``, and the machine's load average at the start and end
    of the run."""
    out: dict = {"posts": posts, "accounts": accounts, "renders": args.renders,
                 "changes": args.changes, "store": str(args.db) if args.db else None,
                 "pairs": args.pairs if args.before else None,
                 "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "targets": {"first_render_s": 2.0, "filter_p95_ms": 300.0}}
    if SHIPPED in results:
        out.update(figures(results[SHIPPED]))
        out["filter_samples_ms"] = [round(x, 1) for x in results[SHIPPED]["changes"]]
    if BASELINE in results:
        out["baseline"] = {"name": BASELINE, **figures(results[BASELINE])}
    if BEFORE in results:
        out["before"] = {"name": BEFORE, "code": str(args.before), **figures(results[BEFORE])}
    out["load"] = {"start": [round(v, 2) for v in load_start],
                   "end": [round(v, 2) for v in load_end], "cpus": os.cpu_count()}
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return RESULTS


if __name__ == "__main__":
    raise SystemExit(main())
