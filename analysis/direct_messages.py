"""Direct messages: their responses, stored once, and where a public "DM us" led.

- ``dm_responses``: the rows ``responses`` would hold for direct messages (channel
  ``direct_message``), linked by the same definitions (analysis/replies.py,
  :func:`~govwatch.analysis.replies.dm_responses`): a counterpart's message and the
  account's first message after it in the same conversation, censored at the observation
  end. DMs are the account's own data: this table is read only for their aggregate
  (``channel_metrics``, ``dm_followthrough``) and by ``govwatch export --include-dms``;
  the dashboard never reads it.
- ``dm_followthrough``: per official account, its public first responses that send the
  citizen to a private channel (tagged ``deflection`` and naming direct messages in one of
  the taxonomy's languages, :data:`DM_TERMS`), and what followed where the account's DMs
  are in the store: did the same citizen write to the account by DM within the response
  window W after the deflection (``followed``), did the account answer that first DM
  (``answered``), and how fast: the Kaplan-Meier median from the citizen's DM to the
  account's answer and from the public message to that answer, both censored at the
  observation end. The citizen is the same when the DM counterpart is the public
  message's author (handle, case-insensitive) or its author id (X's DM files name
  counterparts by numeric id). Aggregates only: no text, no handle.

Where an account has no DMs in the store, ``dms_in_store`` is false and the follow-through
columns are empty: a DM conversation that is not in the store is unknown, not absent.
"""

from __future__ import annotations

import pandas as pd

from govwatch.config import DEFAULT_WINDOW_HOURS
from govwatch.schema import TABLES

from .quality import has_column
from .registry import Metric, MetricContext, register_metric
from .replies import dm_responses
from .survival import km_median_of
from .taxonomy import TermMatcher

# The deflection terms of analysis/data/taxonomy.yaml that name a private channel, per
# language (tests check each is one of the taxonomy's deflection terms).
DM_TERMS: dict[str, tuple[str, ...]] = {
    "en": ("dm", "dm us", "dm me", "dm your", "please dm", "kindly dm", "send us a dm",
           "send a dm", "via dm", "in dm", "through dm", "direct message", "private message",
           "inbox us", "inbox", "message us", "secure chat", "private link", "secured link",
           "private secured link", "secure one on one chat"),
    "hi": ("डीएम करें", "डीएम", "डायरेक्ट मैसेज"),
    "hi-Latn": ("dm kare*", "dm kijiye", "dm karo"),
    "id": ("dm kami", "via dm", "melalui dm", "kirim dm", "lewat dm", "pesan langsung",
           "dm ya", "silakan dm", "inbox"),
    "ru": ("напишите в личные сообщения", "в личные сообщения", "личные сообщения", "в лс",
           "в личку", "в директ"),
    "kk": ("жеке хабарлама*", "жеке хатқа", "директке"),
}

DM_RESPONSE_COLUMNS = dict(TABLES["responses"])
FOLLOW_COLUMNS = {
    "platform": "VARCHAR", "official_author": "VARCHAR", "dm_deflections": "BIGINT",
    "dms_in_store": "BOOLEAN", "followed": "BIGINT", "followed_share": "DOUBLE",
    "answered": "BIGINT", "answered_share": "DOUBLE", "window_hours": "DOUBLE",
    "dm_km_median_hours": "DOUBLE", "dm_km_median_reached": "BOOLEAN",
    "end_to_end_km_median_hours": "DOUBLE", "end_to_end_km_median_reached": "BOOLEAN",
}
FOLLOW_MEANINGS = {
    "platform": "Platform of the official account",
    "official_author": "Official account (in clear)",
    "dm_deflections": "Public first responses that send the citizen to direct messages "
                      "(tagged deflection, naming a private channel)",
    "dms_in_store": "The account's direct messages are in the store (else follow-through is unknown)",
    "followed": "Deflections after which the same citizen wrote to the account by DM within window_hours",
    "followed_share": "followed / dm_deflections",
    "answered": "Followed deflections whose citizen's first DM the account answered (by observation end)",
    "answered_share": "answered / followed",
    "window_hours": "The response window W: how long after a deflection a citizen's DM counts",
    "dm_km_median_hours": "Kaplan-Meier median hours from the citizen's DM to the account's DM answer (censored at observation end)",
    "dm_km_median_reached": "False when under half of the followed DMs were answered (the median is a lower bound)",
    "end_to_end_km_median_hours": "Kaplan-Meier median hours from the public message to the account's DM answer",
    "end_to_end_km_median_reached": "False when under half were answered",
}

_DEFLECTIONS = """
SELECT r.platform, r.official_author, r.message_id, r.message_author,
       m.author_id AS message_author_id, r.message_created_at, r.response_created_at,
       p.text AS response_text
FROM responses r
JOIN posts p ON p.platform = r.platform AND p.post_id = r.response_id
JOIN posts m ON m.platform = r.platform AND m.post_id = r.message_id
JOIN tags t ON t.platform = r.platform AND t.post_id = r.response_id
WHERE NOT r.censored AND t.deflection
ORDER BY r.platform, r.official_author, r.message_created_at, r.message_id
"""

