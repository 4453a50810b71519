"""The export's queries: for each ``what``, the SQL of the rows it writes and the
meaning of each column (:class:`_Query`).

Citizens' handles are shown through the pseudonyms table that
``govwatch.pseudonym.register_pseudonyms`` fills (``_pseudonyms``); officials stay in
clear. The writers (``govwatch.export.writers``) run these queries; nothing here writes
a file.
"""

from __future__ import annotations

from dataclasses import dataclass

from govwatch.config import window_label, window_tag
from govwatch.errors import UsageError
from govwatch.schema import is_private_sql
from govwatch.threads import OFF_CTE, POST_ACCOUNT_CTES  # noqa: F401 (POST_ACCOUNT_CTES re-exported)

from .slices import SLICE_MARK, SLICE_NUMBER

# Per-account tables written by other metrics, joined into the accounts export
# when the store has them (one row per account, after the population filter).
# Account attributes already in the accounts export; not repeated from joined tables.
_ACCOUNT_ATTRIBUTES = {"country", "level", "institution", "timezone", "office_hours",
                       "institution_type"}

MEANINGS: dict[str, dict[str, str]] = {
    "responses": {
        "platform": "Platform the message was posted on",
        "message_id": "Platform-native id of the inbound message (text)",
        "message_author": "Author of the message: keyed pseudonym (p_...) unless exported in clear",
        "official_author": "Official account addressed (in clear)",
        "via": "How the message addresses the account: reply, comment or mention; "
        "answered_unaddressed (a post naming no official that the account answered) only "
        "after analyze --include-unaddressed",
        "message_created_at": "Time of the message (UTC)",
        "response_id": "Id of the account's first reply to the message; empty if none",
        "response_created_at": "Time of that response (UTC)",
        "latency_hours": "response_created_at - message_created_at in hours; empty if censored",
        "censored": "No response by observation end (right-censored)",
        "observed_hours": "Observation end - message_created_at in hours",
        "needs_response": "Tagged as asking, requesting or reporting a problem",
        "critical": "Tagged as about a critical issue",
        "topic": "Topic tag",
        "sentiment": "VADER compound score of the message text",
        "lang": "Language of the message",
        "channel": "Channel of the message: public_reply, comment, review (app store), "
        "complaint_ticket (Open311 or another ticket system) or direct_message",
        "rating": "Star rating of an app-store review (1-5); empty for other channels",
        "day_precision": "The message's time, or its response's, was written as a date alone "
        "and taken as midnight (ingest --day-precision): latency_hours and observed_hours "
        "are known to the day only",
    },
    "accounts": {
        "platform": "Platform of the account",
        "official_author": "Official account (in clear)",
        "display_name": "Display name from the accounts file",
        "institution": "Institution running the account",
        "country": "Country (ISO 3166 alpha-2)",
        "level": "Level of government: national, state or local",
        "timezone": "IANA time zone of the account",
        "office_hours": "Office hours from the accounts file",
        "institution_type": "Institution type from the accounts file (normalised: lower case, "
        "single spaces); the peer group under analyze --peers type",
        "population": "Message population of the response columns: needs_response or all",
        "messages": "Inbound messages in the population",
        "answered": "Messages answered by observation end",
        "observed_window": "Messages observed for at least the window W",
        "answered_window": "Of those, answered within W",
        "answered_rate_7d": "answered_window / observed_window (W = 7 days unless set otherwise)",
        "km_median_hours": "Kaplan-Meier median latency in hours; empty when not reached",
        "km_median_ci_low": "Lower bound of the 95% CI of the KM median",
        "km_median_ci_high": "Upper bound of the 95% CI of the KM median; empty when unbounded",
        "km_median_reached": "At least half of the messages were answered (median defined)",
        "max_followup_hours": "Longest follow-up time in hours (shown as '> X' when not reached)",
        "naive_median_hours": "Median latency of answered messages only (biased; for comparison)",
        "unanswered_1h": "KM share still unanswered at 1 hour",
        "unanswered_24h": "KM share still unanswered at 24 hours",
        "unanswered_72h": "KM share still unanswered at 72 hours",
        "unanswered_7d": "KM share still unanswered at 7 days",
        "events_in_scope": "Events the account was expected to acknowledge",
        "events_acknowledged": "Of those, events it posted about by observation end",
    },
    "posts": {
        "platform": "Platform",
        "post_id": "Platform-native post id (text)",
        "official_account": "Official account whose thread the post is in (the author of the thread's root post if official, else the first official taking part in, replied to or mentioned in the thread), else _unaddressed",
        "author": "Author: official handle in clear; citizens as keyed pseudonym (p_...) unless exported in clear",
        "author_is_official": "The author is a listed official account",
        "author_id": "Platform-native author id (officials only when pseudonymised)",
        "created_at": "Time of the post (UTC)",
        "created_at_derived": "Time derived from the post id, not read from the export",
        "lang": "Language",
        "kind": "post, reply, comment, repost or quote",
        "in_reply_to_post_id": "Id of the post replied to",
        "in_reply_to_author": "Author replied to (citizens pseudonymised)",
        "conversation_id": "Thread id",
        "mentions": "@handles named in the text, ';'-separated (citizens pseudonymised)",
        "url": "Link to the post (officials only when pseudonymised: links embed handles)",
        "like_count": "Likes when the input was exported from the platform",
        "share_count": "Shares when the input was exported from the platform",
        "reply_count": "Replies when the input was exported from the platform",
        "deleted_at": "When the post was found missing from a newer archive of its account",
        "import_id": "Import that brought the post (see the manifest's inputs)",
        "sentiment": "VADER compound score",
        "topic": "Topic tag",
        "critical": "Tagged as about a critical issue",
        "needs_response": "Tagged as asking, requesting or reporting a problem",
        "text": "Text of the post (personal data of the public; @handles in it are not rewritten)",
    },
    "events": {
        "event_name": "Event name from the events file",
        "event_critical": "The events file marks the event as critical",
        "event_country": "Country of the event; its officials are in scope unless the events "
        "file lists the accounts expected to acknowledge it",
        "institution": "Institution running the official account",
        "country": "Country of the official account",
        "level": "Level of government of the official account",
    },
    "activity": {
        "institution": "Institution running the account",
        "country": "Country (ISO 3166 alpha-2)",
        "level": "Level of government",
    },
}


