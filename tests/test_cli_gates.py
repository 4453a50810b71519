"""Small traps closed: every command has -q and an example; export follows --out's
suffix or refuses a mismatch; --format is checked and completed from the registry."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from govwatch.cli import cli
from govwatch.cli_common import ReaderFormat


def _commands() -> list[list[str]]:
    """Every command, a group's subcommands as ``[group, sub]``."""
    import click

    out = []
    for name, command in sorted(cli.all_commands().items()):
        if isinstance(command, click.Group):
            out += [[name, sub] for sub in sorted(command.commands)]
        else:
            out.append([name])
    return out


@pytest.mark.parametrize("words", _commands(), ids=" ".join)
def test_every_command_has_quiet_and_ends_with_an_example(words):
    result = CliRunner().invoke(cli, [*words, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "-q, --quiet" in result.output
    last = result.output.strip().splitlines()[-1].strip()
    assert last.startswith(f"Example: govwatch {' '.join(words)}"), last


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("gates") / "demo.duckdb"
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "-q", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.output == ""  # -q: nothing but errors
    return db


def test_export_follows_the_suffix(demo_db, tmp_path):
    runner = CliRunner()
    for suffix in ("dta", "parquet", "csv"):
        out = tmp_path / f"accounts.{suffix}"
        result = runner.invoke(cli, ["export", "--what", "accounts", "--out", str(out), "-q",
                                     "--db", str(demo_db)])
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        read = {"dta": pd.read_stata, "parquet": pd.read_parquet, "csv": pd.read_csv}[suffix]
        assert len(read(out)) > 0


def test_export_refuses_a_suffix_naming_another_format(demo_db, tmp_path):
    out = tmp_path / "accounts.dta"
    result = CliRunner().invoke(cli, ["export", "--what", "accounts", "--format", "csv",
                                      "--out", str(out), "--db", str(demo_db)])
    assert result.exit_code == 2
    assert "names a dta file but --format is csv" in result.output
    assert not out.exists()


def test_format_choices_come_from_the_registry():
    result = CliRunner().invoke(cli, ["ingest", "x.csv", "--format", "tweets"])
    assert result.exit_code == 2 and "'tweets' is not a known format" in result.output
    assert "x-archive" in result.output
    got = [c.value for c in ReaderFormat().shell_complete(None, None, "twit")]
    assert got == ["twitter-v1", "twitter-v2"]
    help_text = CliRunner().invoke(cli, ["ingest", "--help"], terminal_width=200).output
    assert "[auto|accounts-csv|" in help_text


def test_shell_completion_of_format_in_a_real_process():
    import os
    import subprocess
    import sys

    env = {**os.environ, "_GOVWATCH_COMPLETE": "bash_complete",
           "COMP_WORDS": "govwatch ingest --format twit", "COMP_CWORD": "3"}
    done = subprocess.run([sys.executable, "-m", "govwatch"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["plain,twitter-v1", "plain,twitter-v2"]
