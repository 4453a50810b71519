"""Evaluate govwatch's tags on real, labelled public data (docs/evaluation.md).

    python benchmarks/evaluate_tags.py --shared ../shared/real_data [--check] [--json OUT]

Every classification figure is reported class-balanced: precision, recall, F1,
specificity, balanced accuracy and macro-F1 (the mean F1 of both classes), per
event or source, per language and pooled. ``--check`` compares the balanced
figures (``FLOORS``: the measured figure minus a small margin) and exits 1
when one drops below.

1. VADER fidelity (vader_tweets_groundtruth): govwatch's stored sentiment vs
   vaderSentiment's own ``polarity_scores`` for all 4,200 texts, through the real
   tagging path; Pearson r of compound with the mean human rating.
2. Critical issue on the crisis collections, leave-one-event-out over every
   labelled event in ../shared (CrisisLexT6 full, CrisisLexT26 development
   events, CrisisNLP Cyclone Pam; 7 disasters, 11 collections): ``rules`` is the
   shipped default (no training); ``trained`` is a model trained on the labels
   of the other events only (and the hand-coded posts' dev half, none from the
   held-out event).
3. Critical issue on the hand-coded real posts (docs/codebook.md; 1,755 posts:
   an Indian head of government's timeline, US Congress, Indian Railways,
   crisis samples, Telegram, Bluesky): figures on the ``test`` half, which no
   seed term was tuned on; per source, per language, and the share of the
   politician timeline's trap-word posts (birthday, pray, hospital, bomb, rally,
   inaugurate, condolence ... without an incident) tagged critical.
3b. Critical on the Hindi supplement (analysis/data/handcoded_critical_hindi.csv:
   110 Devanagari posts of the politician timeline, 60 with a crisis word and 50
   at random, coded by one coder in two passes after the Hindi seed terms were
   last changed; all held out).
3e. Critical on the Hindi development set (analysis/data/handcoded_critical_hindi_dev.csv:
   260 more Devanagari posts of the politician timeline, 200 with an incident word
   and 60 at random, one coder in two blind passes): the Hindi crisis vocabulary,
   condolence and relief frames and figurative masks were written from its misses,
   so its figures are in-sample; 3b is the held-out measure.
3f. Critical on the Hindi check set (analysis/data/handcoded_critical_hindi_check.csv:
   111 more posts of the politician timeline in none of the other sets, 85 in
   Devanagari and 26 in romanised Hindi; every remaining one with an incident word
   and 42 at random; one coder in two blind passes, coded after this version's
   Hindi terms were written): per stratum and per script.
3d. Critical on replies of public bodies nobody tuned on
   (analysis/data/handcoded_critical_official_replies.csv: every distinct Boston 311
   closing note, 150 BPCL and all 7 SATUSEHAT / Mobile JKN Play Store replies; one
   coder, two passes; held out whole): how often routine official replies are
   tagged critical, per source.
3c. Critical on the politician's own posts (analysis/data/handcoded_critical_own_posts.csv:
   all 95 own posts outside the other sets that revision e203f23's rules tagged,
   and 95 of the 1,953 it did not, coded blind to the tags by one coder; a second
   blind pass over 60 of them: kappa 0.911), weighted back to the 2,048:
   precision and recall of the whole own-post timeline.
3g. Critical on the official timeline development set
   (analysis/data/handcoded_critical_official_dev.csv: 450 posts of the politician
   timeline in Latin script (own posts and retweets) outside the other sets - 300 of
   the 413 that revision 0866c51's rules tagged and 150 of the 7,108 they did not,
   shuffled together; one coder in two blind passes, kappa 0.970), weighted back to
   the 7,521: the English official frames of versions 1.4 and 1.5 were written from its
   false positives, so its figures are in-sample.
4. Deflection on the hand-coded official and company replies (Indian Railways,
   TWCS, two coders; BPCL and SATUSEHAT/Mobile JKN Play Store developer replies and
   Boston 311 status notes, one coder in two passes): precision and recall,
   ``test`` half and all, per source.
5. Needs-response on the TWCS inbound tweets (hand-coded ids below).
6. The synthetic hand-coded replies (tests/fixtures/gov_replies_handcoded.csv).
7. Critical per language on a SYNTHETIC multilingual set
   (tests/fixtures/multilingual_crisis_synthetic.csv: 22 incident and 8 trap
   sentences written in English and translated by hand into es, pt, fr, it, ru,
   id, tl, hi and romanised Hindi): recall and specificity per language, on the
   ``test`` half (seed terms were tuned on ``dev`` only). ../shared has no
   labelled non-English crisis posts; this set stands in for them and is not
   real data.
8. The SYNTHETIC check set (tests/fixtures/crisis_checkset_synthetic.csv: 10
   crisis and 10 non-crisis lines per language in en, es, pt, fr, it, ru, id,
   tl, hi, romanised Hindi and kk, unrelated senses of crisis words among the
   non-crisis ones; never used to choose terms): critical recall and
   specificity per language, and language identification with all ten
   languages configured (confusion table; romanised Hindi counts as ``hi``).
9. The SYNTHETIC held-out set (tests/fixtures/crisis_heldout_synthetic.csv: 40
   crisis and 30 unrelated posts in each of en, es, pt, fr, it, ru, id, tl and hi,
   written before the vocabulary was read against it): critical recall and
   specificity per language and pooled, ``test`` half (terms were read against
   ``dev`` only) and ``dev`` half.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from labelled_data import load_critical, load_deflection, read_crisis  # noqa: E402

# Measured figure minus a margin (docs/evaluation.md has the measured ones).
FLOORS = {
    "vader.identical_share": 1.0,
    "vader.pearson_r": 0.87,
    "crisis.rules.balanced_accuracy": 0.89,
    "crisis.rules.macro_f1": 0.89,
    "crisis.rules.specificity": 0.89,
    "crisis.rules.min_event_balanced_accuracy": 0.70,
    "crisis.trained.balanced_accuracy": 0.87,
    "crisis.trained.macro_f1": 0.87,
    "handcoded.rules.balanced_accuracy": 0.80,
    "handcoded.rules.macro_f1": 0.76,
    "handcoded.rules.politician_balanced_accuracy": 0.76,
    "handcoded.rules.trap_words_not_tagged": 0.93,
    "hindi.recall": 0.60,
    "hindi.specificity": 0.87,
    "hindi_dev.recall": 0.90,
    "hindi_dev.specificity": 0.95,
    "hindi_check.recall": 0.50,
    "hindi_check.specificity": 0.88,
    "official_replies.specificity": 0.98,
    "own_posts.precision": 0.65,
    "own_posts.specificity": 0.97,
    "official_dev.precision": 0.40,
    "official_dev.specificity": 0.96,
    "deflection.balanced_accuracy": 0.97,
    "deflection.test.precision": 0.95,
    "deflection.test.recall": 0.95,
    "twcs.needs_response.balanced_accuracy": 0.64,
    "multilingual.test.min_language_recall": 0.85,
    "multilingual.test.specificity": 0.85,
    "checkset.min_language_recall": 0.90,
    "checkset.min_language_specificity": 0.85,
    "checkset.langid_accuracy": 0.95,
    "heldout.test.min_language_recall": 0.80,
    "heldout.test.balanced_accuracy": 0.75,
}
CHECKSET_LANGUAGES = ("en", "hi", "id", "ru", "kk", "es", "pt", "fr", "it", "tl")
ML_LANGUAGES = ("en", "es", "pt", "fr", "it", "ru", "id", "tl", "hi", "hi-Latn")
LANGUAGES = ("en", "hi", "id", "ru", "kk", "es", "pt", "fr", "it", "de", "zh")

# twcs_customer_support_sample, hand-coded by reading each tweet (ids only; the
# text stays in ../shared). Inbound tweets that ask, request or report a problem:
TWCS_NEEDS_RESPONSE = {
    2, 3, 5, 8, 12, 16, 18, 20, 22, 23, 24, 26, 29, 31, 33, 36, 39, 41, 42, 44, 47, 49, 51,
    53, 55, 57, 59, 61, 63, 69, 78, 80, 156, 161, 163, 167, 179, 180, 185,
}
# Inbound tweets written by a support agent although marked inbound (signed ^NHP, ^JAY).
TWCS_EXCLUDE = {46, 48}


def scores(truth, pred) -> dict:
    """Class-balanced figures of a yes/no tag against labels."""
    y = np.asarray(truth, bool)
    p = np.asarray(pred, bool)
    tp, fp = int((y & p).sum()), int((~y & p).sum())
    fn, tn = int((y & ~p).sum()), int((~y & ~p).sum())

    def ratio(a, b):
        return a / b if b else 0.0

    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    specificity, npv = ratio(tn, tn + fp), ratio(tn, tn + fn)
    f1 = ratio(2 * precision * recall, precision + recall)
    f1_neg = ratio(2 * npv * specificity, npv + specificity)
    out = {"precision": precision, "recall": recall, "f1": f1, "specificity": specificity,
           "balanced_accuracy": (recall + specificity) / 2, "macro_f1": (f1 + f1_neg) / 2}
    out = {k: round(v, 4) for k, v in out.items()}
    return {**out, "n": len(y), "positives": int(y.sum())}


def prf(truth, pred) -> dict:
    """Precision, recall and F1 (with the balanced figures)."""
    return scores(truth, pred)


def grouped(frame: pd.DataFrame, by: str, truth: str = "truth", pred: str = "pred") -> dict:
    return {str(k): scores(g[truth], g[pred]) for k, g in frame.groupby(by, sort=True)}


# -- 1. VADER ------------------------------------------------------------------------


def read_vader(shared: Path) -> pd.DataFrame:
    rows = []
    raw = (shared / "vader_tweets_groundtruth" / "tweets_GroundTruth.txt").read_bytes()
    for line in raw.decode("utf-8").split("\r\n"):
        if not line:
            continue
        ident, mean, text = line.split("\t", 2)
        rows.append((ident, float(mean), text))
    return pd.DataFrame(rows, columns=["id", "mean", "text"])


def eval_vader(shared: Path) -> dict:
    from govwatch.analysis.langid import LanguageDetector
    from govwatch.analysis.tagging import tag_new_posts
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from govwatch.store import Store

    data = read_vader(shared)
    reference = SentimentIntensityAnalyzer()
    ref = np.array([[reference.polarity_scores(t)[k] for k in ("compound", "pos", "neu", "neg")]
                    for t in data["text"]])
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "vader.duckdb")
        posts = pd.DataFrame({"platform": "eval", "post_id": data["id"], "author": "rater",
                              "created_at": datetime(2014, 1, 1, tzinfo=UTC),
                              "text": data["text"], "lang": "en", "kind": "post"})
        store.conn.register("_p", posts)
        store.conn.execute("INSERT INTO posts BY NAME SELECT * FROM _p")
        with store.transaction() as con:
            tag_new_posts(con)
        got = store.conn.execute(
            "SELECT post_id, sentiment, sentiment_pos, sentiment_neu, sentiment_neg FROM tags"
        ).df().set_index("post_id").loc[data["id"]].to_numpy(dtype=float)
        store.close()
    identical = np.all(got == ref, axis=1)
    r_ours = float(np.corrcoef(got[:, 0], data["mean"])[0, 1])
    r_ref = float(np.corrcoef(ref[:, 0], data["mean"])[0, 1])
    detected = LanguageDetector().detect_many(data["text"].tolist())
    return {
        "texts": len(data),
        "identical": int(identical.sum()),
        "identical_share": round(float(identical.mean()), 6),
        "pearson_r": round(r_ours, 4),
        "pearson_r_vadersentiment": round(r_ref, 4),
        "langid_english_share": round(float(np.mean([d == "en" for d in detected])), 4),
    }


# -- 2. Critical issue, leave-one-event-out ----------------------------------------


_SOURCE_OF = {"t6": "crisislex_t6_full", "t26": "crisislex_t26_dev_events",
              "pam": "crisisnlp_cyclone_pam"}


def _handcoded_events(coded: pd.DataFrame, crisis: pd.DataFrame) -> pd.Series:
    """The crisis event of each hand-coded post (None for the other sources)."""
    key = dict(zip(zip(crisis["dataset"].map(_SOURCE_OF), crisis["id"], strict=True),
                   crisis["event"], strict=True))
    return pd.Series([key.get((s, n)) for s, n in zip(coded["source"], coded["native_id"],
                                                     strict=True)], index=coded.index)


def eval_critical(data: pd.DataFrame, coded: pd.DataFrame, say) -> dict:
    from govwatch.analysis.classifiers import PostTagger

    rules = PostTagger().fit([])
    data = data.copy()
    data["rules"] = rules.predict(data["text"].tolist())["critical"].to_numpy()
    data["trained"] = False
    dev = coded[coded["half"] == "dev"].copy()
    dev["event"] = _handcoded_events(dev, data)
    for event in sorted(data["event"].unique()):
        say(f"  critical: held-out event {event}")
        test = (data["event"] == event).to_numpy()
        extra = dev[dev["event"].ne(event) | dev["event"].isna()]
        texts = data.loc[~test, "text"].tolist() + extra["text"].tolist()
        labels = np.concatenate([data.loc[~test, "critical"].to_numpy(bool),
                                 extra["critical"].to_numpy(bool)])
        model = PostTagger().fit(texts, {"critical": labels})
        data.loc[test, "trained"] = model.predict(data.loc[test, "text"].tolist())["critical"].to_numpy()
    out: dict = {"events": sorted(data["event"].unique()), "tweets": len(data)}
    data["collection"] = data["dataset"] + ":" + data["event"]
    for v in ("rules", "trained"):
        frame = data.assign(truth=data["critical"], pred=data[v])
        per_event = grouped(frame, "event")
        per_collection = grouped(frame, "collection")
        bas = [x["balanced_accuracy"] for x in per_collection.values()
               if x["n"] - x["positives"] >= 30]
        out[v] = {**scores(frame["truth"], frame["pred"]),
                  "mean_event_balanced_accuracy": round(float(np.mean(
                      [x["balanced_accuracy"] for x in per_event.values()])), 4),
                  "min_event_balanced_accuracy": round(float(np.min(bas)), 4),
                  "per_event": per_event, "per_collection": per_collection}
    return out


# -- 3. Hand-coded real posts --------------------------------------------------------


def _detect(texts: list[str]) -> list[str]:
    from govwatch.analysis.langid import LanguageDetector

    detector = LanguageDetector(LANGUAGES)
    return [detector.detect(t) or "none" for t in texts]


def eval_handcoded_critical(coded: pd.DataFrame) -> dict:
    from govwatch.analysis.classifiers import PostTagger

    rules = PostTagger().fit([])
    out: dict = {}
    coded = coded.copy()
    coded["pred"] = rules.predict(coded["text"].tolist())["critical"].to_numpy()
    coded["truth"] = coded["critical"]
    coded["lang"] = _detect(coded["text"].tolist())
    # An official's own words vs a retweet of another account ("RT @x: ...", the
    # form both official timelines here use); Hindi by script (Devanagari or Latin).
    coded["voice"] = np.where(coded["text"].str.startswith("RT @"), "retweet", "own post")
    devanagari = coded["text"].str.contains("[\u0900-\u097f]", regex=True)
    coded["script"] = np.where(coded["lang"] != "hi", None,
                               np.where(devanagari, "hi (Devanagari)", "hi (Latin script)"))
    for part in ("test", "dev"):
        frame = coded[coded["half"] == part]
        pol = frame[frame["source"] == "india_politician_tweets"]
        officials = frame[frame["source"].isin(["india_politician_tweets", "congresstweets_sample"])]
        trap = pol[(pol["stratum"] == "trap-word") & ~pol["truth"]]
        out[part] = {
            **scores(frame["truth"], frame["pred"]),
            "per_source": grouped(frame, "source"),
            "per_language": grouped(frame, "lang"),
            "politician": scores(pol["truth"], pol["pred"]),
            "politician_per_stratum": grouped(pol, "stratum"),
            "officials": scores(officials["truth"], officials["pred"]),
            "officials_per_voice": grouped(officials, "voice"),
            "hindi_per_script": grouped(frame[frame["script"].notna()], "script"),
            "trap_words_tagged_critical": round(float(trap["pred"].mean()), 4) if len(trap) else 0.0,
            "trap_words_not_critical": int(len(trap)),
        }
    return out


def _eval_hindi(shared: Path, name: str, by: tuple[str, ...] = ("stratum",)) -> dict:
    from govwatch.analysis.classifiers import PostTagger

    coded = load_critical(shared, name)
    coded["pred"] = PostTagger().fit([]).predict(coded["text"].tolist())["critical"].to_numpy()
    coded["truth"] = coded["critical"]
    return {**scores(coded["truth"], coded["pred"]),
            **{f"per_{col}": grouped(coded, col) for col in by}}


def eval_hindi_supplement(shared: Path) -> dict:
    """Critical on the Hindi supplement: real Devanagari posts, all held out."""
    return _eval_hindi(shared, "handcoded_critical_hindi.csv")


def eval_hindi_dev(shared: Path) -> dict:
    """Critical on the Hindi development set (tuned on: in-sample figures)."""
    return _eval_hindi(shared, "handcoded_critical_hindi_dev.csv")


def eval_hindi_check(shared: Path) -> dict:
    """Critical on the Hindi check set: Devanagari and romanised posts coded after the
    terms of this version were written, per stratum and per script."""
    return _eval_hindi(shared, "handcoded_critical_hindi_check.csv", ("stratum", "script"))


def eval_official_replies(shared: Path) -> dict:
    """Critical on the replies of public bodies (held out whole)."""
    from govwatch.analysis.classifiers import PostTagger

    coded = load_critical(shared, "handcoded_critical_official_replies.csv")
    coded["pred"] = PostTagger().fit([]).predict(coded["text"].tolist())["critical"].to_numpy()
    coded["truth"] = coded["critical"]
    return {**scores(coded["truth"], coded["pred"]), "tagged": int(coded["pred"].sum()),
            "per_source": grouped(coded, "source")}


# The own-post audit's strata: the politician's 2,048 distinct own posts ("Self") outside
# the other hand-coded sets, split by what the rules of revision e203f23 tagged: all 95
# tagged ones coded (a census) and 95 of the 1,953 untagged ones at random.
OWN_POST_STRATA = {"own-tagged": (95, 95), "own-untagged": (95, 1953)}


# The official timeline development set's strata: the timeline's 7,521 distinct posts in
# Latin script outside the other hand-coded sets, split by what revision 0866c51's rules
# tagged: 300 of the 413 tagged and 150 of the 7,108 untagged, drawn at random.
OFFICIAL_DEV_STRATA = {"official-tagged": (300, 413), "official-untagged": (150, 7108)}


def _weighted(coded: pd.DataFrame, strata: dict, untagged: str | None = None) -> dict:
    """Precision, recall and specificity of the rules on a stratified sample, each
    post weighted by its stratum's population over its sample size; with ``untagged``
    (a stratum drawn from posts an earlier version did not tag), also how many of its
    posts coded critical the rules miss."""
    from govwatch.analysis.classifiers import PostTagger

    pred = PostTagger().fit([]).predict(coded["text"].tolist())["critical"].to_numpy(bool)
    truth = coded["critical"].to_numpy(bool)
    w = coded["stratum"].map({k: pop / n for k, (n, pop) in strata.items()}).to_numpy()
    tp, fp = float(w[truth & pred].sum()), float(w[~truth & pred].sum())
    fn, tn = float(w[truth & ~pred].sum()), float(w[~truth & ~pred].sum())
    out = {"n": len(coded), "positives": int(truth.sum()),
           "population": sum(pop for _, pop in strata.values()),
           "precision": round(tp / (tp + fp), 4), "recall": round(tp / (tp + fn), 4),
           "specificity": round(tn / (tn + fp), 4), "tagged": int(pred.sum()),
           "per_stratum": grouped(coded.assign(truth=truth, pred=pred), "stratum")}
    if untagged is not None:
        out["untagged_coded_critical"] = int(
            (truth & ~pred)[coded["stratum"].eq(untagged).to_numpy()].sum())
    return out


def eval_official_dev(shared: Path) -> dict:
    """Critical on the official timeline development set (in-sample), weighted."""
    coded = load_critical(shared, "handcoded_critical_official_dev.csv")
    return _weighted(coded, OFFICIAL_DEV_STRATA)


def eval_own_posts(shared: Path) -> dict:
    """Critical on the politician's own posts, weighted back to the whole timeline."""
    coded = load_critical(shared, "handcoded_critical_own_posts.csv")
    return _weighted(coded, OWN_POST_STRATA, untagged="own-untagged")


