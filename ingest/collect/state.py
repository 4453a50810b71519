"""The collection folder: raw response files and the state that makes runs resumable.

Layout of ``DIR`` (``govwatch collect --out DIR``)::

    state.json                          cursors, newest items, threads seen, file sizes
    bluesky/getAuthorFeed.jsonl         one response per line: the server's JSON, on one line
    bluesky/getPostThread.jsonl
    bluesky/searchPosts.jsonl
    mastodon/<instance>/statuses.jsonl  (Mastodon ids are local to an instance: one folder each)
    mastodon/<instance>/context.jsonl

A response is appended to its file and flushed to disk *before* the state that moves past
it is written (atomically: a temporary file, fsync, rename). The state records each file's
committed size; a run starts by cutting every file back to that size, so a response written
by a run that died before recording it (or half a line) is dropped and fetched again: a
resumed collection holds every response once.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from govwatch.errors import UsageError

STATE_FILE = "state.json"
STATE_VERSION = 1


class Collection:
    """A collection folder: its state (a JSON-able dict) and its raw files."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.state_path = self.root / STATE_FILE
        self.state: dict = {"version": STATE_VERSION, "files": {}, "accounts": {}}
        if self.state_path.exists():
            try:
                self.state = json.loads(self.state_path.read_text("utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise UsageError(f"{self.state_path}: not a collection state file ({exc})") from None
            if self.state.get("version") != STATE_VERSION:
                raise UsageError(f"{self.state_path}: state version "
                                 f"{self.state.get('version')!r}, expected {STATE_VERSION}")
        self._handles: dict[str, object] = {}
        self._recover()

    # ------------------------------------------------------------------ raw files

    def _recover(self) -> None:
        """Cut every raw file back to its committed size (drop what no state recorded)."""
        committed = self.state["files"]
        for path in sorted(self.root.rglob("*.jsonl")):
            rel = path.relative_to(self.root).as_posix()
            size = committed.get(rel, 0)
            if path.stat().st_size > size:
                with open(path, "r+b") as fh:
                    fh.truncate(size)

    def append(self, rel: str, text: str, same_as: str | None = None) -> bool:
        """Append one response (as one line) to ``rel`` and flush it to disk; the state
        records the new size at the next :meth:`save`. With ``same_as`` (a thread's key), a
        response identical to the last one saved under that key is not saved again (a
        re-fetched thread without news). True when the response was saved."""
        line = json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
        if same_as is not None:
            digest = hashlib.sha256(line.encode("utf-8")).hexdigest()[:32]
            seen = self.state.setdefault("last_saved", {})
            if seen.get(same_as) == digest:
                return False
            seen[same_as] = digest
        fh = self._handles.get(rel)
        if fh is None:
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(path, "ab")  # noqa: SIM115 - kept open across appends, closed in close()
            self._handles[rel] = fh
        fh.write(line.encode("utf-8") + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
        self.state["files"][rel] = fh.tell()
        return True

    def files(self) -> list[Path]:
        """The raw files holding committed responses, in a stable order."""
        return [self.root / rel for rel, size in sorted(self.state["files"].items()) if size]

    # ------------------------------------------------------------------ state

    def account(self, key: str) -> dict:
        return self.state["accounts"].setdefault(key, {})

    def save(self) -> None:
        tmp = self.state_path.with_suffix(".json.tmp")
        data = json.dumps(self.state, ensure_ascii=False, sort_keys=True, indent=1)
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.state_path)

    def close(self) -> None:
        for fh in self._handles.values():
            fh.close()
        self._handles.clear()

    def __enter__(self) -> Collection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
