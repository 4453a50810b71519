"""`govwatch --help` and `govwatch formats` load no command module they do not run, and
list every command as it would be listed with all of them loaded."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from govwatch.cli import LAZY_COMMANDS, cli

_SCRIPT = """
import sys
from click.testing import CliRunner
from govwatch.cli import LAZY_COMMANDS, cli
lazy = [m for m, _, _ in LAZY_COMMANDS.values()]
runner = CliRunner()
for width in (60, 80, 200):
    first = runner.invoke(cli, ["--help"], terminal_width=width).output
    assert not any(m in sys.modules for m in lazy), "--help loaded a command module"
    assert runner.invoke(cli, ["formats", "-q"]).exit_code == 0
    assert not any(m in sys.modules for m in lazy), "formats loaded a command module"
    cli.all_commands()
    assert all(m in sys.modules for m in lazy)
    assert runner.invoke(cli, ["--help"], terminal_width=width).output == first, width
    for m in lazy:
        del sys.modules[m]
    for name in LAZY_COMMANDS:
        del cli.commands[name]
print("ok")
"""


def test_help_lists_commands_not_loaded_as_loaded_ones():
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_a_lazy_commands_listed_help_is_its_own(name):
    command = cli.all_commands()[name]
    assert command.help is not None
    assert command.help.split("\n\n")[0].replace("\n", " ") == LAZY_COMMANDS[name][2]
    stand_in = click.Command(name, help=LAZY_COMMANDS[name][2])
    for limit in (20, 45, 70, 150):
        assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit)


def test_a_lazy_command_runs_by_its_name():
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["analyze", "--help"])
    assert result.exit_code == 0 and "Tag posts" in result.output
    result = CliRunner().invoke(cli, ["nosuch"])
    assert result.exit_code == 2 and "No such command" in result.output
