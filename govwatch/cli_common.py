"""What every `govwatch` command shares: the consoles, the error handler that turns
the library's typed errors into exit codes, and the common options."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING

import click

from .config import DB_ENV
from .errors import GovwatchError, InputError, StoreError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

EXIT_REJECTS = 3


class _LazyConsole:
    """A rich Console made on first use: importing rich.console was a third of the
    CPU of ``govwatch --help``, which prints nothing through it."""

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._console: Console | None = None

    def real(self) -> Console:
        """The rich Console itself (made now), for a library that needs one."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._kwargs)
        return self._console

    def __getattr__(self, name):
        return getattr(self.real(), name)


err = _LazyConsole(stderr=True, highlight=False, soft_wrap=True)
out = _LazyConsole(highlight=False, soft_wrap=True)


def handle_errors(fn):
    """Turn the library's typed errors into messages and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UsageError as exc:
            raise click.UsageError(str(exc)) from exc
        except (InputError, StoreError, GovwatchError) as exc:
            raise click.ClickException(str(exc)) from exc
        except Exception as exc:  # running out of memory or disk anywhere in the command
            from .config import db_path
            from .store import resource_error

            problem = resource_error(db_path(kwargs.get("db")), exc)
            if problem is None:
                raise
            raise click.ClickException(str(problem)) from exc

    return wrapper


db_option = click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False),
    default=None,
    help=f"DuckDB store file (default: ${DB_ENV} or ./govwatch.duckdb).",
)


def quiet_option(help_text: str = "No progress messages; results and errors only."):
    return click.option("--quiet", "-q", is_flag=True, help=help_text)


def parse_ts(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint=name) from None
    if ts.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no UTC offset (add Z or +HH:MM)", param_hint=name)
    return ts


def account_arg(value: str, hint: str = "--account") -> tuple[str, str]:
    """(platform, author) from PLATFORM:AUTHOR, or a usage error naming ``hint``."""
    platform, sep, author = value.partition(":")
    if not sep or not platform or not author:
        raise click.BadParameter("write it as PLATFORM:AUTHOR, e.g. x:MinRail", param_hint=hint)
    return platform, author


def status_printer(quiet: bool):
    last: dict[str, str | None] = {"stage": None}

    def say(stage: str, done: int | None = None, total: int | None = None) -> None:
        if quiet:
            return
        if done is not None and total:
            err.print(f"  {stage}: {done:,}/{total:,}")
        elif stage != last["stage"]:
            err.print(f"• {stage}")
        last["stage"] = stage

    return say


class ReaderFormat(click.ParamType):
    """``--format``: 'auto' or a reader's name, checked and completed from the reader
    registry's names without importing any reader."""

    name = "format"

    @staticmethod
    def choices() -> list[str]:
        from govwatch.ingest.registry import reader_names

        return ["auto", *reader_names()]

    def get_metavar(self, param, ctx=None) -> str:
        return "[" + "|".join(self.choices()) + "]"

    def convert(self, value, param, ctx):
        if value in self.choices():
            return value
        self.fail(f"{value!r} is not a known format; choose one of "
                  f"{', '.join(self.choices())} (see 'govwatch formats')", param, ctx)

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        return [CompletionItem(c) for c in self.choices() if c.startswith(incomplete)]
