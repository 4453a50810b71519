"""The export's manifest: what was exported, from which inputs and analysis run, and
the sha256 of each file written."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from govwatch import DEFINITION_VERSION, __version__

if TYPE_CHECKING:
    from . import ExportResult


def _last_run(con) -> dict | None:
    row = con.execute(
        "SELECT run_id, started_at, finished_at, observed_until, settings, definition_version, "
        "tool_version FROM analysis_runs ORDER BY run_id DESC LIMIT 1"
    ).fetchall()
    if not row:
        return None
    row = row[0]
    keys = ("run_id", "started_at", "finished_at", "observation_end", "settings",
            "definition_version", "tool_version")
    run = dict(zip(keys, row, strict=True))
    try:
        run["settings"] = json.loads(run["settings"]) if run["settings"] else {}
    except json.JSONDecodeError:
        pass  # kept as the text stored
    return run


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _inputs(con: duckdb.DuckDBPyConnection) -> list[dict]:
    rows = con.execute(
        "SELECT import_id, file, sha256, format, finished_at, rows_read, rejected, status "
        "FROM imports ORDER BY import_id"
    ).fetchall()
    keys = ("import_id", "file", "sha256", "format", "imported_at", "rows_read", "rejected",
            "status")
    return [{k: (_iso(v) if k == "imported_at" else v) for k, v in zip(keys, r, strict=True)}
            for r in rows]


def _write_manifest(con, path: Path, result: ExportResult, run: dict | None,
                    include_text: bool, population: str, raw_csv: bool = False,
                    staged: dict[Path, Path] | None = None, folder: bool = False) -> None:
    """The manifest of ``result`` to ``path``; ``staged`` maps each of the result's files
    to where it is written until it is renamed into place."""
    staged = staged or {}
    if run is not None:
        obs_end = run["observation_end"]
        stale = con.execute(
            "SELECT count(*) > 0 FROM imports WHERE finished_at > ?", [run["finished_at"]]
        ).fetchall()[0][0]
    else:
        obs_end = con.execute("SELECT max(created_at) FROM posts").fetchall()[0][0]
        stale = None
    base = result.path if folder else result.path.parent
    manifest = {
        "tool": "govwatch",
        "tool_version": __version__,
        "definition_version": DEFINITION_VERSION,
        "exported_at": _iso(datetime.now(UTC)),
        "what": result.what,
        "format": result.fmt,
        "rows": result.rows,
        "columns": result.columns,
        "population": population if result.what == "accounts" else None,
        "pseudonymised": result.pseudonymised,
        "pseudonymisation": (
            "citizens as p_ + 16 hex digits of HMAC-SHA256(store key, platform:handle); "
            "officials in clear; the key is not in this export" if result.pseudonymised
            else "none: citizens' handles in clear"),
        "text_included": include_text,
        "direct_messages_included": result.dms_included,
        "csv_formulas_neutralised": None if result.fmt != "csv" else not raw_csv,
        "observation_end": _iso(obs_end),
        "analysis": None if run is None else {
            **{k: _iso(v) if isinstance(v, datetime) else v for k, v in run.items()},
            "stale": bool(stale),
        },
        "inputs": _inputs(con),
        "files": [
            {"path": str(p.relative_to(base)) if p.is_relative_to(base) else p.name,
             "sha256": _sha256(staged.get(p, p)), "bytes": staged.get(p, p).stat().st_size}
            for p in result.files
        ],
        "codebook": result.codebook.name,
        "notes": result.notes,
    }
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n",
                    encoding="utf-8")
