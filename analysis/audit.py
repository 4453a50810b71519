"""Checking a tag on your own posts: a blind, stratified coding sample and its score.

A tag's figures on the team's labelled sets (docs/evaluation.md) say how it does on
those sets; a newsroom or a ministry about to publish "ignores critical issues" needs
to know how it does on *their* accounts. :func:`draw_sample` draws posts from the
store in strata (one account or "the public" of one platform, crossed with whether
the tag is set), so that a few hundred hand-coded posts estimate precision and
recall on every post of those accounts. :func:`score` reads the coded sheet back
and estimates, with each post weighted by its stratum's size over the number coded
in it (the stratified estimator), precision, recall, specificity, balanced accuracy
and macro-F1, with 95% intervals from draws of each stratum's cell shares (a
Dirichlet of its coded counts with the Jeffreys prior, so a stratum where nobody
coded a 1 still carries its uncertainty; a stratum coded whole is exact). A measure
that rests on a stratum with nothing coded is not given.

The coder must not see the tags: the sample is two files. The *sheet* (what the
coder fills in) holds the posts in a shuffled order without any tag; the *key*
(never opened while coding) holds each item's stratum, its size and the tag the
post had when it was drawn. ``score`` uses the key's tags, or the store's current
ones (after a new ``analyze``): the strata stay valid whatever the tags are now,
since each is a fixed set of posts drawn at random.

The sample holds officials' posts only unless the public's are asked for; a
public post's author, id and link are not written on the sheet (the text is the public's
personal data, written only when asked for).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from govwatch.errors import InputError, UsageError

TAGS = ("critical", "needs_response", "deflection")
SHEET_COLUMNS = ("sample", "item", "platform", "post_id", "account", "created_at", "url", "text",
                 "label", "note")
KEY_COLUMNS = ("sample", "item", "platform", "post_id", "stratum", "stratum_posts",
               "stratum_drawn", "tag", "tag_at_draw", "model_version", "seed")
PUBLIC = "public"
OFFICIALS = "officials"
TAGGED, UNTAGGED = "tagged", "untagged"


def key_path(sheet: str | Path) -> Path:
    """Where the key of ``sheet`` lives: ``coding.csv`` -> ``coding.key.csv``."""
    sheet = Path(sheet)
    return sheet.with_name(f"{sheet.stem}.key{sheet.suffix or '.csv'}")


# -- drawing ---------------------------------------------------------------------------


def _sample_id(key: list[dict]) -> str:
    """An id of a drawn sample, the same for the same draw: what ties a sheet to its key."""
    import hashlib

    h = hashlib.sha256()
    for k in key:
        h.update(f"{k['item']}|{k['platform']}|{k['post_id']}|{k['stratum']}\n".encode())
    return h.hexdigest()[:12]


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
    """Up to ``per_stratum`` posts at random from each stratum of the tagged posts with
    a text: an official account, or the public of a platform when ``include_public``
    (every post of an author not listed as official, or with ``accounts`` the messages
    analysis linked to those accounts), crossed with ``tag`` set or not. Without
    ``by_account`` the officials' posts make one pair of strata and the public's
    another. Direct messages are left out. The same store, arguments and ``seed``
    draw the same sample."""
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
            wanted.append("(official AND platform = ? AND lower(account) = lower(?))")
            params += [platform, author]
        scope = "(" + " OR ".join(wanted) + ")"
    if include_public and accounts:
        # the public's messages to those accounts (what analysis linked to them)
        addressed = " OR ".join(["(r.platform = ? AND lower(r.official_author) = lower(?))"]
                                * len(accounts))
        scope = (f"({scope} OR (NOT official AND EXISTS (SELECT 1 FROM responses r "
                 f"WHERE r.platform = posts_of.platform AND r.message_id = posts_of.post_id "
                 f"AND ({addressed}))))")
        params += [v for account in accounts for v in account]
    elif include_public:
        scope = f"({scope} OR NOT official)"
    group = ("CASE WHEN official THEN platform || ':' || account "
             f"ELSE platform || ':{PUBLIC}' END" if by_account
             else f"CASE WHEN official THEN '{OFFICIALS}' ELSE '{PUBLIC}' END")
    # The account as the accounts table writes it (posts may spell it in other cases);
    # the order within a stratum is an MD5 of the post and the seed, which DuckDB
    # computes the same way in every version.
    rows = con.execute(
        f"""
        WITH officials AS (
            SELECT platform, lower(author) AS key, min(author) AS account
            FROM accounts WHERE official GROUP BY ALL
        ), posts_of AS (
            SELECT p.platform, p.post_id, o.account, o.account IS NOT NULL AS official,
                   coalesce(t.{tag}, false) AS tag_set, t.model_version
            FROM posts p
            JOIN tags t USING (platform, post_id)
            LEFT JOIN officials o ON o.platform = p.platform AND o.key = lower(p.author)
            WHERE regexp_matches(coalesce(p.text, ''), '\\S') AND NOT {is_private_sql('p')}
        ), pool AS (
            SELECT platform, post_id, tag_set, model_version,
                   CASE WHEN official THEN account END AS account,
                   {group}
                   || '|' || CASE WHEN tag_set THEN '{TAGGED}' ELSE '{UNTAGGED}' END AS stratum
            FROM posts_of WHERE {scope}
        ), ranked AS (
            SELECT *, count(*) OVER (PARTITION BY stratum) AS stratum_posts,
                   row_number() OVER (PARTITION BY stratum
                                      ORDER BY md5(platform || ':' || post_id || ':' || ?),
                                               post_id) AS r
            FROM pool
        )
        -- the texts of the drawn posts only: the ranking carries ids, not texts
        SELECT d.platform, d.post_id, d.account, p.created_at,
               CASE WHEN d.account IS NOT NULL THEN p.url END AS url, p.text, d.tag_set,
               d.model_version, d.stratum, d.stratum_posts,
               least(d.stratum_posts, ?) AS stratum_drawn
        FROM ranked d JOIN posts p USING (platform, post_id)
        WHERE d.r <= ?
        ORDER BY md5(d.post_id || ':' || d.platform || ':shuffle:' || ?), d.platform, d.post_id
        """, [*params, str(seed), per_stratum, per_stratum, str(seed)]).fetchall()
    if not rows:
        raise UsageError("no post with a text in the accounts asked for: nothing to sample")
    key, texts, strata, versions = [], [], {}, set()
    width = len(str(len(rows)))
    for i, (platform, post_id, account, created, url, text, tag_set, version, stratum,
            posts, drawn) in enumerate(rows, 1):
        item = f"A{i:0{width}d}"
        key.append({"item": item, "platform": platform, "post_id": post_id,
                    "stratum": stratum, "stratum_posts": posts, "stratum_drawn": drawn,
                    "tag": tag, "tag_at_draw": int(bool(tag_set)),
                    "model_version": version or "", "seed": seed})
        texts.append((account, created, url, text))
        strata[stratum] = (int(posts), int(drawn))
        versions.add(version or "")
    sample_id = _sample_id(key)
    sheet = []
    for k, (account, created, url, text) in zip(key, texts, strict=True):
        k["sample"] = sample_id
        # a public post's id is its link on some platforms: only the key holds it
        sheet.append({"sample": sample_id, "item": k["item"], "platform": k["platform"],
                      "post_id": k["post_id"] if account else "", "account": account or "",
                      "created_at": created.isoformat() if created else "", "url": url or "",
                      "text": text,
                      "label": "", "note": ""})
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
    """The rows of a CSV a person may have saved from a spreadsheet (a BOM, ";" or tabs
    between cells), with their line numbers."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(path, f"{what} file not found") from None
    except OSError as exc:
        raise InputError(path, f"cannot read the {what}: {exc}") from None
    data = data.removeprefix(b"\xef\xbb\xbf")  # the BOM a spreadsheet writes
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(path, f"the {what} is not UTF-8 text (save it as 'CSV UTF-8')",
                         f"line {line}") from None
    header = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=header.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        fields = reader.fieldnames or []
        missing = [c for c in needed if c not in fields]
        if missing:
            raise InputError(path, f"the {what} has no column {', '.join(missing)}", "line 1")
        out = []
        for row in reader:
            if any((v or "").strip() for v in row.values() if isinstance(v, str)):
                out.append((reader.line_num, row))
    except csv.Error as exc:
        raise InputError(path, f"not a readable CSV: {exc}", f"line {reader.line_num}") from None
    return out