# -- 4. Deflection -------------------------------------------------------------------


def eval_deflection(replies: pd.DataFrame) -> dict:
    from govwatch.analysis.classifiers import PostTagger

    pred = PostTagger().fit([]).predict(replies["text"].tolist())["deflection"].to_numpy()
    frame = replies.assign(truth=replies["deflection"], pred=pred)
    test = frame[frame["half"] == "test"]
    first = test[test["item"].str.startswith("D")]  # the two-coder railway and TWCS replies
    return {**scores(frame["truth"], frame["pred"]), "test": scores(test["truth"], test["pred"]),
            "test_two_coder_items": scores(first["truth"], first["pred"]),
            "per_source": grouped(frame, "source"), "test_per_source": grouped(test, "source")}


# -- 5. Customer support threads ------------------------------------------------------------


def eval_twcs(shared: Path) -> dict:
    from govwatch.analysis.classifiers import PostTagger

    d = pd.read_csv(shared / "twcs_customer_support_sample" / "twcs_sample_first105.csv",
                    dtype=str, keep_default_na=False)
    d["tweet_id"] = d["tweet_id"].astype(int)
    inbound = d["inbound"] == "True"
    model = PostTagger().fit([])
    customers = d[inbound & ~d["tweet_id"].isin(TWCS_EXCLUDE)]
    flagged = model.predict(customers["text"].tolist())["needs_response"].to_numpy()
    truth = customers["tweet_id"].isin(TWCS_NEEDS_RESPONSE).to_numpy()
    replied_to = {int(float(x)) for x in d.loc[~inbound, "in_response_to_tweet_id"] if x}
    answered = customers["tweet_id"].isin(replied_to).to_numpy()
    return {
        "needs_response": scores(truth, flagged),
        "needs_response_recall_answered": round(float(flagged[answered].mean()), 4),
        "answered": int(answered.sum()),
        "inbound": int(len(customers)),
        "flagged_share": round(float(flagged.mean()), 4),
    }