ROWS_MARK = "__GOVWATCH_ROWS__"  # replaced by a range of posts' row ids: "lo AND hi"
CHUNK_ROWS = 1_000_000


@dataclass(frozen=True)
class _Chunked:
    """A temporary table built from the posts a range of :data:`CHUNK_ROWS` row ids at
    a time: ``select`` with :data:`ROWS_MARK` where the range's bounds go (``p.rowid
    BETWEEN {ROWS_MARK}``, or a column holding posts' row ids). For a table whose rows
    each come from one post (grouped or joined by post): the same rows as one query over
    every post, but each step's grouping or join holds one range, so its memory and cost
    per post do not grow with the store."""

    table: str
    select: str


@dataclass(frozen=True)
class _Query:
    sql: str
    meanings: dict[str, str]
    pairs_sql: str | None = None  # (platform, author) pairs needing pseudonyms
    partition_by: tuple[str, ...] = ()
    # statements run first, in order, after the pseudonyms are registered (temporary
    # tables ``sql`` reads; a _Chunked one is built a range of posts at a time): see prepare()
    setup: tuple[str | _Chunked, ...] = ()
    # ``sql`` with SLICE_MARK where a slice's condition goes: the rows are then written
    # slice by slice (govwatch.export.slices), ``sql`` being the template with TRUE
    slice_template: str | None = None


def prepare(con, query: _Query, slice_number: str = "0") -> None:
    """Run ``query``'s setup statements (its temporary tables) on ``con``;
    ``slice_number``: SQL giving each post's slice (govwatch.export.slices.number)."""
    for statement in query.setup:
        if isinstance(statement, _Chunked):
            _build_chunked(con, statement)
        else:
            con.execute(statement.replace(SLICE_NUMBER, slice_number))


def _build_chunked(con, statement: _Chunked) -> None:
    last = con.execute("SELECT coalesce(max(rowid), -1) FROM posts").fetchone()[0]
    for lo in range(0, max(last + 1, 1), CHUNK_ROWS):
        select = statement.select.replace(ROWS_MARK, f"{lo} AND {lo + CHUNK_ROWS - 1}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {statement.table} AS {select}" if lo == 0
                    else f"INSERT INTO {statement.table} {select}")



def _tables(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()}


def _columns(con, table: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position", [table]
    ).fetchall()}


