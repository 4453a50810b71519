"""Reader ``mapped``: any CSV, JSON Lines or JSON-array export, described by a mapping file.

For exports govwatch has no reader for (Brandwatch, Sprout Social, academic datasets), a
small YAML file says where each canonical field is. Shipped mappings live in
``ingest/mappings/`` and can be named without their path (``twcs``, ``congresstweets``,
``india_tweets``, ``india_cabinet_ministers``); see :func:`shipped_mappings`.

The mapping file's format is documented in :mod:`govwatch.ingest.mappings` (and in the
project's docs on formats). In short: ``format`` (csv | jsonl | json), ``platform``,
``fields`` (canonical field -> column, dotted path or constant), ``time_format`` /
``time_zone`` / ``time_from_id``, id clean-up (``id_float_format``, ``id_pattern``), and
who is official (``official_when`` + ``official_account``, or an ``accounts`` list).

CSV is streamed in chunks (``govwatch.ingest.tabular``); JSON Lines are streamed line by line; a JSON
array is loaded whole. Locators: ``line 12`` for CSV and JSON Lines (``line 3: $.data[4]``
with ``records``), ``$[12]`` for a JSON array.

The reader is chosen with ``--format mapped``; the mapping comes from
``MappedReader.from_mapping_file(path)`` or, through the pipeline, from
``ReadOptions.mapping_file``. The registered reader has no mapping, so its ``sniff`` is
always false: a mapped format is never guessed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from govwatch.errors import InputError, UsageError
from govwatch.officehours import office_hours_problem
from govwatch.records import (
    READER_ACCOUNT_COLUMNS,
    READER_POST_COLUMNS,
    Batch,
    Reject,
    excerpt,
    institution_types,
)
from govwatch.schema import LEVELS, POST_KINDS

from .base import MAX_TEXT_CHARS, Reader, ReadOptions, open_text
from .jsonio import iter_json_lines, load_json_text, read_text_strict, snowflake_time
from .mappings import (
    ACCOUNT_FIELDS,
    POST_FIELDS,
    TIME_FORMATS,
    FieldSpec,
    Mapping,
    bad_mapping,
    load_mapping,
    resolve_mapping,
    shipped_mappings,
    zones,
)
from .registry import register
from .tabular import (
    MENTION_RE,
    checked_rows,
    csv_records,
    iter_chunks,
    parse_counts,
    parse_times,
    sniff_header,
)

__all__ = ["MappedReader", "Mapping", "load_mapping", "resolve_mapping", "shipped_mappings"]

ID_FIELDS = ("post_id", "in_reply_to_post_id", "conversation_id", "author_id")
COUNTS = ("like_count", "share_count", "reply_count")
TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"
_SEP = "\x1f"  # joins list values pulled from JSON (mentions)


# --------------------------------------------------------------------------- source rows


@dataclass
class _Rows:
    """A chunk of source rows as text columns keyed by source name, with their locators."""

    frame: pd.DataFrame
    locators: list[str]
    rejects: list[Reject]
    rows_read: int
    raw: list[str] | None = None


def _csv_rows(path: Path, m: Mapping, options: ReadOptions, progress) -> Iterator[_Rows]:
    if not m.header:
        yield from _headerless_rows(path, m, options.chunk_rows, progress)
        return
    for chunk in iter_chunks(path, tuple(m.sources()), {}, options.chunk_rows, progress):
        raw = None
        if m.keep_raw:
            records = chunk.frame.astype(object).where(chunk.frame.notna(), None)
            raw = [json.dumps(r, ensure_ascii=False) for r in records.to_dict("records")]
        yield _Rows(chunk.frame, [f"line {n}" for n in chunk.lines], chunk.rejects,
                    chunk.rows_read, raw)


def _headerless_rows(path: Path, m: Mapping, chunk_rows: int, progress) -> Iterator[_Rows]:
    """Chunks of a CSV file without a header row; ``m.columns`` names the columns."""
    missing = [s for s in m.sources() if s not in m.columns]
    if missing:
        raise bad_mapping(m.path, "columns", f"no column named {', '.join(missing)}")
    width = len(m.columns)
    rows: list[list[str]] = []
    locs: list[str] = []
    rejects: list[Reject] = []
    read = 0
    with open_text(path, progress) as f:
        source, reader = csv_records(f)
        for start, row in checked_rows(source, reader, width, "as the mapping's columns"):
            read += 1
            if isinstance(row, Reject):
                rejects.append(row)
            else:
                rows.append(row)
                locs.append(f"line {start}")
            if len(rows) >= chunk_rows:
                yield _headerless_chunk(rows, locs, rejects, read, m)
                rows, locs, rejects, read = [], [], [], 0
    if rows or rejects or read:
        yield _headerless_chunk(rows, locs, rejects, read, m)


def _headerless_chunk(rows, locs, rejects, read, m: Mapping) -> _Rows:
    frame = pd.DataFrame(rows, columns=list(m.columns), dtype="string")
    for col in frame.columns:
        frame[col] = frame[col].str.strip()
        frame.loc[frame[col] == "", col] = pd.NA
    raw = [json.dumps(dict(zip(m.columns, r, strict=True)), ensure_ascii=False) for r in rows] if (
        m.keep_raw) else None
    return _Rows(frame, locs, rejects, read, raw)


def _lookup(record: object, dotted: str) -> object:
    cur = record
    for part in dotted.split("."):
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list) and part.lstrip("-").isdigit() and -len(cur) <= int(part) < len(
            cur
        ):
            cur = cur[int(part)]
        else:
            return None
    return cur


def _cell(value: object, spec_item: str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = [v.get(spec_item) if spec_item and isinstance(v, dict) else v for v in value]
        return _SEP.join(str(v) for v in items if v is not None and not isinstance(v, dict | list))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _json_rows(path: Path, m: Mapping, options: ReadOptions, progress) -> Iterator[_Rows]:
    items = {s.source: s.item for s in [*m.fields.values()] if s.source}
    sources = m.sources()
    batch: list[tuple[str, object]] = []
    rejects: list[Reject] = []
    read = 0

    def flush() -> _Rows:
        cols = {s: [_cell(_lookup(r, s), items.get(s)) for _, r in batch] for s in sources}
        frame = pd.DataFrame(cols, dtype="string", index=range(len(batch)))
        for col in frame.columns:
            frame[col] = frame[col].str.strip()
            frame.loc[frame[col] == "", col] = pd.NA
        raw = [json.dumps(r, ensure_ascii=False) for _, r in batch] if m.keep_raw else None
        return _Rows(frame, [loc for loc, _ in batch], rejects, read, raw)

    for loc, record in _json_records(path, m, progress):
        read += 1
        if isinstance(record, Reject):
            rejects.append(record)
        elif not isinstance(record, dict):
            rejects.append(Reject(loc, "record is not a JSON object", excerpt(json.dumps(record))))
        else:
            batch.append((loc, record))
        if len(batch) >= options.chunk_rows:
            yield flush()
            batch, rejects, read = [], [], 0
    if batch or rejects or read:
        yield flush()


def _json_records(path: Path, m: Mapping, progress) -> Iterator[tuple[str, object]]:
    """(locator, record or Reject) for each record of a JSON array or JSON Lines file."""
    if m.format == "json":
        doc = load_json_text(path, read_text_strict(path))
        if progress:
            progress(path.stat().st_size)
        found = _lookup(doc, m.records) if m.records else doc
        if not isinstance(found, list):
            where = f"$.{m.records}" if m.records else "$"
            raise InputError(path, "expected a JSON array of records", where)
        prefix = f"$.{m.records}" if m.records else "$"
        for i, record in enumerate(found):
            yield f"{prefix}[{i}]", record
        return
    for lineno, value in iter_json_lines(path, progress):
        if isinstance(value, Reject) or not m.records:
            yield f"line {lineno}", value
            continue
        found = _lookup(value, m.records)
        if not isinstance(found, list):
            yield f"line {lineno}", Reject(f"line {lineno}", f"no list at $.{m.records}")
            continue
        for i, record in enumerate(found):
            yield f"line {lineno}: $.{m.records}[{i}]", record


# --------------------------------------------------------------------------- values


def _apply(spec: FieldSpec, frame: pd.DataFrame) -> pd.Series:
    """The text values of one field for every row of ``frame`` (NA where empty)."""
    if spec.source is None:
        return pd.Series(spec.value, index=frame.index, dtype="string")
    values = frame[spec.source]
    if spec.extract is not None:
        values = values.str.extract(spec.extract, expand=False).astype("string")
    if spec.values is not None:  # a value the table does not list is kept, to be checked
        mapped = values.map(spec.values, na_action="ignore").astype("string")
        values = mapped.where(mapped.notna() | values.isna(), values)
    if spec.patterns:
        out = pd.Series(pd.NA, index=frame.index, dtype="string")
        for pattern, value in spec.patterns:
            hit = out.isna() & values.str.contains(pattern, na=False)
            out[hit] = value
        values = out
    if spec.default is not None:
        values = values.fillna(spec.default)
    return values


class _Checker:
    """Per-row problems found by vectorised checks, with the rows' locators."""

    def __init__(self, rows: _Rows):
        self.rows = rows
        self.bad = pd.Series(False, index=rows.frame.index)
        self.reasons = pd.Series("", index=rows.frame.index, dtype="object")

    def fail(self, mask: pd.Series, reason: str | pd.Series) -> None:
        mask = mask.fillna(False).astype(bool) & ~self.bad
        if mask.any():
            self.reasons[mask] = reason[mask].astype(str) if isinstance(reason, pd.Series) else reason
            self.bad |= mask

    def rejects(self, show: pd.Series | None) -> list[Reject]:
        out = list(self.rows.rejects)
        for idx in self.bad[self.bad].index:
            value = None if show is None or pd.isna(show[idx]) else show[idx]
            out.append(Reject(self.rows.locators[idx], self.reasons[idx], excerpt(value)))
        return out


