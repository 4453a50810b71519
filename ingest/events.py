"""Reader of the events file (DESIGN: "events CSV or YAML") and its loading into the store.

An event is something that happened at a known time and that official accounts
could be expected to acknowledge: a derailment, a flood, a riot, a festival.
Fields: ``event_id``, ``name``, ``onset`` (ISO 8601 with a UTC offset or Z),
``keywords``, ``critical`` (true/false) and, optionally, the accounts expected to
acknowledge it (its scope, analysis/events.py):

- ``country`` (ISO 3166 alpha-2): officials of that country only;
- ``level`` (``;``-separated national, state, local): officials of those levels only;
- ``institution_type`` (``;``-separated, normalised like the accounts CSV's):
  officials of those types only;
- ``accounts`` (``;``-separated ``platform:author`` or ``author``, any letter case,
  ``@`` optional): exactly these officials; the three filters above then do not apply.

- CSV: a header row; ``keywords`` is one cell with ``;`` between keywords.
- YAML: a list of mappings, or a mapping whose ``events`` key holds that list;
  ``keywords`` is a list (a ``;``-separated string is accepted too). Values are
  read as text, never by YAML's own timestamp and yes/no rules, so an onset
  without an offset is rejected rather than silently taken as UTC, and
  ``country: NO`` is Norway.

Bad rows become :class:`govwatch.records.Reject` records naming the CSV line or
the YAML path (with its line); valid rows are always kept. A file that cannot be
read at all raises :class:`govwatch.errors.InputError`.

:func:`load_events` stores the rows, replacing events with the same
``event_id`` (so loading the same file again changes nothing), and records the
file (with its sha256) in ``imports`` so that exports can cite it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from govwatch import __version__
from govwatch.errors import InputError
from govwatch.records import Reject, excerpt, institution_types
from govwatch.schema import LEVELS
from govwatch.store import Store

from .base import has_bad_utf8, open_text
from .pipeline import sha256_file
from .tabular import iter_chunks, parse_times, sniff_header

REQUIRED = ("event_id", "name", "onset", "keywords", "critical")
FIELDS = (*REQUIRED, "country", "level", "institution_type", "accounts")
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})
YAML_SUFFIXES = (".yaml", ".yml")
_HAS_WORD = re.compile(r"\w")


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One valid row of an events file."""

    event_id: str
    name: str
    onset: datetime  # tz-aware, UTC
    keywords: tuple[str, ...]
    critical: bool
    country: str | None = None
    levels: tuple[str, ...] = ()
    institution_types: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()  # "platform:author" or "author", lower case


@dataclass
class EventsRead:
    """What :func:`read_events` found in one file."""

    events: list[EventRecord]
    rejects: list[Reject]
    rows_read: int
    format: str  # "events-csv" or "events-yaml"


@dataclass
class _RawRow:
    """A row before validation: raw values and where each came from."""

    values: dict[str, object]
    where: dict[str, str]  # field -> locator; "" -> the row itself


# --- reading -----------------------------------------------------------------