def _who(platform: str, author: str, pseudonymise: bool) -> str:
    """SQL for an author shown in an export: officials in clear, citizens pseudonymised.

    Fails safe: a citizen without a computed pseudonym becomes NULL, never clear.
    """
    if not pseudonymise:
        return author
    return (
        f"CASE WHEN {author} IS NULL THEN NULL "
        f"WHEN EXISTS (SELECT 1 FROM accounts o WHERE o.official AND o.platform = {platform} "
        f"AND lower(o.author) = lower({author})) THEN {author} "
        f"ELSE (SELECT ps.pseudonym FROM _pseudonyms ps WHERE ps.platform = {platform} "
        f"AND ps.la = lower({author})) END"
    )


def _meanings_for(what: str, *tables: str) -> dict[str, str]:
    out = dict(MEANINGS.get(what, {}))
    for table in tables:
        for name, meaning in _metric_meanings(table).items():
            out.setdefault(name, meaning)
    return out


def _metric_meanings(table: str) -> dict[str, str]:
    """Column meanings a metric declares (``column_meanings``) for its table."""
    from govwatch.analysis.registry import metrics

    for metric in metrics():
        if table in metric.tables:
            declared = getattr(metric, "column_meanings", {}).get(table, {})
            default = f"From {table} ({metric.name}); see docs/methodology.md"
            return {c: declared.get(c, default) for c in metric.tables[table]}
    return {}


def _build(con, what: str, pseudonymise: bool, include_text: bool, population: str,
           include_dms: bool = False,
           account: tuple[str, str] | None = None) -> _Query:
    if what == "worklist":
        from .worklist import worklist_query

        return worklist_query(con, pseudonymise, include_text, account)
    if what in ("series", "before_after", "candidates"):
        return _change_query(con, what)
    if what == "responses":
        return _responses_query(con, pseudonymise, include_dms)
    if what == "events":
        return _events_query(con)
    if what == "accounts":
        return _accounts_query(con, population)
    if what == "posts":
        return _posts_query(con, pseudonymise, include_text, include_dms)
    if what == "activity":
        return _activity_query()
    return _Query("SELECT * FROM platform_silences ORDER BY platform, country NULLS FIRST, "
                  "start_at", _meanings_for("silences", "platform_silences"))


def _change_query(con, what: str) -> _Query:
    from . import series as S

    table = {"series": "slice_metrics", "before_after": "before_after",
             "candidates": "candidate_events"}[what]
    if table not in _tables(con):
        raise UsageError(f"the store has no {table} table: run 'govwatch analyze' with this "
                         f"version first")
    if what == "series":
        return _Query(S.series_sql(), S.SERIES_MEANINGS)
    if what == "before_after":
        return _Query(S.BEFORE_AFTER_SQL, {**MEANINGS["events"], **MEANINGS["activity"],
                                           **_meanings_for("before_after", "before_after")})
    return _Query(S.CANDIDATES_SQL, {**S.CANDIDATE_MEANINGS,
                                     **_meanings_for("candidates", "candidate_events")})


_RESPONSE_TEXT_COLUMNS = ("platform", "message_id", "official_author", "via", "response_id",
                          "topic", "lang", "channel")


def _responses_query(con, pseudonymise: bool, include_dms: bool = False) -> _Query:
    """Every column of ``responses`` (with ``include_dms``, and the direct messages'
    rows, see :func:`_dms_stored`); extra text columns added later are left out (they
    could hold personal data), extra numbers, flags and times are kept."""
    cols = []
    for name, dtype in _columns(con, "responses").items():
        if name == "message_author":
            cols.append(f"{_who('r.platform', 'r.message_author', pseudonymise)} "
                        "AS message_author")
        elif dtype != "VARCHAR" or name in _RESPONSE_TEXT_COLUMNS:
            cols.append(f"r.{name}")
    source = ("(SELECT * FROM responses UNION ALL BY NAME SELECT * FROM dm_responses)"
              if include_dms else "responses")
    sql = (f"SELECT {', '.join(cols)} FROM {source} r "
           "ORDER BY r.platform, r.official_author, r.message_created_at, r.message_id")
    return _Query(sql, _meanings_for("responses"),
                  pairs_sql=f"SELECT platform, message_author AS author FROM {source}")


def _dms_stored(con) -> bool:
    """Whether the store holds direct messages' response rows (``dm_responses``, written
    by the last analysis: analysis/direct_messages.py) to add to the export."""
    if "dm_responses" not in _tables(con):
        raise UsageError("the store has no dm_responses table: run 'govwatch analyze' with "
                         "this version of govwatch before exporting with --include-dms")
    return con.execute("SELECT count(*) FROM dm_responses").fetchone()[0] > 0


