"""Template replies: near-identical answers sent to many messages, and answers that do not fit.

For every official account, its first responses (``responses.response_id``, every channel)
are grouped by text. Texts are compared after masking what a template fills in: the name
after a greeting ("Hi Vijay," -> "hi <name>,"), numbers, links and e-mail addresses, case
and spacing. Two texts are near-identical when the Jaccard similarity of their sets of
word 3-grams is at least ``SIMILARITY`` (0.7); each text joins the first group (in time
order) whose first text it is near-identical to. A group of at least ``MIN_TEMPLATE``
(3) responses is a template.

- ``reply_templates``: one row per response: its template (a number per account, empty
  when the text is its own), the template's size, and a mismatch, if any:
  ``positive_thanks_to_low_rating`` (a reply thanking for a positive review or a great
  experience, in English or Indonesian, to a review of one or two stars) and
  ``registered_without_follow_up`` (a reply saying the complaint was registered, with no
  later reply of the account to the message by observation end).
- ``template_use``: per account, responses, responses from templates, the template share,
  the number of templates, and the count of each mismatch.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .registry import Metric, MetricContext, register_metric

SIMILARITY = 0.7
MIN_TEMPLATE = 3
MAX_GROUPS = 500  # per account: texts beyond this many groups are compared to these only

_GREETING = re.compile(r"^\s*(hi|hello|halo|hai|dear|namaste)\b[^,\n!]{0,40}[,!\n]",
                       re.IGNORECASE)
_MASKS = [(re.compile(r"https?://\S+"), " <url> "), (re.compile(r"\S+@\S+\.\w+"), " <email> "),
          (re.compile(r"\d+"), "0"), (re.compile(r"@\w+"), " <handle> ")]
_WORD = re.compile(r"\w+|<\w+>")
POSITIVE_THANKS = re.compile(
    r"positive review|great experience|happy to know you had|glad you (?:like|enjoy)|"
    r"ulasan positif|penilaian positif|senang mengetahui", re.IGNORECASE)
REGISTERED = re.compile(r"complaint (?:has been |is )?registered|complaint no\b|"
                        r"grievance (?:has been )?registered|laporan (?:anda )?(?:telah )?diterima",
                        re.IGNORECASE)

TEMPLATE_COLUMNS = {
    "platform": "VARCHAR", "message_id": "VARCHAR", "official_author": "VARCHAR",
    "response_id": "VARCHAR", "template": "BIGINT", "template_size": "BIGINT",
    "mismatch": "VARCHAR",
}
USE_COLUMNS = {
    "platform": "VARCHAR", "official_author": "VARCHAR", "responses": "BIGINT",
    "template_responses": "BIGINT", "template_share": "DOUBLE", "templates": "BIGINT",
    "positive_thanks_to_low_rating": "BIGINT", "registered_without_follow_up": "BIGINT",
}

_RESPONSES = """
SELECT r.platform, r.message_id, r.official_author, r.response_id, r.rating,
       p.text, p.created_at,
       EXISTS (SELECT 1 FROM posts f WHERE f.platform = r.platform
               AND f.in_reply_to_post_id = r.message_id AND lower(f.author) = lower(r.official_author)
               AND f.created_at > p.created_at AND f.created_at <= $obs_end) AS followed_up