def _label(value: str | None, path: Path, line: int, column: str = "label") -> bool | None:
    """1/0, yes/no, true/false as ``govwatch train`` reads them; blank is not coded.
    The apostrophe a spreadsheet-safe cell may carry is dropped."""
    from .classifiers import _as_bool

    try:
        return _as_bool((value or "").strip().lstrip("'"))
    except ValueError:
        raise InputError(path, f"{column} {value!r} is not 1 or 0 (yes/no, true/false; blank = "
                               "not coded)", f"line {line}") from None


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
    current: bool = False  # scored on the store's tags now, not the tags at the draw


def read_key(key: Path) -> dict[str, dict]:
    """The rows of a sample's key by item, checked."""
    if not key.exists():
        raise InputError(key, "the key of the coding sheet is not there (it is written beside "
                              "the sheet by 'govwatch audit sample'; name it with --key)")
    keyed: dict[str, dict] = {}
    strata: dict[str, tuple[int, int]] = {}
    for line, row in _read_csv(key, "sample key", KEY_COLUMNS):
        item = (row["item"] or "").strip()
        if item in keyed:
            raise InputError(key, f"item {item!r} is in the key twice", f"line {line}")
        try:
            posts, drawn = int(row["stratum_posts"]), int(row["stratum_drawn"])
        except ValueError:
            raise InputError(key, "stratum_posts and stratum_drawn must be whole numbers",
                             f"line {line}") from None
        if not 1 <= drawn <= posts:
            raise InputError(key, f"stratum {row['stratum']!r}: {drawn} drawn of {posts} posts "
                                  "is not a sample", f"line {line}")
        if strata.setdefault(row["stratum"], (posts, drawn)) != (posts, drawn):
            raise InputError(key, f"stratum {row['stratum']!r} has another size here than on "
                                  "its first line", f"line {line}")
        if row["tag"] not in TAGS:
            raise InputError(key, f"tag {row['tag']!r} is not one of {', '.join(TAGS)}",
                             f"line {line}")
        tag = _label(row["tag_at_draw"], key, line, "tag_at_draw")
        if tag is None:
            raise InputError(key, "tag_at_draw is empty", f"line {line}")
        keyed[item] = {**row, "item": item, "stratum_posts": posts, "stratum_drawn": drawn,
                       "tag_at_draw": tag}
    if not keyed:
        raise InputError(key, "the key lists no item")
    listed = Counter(k["stratum"] for k in keyed.values())
    for name, (_, drawn) in strata.items():
        if listed[name] != drawn:
            raise InputError(key, f"stratum {name!r} says {drawn} drawn but lists "
                                  f"{listed[name]}")
    if len({k["tag"] for k in keyed.values()}) != 1 or len({k["sample"] for k in keyed.values()}) != 1:
        raise InputError(key, "the key mixes tags or samples: one key is one sample of one tag")
    return keyed


