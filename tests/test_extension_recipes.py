"""CONTRIBUTING.md's two recipes, as a third party would follow them: its reader and its
metric, taken from the file verbatim, installed as a package with entry points (a
dist-info on the path), then ingest, analyze, export and the dashboard's Account page
through real processes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

CONTRIBUTING = Path(__file__).resolve().parents[1] / "CONTRIBUTING.md"


def recipe_files() -> tuple[dict[str, str], str]:
    """The recipe modules (by their first-line path) and the entry points they declare."""
    text = CONTRIBUTING.read_text("utf-8")
    modules = {}
    for code in re.findall(r"```python\n(.*?)```", text, re.S):
        first = code.splitlines()[0]
        if first.startswith("# mypkg/"):
            modules[first[2:]] = code
    entry_points = "\n".join(re.findall(r"(\[project\.entry-points\.[^\n]*\]\n[^\n]+)\n", text))
    return modules, entry_points


def install(site: Path) -> None:
    """Write the recipes as package ``mypkg`` with a dist-info carrying their entry points."""
    modules, entry_points = recipe_files()
    assert set(modules) == {"mypkg/chirp.py", "mypkg/night_replies.py"}, modules.keys()
    (site / "mypkg").mkdir()
    (site / "mypkg" / "__init__.py").write_text("")
    for rel, code in modules.items():
        (site / rel).write_text(code)
    info = site / "mypkg-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mypkg\nVersion: 0.1\n")
    # pyproject's TOML table -> the dist-info's INI: [group] then name = module:object
    groups = "\n".join(
        line.strip().replace('[project.entry-points."', "[").replace('"]', "]").replace('"', "")
        for line in entry_points.splitlines())
    (info / "entry_points.txt").write_text(groups + "\n")
    assert "govwatch.readers" in groups and "govwatch.metrics" in groups


def chirps(path: Path) -> None:
    rows = [{"chirp_id": 1, "by": "MinRail", "at": "2026-01-01T08:00:00Z", "text": "Timetable"}]
    for i in range(2, 14):  # questions by day, answers at night (23:00) or by day
        rows.append({"chirp_id": i, "by": f"citizen_{i}", "at": f"2026-01-{i:02d}T09:00:00Z",
                     "text": "@MinRail where is my train?", "reply_to": "1",
                     "reply_to_by": "MinRail"})
        hour = 23 if i % 3 else 14
        rows.append({"chirp_id": 100 + i, "by": "MinRail", "at": f"2026-01-{i:02d}T{hour}:00:00Z",
                     "text": f"@citizen_{i} it is on its way", "reply_to": str(i),
                     "reply_to_by": f"citizen_{i}"})
    lines = [json.dumps(r) for r in rows] + ['{"chirp_id": 99, "by": "x", "at": "2026-01-02"}']
    path.write_text("\n".join(lines) + "\n")


def govwatch(args: list[str], cwd: Path, site: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-m", "govwatch", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


# The Account page's layout, asked of the real app as the browser's pages router does.
ACCOUNT_PAGE = """
import json, sys
from govwatch.dashboard.app import create_app

client = create_app(sys.argv[1]).server.test_client()
client.get("/_dash-layout")
body = {"output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/account"},
                   {"id": "_pages_location", "property": "search",
                    "value": "?platform=chirp&author=MinRail"}],
        "changedPropIds": ["_pages_location.pathname"]}
answer = client.post("/_dash-update-component", json=body)
assert answer.status_code == 200, answer.status_code
print(answer.get_data(as_text=True))
# the part of the page its own callback fills once the top is up (tables of metrics
# registered by third parties among them), asked for as the browser asks
part = {"type": "account-rest", "part": "activity"}
query = {"type": "account-rest-query", "part": "activity"}
body = {"output": '{"part":["MATCH"],"type":"account-rest"}.children',
        "outputs": {"id": part, "property": "children"},
        "inputs": [{"id": query, "property": "data", "value": "?platform=chirp&author=MinRail"}],
        "state": [{"id": query, "property": "id", "value": query}],
        "changedPropIds": [json.dumps(query, separators=(",", ":"), sort_keys=True) + ".data"]}
answer = client.post("/_dash-update-component", json=body)
assert answer.status_code == 200, answer.get_data(as_text=True)
print(answer.get_data(as_text=True))
"""


@pytest.mark.slow
def test_a_toy_reader_and_metric_registered_as_a_third_party_would(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    install(site)
    chirps(tmp_path / "feed.chirp")
    (tmp_path / "accounts.csv").write_text(
        "platform,author,institution,country,level,timezone\n"
        "chirp,MinRail,Ministry of Railways,XA,national,UTC\n")

    listed = govwatch(["formats", "-q"], tmp_path, site)
    assert listed.returncode == 0 and "chirp" in listed.stdout.split()
    ingest = govwatch(["ingest", "feed.chirp", "--accounts", "accounts.csv", "--db", "s.duckdb"],
                      tmp_path, site)  # --format auto: the reader's sniff finds it
    assert ingest.returncode == 3, ingest.stdout + ingest.stderr  # one bad line, kept aside
    assert "Imported 25 new posts" in ingest.stdout
    assert "line 26: not a chirp: time '2026-01-02' has no UTC offset" in ingest.stderr
    analyze = govwatch(["analyze", "-q", "--db", "s.duckdb"], tmp_path, site)
    assert analyze.returncode == 0, analyze.stdout + analyze.stderr
    export = govwatch(["export", "--what", "accounts", "--out", "accounts_out.csv",
                       "--db", "s.duckdb"], tmp_path, site)
    assert export.returncode == 0, export.stdout + export.stderr

    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as con:
        night = con.execute("SELECT official_author, responses, night_share "
                            "FROM night_replies").fetchall()
    assert night == [("MinRail", 12, pytest.approx(8 / 12))]
    accounts = pd.read_csv(tmp_path / "accounts_out.csv")
    assert accounts.loc[0, "night_share"] == pytest.approx(8 / 12)
    page = subprocess.run([sys.executable, "-c", ACCOUNT_PAGE, str(tmp_path / "s.duckdb")],
                          env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True,
                          text=True, timeout=300)
    assert page.returncode == 0, page.stderr
    assert '"account-table-extra-night_replies"' in page.stdout  # the dashboard found it
    assert "night_share" in page.stdout and "Share of each account" in page.stdout
    codebook = pd.read_csv(tmp_path / "accounts_out.csv.codebook.csv")
    meaning = codebook.set_index(codebook.columns[0]).loc["night_share"].astype(str).tolist()
    assert "Share of responses sent at night" in meaning