FROM responses r
JOIN posts p ON p.platform = r.platform AND p.post_id = r.response_id
WHERE NOT r.censored
ORDER BY r.platform, r.official_author, p.created_at, r.response_id
"""


def normalise(text: str) -> str:
    """The text with what a template fills in masked (greeting name, numbers, links)."""
    t = _GREETING.sub(lambda m: m.group(1).lower() + " <name>,", text or "", count=1)
    for pattern, repl in _MASKS:
        t = pattern.sub(repl, t)
    return " ".join(_WORD.findall(t.lower()))


def shingles(text: str) -> frozenset:
    words = text.split()
    if len(words) < 3:
        return frozenset([tuple(words)])
    return frozenset(zip(words, words[1:], words[2:], strict=False))


def group_texts(texts: list[str]) -> list[int]:
    """A group number per text: each text joins the first earlier group whose first text
    is near-identical (word 3-gram Jaccard >= SIMILARITY), else starts its own."""
    reps: list[frozenset] = []
    by_text: dict[str, int] = {}
    out = []
    for raw in texts:
        norm = normalise(raw)
        if norm in by_text:
            out.append(by_text[norm])
            continue
        s = shingles(norm)
        found = -1
        for g, rep in enumerate(reps):
            if min(len(s), len(rep)) < SIMILARITY * max(len(s), len(rep)):
                continue  # Jaccard is at most the ratio of the sizes
            inter = len(s & rep)
            if inter and inter / (len(s) + len(rep) - inter) >= SIMILARITY:
                found = g
                break
        if found < 0:
            found = len(reps)
            if len(reps) < MAX_GROUPS:
                reps.append(s)
        by_text[norm] = found
        out.append(found)
    return out


def template_tables(con, obs_end) -> tuple[pd.DataFrame, pd.DataFrame]:
    empty = (pd.DataFrame({c: [] for c in TEMPLATE_COLUMNS}),
             pd.DataFrame({c: [] for c in USE_COLUMNS}))
    if obs_end is None:
        return empty
    df = con.execute(_RESPONSES, {"obs_end": obs_end}).df()
    if df.empty:
        return empty
    # Texts are grouped per account (a Python loop over each account's replies); the
    # rest is done on all accounts' rows at once, in the accounts' sorted order.
    key = ["platform", "official_author"]
    positions, numbers = [], []
    for pos in df.groupby(key, sort=True).indices.values():
        positions.append(pos)
        numbers.append(group_texts(df["text"].iloc[pos].fillna("").tolist()))
    rows = df.iloc[np.concatenate(positions)].reset_index(drop=True)
    group = pd.Series(np.concatenate(numbers), index=rows.index)
    size = group.groupby([rows[k] for k in key] + [group]).transform("size")
    templated = size >= MIN_TEMPLATE
    rows["template"] = (group.where(templated).groupby([rows[k] for k in key])
                        .rank(method="dense").astype("Int64"))
    rows["template_size"] = size.where(templated).astype("Int64")
    text = rows["text"].fillna("")
    low = pd.to_numeric(rows["rating"], errors="coerce") <= 2
    mismatch = pd.Series(pd.NA, index=rows.index, dtype="object")
    mismatch[text.str.contains(REGISTERED) & ~rows["followed_up"].astype(bool)] = (
        "registered_without_follow_up")
    mismatch[low & text.str.contains(POSITIVE_THANKS)] = "positive_thanks_to_low_rating"
    rows["mismatch"] = mismatch
    by = rows.assign(
        positive_thanks_to_low_rating=(mismatch == "positive_thanks_to_low_rating")
        .fillna(False).astype("int64"),
        registered_without_follow_up=(mismatch == "registered_without_follow_up")
        .fillna(False).astype("int64"),
    ).groupby(key, sort=True)
    use = by.agg(
        responses=("response_id", "size"),
        template_responses=("template", "count"),
        templates=("template", "nunique"),
        positive_thanks_to_low_rating=("positive_thanks_to_low_rating", "sum"),
        registered_without_follow_up=("registered_without_follow_up", "sum"),
    ).reset_index()
    use["template_share"] = use["template_responses"] / use["responses"]
    return rows[list(TEMPLATE_COLUMNS)], use[list(USE_COLUMNS)]


@register_metric
class TemplateMetrics(Metric):
    name = "templates"
    description = "Template replies per account, and replies that do not fit their message"
    tables = {"reply_templates": TEMPLATE_COLUMNS, "template_use": USE_COLUMNS}

    def compute(self, ctx: MetricContext) -> dict[str, pd.DataFrame]:
        replies, use = template_tables(ctx.con, ctx.obs_end)
        return {"reply_templates": replies, "template_use": use}
