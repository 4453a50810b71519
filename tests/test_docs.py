"""The docs tell the truth about the CLI: every command has help and is documented."""

from __future__ import annotations

import re

from click.testing import CliRunner

from govwatch.cli import cli


def _docs_text(repo) -> str:
    parts = [(repo / "README.md").read_text("utf-8")]
    # docs/cli.md is generated from the help itself, so it cannot show that a command is documented
    parts += [p.read_text("utf-8") for p in sorted((repo / "docs").glob("*.md")) if p.name != "cli.md"]
    return "\n".join(parts)


def test_every_command_has_help_and_is_documented(repo):
    docs = _docs_text(repo)
    runner = CliRunner()
    for name, command in cli.all_commands().items():
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert command.help and len(command.help.strip()) > 20, name
        assert re.search(rf"govwatch {name}\b", docs), f"'govwatch {name}' is not in the docs"


def test_readme_gives_the_two_commands(repo):
    readme = (repo / "README.md").read_text("utf-8")
    assert "\nmake demo\n" in readme and "\nmake test\n" in readme
    ci = (repo / ".ci" / "run").read_text("utf-8")
    assert "make test" in ci
