"""Write docs/cli.md from the command line's own --help texts.

    python scripts/gen_cli_docs.py            # rewrite docs/cli.md
    python scripts/gen_cli_docs.py --check    # exit 1 if docs/cli.md is stale

tests/test_docs_cli.py fails when docs/cli.md differs from what this writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import click

from govwatch.cli import cli

OUT = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
WIDTH = 100


def _help(command: click.Command, name: str, parent: click.Context | None = None) -> str:
    ctx = click.Context(command, info_name=name, parent=parent, terminal_width=WIDTH,
                        max_content_width=WIDTH, **cli.context_settings)
    return command.get_help(ctx)


def render() -> str:
    root = click.Context(cli, info_name="govwatch", terminal_width=WIDTH,
                         max_content_width=WIDTH, **cli.context_settings)
    parts = [
        "# Command-line reference\n",
        "Generated from `govwatch --help` and each command's `--help` by "
        "`scripts/gen_cli_docs.py`; do not edit by hand (a test fails when it is stale).\n",
        "Exit status: 0 all good; 1 failure; 2 usage error; 3 finished with rejected rows;\n"
        "4 an alert fired (`govwatch check`).\n",
        "Shell completion (commands, options, and the `--format` values from the reader "
        "registry): `eval \"$(_GOVWATCH_COMPLETE=bash_source govwatch)\"` in `~/.bashrc` "
        "(`zsh_source` in `~/.zshrc`, `fish_source` for fish).\n",
        "```text\n" + _help(cli, "govwatch") + "\n```\n",
    ]
    commands = cli.all_commands()
    for name in commands:
        parts.append(f"## govwatch {name}\n")
        parts.append("```text\n" + _help(commands[name], name, root) + "\n```\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/cli.md is stale")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        if not OUT.is_file() or OUT.read_text("utf-8") != text:
            print(f"{OUT} is stale: run python scripts/gen_cli_docs.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, "utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
