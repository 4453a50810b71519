"""Change over time on a hand-built store: the before/after comparison around a date
(every figure computed by hand or by an independent formula), and the exports of the
weekly and monthly series, the comparisons and the candidate events."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from builders import ACCOUNT_HEADER, POST_HEADER, account, post, write_csv
from govwatch.analysis.pipeline import run_analysis
from govwatch.analysis.settings import build, from_dict
from govwatch.ingest.pipeline import import_paths

from govwatch.errors import UsageError
from govwatch.store import Store

CHANGE = datetime(2026, 2, 1, tzinfo=UTC)
OBSERVED_UNTIL = datetime(2026, 4, 1, tzinfo=UTC)
Z = 1.959963984540054


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def scenario() -> list[dict]:
    """Before the date: ten messages, each answered after 10 h. After it: ten, six
    answered after 2 h, four never. One more message 40 days before is outside the
    28-day window."""
    posts = [post("root", "MinRail", "2025-12-01T00:00:00Z", "Timetable")]

    def msg(mid: str, at: datetime, answer_after: float | None):
        posts.append(post(mid, f"c{mid}", _iso(at), "@MinRail when is the train?", "root",
                          "MinRail"))
        if answer_after is not None:
            posts.append(post(f"{mid}-r", "MinRail", _iso(at + timedelta(hours=answer_after)),
                              f"@c{mid} soon", mid, f"c{mid}"))

    msg("old", CHANGE - timedelta(days=40), None)
    for i in range(10):
        msg(f"b{i}", CHANGE - timedelta(days=20, hours=-i), 10)
        msg(f"a{i}", CHANGE + timedelta(days=3, hours=i), 2 if i < 6 else None)
    return posts


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("change")
    pcsv = write_csv(folder / "posts.csv", POST_HEADER, scenario())
    acsv = write_csv(folder / "accounts.csv", ACCOUNT_HEADER, [account("MinRail")])
    path = folder / "store.duckdb"
    with Store(path) as s:
        assert import_paths(s, [acsv], kind="accounts").rejected == 0
        assert import_paths(s, [pcsv]).rejected == 0
        run_analysis(s, build(observed_until=OBSERVED_UNTIL, min_n=3,
                              change__dates=("2026-02-01",)))
    return path


def comparison(store: Path):
    with Store(store, read_only=True) as s:
        rows = s.conn.execute("SELECT * FROM before_after WHERE population = 'all'").df()
    assert len(rows) == 1
    return rows.iloc[0]


def wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def test_rates_and_their_difference_by_hand(store):
    r = comparison(store)
    assert r.change_at == CHANGE and r.window_days == 28
    assert (r.before_messages, r.before_observed_window, r.before_answered_window) == (10, 10, 10)
    assert (r.after_messages, r.after_observed_window, r.after_answered_window) == (10, 10, 6)
    assert (r.before_rate, r.after_rate) == (1.0, 0.6)
    lb, ub = wilson(10, 10)
    la, ua = wilson(6, 10)
    assert (r.before_rate_ci_low, r.before_rate_ci_high) == (pytest.approx(lb), pytest.approx(ub))
    assert (r.after_rate_ci_low, r.after_rate_ci_high) == (pytest.approx(la), pytest.approx(ua))
    # Newcombe's hybrid score interval (his method 10) of after - before
    d = 0.6 - 1.0
    assert r.rate_difference == pytest.approx(d)
    assert r.rate_difference_ci_low == pytest.approx(d - math.hypot(0.6 - la, ub - 1.0))
    assert r.rate_difference_ci_high == pytest.approx(d + math.hypot(ua - 0.6, 1.0 - lb))
    assert r.rate_status == "ok"


def test_medians_and_their_difference(store):
    r = comparison(store)
    # before: every message answered after 10 h; after: 6 of 10 after 2 h (S = 0.4)
    assert r.before_median_hours == pytest.approx(10.0)
    assert r.after_median_hours == pytest.approx(2.0)
    assert r.median_difference_hours == pytest.approx(-8.0)
    assert r.median_status == "ok"
    # every resample of "before" has median 10 h and no resample of "after" a median
    # below 2 h, so the lower bound is -8 h; resamples with five or more unanswered
    # messages (P ~ 0.37) have no median: the upper bound is unbounded (empty)
    assert r.median_difference_ci_low == pytest.approx(-8.0)
    assert math.isnan(r.median_difference_ci_high)
    assert (r.bootstrap_samples, r.seed) == (500, 1234)


def test_window_zero_takes_everything_and_reruns_are_identical(store, tmp_path):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(store.read_bytes())
    settings = build(observed_until=OBSERVED_UNTIL, min_n=3, change__dates=("2026-02-01",),
                     change__window_days=0)
    with Store(copy) as s:
        run_analysis(s, settings)
        first = s.conn.execute("SELECT * FROM before_after ORDER BY ALL").fetchall()
        run_analysis(s, settings)
        assert s.conn.execute("SELECT * FROM before_after ORDER BY ALL").fetchall() == first
    r = comparison(copy)
    assert r.before_messages == 11 and r.window_days == 0


def test_bad_dates_are_refused():
    with pytest.raises(UsageError, match="not an ISO 8601"):
        from_dict({"change": {"dates": ["2026-02-30"]}})
    with pytest.raises(UsageError, match="no UTC offset"):
        from_dict({"change": {"dates": ["2026-02-01T10:00"]}})


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govwatch", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_exports_of_series_and_comparisons(store, tmp_path):
    r = run(["export", "--what", "before_after", "--out", "ba.csv", "--db", str(store)],
            tmp_path)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader((tmp_path / "ba.csv").open(encoding="utf-8")))
    assert {x["population"] for x in rows} == {"all", "needs_response"}
    row = next(x for x in rows if x["population"] == "all")
    assert float(row["rate_difference"]) == pytest.approx(-0.4)
    assert row["change_at"] == "2026-02-01T00:00:00.000Z" and row["country"] == "XA"
    meanings = {x["column"]: x["meaning"] for x in
                csv.DictReader((tmp_path / "ba.csv.codebook.csv").open(encoding="utf-8"))}
    assert "Newcombe" in meanings["rate_difference_ci_low"]
    r = run(["export", "--what", "series", "--out", "series.parquet", "--db", str(store)],
            tmp_path)
    assert r.returncode == 0, r.stderr
    import pandas as pd

    series = pd.read_parquet(tmp_path / "series.parquet")
    weeks = series[(series["period_kind"] == "week") & (series["slice_kind"] == "all")
                   & (series["population"] == "all")].set_index("period")
    # the week of 2026-02-02 holds the ten "after" messages: 6 of 10 within W
    w = weeks.loc["2026-W06"]
    assert (w["observed_window"], w["answered_window"]) == (10, 6)
    assert (w["rate_ci_low"], w["rate_ci_high"]) == tuple(pytest.approx(v) for v in wilson(6, 10))
    assert set(series["period_kind"]) == {"week", "month"}
    r = run(["export", "--what", "candidates", "--out", "c.csv", "--db", str(store)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "c.csv").read_text("utf-8").startswith("candidate_id,country,topic,day")


def test_analyze_option(tmp_path, store):
    copy = tmp_path / "cli.duckdb"
    copy.write_bytes(store.read_bytes())
    r = run(["analyze", "--change-date", "2026-03-01", "--change-window-days", "7",
             "--observed-until", "2026-04-01T00:00:00Z", "--db", str(copy), "-q"], tmp_path)
    assert r.returncode == 0, r.stderr
    with Store(copy, read_only=True) as s:
        got = s.conn.execute("SELECT DISTINCT change_at, window_days FROM before_after"
                             ).fetchall()
    assert got == [(datetime(2026, 3, 1, tzinfo=UTC), 7)]
    r = run(["analyze", "--change-date", "March 1", "--db", str(copy)], tmp_path)
    assert r.returncode == 2 and "--change-date" in r.stderr
