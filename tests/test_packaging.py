"""The wheel installs one import package, and a user's own folders cannot shadow its stages."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_wheel_has_one_top_level_package_and_its_data(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                    str(REPO)], check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("govwatch-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if not n.startswith("govwatch-")} == {"govwatch"}
    for data in ("govwatch/migrations/0001_initial.sql", "govwatch/analysis/data/taxonomy.yaml",
                 "govwatch/dashboard/assets/style.css", "govwatch/sample_data/small/posts.csv",
                 "govwatch/ingest/mappings/twcs.yaml", "govwatch/dashboard/pages/overview.py"):
        assert data in names


def test_a_users_folders_named_like_the_stages_change_nothing(tmp_path):
    """A notebook folder with its own analysis/ or ingest/ package must not shadow govwatch's."""
    for stage in ("analysis", "ingest", "dashboard", "sample_data", "export"):
        (tmp_path / stage).mkdir()
        (tmp_path / stage / "__init__.py").write_text(
            f"raise ImportError('the user\\'s own {stage} package was imported')\n")
    db = tmp_path / "gw.duckdb"
    sample = REPO / "sample_data" / "small"
    cli = [sys.executable, "-m", "govwatch"]
    for args in (["formats"],
                 ["ingest", "--db", db, "--accounts", sample / "accounts.csv",
                  sample / "posts.csv", "-q"],
                 ["analyze", "--db", db, "-q"]):
        proc = subprocess.run([*cli, *map(str, args)], cwd=tmp_path, capture_output=True,
                              text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        assert "user's own" not in proc.stderr


def test_no_server_side_image_renderer_is_a_dependency():
    """Charts are made into images in the browser (dashboard/assets/downloads.js): no
    module of the package renders one on the server, so kaleido is not a runtime
    dependency (only the benchmark's baseline, in the dev extra, uses it)."""
    import re
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not [d for d in project["dependencies"] if d.lower().startswith("kaleido")]
    renders = re.compile(r"kaleido|\.to_image\(|\.write_image\(")
    for folder in ("govwatch", "ingest", "analysis", "dashboard", "export", "sample_data"):
        for path in (REPO / folder).rglob("*.py"):
            assert not renders.search(path.read_text(encoding="utf-8")), path
    assert "Plotly.downloadImage(" in (REPO / "dashboard" / "assets" / "downloads.js").read_text(
        "utf-8")
