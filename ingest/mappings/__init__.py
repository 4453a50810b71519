"""Mapping files: how the ``mapped`` reader learns where each field of a foreign export is.

This package holds the shipped mapping files (``*.yaml`` here; name them without their path,
e.g. ``--mapping twcs``) and the code that reads and checks a mapping file. The reader
itself is :mod:`govwatch.ingest.mapped`.

Mapping file (YAML)::

    description: free text      # optional; shown nowhere, for the reader of the file
    format: csv                 # csv | jsonl | json (a JSON array, loaded whole)
    kind: posts                 # posts (default) | accounts
    platform: twitter           # a constant, or a field spec such as {column: network}
    records: data               # json/jsonl only: dotted path to the list of records
    header: false               # csv only; then `columns` names the columns in order
    columns: [name, twitter_url]
    fields:                     # canonical field -> where it is
      post_id: tweet_id         # a CSV column (header text) or a JSON dotted path (user.id_str)
      author: {value: MoHFW_INDIA}              # a constant, or (group 1 of a regex):
      #  author: {column: twitter_url, extract: 'twitter\\.com/([A-Za-z0-9_]+)'}
      kind: {column: Type, values: {Retweet: repost, Self: post}}   # a value table, or
      #  kind: {column: text, patterns: {"^RT @": repost, " QT @": quote}, default: post}
      mentions: {path: entities.user_mentions, item: screen_name}   # or {column: m, split: ";"}
    time_format: twitter        # iso8601 (default) | twitter ("Tue Oct 31 22:10:47 +0000 2017")
                                # | epoch_s | epoch_ms | a strftime pattern ("%d/%m/%y %H:%M")
    time_zone: Asia/Kolkata     # zone of times written without an offset (else --assume-tz);
                                # never guessed: a pattern without %z needs one of the two
    time_from_id: twitter       # take created_at from X/Twitter snowflake ids when they decode
                                # (exact to the ms; created_at_derived = true); the time field
                                # then serves only ids that do not decode
    id_float_format: true       # "3.0" -> "3" in post_id, in_reply_to_post_id,
                                # conversation_id, author_id (pandas-written float ids)
    id_pattern: '^[0-9]+$'      # post_id and in_reply_to_post_id must match it (else rejected)
    keep_raw: true              # keep each source record as JSON in the raw column
    official_when: {column: inbound, equals: "False"}   # or {column, in: [...]} or all
    official_account:           # what official_when's authors are (required with it)
      country: US
      level: national
      timezone: America/New_York
      institution: {column: author_id}    # optional: a field spec; default the handle
      office_hours: Mon-Fri 09:00-17:00   # optional
    accounts:                   # official accounts declared once, emitted with the first batch
      - {author: ArvindKejriwal, institution: Chief Minister of Delhi, country: IN,
         level: state, timezone: Asia/Kolkata}

Canonical post fields: post_id, author and created_at (or time_from_id) are required; text,
author_id, lang, kind, in_reply_to_post_id, in_reply_to_author, conversation_id, mentions,
url, like_count, share_count, reply_count are optional. Without ``kind`` a row with a reply
link is a ``reply``, else a ``post``. Without ``mentions``, mentions are the ``@name`` words of
the text (the X/Twitter pattern). Column names compare case-insensitively; every column the
mapping names must exist. Accounts fields: author (required), display_name, institution,
country, level, timezone (all three required, a constant is fine), office_hours; accounts
files make every row an official account, like the accounts CSV.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from zoneinfo import available_timezones

import yaml

from govwatch.errors import InputError, UsageError
from govwatch.officehours import OfficeHoursError, parse_office_hours
from govwatch.schema import LEVELS

MAPPINGS_DIR = Path(__file__).parent
FORMATS = ("csv", "jsonl", "json")
TIME_FORMATS = ("iso8601", "twitter", "epoch_s", "epoch_ms")  # or a strftime pattern
POST_FIELDS = (
    "post_id", "author", "created_at", "text", "author_id", "lang", "kind",
    "in_reply_to_post_id", "in_reply_to_author", "conversation_id", "mentions", "url",
    "like_count", "share_count", "reply_count",
)
ACCOUNT_FIELDS = (
    "author", "display_name", "institution", "country", "level", "timezone", "office_hours",
    "institution_type",
)
_TOP_KEYS = {
    "format", "kind", "platform", "records", "header", "columns", "fields", "time_format",
    "time_zone", "time_from_id", "id_float_format", "id_pattern", "keep_raw", "official_when",
    "official_account", "accounts", "description",
}

@cache
def zones() -> frozenset[str]:
    return frozenset(available_timezones())


@dataclass(frozen=True)
class FieldSpec:
    """Where one canonical field comes from, and how its text is turned into the value."""

    source: str | None = None  # column (lower-cased) or dotted JSON path
    value: str | None = None  # a constant
    values: dict[str, str] | None = None  # exact source value -> value
    patterns: tuple[tuple[re.Pattern, str], ...] = ()  # first regex that matches -> value
    extract: re.Pattern | None = None  # group 1 of the first match
    split: str | None = None  # separator of several values in one cell
    item: str | None = None  # key picked from each dict of a JSON list
    default: str | None = None  # when the source is empty or nothing matched


@dataclass(frozen=True)
class Mapping:
    """A parsed, validated mapping file."""

    path: Path
    sha256: str
    format: str
    kind: str
    platform: FieldSpec
    fields: dict[str, FieldSpec]
    records: str | None = None
    header: bool = True
    columns: tuple[str, ...] = ()
    time_format: str = "iso8601"
    time_zone: str | None = None
    time_from_id: str | None = None
    id_float_format: bool = False
    id_pattern: re.Pattern | None = None
    keep_raw: bool = True
    official_when: dict | None = None  # {"source", "equals" | "in"} or {"all": True}
    official_account: dict[str, FieldSpec] = field(default_factory=dict)
    accounts: tuple[dict[str, str], ...] = ()

    def sources(self) -> list[str]:
        """Every column or path the mapping reads, in a stable order."""
        specs = [self.platform, *self.fields.values(), *self.official_account.values()]
        out = [s.source for s in specs if s.source]
        if self.official_when and self.official_when.get("source"):
            out.append(self.official_when["source"])
        return list(dict.fromkeys(out))


def shipped_mappings() -> dict[str, Path]:
    """Mapping files shipped with govwatch, by name (file name without .yaml)."""
    return {p.stem: p for p in sorted(MAPPINGS_DIR.glob("*.yaml"))}


def resolve_mapping(name_or_path: str | Path) -> Path:
    """A mapping file path: an existing file, else the shipped mapping of that name."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = shipped_mappings()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    raise UsageError(
        f"mapping file {name_or_path} not found; shipped mappings: {', '.join(shipped)}"
    )