def _events_query(con) -> _Query:
    # day_precision: in stores analysed since migration 10
    day = (", k.day_precision" if "day_precision" in _columns(con, "event_acknowledgements")
           else "")
    sql = f"""
    SELECT k.event_id, e.name AS event_name, e.critical AS event_critical,
           e.country AS event_country, k.platform, k.official_author,
           a.institution, a.country, a.level,
           k.onset, k.first_post_id, k.first_post_at, k.latency_hours, k.censored,
           k.observed_hours, k.matching_posts, k.first_public_post_id, k.first_public_post_at,
           k.public_latency_hours, k.public_lead_hours{day}
    FROM event_acknowledgements k
    JOIN events e USING (event_id)
    LEFT JOIN accounts a ON a.platform = k.platform AND a.author = k.official_author
    ORDER BY k.onset, k.event_id, k.platform, k.official_author
    """
    return _Query(sql, _meanings_for("events", "event_acknowledgements"))


def _activity_query() -> _Query:
    sql = """
    SELECT v.platform, v.official_author, a.institution, a.country, a.level,
           v.* EXCLUDE (platform, official_author)
    FROM account_activity v
    LEFT JOIN accounts a ON a.platform = v.platform AND a.author = v.official_author
    ORDER BY v.platform, v.official_author
    """
    return _Query(sql, _meanings_for("activity", "account_activity"))


# The accounts export's per-account tables, in this order (docs/exports.md), then any
# other metric's account tables (from the registry) in alphabetical order: the
# columns keep their places whatever order the metrics register in.
ACCOUNT_TABLE_ORDER = ("account_metrics", "account_activity", "selectivity",
                       "response_quality", "benchmark_index", "account_clocks")


def account_table_order() -> list[str]:
    """The per-account tables the accounts export joins, in the export's order."""
    from govwatch.analysis.registry import account_tables

    others = sorted(set(account_tables()) - set(ACCOUNT_TABLE_ORDER))
    return [*ACCOUNT_TABLE_ORDER, *others]


def _ordered_columns(con, table: str) -> list[str]:
    """``table``'s columns in its metric's declared order (whatever order the store's
    table has them in), then any the declaration does not name."""
    from govwatch.analysis.registry import declared_tables

    have = list(_columns(con, table))
    declared = [c for c in declared_tables().get(table, {}) if c in have]
    return declared + [c for c in have if c not in declared]


def _accounts_query(con, population: str) -> _Query:
    """One row per official account: attributes, response metrics of ``population``,
    activity, event acknowledgement counts, and the per-account tables of other
    metrics that the store has (each metric's ``account_tables``, from the registry),
    in a fixed column order (:func:`account_table_order`, declared column order)."""
    tables = _tables(con)
    select = ["a.platform", "a.author AS official_author", "a.display_name", "a.institution",
              "a.country", "a.level", "a.timezone", "a.office_hours", "a.institution_type",
              f"'{population}' AS population"]
    joins = []
    taken = {"platform", "official_author", "display_name", "institution", "country", "level",
             "timezone", "office_hours", "institution_type", "population"}
    meanings = _meanings_for("accounts", "account_metrics")
    for i, table in enumerate(account_table_order()):
        alias = f"t{i}"
        if table not in tables or not _one_row_per_account(con, table, population):
            continue
        cols = _ordered_columns(con, table)
        cond = (f"{alias}.platform = a.platform AND {alias}.official_author = a.author"
                + (f" AND {alias}.population = '{population}'" if "population" in cols else ""))
        joins.append(f"LEFT JOIN {table} {alias} ON {cond}")
        table_meanings = {**_metric_meanings(table), **MEANINGS["accounts"]}
        for col in cols:
            if col in ("platform", "official_author", "population") or (
                    col in _ACCOUNT_ATTRIBUTES):
                continue
            name = col if col not in taken and col != "status" else f"{table}_{col}"
            taken.add(name)
            expr = f"{alias}.{col}"
            if col in ("messages", "answered") and table == "account_metrics":
                expr = f"coalesce({expr}, 0)"
            select.append(f"{expr} AS {name}")
            meanings.setdefault(name, table_meanings.get(col, f"From {table}"))
    if "event_acknowledgements" in tables:
        joins.append(
            "LEFT JOIN (SELECT platform, official_author, count(*) AS n, "
            "count(first_post_id) AS k FROM event_acknowledgements GROUP BY ALL) ev "
            "ON ev.platform = a.platform AND ev.official_author = a.author")
        select += ["coalesce(ev.n, 0) AS events_in_scope",
                   "coalesce(ev.k, 0) AS events_acknowledged"]
    select, meanings = _window_named(con, tables, select, meanings)
    sql = (f"SELECT {', '.join(select)} FROM accounts a {' '.join(joins)} "
           "WHERE a.official ORDER BY a.platform, a.author")
    return _Query(sql, meanings)