def _times(values: pd.Series, m: Mapping, zone: str | None,
           ambiguous: str = "reject") -> tuple[pd.Series, pd.Series]:
    """Parse created_at as the mapping says. Returns (UTC times, reason per row or "")."""
    fmt = m.time_format
    if fmt == "iso8601":
        return parse_times(values, zone, "created_at", ambiguous=ambiguous)
    present = values.notna()
    reasons = pd.Series("", index=values.index, dtype="object")
    if fmt in ("epoch_s", "epoch_ms"):
        nums = pd.to_numeric(values, errors="coerce")
        times = pd.to_datetime(nums, unit="s" if fmt == "epoch_s" else "ms", utc=True,
                               errors="coerce")
    elif fmt == "twitter" or "%z" in fmt:
        pattern = TWITTER_TIME if fmt == "twitter" else fmt
        times = pd.to_datetime(values, format=pattern, utc=True, errors="coerce")
    else:
        local = pd.to_datetime(values, format=fmt, errors="coerce")
        times = local.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    times = times.astype("datetime64[us, UTC]")
    bad = present & times.isna()
    reasons[bad] = ("created_at '" + values[bad].astype(str).str.slice(0, 40)
                    + f"' does not match time_format {fmt}")
    reasons[~present] = "created_at is empty"
    return times, reasons


