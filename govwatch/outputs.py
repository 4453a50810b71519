"""Writing the files a command hands to a person (exports, their codebooks and manifests,
the published site, reports) whole or not at all.

Each file is written under a temporary name in its own folder and renamed into place
once complete, so a full disk, a size limit or a killed process leaves no half-written
file and an earlier file of that name as it was; a folder (a partitioned Parquet
dataset, a site) is built beside its place and swapped in. A failure becomes an
:class:`~govwatch.errors.OutputError` naming the file and the cause.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from .errors import OutputError

# What the operating system says, in a person's words.
_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file would pass the size limit set for this process or file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENAMETOOLONG: "the name is too long",
}
_TEXT_CAUSES = {"No space left": errno.ENOSPC, "Disk quota": errno.EDQUOT,
                "File too large": errno.EFBIG, "Permission denied": errno.EACCES,
                "Read-only file system": errno.EROFS, "Not a directory": errno.ENOTDIR,
                "Is a directory": errno.EISDIR}
# Errors that mean the file could not be written (DuckDB's COPY reports its own).
WRITE_ERRORS = (OSError, duckdb.IOException, duckdb.PermissionException)


def cause(exc: BaseException) -> str:
    """Why writing failed, in one line."""
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code not in _CAUSES:
        code = next((c for t, c in _TEXT_CAUSES.items() if t in text), code)
    if code in _CAUSES:
        return _CAUSES[code]
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first[:200]


def failed(path: str | os.PathLike, exc: BaseException) -> OutputError:
    return OutputError(path, f"cannot write it: {cause(exc)}; nothing was written there "
                             "(an earlier file of that name is as it was)")


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial-{os.getpid()}")


def check_target(path: Path) -> None:
    """An OutputError when ``path`` exists and is neither a regular file nor absent (a
    device such as /dev/full, a socket): replacing it is never what was meant."""
    if path.exists() and not path.is_file() and not path.is_dir():
        raise OutputError(path, "it is not a regular file (a device or a pipe); give a file "
                                "name")


@contextmanager
def naming(path: str | os.PathLike) -> Iterator[None]:
    """Write errors in the block become an OutputError naming ``path``."""
    try:
        yield
    except WRITE_ERRORS as exc:
        raise failed(path, exc) from None


@contextmanager
def written(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` to write the whole file to; renamed to ``path``
    when the block ends without an error, removed otherwise. Write errors (and a folder
    that cannot be made) become an OutputError naming ``path``; one raised in the block
    for another file (see :func:`naming`) passes as it is."""
    path = Path(path)
    check_target(path)
    temp = _partial(path)
    try:
        with naming(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            yield temp
            os.replace(temp, path)
    finally:
        with suppress(OSError):  # absent, or never made (its folder could not be)
            temp.unlink()


@contextmanager
def written_folder(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary folder beside ``path`` to build a whole folder in; it replaces
    ``path`` (and whatever was there) when the block ends without an error, and is
    removed otherwise."""
    path = Path(path)
    temp = _partial(path)
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    try:
        with naming(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(temp, ignore_errors=True)
            temp.mkdir()
            yield temp
            if path.exists():
                os.replace(path, old)
            try:
                os.replace(temp, path)
            except OSError:
                if old.exists():
                    os.replace(old, path)
                raise
    finally:
        shutil.rmtree(temp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
