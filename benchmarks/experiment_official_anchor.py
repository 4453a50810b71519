"""An experiment that was measured and NOT shipped: an incident anchor for officials' posts.

    python benchmarks/experiment_official_anchor.py --shared ../shared/real_data [--half dev|test]

The idea (docs/evaluation.md, "Critical on an official's posts: an incident
anchor"): an official account's post would be critical only when it names an
incident - a strong crisis term (flood, derailed, killed, blast ...) or a
support term that names an incident ("attack", "blasts", "collapse") - so that
a lone *frame* word ("victims", "missing", "suicide", "anguished") in a
politician's argument is no longer enough. Citizens' messages keep today's
rule, so the crisis collections (citizens' tweets) cannot move.

The script applies that rule on top of the shipped rules to the official
sources of the hand-coded sets (the head of government's timeline and US
Congress, main set; the own-post audit; the Hindi supplement) and prints
precision, recall and specificity beside the shipped rules'. It changes
nothing in the tagger. The frame words were chosen before the test half was
read; the test half was read once, for these aggregates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402
from labelled_data import load_critical  # noqa: E402

# Support terms that frame an incident without naming one: on an official's post they
# would need an anchor (a strong term, or a support term outside this list) beside them.
FRAMES = frozenset({"victims", "missing", "suicide", "suicides", "committed suicide",
                    "anguished", "आत्महत्या"})
OFFICIAL_SOURCES = ("india_politician_tweets", "congresstweets_sample")
# The own-post audit's strata and their sizes (coded, population): see evaluate_tags.py.
OWN_POST_WEIGHTS = {"own-tagged": 95 / 95, "own-untagged": 1953 / 95}


def predictions(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(the shipped rules, the rules with an incident anchor required) per text."""
    from govwatch.analysis.classifiers import RuleScores
    from govwatch.analysis.taxonomy import load_taxonomy, taxonomy_matcher

    tax = load_taxonomy()
    matcher = taxonomy_matcher(tax)
    rules = RuleScores(tax, matcher, texts).critical > 0
    anchored = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        if rules[i]:
            found = matcher.matched(text)
            anchored[i] = bool(found.get("critical_strong")) or any(
                t not in FRAMES for t in found.get("critical_support", ()))
    return rules, anchored


def figures(truth: np.ndarray, pred: np.ndarray, weight: np.ndarray | None = None) -> str:
    w = np.ones(len(truth)) if weight is None else weight
    tp, fp = w[truth & pred].sum(), w[~truth & pred].sum()
    fn, tn = w[truth & ~pred].sum(), w[~truth & ~pred].sum()
    p, r, s = tp / max(tp + fp, 1e-9), tp / max(tp + fn, 1e-9), tn / max(tn + fp, 1e-9)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return (f"precision {p:.3f}  recall {r:.3f}  specificity {s:.3f}  F1 {f1:.3f}  "
            f"balanced acc. {(r + s) / 2:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "real_data")
    parser.add_argument("--half", choices=("dev", "test"), default="dev",
                        help="half of the main hand-coded set (the other sets are read whole)")
    args = parser.parse_args(argv)
    coded = load_critical(args.shared)
    coded = coded[coded["source"].isin(OFFICIAL_SOURCES) & coded["half"].eq(args.half)]
    retweet = coded["text"].str.startswith("RT @").to_numpy()
    subsets = {
        f"officials, {args.half} half": (coded, None, slice(None)),
        "- own posts": (coded, None, ~retweet),
        "- retweets": (coded, None, retweet),
        "- US Congress": (coded, None, coded["source"].eq("congresstweets_sample").to_numpy()),
    }
    own = load_critical(args.shared, "handcoded_critical_own_posts.csv")
    subsets["own-post audit (weighted)"] = (
        own, own["stratum"].map(OWN_POST_WEIGHTS).to_numpy(), slice(None))
    subsets["Hindi supplement"] = (
        load_critical(args.shared, "handcoded_critical_hindi.csv"), None, slice(None))
    for name, (frame, weight, rows) in subsets.items():
        rules, anchored = predictions(frame["text"].tolist())
        truth = frame["critical"].to_numpy(bool)
        w = None if weight is None else weight[rows]
        print(f"{name} (n={int(np.asarray(truth[rows]).size)}, critical={int(truth[rows].sum())})")
        print(f"  rules    {figures(truth[rows], rules[rows], w)}")
        print(f"  anchored {figures(truth[rows], anchored[rows], w)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