# --------------------------------------------------------------------------- the reader


@register
class MappedReader(Reader):
    name = "mapped"
    platform = None  # the mapping names it
    description = "any CSV / JSON Lines / JSON array described by a mapping file (--mapping)"
    kind = "posts"

    def __init__(self, mapping: Mapping | None = None):
        self.mapping = mapping
        if mapping is not None:
            self.kind = mapping.kind
            self.platform = mapping.platform.value

    @classmethod
    def from_mapping_file(cls, path: str | Path) -> MappedReader:
        """A reader configured by a mapping file (a path, or a shipped mapping's name)."""
        return cls(load_mapping(path))

    def sniff(self, path: Path, head: bytes) -> bool:
        m = self.mapping
        if m is None:
            return False
        if m.format == "csv":
            return m.header and set(m.sources()) <= sniff_header(head)
        keys = {s.split(".")[-1] for s in m.sources() if not s.split(".")[-1].isdigit()}
        return all(f'"{k}"'.encode() in head for k in keys)

    def read(
        self, path: Path, options: ReadOptions, progress: Callable[[int], None] | None = None
    ) -> Iterator[Batch]:
        m = self.mapping or self._mapping_from(options)
        zone = m.time_zone or options.assume_tz
        if (m.kind == "posts" and "created_at" in m.fields and m.time_format not in TIME_FORMATS
                and "%z" not in m.time_format and zone is None):
            raise InputError(m.path, f"time_format '{m.time_format}' has no UTC offset: set "
                             "time_zone in the mapping or pass --assume-tz ZONE", "time_zone")
        chunks = _csv_rows if m.format == "csv" else _json_rows
        first = True
        for rows in chunks(path, m, options, progress):
            if m.kind == "accounts":
                yield self._accounts_batch(rows, m)
            else:
                yield self._posts_batch(rows, m, zone, static=first,
                                        ambiguous=options.ambiguous_time)
            first = False
        if first and m.accounts:
            yield Batch(accounts=_static_accounts(m))

    @staticmethod
    def _mapping_from(options: ReadOptions) -> Mapping:
        mapping_file = getattr(options, "mapping_file", None)
        if not mapping_file:
            raise UsageError(
                "the mapped format needs a mapping file (--mapping FILE); shipped mappings: "
                + ", ".join(shipped_mappings())
            )
        return load_mapping(mapping_file)

    # ------------------------------------------------------------------ posts

    def _posts_batch(self, rows: _Rows, m: Mapping, zone: str | None, static: bool,
                     ambiguous: str = "reject") -> Batch:
        df = rows.frame
        check = _Checker(rows)
        get = {name: _apply(spec, df) for name, spec in m.fields.items()}
        none = pd.Series(pd.NA, index=df.index, dtype="string")
        for name in POST_FIELDS:
            get.setdefault(name, none)
        if m.id_float_format:
            for name in ID_FIELDS:
                get[name] = get[name].str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
        platform = _apply(m.platform, df).str.lower()
        check.fail(platform.isna(), "platform is empty")
        check.fail(get["post_id"].isna(), _empty("post_id", m))
        for name in ("post_id", "in_reply_to_post_id"):
            self._check_id(get[name], name, m, check)
        check.fail(get["author"].isna(), _empty("author", m))
        created, derived = self._created(get, m, zone, check, ambiguous)
        text = get["text"]
        check.fail(text.str.len() > MAX_TEXT_CHARS, f"text longer than {MAX_TEXT_CHARS:,} characters")
        counts = {}
        for col in COUNTS:
            counts[col], reasons = parse_counts(get[col], col)
            check.fail(reasons != "", reasons)
        kind = get["kind"].str.lower()
        kind = kind.fillna("post").where(kind.notna() | get["in_reply_to_post_id"].isna(), "reply")
        check.fail(~kind.isin(POST_KINDS), "kind '" + kind.fillna("") + "' is not one of "
                   + ", ".join(POST_KINDS))
        ok = ~check.bad
        out = pd.DataFrame(index=df.index[ok])
        out["platform"] = platform[ok]
        out["post_id"] = get["post_id"][ok]
        out["author"] = get["author"][ok].str.lstrip("@")
        out["author_id"] = get["author_id"][ok]
        out["created_at"] = created[ok]
        out["created_at_derived"] = derived[ok]
        out["text"] = text[ok]
        out["lang"] = get["lang"][ok].str.lower()
        out["kind"] = kind[ok]
        out["in_reply_to_post_id"] = get["in_reply_to_post_id"][ok]
        out["in_reply_to_author"] = get["in_reply_to_author"][ok].str.lstrip("@")
        out["conversation_id"] = get["conversation_id"][ok]
        out["mentions"] = self._mentions(m, get, text)[ok]
        out["url"] = get["url"][ok]
        for col in COUNTS:
            out[col] = counts[col][ok]
        out["deleted_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us, UTC]")
        out["raw"] = (pd.Series(rows.raw, index=df.index, dtype="string")[ok] if rows.raw
                      is not None else pd.Series(pd.NA, index=out.index, dtype="string"))
        accounts = [self._officials(m, df, out, ok)]
        if static and m.accounts:
            accounts.append(_static_accounts(m))
        accounts = [a for a in accounts if a is not None and len(a)]
        return Batch(
            posts=out[list(READER_POST_COLUMNS)].reset_index(drop=True),
            accounts=pd.concat(accounts, ignore_index=True) if accounts else None,
            rejects=check.rejects(get["post_id"]),
            rows_read=rows.rows_read,
        )

    @staticmethod
    def _check_id(ids: pd.Series, name: str, m: Mapping, check: _Checker) -> None:
        shown = name + " '" + ids.fillna("").str.slice(0, 30) + "'"
        # "8.19885E+17": a spreadsheet turned the id into a rounded number; it is lost
        check.fail(ids.str.fullmatch(r"[0-9.]+[eE][+]?[0-9]+", na=False),
                   shown + " is in scientific notation: its digits were lost before export")
        if m.id_pattern is not None:
            check.fail(ids.notna() & ~ids.str.fullmatch(m.id_pattern, na=False),
                       shown + f" does not match id_pattern {m.id_pattern.pattern}")

    @staticmethod
    def _created(get: dict, m: Mapping, zone: str | None, check: _Checker,
                 ambiguous: str = "reject"):
        index = get["post_id"].index
        created = pd.Series(pd.NaT, index=index, dtype="datetime64[us, UTC]")
        derived = pd.Series(False, index=index, dtype=bool)
        todo = pd.Series(True, index=index)
        if m.time_from_id == "twitter":
            from_id = pd.to_datetime(get["post_id"].map(snowflake_time, na_action="ignore"),
                                     utc=True).astype("datetime64[us, UTC]")
            created = created.where(from_id.isna(), from_id)
            derived = from_id.notna()
            todo = from_id.isna()
        if "created_at" in m.fields:
            times, reasons = _times(get["created_at"], m, zone, ambiguous)
            created = created.where(~todo, times)
            check.fail(todo & (reasons != ""), reasons)
        else:
            check.fail(todo, "post_id does not encode a time and no created_at is mapped")
        return created, derived

    @staticmethod
    def _mentions(m: Mapping, get: dict, text: pd.Series) -> pd.Series:
        spec = m.fields.get("mentions")
        if spec is None:
            return text.fillna("").str.findall(MENTION_RE)
        sep = spec.split or _SEP
        return get["mentions"].map(
            lambda v: [x.strip().lstrip("@") for x in v.split(sep) if x.strip()]
            if isinstance(v, str) else [], na_action=None,
        )

    @staticmethod
    def _officials(m: Mapping, df: pd.DataFrame, out: pd.DataFrame, ok: pd.Series):
        rule = m.official_when
        if rule is None or not len(out):
            return None
        if rule.get("all"):
            hit = pd.Series(True, index=out.index)
        else:
            hit = df[rule["source"]][ok].isin(rule["in"]).fillna(False).astype(bool)
        if not hit.any():
            return None
        acc = pd.DataFrame({"platform": out["platform"][hit], "author": out["author"][hit]})
        for key in ("country", "level", "timezone", "institution", "office_hours",
                    "institution_type"):
            spec = m.official_account.get(key)
            acc[key] = _apply(spec, df)[ok][hit] if spec is not None else pd.NA
        acc["institution"] = acc["institution"].fillna(acc["author"])
        acc["institution_type"] = institution_types(acc["institution_type"])
        acc["country"] = acc["country"].str.upper()
        acc["level"] = acc["level"].str.lower()
        acc["official"] = True
        acc["display_name"] = pd.NA
        acc = acc.drop_duplicates(["platform", "author"])
        return acc[list(READER_ACCOUNT_COLUMNS)]

    # ------------------------------------------------------------------ accounts

    def _accounts_batch(self, rows: _Rows, m: Mapping) -> Batch:
        df = rows.frame
        check = _Checker(rows)
        get = {name: _apply(spec, df) for name, spec in m.fields.items()}
        none = pd.Series(pd.NA, index=df.index, dtype="string")
        for name in ACCOUNT_FIELDS:
            get.setdefault(name, none)
        platform = _apply(m.platform, df).str.lower()
        check.fail(platform.isna(), "platform is empty")
        check.fail(get["author"].isna(), _empty("author", m))
        country = get["country"].str.upper()
        check.fail(~country.str.fullmatch(r"[A-Z]{2}", na=False),
                   "country must be an ISO 3166 alpha-2 code such as IN or ID")
        level = get["level"].str.lower()
        check.fail(~level.isin(LEVELS), "level must be one of " + ", ".join(LEVELS))
        check.fail(~get["timezone"].isin(zones()), "timezone must be an IANA zone")
        oh = pd.Series([office_hours_problem(v) for v in get["office_hours"]], index=df.index,
                       dtype=object)
        check.fail(oh != "", oh)
        ok = ~check.bad
        out = pd.DataFrame({
            "platform": platform[ok],
            "author": get["author"][ok].str.lstrip("@"),
            "display_name": get["display_name"][ok],
            "official": True,
            "institution": get["institution"][ok].fillna(get["author"][ok]),
            "country": country[ok],
            "level": level[ok],
            "timezone": get["timezone"][ok],
            "office_hours": get["office_hours"][ok],
            "institution_type": institution_types(get["institution_type"][ok]),
        })
        show = get["author"].fillna(df.iloc[:, 0] if len(df.columns) else none)
        return Batch(
            accounts=out[list(READER_ACCOUNT_COLUMNS)].reset_index(drop=True),
            rejects=check.rejects(show),
            rows_read=rows.rows_read,
        )


def _empty(name: str, m: Mapping) -> str:
    source = m.fields[name].source
    return f"{name} is empty" + (f" (column {source})" if source else "")


def _static_accounts(m: Mapping) -> pd.DataFrame:
    """The accounts the mapping file declares itself (all official)."""
    rows = []
    for acc in m.accounts:
        rows.append({
            "platform": acc.get("platform", m.platform.value or "").lower(),
            "author": acc["author"].lstrip("@"),
            "display_name": acc.get("display_name"),
            "official": True,
            "institution": acc["institution"],
            "country": acc["country"].upper(),
            "level": acc["level"].lower(),
            "timezone": acc["timezone"],
            "office_hours": acc.get("office_hours"),
            "institution_type": acc.get("institution_type"),
        })
    frame = pd.DataFrame(rows, columns=list(READER_ACCOUNT_COLUMNS))
    frame["institution_type"] = institution_types(frame["institution_type"])
    return frame
