"""Typed errors. The library raises them; only the CLI turns them into messages and exit codes."""

from __future__ import annotations

import os
from pathlib import Path


class GovwatchError(Exception):
    """Base class for every error govwatch raises on purpose."""


class UsageError(GovwatchError):
    """The user asked for something that cannot be done as asked (exit status 2)."""


class InputError(GovwatchError):
    """An input file (or one of its rows) cannot be read.

    ``locator`` names the place: ``line 12`` for text formats, a JSON path such
    as ``$[3].tweet.created_at`` for JSON.
    """

    def __init__(self, file: str | os.PathLike, reason: str, locator: str | None = None):
        self.file = str(file)
        self.reason = reason
        self.locator = locator
        where = f"{self.file}: {locator}" if locator else self.file
        super().__init__(f"{where}: {reason}")


def read_text(path: str | Path, what: str, encoding: str = "utf-8",
              error: type[InputError] = InputError) -> str:
    """The whole text of a small settings file the user named (lexicon, labels,
    taxonomy); a missing or unreadable file is an ``error`` naming it and ``what`` it is."""
    try:
        return Path(path).read_text(encoding)
    except FileNotFoundError:
        raise error(str(path), f"{what} file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(str(path), f"cannot read {what} file as UTF-8: {exc}") from None


class OutputError(GovwatchError):
    """A file a command writes (an export, its codebook or manifest, a site, a report)
    cannot be written: names the file and the cause. Nothing half-written is left."""

    def __init__(self, file: str | os.PathLike, reason: str):
        self.file = str(file)
        self.reason = reason
        super().__init__(f"{self.file}: {reason}")


class StoreError(GovwatchError):
    """The store is missing, locked, or of a schema this version cannot use."""


class CollectError(GovwatchError):
    """A collection request failed for good (after its retries): which account, which
    request, and what the server said."""

    def __init__(self, account: str, request: str, reason: str):
        self.account = account
        self.request = request
        self.reason = reason
        super().__init__(f"{account}: {request}: {reason}")
