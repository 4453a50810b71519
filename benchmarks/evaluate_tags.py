"""Evaluate govwatch's tags on real, labelled public data (docs/evaluation.md).

    python benchmarks/evaluate_tags.py --shared ../shared/real_data [--check] [--json OUT]

Figures (each compared with its floor by ``--check``, which exits 1 when one
drops below; the floors are the measured figures minus a small margin):

1. VADER fidelity (vader_tweets_groundtruth): govwatch's stored sentiment vs
   vaderSentiment's own ``polarity_scores`` for all 4,200 texts, through the real
   tagging path (a DuckDB store, the cache, the SQL join); Pearson r of compound
   with the mean human rating. Also: how many the language detector calls English.
2. Critical issue, leave-events-out (crisislex_t6_sample, crisislex_t26_dev_events,
   crisisnlp_cyclone_pam; 7 events): each event is tested by tagging its tweets
   with what never saw its labels. Critical = the crowd said the tweet is about the
   crisis (T6 "on-topic"; T26 not "Not related"; Pam not "Not related or
   irrelevant"). Variants: seed rules only; the shipped default (rules + a model
   fitted on the event's own unlabelled tweets, as ``analyze`` does on a store);
   the default fitted on the other events' unlabelled tweets; a model trained on
   the other events' labels.
3. Needs-response and deflection (twcs_customer_support_sample): inbound customer
   tweets hand-coded (by tweet id, below) as asking/requesting/reporting a problem
   or not; the proxy "the company replied to it"; company replies hand-coded as
   deflection (moving the customer to a DM, link, office) or not.
4. The hand-coded synthetic replies (tests/fixtures/gov_replies_handcoded.csv):
   the default's critical / needs-response / topic, and a model trained on them
   (stratified 5-fold cross-validation).
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# Measured figure minus a margin (docs/evaluation.md has the measured ones).
FLOORS = {
    "vader.identical_share": 1.0,
    "vader.pearson_r": 0.87,
    "critical.rules.f1": 0.89,
    "critical.default.f1": 0.89,
    "critical.default_other_events.f1": 0.89,
    "critical.trained.f1": 0.88,
    "critical.default.min_event_f1": 0.85,
    "critical.trained.min_event_f1": 0.83,
    "twcs.needs_response.f1": 0.85,
    "twcs.needs_response.recall_answered": 0.80,
    "twcs.deflection.f1": 0.70,
    "handcoded.critical.f1": 0.80,
    "handcoded.needs_response.f1": 0.93,
    "handcoded.trained.critical.f1": 0.87,
    "handcoded.trained.needs_response.f1": 0.94,
}

# twcs_customer_support_sample, hand-coded by reading each tweet (ids only; the
# text stays in ../shared). Inbound tweets that ask, request or report a problem:
TWCS_NEEDS_RESPONSE = {
    2, 3, 5, 8, 12, 16, 18, 20, 22, 23, 24, 26, 29, 31, 33, 36, 39, 41, 42, 44, 47, 49, 51,
    53, 55, 57, 59, 61, 63, 69, 78, 80, 156, 161, 163, 167, 179, 180, 185,
}
# Inbound tweets written by a support agent although marked inbound (signed ^NHP, ^JAY).
TWCS_EXCLUDE = {46, 48}
# Company replies that move the customer elsewhere (DM, private link, form, office, blog).
TWCS_DEFLECTION = {1, 4, 6, 11, 15, 19, 28, 32, 38, 40, 45, 68, 77, 160, 166, 178}


def prf(truth, pred) -> dict:
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, _ = precision_recall_fscore_support(np.asarray(truth, bool), np.asarray(pred, bool),
                                                 average="binary", zero_division=0)
    return {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
            "n": int(len(truth)), "positives": int(np.sum(truth))}


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


# -- 2. Critical issue, leave-events-out -------------------------------------------------


def _event_key(name: str) -> str:
    name = re.sub(r"^\d{4}_", "", name).lower()
    name = re.sub(r"-.*$", "", name)
    return {"sandy_hurricane": "sandy"}.get(name, name)


def read_crisis(shared: Path) -> pd.DataFrame:
    rows = []
    for f in sorted(glob.glob(str(shared / "crisislex_t6_sample" / "*.csv"))):
        d = pd.read_csv(f, skipinitialspace=True, dtype=str, keep_default_na=False)
        event = _event_key(Path(f).name)
        for ident, text, label in zip(d["tweet id"], d["tweet"], d["label"], strict=True):
            rows.append(("t6", event, ident.strip("'"), text, label == "on-topic"))
    for f in sorted(glob.glob(str(shared / "crisislex_t26_dev_events" / "*" / "*-tweets_labeled.csv"))):
        d = pd.read_csv(f, skipinitialspace=True, dtype=str, keep_default_na=False)
        event = _event_key(Path(f).parent.name)
        for ident, text, label in zip(d["Tweet ID"], d["Tweet Text"], d["Informativeness"],
                                      strict=True):
            rows.append(("t26", event, ident.strip('"'), text, label != "Not related"))
    d = pd.read_csv(shared / "crisisnlp_cyclone_pam" / "sample.csv", dtype=str,
                    keep_default_na=False)
    for ident, text, label in zip(d["item_id"], d["item"], d["label"], strict=True):
        rows.append(("pam", "cyclone_pam", ident.strip("'"), text,
                     label != "Not related or irrelevant"))
    frame = pd.DataFrame(rows, columns=["dataset", "event", "id", "text", "critical"])
    # T6 and T26 share four events: a tweet in both counts once.
    return frame.drop_duplicates(["event", "id"]).reset_index(drop=True)


def eval_critical(data: pd.DataFrame, say) -> dict:
    from govwatch.analysis.classifiers import PostTagger, RuleScores
    from govwatch.analysis.taxonomy import TermMatcher, load_taxonomy, taxonomy_groups

    tax = load_taxonomy()
    matcher = TermMatcher(taxonomy_groups(tax))
    variants = ("rules", "default", "default_other_events", "trained")
    pred = {v: np.zeros(len(data), bool) for v in variants}
    for event in sorted(data["event"].unique()):
        say(f"  critical: held-out event {event}")
        test = (data["event"] == event).to_numpy()
        texts = data.loc[test, "text"].tolist()
        others = data.loc[~test, "text"].tolist()
        pred["rules"][test] = RuleScores(tax, matcher, texts).critical > 0
        pred["default"][test] = PostTagger().fit(texts).predict(texts)["critical"].to_numpy()
        pred["default_other_events"][test] = (
            PostTagger().fit(others).predict(texts)["critical"].to_numpy())
        labels = pd.DataFrame({"critical": data.loc[~test, "critical"].to_numpy()})
        pred["trained"][test] = (
            PostTagger().fit(others, labels).predict(texts)["critical"].to_numpy())
    out: dict = {"events": sorted(data["event"].unique()), "tweets": len(data)}
    truth = data["critical"].to_numpy()
    for v in variants:
        per_event = {e: prf(truth[m], pred[v][m]) for e, m in
                     ((e, (data["event"] == e).to_numpy()) for e in out["events"])}
        per_dataset = {ds: prf(truth[m], pred[v][m]) for ds, m in
                       ((ds, (data["dataset"] == ds).to_numpy()) for ds in ("t6", "t26", "pam"))}
        f1s = [x["f1"] for x in per_event.values()]
        out[v] = {**prf(truth, pred[v]), "macro_event_f1": round(float(np.mean(f1s)), 4),
                  "min_event_f1": round(float(np.min(f1s)), 4),
                  "per_event": per_event, "per_dataset": per_dataset}
    return out


# -- 3. Customer support threads ------------------------------------------------------------


def eval_twcs(shared: Path) -> dict:
    from govwatch.analysis.classifiers import PostTagger

    d = pd.read_csv(shared / "twcs_customer_support_sample" / "twcs_sample_first105.csv",
                    dtype=str, keep_default_na=False)
    d["tweet_id"] = d["tweet_id"].astype(int)
    inbound = d["inbound"] == "True"
    model = PostTagger().fit(d["text"].tolist())
    customers = d[inbound & ~d["tweet_id"].isin(TWCS_EXCLUDE)]
    flagged = model.predict(customers["text"].tolist())["needs_response"].to_numpy()
    truth = customers["tweet_id"].isin(TWCS_NEEDS_RESPONSE).to_numpy()
    replied_to = {int(float(x)) for x in d.loc[~inbound, "in_response_to_tweet_id"] if x}
    answered = customers["tweet_id"].isin(replied_to).to_numpy()
    company = d[~inbound]
    deflect = model.predict(company["text"].tolist())["deflection"].to_numpy()
    return {
        "needs_response": prf(truth, flagged),
        "needs_response_recall_answered": round(float(flagged[answered].mean()), 4),
        "answered": int(answered.sum()),
        "inbound": int(len(customers)),
        "flagged_share": round(float(flagged.mean()), 4),
        "deflection": prf(company["tweet_id"].isin(TWCS_DEFLECTION).to_numpy(), deflect),
    }


# -- 4. Hand-coded synthetic replies ----------------------------------------------------------


def eval_handcoded(repo: Path) -> dict:
    from govwatch.analysis.classifiers import PostTagger
    from govwatch.analysis.training import cross_validate, read_labels
    from sklearn.metrics import accuracy_score

    path = repo / "tests" / "fixtures" / "gov_replies_handcoded.csv"
    labels = read_labels(path)
    raw = pd.read_csv(path, comment=None, skiprows=3, dtype=str)
    texts = labels["text"].tolist()
    pred = PostTagger().fit(texts).predict(texts)
    out: dict = {"rows": len(labels), "default": {}, "trained": {}, "by_language": {}}
    for target in ("critical", "needs_response"):
        out["default"][target] = prf(labels[target].astype(bool), pred[target])
    out["default"]["topic_accuracy"] = round(float(accuracy_score(labels["topic"], pred["topic"])), 4)
    for lang in sorted(raw["lang"].unique()):
        m = (raw["lang"] == lang).to_numpy()
        out["by_language"][lang] = {
            t: prf(labels[t].astype(bool)[m], pred[t][m])["f1"] for t in ("critical", "needs_response")}
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


# -- driver ------------------------------------------------------------------------------


def figures(results: dict) -> dict[str, float]:
    """The checked figures, flat."""
    c, t, h = results["critical"], results["twcs"], results["handcoded"]
    return {
        "vader.identical_share": results["vader"]["identical_share"],
        "vader.pearson_r": results["vader"]["pearson_r"],
        "critical.rules.f1": c["rules"]["f1"],
        "critical.default.f1": c["default"]["f1"],
        "critical.default_other_events.f1": c["default_other_events"]["f1"],
        "critical.trained.f1": c["trained"]["f1"],
        "critical.default.min_event_f1": c["default"]["min_event_f1"],
        "critical.trained.min_event_f1": c["trained"]["min_event_f1"],
        "twcs.needs_response.f1": t["needs_response"]["f1"],
        "twcs.needs_response.recall_answered": t["needs_response_recall_answered"],
        "twcs.deflection.f1": t["deflection"]["f1"],
        "handcoded.critical.f1": h["default"]["critical"]["f1"],
        "handcoded.needs_response.f1": h["default"]["needs_response"]["f1"],
        "handcoded.trained.critical.f1": h["trained"]["critical"]["f1"],
        "handcoded.trained.needs_response.f1": h["trained"]["needs_response"]["f1"],
    }


def report(results: dict) -> str:
    v, c = results["vader"], results["critical"]
    lines = [
        f"VADER: {v['identical']}/{v['texts']} identical to vaderSentiment; Pearson r "
        f"{v['pearson_r']} (vaderSentiment's own: {v['pearson_r_vadersentiment']}); "
        f"langid calls {v['langid_english_share']:.1%} English",
        "",
        f"Critical issue, leave-events-out ({c['tweets']:,} tweets, {len(c['events'])} events):",
        "| variant | precision | recall | F1 (pooled) | macro F1 over events | worst event F1 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in ("rules", "default", "default_other_events", "trained"):
        x = c[name]
        lines.append(f"| {name} | {x['precision']:.3f} | {x['recall']:.3f} | {x['f1']:.3f} | "
                     f"{x['macro_event_f1']:.3f} | {x['min_event_f1']:.3f} |")
    lines += ["", "Per event F1 (rules / default / default_other_events / trained):"]
    for e in c["events"]:
        lines.append(f"  {e:<22} " + " / ".join(f"{c[n]['per_event'][e]['f1']:.3f}" for n in
                                                 ("rules", "default", "default_other_events", "trained")))
    t, h = results["twcs"], results["handcoded"]
    lines += ["", f"TWCS needs-response (hand-coded, {t['inbound']} inbound): "
              f"{t['needs_response']}; recall on the {t['answered']} the company answered: "
              f"{t['needs_response_recall_answered']}",
              f"TWCS deflection (company replies): {t['deflection']}",
              f"Hand-coded synthetic ({h['rows']} replies), default: {h['default']}",
              f"  by language (F1 critical / needs_response): {h['by_language']}",
              f"  trained, 5-fold CV: {h['trained']}"]
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
    say("critical issue, leave-events-out")
    results["critical"] = eval_critical(read_crisis(args.shared), say)
    say("customer support threads")
    results["twcs"] = eval_twcs(args.shared)
    say("hand-coded replies")
    results["handcoded"] = eval_handcoded(REPO)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["figures"] = figures(results)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    below = {k: (v, FLOORS[k]) for k, v in results["figures"].items() if v < FLOORS[k]}
    print("\nFigure vs floor:")
    for k, v in results["figures"].items():
        print(f"  {k:<40} {v:.4f}  (floor {FLOORS[k]:.2f}){'  BELOW' if k in below else ''}")
    if args.check and below:
        print(f"{len(below)} figure(s) below their floor: {sorted(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
