"""govwatch for notebooks: open a store, ingest, analyze, read any table as a DataFrame.

    import govwatch.api as gw

    store = gw.open("govwatch.duckdb")
    store.ingest("posts.csv", accounts="accounts.csv")
    store.analyze(events="events.csv", seed=7, min_peers=2)
    accounts = store.read("accounts")          # exactly the rows `govwatch export` writes
    curves = store.read("km_curves")           # any derived table, by name
    store.export("accounts", "accounts.dta")   # with codebook and manifest

Members of the public are pseudonymised in every frame exactly as in exports (keyed
hash, the store's key; officials in clear). Their handles come back only when asked
for by name: ``identify_public=True``. Opening the DuckDB file directly bypasses this.

Each call opens the store for its own work and closes it, so a dashboard may read
the same file between calls. Errors are govwatch's typed errors (govwatch.errors).
Like the CLI, this module is a composition root: it calls the stages, which do not
know it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import UsageError
from .store import Store

__all__ = ["GovwatchStore", "open", "sample_store", "EXPORTS"]

# What `govwatch export --what` offers; read() returns the same rows.
EXPORTS = ("responses", "events", "accounts", "posts", "activity", "silences")
# Stored tables whose rows quote what the public wrote: refused unless identify_public.
_PERSONAL = {"rejects": "the rejected rows' excerpts quote what people wrote",
             "account_examples": "the example messages' texts quote what people wrote"}


def open(path: str | os.PathLike | None = None) -> GovwatchStore:  # noqa: A001
    """The store at ``path`` (default: $GOVWATCH_DB, else ./govwatch.duckdb); created
    by the first ingest."""
    from .config import db_path

    return GovwatchStore(db_path(path))


def sample_store(path: str | os.PathLike) -> GovwatchStore:
    """A fresh store of the shipped synthetic sample, ingested and analysed (what
    `govwatch demo --no-serve` builds)."""
    from .demo import build_demo

    build_demo(Path(path))
    return GovwatchStore(Path(path))


@dataclass(frozen=True)
class GovwatchStore:
    """A govwatch store file, used from Python. See the module's help."""

    path: Path

    # -- writing -----------------------------------------------------------------
    def ingest(self, *paths: str | os.PathLike, format: str = "auto",  # noqa: A002
               accounts: str | os.PathLike | None = None, assume_tz: str | None = None,
               strict: bool = False, keep_raw: bool = False):
        """Import export files (and an accounts CSV), as `govwatch ingest` does.
        Returns the import summary (``.files``, ``.rejected``, ``.reasons()``); rejected
        rows are kept in the ``rejects`` table."""
        from .ingest.base import ReadOptions
        from .ingest.pipeline import ImportSummary, import_paths

        if not paths and accounts is None:
            raise UsageError("give at least one path or accounts=FILE")
        options = ReadOptions(assume_tz=assume_tz, strict=strict, keep_raw=keep_raw)
        summary = ImportSummary()
        with Store(self.path) as store:
            if accounts is not None:
                summary.files += import_paths(store, [accounts], "accounts-csv", options,
                                              kind="accounts").files
            if paths:
                summary.files += import_paths(store, list(paths), format, options).files
        return summary

    def load_events(self, path: str | os.PathLike, assume_tz: str | None = None):
        """Store an events CSV or YAML; returns (events stored, rejected rows)."""
        from .ingest.events import load_events

        with Store(self.path) as store:
            return load_events(store, path, assume_tz=assume_tz)

    def analyze(self, settings: Any = None, *, events: str | os.PathLike | None = None,
                progress=None, **changes: Any):
        """Tag posts and compute every metric, as `govwatch analyze` does.

        ``settings``: an AnalysisSettings, a settings file (TOML, JSON or an export's
        manifest: replays that run) or None (the defaults). ``changes`` adjust it by
        name: ``analyze(seed=7, min_peers=2, bursts__k=2.5)`` (a name found in one
        section only, or section__name; see docs/methodology.md section 15).
        Returns the run's summary (run_id, observation_end, messages, answered, ...).
        """
        from .analysis import settings as S
        from .analysis.pipeline import run_analysis

        if isinstance(settings, (str, os.PathLike)):
            settings = S.load(settings)
        elif isinstance(settings, Mapping):
            settings = S.from_dict(settings)
        settings = S.build(settings, **changes)
        with Store(self.path) as store:
            if events is not None:
                from .ingest.events import load_events

                load_events(store, events)
            return run_analysis(store, settings, progress=progress)

    # -- reading -----------------------------------------------------------------
    def tables(self) -> dict[str, str]:
        """What :meth:`read` accepts: each export and each derived table, with what it is."""
        from .analysis.registry import metrics

        out = {what: f"the rows of `govwatch export --what {what}`" for what in EXPORTS}
        out["tags"] = "per post: language, sentiment, topic, critical, needs_response"
        for metric in metrics():
            for table in metric.tables:
                out.setdefault(table, f"{metric.name}: {metric.description}")
        return out

    def read(self, name: str, *, identify_public: bool = False, include_text: bool = False,
             population: str = "needs_response") -> pd.DataFrame:
        """A table as a DataFrame, pseudonymised exactly as exports are.

        ``name``: an export (responses, events, accounts, posts, activity, silences:
        the same rows and columns as the file `govwatch export` writes) or any stored
        table, such as a metric's (``km_curves``, ``benchmarks``, ...; see
        :meth:`tables`). ``identify_public=True`` gives citizens' handles in clear
        (personal data: only with a basis to process it). ``include_text`` adds post
        texts to ``posts``; ``population`` picks the accounts export's population.
        """
        from .export.frames import read_frame, read_table

        with Store(self.path, read_only=True) as store:
            if name in EXPORTS:
                if name != "posts" and not store.count("analysis_runs"):
                    raise UsageError(f"the store has no analysis yet: analyze() before "
                                     f"reading {name}")
                return read_frame(store.conn, name, pseudonymise=not identify_public,
                                  include_text=include_text, population=population)
            if name in _PERSONAL and not identify_public:
                raise UsageError(f"read({name!r}) needs identify_public=True: "
                                 f"{_PERSONAL[name]}")
            return read_table(store.conn, name, pseudonymise=not identify_public)

    def settings(self):
        """The settings of the latest analysis run (an AnalysisSettings), or None."""
        from .analysis import settings as S

        with Store(self.path, read_only=True) as store:
            row = store.conn.execute("SELECT settings FROM analysis_runs "
                                     "ORDER BY run_id DESC LIMIT 1").fetchall()
        return S.from_dict(json.loads(row[0][0])) if row else None

    # -- taking away ---------------------------------------------------------------
    def export(self, what: str, out: str | os.PathLike, format: str | None = None,  # noqa: A002
               *, identify_public: bool = False, include_text: bool = False,
               population: str = "needs_response"):
        """Write ``what`` to ``out`` with its codebook and manifest, as `govwatch export`
        does (``format`` None: from the suffix). Returns the export's result (path,
        rows, columns, codebook, manifest)."""
        from .export import export

        return export(self.path, what, format, Path(out), pseudonymise=not identify_public,
                      include_text=include_text, population=population)
