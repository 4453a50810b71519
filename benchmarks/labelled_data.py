"""Labelled real data from ../shared for evaluating and training the tags.

The crisis collections (:func:`read_crisis`): CrisisLexT6 (six events, ~60,000
tweets labelled on-topic/off-topic), CrisisLexT26's four development events
(related/not related) and CrisisNLP's Cyclone Pam sample; critical = the crowd
said the tweet is about the crisis.

The hand-coded real posts: ids and labels from analysis/data, texts from ../shared.

``analysis/data/handcoded_critical.csv`` (1,755 posts coded *critical* or not by
two coders, docs/codebook.md; with the first 12 hex digits of the SHA-256 of the
text coded, to pick the right row where a source file repeats an id) and ``analysis/data/handcoded_deflection.csv``
(104 official and company replies coded *deflection* or not) hold the source
folder, file and native id of each post and its label, never its text: the
texts are read here from the public samples in ``../shared/real_data``.
``analysis/data/handcoded_critical_hindi.csv`` (110 Devanagari posts of the
politician timeline not in the main set, coded by one coder in two passes after the Hindi seed
terms were last changed) is held out whole: nothing was tuned on it, and neither was
``analysis/data/handcoded_critical_official_replies.csv`` (808 replies of public bodies: every
distinct Boston 311 closing note, 150 BPCL and all 7 SATUSEHAT / Mobile JKN Play Store replies).
``analysis/data/handcoded_critical_hindi_dev.csv`` (260 more Devanagari posts of the politician
timeline, in none of the other sets, 200 of them with an incident word) is the opposite: the
Hindi terms were written from its misses, so its figures are in-sample, and so are those of
``analysis/data/handcoded_critical_official_dev.csv`` (450 more posts of the timeline in Latin
script, a sample of what the rules tagged and of the rest, in none of the other sets): the
English official frames were written from its false positives.

Every item has a fixed half, ``dev`` or ``test``, by a hash of its item id:
the seed terms may be tuned on ``dev``; the figures reported for the hand-coded
set are on ``test`` (docs/evaluation.md).
"""

from __future__ import annotations

import ast
import csv
import glob
import hashlib
import json
import re
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[1] / "analysis" / "data"


def half(item: str) -> str:
    """``dev`` or ``test``, fixed by the item id."""
    return "test" if hashlib.sha256(item.encode()).digest()[0] % 2 else "dev"


def _csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        return list(csv.DictReader(f))


def _railway_dump(path: Path) -> dict[str, tuple[str, str]]:
    """id -> (screen name, text) of the tweet objects of ``dt.txt`` that parse
    (Python reprs with raw line breaks inside strings; SOURCE.md)."""
    out = {}
    for part in re.split(r"\n(?=\{'bookmark_count')", path.read_text("utf-8")):
        try:
            d = ast.literal_eval(part.strip().replace("\n", "\\n"))
        except (ValueError, SyntaxError):
            continue
        out[d["id_str"]] = (d["user"]["screen_name"], d.get("full_text", ""))
    return out


def _telegram_text(t) -> str:
    if isinstance(t, str):
        return t
    return "".join(x if isinstance(x, str) else x.get("text", "") for x in t)


def _bluesky(items) -> dict[str, str]:
    out = {}
    for it in items:
        if "post" in it and "uri" not in it:
            it = it["post"]
        if "uri" in it:
            if "record" in it:
                out.setdefault(it["uri"], it["record"].get("text", ""))
        elif "commit" in it:
            c = it["commit"]
            out[f"at://{it['did']}/{c['collection']}/{c['rkey']}"] = c["record"].get("text", "")
        else:
            r = it["record"]
            out[f"at://{r['did']}/{r['collection']}/{r['rkey']}"] = r["record"].get("text", "")
    return out


def source_texts(shared: Path, source: str, file: str) -> dict[str, str | list[str]]:
    """native id -> text of one file of one ../shared folder, ids as the coding sheet
    writes them (a list of texts where the file repeats an id)."""
    folder = shared / source
    if source == "india_politician_tweets":  # ids repeat: load_critical picks by text hash
        out: dict[str, list[str]] = {}
        for r in _csv(folder / file):
            out.setdefault(r["id"], []).append(r["text"])
        return out
    if source == "congresstweets_sample":
        return {str(o["id"]): o["text"] for o in json.loads((folder / file).read_text("utf-8"))}
    if source == "india_railways_twitter" and file == "dt.txt":
        return {k: v[1] for k, v in _railway_dump(folder / file).items()}
    if source == "india_railways_twitter":
        return {r["twitterUrl"].rstrip("/").split("/")[-1]: r["text"] for r in _csv(folder / file)}
    if source == "crisislex_t6_full":
        return {r["tweet id"]: r[" tweet"] for r in _csv(folder / file)}
    if source == "crisislex_t26_dev_events":
        return {r["Tweet ID"]: r[" Tweet Text"] for r in _csv(folder / file)}
    if source == "crisisnlp_cyclone_pam":
        return {r["item_id"]: r["item"] for r in _csv(folder / file)}
    if source == "telegram_desktop_channel_export":
        data = json.loads((folder / file).read_text("utf-8"))
        return {str(m["id"]): _telegram_text(m.get("text", "")).strip()
                for m in data["messages"] if m.get("type") == "message"}
    if source == "bluesky_twitwi_fixtures":
        return _bluesky(json.loads((folder / file).read_text("utf-8")))
    if source == "boston_open311":  # the city's closing note on a request
        return {r["service_request_id"]: r["status_notes"]
                for r in json.loads((folder / file).read_text("utf-8"))
                if r.get("service_request_id") and r.get("status_notes")}
    if source in ("bpcl_hellobpcl_playstore", "satusehat_mobilejkn_playstore"):
        return {r["reviewId"]: r["replyContent"] for r in _csv(folder / file) if r["replyContent"]}
    raise ValueError(f"no reader for {source}/{file}")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def load_critical(shared: Path, name: str = "handcoded_critical.csv") -> pd.DataFrame:
    """The hand-coded critical set with texts: item, source, native_id, critical (bool),
    stratum, half, text. ``name="handcoded_critical_hindi.csv"``: the Hindi supplement."""
    labels = pd.read_csv(DATA / name, dtype=str, keep_default_na=False)
    texts = []
    cache: dict[tuple[str, str], dict] = {}
    for source, file, nid, sha in zip(labels["source"], labels["file"], labels["native_id"],
                                      labels["text_sha256"], strict=True):
        key = (source, file)
        if key not in cache:
            cache[key] = source_texts(shared, source, file)
        found = cache[key].get(nid)
        if isinstance(found, list):  # the version that was coded (its SHA-256 is in the file)
            found = next((t for t in found if _sha(t) == sha), None)
        texts.append(found)
    labels["text"] = texts
    missing = labels["text"].isna()
    if missing.any():
        raise ValueError(f"{int(missing.sum())} hand-coded posts not found in {shared}, "
                         f"e.g. {labels.loc[missing, ['source', 'native_id']].iloc[0].tolist()}")
    labels["critical"] = labels["critical"] == "1"
    labels["half"] = labels["item"].map(half)
    return labels