def current_tags(con, keyed: dict[str, dict]) -> dict[tuple[str, str], bool]:
    """The store's tag now of each post of the key (``read_key``): (platform, post_id) ->
    tag set. Only those posts are looked up; a post the store no longer tags is absent."""
    import pandas as pd

    tag = next(iter(keyed.values()))["tag"]  # one of TAGS: read_key checks it
    wanted = pd.DataFrame({"platform": [k["platform"] for k in keyed.values()],
                           "post_id": [k["post_id"] for k in keyed.values()]})
    con.register("audit_wanted", wanted)
    try:
        rows = con.execute(f"SELECT t.platform, t.post_id, coalesce(t.{tag}, false) "
                           "FROM tags t JOIN audit_wanted w USING (platform, post_id)").fetchall()
    finally:
        con.unregister("audit_wanted")
    return {(p, i): bool(v) for p, i, v in rows}


def read_coded(sheet: str | Path, key: str | Path | None = None,
               current: dict[tuple[str, str], bool] | None = None,
               keyed: dict[str, dict] | None = None) -> Coded:
    """The coded sheet joined with its key (``keyed``: the key as ``read_key`` read it
    already). ``current`` maps (platform, post_id) to the store's tag now; without it
    the tag at the draw is scored."""
    sheet, key = Path(sheet), Path(key) if key else key_path(sheet)
    rows = _read_csv(sheet, "coding sheet", ("item", "label"))
    if keyed is None:
        keyed = read_key(key)
    sample = next(iter(keyed.values()))["sample"]
    stratum, truth, pred, items, seen, skipped = [], [], [], [], set(), 0
    for line, row in rows:
        item = (row.get("item") or "").strip()
        if item not in keyed:
            raise InputError(sheet, f"item {item!r} is not in the key {key.name}", f"line {line}")
        if item in seen:
            raise InputError(sheet, f"item {item!r} is on the sheet twice", f"line {line}")
        seen.add(item)
        k = keyed[item]
        theirs = {c: (row.get(c) or "").strip().lstrip("'") for c in ("sample", "post_id")}
        if theirs["sample"] and theirs["sample"] != sample:
            raise InputError(sheet, f"the sheet is of sample {theirs['sample']}, the key "
                                    f"{key.name} of sample {sample}", f"line {line}")
        if theirs["post_id"] and theirs["post_id"] != k["post_id"]:
            raise InputError(sheet, f"item {item} is post {theirs['post_id']} here and post "
                                    f"{k['post_id']} in the key {key.name}: not this sheet's key",
                             f"line {line}")
        label = _label(row.get("label"), sheet, line)
        if label is None:
            skipped += 1
            continue
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
    strata = {k["stratum"]: (k["stratum_posts"], k["stratum_drawn"]) for k in keyed.values()}
    return Coded(stratum, np.array(truth, bool), np.array(pred, bool), dict(sorted(strata.items())),
                 skipped, items, next(iter(keyed.values()))["tag"], current is not None)


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