def read_events(path: str | Path, assume_tz: str | None = None) -> EventsRead:
    """Read and validate an events CSV or YAML file (chosen by suffix, else by content)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    if _is_yaml(path):
        rows, rejects = _yaml_rows(path)
        fmt = "events-yaml"
    else:
        rows, rejects = _csv_rows(path)
        fmt = "events-csv"
    rows_read = len(rows) + len(rejects)
    events, bad = validate_rows(rows, assume_tz)
    return EventsRead(events, rejects + bad, rows_read, fmt)


def _is_yaml(path: Path) -> bool:
    if path.suffix.lower() in YAML_SUFFIXES:
        return True
    if path.suffix.lower() == ".csv":
        return False
    with open(path, "rb") as f:
        head = f.read(4096)
    return not set(REQUIRED) <= sniff_header(head)


def _csv_rows(path: Path) -> tuple[list[_RawRow], list[Reject]]:
    rows: list[_RawRow] = []
    rejects: list[Reject] = []
    for chunk in iter_chunks(path, REQUIRED, {}, 50_000):
        rejects.extend(chunk.rejects)
        frame = chunk.frame
        for idx in frame.index:
            line = f"line {int(chunk.lines[idx])}"
            values: dict[str, object] = {c: _cell(frame.at[idx, c]) for c in FIELDS
                                         if c in frame.columns}
            rows.append(_RawRow(values, {"": line}))
    return rows, rejects


def _cell(value) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


_AS_TEXT = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
_LOADER: list[type] = []


def _text_times_loader() -> type:
    """Safe YAML loading that keeps times and yes/no words as the text the user wrote
    (so an onset is never taken as UTC by YAML's rules, and country NO stays Norway).
    Made on first use: a CSV events file needs no YAML."""
    if not _LOADER:
        import yaml

        class _TextTimesLoader(yaml.SafeLoader):
            pass

        _TextTimesLoader.yaml_implicit_resolvers = {
            first: [(tag, rx) for tag, rx in resolvers if tag not in _AS_TEXT]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }
        _LOADER.append(_TextTimesLoader)
    return _LOADER[0]


def _yaml_rows(path: Path) -> tuple[list[_RawRow], list[Reject]]:
    with open_text(path) as f:
        text = f.read()
    if has_bad_utf8(text):
        raise InputError(path, "the file is not valid UTF-8")
    import yaml

    loader = _text_times_loader()
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 (a SafeLoader)
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(path, f"not valid YAML: {problem}", where) from None
    if root is None:  # an empty document: no events
        return [], []
    prefix = "$"
    if isinstance(data, dict) and "events" in data:
        items, prefix = data["events"], "$.events"
        root = next(v for k, v in root.value if k.value == "events")
    else:
        items = data
    if items is None:
        return [], []
    if not isinstance(items, list):
        raise InputError(
            path, "expected a list of events (or a mapping with an 'events' list)", "$"
        )
    rows: list[_RawRow] = []
    rejects: list[Reject] = []
    for i, (item, node) in enumerate(zip(items, root.value, strict=True)):
        here = f"{prefix}[{i}] (line {node.start_mark.line + 1})"
        if not isinstance(item, dict):
            rejects.append(Reject(here, "expected a mapping with " + ", ".join(REQUIRED)))
            continue
        lines = {str(k.value): v.start_mark.line + 1 for k, v in node.value}
        found = {"": here}
        for key in FIELDS:
            if key in lines:
                found[key] = f"{prefix}[{i}].{key} (line {lines[key]})"
        rows.append(_RawRow({k: item.get(k) for k in FIELDS if k in item}, found))
    return rows, rejects


# --- validation ----------------------------------------------------------------


def validate_rows(
    rows: list[_RawRow], assume_tz: str | None = None
) -> tuple[list[EventRecord], list[Reject]]:
    """Turn raw rows into events; each bad row becomes one reject naming its first problem."""
    onsets_text = pd.Series(
        [_onset_text(r.values.get("onset")) for r in rows], dtype="string"
    )
    onsets, onset_reasons = parse_times(onsets_text, assume_tz, "onset")
    events: list[EventRecord] = []
    rejects: list[Reject] = []
    seen: dict[str, str] = {}
    for i, row in enumerate(rows):
        problem, field_name, record = _check(row, onsets.iloc[i], onset_reasons.iloc[i])
        if record is not None and record.event_id in seen:
            problem, field_name = (
                f"event_id '{record.event_id}' is already given at {seen[record.event_id]}",
                "event_id",
            )
            record = None
        if record is None:
            locator = row.where.get(field_name) or row.where[""]
            rejects.append(Reject(locator, problem, excerpt(row.values.get("event_id"))))
        else:
            seen[record.event_id] = row.where[""]
            events.append(record)
    return events, rejects


def _onset_text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _check(row: _RawRow, onset, onset_reason: str):
    """(problem, field, None) for a bad row, ("", "", EventRecord) for a good one."""
    v = row.values
    event_id = _text(v.get("event_id"))
    if event_id is None:
        return "event_id is empty", "event_id", None
    name = _text(v.get("name"))
    if name is None:
        return "name is empty", "name", None
    if onset_reason:
        return onset_reason, "onset", None
    keywords, problem = parse_keywords(v.get("keywords"))
    if problem:
        return problem, "keywords", None
    critical, problem = parse_bool(v.get("critical"), "critical")
    if problem:
        return problem, "critical", None
    country = _text(v.get("country"))
    if country is not None:
        country = country.upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            return "country must be an ISO 3166 alpha-2 code such as IN or ID", "country", None
    levels = _list(v.get("level"))
    bad = [lv for lv in levels if lv.lower() not in LEVELS]
    if bad:
        return (f"level '{excerpt(bad[0], 20)}' is not one of {', '.join(LEVELS)}", "level",
                None)
    types = tuple(dict.fromkeys(
        t for t in institution_types(pd.Series(_list(v.get("institution_type")),
                                               dtype="object")).dropna()))
    accounts = tuple(dict.fromkeys(a.lower().replace(":@", ":").lstrip("@")
                                   for a in _list(v.get("accounts"))))
    bad = [a for a in accounts if a.count(":") > 1 or not a.split(":")[-1]
           or a.startswith(":")]
    if bad:
        return (f"account '{excerpt(bad[0], 40)}' is not platform:author or author",
                "accounts", None)
    onset_dt = pd.Timestamp(onset).tz_convert(UTC).to_pydatetime()
    return "", "", EventRecord(event_id, name, onset_dt, keywords, critical, country,
                               tuple(dict.fromkeys(lv.lower() for lv in levels)), types,
                               accounts)


def _list(value) -> list[str]:
    """A ';'-separated cell or a YAML list, as stripped non-empty texts."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(";")
    return [t for t in (str(i).strip() for i in items if i is not None) if t]


def _text(value) -> str | None:
    if value is None or isinstance(value, (list, dict)):
        return None
    if isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def parse_keywords(value) -> tuple[tuple[str, ...], str]:
    """Keywords from a ';'-separated string or a list; (keywords, problem)."""
    if value is None:
        return (), "keywords is empty; give at least one word or phrase"
    if isinstance(value, str):
        items: Iterable = value.split(";")
    elif isinstance(value, list):
        if any(isinstance(k, (list, dict)) or k is None for k in value):
            return (), "keywords must be a list of words or phrases"
        items = (str(k) for k in value)
    else:
        items = [str(value)]
    out: list[str] = []
    seen: set[str] = set()
    for raw in items:
        kw = " ".join(raw.split())
        if not kw:
            continue
        if not _HAS_WORD.search(kw):
            return (), f"keyword '{excerpt(kw, 40)}' has no letter or digit"
        if kw.casefold() not in seen:
            seen.add(kw.casefold())
            out.append(kw)
    if not out:
        return (), "keywords is empty; give at least one word or phrase"
    return tuple(out), ""


def parse_bool(value, column: str) -> tuple[bool, str]:
    """true/false, yes/no, 1/0 (any case); (value, problem)."""
    if isinstance(value, bool):
        return value, ""
    text = _text(value)
    if text is None:
        return False, f"{column} is empty; write true or false"
    low = text.lower()
    if low in TRUE_WORDS:
        return True, ""
    if low in FALSE_WORDS:
        return False, ""
    return False, f"{column} '{excerpt(text, 20)}' is not true or false"


# --- storing -------------------------------------------------------------------


def events_frame(events: list[EventRecord], source_file: str) -> pd.DataFrame:
    """Rows for the ``events`` table."""
    return pd.DataFrame(
        {
            "event_id": pd.Series([e.event_id for e in events], dtype="object"),
            "name": pd.Series([e.name for e in events], dtype="object"),
            "onset": pd.Series(
                pd.to_datetime([e.onset for e in events], utc=True), dtype="datetime64[us, UTC]"
            ),
            "keywords": pd.Series([list(e.keywords) for e in events], dtype="object"),
            "critical": pd.Series([e.critical for e in events], dtype="bool"),
            "country": pd.Series([e.country for e in events], dtype="object"),
            "source_file": source_file,
            "levels": pd.Series([list(e.levels) for e in events], dtype="object"),
            "institution_types": pd.Series([list(e.institution_types) for e in events],
                                           dtype="object"),
            "accounts": pd.Series([list(e.accounts) for e in events], dtype="object"),
        }
    )


def load_events(
    store_con: Store | duckdb.DuckDBPyConnection,
    path: str | Path,
    assume_tz: str | None = None,
) -> tuple[int, list[Reject]]:
    """Read ``path`` and store its valid events; returns (events stored, rejects).

    With a :class:`Store` this is one transaction. With a bare connection the
    caller owns the transaction (e.g. to load events and analyse in one).
    Events with the same ``event_id`` are replaced; others in the store stay.
    The file is recorded in ``imports`` (format ``events-csv``/``events-yaml``)
    and its rejects in ``rejects``.
    """
    path = Path(path)
    found = read_events(path, assume_tz)
    if isinstance(store_con, Store):
        with store_con.transaction() as con:
            _store(con, path, found, assume_tz)
    else:
        _store(store_con, path, found, assume_tz)
    return len(found.events), found.rejects


def _store(con: duckdb.DuckDBPyConnection, path: Path, found: EventsRead, assume_tz) -> None:
    started = datetime.now(UTC)
    frame = events_frame(found.events, str(path))
    if len(frame):
        con.register("_events_batch", frame)
        try:
            con.execute(
                """
                INSERT INTO events BY NAME SELECT * FROM _events_batch
                ON CONFLICT (event_id) DO UPDATE SET
                  name = excluded.name, onset = excluded.onset, keywords = excluded.keywords,
                  critical = excluded.critical, country = excluded.country,
                  source_file = excluded.source_file, levels = excluded.levels,
                  institution_types = excluded.institution_types,
                  accounts = excluded.accounts
                """
            )
        finally:
            con.unregister("_events_batch")
    import_id = con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchall()[0][0]
    con.execute(
        "INSERT INTO imports (import_id, file, sha256, format, options, started_at, finished_at, "
        "rows_read, posts_added, posts_merged, accounts_added, rejected, tool_version, status) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, 'complete')",
        [import_id, str(path), sha256_file(path), found.format,
         json.dumps({"assume_tz": assume_tz}, sort_keys=True), started, datetime.now(UTC),
         found.rows_read, len(found.rejects), __version__],
    )
    if found.rejects:
        rejects = pd.DataFrame(
            {
                "import_id": import_id,
                "file": str(path),
                "locator": [r.locator for r in found.rejects],
                "reason": [r.reason for r in found.rejects],
                "excerpt": [r.excerpt for r in found.rejects],
            }
        )
        con.register("_events_rejects", rejects)
        try:
            con.execute("INSERT INTO rejects SELECT * FROM _events_rejects")
        finally:
            con.unregister("_events_rejects")
