"""Checking a tag on your own posts: a blind, stratified coding sample and its score.

A tag's figures on the team's labelled sets (docs/evaluation.md) say how it does on
those sets; a newsroom or a ministry about to publish "ignores critical issues" needs
to know how it does on *their* accounts. :func:`draw_sample` draws posts from the
store in strata (one account or "the public" of one platform, crossed with whether
the tag is set), so that a few hundred hand-coded posts estimate precision and
recall on every post of those accounts. :func:`score` reads the coded sheet back
and estimates, with each post weighted by its stratum's size over the number coded
in it (the stratified estimator), precision, recall, specificity, balanced accuracy
and macro-F1, with percentile intervals from a bootstrap that resamples within
each stratum (a stratum coded whole is exact; the intervals leave out the finite
population correction, so they are a little wide where a stratum is mostly coded).

The coder must not see the tags: the sample is two files. The *sheet* (what the
coder fills in) holds the posts in a shuffled order without any tag; the *key*
(never opened while coding) holds each item's stratum, its size and the tag the
post had when it was drawn. ``score`` uses the key's tags, or the store's current
ones (after a new ``analyze``): the strata stay valid whatever the tags are now,
since each is a fixed set of posts drawn at random.

The sample holds officials' posts only unless the public's are asked for; a
public post's author and link are not written (the text is the public's
personal data, written only when asked for).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from govwatch.errors import InputError, UsageError

TAGS = ("critical", "needs_response", "deflection")
SHEET_COLUMNS = ("item", "platform", "post_id", "account", "created_at", "url", "text",
                 "label", "note")
KEY_COLUMNS = ("item", "platform", "post_id", "stratum", "stratum_posts", "stratum_drawn",
               "tag", "tag_at_draw", "model_version", "seed")
PUBLIC = "public"
OFFICIALS = "officials"
TAGGED, UNTAGGED = "tagged", "untagged"
_YES = {"1", "yes", "y", "true", "t"}
_NO = {"0", "no", "n", "false", "f"}


def key_path(sheet: str | Path) -> Path:
    """Where the key of ``sheet`` lives: ``coding.csv`` -> ``coding.key.csv``."""
    sheet = Path(sheet)
    return sheet.with_name(f"{sheet.stem}.key{sheet.suffix or '.csv'}")


# -- drawing ---------------------------------------------------------------------------


@dataclass
class Sample:
    """A drawn sample: ``sheet`` and ``key`` rows (dicts keyed by their columns), and
    each stratum's (posts, drawn)."""

    sheet: list[dict]
    key: list[dict]
    strata: dict[str, tuple[int, int]]
    model_versions: list[str]


