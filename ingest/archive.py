"""Safe, read-only access to zip archives for any reader.

Exports such as the X account archive arrive as one zip. Readers never extract
it: they list its members and stream the ones they need through
:func:`open_member`. Every access checks the archive first and raises
:class:`govwatch.errors.InputError` naming the zip and the member when

- a member's path escapes the archive (absolute, ``..``, a drive letter such as
  ``C:``, a NUL byte) or a member is a symbolic link — the whole zip is refused,
  since no honest export contains one;
- a member a reader opens is larger than :attr:`ZipLimits.member_bytes`
  (2 GiB by default), the members one reader plans to read together exceed
  :attr:`ZipLimits.total_bytes` (8 GiB), or a member larger than
  :attr:`ZipLimits.ratio_floor` expands more than :attr:`ZipLimits.max_ratio`
  times (200) its compressed size: a zip bomb.

Size limits apply to the members a reader opens, not to the whole archive: an
X archive's photo and video folders can make the zip far larger than any text
file a reader needs, and they are never read.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from govwatch.errors import InputError

GiB = 1 << 30
MiB = 1 << 20

_DRIVE_RE = re.compile(r"^[A-Za-z]:")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True)
class ZipLimits:
    """Bounds on what a reader may decompress from one archive."""

    member_bytes: int = 2 * GiB  # uncompressed size of any one member read
    total_bytes: int = 8 * GiB  # uncompressed size of all members one reader reads
    max_ratio: float = 200.0  # uncompressed / compressed size
    ratio_floor: int = MiB  # members smaller than this are harmless whatever their ratio


DEFAULT_LIMITS = ZipLimits()


def is_zip(head: bytes) -> bool:
    """True if ``head`` (a file's first bytes) opens like a zip archive."""
    return head[:4] in ZIP_MAGIC


def zip_names(zip_path: str | Path) -> list[str]:
    """Member names of a zip, or an empty list if it cannot be read (for cheap sniffing)."""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            return zf.namelist()
    except (OSError, zipfile.BadZipFile, ValueError):
        return []


def _open_zip(zip_path: str | Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as exc:
        raise InputError(zip_path, f"not a readable zip archive ({exc})") from None
    except OSError as exc:
        raise InputError(zip_path, f"cannot read: {exc.strerror or exc}") from None


def unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    """Why a member must not be trusted, or None if its name and type are safe."""
    name = info.filename
    if "\x00" in name:
        return "its path holds a NUL byte"
    if name.startswith(("/", "\\")):
        return "its path is absolute"
    if _DRIVE_RE.match(name):
        return "its path names a drive"
    if ".." in re.split(r"[\\/]", name):
        return "its path climbs out of the archive ('..')"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "it is a symbolic link"
    return None


def safe_members(zip_path: str | Path) -> list[zipfile.ZipInfo]:
    """Every member of the zip; InputError if any member's path or type is unsafe."""
    with _open_zip(zip_path) as zf:
        infos = zf.infolist()
    for info in infos:
        reason = unsafe_reason(info)
        if reason:
            raise InputError(
                zip_path, f"refusing the archive: member {info.filename!r}: {reason}",
                info.filename,
            )
    return infos


def find_member(zip_path: str | Path, suffix: str) -> str | None:
    """The shallowest member named ``suffix`` or ending in ``/suffix`` (None if none).

    ``find_member(z, "data/tweets.js")`` finds ``data/tweets.js`` as well as
    ``twitter-2024-01-01/data/tweets.js``. Among equally deep matches the first
    in name order wins.
    """
    suffix = suffix.strip("/")
    hits = [
        i.filename
        for i in safe_members(zip_path)
        if not i.is_dir() and (i.filename == suffix or i.filename.endswith("/" + suffix))
    ]
    if not hits:
        return None
    return min(hits, key=lambda n: (n.count("/"), n))


def member_problem(info: zipfile.ZipInfo, limits: ZipLimits = DEFAULT_LIMITS) -> str | None:
    """Why reading this member would be unsafe (too large, a zip bomb), or None."""
    if info.file_size > limits.member_bytes:
        return (
            f"member {info.filename!r} expands to {info.file_size:,} bytes, over the "
            f"{limits.member_bytes:,}-byte limit"
        )
    if info.file_size > limits.ratio_floor:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            return (
                f"member {info.filename!r} expands {ratio:,.0f} times its compressed size "
                f"(limit {limits.max_ratio:,.0f}): refusing a likely zip bomb"
            )
    return None


def _info(zip_path: str | Path, name: str) -> zipfile.ZipInfo:
    for info in safe_members(zip_path):
        if info.filename == name:
            return info
    raise InputError(zip_path, f"the archive has no member {name!r}", name)


def check_members(
    zip_path: str | Path, names: Iterable[str], limits: ZipLimits = DEFAULT_LIMITS
) -> list[zipfile.ZipInfo]:
    """Check the members a reader is about to read, alone and together; return their infos."""
    infos = [_info(zip_path, n) for n in names]
    for info in infos:
        problem = member_problem(info, limits)
        if problem:
            raise InputError(zip_path, problem, info.filename)
    total = sum(i.file_size for i in infos)
    if total > limits.total_bytes:
        raise InputError(
            zip_path,
            f"the members to read expand to {total:,} bytes together, over the "
            f"{limits.total_bytes:,}-byte limit",
        )
    return infos


class _MemberStream(io.RawIOBase):
    """A member's decompressed bytes, with errors turned into InputError and a hard cap."""

    def __init__(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, zip_path, cap: int,
                 progress: Callable[[int], None] | None):
        self._zf = zf
        self._member = zf.open(info)
        self._info = info
        self._zip_path = zip_path
        self._cap = cap
        self._progress = progress
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        try:
            data = self._member.read(len(b))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise InputError(
                self._zip_path, f"member {self._info.filename!r} is damaged: {exc}",
                self._info.filename,
            ) from None
        n = len(data)
        self.count += n
        if self.count > self._cap:
            raise InputError(
                self._zip_path,
                f"member {self._info.filename!r} expands beyond {self._cap:,} bytes",
                self._info.filename,
            )
        b[:n] = data
        if n and self._progress:
            self._progress(self.count)
        return n

    def close(self) -> None:
        if not self.closed:
            self._member.close()
            self._zf.close()
        super().close()


def open_member(
    zip_path: str | Path,
    name: str,
    limits: ZipLimits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
) -> BinaryIO:
    """Stream one member's decompressed bytes (nothing is written to disk).

    ``progress(n)`` is called with the decompressed bytes read so far. Close the
    stream when done (it closes the archive too).
    """
    info = _info(zip_path, name)
    problem = member_problem(info, limits)
    if problem:
        raise InputError(zip_path, problem, name)
    zf = _open_zip(zip_path)
    try:
        raw = _MemberStream(zf, info, zip_path, min(info.file_size, limits.member_bytes),
                            progress)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
        zf.close()
        raise InputError(zip_path, f"cannot open member {name!r}: {exc}", name) from None
    return io.BufferedReader(raw, buffer_size=MiB)


def read_member(
    zip_path: str | Path, name: str, max_bytes: int = 64 * MiB,
    limits: ZipLimits = DEFAULT_LIMITS,
) -> bytes:
    """A small member's whole content; InputError if it is larger than ``max_bytes``."""
    info = _info(zip_path, name)
    if info.file_size > max_bytes:
        raise InputError(
            zip_path, f"member {name!r} is {info.file_size:,} bytes, more than the "
            f"{max_bytes:,} expected", name,
        )
    with open_member(zip_path, name, limits) as f:
        return f.read()


def posix_parent(name: str) -> str:
    """The folder part of a member name ('' at the archive's root)."""
    parent = str(PurePosixPath(name).parent)
    return "" if parent == "." else parent
