"""Alert rules evaluated on an analysed store (``govwatch check``).

Three rules, each with thresholds the user sets (:class:`AlertRules`), read from
the derived tables of the last ``govwatch analyze`` run and nothing else:

- ``critical_unanswered``: an official account has critical inbound messages (of
  the chosen population) still unanswered more than ``critical_hours`` after they
  were written, at the observation end. Only messages written in the last
  ``lookback_days`` count (0: all), so an alert is about what can still be acted on.
- ``event_silent``: an official account in a critical event's scope has posted
  nothing about it ``event_hours`` after its onset (a given event marked critical,
  or a candidate event found in the data that matches no given one; onset within
  the look-back).
- ``rate_drop``: an account's response rate within the window W in the latest week
  whose messages have all been observed for W falls below its own baseline (the
  pooled rate of the ``baseline_weeks`` weeks before) by at least ``rate_drop``
  (a share, 0.2 = 20 points), with at least ``min_messages`` messages in that week
  and in the baseline, and the week's Wilson 95% interval wholly below the baseline.

Censoring is respected: a message counts as unanswered past N hours only when it was
observed for N hours; a week is compared only once every message in it was observed
for the window W.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from govwatch.errors import InputError, UsageError

RULES = ("critical_unanswered", "event_silent", "rate_drop")
POPULATIONS = ("needs_response", "all")


@dataclass(frozen=True)
class AlertRules:
    """Thresholds of the alert rules (see the module docstring)."""

    critical_hours: float = 24.0
    event_hours: float = 24.0
    rate_drop: float = 0.2
    baseline_weeks: int = 8
    min_messages: int = 10
    lookback_days: float = 14.0
    population: str = "needs_response"
    rules: tuple[str, ...] = RULES
    account: tuple[str, str] | None = None  # (platform, author): only this account

    def __post_init__(self) -> None:
        for name in ("critical_hours", "event_hours", "lookback_days"):
            if getattr(self, name) < 0:
                raise UsageError(f"{name} must be 0 or more, not {getattr(self, name)}")
        if not 0 < self.rate_drop <= 1:
            raise UsageError(f"rate_drop is a share between 0 and 1, not {self.rate_drop}")
        if self.baseline_weeks < 1 or self.min_messages < 1:
            raise UsageError("baseline_weeks and min_messages must be at least 1")
        if self.population not in POPULATIONS:
            raise UsageError(f"unknown population {self.population!r}; choose one of "
                             f"{', '.join(POPULATIONS)}")
        unknown = sorted(set(self.rules) - set(RULES))
        if unknown:
            raise UsageError(f"unknown rule {', '.join(unknown)}; the rules are "
                             f"{', '.join(RULES)}")


def rules_from_file(path: str | Path) -> dict[str, Any]:
    """Thresholds from a YAML (or JSON) file: a mapping of :class:`AlertRules` field
    names (``critical_hours: 48``, ``rules: [critical_unanswered]``) to values."""
    import yaml

    from govwatch.errors import read_text

    try:
        data = yaml.safe_load(read_text(path, "alert rules")) or {}
    except yaml.YAMLError as exc:
        raise InputError(str(path), f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(str(path), "expected a mapping of rule settings (name: value)")
    known = {f.name: f.type for f in fields(AlertRules) if f.name != "account"}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise InputError(str(path), f"unknown setting {key!r}; known: "
                             f"{', '.join(sorted(known))}", f"$.{key}")
        try:
            if key == "rules":
                values = [value] if isinstance(value, str) else list(value)
                out[key] = tuple(str(v) for v in values)
            elif key == "population":
                out[key] = str(value)
            elif key in ("baseline_weeks", "min_messages"):
                out[key] = int(value)
            else:
                out[key] = float(value)
        except (TypeError, ValueError):
            raise InputError(str(path), f"{value!r} is not a valid value for {key}",
                             f"$.{key}") from None
    return out


@dataclass(frozen=True)
class Alert:
    rule: str
    platform: str
    official_author: str
    summary: str  # one line a person reads
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Digest:
    observation_end: datetime | None
    run_id: int | None
    rules: AlertRules
    alerts: list[Alert]

    def as_dict(self) -> dict[str, Any]:
        rules = asdict(self.rules)
        rules["rules"] = list(self.rules.rules)
        rules["account"] = ":".join(self.rules.account) if self.rules.account else None
        return {
            "observation_end": None if self.observation_end is None
            else self.observation_end.isoformat(),
            "analysis_run": self.run_id,
            "rules": rules,
            "alerts": [asdict(a) for a in self.alerts],
            "fired": len(self.alerts),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False, default=str)


def _has(con, table: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_name = ?", [table]).fetchone()[0])


def _account_filter(rules: AlertRules, alias: str = "") -> tuple[str, list]:
    if rules.account is None:
        return "", []
    p = f"{alias}." if alias else ""
    return (f" AND {p}platform = ? AND lower({p}official_author) = lower(?)",
            list(rules.account))


def evaluate(con, rules: AlertRules) -> Digest:
    """Every alert ``rules`` fire on the store open at ``con`` (read-only is enough).

    Raises UsageError when the store has no analysis run."""
    run = con.execute("SELECT run_id, observed_until FROM analysis_runs "
                      "ORDER BY run_id DESC LIMIT 1").fetchall()
    if not run:
        raise UsageError("the store has no analysis yet: run 'govwatch analyze' first")
    run_id, obs_end = run[0]
    alerts: list[Alert] = []
    if obs_end is not None:
        if "critical_unanswered" in rules.rules:
            alerts += _critical_unanswered(con, rules, obs_end)
        if "event_silent" in rules.rules:
            alerts += _event_silent(con, rules, obs_end)
        if "rate_drop" in rules.rules:
            alerts += _rate_drop(con, rules, obs_end)
    return Digest(obs_end, run_id, rules, alerts)


def _since(rules: AlertRules, obs_end: datetime) -> datetime | None:
    return None if not rules.lookback_days else obs_end - timedelta(days=rules.lookback_days)


def _critical_unanswered(con, rules: AlertRules, obs_end: datetime) -> list[Alert]:
    where, params = _account_filter(rules)
    since = _since(rules, obs_end)
    if since is not None:
        where += " AND message_created_at >= ?"
        params.append(since)
    if rules.population == "needs_response":
        where += " AND needs_response"
    rows = con.execute(
        "SELECT platform, official_author, count(*) AS n, max(observed_hours) AS oldest, "
        "arg_max(message_id, observed_hours) AS oldest_id, min(message_created_at) AS first_at "
        "FROM responses WHERE critical AND censored AND observed_hours > ?" + where +
        " GROUP BY ALL ORDER BY n DESC, platform, official_author",
        [rules.critical_hours, *params]).fetchall()
    return [Alert(
        "critical_unanswered", platform, author,
        f"{n:,} critical message{'s' if n != 1 else ''} unanswered for more than "
        f"{_hours(rules.critical_hours)}; the oldest for {_hours(oldest)}",
        {"messages": n, "oldest_hours": round(oldest, 2), "oldest_message_id": oldest_id,
         "first_message_at": first_at.isoformat()})
        for platform, author, n, oldest, oldest_id, first_at in rows]


def _event_silent(con, rules: AlertRules, obs_end: datetime) -> list[Alert]:
    sources = []
    if _has(con, "event_acknowledgements") and _has(con, "events"):
        sources.append("SELECT k.*, e.name, 'event' AS kind FROM event_acknowledgements k "
                       "JOIN events e USING (event_id) WHERE e.critical")
    if _has(con, "candidate_acknowledgements") and _has(con, "candidate_events"):
        # a candidate that matches a given event is already watched as that event
        sources.append(
            "SELECT k.*, 'Candidate: critical burst in ' || c.country || "
            "coalesce(' on ' || c.topic, '') || ' from ' || c.day AS name, "
            "'candidate' AS kind FROM candidate_acknowledgements k "
            "JOIN candidate_events c ON c.candidate_id = k.event_id "
            "WHERE coalesce(c.known_event_ids, '') = ''")
    if not sources:
        return []
    where, params = _account_filter(rules)
    since = _since(rules, obs_end)
    if since is not None:
        where += " AND onset >= ?"
        params.append(since)
    rows = con.execute(
        f"SELECT platform, official_author, kind, event_id, name, onset, observed_hours "
        f"FROM ({' UNION ALL BY NAME '.join(sources)}) "
        f"WHERE censored AND observed_hours > ?{where} "
        f"ORDER BY onset, event_id, platform, official_author",
        [rules.event_hours, *params]).fetchall()
    return [Alert(
        "event_silent", platform, author,
        f"silent on {'candidate ' if kind == 'candidate' else ''}event {event_id} "
        f"({name}) for {_hours(hours)} since its onset",
        {"event_id": event_id, "event_kind": kind, "event_name": name,
         "onset": onset.isoformat(), "silent_hours": round(hours, 2)})
        for platform, author, kind, event_id, name, onset, hours in rows]


def _rate_drop(con, rules: AlertRules, obs_end: datetime) -> list[Alert]:
    if not _has(con, "slice_metrics"):
        return []
    where, params = _account_filter(rules)
    window = con.execute("SELECT max(window_hours) FROM slice_metrics").fetchone()[0] or 0.0
    # the latest week every message of which was observed for W (a day of slack for
    # weeks counted in an account's local time)
    last_start = (obs_end - timedelta(days=8, hours=window)).date()
    rows = con.execute(
        "SELECT platform, official_author, period, period_start, observed_window, "
        "answered_window FROM slice_metrics WHERE period_kind = 'week' "
        "AND slice_kind = 'all' AND population = ? AND period_start <= ?" + where +
        " ORDER BY platform, official_author, period_start",
        [rules.population, last_start, *params]).fetchall()
    by_account: dict[tuple[str, str], list[tuple]] = {}
    for platform, author, *week in rows:
        by_account.setdefault((platform, author), []).append(tuple(week))
    alerts = []
    for (platform, author), weeks in by_account.items():
        period, start, n, k = weeks[-1]
        if start < last_start - timedelta(days=6) or (n or 0) < rules.min_messages:
            continue  # no messages in the latest observed week, or too few
        base = weeks[-1 - rules.baseline_weeks:-1]
        base_n = sum(w[2] or 0 for w in base)
        base_k = sum(w[3] or 0 for w in base)
        if base_n < rules.min_messages:
            continue
        rate, base_rate = k / n, base_k / base_n
        low, high = wilson(k, n)
        if base_rate - rate >= rules.rate_drop and high < base_rate:
            alerts.append(Alert(
                "rate_drop", platform, author,
                f"response rate {rate:.0%} ({low:.0%}-{high:.0%}) in week {period}, below "
                f"its baseline of {base_rate:.0%} over the {len(base)} weeks before",
                {"week": period, "messages": n, "answered": k, "rate": round(rate, 4),
                 "rate_ci_low": round(low, 4), "rate_ci_high": round(high, 4),
                 "baseline_weeks": len(base), "baseline_messages": base_n,
                 "baseline_rate": round(base_rate, 4), "window_hours": window}))
    return alerts


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval of k successes in n trials (statsmodels')."""
    from .change import wilson_bounds

    low, high = wilson_bounds([k], [n])
    return float(low[0]), float(high[0])


def _hours(h: float) -> str:
    return f"{h:,.0f} h" if h < 72 else f"{h / 24:,.1f} days"
