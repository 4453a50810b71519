"""An experiment that was measured and NOT shipped: a learned second stage for *critical*.

    python benchmarks/experiment_critical_veto.py --shared ../shared/real_data [--with-crisis]
    python benchmarks/experiment_critical_veto.py --shared ../shared/real_data --heldout

The idea (docs/evaluation.md, "Critical on an official's posts: a learned second
stage"): a small text model - word (and character) n-gram TF-IDF and a logistic
regression, an ordinary scikit-learn pipeline - reads the text of the posts the
seed rules call critical and vetoes those it finds unlikely to be incidents
(``veto``); optionally it also promotes posts the rules left out when it is
confident (``veto+rescue``), for condolences that carry no crisis word.

Training material: the ``dev`` half of analysis/data/handcoded_critical.csv and
the Hindi development set (analysis/data/handcoded_critical_hindi_dev.csv);
``--with-crisis`` adds the crisis collections' rule-positive tweets (all the
crowd's off-topic ones and 4,000 on-topic ones). The held-out sets are never
trained on: the ``test`` half, the Hindi supplement, the own-post audit and the
replies of public bodies.

Without ``--heldout`` the script cross-validates on the dev material only
(5 folds, ``--repeats`` shuffles, 3 by default; every post gets the mean
out-of-fold probability) over a fixed grid - what it is trained on (the
rule-positive posts or every post), features (words; words and characters),
regularisation C, the veto threshold and the rescue threshold - and prints, per
configuration, the officials' (politician timeline and US Congress, Hindi
development set included) and all dev posts' precision, recall and balanced
accuracy beside the rules'. ``--train-on``, ``--features`` and ``--C`` narrow
the grid. Of the configurations that change at least one call, it picks the
one with the best officials' balanced accuracy (precision breaks ties).

The figures in docs/evaluation.md: ``--train-on positives`` (3 shuffles);
``--train-on all --C 1 --C 10 --repeats 1`` for each feature set; ``--with-crisis
--train-on positives --features words --C 1 --C 10 --repeats 1``; and the held-out
run ``--train-on all --features words+chars --C 1 --heldout``; the learning curves
``--learning-curve --train-on positives --features words+chars --C 3`` and
``--learning-curve --train-on all --features words --C 10``.

``--heldout`` then fits the picked configuration on all the dev material and
prints, once, its figures on the held-out sets beside the rules'. The held-out
sets are read for these aggregates only. The tagger is unchanged by this script.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from labelled_data import load_critical, read_crisis  # noqa: E402

OFFICIAL_SOURCES = ("india_politician_tweets", "congresstweets_sample")
OWN_POST_WEIGHTS = {"own-tagged": 95 / 95, "own-untagged": 1953 / 95}
GRID = {
    "train_on": ("positives", "all"),
    "features": ("words", "words+chars"),
    "C": (0.3, 1.0, 3.0, 10.0),
}
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)
RESCUE_THRESHOLDS = (None, 0.7, 0.8, 0.9)


def make_model(features: str, C: float):
    """TF-IDF n-grams and a class-balanced logistic regression (a scikit-learn Pipeline)."""
    from govwatch.analysis.classifiers import TOKEN_PATTERN
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    parts = [("words", TfidfVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(1, 2),
                                       sublinear_tf=True))]
    if features == "words+chars":
        parts.append(("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                               sublinear_tf=True)))
    return Pipeline([("features", FeatureUnion(parts)),
                     ("model", LogisticRegression(C=C, class_weight="balanced", max_iter=2000))])


def rules_critical(texts: list[str]) -> np.ndarray:
    from govwatch.analysis.classifiers import PostTagger

    return PostTagger().fit([]).predict(texts)["critical"].to_numpy(bool)


def dev_material(shared: Path) -> pd.DataFrame:
    main = load_critical(shared)
    hindi = load_critical(shared, "handcoded_critical_hindi_dev.csv")
    dev = pd.concat([main[main["half"] == "dev"], hindi], ignore_index=True)
    dev["y"] = dev["critical"].astype(bool)
    dev["rule"] = rules_critical(dev["text"].tolist())
    dev["official"] = dev["source"].isin(OFFICIAL_SOURCES)
    return dev


def crisis_material(shared: Path) -> pd.DataFrame:
    crisis = read_crisis(shared)
    crisis = crisis[rules_critical(crisis["text"].tolist())]
    return pd.concat([crisis[~crisis["critical"]],
                      crisis[crisis["critical"]].sample(4000, random_state=0)])


def score(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> dict:
    w = np.ones(len(y)) if w is None else w
    tp, fp = w[y & p].sum(), w[~y & p].sum()
    fn, tn = w[y & ~p].sum(), w[~y & ~p].sum()
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    specificity = tn / (tn + fp) if tn + fp else 0.0
    return {"precision": precision, "recall": recall,
            "balanced_accuracy": (recall + specificity) / 2, "n": len(y)}


def fmt(s: dict) -> str:
    return (f"P {s['precision']:.3f} R {s['recall']:.3f} BA {s['balanced_accuracy']:.3f}"
            f" (n={s['n']})")


def decide(rule: np.ndarray, proba: np.ndarray, threshold: float,
           rescue: float | None) -> np.ndarray:
    """Rules, vetoed where the model's probability is below ``threshold`` (and
    promoted where it reaches ``rescue``)."""
    out = rule & (proba >= threshold)
    if rescue is not None:
        out |= ~rule & (proba >= rescue)
    return out


def _texts(frame: pd.DataFrame) -> list[str]:
    from govwatch.analysis.classifiers import prepare_texts

    return prepare_texts(frame["text"].tolist())


def out_of_fold(dev: pd.DataFrame, extra: pd.DataFrame | None, train_on: str, features: str,
                C: float, repeats: int = 3, fraction: float = 1.0) -> np.ndarray:
    """Mean out-of-fold probability of every dev post; ``fraction`` of each fold's
    training part is used (a learning curve)."""
    from sklearn.model_selection import StratifiedKFold

    proba = np.zeros(len(dev))
    strata = dev["y"].astype(int) * 2 + dev["rule"].astype(int)
    for rep in range(repeats):
        for train, test in StratifiedKFold(5, shuffle=True, random_state=rep).split(dev, strata):
            if fraction < 1.0:
                train = np.random.default_rng(rep).permutation(train)[:int(len(train) * fraction)]
            part = dev.iloc[train]
            if train_on == "positives":
                part = part[part["rule"]]
            texts, labels = _texts(part), part["y"].to_numpy(bool)
            if extra is not None:
                texts += _texts(extra)
                labels = np.concatenate([labels, extra["critical"].to_numpy(bool)])
            model = make_model(features, C).fit(texts, labels)
            proba[test] += model.predict_proba(_texts(dev.iloc[test]))[:, 1] / repeats
    return proba


def cross_validate(dev: pd.DataFrame, extra: pd.DataFrame | None, grid: dict,
                   repeats: int) -> dict:
    off = dev["official"].to_numpy()
    y, rule = dev["y"].to_numpy(bool), dev["rule"].to_numpy(bool)
    base = score(y[off], rule[off])
    print(f"rules                      officials {fmt(base)} | all dev {fmt(score(y, rule))}")
    best = None
    for train_on, features, C in itertools.product(*grid.values()):
        proba = out_of_fold(dev, extra, train_on, features, C, repeats)
        for threshold, rescue in itertools.product(THRESHOLDS, RESCUE_THRESHOLDS):
            if rescue is not None and train_on == "positives":
                continue  # a model of rule positives knows nothing of the rest
            pred = decide(rule, proba, threshold, rescue)
            s = score(y[off], pred[off])
            name = f"{train_on}/{features}/C={C}/t={threshold}/rescue={rescue}"
            print(f"{name:<45} officials {fmt(s)} | all dev {fmt(score(y, pred))}")
            key = (round(s["balanced_accuracy"], 4), round(s["precision"], 4))
            if (pred == rule).all():
                continue  # changes nothing: the rules themselves
            if best is None or key > best[0]:
                best = (key, {"train_on": train_on, "features": features, "C": C,
                              "threshold": threshold, "rescue": rescue})
    if best is None:
        raise SystemExit("no configuration changed a prediction")
    print(f"\nbest on dev that changes a prediction (officials' BA, then precision): {best[1]} -> BA {best[0][0]:.3f}, "
          f"precision {best[0][1]:.3f}; rules BA {base['balanced_accuracy']:.3f}, "
          f"precision {base['precision']:.3f}")
    return best[1]


def learning_curve(dev: pd.DataFrame, extra: pd.DataFrame | None, grid: dict,
                   repeats: int) -> None:
    """Best dev figures of the veto when trained on a quarter, half, ... of the material."""
    off = dev["official"].to_numpy()
    y, rule = dev["y"].to_numpy(bool), dev["rule"].to_numpy(bool)
    for train_on, features, C in itertools.product(*grid.values()):
        for fraction in (0.25, 0.5, 0.75, 1.0):
            proba = out_of_fold(dev, extra, train_on, features, C, repeats, fraction)
            best = max((score(y[off], decide(rule, proba, t, None)[off]) for t in THRESHOLDS
                        if not (decide(rule, proba, t, None) == rule).all()),
                       key=lambda s: (s["balanced_accuracy"], s["precision"]), default=None)
            got = fmt(best) if best else "changes nothing"
            print(f"{train_on}/{features}/C={C} trained on {fraction:.0%}: best veto {got}")


def heldout(shared: Path, dev: pd.DataFrame, extra: pd.DataFrame | None, cfg: dict) -> None:
    part = dev[dev["rule"]] if cfg["train_on"] == "positives" else dev
    texts, labels = _texts(part), part["y"].to_numpy(bool)
    if extra is not None:
        texts += _texts(extra)
        labels = np.concatenate([labels, extra["critical"].to_numpy(bool)])
    model = make_model(cfg["features"], cfg["C"]).fit(texts, labels)

    def both(frame: pd.DataFrame, weight=None, label="") -> None:
        rule = rules_critical(frame["text"].tolist())
        proba = model.predict_proba(_texts(frame))[:, 1]
        pred = decide(rule, proba, cfg["threshold"], cfg["rescue"])
        y = frame["critical"].to_numpy(bool)
        print(f"{label:<34} rules {fmt(score(y, rule, weight))}\n{'':<34} +stage {fmt(score(y, pred, weight))}")

    main = load_critical(shared)
    test = main[main["half"] == "test"]
    officials = test[test["source"].isin(OFFICIAL_SOURCES)]
    print(f"configuration: {cfg}")
    both(officials, label="test half, officials")
    own = officials["text"].str.startswith("RT @")
    both(officials[~own], label="  own posts")
    both(officials[officials["source"] == "india_politician_tweets"], label="  politician timeline")
    both(test, label="test half, all sources")
    audit = load_critical(shared, "handcoded_critical_own_posts.csv")
    both(audit, audit["stratum"].map(OWN_POST_WEIGHTS).to_numpy(), "own-post audit (weighted)")
    both(load_critical(shared, "handcoded_critical_hindi.csv"), label="Hindi supplement")
    both(load_critical(shared, "handcoded_critical_official_replies.csv"),
         label="replies of public bodies")
    trap = test[(test["stratum"] == "trap-word") & ~test["critical"].astype(bool)
                & (test["source"] == "india_politician_tweets")]
    rule = rules_critical(trap["text"].tolist())
    pred = decide(rule, model.predict_proba(_texts(trap))[:, 1], cfg["threshold"], cfg["rescue"])
    print(f"greetings/obituaries/inaugurations tagged: rules {rule.mean():.3f}, +stage {pred.mean():.3f}"
          f" (n={len(trap)})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "real_data")
    ap.add_argument("--with-crisis", action="store_true",
                    help="also train on the crisis collections' rule-positive tweets")
    ap.add_argument("--heldout", action="store_true",
                    help="fit the configuration picked on dev and print held-out figures once")
    ap.add_argument("--train-on", choices=GRID["train_on"], action="append",
                    help="only these training sets (default: both)")
    ap.add_argument("--features", choices=GRID["features"], action="append",
                    help="only these features (default: both)")
    ap.add_argument("--C", type=float, action="append", help="only these C (default: the grid)")
    ap.add_argument("--repeats", type=int, default=3, help="shuffles of the 5 folds")
    ap.add_argument("--learning-curve", action="store_true",
                    help="the veto's best dev figures trained on 25%%, 50%%, 75%% and all of each fold")
    args = ap.parse_args(argv)
    grid = {"train_on": args.train_on or GRID["train_on"],
            "features": args.features or GRID["features"], "C": args.C or GRID["C"]}
    dev = dev_material(args.shared)
    extra = crisis_material(args.shared) if args.with_crisis else None
    if args.learning_curve:
        learning_curve(dev, extra, grid, args.repeats)
        return 0
    cfg = cross_validate(dev, extra, grid, args.repeats)
    if args.heldout:
        print()
        heldout(args.shared, dev, extra, cfg)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