def draw_sample(con, tag: str = "critical", per_stratum: int = 100, seed: int = 0,
                accounts: list[tuple[str, str]] | None = None,
                include_public: bool = False, by_account: bool = True) -> Sample:
    """Up to ``per_stratum`` posts at random from each stratum (an official account, or
    the public of a platform when ``include_public``; crossed with ``tag`` set or not)
    of the tagged posts with a text; without ``by_account``, the officials' posts make
    one pair of strata (and the public's another). Direct messages are left out. The
    same store, arguments and ``seed`` draw the same sample."""
    if tag not in TAGS:
        raise UsageError(f"--tag must be one of {', '.join(TAGS)}, not {tag!r}")
    if per_stratum < 1:
        raise UsageError("--per-stratum must be at least 1")
    from govwatch.schema import is_private_sql

    tagged = con.execute("SELECT count(*) FROM tags").fetchone()[0]
    if not tagged:
        raise UsageError("no post in the store is tagged: run 'govwatch analyze' first")
    params: list = []
    scope = "official"
    if accounts:
        wanted = []
        for platform, author in accounts:
            if not con.execute("SELECT count(*) FROM accounts WHERE official AND platform = ? "
                               "AND lower(author) = lower(?)", [platform, author]).fetchone()[0]:
                raise UsageError(f"no official account {platform}:{author} in the store")
            wanted.append("(official AND platform = ? AND lower(author) = lower(?))")
            params += [platform, author]
        scope = "(" + " OR ".join(wanted) + ")"
    if include_public:
        scope = f"({scope} OR NOT official)"
    group = ("CASE WHEN official THEN platform || ':' || author "
             f"ELSE platform || ':{PUBLIC}' END" if by_account
             else f"CASE WHEN official THEN '{OFFICIALS}' ELSE '{PUBLIC}' END")
    rows = con.execute(
        f"""
        WITH posts_of AS (
            SELECT p.platform, p.post_id, p.author, p.created_at, p.text, p.url,
                   coalesce(t.{tag}, false) AS tag_set, t.model_version,
                   EXISTS (SELECT 1 FROM accounts a WHERE a.official AND a.platform = p.platform
                           AND lower(a.author) = lower(p.author)) AS official
            FROM posts p
            JOIN tags t USING (platform, post_id)
            WHERE coalesce(trim(p.text), '') <> '' AND NOT {is_private_sql('p')}
        ), pool AS (
            SELECT platform, post_id, created_at, text, tag_set, model_version,
                   CASE WHEN official THEN author END AS account,
                   CASE WHEN official THEN url END AS url,
                   {group}
                   || '|' || CASE WHEN tag_set THEN '{TAGGED}' ELSE '{UNTAGGED}' END AS stratum
            FROM posts_of WHERE {scope}
        ), ranked AS (
            SELECT *, count(*) OVER (PARTITION BY stratum) AS stratum_posts,
                   row_number() OVER (PARTITION BY stratum
                                      ORDER BY hash(platform, post_id, ?::BIGINT), post_id) AS r
            FROM pool
        )
        SELECT platform, post_id, account, created_at, url, text, tag_set, model_version,
               stratum, stratum_posts, least(stratum_posts, ?) AS stratum_drawn
        FROM ranked WHERE r <= ?
        ORDER BY hash(post_id, platform, ?::BIGINT + 1), platform, post_id
        """, [*params, seed, per_stratum, per_stratum, seed]).fetchall()
    if not rows:
        raise UsageError("no post with a text in the accounts asked for: nothing to sample")
    sheet, key, strata, versions = [], [], {}, set()
    width = len(str(len(rows)))
    for i, (platform, post_id, account, created, url, text, tag_set, version, stratum,
            posts, drawn) in enumerate(rows, 1):
        item = f"A{i:0{width}d}"
        sheet.append({"item": item, "platform": platform, "post_id": post_id,
                      "account": account or "", "created_at": created.isoformat(),
                      "url": url or "", "text": text, "label": "", "note": ""})
        key.append({"item": item, "platform": platform, "post_id": post_id,
                    "stratum": stratum, "stratum_posts": posts, "stratum_drawn": drawn,
                    "tag": tag, "tag_at_draw": int(bool(tag_set)),
                    "model_version": version or "", "seed": seed})
        strata[stratum] = (int(posts), int(drawn))
        versions.add(version or "")
    return Sample(sheet, key, dict(sorted(strata.items())), sorted(versions))


def csv_text(rows: list[dict], columns: tuple[str, ...], raw: bool = False) -> str:
    """``rows`` as CSV text; cells a spreadsheet would run as a formula get an
    apostrophe in front (govwatch.spreadsheet) unless ``raw``."""
    from govwatch.spreadsheet import cell

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow(row if raw else {k: cell(v) for k, v in row.items()})
    return buf.getvalue()


# -- scoring ---------------------------------------------------------------------------


def _read_csv(path: Path, what: str, needed: tuple[str, ...]) -> list[tuple[int, dict]]:
    from govwatch.errors import read_text

    text = read_text(path, what)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in needed if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(path, f"the {what} has no column {', '.join(missing)}", "line 1")
    out = []
    try:
        for row in reader:
            out.append((reader.line_num, row))
    except csv.Error as exc:
        raise InputError(path, f"not a readable CSV: {exc}", f"line {reader.line_num}") from None
    return out