# -- 6. Hand-coded synthetic replies ----------------------------------------------------------


def eval_handcoded(repo: Path) -> dict:
    from govwatch.analysis.classifiers import PostTagger
    from govwatch.analysis.training import cross_validate, read_labels
    from sklearn.metrics import accuracy_score

    path = repo / "tests" / "fixtures" / "gov_replies_handcoded.csv"
    labels = read_labels(path)
    raw = pd.read_csv(path, comment=None, skiprows=3, dtype=str)
    texts = labels["text"].tolist()
    pred = PostTagger().fit([]).predict(texts)
    out: dict = {"rows": len(labels), "default": {}, "trained": {}, "by_language": {}}
    for target in ("critical", "needs_response"):
        out["default"][target] = prf(labels[target].astype(bool), pred[target])
    out["default"]["topic_accuracy"] = round(float(accuracy_score(labels["topic"], pred["topic"])), 4)
    for lang in sorted(raw["lang"].unique()):
        m = (raw["lang"] == lang).to_numpy()
        out["by_language"][lang] = {
            t: prf(labels[t].astype(bool)[m], pred[t][m])["balanced_accuracy"]
            for t in ("critical", "needs_response")}
    for target in ("critical", "needs_response", "topic"):
        rep = cross_validate(texts, labels[target], target, 5, 0, PostTagger)
        if target == "topic":
            out["trained"]["topic_accuracy"] = round(rep.accuracy, 4)
            out["trained"]["topic_macro_f1"] = round(rep.macro_f1, 4)
        else:
            i = rep.classes.index("True")
            out["trained"][target] = {"precision": rep.precision[i], "recall": rep.recall[i],
                                      "f1": rep.f1[i], "folds": rep.folds}
    return out


