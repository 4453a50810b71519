"""Tagging throughput: govwatch's tagger vs what a competent user writes, same outputs.

    python benchmarks/bench_tagging.py                 # 1,000,000 posts
    python benchmarks/bench_tagging.py --posts 200000 --distinct 0.9

The corpus imitates a store of the public's posts: a share of posts (``--distinct``,
45% by default) carry a distinct text, the rest repeat one (retweets, copy-paste campaigns: a few texts
repeated thousands of times, many repeated a few times). Texts come from the
real samples in ../shared/real_data when present (VADER's tweets, crisis tweets,
customer-support tweets) and from templates in the five project languages, each
made distinct with a handle, ward number or hashtag. Half the posts carry the
export's own ``lang``; the rest are detected.

- govwatch: ``govwatch.analysis.tagging.tag_new_posts`` on a real DuckDB store (the model
  fitted beforehand and timed separately, as the first ``analyze`` does).
- baseline: what a competent user writes in one process: for each post, the language
  (given or detected by the same detector) and ``SentimentIntensityAnalyzer.polarity_scores``
  (analyzer built once) for English; the model's ``predict`` on chunks of 10,000 texts
  (not one call per post, which costs about 5 ms of overhead a post). It runs on the
  first ``--baseline-sample`` posts and its time is extrapolated linearly (its cost is
  linear in posts; it does not skip repeated texts). Its outputs are compared with
  govwatch's for those posts, every column, exactly.

Both sides run in this one process, in ``--pairs`` interleaved pairs (3 by default):
govwatch on a fresh store, then the baseline, again and again; the ratios are the median
and min-max over the pairs, and each pair also gives the cores each side used (its CPU
time / its wall time: the pool's share of the machine). CPU time of each side is
user + system time of this process and of the worker processes it waited for (the
VADER pool), taken around that side; peak RSS is this process's high-water mark
after govwatch's tagging (corpus and store included) and at the end (the baseline
comes second, so its figure is "at most" the larger one). ``--json PATH`` writes
every figure for ``run_all.py``.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

TEMPLATES = {
    "en": ["Train {k} derailed near the station, coaches off the track",
           "No water in ward {k} for three days, please help",
           "Thank you for the new park in block {k}!!! 😀", "When will the pension for {k} be paid?",
           "Happy birthday sir, best wishes from district {k}", "Garbage not collected in lane {k}"],
    "hi": ["गांव {k} में बाढ़ का पानी घुस गया है", "वार्ड {k} में तीन दिन से पानी नहीं है",
           "जन्मदिन की हार्दिक शुभकामनाएं {k}", "sadak {k} kab banegi, bahut pareshani hai"],
    "id": ["Banjir setinggi dada di RT {k}, warga butuh perahu", "Kapan jalan {k} diperbaiki pak?",
           "Selamat ulang tahun Pak {k}, semoga sehat selalu"],
    "ru": ["Поезд сошёл с рельсов у станции {k}", "Когда починят дорогу в районе {k}?",
           "Спасибо за новый парк {k}!"],
    "kk": ["Ауылды су басты {k}, көмектесіңіздер", "Ыстық су қашан беріледі? {k}",
           "Туған күніңізбен құттықтаймын {k}!"],
}


def real_texts(shared: Path) -> list[str]:
    out: list[str] = []
    gt = shared / "vader_tweets_groundtruth" / "tweets_GroundTruth.txt"
    if gt.is_file():
        out += [ln.split("\t", 2)[2] for ln in gt.read_bytes().decode("utf-8").split("\r\n") if ln]
    for f in glob.glob(str(shared / "crisislex_t6_sample" / "*.csv")):
        out += pd.read_csv(f, skipinitialspace=True, dtype=str)["tweet"].dropna().tolist()
    pam = shared / "crisisnlp_cyclone_pam" / "sample.csv"
    if pam.is_file():
        out += pd.read_csv(pam, dtype=str)["item"].dropna().tolist()
    return out


def make_corpus(n: int, shared: Path, seed: int = 0, distinct: float = 0.45) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = [(t, "en") for t in real_texts(shared)]
    for lang, templates in TEMPLATES.items():
        base += [(t, lang) for t in templates]
    n_distinct = max(1, int(n * distinct))
    picks = rng.integers(0, len(base), n_distinct)
    suffix = rng.choice(["@ward{}", "#area{}", "ref {}", "({})"], n_distinct)
    texts, langs = [], []
    for i, (j, s) in enumerate(zip(picks, suffix, strict=True)):
        text, lang = base[j]
        texts.append(text.replace("{k}", str(i)) if "{k}" in text else f"{text} {s.format(i)}")
        langs.append(lang)
    # Up to 30% of posts repeat a few popular texts (Zipf), the rest spread over all texts.
    popular = np.minimum(rng.zipf(1.3, min(int(n * 0.3), n - n_distinct)) - 1, n_distinct - 1)
    spread = rng.integers(0, n_distinct, n - len(popular))
    spread[:n_distinct] = np.arange(min(n_distinct, len(spread)))
    which = rng.permutation(np.concatenate([popular, spread]))
    text_arr, lang_arr = np.array(texts, dtype=object), np.array(langs, dtype=object)
    given = np.where(rng.random(n) < 0.5, lang_arr[which], None)
    return pd.DataFrame({"platform": "x", "post_id": [f"{i:08d}" for i in range(n)],
                         "author": "citizen", "created_at": datetime(2024, 1, 1, tzinfo=UTC),
                         "text": text_arr[which], "lang": given, "kind": "post"})


BASELINE_CHUNK = 10_000


def baseline(posts: pd.DataFrame, model, detector, routes) -> pd.DataFrame:
    """The competent loop: language and VADER per post, the model on chunks of texts."""
    from govwatch.analysis.langid import normalize_code
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    rows = []
    for post_id, text, given in zip(posts["post_id"], posts["text"], posts["lang"], strict=True):
        lang = normalize_code(given) or detector.detect(text)
        version_, _lexicon, note = routes.route(lang)
        s = vader.polarity_scores(text) if version_ else None
        rows.append((post_id, lang, s and s["compound"], s and s["pos"], s and s["neu"],
                     s and s["neg"], note))
    texts = posts["text"].tolist()
    predicted = pd.concat([model.predict(texts[i:i + BASELINE_CHUNK])
                           for i in range(0, len(texts), BASELINE_CHUNK)], ignore_index=True)
    out = pd.DataFrame(rows, columns=COMPARED[:7])
    for col in COMPARED[7:]:
        out[col] = predicted[col].to_numpy()
    for col in ("critical", "needs_response", "deflection"):
        out[col] = out[col].astype(bool)
    return out


COMPARED = ["post_id", "lang", "sentiment", "sentiment_pos", "sentiment_neu", "sentiment_neg",
            "sentiment_note", "topic", "topic_confidence", "critical", "critical_confidence",
            "needs_response", "needs_response_confidence", "deflection"]


def _same(a: pd.Series, b: pd.Series) -> bool:
    a, b = a.astype(object).to_numpy(), b.astype(object).to_numpy()
    return all((x is None or x != x) and (y is None or y != y) or x == y
               for x, y in zip(a, b, strict=True))


def cpu_now() -> float:
    """User + system seconds of this process and of its ended children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--baseline-sample", type=int, default=20_000)
    parser.add_argument("--distinct", type=float, default=0.45,
                        help="share of posts with a distinct text (default 0.45)")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "real_data")
    parser.add_argument("--workers", type=int, default=None, help="VADER processes (default: cores)")
    parser.add_argument("--vader-texts", type=int, default=100_000,
                        help="also time VADER alone on this many texts, 1 process vs the pool (0: skip)")
    parser.add_argument("--pairs", type=int, default=3,
                        help="interleaved pairs: govwatch on a fresh store, then the baseline")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)

    from govwatch.analysis.langid import LanguageDetector
    from govwatch.analysis.sentiment import SentimentRoutes
    from govwatch.analysis.tagging import (
        TaggingSettings,
        active_model,
        resolve_settings,
        tag_new_posts,
    )

    from govwatch.store import Store

    posts = make_corpus(args.posts, args.shared, distinct=args.distinct)
    distinct = posts["text"].nunique()
    print(f"{len(posts):,} posts, {distinct:,} distinct texts ({distinct / len(posts):.0%}), "
          f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    settings = TaggingSettings(workers=args.workers)
    sample = posts.head(args.baseline_sample)
    detector = LanguageDetector()
    scale = args.posts / len(sample)
    runs = []
    identical = True
    for pair in range(args.pairs):  # interleaved: govwatch on a fresh store, then the baseline
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "bench.duckdb")
            store.conn.register("_posts", posts)
            store.conn.execute("INSERT INTO posts BY NAME SELECT * FROM _posts")
            store.conn.unregister("_posts")
            t0 = time.perf_counter()
            with store.transaction() as con:
                model = active_model(con, resolve_settings(con, settings))
            fit_s = time.perf_counter() - t0
            t0, c0 = time.perf_counter(), cpu_now()
            tagged = tag_new_posts(store.conn, settings=settings, commit_batches=True)  # as analyze
            ours_s, ours_cpu = time.perf_counter() - t0, cpu_now() - c0
            ours_peak = peak_rss_bytes()
            got = store.conn.execute(
                f"SELECT {', '.join(COMPARED)} FROM tags WHERE post_id <= ? ORDER BY post_id",
                [sample["post_id"].iloc[-1]]).df()
            store.close()
        t0, c0 = time.perf_counter(), cpu_now()
        base = baseline(sample, model, detector, SentimentRoutes({}))
        base_s, base_cpu = time.perf_counter() - t0, cpu_now() - c0
        identical = identical and all(_same(got[c], base[c]) for c in COMPARED)
        run = {"ours_wall_s": ours_s, "ours_cpu_s": ours_cpu, "base_wall_s": base_s * scale,
               "base_cpu_s": base_cpu * scale, "base_wall_s_measured": base_s,
               "base_cpu_s_measured": base_cpu, "ours_cores": ours_cpu / ours_s,
               "base_cores": base_cpu / base_s, "ratio_wall": base_s * scale / ours_s,
               "ratio_cpu": base_cpu * scale / ours_cpu, "load_1min": os.getloadavg()[0]}
        runs.append(run)
        print(f"pair {pair + 1}: model ready in {fit_s:.1f} s; govwatch tagged {tagged:,} posts "
              f"in {ours_s:.1f} s (CPU {ours_cpu:.1f} s, {run['ours_cores']:.2f} cores); baseline "
              f"{len(sample):,} posts in {base_s:.1f} s (CPU {base_cpu:.1f} s, "
              f"{run['base_cores']:.2f} cores), x{scale:g} = {base_s * scale:,.0f} s; ratio "
              f"wall {run['ratio_wall']:.2f}x, CPU {run['ratio_cpu']:.2f}x; load "
              f"{run['load_1min']:.1f}", flush=True)
    print(f"identical outputs on the {len(sample):,} compared posts: {identical}")
    spread = {k: {"min": min(r[k] for r in runs), "median": float(np.median([r[k] for r in runs])),
                  "max": max(r[k] for r in runs)} for k in ("ratio_wall", "ratio_cpu")}
    print(f"ratio (baseline / govwatch), median (min-max) of {len(runs)} interleaved pairs: wall "
          f"{spread['ratio_wall']['median']:.2f}x ({spread['ratio_wall']['min']:.2f}-"
          f"{spread['ratio_wall']['max']:.2f}), CPU {spread['ratio_cpu']['median']:.2f}x "
          f"({spread['ratio_cpu']['min']:.2f}-{spread['ratio_cpu']['max']:.2f}); govwatch's "
          "cores: its CPU (this process and the pool's) / its wall time")
    mid = sorted(range(len(runs)), key=lambda i: runs[i]["ratio_wall"])[len(runs) // 2]
    ours_s, ours_cpu = runs[mid]["ours_wall_s"], runs[mid]["ours_cpu_s"]
    base_s, base_cpu = runs[mid]["base_wall_s_measured"], runs[mid]["base_cpu_s_measured"]
    vader = None
    if args.vader_texts:
        vader = vader_pool(posts["text"].drop_duplicates().head(args.vader_texts).tolist())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "benchmark": "tagging", "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "load_1min": os.getloadavg()[0], "cpus": os.cpu_count(),
            "posts": args.posts, "distinct_texts": int(distinct), "model_fit_s": fit_s,
            "ours": {"tagged": tagged, "wall_s": ours_s, "cpu_s": ours_cpu,
                     "peak_rss_bytes": ours_peak},
            "baseline": {"name": "per-post language + VADER, model.predict on chunks of "
                                 f"{BASELINE_CHUNK:,}",
                         "measured_posts": len(sample), "wall_s_measured": base_s,
                         "cpu_s_measured": base_cpu, "wall_s": base_s * scale,
                         "cpu_s": base_cpu * scale, "extrapolated": scale != 1,
                         "peak_rss_bytes_at_most": peak_rss_bytes()},
            "pairs": runs, "ratio_spread": spread,
            "ratio_wall": spread["ratio_wall"]["median"],
            "ratio_cpu": spread["ratio_cpu"]["median"],
            "identical_outputs": bool(identical), "vader_alone": vader,
        }, indent=2))
        print(f"written to {args.json}")
    return 0 if identical else 1


def vader_pool(texts: list[str]) -> dict:
    """VADER alone: one process vs the process pool, identical scores."""
    from govwatch.analysis.sentiment import score_texts

    t0 = time.perf_counter()
    one = score_texts(texts, workers=1)
    t1 = time.perf_counter()
    pooled = score_texts(texts, workers=os.cpu_count(), pool_min=0)
    t2 = time.perf_counter()
    print(f"VADER on {len(texts):,} distinct texts: 1 process {len(texts) / (t1 - t0):,.0f} texts/s, "
          f"pool of {os.cpu_count()} {len(texts) / (t2 - t1):,.0f} texts/s "
          f"(incl. start-up), identical: {one.equals(pooled)}")
    return {"texts": len(texts), "one_process_per_s": len(texts) / (t1 - t0),
            "pool_per_s": len(texts) / (t2 - t1), "pool_workers": os.cpu_count(),
            "identical": bool(one.equals(pooled))}


if __name__ == "__main__":
    raise SystemExit(main())