# Jeffreys prior: each cell a stratum's coded posts can fall in starts at half a post.
PRIOR = 0.5
# Above this share of draws where a measure is undefined, its interval is not given.
MAX_UNDEFINED = 0.05


def estimate(coded: Coded, replicates: int = 2000, seed: int = 0,
             level: float = 0.95) -> dict:
    """Stratified estimates of the tag's measures over every post of the strata, with
    credible intervals from draws of each stratum's cell shares.

    A stratum's posts fall into the cells (tag set or not) x (coded 1 or 0) its coded
    posts can reach: with the tags at the draw, a tagged stratum's are the two with the
    tag set. Each draw takes the shares of those cells from a Dirichlet of the coded
    counts plus half a post each (the Jeffreys prior; a cell nobody coded still varies)
    and scales them to the stratum's size; a stratum coded whole is exact. A measure
    needs every stratum it rests on coded: precision the tagged strata (with
    ``coded.current``, every stratum, since any post's tag may have changed), the others
    every stratum; otherwise it is not given."""
    members = _members(coded.stratum)
    cells = _cells(coded.truth, coded.pred)
    rng = np.random.default_rng(seed)
    point = np.zeros(4)
    draws = np.zeros((replicates, 4))
    uncoded = []
    for name, (posts, _drawn) in coded.strata.items():
        idx = members.get(name, _NONE)
        if not len(idx):
            uncoded.append(name)
            continue
        counts = np.bincount(cells[idx], minlength=4).astype(float)
        point += posts / len(idx) * counts
        if len(idx) >= posts:  # every post of the stratum coded: no sampling error
            draws += posts / len(idx) * counts
            continue
        tagged = coded.pred[idx]
        reach = np.zeros(4, bool)
        if tagged.any() or (not coded.current and _state(name) == TAGGED):
            reach[[0, 1]] = True
        if (~tagged).any() or (not coded.current and _state(name) == UNTAGGED):
            reach[[2, 3]] = True
        shares = rng.dirichlet(counts[reach] + PRIOR, size=replicates)
        draws[:, reach] += posts * shares
    est = _figures(*point)
    reps = _figures(*draws.T)
    # the uncoded strata each measure rests on
    tagged_uncoded = [n for n in uncoded if coded.current or _state(n) == TAGGED]
    needs = {name: tagged_uncoded if name == "precision" else uncoded for name in est}
    lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
    out: dict[str, dict[str, Any]] = {}
    for name, value in est.items():
        r = reps[name]
        defined = r[~np.isnan(r)]
        if needs[name] or np.isnan(value):
            out[name] = {"estimate": None, "low": None, "high": None,
                         "why": ("strata not coded: " + ", ".join(needs[name])) if needs[name]
                         else "no coded post it rests on"}
            continue
        out[name] = {"estimate": round(float(value), 4), "low": None, "high": None}
        if len(defined) >= (1 - MAX_UNDEFINED) * len(r):
            # widened to hold the estimate where all or none of a stratum's coded posts
            # are 1, as the modified Jeffreys interval is (Brown, Cai and DasGupta 2001)
            out[name]["low"] = round(min(float(np.percentile(defined, lo)), value), 4)
            out[name]["high"] = round(max(float(np.percentile(defined, hi)), value), 4)
    covered = sum(p for n, (p, _) in coded.strata.items() if n not in uncoded)
    return {"measures": out, "coded": int(len(cells)),
            "coded_positive": int(coded.truth.sum()),
            "cells": dict(zip(("tp", "fp", "fn", "tn"), map(int, np.bincount(cells, minlength=4)),
                              strict=True)),
            "posts": int(covered), "uncoded_strata": uncoded,
            "replicates": replicates, "level": level}


