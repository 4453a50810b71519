"""`govwatch check`: alert rules on real stores, one built to fire every rule and its
twin built to stay quiet; the real command, its digests and its exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from builders import ACCOUNT_HEADER, POST_HEADER, account, post, write_csv
from govwatch.analysis.alerts import AlertRules, evaluate, rules_from_file, wilson
from govwatch.analysis.pipeline import run_analysis
from govwatch.analysis.settings import build
from govwatch.ingest.events import load_events
from govwatch.ingest.pipeline import import_paths

from govwatch.errors import InputError, UsageError
from govwatch.store import Store

OBSERVED_UNTIL = datetime(2026, 3, 25, tzinfo=UTC)
FIRST_MONDAY = datetime(2026, 1, 5, 9, tzinfo=UTC)
WEEKS = 10  # the last, from 2026-03-09, is the latest week observed for the 7-day window
ONSET = datetime(2026, 3, 20, 6, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def scenario(fire: bool) -> tuple[list[dict], dict[str, dict]]:
    """Posts and tags. Twelve routine requests a week to MinRail (and to MinWater, which
    answers everything), answered within the hour; with ``fire`` MinRail answers none in
    the last week, leaves two recent critical reports unanswered and never posts about
    the bridge collapse. Without it MinRail answers everything and posts about it."""
    posts = [post("root", "MinRail", "2026-01-01T00:00:00Z", "Timetable for 2026"),
             post("wroot", "MinWater", "2026-01-01T00:00:00Z", "Water schedule")]
    tags = {}
    for account_name, root in (("MinRail", "root"), ("MinWater", "wroot")):
        for week in range(WEEKS):
            for i in range(12):
                at = FIRST_MONDAY + timedelta(weeks=week, hours=10 * i)
                mid = f"{account_name}-m{week}-{i}"
                posts.append(post(mid, f"c{week}x{i}", _iso(at), f"@{account_name} when?",
                                  root, account_name))
                tags[mid] = {"nr": True, "critical": False}
                silent = fire and account_name == "MinRail" and week == WEEKS - 1
                if not silent:
                    posts.append(post(f"{mid}-r", account_name, _iso(at + timedelta(minutes=30)),
                                      f"@c{week}x{i} on it", mid, f"c{week}x{i}"))
    for i, hours in enumerate((30, 80)):  # critical reports, 2.3 and 4.3 days before the end
        at = OBSERVED_UNTIL - timedelta(hours=hours + 24)
        mid = f"crit{i}"
        text = "=HYPERLINK(\"x\") @MinRail the bridge is cracking" if i else \
            "@MinRail the bridge is cracking"
        posts.append(post(mid, f"witness{i}", _iso(at), text, "root", "MinRail"))
        tags[mid] = {"nr": True, "critical": True}
        if not fire:
            posts.append(post(f"{mid}-r", "MinRail", _iso(at + timedelta(hours=2)),
                              f"@witness{i} engineers sent", mid, f"witness{i}"))
    posts.append(post("pub1", "witness9", _iso(ONSET + timedelta(minutes=20)),
                      "Bridge collapse on the river line!"))
    posts.append(post("water1", "MinWater", _iso(ONSET + timedelta(hours=3)),
                      "Bridge collapse: water trucks sent to the river villages"))
    if not fire:
        posts.append(post("rail1", "MinRail", _iso(ONSET + timedelta(hours=2)),
                          "Bridge collapse: trains stopped, buses replace them"))
    return posts, tags


def make_store(folder: Path, fire: bool) -> Path:
    folder.mkdir()
    posts, tags = scenario(fire)
    pcsv = write_csv(folder / "posts.csv", POST_HEADER, posts)
    acsv = write_csv(folder / "accounts.csv", ACCOUNT_HEADER,
                     [account("MinRail"), account("MinWater")])
    events = folder / "events.csv"
    events.write_text("event_id,name,onset,keywords,critical\n"
                      f"bridge,River bridge collapse,{_iso(ONSET)},bridge collapse,true\n",
                      encoding="utf-8")
    settings = build(observed_until=OBSERVED_UNTIL, min_n=3)
    path = folder / "store.duckdb"
    with Store(path) as store:
        assert import_paths(store, [acsv], kind="accounts").rejected == 0
        assert import_paths(store, [pcsv]).rejected == 0
        assert load_events(store, events)[0] == 1
        run_analysis(store, settings)
        # tags as a classifier would set them; the tagger keeps them on the next run
        store.conn.execute("UPDATE tags SET needs_response = false, critical = false")
        for post_id, t in tags.items():
            store.conn.execute("UPDATE tags SET needs_response = ?, critical = ? "
                               "WHERE post_id = ?", [t["nr"], t["critical"], post_id])
        run_analysis(store, settings)
    return path


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("check")
    return {"fire": make_store(tmp / "fire", True), "quiet": make_store(tmp / "quiet", False)}


def digest(path: Path, **rules):
    with Store(path, read_only=True) as store:
        return evaluate(store.conn, AlertRules(**rules))


def test_every_rule_fires_on_the_scenario_built_for_it(stores):
    alerts = digest(stores["fire"]).alerts
    by_rule = {a.rule: a for a in alerts}
    assert sorted(by_rule) == ["critical_unanswered", "event_silent", "rate_drop"]
    assert {(a.platform, a.official_author) for a in alerts} == {("x", "MinRail")}
    crit = by_rule["critical_unanswered"]
    assert crit.details["messages"] == 2
    assert crit.details["oldest_hours"] == pytest.approx(104.0)
    assert crit.details["oldest_message_id"] == "crit1"
    silent = by_rule["event_silent"]
    assert (silent.details["event_id"], silent.details["event_kind"]) == ("bridge", "event")
    assert silent.details["silent_hours"] == pytest.approx(5 * 24 - 6)
    drop = by_rule["rate_drop"]
    assert drop.details["week"] == "2026-W11"
    assert (drop.details["messages"], drop.details["answered"]) == (12, 0)
    assert drop.details["baseline_rate"] == 1.0
    assert drop.details["baseline_messages"] == 8 * 12


def test_nothing_fires_on_the_scenario_not_built_for_it(stores):
    assert digest(stores["quiet"]).alerts == []


def test_thresholds_decide(stores):
    path = stores["fire"]
    # the reports were unanswered for 54 h and 104 h
    assert digest(path, critical_hours=60, rules=("critical_unanswered",)
                  ).alerts[0].details["messages"] == 1
    assert digest(path, critical_hours=200, rules=("critical_unanswered",)).alerts == []
    # the event is 114 h old at the end; a look-back of 2 days leaves it out
    assert digest(path, event_hours=120, rules=("event_silent",)).alerts == []
    assert digest(path, lookback_days=2, rules=("event_silent",)).alerts == []
    # baseline of a single week (12 answered): still a drop; too few messages needed: none
    assert digest(path, baseline_weeks=1, rules=("rate_drop",)).alerts
    assert digest(path, min_messages=13, rules=("rate_drop",)).alerts == []
    assert digest(path, account=("x", "MinWater")).alerts == []


def test_wilson_interval_by_hand():
    # 0 of 12: upper bound z^2 / (n + z^2) with z = 1.959964
    low, high = wilson(0, 12)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(1.959964**2 / (12 + 1.959964**2), rel=1e-5)


def test_rules_file(tmp_path):
    f = tmp_path / "rules.yaml"
    f.write_text("critical_hours: 48\nrules: [rate_drop]\n", encoding="utf-8")
    assert rules_from_file(f) == {"critical_hours": 48.0, "rules": ("rate_drop",)}
    f.write_text("critical_hour: 48\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"rules.yaml: \$.critical_hour: unknown setting"):
        rules_from_file(f)
    f.write_text("critical_hours: soon\n", encoding="utf-8")
    with pytest.raises(InputError, match="'soon' is not a valid value"):
        rules_from_file(f)
    with pytest.raises(UsageError, match="unknown rule"):
        AlertRules(rules=("bogus",))


def run_check(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govwatch", "check", "--db", str(path), *args],
                          capture_output=True, text=True, timeout=300)


def test_command_exit_codes_and_digests(stores, tmp_path):
    fired = run_check(stores["fire"])
    assert fired.returncode == 4, fired.stderr
    assert "3 alerts" in fired.stdout and "x:MinRail" in fired.stdout
    quiet = run_check(stores["quiet"])
    assert quiet.returncode == 0, quiet.stderr
    assert "No rule fired." in quiet.stdout
    as_json = run_check(stores["fire"], "--format", "json")
    data = json.loads(as_json.stdout)
    assert as_json.returncode == 4 and data["fired"] == 3
    assert data["rules"]["critical_hours"] == 24.0
    html = tmp_path / "digest.html"
    r = run_check(stores["fire"], "--format", "html", "--out", str(html), "--rule", "rate_drop")
    assert r.returncode == 4 and "1 alert;" in r.stdout
    assert "Response rate below its own baseline" in html.read_text("utf-8")
    rules = tmp_path / "r.yaml"
    rules.write_text("critical_hours: 500\nevent_hours: 500\nrules: [critical_unanswered, event_silent]\n",
                     encoding="utf-8")
    assert run_check(stores["fire"], "--rules", str(rules), "-q").returncode == 0
    # the command line wins over the file
    assert run_check(stores["fire"], "--rules", str(rules), "--critical-hours", "1",
                     "-q").returncode == 4
    usage = run_check(stores["fire"], "--account", "MinRail")
    assert usage.returncode == 2 and "PLATFORM:AUTHOR" in usage.stderr
    missing = run_check(tmp_path / "nothing.duckdb")
    assert missing.returncode == 1, missing.stderr


def export_worklist(path: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govwatch", "export", "--what", "worklist",
                           "--out", str(out), "--db", str(path), *args],
                          capture_output=True, text=True, timeout=300)


def test_worklist_export(stores, tmp_path):
    import csv

    out = tmp_path / "worklist.csv"
    r = export_worklist(stores["fire"], out, "--account", "x:minrail")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    # the last week's twelve requests and the two critical reports, oldest first
    assert [x["message_id"] for x in rows] == (
        [f"MinRail-m9-{i}" for i in range(12)] + ["crit1", "crit0"])
    assert rows[-1]["critical"] == "true" and rows[0]["critical"] == "false"
    assert float(rows[-1]["waiting_hours"]) == pytest.approx(54.0)
    assert all(x["message_author"].startswith("p_") for x in rows)
    assert "witness" not in out.read_text("utf-8") and "text" not in rows[0]
    # the ministry's own data: handles and texts in clear, formulas still neutralised
    clear = tmp_path / "clear.csv"
    r = export_worklist(stores["fire"], clear, "--account", "x:MinRail", "--identify-public",
                        "--include-text")
    assert r.returncode == 0, r.stderr
    rows = {x["message_id"]: x for x in csv.DictReader(clear.open(encoding="utf-8"))}
    assert rows["crit1"]["message_author"] == "witness1"
    assert rows["crit1"]["text"].startswith("'=HYPERLINK")
    # the quiet store has no open message; an unknown account is a usage error
    empty = tmp_path / "empty.csv"
    assert export_worklist(stores["quiet"], empty).returncode == 0
    assert empty.read_text("utf-8").count("\n") == 1
    r = export_worklist(stores["fire"], tmp_path / "x.csv", "--account", "x:Nobody")
    assert r.returncode == 2 and "no official account x:Nobody" in r.stderr