def _label(value: str | None, path: Path, line: int) -> bool | None:
    v = (value or "").strip().lstrip("'").lower()
    if not v:
        return None
    if v in _YES:
        return True
    if v in _NO:
        return False
    raise InputError(path, f"label {value!r} is not 1 or 0 (yes/no, true/false; blank = not "
                           "coded)", f"line {line}")


@dataclass
class Coded:
    """The coded items joined with their key: one entry per coded item."""

    stratum: list[str]
    truth: np.ndarray
    pred: np.ndarray
    strata: dict[str, tuple[int, int]]  # stratum -> (posts, drawn)
    skipped: int = 0
    items: list[str] = field(default_factory=list)
    tag: str = "critical"


def read_coded(sheet: str | Path, key: str | Path | None = None,
               current: dict[tuple[str, str], bool] | None = None) -> Coded:
    """The coded sheet joined with its key. ``current`` maps (platform, post_id) to the
    store's tag now; without it the tag at the draw is scored."""
    sheet, key = Path(sheet), Path(key) if key else key_path(sheet)
    rows = _read_csv(sheet, "coding sheet", ("item", "label"))
    if not key.exists():
        raise InputError(key, "the key of the coding sheet is not there (it is written beside "
                              "the sheet by 'govwatch audit sample'; name it with --key)")
    keyed: dict[str, dict] = {}
    for line, row in _read_csv(key, "sample key", KEY_COLUMNS):
        try:
            row["stratum_posts"] = int(row["stratum_posts"])
            row["stratum_drawn"] = int(row["stratum_drawn"])
            row["tag_at_draw"] = _label(row["tag_at_draw"], key, line)
        except ValueError:
            raise InputError(key, "stratum_posts and stratum_drawn must be whole numbers",
                             f"line {line}") from None
        if row["tag_at_draw"] is None:
            raise InputError(key, "tag_at_draw is empty", f"line {line}")
        keyed[row["item"]] = row
    tags = {r["tag"] for r in keyed.values()}
    if not tags <= set(TAGS):
        raise InputError(key, f"the key names a tag that is not one of {', '.join(TAGS)}")
    if len(tags) != 1:
        raise InputError(key, f"the key mixes tags ({', '.join(sorted(tags))}): one sample "
                              "audits one tag")
    strata: dict[str, tuple[int, int]] = {}
    for r in keyed.values():
        strata[r["stratum"]] = (r["stratum_posts"], r["stratum_drawn"])
    stratum, truth, pred, items, seen, skipped = [], [], [], [], set(), 0
    for line, row in rows:
        item = (row.get("item") or "").strip()
        if item not in keyed:
            raise InputError(sheet, f"item {item!r} is not in the key {key.name}", f"line {line}")
        if item in seen:
            raise InputError(sheet, f"item {item!r} is on the sheet twice", f"line {line}")
        seen.add(item)
        label = _label(row.get("label"), sheet, line)
        if label is None:
            skipped += 1
            continue
        k = keyed[item]
        if current is not None:
            if (k["platform"], k["post_id"]) not in current:
                raise InputError(sheet, f"post {k['platform']}:{k['post_id']} of item {item} is "
                                        "no longer tagged in the store", f"line {line}")
            tag_now = current[(k["platform"], k["post_id"])]
        else:
            tag_now = k["tag_at_draw"]
        stratum.append(k["stratum"])
        truth.append(label)
        pred.append(bool(tag_now))
        items.append(item)
    if not truth:
        raise InputError(sheet, "no item is coded yet: fill the label column (1 or 0)")
    return Coded(stratum, np.array(truth, bool), np.array(pred, bool), strata, skipped, items,
                 tags.pop())


def _figures(tp, fp, fn, tn) -> dict:
    """The measures from (estimated) cell totals; arrays or floats; NaN where undefined."""
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = tp / (tp + fp)
        recall = tp / (tp + fn)
        specificity = tn / (tn + fp)
        npv = tn / (tn + fn)
        f1 = 2 * precision * recall / (precision + recall)
        f1_neg = 2 * npv * specificity / (npv + specificity)
        return {"precision": precision, "recall": recall, "specificity": specificity,
                "balanced_accuracy": (recall + specificity) / 2,
                "macro_f1": (f1 + f1_neg) / 2, "f1": f1,
                "prevalence": (tp + fn) / (tp + fp + fn + tn)}