def _eval_by_halves(path: Path, languages: tuple[str, ...], **read) -> dict:
    """Critical by the default rules on a labelled set with a ``half`` column: test, dev
    and all, pooled and per language."""
    from govwatch.analysis.classifiers import PostTagger

    frame = pd.read_csv(path, comment="#", **read)
    frame["truth"] = frame["critical"] == "true"
    frame["pred"] = PostTagger().fit([]).predict(frame["text"].tolist())["critical"].to_numpy()
    out: dict = {}
    for part in ("test", "dev", "all"):
        f = frame if part == "all" else frame[frame["half"] == part]
        per = grouped(f, "lang")
        out[part] = {**scores(f["truth"], f["pred"]), "per_language": per,
                     "min_language_recall": min(per[k]["recall"] for k in languages)}
    return out


def eval_multilingual(repo: Path) -> dict:
    return _eval_by_halves(repo / "tests" / "fixtures" / "multilingual_crisis_synthetic.csv",
                           ML_LANGUAGES, dtype={"critical": str})


HELDOUT_LANGUAGES = ("en", "es", "pt", "fr", "it", "ru", "id", "tl", "hi")


def eval_heldout(repo: Path) -> dict:
    return _eval_by_halves(repo / "tests" / "fixtures" / "crisis_heldout_synthetic.csv",
                           HELDOUT_LANGUAGES, dtype=str, keep_default_na=False)