_NONE = np.zeros(0, int)


def _members(names: list[str], of=lambda name: name) -> dict[str, np.ndarray]:
    """The positions of each ``of(name)`` in ``names``, found in one pass."""
    out: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        out.setdefault(of(name), []).append(i)
    return {k: np.array(v, int) for k, v in out.items()}


def _state(stratum: str) -> str:
    """``tagged`` or ``untagged``: the tag part of a stratum name."""
    return stratum.rpartition("|")[2]


def group_of(stratum: str) -> str:
    """The account (or platform's public) part of a stratum name."""
    return stratum.rpartition("|")[0]


def score(coded: Coded, replicates: int = 2000, seed: int = 0) -> dict:
    """Pooled and per-account estimates, each stratum's counts, and the items whose code
    and tag disagree (ids only)."""
    groups = sorted({group_of(s) for s in coded.strata})
    in_group = _members(coded.stratum, group_of)
    per_group = {}
    for g in groups:
        idx = in_group.get(g, _NONE)
        sub = Coded([coded.stratum[i] for i in idx], coded.truth[idx], coded.pred[idx],
                    {s: v for s, v in coded.strata.items() if group_of(s) == g},
                    current=coded.current)
        per_group[g] = (estimate(sub, replicates, seed) if len(idx)
                        else {"coded": 0, "posts": 0, "uncoded_strata": list(sub.strata)})
    in_stratum = _members(coded.stratum)
    strata = {}
    for name, (posts, drawn) in coded.strata.items():
        idx = in_stratum.get(name, _NONE)
        strata[name] = {"posts": posts, "drawn": drawn, "coded": len(idx),
                        "coded_positive": int(coded.truth[idx].sum())}
    return {"tag": coded.tag, "pooled": estimate(coded, replicates, seed),
            "accounts": per_group if len(groups) > 1 else {},
            "strata": strata, "not_coded": coded.skipped,
            "disagreements": {
                "tagged_not_coded": [i for i, t, p in zip(coded.items, coded.truth, coded.pred,
                                                          strict=True) if p and not t],
                "coded_not_tagged": [i for i, t, p in zip(coded.items, coded.truth, coded.pred,
                                                          strict=True) if t and not p]}}
