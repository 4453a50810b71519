"""Dashboard speed in a real browser: first render and filter-change latency of
the overview, served from the pre-aggregated tables, beside a baseline that
computes the same leaderboard from the raw posts on every request.

    python benchmarks/bench_dashboard.py --posts 1000000 [--changes 30] [--renders 5]

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
   status line, the leaderboard and the chart are drawn; then ``--changes``
   filter changes (clicking the country/level/platform toggles through distinct
   states), each timed in the page from the click until the new status line,
   leaderboard and chart are drawn.

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


def toggle_states(changes: int, seed: int = 3) -> list[tuple[str, str]]:
    """A walk over distinct filter states: (group, value) buttons to press."""
    rng = random.Random(seed)
    buttons = [("country", c) for c in COUNTRIES] + [("level", v) for v in LEVELS] + \
        [("platform", p) for p in PLATFORMS]
    state: set = set()
    seen = {frozenset()}
    out = []
    while len(out) < changes:
        b = rng.choice(buttons)
        nxt = frozenset(state ^ {b})
        groups = {g for g, _ in nxt}
        if nxt in seen or any(sum(1 for g2, _ in nxt if g2 == g) > 2 for g in groups):
            continue
        state, seen = set(nxt), seen | {nxt}
        out.append(b)
    return out


def measure(base: str, renders: int, changes: int) -> dict:
    sys.path.insert(0, str(REPO / "tests"))
    from browser_support import chromium

    first, loads, lat = None, [], []
    with chromium() as context:
        for i in range(renders):
            page = context.new_page()
            page.goto(base + "/")
            page.wait_for_function(READY, timeout=120_000, polling="raf")
            ms = page.evaluate("performance.now()")
            if i == 0:
                first = ms
            else:
                loads.append(ms)
            if i < renders - 1:
                page.close()
        for group, value in toggle_states(changes):
            sel = f"#overview-{group} button[data-value='{value}']"
            lat.append(page.evaluate(CHANGE, sel))
    return {"first": first, "loads": loads, "changes": lat}


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def run_server(db: Path, baseline: bool):
    import subprocess

    sys.path.insert(0, str(REPO / "tests"))
    from browser_support import free_port, wait_for_http

    port = free_port()
    cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-baseline", "--db", str(db),
           "--port", str(port)] if baseline else \
        [sys.executable, "-m", "govwatch.dashboard.serve", "--db", str(db), "--port", str(port)]
    log = WORK / f"bench-dashboard-{'baseline' if baseline else 'shipped'}.log"
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    wait_for_http(f"http://127.0.0.1:{port}", proc, 120, log)
    return proc, f"http://127.0.0.1:{port}"


def report(name: str, r: dict) -> str:
    return (f"{name:<28} first render {r['first'] / 1000:6.2f} s (cold)  "
            f"warm p50 {pct(r['loads'], 50) / 1000:5.2f} s  "
            f"filter change p50 {pct(r['changes'], 50):7.0f} ms  "
            f"p95 {pct(r['changes'], 95):7.0f} ms  (n={len(r['changes'])})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--changes", type=int, default=30)
    ap.add_argument("--renders", type=int, default=5)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve_baseline:
        serve_baseline(Path(args.db), args.port)
        return 0
    db = build(args.posts)
    results = {}
    load_start = os.getloadavg()
    for name, baseline in ((SHIPPED, False), (BASELINE, True)):
        if baseline and args.skip_baseline:
            continue
        proc, base = run_server(db, baseline)
        try:
            results[name] = measure(base, args.renders, args.changes)
        finally:
            proc.terminate()
            proc.wait(10)
    load_end = os.getloadavg()
    print(f"\nOverview of {args.posts:,} posts, {ACCOUNTS} official accounts "
          f"(targets: first render < 2 s, filter change p95 < 300 ms)")
    for name, r in results.items():
        print(report(name, r))
    if results:
        print("filter-change samples (ms):",
              {k: [round(x) for x in v["changes"]] for k, v in results.items()})
        print("median of all:", {k: round(statistics.median(v["changes"]))
                                 for k, v in results.items()})
    print("load average (1, 5, 15 min): start "
          f"{' '.join(f'{v:.2f}' for v in load_start)}, end "
          f"{' '.join(f'{v:.2f}' for v in load_end)} on {os.cpu_count()} CPUs")
    out = write_results(args, results, load_start, load_end)
    print(f"wrote {out.relative_to(REPO)}")
    return 0


SHIPPED = "pre-aggregated (shipped)"
BASELINE = "baseline: from raw posts"
RESULTS = WORK / "dashboard-results.json"


def figures(r: dict) -> dict:
    """The four headline figures of one measured server."""
    return {
        "first_render_cold_s": round(r["first"] / 1000, 3),
        "first_render_warm_s": round(pct(r["loads"], 50) / 1000, 3) if r["loads"] else None,
        "filter_p50_ms": round(pct(r["changes"], 50), 1),
        "filter_p95_ms": round(pct(r["changes"], 95), 1),
    }


def write_results(args, results: dict, load_start, load_end) -> Path:
    """benchmarks/work/dashboard-results.json: the shipped figures at the top
    level, the baseline's (when measured) under ``baseline``, and the machine's
    load average at the start and end of the run."""
    out: dict = {"posts": args.posts, "accounts": ACCOUNTS, "renders": args.renders,
                 "changes": args.changes,
                 "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "targets": {"first_render_s": 2.0, "filter_p95_ms": 300.0}}
    if SHIPPED in results:
        out.update(figures(results[SHIPPED]))
        out["filter_samples_ms"] = [round(x, 1) for x in results[SHIPPED]["changes"]]
    if BASELINE in results:
        out["baseline"] = {"name": BASELINE, **figures(results[BASELINE])}
    out["load"] = {"start": [round(v, 2) for v in load_start],
                   "end": [round(v, 2) for v in load_end], "cpus": os.cpu_count()}
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return RESULTS


if __name__ == "__main__":
    raise SystemExit(main())
