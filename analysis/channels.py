"""Figures per channel, and the two latencies of a complaint ticket.

- ``ticket_resolutions``: one row per complaint ticket (responses.channel =
  ``complaint_ticket``) with its *response* (the agency's first public status note or
  acknowledgement, as in ``responses``) and its *resolution* (the first closure the
  ticket system recorded: a reply of the agency marked ``closed`` in
  message_attributes). Both latencies are in hours and right-censored at observation end
  (``observed_hours``) when missing; never dropped. ``flag`` carries the reader's
  data-quality flag (``bulk_update``: the closure time is a bulk update of many old
  tickets, see ingest/tickets.py).
- ``channel_metrics``: per official account and channel (public_reply, comment, review,
  complaint_ticket, direct_message): messages, answered, the response rate within the
  window W, the Kaplan-Meier median latency; for tickets the resolved count and the KM
  median time to resolution; reviews whose reply predates them (the review was edited
  after the reply) and tickets flagged ``bulk_update``, counted apart. Direct messages
  are private: ``responses`` never holds them; they are linked by the same definitions
  (analysis/replies.py) into ``dm_responses`` (analysis/direct_messages.py) and appear
  only as these aggregate rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govwatch.config import DEFAULT_WINDOW_HOURS

from .registry import Metric, MetricContext, register_metric
from .survival import km_median_of

_RESOLUTIONS = """
WITH tickets AS (
    SELECT r.* FROM responses r WHERE r.channel = 'complaint_ticket'
),
closures AS (
    SELECT t.platform, t.message_id, t.official_author, p.post_id, p.created_at
    FROM tickets t
    JOIN posts p ON p.platform = t.platform AND p.in_reply_to_post_id = t.message_id
         AND lower(p.author) = lower(t.official_author)
    JOIN message_attributes a ON a.platform = p.platform AND a.post_id = p.post_id
    WHERE a.status = 'closed' AND p.created_at > t.message_created_at
      AND p.created_at <= $obs_end
    QUALIFY row_number() OVER (PARTITION BY t.platform, t.message_id, t.official_author
                               ORDER BY p.created_at, p.post_id) = 1
)
SELECT t.platform, t.message_id, t.official_author, a.category, t.message_created_at,
       t.response_id, t.response_created_at, t.latency_hours AS response_hours,
       t.censored AS response_censored,
       c.post_id AS resolution_id, c.created_at AS resolution_created_at,
       epoch(c.created_at - t.message_created_at) / 3600.0 AS resolution_hours,
       c.post_id IS NULL AS resolution_censored, t.observed_hours, a.flag
FROM tickets t
LEFT JOIN closures c USING (platform, message_id, official_author)
LEFT JOIN message_attributes a ON a.platform = t.platform AND a.post_id = t.message_id
ORDER BY t.platform, t.official_author, t.message_created_at, t.message_id
"""

# Messages kept out of ``responses`` or flagged, per addressed account and channel.
_APART = """
SELECT p.platform, p.in_reply_to_author AS official_author, a.channel,
       count(*) FILTER (WHERE a.flag = 'reply_predates_message') AS reply_predates_message,
       count(*) FILTER (WHERE a.flag = 'bulk_update') AS bulk_update
FROM message_attributes a
JOIN posts p ON p.platform = a.platform AND p.post_id = a.post_id
JOIN accounts o ON o.official AND o.platform = p.platform
     AND lower(o.author) = lower(p.in_reply_to_author)
