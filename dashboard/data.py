"""The dashboard's only way into the store: read-only, whitelisted, derived tables.

``DashboardData(path)`` opens a govwatch store read-only (lazily, once per
process, so gunicorn workers each get their own DuckDB connection) and answers
the questions the pages ask. It reads what ``govwatch analyze`` wrote
(``account_metrics``, ``km_curves`` and the optional derived tables such as
``slice_metrics`` or ``benchmarks``) and never recomputes a metric. The few
reads of ``posts`` are for showing example messages and counting what officials
post about, never for a latency or a rate.

Every value that comes from a URL is checked here against the values present in
the store (``validate_filters``, ``account``): SQL is built only from fixed
fragments, and values travel as bound parameters. A derived table that this
store does not have yet comes back as :class:`Missing`, which the pages show as a
panel saying what is absent and how to get it.

Citizen authors are pseudonymised exactly as in the exports (govwatch.pseudonym:
keyed HMAC with the store's ``pseudonym_key``) and e-mail addresses, phone numbers and citizens' @handles are redacted from
message texts before they leave this module. Officials are never pseudonymised.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd

from govwatch.config import DEFAULT_MIN_N, DEFAULT_WINDOW_HOURS
from govwatch.pseudonym import KEY_META, pseudonym, redact_handles
from govwatch.schema import PRIVATE_CHANNEL, is_private_sql
from govwatch.store import Store

from .composite import DEFAULT_MIN_SHARE, parse_weights

MAX_PARAM_CHARS = 200
MAX_PARAM_VALUES = 50
POPULATIONS = ("needs_response", "all")
POPULATION_LABELS = {
    "needs_response": "Messages that need a response",
    "all": "All inbound messages",
}
CURVE_LABELS = {**POPULATION_LABELS, "critical": "Critical reports",
                "routine": "Routine messages"}
ALL_PERIODS = "all"
PERIOD_KINDS = ("quarter", "month")  # offered by the period filter, besides the whole range

# Per-account tables the pages show in their own way; any other one the metric registry
# declares appears on the Account and Compare pages (other_account_tables). What a
# derived table holds, for the panel shown where a store lacks it, comes from its
# metric's declaration (govwatch.analysis.registry.table_description).
SHOWN_ACCOUNT_TABLES = {"selectivity", "response_quality", "benchmark_index", "account_clocks"}
# Set (to 1) by 'govwatch dashboard --include-dms': show the direct_message channel's
# aggregate figures, which are private to the account and hidden otherwise.
INCLUDE_DMS_ENV = "GOVWATCH_DASH_INCLUDE_DMS"


# the Wilson 95% interval of each slice's rate, read with an account's slices
_CI = ("_rate_ci_low", "_rate_ci_high")
# the hours of a message's clock inside outage windows (analysis/outages.py)
_OUTAGE_JOIN = ("LEFT JOIN outage_latencies o ON o.platform = r.platform "
                "AND o.message_id = r.message_id AND o.official_author = r.official_author")


@dataclass(frozen=True)
class Missing:
    """A derived table (or column) this store does not have."""

    table: str
    what: str

    @property
    def message(self) -> str:
        return (
            f"Not available: this store has no '{self.table}' table ({self.what}). "
            "It is written by 'govwatch analyze' in a version that computes it; "
            "re-run the analysis to add it."
        )


@dataclass(frozen=True)
class Options:
    """Values present in the store: the whitelist for every URL parameter."""

    countries: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    institutions: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    populations: tuple[str, ...] = ()
    periods: tuple[str, ...] = (ALL_PERIODS,)
    institution_types: tuple[str, ...] = ()

    @property
    def default_population(self) -> str:
        for p in POPULATIONS:
            if p in self.populations:
                return p
        return POPULATIONS[0]


@dataclass(frozen=True)
class Filters:
    """Overview filters; every field maps to one URL query parameter."""

    country: tuple[str, ...] = ()
    level: tuple[str, ...] = ()
    institution: tuple[str, ...] = ()
    platform: tuple[str, ...] = ()
    period: str = ALL_PERIODS
    population: str = "needs_response"
    institution_type: tuple[str, ...] = ()

    MULTI = ("country", "level", "institution", "platform", "institution_type")

    def query(self, defaults: Filters | None = None) -> dict[str, list[str] | str]:
        """Query parameters for this state, leaving out what equals ``defaults``."""
        defaults = defaults or Filters()
        out: dict[str, list[str] | str] = {}
        for name in self.MULTI:
            if getattr(self, name):
                out[name] = list(getattr(self, name))
        for name in ("period", "population"):
            if getattr(self, name) != getattr(defaults, name):
                out[name] = getattr(self, name)
        return out


def to_search(params: Mapping[str, object]) -> str:
    """``?a=1&b=2&b=3`` from a mapping of str or list values (empty ones left out)."""
    clean = {k: v for k, v in params.items() if v not in (None, "", [], ())}
    return "?" + urlencode(clean, doseq=True) if clean else ""


def query_values(query: Mapping[str, object], name: str) -> tuple[list[str], list[str]]:
    """The values of URL parameter ``name`` (str or list) and notes on what was dropped."""
    raw = query.get(name)
    if raw is None:
        return [], []
    values = raw if isinstance(raw, list | tuple) else [raw]
    notes: list[str] = []
    out: list[str] = []
    for v in values:
        if not isinstance(v, str) or not v.strip():
            continue
        if len(v) > MAX_PARAM_CHARS:
            notes.append(f"Ignored an over-long value of '{_short(name)}'.")
            continue
        if v.strip() not in out:
            out.append(v.strip())
    if len(out) > MAX_PARAM_VALUES:
        notes.append(f"Kept the first {MAX_PARAM_VALUES} values of '{_short(name)}'.")
        out = out[:MAX_PARAM_VALUES]
    return out, notes


def query_choice(query: Mapping[str, object], name: str, allowed: Sequence[str],
                 default: str) -> tuple[str, list[str]]:
    """A single-valued parameter that must be one of ``allowed``."""
    values, notes = query_values(query, name)
    if not values:
        return default, notes
    if values[0] in allowed:
        return values[0], notes
    return default, notes + [f"Ignored unknown {_short(name)} '{_short(values[0])}'."]


def validate_filters(query: Mapping[str, object], options: Options) -> tuple[Filters, list[str]]:
    """Filters from URL parameters: unknown values are dropped, each with a note."""
    notes: list[str] = []
    allowed = {
        "country": options.countries,
        "level": options.levels,
        "institution": options.institutions,
        "platform": options.platforms,
        "institution_type": options.institution_types,
    }
    chosen: dict[str, tuple[str, ...]] = {}
    for name, values_ok in allowed.items():
        values, more = query_values(query, name)
        notes += more
        good = [v for v in values if v in values_ok]
        for bad in [v for v in values if v not in values_ok][:3]:
            notes.append(f"Ignored unknown {name} '{_short(bad)}'.")
        chosen[name] = tuple(good)
    period, more = query_choice(query, "period", options.periods, ALL_PERIODS)
    notes += more
    population, more = query_choice(
        query, "population", POPULATIONS, options.default_population)
    notes += more
    if population not in options.populations and options.populations:
        notes.append(
            f"{POPULATION_LABELS[population]}: not in this store (the needs-a-response "
            "classifier has not tagged it); showing all inbound messages."
        )
        population = options.default_population
    return Filters(period=period, population=population, **chosen), notes


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------- personal data
# Columns holding a citizen's post id: any platform resolves one to its author, so
# they never leave this module (the exports keep them, pseudonymised or not).
CITIZEN_POST_IDS = frozenset({"first_public_post_id"})


def pseudonymise(author: str, key: str, platform: str) -> str:
    """A citizen's pseudonym, the same as in govwatch's exports (govwatch.pseudonym:
    keyed HMAC-SHA256 of platform and lower-cased handle)."""
    return pseudonym(key, platform, author)


# (not inside a Mastodon mention, @user@instance: redact_handles takes those)
_EMAIL = re.compile(r"(?<![\w.+@-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d ().-]{7,}\d(?!\w)")


def redact(text: str | None, officials: frozenset[str], pseudonym,
           platform: str | None = None) -> str:
    """Remove personal data from a message: e-mails, phone numbers (9+ digits) and
    the @handles of citizens, found by ``platform``'s handle grammar and replaced
    by their pseudonym (govwatch.pseudonym.redact_handles); officials' handles stay."""
    if not text:
        return ""
    text = _EMAIL.sub("[email]", text)

    def phone(m: re.Match) -> str:
        digits = sum(c.isdigit() for c in m.group(0))
        return "[phone]" if digits >= 9 else m.group(0)

    text = _PHONE.sub(phone, text)
    return redact_handles(text, platform, officials, pseudonym)