# The citizen's first DM to the account within the window after the deflection.
_FOLLOW = """
SELECT d.platform, d.official_author, d.message_id, d.message_created_at,
       x.message_created_at AS dm_at, x.censored AS dm_censored,
       x.latency_hours AS dm_hours, x.observed_hours AS dm_observed_hours,
       x.response_created_at AS dm_answer_at
FROM _gw_deflections d
JOIN {dms} x ON x.platform = d.platform
     AND lower(x.official_author) = lower(d.official_author)
     AND (lower(x.message_author) = lower(d.message_author)
          OR x.message_author = d.message_author_id)
WHERE x.message_created_at > d.response_created_at
  AND x.message_created_at <= d.response_created_at + to_microseconds(CAST($window AS BIGINT))
QUALIFY row_number() OVER (PARTITION BY d.platform, d.official_author, d.message_id
                           ORDER BY x.message_created_at, x.message_id) = 1
"""


def dm_deflection_matcher() -> TermMatcher:
    return TermMatcher({"dm": [t for terms in DM_TERMS.values() for t in terms]})


def _km(durations: list[float], events: list[bool]) -> tuple[float | None, bool | None]:
    if not durations:
        return None, None
    median, _ = km_median_of(durations, events)
    return median, median is not None


def followthrough(con, obs_end, window_hours: float, dms: str = "dm_responses"
                  ) -> pd.DataFrame:
    """Rows of ``dm_followthrough``; ``dms`` names the relation of the DM response rows."""
    empty = pd.DataFrame({c: [] for c in FOLLOW_COLUMNS})
    if obs_end is None or not has_column(con, "tags", "deflection"):
        return empty
    found = con.execute(_DEFLECTIONS).df()
    if found.empty:
        return empty
    hits = dm_deflection_matcher().counts(found["response_text"].fillna("").tolist())
    found = found[hits[:, 0] > 0].drop(columns="response_text")
    if found.empty:
        return empty
    with_dms = {(p, a.lower()) for p, a in con.execute(
        f"SELECT DISTINCT platform, official_author FROM {dms}").fetchall()}
    con.register("_gw_deflections", found)
    try:
        follow = con.execute(_FOLLOW.format(dms=dms),
                             {"window": int(window_hours * 3600 * 1e6)}).df()
    finally:
        con.unregister("_gw_deflections")
    rows = []
    for (platform, author), g in found.groupby(["platform", "official_author"], sort=True):
        row = dict.fromkeys(FOLLOW_COLUMNS)
        row.update(platform=platform, official_author=author, dm_deflections=len(g),
                   window_hours=window_hours,
                   dms_in_store=(platform, author.lower()) in with_dms)
        if row["dms_in_store"]:
            f = follow[(follow.platform == platform) & (follow.official_author == author)]
            answered = ~f["dm_censored"].astype(bool)
            row.update(followed=len(f), followed_share=len(f) / len(g),
                       answered=int(answered.sum()),
                       answered_share=float(answered.mean()) if len(f) else None)
            dm = f["dm_hours"].where(answered, f["dm_observed_hours"]).astype(float)
            row["dm_km_median_hours"], row["dm_km_median_reached"] = _km(
                dm.clip(lower=0).tolist(), answered.tolist())
            end = pd.to_datetime(f["dm_answer_at"], utc=True).where(
                answered, pd.Timestamp(obs_end).tz_convert("UTC"))
            total = (end - pd.to_datetime(f["message_created_at"], utc=True)
                     ).dt.total_seconds() / 3600
            row["end_to_end_km_median_hours"], row["end_to_end_km_median_reached"] = _km(
                total.clip(lower=0).tolist(), answered.tolist())
        rows.append(row)
    return pd.DataFrame(rows, columns=list(FOLLOW_COLUMNS))


@register_metric
class DirectMessages(Metric):
    name = "direct_messages"
    description = ("Direct messages' responses (private: aggregates and opt-in exports only), "
                   "and what followed a public 'DM us'")
    tables = {"dm_responses": DM_RESPONSE_COLUMNS, "dm_followthrough": FOLLOW_COLUMNS}
    column_meanings = {"dm_followthrough": FOLLOW_MEANINGS}
    table_descriptions = {"dm_responses": "direct messages and their responses (private)",
                          "dm_followthrough": "what followed a public 'DM us'"}

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        if ctx.obs_end is None:
            return {t: pd.DataFrame({c: [] for c in cols}) for t, cols in self.tables.items()}
        dms = dm_responses(ctx.con, ctx.obs_end)[list(DM_RESPONSE_COLUMNS)]
        window = float(getattr(ctx.settings, "window_hours", DEFAULT_WINDOW_HOURS))
        ctx.con.register("_gw_dm_rows", dms)  # the table is written after compute returns
        try:
            follow = followthrough(ctx.con, ctx.obs_end, window, "_gw_dm_rows")
        finally:
            ctx.con.unregister("_gw_dm_rows")
        return {"dm_responses": dms, "dm_followthrough": follow}