WHERE a.flag IS NOT NULL AND p.in_reply_to_post_id IS NULL
GROUP BY ALL
"""

RESOLUTION_COLUMNS = {
    "platform": "VARCHAR", "message_id": "VARCHAR", "official_author": "VARCHAR",
    "category": "VARCHAR", "message_created_at": "TIMESTAMP WITH TIME ZONE",
    "response_id": "VARCHAR", "response_created_at": "TIMESTAMP WITH TIME ZONE",
    "response_hours": "DOUBLE", "response_censored": "BOOLEAN", "resolution_id": "VARCHAR",
    "resolution_created_at": "TIMESTAMP WITH TIME ZONE", "resolution_hours": "DOUBLE",
    "resolution_censored": "BOOLEAN", "observed_hours": "DOUBLE", "flag": "VARCHAR",
}
CHANNEL_COLUMNS = {
    "platform": "VARCHAR", "official_author": "VARCHAR", "channel": "VARCHAR",
    "messages": "BIGINT", "answered": "BIGINT", "window_hours": "DOUBLE",
    "observed_window": "BIGINT", "answered_window": "BIGINT",
    "answered_rate_window": "DOUBLE", "km_median_hours": "DOUBLE",
    "km_median_reached": "BOOLEAN", "max_followup_hours": "DOUBLE", "resolved": "BIGINT",
    "resolution_km_median_hours": "DOUBLE", "resolution_km_median_reached": "BOOLEAN",
    "reply_predates_message": "BIGINT", "bulk_update": "BIGINT",
}


def _durations(frame: pd.DataFrame, hours: str, censored: str) -> tuple[list, list]:
    done = ~frame[censored].astype(bool)
    d = frame[hours].where(done, frame["observed_hours"]).astype(float).clip(lower=0.0)
    return d.tolist(), done.tolist()


@register_metric
class ChannelMetrics(Metric):
    name = "channels"
    description = "Response and resolution of complaint tickets; figures per account and channel"
    tables = {"ticket_resolutions": RESOLUTION_COLUMNS, "channel_metrics": CHANNEL_COLUMNS}
    requires = ("direct_messages",)

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        con = ctx.con
        window = float(getattr(ctx.settings, "window_hours", DEFAULT_WINDOW_HOURS))
        empty = {t: pd.DataFrame({c: [] for c in cols}) for t, cols in self.tables.items()}
        if ctx.obs_end is None:
            return empty
        res = con.execute(_RESOLUTIONS, {"obs_end": ctx.obs_end}).df()
        cols = ["platform", "official_author", "channel", "latency_hours", "censored",
                "observed_hours"]
        resp = con.execute(f"SELECT {', '.join(cols)} FROM responses").df()
        dms = con.execute(  # private: counted here in aggregate only
            f"SELECT {', '.join(cols)} FROM dm_responses").df()
        resp = pd.concat([resp, dms], ignore_index=True) if len(dms) else resp
        apart = con.execute(_APART).df()
        key = ["platform", "official_author", "channel"]
        # One account and channel's rows are positions into whole-frame arrays: a
        # pandas frame per group cost more than the figures themselves.
        by_key = resp.groupby(key, sort=False).indices
        done_all = ~resp["censored"].astype(bool).to_numpy()
        latency_all = resp["latency_hours"].astype(float).to_numpy()
        observed_all = resp["observed_hours"].astype(float).to_numpy()
        # the duration: the latency when answered, else the time observed, at least 0
        duration_all = np.maximum(np.where(done_all, latency_all, observed_all), 0.0)
        tickets = {k: g for k, g in res.groupby(["platform", "official_author"], sort=False)}
        apart_by = {k: g for k, g in apart.groupby(key, sort=False)}
        none = np.empty(0, dtype=np.int64)
        rows = []
        for platform, author, channel in sorted(set(by_key) | set(apart_by)):
            at = by_key.get((platform, author, channel), none)
            done = done_all[at]
            median, followup = km_median_of(duration_all[at], done)
            in_window = observed_all[at] >= window
            observed_n = int(in_window.sum())
            answered_w = int((in_window & done & (latency_all[at] <= window)).sum())
            row = {"platform": platform, "official_author": author, "channel": channel,
                   "messages": len(at), "answered": int(done.sum()),
                   "window_hours": window, "observed_window": observed_n,
                   "answered_window": answered_w,
                   "answered_rate_window": answered_w / observed_n if observed_n else None,
                   "km_median_hours": median,
                   "km_median_reached": (median is not None) if len(at) else None,
                   "max_followup_hours": followup if len(at) else None,
                   "resolved": None, "resolution_km_median_hours": None,
                   "resolution_km_median_reached": None}
            if channel == "complaint_ticket":
                t = tickets.get((platform, author), res.iloc[0:0])
                r_median, _ = km_median_of(*_durations(t, "resolution_hours",
                                                       "resolution_censored"))
                row.update(resolved=int((~t.resolution_censored.astype(bool)).sum()),
                           resolution_km_median_hours=r_median,
                           resolution_km_median_reached=(r_median is not None) if len(t)
                           else None)
            a = apart_by.get((platform, author, channel))
            row["reply_predates_message"] = 0 if a is None else int(a.reply_predates_message.sum())
            row["bulk_update"] = 0 if a is None else int(a.bulk_update.sum())
            rows.append(row)
        metrics = pd.DataFrame(rows, columns=list(CHANNEL_COLUMNS)) if rows else empty[
            "channel_metrics"]
        return {"ticket_resolutions": res[list(RESOLUTION_COLUMNS)] if len(res) else empty[
            "ticket_resolutions"], "channel_metrics": metrics}