def _window_named(con, tables, select: list[str], meanings: dict[str, str]):
    """The rate column named for the window the analysis used (answered_rate_1d after
    'analyze --window-days 1'; answered_rate_7d by default)."""
    if "account_metrics" not in tables or "window_hours" not in _columns(con, "account_metrics"):
        return select, meanings
    hours = con.execute("SELECT max(window_hours) FROM account_metrics").fetchone()[0]
    name = f"answered_rate_{window_tag(hours)}"
    if name == "answered_rate_7d":
        return select, meanings
    select = [f"{e[:-len(' AS answered_rate_7d')]} AS {name}"
              if e.endswith(" AS answered_rate_7d") else e for e in select]
    meanings = {(name if k == "answered_rate_7d" else k):
                (f"answered_window / observed_window: the share answered within "
                 f"W = {window_label(hours)}" if k == "answered_rate_7d" else v)
                for k, v in meanings.items()}
    return select, meanings


def _one_row_per_account(con, table: str, population: str) -> bool:
    cols = _columns(con, table)
    if not {"platform", "official_author"} <= set(cols):
        return False
    where = f"WHERE population = '{population}'" if "population" in cols else ""
    total, distinct = con.execute(
        f"SELECT count(*), count(DISTINCT (platform, official_author)) FROM {table} {where}"
    ).fetchall()[0]
    return total == distinct