def _cells(truth, pred) -> np.ndarray:
    """Per item, the index of its cell: 0 tp, 1 fp, 2 fn, 3 tn."""
    return np.where(truth, np.where(pred, 0, 2), np.where(pred, 1, 3))


def estimate(coded: Coded, replicates: int = 2000, seed: int = 0,
             level: float = 0.95) -> dict:
    """Stratified estimates of the tag's measures over every post of the coded strata,
    with percentile bootstrap intervals (resampling items within each stratum)."""
    strata = np.array(coded.stratum)
    cells = _cells(coded.truth, coded.pred)
    rng = np.random.default_rng(seed)
    point = np.zeros(4)
    boot = np.zeros((replicates, 4))
    uncoded = []
    for name, (posts, _drawn) in coded.strata.items():
        idx = np.flatnonzero(strata == name)
        if not len(idx):
            uncoded.append(name)
            continue
        w = posts / len(idx)
        point += w * np.bincount(cells[idx], minlength=4)
        if len(idx) >= posts:  # every post of the stratum coded: no sampling error
            boot += w * np.bincount(cells[idx], minlength=4)
            continue
        draws = cells[idx][rng.integers(0, len(idx), size=(replicates, len(idx)))]
        for c in range(4):
            boot[:, c] += w * (draws == c).sum(axis=1)
    est = _figures(*point)
    reps = _figures(*boot.T)
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    out = {}
    for name, value in est.items():
        r = reps[name][~np.isnan(reps[name])]
        out[name] = {
            "estimate": None if np.isnan(value) else round(float(value), 4),
            "low": round(float(np.percentile(r, lo)), 4) if len(r) and not np.isnan(value) else None,
            "high": round(float(np.percentile(r, hi)), 4) if len(r) and not np.isnan(value) else None,
        }
    covered = sum(p for n, (p, _) in coded.strata.items() if n not in uncoded)
    return {"measures": out, "coded": int(len(cells)),
            "coded_positive": int(coded.truth.sum()),
            "cells": dict(zip(("tp", "fp", "fn", "tn"), map(int, np.bincount(cells, minlength=4)),
                              strict=True)),
            "posts": int(covered), "uncoded_strata": uncoded,
            "replicates": replicates, "level": level}


def group_of(stratum: str) -> str:
    """The account (or platform's public) part of a stratum name."""
    return stratum.rpartition("|")[0]


def score(coded: Coded, replicates: int = 2000, seed: int = 0) -> dict:
    """Pooled and per-account estimates, each stratum's counts, and the items whose code
    and tag disagree (ids only)."""
    groups = sorted({group_of(s) for s in coded.strata})
    per_group = {}
    for g in groups:
        keep = np.array([group_of(s) == g for s in coded.stratum], bool)
        sub = Coded([s for s, k in zip(coded.stratum, keep, strict=True) if k],
                    coded.truth[keep], coded.pred[keep],
                    {s: v for s, v in coded.strata.items() if group_of(s) == g})
        per_group[g] = (estimate(sub, replicates, seed) if keep.any()
                        else {"coded": 0, "posts": 0, "uncoded_strata": list(sub.strata)})
    strata = {}
    for name, (posts, drawn) in coded.strata.items():
        mask = np.array([s == name for s in coded.stratum], bool)
        strata[name] = {"posts": posts, "drawn": drawn, "coded": int(mask.sum()),
                        "coded_positive": int(coded.truth[mask].sum())}
    return {"tag": coded.tag, "pooled": estimate(coded, replicates, seed),
            "accounts": per_group if len(groups) > 1 else {},
            "strata": strata, "not_coded": coded.skipped,
            "disagreements": {
                "tagged_not_coded": [i for i, t, p in zip(coded.items, coded.truth, coded.pred,
                                                          strict=True) if p and not t],
                "coded_not_tagged": [i for i, t, p in zip(coded.items, coded.truth, coded.pred,
                                                          strict=True) if t and not p]}}
