"""The tagger of a git revision against this tree's, side by side in one process.

    python benchmarks/bench_tagger_versions.py [--rev 4347aef] [--texts 200000]
    python benchmarks/bench_tagger_versions.py --rev bf84282 --revision-default rules

What changed between the two is the seed-term matcher, the taxonomy, the default
model and the language detector, so those are timed: the revision's
``analysis/taxonomy.py``, ``classifiers.py``, ``langid.py`` (with
``langid_batch.py`` where the revision has it) and
``data/taxonomy.yaml`` are read with ``git show`` into a temporary package and
imported beside this tree's. Each side tags the same distinct texts (real
crisis, politician and VADER tweets from ../shared, made distinct with a
suffix) with its *default* model as ``analyze`` used it - the revision's may be
fitted on the texts (timed apart; ``--revision-default rules`` for a revision
whose default is already the rules alone) - and detects their language; runs alternate
A B A B, three pairs, and the median is reported. The rest of tagging (VADER,
the store) is the same code on both sides unless ``--with-vader``: then each side also
scores every text with VADER as it does (the revision with vaderSentiment's own
analyzer, this tree with ``govwatch.analysis.sentiment``'s; the scores are the
same). ``--clock cpu`` times this process's CPU time instead of wall time (steadier
when other work shares the cores); ``--rules-only`` leaves language detection out.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

FILES = ("taxonomy.py", "classifiers.py", "langid.py")
# Modules the files above import relatively in later revisions: copied where they exist.
OPTIONAL_FILES = ("langid_batch.py", "rule_tagger.py", "word_split.py")


def load_revision(rev: str, into: Path):
    pkg = into / "gw_rev"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", "utf-8")
    for name in FILES + OPTIONAL_FILES:
        shown = subprocess.run(["git", "show", f"{rev}:analysis/{name}"], cwd=REPO,
                               check=name in FILES, capture_output=True, text=True)
        if shown.returncode == 0:
            (pkg / name).write_text(shown.stdout, "utf-8")
    yaml = subprocess.run(["git", "show", f"{rev}:analysis/data/taxonomy.yaml"], cwd=REPO,
                          check=True, capture_output=True, text=True).stdout
    (pkg / "data" / "taxonomy.yaml").write_text(yaml, "utf-8")
    sys.path.insert(0, str(into))
    return (importlib.import_module("gw_rev.classifiers"), importlib.import_module("gw_rev.langid"),
            pkg / "data" / "taxonomy.yaml")


def corpus(shared: Path, n: int) -> list[str]:
    import pandas as pd
    from labelled_data import read_crisis

    base = read_crisis(shared)["text"].tolist()
    base += pd.read_csv(shared / "india_politician_tweets" / "tweets.csv", dtype=str,
                        keep_default_na=False)["text"].tolist()
    return [f"{base[i % len(base)]} #{i}" for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default="4347aef")
    parser.add_argument("--texts", type=int, default=200_000)
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "real_data")
    parser.add_argument("--revision-default", choices=("fitted", "rules"), default="fitted",
                        help="the revision's default model: fitted on the texts, or its rules")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall time, or this process's CPU time (steadier on a loaded machine)")
    parser.add_argument("--rules-only", action="store_true",
                        help="time the classifiers alone, without language detection")
    parser.add_argument("--with-vader", action="store_true",
                        help="also score every text with VADER, as each side does")
    args = parser.parse_args(argv)
    from govwatch.analysis.classifiers import PostTagger
    from govwatch.analysis.langid import LanguageDetector
    from govwatch.analysis.sentiment import _analyzer
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    texts = corpus(args.shared, args.texts)
    with tempfile.TemporaryDirectory() as tmp:
        old_cls, old_lang, old_yaml = load_revision(args.rev, Path(tmp))
        start = time.perf_counter()
        fitted = args.revision_default == "fitted"
        old_model = old_cls.PostTagger(taxonomy=str(old_yaml)).fit(texts if fitted else [])
        fit_s = time.perf_counter() - start
        label = "rules + model fitted on the texts" if fitted else "rules"
        sides = {
            f"{args.rev} default ({label})": (old_model, old_lang.LanguageDetector(),
                                               SentimentIntensityAnalyzer()),
            "this tree's default (rules)": (PostTagger().fit([]), LanguageDetector(),
                                            _analyzer(None)),
        }
        for model, det, _vader in sides.values():  # warm up: matcher tables, langid model
            model.predict(texts[:1000]), det.detect_many(texts[:1000])
        clock = time.process_time if args.clock == "cpu" else time.perf_counter
        times: dict[str, list[float]] = {k: [] for k in sides}
        for _ in range(3):
            for name, (model, det, vader) in sides.items():
                start = clock()
                model.predict(texts)
                if not args.rules_only:
                    det.detect_many(texts)
                if args.with_vader:
                    for text in texts:
                        vader.polarity_scores(text)
                times[name].append(clock() - start)
    what = "classifiers" if args.rules_only else "classifiers + language"
    what += " + VADER" if args.with_vader else ""
    print(f"{len(texts):,} distinct texts; {what}, {args.clock} time; the revision's model "
          f"fitted in {fit_s:.1f} s")
    med = {k: statistics.median(v) for k, v in times.items()}
    for name, t in med.items():
        print(f"  {name}: median {t:.1f} s (min {min(times[name]):.1f}, max {max(times[name]):.1f})"
              f" = {len(texts) / t:,.0f} texts/s")
    old, new = med.values()
    print(f"ratio (revision time / this tree's time): {old / new:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