def _posts_query(con, pseudonymise: bool, include_text: bool, include_dms: bool = False) -> _Query:
    # Handles are shown through joins with one table of every handle the posts name
    # (``shown``: official in clear, else its pseudonym), not per-row subqueries: the
    # subqueries' decorrelation grouped the whole posts table once per column.
    # Each post's thread account and its shown @mentions are built first, one after the
    # other, as temporary tables (setup): in one query every grouping and join of the
    # whole posts table held its memory at once (1.7 GB of DuckDB's buffers at 1M
    # posts), so a larger store spilled and cost more per post. The mentions are
    # grouped a million posts at a time (_Chunked): grouped at once, their cost per
    # post grew with the store (1.85x per post at 4M posts what it was at 1M).
    if pseudonymise:
        def who(col: str, alias: str) -> str:
            return (f"CASE WHEN {col} IS NULL THEN NULL WHEN {alias}.official THEN {col} "
                    f"ELSE {alias}.pseudonym END")

        def join(col: str, alias: str, platform: str = "p.platform") -> str:
            return (f"LEFT JOIN shown {alias} ON {alias}.platform = {platform} "
                    f"AND {alias}.la = lower({col})")
        shown = """,
    shown AS (
        SELECT ps.platform, ps.la, ps.pseudonym, o.la IS NOT NULL AS official
        FROM _pseudonyms ps LEFT JOIN off o ON o.platform = ps.platform AND o.la = ps.la
    )"""
        # made once, as the temporary table _gw_shown (setup), for every step after it
        shown_made = """,
    shown AS (SELECT * FROM _gw_shown)"""
    else:
        def who(col: str, alias: str) -> str:
            return col

        def join(col: str, alias: str, platform: str = "p.platform") -> str:
            return ""
        shown = shown_made = ""
    # Every joined column goes first into one table of the exported posts
    # (_gw_post_extra), each post numbered by its slice, so that the rows can be written
    # slice by slice (govwatch.export.slices), each slice joining its posts with its own
    # rows of it. That table is built in two steps, each holding one of the large joins
    # (the tags; the thread accounts and mentions), and in no order: one query making it
    # in slice order held every join's table and the sort at once, and ran out of
    # DuckDB's memory on an analysed store of 10,000,000 posts at the default cap.
    # Each temporary table names its post by its row id in ``posts`` (``r``), not by
    # (platform, post_id): they are joined with each other on that integer, a million row
    # ids at a time (_Chunked), and each slice joins ``posts`` on it. Joined on the two
    # texts over every post at once, the second step cost 27x per post at 10,000,000
    # posts what it cost at 1,000,000 (its hash tables beside the temporary tables
    # passed the cap and spilled).
    own = [
        f"{who('p.author', 'sa')} AS author",
        "o.author IS NOT NULL AS author_is_official",
        f"{who('p.in_reply_to_author', 'sr')} AS in_reply_to_author",
        "t.sentiment", "t.topic", "t.critical", "t.needs_response",
    ]
    cols = [
        "p.platform", "p.post_id", "x.official_account", "x.author", "x.author_is_official",
        ("CASE WHEN x.author_is_official THEN p.author_id END AS author_id" if pseudonymise
         else "p.author_id"),
        "p.created_at", "p.created_at_derived", "p.lang", "p.kind", "p.in_reply_to_post_id",
        "x.in_reply_to_author", "p.conversation_id", "x.mentions",
        ("CASE WHEN x.author_is_official THEN p.url END AS url" if pseudonymise else "p.url"),
        "p.like_count", "p.share_count", "p.reply_count", "p.deleted_at", "p.import_id",
        "x.sentiment", "x.topic", "x.critical", "x.needs_response",
    ]
    if include_text:
        cols.append("p.text")
    setup = (
        f"""CREATE OR REPLACE TEMP TABLE _gw_post_account AS
        WITH RECURSIVE {POST_ACCOUNT_CTES}
        SELECT r, official_account FROM post_account""",
        *((f"""CREATE OR REPLACE TEMP TABLE _gw_shown AS
        WITH {OFF_CTE}{shown}
        SELECT * FROM shown""",) if pseudonymise else ()),
        _Chunked("_gw_mentions", f"""
        {"WITH shown AS (SELECT * FROM _gw_shown)" if pseudonymise else ""}
        SELECT m.r, string_agg({who('m.handle', 'sm')}, ';' ORDER BY m.i) AS mentions
        FROM (SELECT p.rowid AS r, p.platform, unnest(p.mentions) AS handle,
                     generate_subscripts(p.mentions, 1) AS i
              FROM posts p WHERE len(coalesce(p.mentions, [])) > 0
                AND p.rowid BETWEEN {ROWS_MARK}) m
        {join('m.handle', 'sm', 'm.platform')}
        GROUP BY m.r"""),
        f"""CREATE OR REPLACE TEMP TABLE _gw_post_own AS
        WITH {OFF_CTE}{shown_made}
        SELECT p.rowid AS r, {SLICE_NUMBER} AS slice, {', '.join(own)}
        FROM posts p
        LEFT JOIN off o ON o.platform = p.platform AND o.la = lower(p.author)
        {join('p.author', 'sa')}
        {join('p.in_reply_to_author', 'sr')}
        LEFT JOIN tags t ON t.platform = p.platform AND t.post_id = p.post_id
        {"" if include_dms else "WHERE NOT " + is_private_sql("p")}""",
        _Chunked("_gw_post_extra", f"""
        SELECT x.*, pa.official_account, mt.mentions
        FROM (SELECT * FROM _gw_post_own WHERE r BETWEEN {ROWS_MARK}) x
        JOIN (SELECT * FROM _gw_post_account WHERE r BETWEEN {ROWS_MARK}) pa ON pa.r = x.r
        LEFT JOIN (SELECT * FROM _gw_mentions WHERE r BETWEEN {ROWS_MARK}) mt
          ON mt.r = x.r"""),
        "DROP TABLE _gw_post_own",
        "DROP TABLE _gw_post_account",
        "DROP TABLE _gw_mentions",
    )
    template = f"""
    SELECT {', '.join(cols)}
    FROM posts p
    JOIN _gw_post_extra x ON x.r = p.rowid
    WHERE {SLICE_MARK}
    ORDER BY p.platform, p.created_at, p.post_id
    """
    pairs = """
        SELECT platform, author FROM posts
        UNION ALL SELECT platform, in_reply_to_author FROM posts
        UNION ALL SELECT platform, unnest(mentions) FROM posts
    """
    return _Query(template.replace(SLICE_MARK, "TRUE"), _meanings_for("posts"),
                  pairs_sql=pairs, partition_by=("platform", "official_account"),
                  setup=setup, slice_template=template)
