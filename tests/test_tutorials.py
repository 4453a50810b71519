"""The tutorials in docs/tutorials are run as written: every `$ govwatch ...` line of a
console block as a real process, every python block in order in one namespace, in a
fresh folder. A tutorial that no longer works fails here."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
TUTORIALS = sorted((DOCS / "tutorials").glob("*.md"))
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(path: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(path.read_text("utf-8"))]


def run_tutorial(path: Path, cwd: Path) -> None:
    namespace: dict = {"__name__": "__tutorial__"}
    govwatch = [sys.executable, "-m", "govwatch"]
    env = {**os.environ, "GOVWATCH_DB": ""}
    ran = 0
    for lang, code in blocks(path):
        if lang == "console":
            for line in code.splitlines():
                if not line.startswith("$ "):
                    continue
                argv = shlex.split(line[2:])
                assert argv[0] == "govwatch", f"{path.name}: only govwatch commands: {line}"
                done = subprocess.run(govwatch + argv[1:], cwd=cwd, env=env,
                                      capture_output=True, text=True, timeout=600)
                assert done.returncode == 0, f"{path.name}: {line}\n{done.stdout}{done.stderr}"
                ran += 1
        elif lang == "python":
            old = Path.cwd()
            os.chdir(cwd)
            try:
                exec(compile(code, f"{path.name}", "exec"), namespace)  # noqa: S102
            finally:
                os.chdir(old)
            ran += 1
    assert ran >= 4, f"{path.name}: only {ran} blocks ran"


def test_there_is_one_tutorial_per_user_group():
    assert [p.stem for p in TUTORIALS] == ["academic", "ministry", "watchdog"]
    text = (DOCS / "python-api.md").read_text("utf-8")
    for p in TUTORIALS:
        assert f"tutorials/{p.name}" in text


@pytest.mark.slow
@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs_as_written(path, tmp_path, capsys):
    run_tutorial(path, tmp_path)


def test_python_api_examples_read_and_refuse_as_documented(tmp_path):
    """The reference page's first block, on a store of the sample: it runs as written."""
    from govwatch.demo import sample_dir

    code = next(c for lang, c in blocks(DOCS / "python-api.md") if lang == "python")
    src = sample_dir()
    for name in ("posts.csv", "accounts.csv", "events.csv"):
        (tmp_path / name).write_bytes((src / name).read_bytes())
    namespace: dict = {}
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, "python-api.md", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(old)
    assert len(namespace["accounts"]) > 0 and len(namespace["curves"]) > 0
    assert (tmp_path / "accounts.dta.manifest.json").is_file()
