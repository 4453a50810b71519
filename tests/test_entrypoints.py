"""govwatch.entrypoints finds what importlib.metadata finds, without importing it."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import zipfile

import pytest

from govwatch.entrypoints import entry_points


def _pairs(eps) -> list[tuple[str, str]]:
    return sorted((ep.name, ep.value) for ep in eps)


def _dist(folder, name: str, version: str, text: str) -> None:
    info = folder / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(text)


@pytest.mark.parametrize("group", ["console_scripts", "pytest11", "govwatch.readers"])
def test_the_installed_groups_equal_importlib_metadata(group):
    assert _pairs(entry_points(group)) == _pairs(importlib.metadata.entry_points(group=group))


def test_first_distribution_on_the_path_wins_and_objects_load(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    _dist(first, "my_pkg", "1.0",
          "# a comment\n[govwatch.readers]\nchirp = json:loads\n  # another\n"
          "dumps = json:dumps [extra]\n\n[other]\nx = os:sep\n")
    _dist(second, "My.Pkg", "2.0", "[govwatch.readers]\nold = json:JSONDecoder\n")
    _dist(second, "other_pkg", "0.1", "[govwatch.readers]\nsep = os.path:sep\n")
    monkeypatch.setattr(sys, "path", [str(first), str(second), *sys.path])
    found = entry_points("govwatch.readers")
    assert _pairs(found) == _pairs(importlib.metadata.entry_points(group="govwatch.readers"))
    assert _pairs(found) == [("chirp", "json:loads"), ("dumps", "json:dumps [extra]"),
                             ("sep", "os.path:sep")]
    import json
    import os

    assert {ep.name: ep.load() for ep in found} == {"chirp": json.loads, "dumps": json.dumps,
                                                   "sep": os.path.sep}


def test_a_zip_on_the_path_is_read_by_importlib_metadata(tmp_path, monkeypatch):
    archive = tmp_path / "eggs.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zipped-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zipped\n")
        z.writestr("zipped-1.0.dist-info/entry_points.txt", "[govwatch.metrics]\nz = json:loads\n")
    monkeypatch.setattr(sys, "path", [str(archive), *sys.path])
    assert _pairs(entry_points("govwatch.metrics")) == [("z", "json:loads")]


def test_formats_does_not_import_importlib_metadata():
    code = ("import sys; from govwatch.cli import main\n"
            "try:\n    main(['formats', '-q'])\nexcept SystemExit:\n    pass\n"
            "print('importlib.metadata' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
