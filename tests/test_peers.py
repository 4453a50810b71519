"""Peer groups, bootstrap intervals of ranks and the composite index, places among
peers (analysis/peers.py), on the shipped sample analysed through the real pipeline
and the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from govwatch.analysis.peers import peer_sets, rankdata

from govwatch.errors import InputError

REPO = Path(__file__).resolve().parents[1]


def _govwatch(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "govwatch", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def sample_db(sample_cli_store) -> Path:
    return sample_cli_store


def _index(db: Path, where: str = "") -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"SELECT * FROM benchmark_index {where}").df()


def test_sample_has_two_ranked_peer_groups_with_intervals(sample_db):
    idx = _index(sample_db, "WHERE population = 'needs_response'")
    ranked = idx[idx["rank_best"].notna()]
    sizes = ranked.groupby("peer_group").size()
    assert sizes.get("XA/national", 0) >= 10 and sizes.get("XA/local", 0) >= 5
    assert (sizes >= 5).sum() >= 2
    ok = idx[idx["composite_index"].notna()]
    assert (ok["composite_ci_low"] <= ok["composite_index"] + 1e-9).all()
    assert (ok["composite_index"] <= ok["composite_ci_high"] + 1e-9).all()
    assert (ok["composite_ci_high"] > ok["composite_ci_low"]).any()
    assert (ranked["rank_best"] <= ranked["rank_worst"]).all()
    assert (ranked["rank_worst"] <= ranked["peers"]).all()


def test_overlapping_intervals_share_places(sample_db):
    """Two accounts whose intervals overlap are never first and second: their place
    ranges overlap. Disjoint intervals give disjoint, ordered places."""
    idx = _index(sample_db, "WHERE rank_best IS NOT NULL")
    checked = {"overlap": 0, "apart": 0}
    for _, g in idx.groupby(["population", "peer_group"]):
        rows = g.to_dict("records")
        for a in rows:
            for b in rows:
                if a is b or a["composite_index"] < b["composite_index"]:
                    continue
                if a["composite_ci_low"] <= b["composite_ci_high"]:  # overlap
                    assert a["rank_best"] <= b["rank_worst"] and b["rank_best"] <= a["rank_worst"]
                    checked["overlap"] += 1
                else:  # a clearly better: so is everything clearly better than a
                    assert a["rank_best"] < b["rank_best"] and a["rank_worst"] < b["rank_worst"]
                    checked["apart"] += 1
    assert checked["overlap"] > 0 and checked["apart"] > 0


def test_every_account_without_a_place_says_why(sample_db):
    idx = _index(sample_db)
    none = idx[idx["rank_best"].isna()]
    assert len(none) > 0
    assert none["reason"].notna().all()
    few = none[none["peer_group"] == "XB/national"]
    assert set(few["status"]) == {"too few peers"}
    assert few["reason"].str.contains(r"2 accounts in XB/national, at least 5", regex=True).all()


def test_rank_intervals_cover_the_point_rank(sample_db):
    with duckdb.connect(str(sample_db), read_only=True) as con:
        b = con.execute("SELECT * FROM benchmarks WHERE percentile_rank IS NOT NULL").df()
    assert len(b) > 0 and b["rank_ci_low"].notna().all()
    assert (b["rank_ci_low"] <= b["percentile_rank"] + 1e-9).all()
    assert (b["percentile_rank"] <= b["rank_ci_high"] + 1e-9).all()


def test_peer_sets_and_settings_from_the_cli(sample_db, tmp_path):
    """--peer-sets names any accounts as a group (across countries); --min-peers and
    --min-n are taken and recorded with the run, and exports carry them."""
    sets = tmp_path / "peers.csv"
    sets.write_text("platform,author,peer_set\n"
                    "x,avalor_health,health ministries\n"
                    "x,avalor_family,health ministries\n"
                    "x,belmora_water,water ministries\n"
                    "x,avalor_water,water ministries\n"
                    "facebook,PortMarinCity,water ministries\n", encoding="utf-8")
    db = tmp_path / "copy.duckdb"
    db.write_bytes(sample_db.read_bytes())
    r = _govwatch("analyze", "--db", str(db), "-q", "--peer-sets", str(sets),
                  "--min-peers", "2", "--min-n", "12", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    idx = _index(db, "WHERE population = 'all'").set_index("official_author")
    assert idx.loc["avalor_health", "peer_group"] == "health ministries"
    assert idx.loc["belmora_water", "peer_group"] == "water ministries"
    assert idx.loc["avalor_health", "peers"] == 2
    assert idx.loc["avalor_health", "rank_best"] >= 1
    assert pd.isna(idx.loc["avalor_pmo", "peer_group"])
    assert idx.loc["avalor_pmo", "reason"].startswith("no peer group")
    with duckdb.connect(str(db), read_only=True) as con:
        settings = json.loads(con.execute(
            "SELECT settings FROM analysis_runs ORDER BY run_id DESC LIMIT 1").fetchone()[0])
    assert settings["benchmarks"]["min_peers"] == 2 and settings["min_n"] == 12
    assert settings["benchmarks"]["peer_sets_file"] == str(sets)
    out = tmp_path / "accounts.csv"
    r = _govwatch("export", "--what", "accounts", "--format", "csv", "--out", str(out),
                  "--db", str(db), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    manifest = json.loads(Path(f"{out}.manifest.json").read_text("utf-8"))
    assert manifest["analysis"]["settings"]["benchmarks"]["min_peers"] == 2


def test_peers_by_level_across_countries(sample_db, tmp_path):
    db = tmp_path / "copy.duckdb"
    db.write_bytes(sample_db.read_bytes())
    r = _govwatch("analyze", "--db", str(db), "-q", "--peers", "level", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    idx = _index(db, "WHERE population = 'needs_response'")
    national = idx[idx["peer_group"] == "national"]
    assert set(national["country"]) == {"XA", "XB", "XC"}
    assert national["peers"].max() >= 14


def test_bad_peer_set_files_name_the_line(tmp_path):
    missing = tmp_path / "a.csv"
    missing.write_text("platform,author\nx,a\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        peer_sets(missing)
    twice = tmp_path / "b.csv"
    twice.write_text("platform,author,peer_set\nx,a,one\nx,a,two\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 3.*two peer sets"):
        peer_sets(twice)
    empty = tmp_path / "c.csv"
    empty.write_text("platform,author,peer_set\nx,,one\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):
        peer_sets(empty)


def test_intervals_are_seeded(sample_db, tmp_path):
    """The same store and seed give the same intervals to the bit."""
    db = tmp_path / "copy.duckdb"
    db.write_bytes(sample_db.read_bytes())
    r = _govwatch("analyze", "--db", str(db), "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    key = ["platform", "official_author", "population"]
    a = _index(sample_db).sort_values(key).reset_index(drop=True)
    b = _index(db).sort_values(key).reset_index(drop=True)
    for col in ("composite_ci_low", "composite_ci_high"):
        assert np.array_equal(a[col].to_numpy(float), b[col].to_numpy(float), equal_nan=True)


def test_report_peer_section_is_filled(sample_db, tmp_path):
    """The HTML report lists the account's peer group with composite intervals and
    places; an account without a place gets the reason in its place."""
    out = tmp_path / "health.html"
    r = _govwatch("report", "--account", "x:avalor_health", "--out", str(out),
                  "--db", str(sample_db), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = out.read_text("utf-8")
    section = text[text.index("Compared with peers"):]
    section = section[:section.index("</section>")]
    assert section.count("of 12 (XA/national)") == 12
    assert "Composite index (95% interval)" in section and "Place among peers" in section
    out2 = tmp_path / "water.html"
    r = _govwatch("report", "--account", "x:belmora_water", "--out", str(out2),
                  "--db", str(sample_db), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "too few peers: 2 accounts in XB/national, at least 5 needed" in \
        out2.read_text("utf-8")


def test_peers_by_institution_type(sample_db, tmp_path):
    """--peers type ranks the accounts of one institution type (the accounts CSV's
    institution_type) across countries and levels: the sample's twelve city halls of
    three countries; the run and every export's manifest record the grouping."""
    db = tmp_path / "copy.duckdb"
    db.write_bytes(sample_db.read_bytes())
    r = _govwatch("analyze", "--db", str(db), "-q", "--peers", "type", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    idx = _index(db, "WHERE population = 'needs_response'").set_index("official_author")
    halls = idx[idx["peer_group"] == "city hall"]
    assert len(halls) == 12 and set(halls["country"]) == {"XA", "XB", "XC"}
    assert halls["rank_best"].notna().all() and (halls["peers"] == 12).all()
    assert idx.loc["avalor_railways", "peer_group"] == "transport ministry"
    assert idx.loc["avalor_railways", "reason"] == \
        "too few peers: 4 accounts in transport ministry, at least 5 needed"
    out = tmp_path / "accounts.csv"
    r = _govwatch("export", "--what", "accounts", "--format", "csv", "--out", str(out),
                  "--db", str(db), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    manifest = json.loads(Path(f"{out}.manifest.json").read_text("utf-8"))
    assert manifest["analysis"]["settings"]["benchmarks"]["peer_groups"] == "type"
    exported = pd.read_csv(out).set_index("official_author")
    assert exported.loc["KestrelCityCorp", "institution_type"] == "city hall"


def test_rankdata_equals_scipy_average_ranks_down_columns():
    """Ties share their average rank; inf ranks last, -inf first; a column holding a
    NaN is all NaN; no rows, no ranks: as scipy.stats.rankdata(axis=0), exactly."""
    from scipy.stats import rankdata as scipy_rankdata

    rng = np.random.default_rng(3)
    cases = [np.empty((0, 3)), np.array([[2.0]]), np.array([5.0, 1.0, 5.0, -0.0, 0.0])]
    for _ in range(400):
        a = rng.integers(-3, 4, size=(rng.integers(1, 12), rng.integers(1, 5))).astype(float)
        a[rng.random(a.shape) < 0.15] = np.inf
        a[rng.random(a.shape) < 0.15] = -np.inf
        if rng.random() < 0.2:
            a[rng.random(a.shape) < 0.1] = np.nan
        cases.append(a)
    cases.append(rng.normal(size=(50, 7)))
    for a in cases:
        want = scipy_rankdata(a, axis=0, method="average")
        got = rankdata(a)
        assert got.shape == want.shape and np.array_equal(got, want, equal_nan=True), a