def eval_checkset(repo: Path) -> dict:
    from govwatch.analysis.classifiers import PostTagger
    from govwatch.analysis.langid import LanguageDetector

    frame = pd.read_csv(repo / "tests" / "fixtures" / "crisis_checkset_synthetic.csv",
                        comment="#", dtype=str)
    frame["truth"] = frame["critical"] == "true"
    frame["pred"] = PostTagger().fit([]).predict(frame["text"].tolist())["critical"].to_numpy()
    per = grouped(frame, "lang")
    found = LanguageDetector(CHECKSET_LANGUAGES).detect_many(frame["text"].tolist())
    frame["detected"] = [f or "none" for f in found]
    expected = frame["lang"].replace({"hi-Latn": "hi"})
    confusion = pd.crosstab(frame["lang"], frame["detected"])
    return {**scores(frame["truth"], frame["pred"]), "per_language": per,
            "min_language_recall": min(x["recall"] for x in per.values()),
            "min_language_specificity": min(x["specificity"] for x in per.values()),
            "langid_accuracy": round(float((expected == frame["detected"]).mean()), 4),
            "langid_confusion": {k: {c: int(n) for c, n in row.items() if n}
                                 for k, row in confusion.iterrows()}}


# -- driver ------------------------------------------------------------------------------