def bad_mapping(path: Path, where: str, reason: str) -> InputError:
    return InputError(path, f"mapping file: {reason}", where)


def _field_spec(raw: object, where: str, path: Path, lower: bool) -> FieldSpec:
    def src(name: object) -> str:
        if not isinstance(name, str | int) or str(name).strip() == "":
            raise bad_mapping(path, where, "a column or path must be a non-empty text")
        return str(name).strip().lower() if lower else str(name).strip()

    if isinstance(raw, str | int):
        return FieldSpec(source=src(raw))
    if not isinstance(raw, dict):
        raise bad_mapping(path, where, "expected a column name or a mapping such as {column: x}")
    known = {"column", "path", "value", "values", "patterns", "extract", "split", "item", "default"}
    unknown = set(raw) - known
    if unknown:
        raise bad_mapping(path, where, f"unknown key(s) {', '.join(sorted(unknown))}")
    given = [k for k in ("column", "path", "value") if k in raw]
    if len(given) != 1:
        raise bad_mapping(path, where, "give exactly one of column, path or value")
    try:
        patterns = tuple(
            (re.compile(str(k)), str(v)) for k, v in (raw.get("patterns") or {}).items()
        )
        extract = re.compile(str(raw["extract"])) if "extract" in raw else None
    except re.error as exc:
        raise bad_mapping(path, where, f"bad regular expression: {exc}") from None
    if extract is not None and extract.groups < 1:
        raise bad_mapping(path, where, "extract needs one (group) to keep")
    values = raw.get("values")
    if values is not None and not isinstance(values, dict):
        raise bad_mapping(path, where, "values must map source values to values")
    return FieldSpec(
        source=src(raw.get("column", raw.get("path"))) if "value" not in raw else None,
        value=None if raw.get("value") is None else str(raw["value"]),
        values={str(k): str(v) for k, v in values.items()} if values else None,
        patterns=patterns,
        extract=extract,
        split=raw.get("split"),
        item=raw.get("item"),
        default=None if raw.get("default") is None else str(raw["default"]),
    )


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file (InputError naming the key when it is wrong)."""
    path = resolve_mapping(path)
    data_bytes = path.read_bytes()
    try:
        data = yaml.safe_load(data_bytes.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(path, f"mapping file is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise bad_mapping(path, "$", "expected keys such as format, platform, fields")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise bad_mapping(path, ", ".join(sorted(unknown)), "unknown key(s)")
    fmt = str(data.get("format", "")).lower()
    if fmt not in FORMATS:
        raise bad_mapping(path, "format", f"must be one of {', '.join(FORMATS)}")
    kind = str(data.get("kind", "posts")).lower()
    if kind not in ("posts", "accounts"):
        raise bad_mapping(path, "kind", "must be posts or accounts")
    lower = fmt == "csv"  # CSV headers compare case-insensitively
    if "platform" not in data:
        raise bad_mapping(path, "platform", "name the platform (a constant or {column: ...})")
    platform = data["platform"]
    platform_spec = (
        FieldSpec(value=platform.lower()) if isinstance(platform, str)
        else _field_spec(platform, "platform", path, lower)
    )
    fields_ = _fields(data, kind, path, lower)
    official_when, official_account = _officials(data, path, lower)
    accounts = tuple(_static_account(a, i, path) for i, a in enumerate(data.get("accounts") or []))
    if platform_spec.value is None and any("platform" not in a for a in accounts):
        raise bad_mapping(path, "accounts", "the platform is a column: give each account one")
    header = bool(data.get("header", True))
    columns = tuple(str(c).strip().lower() for c in data.get("columns") or ())
    if fmt == "csv" and not header and not columns:
        raise bad_mapping(path, "columns", "a CSV without header needs its column names")
    try:
        id_pattern = re.compile(str(data["id_pattern"])) if data.get("id_pattern") else None
    except re.error as exc:
        raise bad_mapping(path, "id_pattern", f"bad regular expression: {exc}") from None
    records = data.get("records")
    return Mapping(
        path=path, sha256=hashlib.sha256(data_bytes).hexdigest(), format=fmt, kind=kind,
        platform=platform_spec, fields=fields_, records=str(records) if records else None,
        header=header, columns=columns, **_time_settings(data, kind, fields_, path),
        id_float_format=bool(data.get("id_float_format", False)), id_pattern=id_pattern,
        keep_raw=bool(data.get("keep_raw", True)), official_when=official_when,
        official_account=official_account, accounts=accounts,
    )


def _fields(data: dict, kind: str, path: Path, lower: bool) -> dict[str, FieldSpec]:
    allowed = POST_FIELDS if kind == "posts" else ACCOUNT_FIELDS
    raw_fields = data.get("fields") or {}
    if not isinstance(raw_fields, dict):
        raise bad_mapping(path, "fields", "expected canonical field: source pairs")
    out = {}
    for name, spec in raw_fields.items():
        if name not in allowed:
            raise bad_mapping(path, f"fields.{name}", f"not a {kind} field ({', '.join(allowed)})")
        out[name] = _field_spec(spec, f"fields.{name}", path, lower)
    required = ("post_id", "author") if kind == "posts" else (
        "author", "country", "level", "timezone")
    for name in required:
        if name not in out:
            raise bad_mapping(path, f"fields.{name}", "this field is required")
    if kind == "accounts":
        _check_constants(out, path, "fields")
    return out


def _time_settings(data: dict, kind: str, fields_: dict, path: Path) -> dict:
    time_from_id = data.get("time_from_id")
    if time_from_id not in (None, "twitter"):
        raise bad_mapping(path, "time_from_id", "the only id scheme known is twitter")
    if kind == "posts" and "created_at" not in fields_ and not time_from_id:
        raise bad_mapping(path, "fields.created_at", "map created_at (or set time_from_id)")
    time_format = str(data.get("time_format", "iso8601"))
    if time_format not in TIME_FORMATS and "%" not in time_format:
        raise bad_mapping(path, "time_format",
                          "iso8601, twitter, epoch_s, epoch_ms or a strftime pattern")
    zone = data.get("time_zone")
    if zone is not None and zone not in zones():
        raise bad_mapping(path, "time_zone", f"'{zone}' is not an IANA zone")
    return {"time_format": time_format, "time_zone": zone, "time_from_id": time_from_id}


def _officials(data: dict, path: Path, lower: bool) -> tuple[dict | None, dict[str, FieldSpec]]:
    """``official_when`` and the ``official_account`` attributes its authors get."""
    official_when = _official_when(data.get("official_when"), path, lower)
    if official_when is None:
        return None, {}
    raw_acc = data.get("official_account")
    if not isinstance(raw_acc, dict):
        raise bad_mapping(path, "official_account", "official_when needs country, level, "
                          "timezone (and optionally institution, office_hours, "
                          "institution_type)")
    account = {}
    for key, value in raw_acc.items():
        where = f"official_account.{key}"
        if key not in ("country", "level", "timezone", "institution", "office_hours",
                       "institution_type"):
            raise bad_mapping(path, where, "unknown key")
        if key in ("country", "level", "timezone") and isinstance(value, dict):
            raise bad_mapping(path, where, "give one value for all official accounts")
        account[key] = (
            FieldSpec(value=str(value)) if not isinstance(value, dict)
            else _field_spec(value, where, path, lower)
        )
    for key in ("country", "level", "timezone"):
        if key not in account:
            raise bad_mapping(path, f"official_account.{key}", "this key is required")
    _check_constants(account, path, "official_account")
    return official_when, account


def _official_when(raw: object, path: Path, lower: bool) -> dict | None:
    if raw is None:
        return None
    if raw == "all":
        return {"all": True}
    if not isinstance(raw, dict) or not ({"column", "path"} & set(raw)) or not (
        {"equals", "in"} & set(raw)
    ):
        raise bad_mapping(path, "official_when",
                           "expected all, {column: x, equals: v} or {column: x, in: [v, ...]}")
    source = str(raw.get("column", raw.get("path"))).strip()
    wanted = raw["in"] if "in" in raw else [raw["equals"]]
    return {"source": source.lower() if lower else source, "in": [_as_text(v) for v in wanted]}


def _as_text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _check_constants(specs: dict[str, FieldSpec], path: Path, where: str) -> None:
    checks = {
        "country": (lambda v: re.fullmatch(r"[A-Z]{2}", v.upper()) is not None,
                    "an ISO 3166 alpha-2 code such as IN"),
        "level": (lambda v: v.lower() in LEVELS, "one of " + ", ".join(LEVELS)),
        "timezone": (lambda v: v in zones(), "an IANA zone such as Asia/Kolkata"),
    }
    for key, (ok, what) in checks.items():
        spec = specs.get(key)
        if spec is not None and spec.value is not None and not ok(spec.value):
            raise bad_mapping(path, f"{where}.{key}", f"'{spec.value}' must be {what}")


def _static_account(raw: object, i: int, path: Path) -> dict[str, str]:
    where = f"accounts[{i}]"
    if not isinstance(raw, dict):
        raise bad_mapping(path, where, "expected author, institution, country, level, timezone")
    acc = {k: str(v) for k, v in raw.items() if v is not None}
    for key in ("author", "institution", "country", "level", "timezone"):
        if not acc.get(key):
            raise bad_mapping(path, f"{where}.{key}", "this key is required")
    unknown = set(acc) - {"platform", *ACCOUNT_FIELDS}
    if unknown:
        raise bad_mapping(path, where, f"unknown key(s) {', '.join(sorted(unknown))}")
    _check_constants({k: FieldSpec(value=v) for k, v in acc.items()}, path, where)
    if acc.get("office_hours"):
        try:
            parse_office_hours(acc["office_hours"])
        except OfficeHoursError as exc:
            raise bad_mapping(path, f"{where}.office_hours", str(exc)) from None
    return acc