def load_deflection(shared: Path) -> pd.DataFrame:
    """The hand-coded official and company replies with texts: item, source, native_id,
    deflection (bool), coded_by, half, text. Items ``D...`` were coded by two coders
    (railway and TWCS replies); items ``E...`` by one coder in two passes (BPCL and
    SATUSEHAT/Mobile JKN Play Store replies, Boston 311 status notes)."""
    labels = pd.read_csv(DATA / "handcoded_deflection.csv", dtype=str, keep_default_na=False)
    rail = {r["twitterUrl"].rstrip("/").split("/")[-1]: r["text"]
            for r in _csv(shared / "india_railways_twitter" / "raw data.csv")}
    rail.update({k: v[1] for k, v in
                 _railway_dump(shared / "india_railways_twitter" / "dt.txt").items()})
    texts = {
        "india_railways_twitter": rail,
        "twcs_customer_support_sample": {r["tweet_id"]: r["text"] for r in _csv(
            shared / "twcs_customer_support_sample" / "twcs_sample_first105.csv")},
        # Play Store developer replies of a state-owned company and of two Indonesian
        # health apps, and Boston 311's status notes (the city's reply to a request).
        "bpcl_hellobpcl_playstore": {r["reviewId"]: r["replyContent"] for r in _csv(
            shared / "bpcl_hellobpcl_playstore" / "raw_reviews.csv")},
        "satusehat_mobilejkn_playstore": {r["reviewId"]: r["replyContent"] for r in _csv(
            shared / "satusehat_mobilejkn_playstore"
            / "review_mobile_jkn_satusehat_clean__sample.csv")},
        "boston_open311": {r.get("service_request_id"): r["status_notes"]
                           for f in sorted((shared / "boston_open311").glob("*.json"))
                           for r in json.loads(f.read_text("utf-8")) if r.get("status_notes")},
    }
    labels["text"] = [texts[s].get(n)
                      for s, n in zip(labels["source"], labels["native_id"], strict=True)]
    if labels["text"].isna().any():
        raise ValueError("hand-coded replies not found in ../shared")
    labels["deflection"] = labels["deflection"] == "1"
    labels["half"] = labels["item"].map(half)
    return labels


def event_key(name: str) -> str:
    """The disaster a collection file is about (T6 and T26 share four)."""
    name = re.sub(r"^\d{4}_", "", name).lower()
    name = re.sub(r"-.*$", "", name)
    return {"sandy_hurricane": "sandy"}.get(name, name)


def read_crisis(shared: Path) -> pd.DataFrame:
    """dataset, event, id, text, critical of every labelled crisis tweet in ../shared."""
    rows = []
    for f in sorted(glob.glob(str(shared / "crisislex_t6_full" / "*.csv"))):
        d = pd.read_csv(f, skipinitialspace=True, dtype=str, keep_default_na=False)
        event = event_key(Path(f).name)
        for ident, text, label in zip(d["tweet id"], d["tweet"], d["label"], strict=True):
            rows.append(("t6", event, ident, text, label == "on-topic"))
    for f in sorted(glob.glob(str(shared / "crisislex_t26_dev_events" / "*" / "*-tweets_labeled.csv"))):
        d = pd.read_csv(f, skipinitialspace=True, dtype=str, keep_default_na=False)
        event = event_key(Path(f).parent.name)
        for ident, text, label in zip(d["Tweet ID"], d["Tweet Text"], d["Informativeness"],
                                      strict=True):
            rows.append(("t26", event, ident.strip('"'), text, label != "Not related"))
    d = pd.read_csv(shared / "crisisnlp_cyclone_pam" / "sample.csv", dtype=str,
                    keep_default_na=False)
    for ident, text, label in zip(d["item_id"], d["item"], d["label"], strict=True):
        rows.append(("pam", "cyclone_pam", ident, text, label != "Not related or irrelevant"))
    frame = pd.DataFrame(rows, columns=["dataset", "event", "id", "text", "critical"])
    return frame.drop_duplicates(["dataset", "id"]).reset_index(drop=True)
