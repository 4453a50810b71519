"""One typed settings object: recorded with every run and export, read back from a
TOML or JSON file or a manifest, and replayed exactly in a fresh store."""

from __future__ import annotations

import dataclasses
import json
import shutil

import duckdb
import pytest
from builders import assert_same_tables, compared_tables
from click.testing import CliRunner
from govwatch.analysis import settings as S

from govwatch.cli import cli
from govwatch.demo import sample_dir
from govwatch.errors import UsageError

# Every option that sets a figure, with a value other than its default.
CHANGED = ["--window-days", "5", "--min-n", "3", "--bootstrap-samples", "200", "--seed", "7",
           "--min-peers", "2", "--index-weight", "answered_rate=0.6",
           "--index-min-weight-share", "0.4", "--burst-k", "2", "--burst-baseline-days", "14",
           "--burst-min-baseline-days", "5", "--burst-min-messages", "3",
           "--silence-share", "0.7", "--silence-usual-share", "0.4",
           "--silence-min-accounts", "3", "--silence-min-hours", "1",
           "--silence-min-weeks", "1"]


def _leaves(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and k != "index_weights":
            out.update(_leaves(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def test_every_setting_has_one_default_and_round_trips():
    defaults = S.AnalysisSettings()
    recorded = S.to_dict(defaults)
    # the families' settings, each in its section, every one with a value
    for key in ("selectivity.bootstrap_samples", "selectivity.seed", "benchmarks.min_peers",
                "benchmarks.index_weights", "benchmarks.index_min_weight_share", "bursts.k",
                "bursts.baseline_days", "bursts.min_baseline_days", "bursts.min_messages",
                "silences.share", "silences.usual_share", "silences.min_accounts",
                "silences.min_hours", "silences.min_weeks", "execution.chunk_rows",
                "window_hours", "min_n"):
        assert _leaves(recorded)[key] is not None, key
    assert S.from_dict(json.loads(S.to_json(defaults))) == defaults
    changed = S.build(seed=7, min_peers=2, share=0.7, observed_until=None,
                      tagging__languages=("en", "ru"), index_weights={"critic_gap": 0.5})
    assert S.from_dict(json.loads(S.to_json(changed))) == changed


def test_bad_settings_name_the_key_and_the_reason(tmp_path):
    with pytest.raises(UsageError, match=r"settings\.selectivity: unknown setting\(s\) sed"):
        S.from_dict({"selectivity": {"sed": 3}})
    with pytest.raises(UsageError, match=r"settings\.min_n: expected a whole number"):
        S.from_dict({"min_n": "ten"})
    with pytest.raises(UsageError, match=r"observed_until: .* has no UTC offset"):
        S.from_dict({"observed_until": "2026-01-01T00:00:00"})
    bad = tmp_path / "s.toml"
    bad.write_text("[bursts\nk = 2\n")
    with pytest.raises(UsageError, match=r"s\.toml: not valid TOML"):
        S.load(bad)
    with pytest.raises(UsageError, match="in several sections"):
        S.build(workers=2)


def test_toml_and_json_of_the_recorded_shape_load_alike(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text('min_n = 3\nobserved_until = "2026-01-20T00:00:00Z"\n'
                    "[selectivity]\nseed = 7\n[benchmarks.index_weights]\nanswered_rate = 0.6\n")
    js = tmp_path / "run.json"
    js.write_text(json.dumps({"min_n": 3, "observed_until": "2026-01-20T00:00:00+00:00",
                              "selectivity": {"seed": 7},
                              "benchmarks": {"index_weights": {"answered_rate": 0.6}}}))
    a, b = S.load(toml), S.load(js)
    assert a == b
    assert a.selectivity == S.SelectivitySettings(seed=7)
    assert a.observed_until.isoformat() == "2026-01-20T00:00:00+00:00"


def _ingest(db, runner):
    src = sample_dir()
    result = runner.invoke(cli, ["ingest", str(src / "posts.csv"), "--accounts",
                                 str(src / "accounts.csv"), "-q", "--db", str(db)])
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_a_run_replays_exactly_from_its_export_manifest(tmp_path):
    """Analyse with every setting changed, export, then ingest the same inputs into a
    fresh store and replay from the manifest: every derived table is identical. A
    run with the defaults differs, so the comparison can tell."""
    runner = CliRunner()
    events = str(sample_dir() / "events.csv")
    first, replay, default = (tmp_path / f"{n}.duckdb" for n in ("first", "replay", "default"))
    for db in (first, replay, default):
        _ingest(db, runner)
    result = runner.invoke(cli, ["analyze", "--events", events, *CHANGED, "-q",
                                 "--db", str(first)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "accounts.csv"
    result = runner.invoke(cli, ["export", "--what", "accounts", "--out", str(out),
                                 "--db", str(first)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "accounts.csv.manifest.json").read_text())
    recorded = manifest["analysis"]["settings"]
    assert recorded["selectivity"] == {"bootstrap_samples": 200, "seed": 7}
    assert recorded["bursts"]["k"] == 2 and recorded["silences"]["min_hours"] == 1
    assert recorded["benchmarks"]["index_weights"]["answered_rate"] == 0.6
    assert recorded["window_hours"] == 120

    # the manifest copied elsewhere: the replay needs only the file
    copy = tmp_path / "elsewhere.json"
    shutil.copy(tmp_path / "accounts.csv.manifest.json", copy)
    result = runner.invoke(cli, ["analyze", "--events", events, "--settings", str(copy), "-q",
                                 "--db", str(replay)])
    assert result.exit_code == 0, result.output
    tables = [t for t in compared_tables() if t != "meta"]  # meta holds each store's own key
    counts = assert_same_tables(first, replay, tables)
    assert counts["selectivity"] > 0 and counts["benchmark_index"] > 0
    with duckdb.connect(str(replay), read_only=True) as con:
        again = json.loads(con.execute("SELECT settings FROM analysis_runs").fetchone()[0])
    assert again == recorded

    result = runner.invoke(cli, ["analyze", "--events", events, "-q", "--db", str(default)])
    assert result.exit_code == 0, result.output
    with pytest.raises(AssertionError):
        assert_same_tables(first, default, tables)


def test_options_override_the_settings_file(tmp_path):
    runner = CliRunner()
    db = tmp_path / "s.duckdb"
    _ingest(db, runner)
    file = tmp_path / "run.toml"
    file.write_text("min_n = 4\n[selectivity]\nseed = 7\nbootstrap_samples = 50\n")
    result = runner.invoke(cli, ["analyze", "--settings", str(file), "--seed", "9", "-q",
                                 "--db", str(db)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(db), read_only=True) as con:
        run = json.loads(con.execute("SELECT settings FROM analysis_runs").fetchone()[0])
    assert run["min_n"] == 4 and run["selectivity"] == {"bootstrap_samples": 50, "seed": 9}
    recorded = S.from_dict(run)
    assert dataclasses.replace(recorded, tagging=S.TaggingSettings()) == S.build(
        min_n=4, seed=9, bootstrap_samples=50)
    bad = tmp_path / "bad.json"
    bad.write_text('{"bursts": {"sigma": 2}}')
    result = runner.invoke(cli, ["analyze", "--settings", str(bad), "--db", str(db)])
    assert result.exit_code == 2 and "bursts: unknown setting(s) sigma" in result.output


def test_methodology_lists_every_setting_with_its_default(repo):
    text = (repo / "docs" / "methodology.md").read_text()
    table = text[text.index("## 15. Settings"):text.index("## 16.")]
    for key, value in _leaves(S.to_dict(S.AnalysisSettings())).items():
        row = next((line for line in table.splitlines() if line.startswith(f"| `{key}` |")),
                   None)
        assert row is not None, f"docs/methodology.md section 15 lacks {key}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert f"| {value:g} |" in row or f"| {value} |" in row, (key, value, row)


def test_a_run_recorded_flat_by_0_1_reads_in_todays_sections():
    old = {"observed_until": "2026-01-20T00:00:00+00:00", "window_hours": 168, "min_n": 3,
           "bootstrap_samples": 200, "seed": 7, "benchmark_min_peers": 2,
           "index_weights": {"answered_rate": 0.6}, "holidays_file": None, "tagging": None,
           "engine": "local", "scheduler": None, "dask_workers": None,
           "posts_parquet": None, "work_dir": None}
    got = S.from_dict(old)
    assert got.min_n == 3 and got.selectivity == S.SelectivitySettings(200, 7)
    assert got.benchmarks.min_peers == 2
    assert got.benchmarks.index_weights == {"answered_rate": 0.6}
    assert got.execution == S.ExecutionSettings()
