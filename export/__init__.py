"""Citable exports: a table as CSV, Parquet or Stata, with a codebook and a manifest.

``export(store_path, what, fmt, out)`` opens the store read-only and writes:

- ``out``: the data (for ``posts`` as Parquet with ``out`` a folder: a dataset
  partitioned by platform and official account, ``platform=<p>/official_account=<a>/``);
- ``<out>.codebook.csv``: column, type, meaning, definition_version;
- ``<out>.manifest.json``: tool and definition versions, the settings and
  observation end of the last analysis run, every imported input file with its
  sha256, the export time, whether citizens are pseudonymised, and the sha256 of
  each file written.

Citizen authors are replaced by keyed pseudonyms (``govwatch.pseudonym``)
unless ``pseudonymise=False``; officials stay in clear; the key is never
written. Post texts go out only with ``include_text=True`` (they are personal
data of the public; @handles inside a text are not rewritten). Platform-native
ids stay text in every format. docs/exports.md documents formats and columns.

This module runs an export; the rows of each ``what`` and their meanings are built in
``queries``, the data and codebook are written by ``writers``, the manifest by
``manifest``.
"""


from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from govwatch.errors import UsageError
from govwatch.outputs import naming, written, written_folder
from govwatch.pseudonym import register_pseudonyms, store_key
from govwatch.store import Store

from . import slices
from .manifest import _last_run, _write_manifest
from .queries import POST_ACCOUNT_CTES, _build, _dms_stored, prepare  # noqa: F401 (re-exported)
from .writers import (  # noqa: F401 (stata_* re-exported)
    _describe,
    _write_codebook,
    _write_csv,
    _write_dta,
    _write_parquet,
    stata_label,
    stata_names,
)

WHATS = ("responses", "events", "accounts", "posts", "activity", "silences", "worklist",
         "series", "before_after", "candidates")
FORMATS = ("csv", "parquet", "dta")
POPULATIONS = ("needs_response", "all")


@dataclass
class ExportResult:
    what: str
    fmt: str
    path: Path  # the data file, or the dataset folder
    rows: int
    columns: list[str]
    codebook: Path
    manifest: Path
    files: list[Path] = field(default_factory=list)
    pseudonymised: bool = True
    notes: list[str] = field(default_factory=list)
    dms_included: bool = False



# --- entry point -------------------------------------------------------------------


def export(
    store_path: str | Path,
    what: str,
    fmt: str | None,
    out: str | Path,
    pseudonymise: bool = True,
    include_text: bool = False,
    population: str = "needs_response",
    raw_csv: bool = False,
    include_dms: bool = False,
    account: tuple[str, str] | None = None,
) -> ExportResult:
    """Export ``what`` from the store at ``store_path`` as ``fmt`` to ``out`` (``fmt``
    None: the format ``out``'s suffix names; a suffix naming another format is refused).

    CSV cells that a spreadsheet would run as formulas get a leading apostrophe
    (``govwatch.spreadsheet``) unless ``raw_csv``. Direct messages (private to the
    account) are left out of responses and posts unless ``include_dms``.
    ``account`` (platform, author) limits the ``worklist`` export to one official
    account.
    """
    fmt = infer_format(out, fmt)
    _check_args(what, fmt, population)
    out_text = str(out)
    out = Path(out)
    folder = what == "posts" and fmt == "parquet" and _is_folder(out, out_text)
    if out.is_dir() and not folder:
        raise UsageError(f"--out {out} is a folder; give a file name such as {what}.{fmt}")
    if folder and out.is_dir() and any(out.iterdir()):
        raise UsageError(f"--out {out} is a folder that is not empty; give a new or empty one")
    with Store(store_path, read_only=True) as store:
        con = store.conn
        run = _last_run(con)
        if run is None and what != "posts":
            raise UsageError(f"the store has no analysis yet: run 'govwatch analyze' before "
                             f"exporting {what}")
        if include_dms and what == "responses" and run is not None:
            include_dms = _dms_stored(con)
        query = _build(con, what, pseudonymise, include_text, population, include_dms,
                       account)
        if pseudonymise and query.pairs_sql:
            register_pseudonyms(con, store_key(con), query.pairs_sql)
        # the posts export goes slice by slice (its sort bounded at any size)
        cuts = slices.conditions(con) if query.slice_template else []
        prepare(con, query, slices.number(cuts))
        types = _describe(con, query.sql)
        base = Path(out_text.rstrip("/\\")) if folder else out
        codebook = Path(f"{base}.codebook.csv")
        manifest = Path(f"{base}.manifest.json")
        # every file is written whole under a temporary name, and all are renamed into
        # place only once all are written (govwatch/outputs.py)
        with (written_folder(base) if folder else written(out) as data_temp,
              written(codebook) as codebook_temp, written(manifest) as manifest_temp):
            # each writer returns the rows it wrote (COPY counts them): the query runs once
            parts = (list(slices.queries(query.slice_template, cuts))
                     if query.slice_template and not folder else None)
            with naming(out):
                if fmt == "csv":
                    names, rows = _write_csv(con, query.sql, types, data_temp, raw_csv, parts)
                elif fmt == "parquet":
                    names, rows = _write_parquet(con, query, data_temp, folder, parts, out)
                else:
                    names, rows = _write_dta(con, query, types, data_temp, what, parts)
            staged = ({out / p.relative_to(data_temp): p
                       for p in sorted(data_temp.rglob("*.parquet"))} if folder
                      else {out: data_temp})
            with naming(codebook):
                _write_codebook(codebook_temp, names, types, query.meanings, raw_csv)
            result = ExportResult(what, fmt, out, rows, names, codebook, manifest,
                                  list(staged), pseudonymise,
                                  _notes(what, pseudonymise, include_text),
                                  include_dms and what in ("responses", "posts"))
            if result.dms_included:
                result.notes.append("direct messages are included: private to the account")
            with naming(manifest):
                _write_manifest(con, manifest_temp, result, run, include_text, population,
                                raw_csv, staged, folder)
    return result


SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".dta": "dta"}


def infer_format(out: str | Path, fmt: str | None = None) -> str:
    """The format ``fmt`` names, else the one ``out``'s suffix names (csv without a
    known suffix); a UsageError when the two disagree, so a .dta file never holds CSV."""
    suffix = Path(str(out).rstrip("/\\")).suffix.lower()
    implied = SUFFIXES.get(suffix)
    if fmt is None:
        return implied or "csv"
    if implied is not None and implied != fmt:
        raise UsageError(f"--out {out} names a {implied} file but --format is {fmt}: "
                         f"change one (or leave --format out to follow the suffix)")
    return fmt


def _check_args(what: str, fmt: str, population: str) -> None:
    if what not in WHATS:
        raise UsageError(f"unknown export {what!r}; choose one of {', '.join(WHATS)}")
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if population not in POPULATIONS:
        raise UsageError(f"unknown population {population!r}; choose one of "
                         f"{', '.join(POPULATIONS)}")


def _is_folder(out: Path, text: str) -> bool:
    return out.is_dir() or text.endswith(("/", "\\")) or out.suffix == ""


def _notes(what: str, pseudonymise: bool, include_text: bool) -> list[str]:
    notes = []
    if what == "before_after":
        notes.append("rows exist for the dates given to 'govwatch analyze --change-date'")
    if not pseudonymise:
        notes.append("citizens' handles are in clear: the export holds personal data")
    if include_text and what in ("posts", "worklist"):
        notes.append("post texts are included: personal data of the public; @handles "
                     "inside texts are not pseudonymised")
    return notes
