"""Every setting of ``govwatch analyze``, with its one default.

Each metric family declares its settings as a frozen dataclass here;
:class:`AnalysisSettings` nests them. A run records them (``analysis_runs.settings``,
and every export manifest's ``analysis.settings``) as the dict :func:`to_dict`
gives, and :func:`from_dict` reads that dict back, so a run replays exactly
(``govwatch analyze --settings FILE``, TOML or JSON of the same shape, or a whole
export manifest).

This module imports nothing heavy: the command line reads the defaults for its
help from here.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from govwatch.config import DEFAULT_MIN_N, DEFAULT_WINDOW_HOURS
from govwatch.errors import UsageError

# Composite benchmark index: the metrics it weighs and their documented weights.
DEFAULT_INDEX_WEIGHTS: Mapping[str, float] = types.MappingProxyType({
    "answered_rate": 0.35,
    "km_median_hours": 0.25,
    "selectivity_gap": 0.20,
    "critic_gap": 0.10,
    "deflection_share": 0.10,
})


@dataclass(frozen=True)
class SelectivitySettings:
    """Selectivity and critic gaps (analysis/selectivity.py): percentile bootstrap CIs."""

    bootstrap_samples: int = 1000  # replicates per account, population and gap
    seed: int = 1234  # each row derives its own stream from it


@dataclass(frozen=True)
class BenchmarkSettings:
    """Peer benchmarks and the composite index (analysis/benchmarks.py)."""

    min_peers: int = 5  # fewer peers with a value and the rank reads "too few"
    # metric -> weight; metrics not named keep their default weight
    index_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_INDEX_WEIGHTS))
    index_min_weight_share: float = 0.5  # share of the weight an index needs, else "too few"
    peer_groups: str = "country-level"  # "level" (across countries), "type"; analysis/peers.py
    peer_sets_file: str | None = None  # CSV platform,author,peer_set: replaces peer_groups
    interval_samples: int = 200  # bootstrap replicates for the intervals of ranks and the index


@dataclass(frozen=True)
class BurstSettings:
    """Candidate events: bursts of critical messages (analysis/bursts.py)."""

    k: float = 4.0  # a day is a burst above baseline median + k * max(1.4826 MAD, sqrt(median))
    baseline_days: int = 28  # trailing days the baseline is taken from
    min_baseline_days: int = 7  # fewer days of baseline and no burst is called
    min_messages: int = 10  # fewer critical messages that day and no burst is called


def parse_change_date(value: str) -> datetime:
    """A date (midnight UTC) or an ISO 8601 time with an offset; ValueError otherwise."""
    text = str(value).strip()
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"change date {value!r} is not an ISO 8601 date or time") from None
    if ts.tzinfo is None:
        if len(text) != 10:
            raise ValueError(f"change date {value!r} has no UTC offset (add Z or +HH:MM, "
                             "or give a date alone)")
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


@dataclass(frozen=True)
class ChangeSettings:
    """Before/after comparisons around dates the user names (analysis/change.py)."""

    dates: tuple[str, ...] = ()  # ISO 8601 dates (midnight UTC) or times with an offset
    window_days: int = 28  # days compared on each side; 0: everything before and after
    median_samples: int = 500  # bootstrap replicates for the interval of the median difference
    median_seed: int = 1234  # seed of that bootstrap

    def __post_init__(self) -> None:
        for value in self.dates:
            parse_change_date(value)  # a ValueError names the bad date
        if self.window_days < 0 or self.median_samples < 1:
            raise ValueError("window_days must be 0 or more and median_samples at least 1")


@dataclass(frozen=True)
class SilenceSettings:
    """Platform-wide silences (analysis/activity.py) and blackouts (analysis/outages.py)."""

    share: float = 0.8  # share of usually-active accounts silent in an hour
    usual_share: float = 0.5  # an account is usually active in an hour of the week it
    # posted in at least this share of weeks
    min_accounts: int = 5  # fewer usually-active accounts and the hour is not judged
    min_hours: int = 2  # shortest silence reported, in consecutive hours
    min_weeks: int = 2  # weeks of history before an account counts as usually active
    # Platform blackouts (analysis/outages.py): a run of hours without an official post
    blackout_min_expected: float = 10.0  # ... in which at least this many were expected
    blackout_min_hours: int = 6  # ... at least this long
    blackout_min_accounts: int = 2  # ... with at least this many accounts expected to post


@dataclass(frozen=True)
class BusinessClockSettings:
    """The business clock (analysis/business_clock.py)."""

    holidays_file: str | None = None  # CSV country,date,name of days off


@dataclass(frozen=True)
class TaggingSettings:
    """What the user asked the tagger for; None means "as last time in this store,
    else the default" (analysis/tagging.py keeps them in the store's meta table).

    languages: codes py3langid may choose from when a post has no ``lang``.
    lexicons: language -> VADER-format lexicon file, to score that language.
    taxonomy: taxonomy file for the default model.
    model: path of a model saved by ``govwatch train``, or "default".
    workers: processes that tag large batches (default: the machine's cores).
    """

    languages: tuple[str, ...] | None = None
    lexicons: Mapping[str, str] | None = None
    taxonomy: str | None = None
    model: str | None = None
    workers: int | None = None


@dataclass(frozen=True)
class ExecutionSettings:
    """Where and in what pieces the work runs (analysis/engine.py, analysis/slices.py).
    None of these changes a result."""

    engine: str = "local"  # local (this machine's processes) or dask (a Dask cluster)
    scheduler: str | None = None  # dask: scheduler address; None starts a LocalCluster
    dask_workers: int | None = None  # dask, no scheduler: LocalCluster worker processes
    posts_parquet: str | None = None  # dask: posts dataset to read (else one is written)
    work_dir: str | None = None  # dask: where that dataset is written (shared with workers)
    workers: int | None = None  # local: processes for the metric chunks (default: the cores)
    chunk_rows: int = 1_000_000  # messages per chunk of whole accounts


@dataclass(frozen=True)
class AnalysisSettings:
    """Every setting that changes a figure (and where the work runs), one default each."""

    observed_until: datetime | None = None  # observation end; None: the latest post
    window_hours: float = float(DEFAULT_WINDOW_HOURS)  # response-rate window
    min_n: int = DEFAULT_MIN_N  # below this many messages a figure reads "too few"
    # posts answered though they addressed no official count as inbound messages
    include_unaddressed: bool = False
    selectivity: SelectivitySettings = field(default_factory=SelectivitySettings)
    benchmarks: BenchmarkSettings = field(default_factory=BenchmarkSettings)
    bursts: BurstSettings = field(default_factory=BurstSettings)
    change: ChangeSettings = field(default_factory=ChangeSettings)
    silences: SilenceSettings = field(default_factory=SilenceSettings)
    business_clock: BusinessClockSettings = field(default_factory=BusinessClockSettings)
    tagging: TaggingSettings = field(default_factory=TaggingSettings)
    execution: ExecutionSettings = field(default_factory=ExecutionSettings)


# --- to and from the recorded shape --------------------------------------------------


def to_dict(settings: Any) -> dict:
    """The settings as plain JSON values (times ISO 8601, tuples as lists)."""

    def plain(value):
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        return value

    return plain(settings)


def to_json(settings: Any) -> str:
    return json.dumps(to_dict(settings), sort_keys=True)


# Runs recorded before the settings had sections (govwatch 0.1.0) named them flat.
_FLAT_0_1 = {
    "bootstrap_samples": "selectivity", "seed": "selectivity",
    "benchmark_min_peers": "benchmarks", "index_weights": "benchmarks",
    "holidays_file": "business_clock", "engine": "execution", "scheduler": "execution",
    "dask_workers": "execution", "posts_parquet": "execution", "work_dir": "execution",
}


def _upgrade(data: Mapping) -> Mapping:
    """A record of the flat 0.1.0 shape in today's sections (values None: the default)."""
    if not any(k in _FLAT_0_1 for k in data) or any(
            isinstance(v, Mapping) for k, v in data.items() if k != "index_weights"):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None and key in (*_FLAT_0_1, "tagging"):
            continue
        section = _FLAT_0_1.get(key)
        if section is None:
            out[key] = value
        else:
            name = "min_peers" if key == "benchmark_min_peers" else key
            out.setdefault(section, {})[name] = value
    return out


def from_dict(data: Mapping, cls: type = AnalysisSettings, where: str = "settings") -> Any:
    """Build ``cls`` from a dict of the recorded shape. Keys left out keep their
    default; an unknown key or a value of the wrong type is a UsageError naming
    its path (``where``.section.key)."""
    if not isinstance(data, Mapping):
        raise UsageError(f"{where}: expected a table of settings, got {type(data).__name__}")
    if cls is AnalysisSettings:
        data = _upgrade(data)
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(f"{where}: unknown setting(s) {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(known))}")
    values = {k: _convert(v, hints[k], f"{where}.{k}") for k, v in data.items()}
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{where}: {exc}") from None


def _convert(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(value, inner, where)
    if dataclasses.is_dataclass(hint):
        return from_dict(value, typing.cast(type, hint), where)
    if hint is datetime:
        if isinstance(value, datetime):
            ts = value
        else:
            try:
                ts = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                raise UsageError(f"{where}: {value!r} is not an ISO 8601 time") from None
        if ts.tzinfo is None:
            raise UsageError(f"{where}: {value!r} has no UTC offset (add Z or +HH:MM)")
        return ts
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise UsageError(f"{where}: expected a list, got {value!r}")
        return tuple(_convert(v, args[0], where) for v in value)
    if origin in (Mapping, dict) or hint in (Mapping, dict):
        if not isinstance(value, Mapping):
            raise UsageError(f"{where}: expected a table, got {value!r}")
        inner = args[1] if len(args) == 2 else Any
        return {str(k): _convert(v, inner, f"{where}.{k}") for k, v in value.items()}
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UsageError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not (isinstance(value, int) or (
                isinstance(value, float) and value.is_integer())):
            raise UsageError(f"{where}: expected a whole number, got {value!r}")
        return int(value)
    if hint is str:
        if not isinstance(value, str):
            raise UsageError(f"{where}: expected text, got {value!r}")
        return value
    return value


def load(path: str | Path) -> AnalysisSettings:
    """Settings from a TOML or JSON file of the recorded shape, or from an export
    manifest (its ``analysis.settings``)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise UsageError(f"{p}: cannot read the settings file ({exc.strerror})") from None
    try:
        if p.suffix.lower() == ".toml":
            import tomllib  # only for a TOML settings file: not at start-up

            data = tomllib.loads(raw.decode("utf-8"))
        else:
            data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        kind = "TOML" if p.suffix.lower() == ".toml" else "JSON"
        raise UsageError(f"{p}: not valid {kind}: {exc}") from None
    if isinstance(data, Mapping) and "tool_version" in data and "analysis" in data:
        analysis = data.get("analysis") or {}
        if not isinstance(analysis, Mapping) or "settings" not in analysis:
            raise UsageError(f"{p}: this manifest records no analysis run (an export of "
                             "posts made before any analyze): nothing to replay")
        return from_dict(analysis["settings"], where=f"{p}: analysis.settings")
    return from_dict(data, where=str(p))


def replace(settings: AnalysisSettings, changes: Mapping[str, Any]) -> AnalysisSettings:
    """``settings`` with dotted keys changed, e.g. {"selectivity.seed": 7}."""
    nested: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for key, value in changes.items():
        section, dot, name = key.partition(".")
        if dot:
            nested.setdefault(section, {})[name] = value
        else:
            top[key] = value
    for section, values in nested.items():
        top[section] = dataclasses.replace(getattr(settings, section), **values)
    return dataclasses.replace(settings, **top)


def build(base: AnalysisSettings | None = None, **changes: Any) -> AnalysisSettings:
    """``base`` (default: the defaults) with keyword changes, for notebooks and
    tests: ``build(min_n=3, seed=7, benchmarks__min_peers=2)``. A key is a top-level
    setting, ``section__name``, or a name found in one section only."""
    base = base or AnalysisSettings()
    sections = {f.name: f.type for f in dataclasses.fields(AnalysisSettings)
                if dataclasses.is_dataclass(getattr(base, f.name))}
    top = {f.name for f in dataclasses.fields(AnalysisSettings)}
    dotted: dict[str, Any] = {}
    for key, value in changes.items():
        if "__" in key:
            section, _, name = key.partition("__")
            dotted[f"{section}.{name}"] = value
            continue
        if key in top:
            dotted[key] = value
            continue
        owners = [s for s in sections
                  if key in {f.name for f in dataclasses.fields(getattr(base, s))}]
        if len(owners) != 1:
            why = "unknown" if not owners else f"in several sections ({', '.join(owners)})"
            raise UsageError(f"setting {key!r} is {why}; write section__name, "
                             f"e.g. {(owners or ['selectivity'])[0]}__{key}")
        dotted[f"{owners[0]}.{key}"] = value
    try:
        return replace(base, dotted)
    except (TypeError, AttributeError) as exc:
        raise UsageError(f"settings: {exc}") from None
