"""Benchmark: import speed of the ticket, review and outage-free channel readers beside the
posts-CSV reader, on synthetic inputs of the same number of rows, in one run.

    python benchmarks/bench_channels.py --rows 100000
    python benchmarks/bench_channels.py --rows 1000000 --repeat 1

Each side is ``python -m govwatch.cli ingest FILE --format NAME -q --db NEW.duckdb`` in a
fresh process pinned to one CPU (``_measure.py``), on a file of ``--rows`` rows:

- ``csv`` (the reference): the posts CSV (platform, post_id, author, created_at, text,
  in_reply_to_post_id), half public messages, half replies;
- ``tickets-csv``: tickets with submitted, acknowledged (two thirds) and closed (half) times;
- ``open311``: the same tickets as an Open311 GeoReport v2 JSON array (closed requests with
  ``updated_datetime`` and ``status_notes``);
- ``open311-csv``: the same requests as a CSV with the GeoReport field names;
- ``google-play``: google-play-scraper CSV rows, 80% with a developer reply
  (``--app-id``, ``--assume-tz UTC``).

Each reader is paired with the posts-CSV reader (reader, posts CSV, reader, posts CSV,
``--repeat`` pairs) so that a change in the machine's load touches both sides alike. The
table gives per reader the median CPU time beside the posts-CSV reader's, input rows per
CPU second, rows stored, the peak memory of each side, and the ratios posts-CSV time /
reader time per pair, CPU and wall (median, min-max; above 1: the reader is faster than
the posts-CSV reader on as many rows; on a shared machine the CPU ratio is the steadier
one). A ticket or a replied
review stores two or three posts; the ratio is per input row. Not a test: nothing here
asserts a speed. Files go to ``benchmarks/work/channels/``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _measure import (  # noqa: E402
    default_cpu,
    fmt_spread,
    machine_load,
    mib,
    paired,
    run,
    warm,
)

WORK = Path(__file__).parent / "work" / "channels"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
WORDS = ("water", "road", "bus", "refund", "delay", "garbage", "light", "please", "help",
         "broken", "since", "week", "nobody", "came", "still", "waiting", "app", "login")


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18)))


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def write_inputs(rows: int, seed: int = 1) -> dict[str, tuple[Path, list[str]]]:
    """The input file of each reader and the extra arguments its ingest needs."""
    WORK.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    files = {}
    path = WORK / f"posts-{rows}.csv"
    if not path.exists():
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["platform", "post_id", "author", "created_at", "text",
                        "in_reply_to_post_id"])
            for i in range(rows):
                t = T0 + timedelta(seconds=30 * i)
                parent = str(i - 1) if i % 2 else ""
                w.writerow(["x", str(i), f"user{i % 5000}" if not i % 2 else "agency",
                            _iso(t), _text(rng), parent])
    files["csv"] = (path, [])
    tickets = []
    for i in range(rows):
        t = T0 + timedelta(seconds=30 * i)
        ack = t + timedelta(hours=rng.uniform(0.1, 48)) if i % 3 else None
        closed = t + timedelta(hours=rng.uniform(49, 400)) if i % 2 else None
        tickets.append((f"T{i}", f"Agency {i % 20}", t, ack, closed, _text(rng)))
    path = WORK / f"tickets-{rows}.csv"
    if not path.exists():
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["ticket_id", "agency", "submitted_at", "acknowledged_at", "closed_at",
                        "text", "category", "status"])
            for tid, agency, t, ack, closed, text in tickets:
                w.writerow([tid, agency, _iso(t), _iso(ack) if ack else "",
                            _iso(closed) if closed else "", text, "roads",
                            "closed" if closed else "open"])
    files["tickets-csv"] = (path, [])
    path = WORK / f"open311-{rows}.json"
    if not path.exists():
        with open(path, "w", encoding="utf-8") as f:
            f.write("[\n")
            for n, (tid, agency, t, _, closed, text) in enumerate(tickets):
                req = {"service_request_id": tid, "status": "closed" if closed else "open",
                       "service_name": "Pothole", "agency_responsible": agency,
                       "description": text, "requested_datetime": _iso(t),
                       "updated_datetime": _iso(closed or t)}
                if closed:
                    req["status_notes"] = "Case resolved."
                f.write(json.dumps(req) + (",\n" if n < rows - 1 else "\n"))
            f.write("]\n")
    files["open311"] = (path, [])
    path = WORK / f"open311-{rows}.csv"
    if not path.exists():
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["service_request_id", "status", "service_name", "agency_responsible",
                        "description", "requested_datetime", "updated_datetime", "status_notes"])
            for tid, agency, t, _, closed, text in tickets:
                w.writerow([tid, "closed" if closed else "open", "Pothole", agency, text,
                            _iso(t), _iso(closed or t), "Case resolved." if closed else ""])
    files["open311-csv"] = (path, [])
    path = WORK / f"play-{rows}.csv"
    if not path.exists():
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["reviewId", "userName", "userImage", "content", "score",
                        "thumbsUpCount", "reviewCreatedVersion", "at", "replyContent",
                        "repliedAt", "appVersion"])
            for i in range(rows):
                t = T0 + timedelta(seconds=30 * i)
                replied = i % 5 != 0
                w.writerow([f"r-{i}", "A Google user", "", _text(rng), 1 + i % 5, i % 7, "1.0",
                            t.strftime("%Y-%m-%d %H:%M:%S"),
                            "Thank you for your feedback" if replied else "",
                            (t + timedelta(hours=rng.uniform(0.1, 72))).strftime(
                                "%Y-%m-%d %H:%M:%S") if replied else "", "1.0"])
    files["google-play"] = (path, ["--app-id", "gov.example.app", "--assume-tz", "UTC"])
    return files


def stored(db: Path) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM posts").fetchone()[0]
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3, help="pairs of alternating runs")
    ap.add_argument("--cpu", type=int, default=None, help="CPU to pin to (-1: none)")
    ap.add_argument("--only", nargs="*", default=None, help="readers to measure")
    args = ap.parse_args(argv)
    cpu = None if args.cpu == -1 else (default_cpu() if args.cpu is None else args.cpu)
    files = write_inputs(args.rows)
    for path, _ in files.values():
        warm(path)
    counts: dict[str, int] = {}

    def side(name: str, tag: str):
        path, extra = files[name]

        def go():
            db = WORK / f"{name}-{tag}.duckdb"
            db.unlink(missing_ok=True)
            cmd = [sys.executable, "-m", "govwatch.cli", "ingest", str(path), "--format", name,
                   "-q", "--db", str(db), *extra]
            m = run(cmd, cpu=cpu, log=WORK / f"{name}.log")
            counts[name] = stored(db)
            db.unlink(missing_ok=True)
            return m
        return go

    load_before = machine_load()
    results = {name: paired(side(name, "ours"), side("csv", "base"), pairs=args.repeat)
               for name in files if name != "csv" and (not args.only or name in args.only)}
    print(f"# Channel readers, {args.rows:,} input rows each ({machine_load()}; "
          f"before: {load_before}; pinned to CPU {cpu}; {args.repeat} pairs, reader then "
          "posts CSV)\n")
    print("| reader | input MiB | CPU s (median) | posts-CSV CPU s | rows/CPU s | posts stored "
          "| peak memory | posts-CSV peak | posts-CSV CPU / this (min-max) "
          "| posts-CSV wall / this |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, pair in results.items():
        s = pair.summary()
        size = files[name][0].stat().st_size
        print(f"| {name} | {size / 2**20:,.0f} | {s['ours']['cpu_s']:.1f} | "
              f"{s['base']['cpu_s']:.1f} | {args.rows / s['ours']['cpu_s']:,.0f} | "
              f"{counts[name]:,} | {mib(s['ours']['peak_rss_bytes'])} | "
              f"{mib(s['base']['peak_rss_bytes'])} | {fmt_spread(s['ratio_cpu'])} | "
              f"{fmt_spread(s['ratio_wall'])} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