def figures(results: dict) -> dict[str, float]:
    """The checked figures, flat."""
    c, h, t = results["critical"], results["handcoded"]["test"], results["twcs"]
    return {
        "vader.identical_share": results["vader"]["identical_share"],
        "vader.pearson_r": results["vader"]["pearson_r"],
        "crisis.rules.balanced_accuracy": c["rules"]["balanced_accuracy"],
        "crisis.rules.macro_f1": c["rules"]["macro_f1"],
        "crisis.rules.specificity": c["rules"]["specificity"],
        "crisis.rules.min_event_balanced_accuracy": c["rules"]["min_event_balanced_accuracy"],
        "crisis.trained.balanced_accuracy": c["trained"]["balanced_accuracy"],
        "crisis.trained.macro_f1": c["trained"]["macro_f1"],
        "handcoded.rules.balanced_accuracy": h["balanced_accuracy"],
        "handcoded.rules.macro_f1": h["macro_f1"],
        "handcoded.rules.politician_balanced_accuracy": h["politician"]["balanced_accuracy"],
        "handcoded.rules.trap_words_not_tagged": round(1 - h["trap_words_tagged_critical"], 4),
        "hindi.recall": results["hindi"]["recall"],
        "hindi.specificity": results["hindi"]["specificity"],
        "hindi_dev.recall": results["hindi_dev"]["recall"],
        "hindi_dev.specificity": results["hindi_dev"]["specificity"],
        "hindi_check.recall": results["hindi_check"]["recall"],
        "hindi_check.specificity": results["hindi_check"]["specificity"],
        "official_replies.specificity": results["official_replies"]["specificity"],
        "own_posts.precision": results["own_posts"]["precision"],
        "own_posts.specificity": results["own_posts"]["specificity"],
        "official_dev.precision": results["official_dev"]["precision"],
        "official_dev.specificity": results["official_dev"]["specificity"],
        "deflection.balanced_accuracy": results["deflection"]["balanced_accuracy"],
        "deflection.test.precision": results["deflection"]["test"]["precision"],
        "deflection.test.recall": results["deflection"]["test"]["recall"],
        "twcs.needs_response.balanced_accuracy": t["needs_response"]["balanced_accuracy"],
        "multilingual.test.min_language_recall": results["multilingual"]["test"]["min_language_recall"],
        "multilingual.test.specificity": results["multilingual"]["test"]["specificity"],
        "checkset.min_language_recall": results["checkset"]["min_language_recall"],
        "checkset.min_language_specificity": results["checkset"]["min_language_specificity"],
        "checkset.langid_accuracy": results["checkset"]["langid_accuracy"],
        "heldout.test.min_language_recall": results["heldout"]["test"]["min_language_recall"],
        "heldout.test.balanced_accuracy": results["heldout"]["test"]["balanced_accuracy"],
    }