# --------------------------------------------------------------- the reader
@dataclass
class _Conn:
    pid: int
    store: Store
    local: threading.local = field(default_factory=threading.local)


def _empty_until_analysed(cur) -> None:
    """In a store never analysed, every derived table the metric registry declares
    reads as empty: a temporary view with the declared columns and no rows, on this
    connection only (the store stays read-only). ``govwatch analyze`` creates the real
    tables; until then the pages show an analysis of nothing and the footer says
    "not analysed yet". An analysed store that lacks a table (a metric added since)
    gets no view: the pages show it as :class:`Missing`."""
    if cur.execute("SELECT count(*) FROM analysis_runs").fetchall()[0][0]:
        return
    from govwatch.analysis.registry import declared_tables

    have = {r[0] for r in cur.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}
    for table, columns in declared_tables().items():
        if table not in have:
            cols = ", ".join(f'NULL::{t} AS "{c}"' for c, t in columns.items())
            cur.execute(f'CREATE TEMP VIEW "{table}" AS SELECT {cols} WHERE false')


class DashboardData:
    """Read-only queries over one store. Safe to share between threads; each
    process opens its own connection on first use."""

    def __init__(self, path: str | os.PathLike, min_n: int = DEFAULT_MIN_N,
                 include_dms: bool | None = None):
        self.path = Path(path)
        self.min_n = min_n
        self.include_dms = (os.environ.get(INCLUDE_DMS_ENV) == "1" if include_dms is None
                            else include_dms)
        self._lock = threading.Lock()
        self._conn: _Conn | None = None
        self._cache: dict[tuple, object] = {}
        self._recent: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
        self._recent_lock = threading.Lock()

    # -- connection ------------------------------------------------------
    def _cursor(self):
        with self._lock:
            if self._conn is None or self._conn.pid != os.getpid():
                self._conn = _Conn(os.getpid(), Store(self.path, read_only=True))
                self._cache.clear()
                self._recent.clear()
            conn = self._conn
        cur = getattr(conn.local, "cursor", None)
        if cur is None:
            with self._lock:
                cur = conn.store.conn.cursor()
                cur.execute("SET TimeZone = 'UTC'")
                _empty_until_analysed(cur)
            conn.local.cursor = cur
        return cur

    def open(self) -> DashboardData:
        """Open now (raises StoreError if the store is missing or outdated)."""
        self._cursor()
        return self

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._conn.pid == os.getpid():
                self._conn.store.close()
            self._conn = None
            self._cache.clear()
            self._recent.clear()

    def df(self, sql: str, params: Sequence | Mapping | None = None) -> pd.DataFrame:
        return self._cursor().execute(sql, params or []).df()

    def memo(self, key: tuple, make):
        """``make()`` once per ``key`` for the life of the connection (the store is
        read-only while served); pages use it for views built from cached reads."""
        return self._cached(("memo", *key), make)

    def _cached(self, key: tuple, make):
        if key not in self._cache:
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[key] = make()
        return self._cache[key]

    RECENT = 64

    def _recently(self, key: tuple, make) -> pd.DataFrame:
        """``make()`` (a frame of one account's rows) kept for the last :attr:`RECENT`
        reads: an account page asks several questions of the same rows (its metrics,
        every slice and the weekly series, its curves) and reads each table once. A
        copy is returned, so a caller may change it."""
        with self._recent_lock:
            hit = self._recent.get(key)
            if hit is not None:
                self._recent.move_to_end(key)
        if hit is None:
            hit = make()
            with self._recent_lock:
                self._recent[key] = hit
                while len(self._recent) > self.RECENT:
                    self._recent.popitem(last=False)
        return hit.copy()

    # -- schema ----------------------------------------------------------
    def columns(self, table: str) -> tuple[str, ...]:
        """Columns of ``table`` in this store (empty when the table is absent)."""
        def make():
            rows = self._cursor().execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [table]).fetchall()
            return tuple(r[0] for r in rows)
        return self._cached(("columns", table), make)

    def has(self, table: str, *cols: str) -> bool:
        have = self.columns(table)
        return bool(have) and all(c in have for c in cols)

    def missing(self, table: str) -> Missing:
        """What a page shows where this store lacks a derived table: the table and what it
        holds, as its metric declares (the metric registry)."""
        from govwatch.analysis.registry import table_description

        return Missing(table, table_description(table) or table)

    def meta(self, key: str) -> str | None:
        row = self._cursor().execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def window_hours(self) -> float:
        """The response window W the analysis used (account_metrics.window_hours)."""
        def make():
            if not self.has("account_metrics", "window_hours"):
                return float(DEFAULT_WINDOW_HOURS)
            v = self.df("SELECT max(window_hours) AS w FROM account_metrics")["w"].iloc[0]
            return float(DEFAULT_WINDOW_HOURS) if pd.isna(v) else float(v)
        return self._cached(("window",), make)

    def run_info(self) -> dict:
        """The latest analysis run: observation end, definition and tool versions."""
        def make():
            df = self.df("SELECT * FROM analysis_runs ORDER BY run_id DESC LIMIT 1")
            return {} if df.empty else df.iloc[0].to_dict()
        return self._cached(("run",), make)

    # -- whitelists -----------------------------------------------------------
    def options(self) -> Options:
        return self._cached(("options",), self._options)

    def _options(self) -> Options:
        acc = self.df(
            "SELECT DISTINCT country, level, institution, platform, institution_type "
            "FROM accounts WHERE official")

        def values(col: str) -> tuple[str, ...]:
            return tuple(sorted(v for v in acc[col].dropna().unique() if str(v)))

        pops = tuple(
            p for p in POPULATIONS
            if p in set(self.df("SELECT DISTINCT population FROM account_metrics")["population"])
        )
        periods: tuple[str, ...] = (ALL_PERIODS,)
        if self.has("slice_metrics", "period", "period_kind", "period_start"):
            found = self.df(
                "SELECT DISTINCT period, period_kind, period_start FROM slice_metrics "
                "WHERE slice_kind = 'all' AND list_contains(?, period_kind) "
                "ORDER BY period_kind DESC, period_start", [list(PERIOD_KINDS)])
            periods += tuple(str(p) for p in found["period"])
        return Options(values("country"), values("level"), values("institution"),
                       values("platform"), pops, periods, values("institution_type"))

    def officials(self) -> pd.DataFrame:
        """Every official account (platform, author, display_name, institution, ...)."""
        return self._cached(("officials",), lambda: self.df(
            "SELECT platform, author, coalesce(display_name, author) AS display_name, "
            "institution, country, level, timezone, institution_type FROM accounts WHERE official "
            "ORDER BY institution, platform, author"))

    def official_handles(self, platform: str) -> frozenset[str]:
        o = self.officials()
        return frozenset(o.loc[o["platform"] == platform, "author"].str.lower())

    def account(self, platform: object, author: object) -> dict | None:
        """The official account named by URL values, or None if there is none."""
        if not isinstance(platform, str) or not isinstance(author, str):
            return None
        if len(platform) > MAX_PARAM_CHARS or len(author) > MAX_PARAM_CHARS:
            return None
        o = self.officials()
        hit = o[(o["platform"] == platform) & (o["author"] == author)]
        if hit.empty:  # handles are case-insensitive
            hit = o[(o["platform"] == platform) & (o["author"].str.lower() == author.lower())]
        return None if hit.empty else hit.iloc[0].to_dict()

    # -- leaderboard -----------------------------------------------------
    def leaderboard(self, filters: Filters) -> pd.DataFrame:
        """One row per official account matching ``filters``, with its metrics.

        The whole observation comes from ``account_metrics``; a period from the
        (period, slice 'all') rows of ``slice_metrics``. ``too_few`` and
        ``median_too_few`` follow the analysis's own minimum-n statuses where the
        store has them, else fewer than ``min_n`` messages.
        """
        return self._cached(("leaderboard", filters), lambda: self._leaderboard(filters))

    def _leaderboard(self, f: Filters) -> pd.DataFrame:
        where = ["a.official"]
        params: dict[str, str | list[str]] = {"population": f.population}
        for name in Filters.MULTI:
            values = getattr(f, name)
            if values:
                where.append(f"list_contains(${name}, a.{name})")
                params[name] = list(values)
        if f.period != ALL_PERIODS and self.has("slice_metrics", "period", "slice_kind"):
            source, cols, rate = (
                "(SELECT * FROM slice_metrics WHERE slice_kind = 'all' AND period = $period)",
                self.columns("slice_metrics"), "answered_rate_window")
            params["period"] = f.period
        else:
            source, cols, rate = "account_metrics", self.columns("account_metrics"), \
                "answered_rate_7d"
        status = [f"m.{c}" if c in cols else f"NULL::VARCHAR AS {c}"
                  for c in ("rate_status", "median_status")]
        status.append("m.day_precision_messages" if "day_precision_messages" in cols
                      else "NULL::BIGINT AS day_precision_messages")
        board = self.df(f"""
            SELECT a.platform, a.author, coalesce(a.display_name, a.author) AS display_name,
                   a.institution, a.country, a.level, a.institution_type,
                   m.messages, m.answered, m.{rate} AS answered_rate_7d, m.km_median_hours,
                   m.km_median_ci_low, m.km_median_ci_high, m.km_median_reached,
                   m.max_followup_hours, m.naive_median_hours, {', '.join(status)}
            FROM accounts a
            LEFT JOIN {source} m ON m.platform = a.platform AND m.official_author = a.author
                 AND m.population = $population
            WHERE {' AND '.join(where)}
            ORDER BY a.institution, a.platform, a.author
        """, params)
        board["messages"] = board["messages"].fillna(0).astype("int64")
        few = board["messages"] < self.min_n
        board["too_few"] = _status_few(board["rate_status"], few)
        board["median_too_few"] = _status_few(board["median_status"], few)
        # The selectivity gap and the composite index cover the whole observation:
        # never shown beside one period's rates.
        whole = f.period == ALL_PERIODS
        sel = self.selectivity_all(f.population) if whole else self.missing("selectivity")
        board = self._join(board, sel, ("selectivity_gap", "gap_ci_low", "gap_ci_high",
                                        "gap_too_few"))
        comp = self.composite_all(f.population) if whole else self.missing("benchmark_index")
        return self._join(board, comp, ("composite_index", "composite_ci_low",
                                        "composite_ci_high", "peer_group", "peers",
                                        "rank_best", "rank_worst", "index_reason"))

    @staticmethod
    def _join(board: pd.DataFrame, extra: pd.DataFrame | Missing,
              columns: Sequence[str]) -> pd.DataFrame:
        if isinstance(extra, Missing) or extra.empty:
            return board.assign(**{c: pd.NA for c in columns})
        return board.merge(extra[["platform", "author", *columns]], on=["platform", "author"],
                           how="left")

    # -- optional derived tables ----------------------------------------------
    def selectivity_all(self, population: str) -> pd.DataFrame | Missing:
        """Selectivity gap with its CI per account (analysis/selectivity.py)."""
        if not self.has("selectivity", "selectivity_gap", "gap_status", "population"):
            return self.missing("selectivity")
        return self._cached(("selectivity", population), lambda: self.df(
            "SELECT platform, official_author AS author, selectivity_gap, gap_ci_low, "
            "gap_ci_high, gap_status = 'too few' AS gap_too_few, critic_gap, critic_ci_low, "
            "critic_ci_high, critic_status FROM selectivity WHERE population = ?",
            [population]))

    def composite_all(self, population: str) -> pd.DataFrame | Missing:
        """Composite index per account (``benchmark_index``, analysis/benchmarks.py)."""
        if not self.has("benchmark_index", "composite_index", "population"):
            return self.missing("benchmarks")
        return self._cached(("composite", population), lambda: self.df(
            "SELECT platform, official_author AS author, composite_index, status AS "
            "index_status, weights, composite_ci_low, composite_ci_high, peer_group, peers, "
            "rank_best, rank_worst, reason AS index_reason FROM benchmark_index "
            "WHERE population = ?", [population]))

    def index_ranks(self, population: str) -> pd.DataFrame | Missing:
        """Every account's stored percentile rank per metric (platform, author,
        metric, percentile, status), the input of a re-weighted composite index."""
        if not self.has("benchmarks", "percentile_rank", "metric", "population"):
            return self.missing("benchmarks")
        return self._cached(("index_ranks", population), lambda: self.df(
            "SELECT platform, official_author AS author, metric, percentile_rank AS "
            "percentile, status FROM benchmarks WHERE population = ? "
            "ORDER BY platform, official_author, metric", [population]))

    def index_weights(self) -> dict[str, float]:
        """The weights the analysis gave the composite index (metric -> weight), in
        the order of the metrics; {} when this store has no benchmarks."""
        def make() -> dict[str, float]:
            if self.has("benchmark_index", "weights"):
                row = self._cursor().execute(
                    "SELECT weights FROM benchmark_index WHERE weights IS NOT NULL "
                    "LIMIT 1").fetchall()
                if row:
                    stored = parse_weights(row[0][0])
                    if stored:
                        return stored
            if self.has("benchmarks", "metric", "weight"):
                w = self.df("SELECT metric, max(weight) AS weight FROM benchmarks "
                            "GROUP BY metric ORDER BY metric")
                return {m: float(v) for m, v in zip(w["metric"], w["weight"], strict=True)
                        if pd.notna(v) and v >= 0}
            return {}
        return self._cached(("index_weights",), make)

    def index_min_share(self) -> float:
        """The share of the total weight an index needs (the run's
        ``benchmarks.index_min_weight_share`` setting, else the documented default)."""
        settings = self.run_info().get("settings")
        try:
            recorded = json.loads(settings or "")
            # benchmarks.index_min_weight_share; flat in runs recorded before sections
            value = float((recorded.get("benchmarks") or recorded).get("index_min_weight_share"))
        except (TypeError, ValueError, AttributeError):
            return DEFAULT_MIN_SHARE
        return value if 0 <= value <= 1 else DEFAULT_MIN_SHARE

    def clocks(self) -> pd.DataFrame | Missing:
        """Each official account's business clock (``account_clocks``): time zone,
        office hours, clock_status ('ok' or why there is none), weekly office hours."""
        if not self.has("account_clocks", "clock_status", "official_author"):
            return self.missing("account_clocks")
        return self._cached(("clocks",), lambda: self.df(
            "SELECT platform, official_author AS author, timezone, office_hours, "
            "clock_status, weekly_office_hours, business_window_hours FROM account_clocks"))

    def clock(self, platform: str, author: str) -> dict | Missing:
        """One account's business clock ({} when the table has no row for it)."""
        c = self.clocks()
        if isinstance(c, Missing):
            return c
        hit = c[(c["platform"] == platform) & (c["author"] == author)]
        return {} if hit.empty else hit.iloc[0].to_dict()

    def peer_ranks(self, platform: str, author: str, population: str) -> pd.DataFrame | Missing:
        """Percentile rank among peers per metric, with value, status and weight."""
        if not self.has("benchmarks", "percentile_rank", "metric", "population"):
            return self.missing("benchmarks")
        return self.df(
            "SELECT metric, value, better, status, peers, percentile_rank AS percentile, "
            "rank_ci_low, rank_ci_high, peer_group, weight FROM benchmarks "
            "WHERE platform = ? AND official_author = ? AND "
            "population = ? ORDER BY metric", [platform, author, population])

    def _account_slices(self, platform: str, author: str, population: str) -> pd.DataFrame:
        """The ``slice_metrics`` rows of one account and population that its page shows
        (every slice over the whole observation, the weekly and monthly series), read once, with the Wilson 95% interval of each rate as
        ``export --what series`` gives it (columns :data:`_CI`)."""
        from govwatch.analysis.change import wilson_sql

        low, high = (wilson_sql("answered_window", "observed_window", b) for b in ("low", "high"))
        return self._recently(("slice_metrics", platform, author, population), lambda: self.df(
            f"SELECT *, {low} AS {_CI[0]}, {high} AS {_CI[1]} FROM slice_metrics "
            "WHERE platform = ? AND official_author = ? AND population = ? AND (period_kind "
            "= 'all' OR (slice_kind = 'all' AND period_kind IN ('week', 'month')))",
            [platform, author, population]))

    def slices(self, platform: str, author: str, kind: str,
               population: str) -> pd.DataFrame | Missing:
        """Whole-observation ``slice_metrics`` rows of one account for one slice kind;
        a message without the tag is in slice value 'not tagged'."""
        if not self.has("slice_metrics", "slice_kind", "slice_value", "period_kind",
                        "answered_window", "observed_window"):
            return self.missing("slice_metrics")
        rows = self._account_slices(platform, author, population)
        rows = rows[(rows["slice_kind"] == kind) & (rows["period_kind"] == "all")]
        rows = rows.sort_values("slice_value", na_position="last", kind="stable")
        return rows.drop(columns=list(_CI)).assign(
            slice_label=rows["slice_value"].fillna("not tagged")
        ).reset_index(drop=True)

    def series(self, platform: str, author: str, population: str,
               period_kind: str) -> pd.DataFrame | Missing:
        """Weekly or monthly (slice 'all') ``slice_metrics`` rows of one account, oldest
        first, with the Wilson 95% interval of each rate: the rows and columns of
        ``export --what series`` (analysis.change.series_sql)."""
        if not self.has("slice_metrics", "period_kind", "period_start", "observed_window",
                        "answered_window"):
            return self.missing("slice_metrics")
        rows = self._account_slices(platform, author, population)
        rows = rows[(rows["period_kind"] == period_kind) & (rows["slice_kind"] == "all")
                    & rows["period_kind"].isin(["week", "month"])]
        rows = rows.sort_values("period_start", kind="stable").assign(
            slice_value="all", rate_ci_low=rows[_CI[0]], rate_ci_high=rows[_CI[1]])
        return rows[list(self._series_columns())].reset_index(drop=True)

    def _series_columns(self) -> tuple[str, ...]:
        """The columns of ``export --what series``, in its order."""
        from govwatch.analysis.change import series_sql

        return self._cached(("series_columns",), lambda: tuple(
            self.df(f"SELECT * FROM ({series_sql()}) LIMIT 0").columns))

    def before_after(self, platform: str, author: str, population: str) -> pd.DataFrame:
        """The account's ``before_after`` rows (empty when no change date was analysed)."""
        if not self.has("before_after", "change_at"):
            return pd.DataFrame()
        return self._recently(("before_after", platform, author, population), lambda: self.df(
            "SELECT * FROM before_after WHERE platform = ? AND official_author = ? "
            "AND population = ? ORDER BY change_at", [platform, author, population]))

    def critical_rates(self, population: str,
                       period: str = ALL_PERIODS) -> pd.DataFrame | None:
        """Rate on critical messages per account (platform, author, rate, n, status)
        over the whole observation or one ``period`` (as the leaderboard's); None when
        this store has no critical slice."""
        if not self.has("slice_metrics", "slice_kind", "answered_rate_window", "rate_status"):
            return None
        when, params = ("period_kind = 'all'", [population]) if period == ALL_PERIODS else \
            ("period = ?", [population, period])
        return self._cached(("critical_rates", population, period), lambda: self.df(
            "SELECT platform, official_author AS author, answered_rate_window AS rate, "
            "observed_window AS n, rate_status AS status FROM slice_metrics "
            "WHERE slice_kind = 'critical' AND slice_value = 'critical' AND population = ? "
            f"AND {when}", params))

    def activity(self, platform: str, author: str) -> dict | Missing:
        """The account's ``account_activity`` row (posts per week, dialogue share, ...)."""
        if not self.has("account_activity", "posts_per_week"):
            return self.missing("account_activity")
        df = self.df("SELECT * FROM account_activity WHERE platform = ? AND official_author = ?",
                     [platform, author])
        return {} if df.empty else df.iloc[0].to_dict()

    def event_summary(self) -> pd.DataFrame | Missing:
        if not self.has("event_summary", "event_id"):
            return self.missing("event_summary")
        return self._cached(("event_summary",), lambda: self.df(
            "SELECT * FROM event_summary ORDER BY onset, event_id"))

    def table(self, name: str, **equal: str) -> pd.DataFrame | Missing:
        """All rows of optional table ``name`` where each given column equals its value."""
        cols = self.columns(name)
        if not cols:
            return self.missing(name)
        conds, params = [], []
        for col, value in equal.items():
            if col not in cols:
                return Missing(name, f"a version with a '{col}' column")
            conds.append(f'"{col}" = ?')
            params.append(value)
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        keep = [c for c in cols if c not in CITIZEN_POST_IDS]
        select = ", ".join(f'"{c}"' for c in keep)
        return self.df(f'SELECT {select} FROM "{name}"{where}', params)

    # -- survival curves -----------------------------------------------------
    def km_curves(self, accounts: Sequence[tuple[str, str]],
                  populations: Sequence[str]) -> pd.DataFrame:
        """KM curves for the given (platform, author) pairs and populations."""
        if not accounts or not populations:
            return pd.DataFrame(columns=["platform", "official_author", "population", "hours",
                                         "survival", "ci_low", "ci_high"])
        if len(accounts) == 1:  # one account: from its curves, read once
            curves = self._account_curves(*accounts[0])
            return curves[curves["population"].isin(list(populations))].reset_index(drop=True)
        pairs = [f"{p}\x1f{a}" for p, a in accounts]
        return self.df(
            "SELECT * FROM km_curves WHERE list_contains(?, platform || chr(31) || "
            "official_author) AND list_contains(?, population) "
            "ORDER BY platform, official_author, population, hours",
            [pairs, list(populations)])

    def _account_curves(self, platform: str, author: str) -> pd.DataFrame:
        """Every KM curve of one account (all populations), in km_curves' order."""
        return self._recently(("km_curves", platform, author), lambda: self.df(
            "SELECT * FROM km_curves WHERE platform = ? AND official_author = ? "
            "ORDER BY population, hours", [platform, author]))

    def km_populations(self, platform: str, author: str) -> tuple[str, ...]:
        return tuple(sorted(self._account_curves(platform, author)["population"].unique()))

    def latency_split(self, platform: str, author: str) -> list[str]:
        """Which curves to compare for one account: critical vs routine when the
        analysis wrote them, else messages needing a response vs all."""
        pops = self.km_populations(platform, author)
        split: list[str] = [p for p in ("critical", "routine") if p in pops]
        return split if len(split) == 2 else [p for p in POPULATIONS if p in pops]

    def followup(self, platform: str, author: str) -> dict[str, float]:
        """Longest observed time (hours) per population of one account."""
        m = self.account_metrics(platform, author)
        return dict(zip(m["population"], m["max_followup_hours"], strict=True))

    def account_metrics(self, platform: str, author: str) -> pd.DataFrame:
        return self._recently(("account_metrics", platform, author), lambda: self.df(
            "SELECT * FROM account_metrics WHERE platform = ? AND official_author = ?",
            [platform, author]))

    def other_account_tables(self, platform: str, author: str
                             ) -> list[tuple[str, str, pd.DataFrame]]:
        """(table, what it is, this account's rows) of every per-account table the metric
        registry declares that the pages do not already show in their own way (a metric
        added by a third party), when the store has it."""
        from govwatch.analysis.registry import metrics

        out = []
        for metric in metrics():
            for table in metric.account_tables:
                if table in SHOWN_ACCOUNT_TABLES or not self.has(table, "platform",
                                                                 "official_author"):
                    continue
                rows = self.df(f'SELECT * EXCLUDE (platform, official_author) FROM "{table}" '
                               "WHERE platform = ? AND official_author = ?", [platform, author])
                out.append((table, metric.description, rows))
        return out

    # -- messages ------------------------------------------------------------
    def pseudonym(self, platform: str, author: str) -> str:
        key = self._cached(("pkey",), lambda: self.meta(KEY_META) or "")
        return pseudonymise(author, key, platform)

    def example_messages(self, platform: str, author: str, limit: int = 8) -> pd.DataFrame:
        """Recent messages to one official (critical, needing a response, observed for a
        week and unanswered first), with the citizen pseudonymised and personal data
        redacted from the text.

        Where the analysis chose them (``account_examples``, the first
        :data:`~govwatch.analysis.examples.EXAMPLES` of each account, with their texts),
        one read of that account's rows; else (a store analysed before, or more
        messages asked) two reads: the messages from ``responses``, then their texts
        from ``posts`` by id (:meth:`post_texts`), so the texts of the whole ``posts``
        table are never joined."""
        from govwatch.analysis.examples import EXAMPLES

        if limit <= EXAMPLES and self.has("account_examples", "rank", "text"):
            df = self.df(
                "SELECT message_id, message_author, message_created_at, critical, "
                "needs_response, topic, sentiment, censored, latency_hours, observed_hours, "
                "text, outage_hours FROM account_examples WHERE platform = ? AND "
                "official_author = ? AND rank <= ? ORDER BY rank", [platform, author, int(limit)])
        else:
            df = self._examples_from_responses(platform, author, limit)
        officials = self.official_handles(platform)

        def pseud(name: str) -> str:
            return self.pseudonym(platform, name)

        df["author"] = [pseud(a) for a in df["message_author"]]
        df["text"] = [redact(t, officials, pseud, platform) for t in df["text"]]
        return df.drop(columns=["message_author"])

    def _examples_from_responses(self, platform: str, author: str,
                                 limit: int) -> pd.DataFrame:
        """example_messages' rows before redaction, read from ``responses`` and ``posts``."""
        from govwatch.analysis.examples import ORDER

        spans = self.has("outage_latencies", "message_id", "outage_hours")
        outage, join = ("o.outage_hours", _OUTAGE_JOIN) if spans else ("NULL", "")
        df = self.df(
            """
            SELECT r.message_id, r.message_author, r.message_created_at, r.critical,
                   r.needs_response, r.topic, r.sentiment, r.censored, r.latency_hours,
                   r.observed_hours, CAST({outage} AS DOUBLE) AS outage_hours
            FROM responses r
            {join}
            WHERE r.platform = ? AND r.official_author = ?
            ORDER BY {order}
            LIMIT ?
            """.replace("{outage}", outage).replace("{join}", join).replace("{order}", ORDER),
            [platform, author, int(limit)])
        texts = self.post_texts(platform, df["message_id"], df["message_created_at"])
        df = df[df["message_id"].isin(texts)].reset_index(drop=True)  # as an inner join
        df.insert(len(df.columns) - 1, "text", [texts[m] for m in df["message_id"]])
        return df

    def post_texts(self, platform: str, post_ids: Sequence[str],
                   created_at: Sequence | None = None) -> dict[str, str | None]:
        """The texts of a few posts of ``platform`` by id (post id -> text; ids not in
        ``posts`` left out). ``posts`` has no index: given the posts' times (as
        ``responses`` holds them), the read is narrowed to that time range, which
        DuckDB answers from the row groups' min/max alone where the posts were
        imported roughly in time order; any id not found there is read again without it."""
        ids = [str(i) for i in post_ids]
        if not ids:
            return {}
        sql = ("SELECT post_id, text FROM posts WHERE platform = ? "
               "AND list_contains(?, post_id)")
        found: dict[str, str | None] = {}
        times = pd.Series(created_at if created_at is not None else [], dtype=object).dropna()
        if len(times) == len(ids):
            rows = self._cursor().execute(
                sql + " AND created_at BETWEEN ? AND ?",
                [platform, ids, times.min(), times.max()]).fetchall()
            found = dict(rows)
        rest = [i for i in ids if i not in found]
        if rest:
            found.update(self._cursor().execute(sql, [platform, rest]).fetchall())
        return found

    def burst_messages(self, country: str, day, topic: str | None,
                       limit: int = 5) -> pd.DataFrame:
        """The first critical messages of a candidate event's first day (evidence),
        citizens pseudonymised and personal data redacted as in example_messages."""
        df = self.df(
            """
            SELECT DISTINCT r.platform, r.message_id, r.message_author, r.message_created_at,
                   r.topic, p.text
            FROM responses r
            JOIN accounts a ON a.official AND a.platform = r.platform
                           AND lower(a.author) = lower(r.official_author)
            JOIN posts p ON p.platform = r.platform AND p.post_id = r.message_id
            WHERE r.critical AND a.country = ? AND CAST(r.message_created_at AS DATE) = ?
              AND (? IS NULL OR coalesce(r.topic, 'not tagged') = ?)
            ORDER BY r.message_created_at, r.platform, r.message_id LIMIT ?
            """, [country, day, topic, topic, int(limit)])
        df["author"] = [self.pseudonym(p, a) for p, a in
                        zip(df["platform"], df["message_author"], strict=True)]
        df["text"] = [redact(t, self.official_handles(p), lambda n, p=p: self.pseudonym(p, n))
                      for p, t in zip(df["platform"], df["text"], strict=True)]
        return df.drop(columns=["message_author"])

    # -- activity ------------------------------------------------------------
    def weekly_activity(self, platform: str, author: str) -> pd.DataFrame | Missing:
        """Posts per week by one account (weeks without posts included, as 0), from the
        analysis's ``weekly_posts`` (Missing in a store analysed before it was declared);
        empty when the account never posted."""
        if not self.has("weekly_posts", "week", "posts"):
            return self.missing("weekly_posts")
        df = self.df("SELECT week, posts FROM weekly_posts WHERE platform = ? "
                     "AND official_author = ? ORDER BY week", [platform, author])
        return df if df["posts"].sum() > 0 else df.iloc[0:0]

    def silences(self, platform: str, country: str | None) -> pd.DataFrame | Missing:
        """Platform-wide silences on ``platform`` among accounts of ``country`` (and
        among all countries together) as (start, end) rows."""
        if not self.has("platform_silences", "start_at", "end_at", "country"):
            return self.missing("platform_silences")
        return self.df(
            'SELECT DISTINCT start_at AS start, end_at AS "end" FROM platform_silences '
            "WHERE platform = ? AND (country IS NULL OR country = ?) ORDER BY 1",
            [platform, country or ""])

    def outages(self, country: str | None = None, platform: str | None = None
                ) -> pd.DataFrame | Missing:
        """Outage windows (``outage_windows``) of ``country`` (all countries when None)
        covering ``platform`` (any when None), one row per outage record: outage_id,
        country, region, scope, kind, source, start, end (the observation end for an
        ongoing record), ongoing, platforms."""
        if not self.has("outage_windows", "start_at", "end_at", "kind", "source"):
            return self.missing("outage_windows")
        end = self.run_info().get("observed_until")
        return self.df(
            """
            SELECT outage_id, any_value(country) AS country, any_value(region) AS region,
                   any_value(scope) AS scope, any_value(kind) AS kind,
                   any_value(source) AS source, min(start_at) AS start,
                   CASE WHEN bool_or(end_at IS NULL)
                        THEN CAST(? AS TIMESTAMP WITH TIME ZONE) ELSE max(end_at) END AS "end",
                   bool_or(end_at IS NULL) AS ongoing,
                   string_agg(DISTINCT platform, ', ' ORDER BY platform) AS platforms
            FROM outage_windows
            WHERE (CAST(? AS VARCHAR) IS NULL OR country = ?)
              AND (CAST(? AS VARCHAR) IS NULL OR platform = ?)
            GROUP BY outage_id ORDER BY start, outage_id
            """, [end, country, country, platform, platform])

    def outage_acknowledgements(self, event_id: str) -> pd.DataFrame | None:
        """Per official account, the hours of its acknowledgement clock for ``event_id``
        inside outage windows (``outage_acknowledgements``); None when not computed."""
        if not self.has("outage_acknowledgements", "event_id", "outage_hours"):
            return None
        return self.df(
            "SELECT platform, official_author, outage_hours, latency_hours_outside_outages, "
            "observed_hours_outside_outages FROM outage_acknowledgements WHERE event_id = ?",
            [event_id])

    # -- channels --------------------------------------------------------------
    def channel_figures(self) -> pd.DataFrame | Missing:
        """Per account and channel (channel_metrics), with the account's institution and
        country; the direct_message channel only with ``include_dms``."""
        if not self.has("channel_metrics", "channel", "answered_rate_window"):
            return self.missing("channel_metrics")
        private = "" if self.include_dms else f"AND c.channel <> '{PRIVATE_CHANNEL}'"
        return self._cached(("channels",), lambda: self.df(f"""
            SELECT c.*, a.author, a.institution, a.country, a.display_name
            FROM channel_metrics c JOIN accounts a ON a.official AND a.platform = c.platform
                 AND lower(a.author) = lower(c.official_author)
            WHERE c.messages > 0 {private}
            ORDER BY a.institution, c.platform, a.author, c.channel"""))

    # -- events and topics -----------------------------------------------------
    def events(self) -> pd.DataFrame:
        return self._cached(("events",), lambda: self.df(
            "SELECT event_id, name, onset, critical, country FROM events ORDER BY onset, event_id"))

    def themes(self) -> pd.DataFrame | Missing:
        """Discovered themes (analysis/topics.py), one row per theme with its top terms."""
        if not self.has("discovered_topics", "theme", "term", "rank", "documents"):
            return self.missing("discovered_topics")
        return self._cached(("themes",), lambda: self.df(
            "SELECT theme, max(documents) AS messages, "
            "string_agg(term, ', ' ORDER BY rank) AS top_terms "
            "FROM discovered_topics GROUP BY theme ORDER BY messages DESC, theme"))

    def topic_mix(self) -> pd.DataFrame:
        """Share of each topic among citizens' inbound messages and among officials'
        own posts, per country (counts of tags written by the analysis)."""
        if not self.has("tags", "topic"):
            return pd.DataFrame(columns=["side", "country", "topic", "posts"])
        return self._cached(("topic_mix",), lambda: self.df(
            """
            SELECT 'public' AS side, a.country, r.topic, count(*) AS posts
            FROM responses r JOIN accounts a
                 ON a.platform = r.platform AND a.author = r.official_author
            WHERE r.topic IS NOT NULL GROUP BY ALL
            UNION ALL
            SELECT 'official' AS side, a.country, t.topic, count(*) AS posts
            FROM posts p JOIN accounts a ON a.platform = p.platform AND a.author = p.author
            JOIN tags t ON t.platform = p.platform AND t.post_id = p.post_id
            WHERE a.official AND t.topic IS NOT NULL AND NOT {private} GROUP BY ALL
            ORDER BY 1, 2, 3
            """.replace("{private}", is_private_sql("p"))))


def _status_few(status: pd.Series, fallback: pd.Series) -> pd.Series:
    """'too few' from the analysis's status column, or ``fallback`` where it is empty."""
    known = status.notna()
    return (known & (status == "too few")) | (~known & fallback)
