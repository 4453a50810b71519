"""A per-user cache of data that is slow to build from a shipped file and quick to read
back: the taxonomy and its term matcher in compiled form, the English word list of the
hashtag split.

Each entry is one ``marshal`` file named by the SHA-256 of everything it is built from
(the source file's bytes, the code that builds it, govwatch's and Python's versions), so
a change to any of them names another entry and the old one is never read again. Only
plain data is stored (no code, no pickles): a damaged or foreign file reads as a miss.
Nothing depends on the cache: where it cannot be read or written (a read-only home, a
full disk) the data is built from its source as if the cache were empty.

Where: ``$GOVWATCH_CACHE_DIR`` when set (set it empty to turn the cache off), else
``$XDG_CACHE_HOME/govwatch``, else ``~/.cache/govwatch`` (``%LOCALAPPDATA%\\govwatch\\cache``
on Windows). A few entries per kind are kept, the oldest removed.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any

from . import __version__

CACHE_ENV = "GOVWATCH_CACHE_DIR"
KEEP = 8  # entries kept per kind: a few taxonomies in use at once, and no more
_SUFFIX = ".marshal"


def cache_dir() -> Path | None:
    """The cache folder (perhaps not created yet), or None when the cache is off."""
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return Path(value).expanduser() if value.strip() else None
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "govwatch" / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or ""
    return (Path(base) if base.strip() else Path.home() / ".cache") / "govwatch"


def entry_key(kind: str, *parts: bytes | str) -> str:
    """The name of the entry of ``kind`` built from ``parts`` (with govwatch's version,
    Python's and marshal's format)."""
    h = hashlib.sha256()
    for part in (__version__, sys.version, str(marshal.version), *parts):
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return f"{kind}-{h.hexdigest()[:32]}"


def code_digest(*modules: str) -> bytes:
    """The bytes of these modules' files (source, else bytecode): part of a key, so
    that an entry built by other code is not read."""
    h = hashlib.sha256()
    for name in modules:
        module = sys.modules[name]
        path = getattr(module, "__file__", None)
        try:
            h.update(Path(path).read_bytes() if path else name.encode())
        except OSError:
            h.update(name.encode())
    return h.digest()


def load(key: str) -> object | None:
    """The entry ``key`` as stored, or None when there is none (or it cannot be read)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        stored = marshal.loads((folder / (key + _SUFFIX)).read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    # an entry names its key inside too: a file copied or renamed by hand is a miss
    if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key):
        return None
    return stored[1]


def store(key: str, value: Any) -> bool:
    """Write the entry ``key`` (plain data only); False when it could not be written."""
    folder = cache_dir()
    if folder is None:
        return False
    tmp = folder / f".{key}.{os.getpid()}.tmp"
    try:
        data = marshal.dumps((key, value))
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, folder / (key + _SUFFIX))  # readers see the whole file or none
    except (OSError, ValueError):
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        return False
    _prune(folder, key.split("-", 1)[0])
    return True


def _prune(folder: Path, kind: str) -> None:
    """Keep the ``KEEP`` newest entries of ``kind``."""
    try:
        entries = sorted(folder.glob(f"{kind}-*{_SUFFIX}"), key=lambda p: p.stat().st_mtime,
                         reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