_COLS = ("precision", "recall", "f1", "specificity", "balanced_accuracy", "macro_f1")


def _row(name: str, x: dict) -> str:
    return (f"| {name} | {x['n']:,} | {x['positives']:,} | "
            + " | ".join(f"{x[k]:.3f}" for k in _COLS) + " |")


def _table(title: str, rows: dict[str, dict]) -> list[str]:
    return ["", title, "| | n | critical | precision | recall | F1 | specificity | "
            "balanced acc. | macro-F1 |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *(_row(k, v) for k, v in rows.items())]


def report(results: dict) -> str:
    v, c, h, d = results["vader"], results["critical"], results["handcoded"], results["deflection"]
    lines = [f"VADER: {v['identical']}/{v['texts']} identical to vaderSentiment; Pearson r "
             f"{v['pearson_r']} (vaderSentiment's own: {v['pearson_r_vadersentiment']}); "
             f"langid calls {v['langid_english_share']:.1%} English"]
    lines += _table(f"Critical, crisis collections, leave-one-event-out ({c['tweets']:,} tweets):",
                    {"rules (shipped default)": c["rules"], "trained on other events": c["trained"]})
    for name in ("rules", "trained"):
        lines += _table(f"Per collection, {name} (min balanced accuracy over collections with "
                        f">= 30 unrelated: {c[name]['min_event_balanced_accuracy']:.3f}):",
                        c[name]["per_collection"])
    t = h["test"]
    lines += _table("Critical, hand-coded real posts, test half (rules):",
                    {"pooled": t, "officials (politician + Congress)": t["officials"],
                     **{f"officials, {k}s": x for k, x in t["officials_per_voice"].items()},
                     **{f"source {k}": x for k, x in t["per_source"].items()},
                     **{f"language {k}": x for k, x in t["per_language"].items()},
                     **{f"language {k}": x for k, x in t["hindi_per_script"].items()},
                     **{f"politician stratum {k}": x for k, x in t["politician_per_stratum"].items()}})
    lines += [f"Politician trap-word posts coded not critical and tagged critical: "
              f"{t['trap_words_tagged_critical']:.1%} of {t['trap_words_not_critical']}",
              f"(dev half, which the seed terms were tuned on: balanced accuracy "
              f"{h['dev']['balanced_accuracy']:.3f}, politician precision "
              f"{h['dev']['politician']['precision']:.3f})"]
    lines += _table("Critical, Hindi supplement (real Devanagari posts, one coder, held out; "
                    "rules):", {"all": results["hindi"], **{
                        f"stratum {k}": x for k, x in results["hindi"]["per_stratum"].items()}})
    lines += _table("Critical, Hindi development set (real Devanagari posts, one coder; the "
                    "Hindi terms were tuned on it: in-sample; rules):", {"all": results["hindi_dev"], **{
                        f"stratum {k}": x for k, x in results["hindi_dev"]["per_stratum"].items()}})
    hc = results["hindi_check"]
    lines += _table("Critical, Hindi check set (real Devanagari and romanised posts, one coder, "
                    "coded after this version's terms were written; rules):", {"all": hc, **{
                        f"stratum {k}": x for k, x in hc["per_stratum"].items()}, **{
                        f"script {k}": x for k, x in hc["per_script"].items()}})
    r = results["official_replies"]
    lines += _table(f"Critical, replies of public bodies (held out; {r['tagged']} tagged critical):",
                    {"all": r, **{f"source {k}": x for k, x in r["per_source"].items()}})
    o = results["own_posts"]
    lines += ["", f"Critical on the politician's own posts ({o['n']} coded of {o['population']:,}, "
              f"weighted to all): precision {o['precision']:.3f}, recall {o['recall']:.3f}, "
              f"specificity {o['specificity']:.3f} (recall rests on "
              f"{o['untagged_coded_critical']} critical posts found among the untagged)"]
    f = results["official_dev"]
    lines += ["", f"Critical on the official timeline development set ({f['n']} coded of "
              f"{f['population']:,} posts in Latin script, weighted to all; the English official "
              f"frames were written from it: in-sample): precision {f['precision']:.3f}, recall "
              f"{f['recall']:.3f}, specificity {f['specificity']:.3f}"]
    lines += _table("  per stratum (unweighted):",
                    {f"stratum {k}": x for k, x in f["per_stratum"].items()})
    lines += _table("Deflection, hand-coded official and company replies:",
                    {"all": d, "test half": d["test"],
                     "test half, two-coder items": d["test_two_coder_items"],
                     **{f"test half, source {k}": x for k, x in d["test_per_source"].items()},
                     **{f"source {k}": x for k, x in d["per_source"].items()}})
    w, s = results["twcs"], results["synthetic"]
    lines += ["", f"TWCS needs-response (hand-coded, {w['inbound']} inbound): "
              f"{w['needs_response']}; recall on the {w['answered']} the company answered: "
              f"{w['needs_response_recall_answered']}",
              f"Synthetic hand-coded replies ({s['rows']}), rules: {s['default']}",
              f"  trained, 5-fold CV: {s['trained']}"]
    m = results["multilingual"]
    for part in ("test", "dev"):
        lines += _table(f"Critical per language, SYNTHETIC translated set, {part} half (rules):",
                        {"pooled": m[part], **{f"language {k}": x
                                               for k, x in m[part]["per_language"].items()}})
    h = results["heldout"]
    for part in ("test", "dev"):
        lines += _table(f"Critical per language, SYNTHETIC held-out set, {part} half (rules):",
                        {"pooled": h[part], **{f"language {k}": x
                                               for k, x in h[part]["per_language"].items()}})
    k = results["checkset"]
    lines += _table("Critical per language, SYNTHETIC check set (a test only; rules):",
                    {"pooled": k, **{f"language {x}": v for x, v in k["per_language"].items()}})
    lines += ["", f"Language identification on the check set, {', '.join(CHECKSET_LANGUAGES)} "
              f"configured: {k['langid_accuracy']:.3f} right; written -> detected:",
              *(f"  {lang}: " + ", ".join(f"{d} {n}" for d, n in row.items())
                for lang, row in k["langid_confusion"].items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "real_data",
                        help="folder holding the real-data samples")
    parser.add_argument("--check", action="store_true", help="exit 1 when a figure is below its floor")
    parser.add_argument("--json", type=Path, help="also write all results as JSON here")
    args = parser.parse_args(argv)
    if not args.shared.is_dir():
        print(f"no real-data samples at {args.shared}", file=sys.stderr)
        return 1

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = time.perf_counter()
    results = {}
    say("VADER fidelity")
    results["vader"] = eval_vader(args.shared)
    coded = load_critical(args.shared)
    say("critical issue, leave-one-event-out")
    results["critical"] = eval_critical(read_crisis(args.shared), coded, say)
    say("hand-coded real posts")
    results["handcoded"] = eval_handcoded_critical(coded)
    results["hindi"] = eval_hindi_supplement(args.shared)
    results["hindi_dev"] = eval_hindi_dev(args.shared)
    results["hindi_check"] = eval_hindi_check(args.shared)
    results["own_posts"] = eval_own_posts(args.shared)
    results["official_dev"] = eval_official_dev(args.shared)
    results["official_replies"] = eval_official_replies(args.shared)
    results["deflection"] = eval_deflection(load_deflection(args.shared))
    say("customer support threads")
    results["twcs"] = eval_twcs(args.shared)
    results["synthetic"] = eval_handcoded(REPO)
    results["multilingual"] = eval_multilingual(REPO)
    results["checkset"] = eval_checkset(REPO)
    results["heldout"] = eval_heldout(REPO)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["figures"] = figures(results)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    below = {k: (v, FLOORS[k]) for k, v in results["figures"].items() if v < FLOORS[k]}
    print("\nFigure vs floor:")
    for k, v in results["figures"].items():
        print(f"  {k:<46} {v:.4f}  (floor {FLOORS[k]:.2f}){'  BELOW' if k in below else ''}")
    if args.check and below:
        print(f"{len(below)} figure(s) below their floor: {sorted(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
