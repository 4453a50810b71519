"""Sentiment: exact vaderSentiment scores, the cache, languages without a lexicon."""

from __future__ import annotations

import math

import pytest
from govwatch.analysis.sentiment import (
    SentimentRoutes,
    analyzer_version,
    check_lexicon,
    score_texts,
    text_hash,
)
from govwatch.analysis.tagging import TaggingSettings, tag_new_posts
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from govwatch.errors import InputError
from govwatch.store import Store

SAMPLES = [
    "VADER is smart, handsome, and funny.",
    "VADER is VERY SMART, handsome, and FUNNY!!!",
    "The book was good, but the movie was kind of bad :(",
    "Today SUX!",
    "Not bad at all 😂😂",
    "Make sure you :) or :D today!",
    "the train was late AGAIN... absolutely terrible service 😡",
    "I ❤️ this city!!! 🎉",
    "",
    "Catch utf-8 emoji such as 💘 and 💋 and 😁",
    "At least it isn't a horrible book.",
]


def _reference(texts):
    analyzer = SentimentIntensityAnalyzer()
    return [analyzer.polarity_scores(t) for t in texts]


def test_english_scores_equal_vadersentiment_exactly():
    got = score_texts(SAMPLES, workers=1)
    for row, ref in zip(got.itertuples(index=False), _reference(SAMPLES), strict=True):
        assert (row.compound, row.pos, row.neu, row.neg) == (
            ref["compound"], ref["pos"], ref["neu"], ref["neg"])
    # capitals and "!!!" matter to VADER, so nothing may have been lower-cased or stripped
    assert got.loc[1, "compound"] > got.loc[0, "compound"]


def test_process_pool_gives_the_same_scores():
    texts = SAMPLES * 30
    serial = score_texts(texts, workers=1)
    pooled = score_texts(texts, workers=2, pool_min=0)
    assert serial.equals(pooled)


def test_text_hash_matches_duckdb_sha256(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        for text in ("plain", "ёлка 😀 बाढ़"):
            assert store.conn.execute("SELECT sha256(?)", [text]).fetchall()[0][0] == text_hash(text)


def _store_with(tmp_path, rows, name="s.duckdb") -> Store:
    """A real store with posts (platform, post_id, text, lang) inserted directly."""

    store = Store(tmp_path / name)
    add_posts(store, rows)
    return store


def add_posts(store, rows):
    from datetime import UTC, datetime

    import pandas as pd

    frame = pd.DataFrame(rows, columns=["post_id", "text", "lang"])
    frame["platform"] = "x"
    frame["author"] = "citizen"
    frame["created_at"] = datetime(2024, 5, 1, tzinfo=UTC)
    frame["kind"] = "post"
    store.conn.register("_rows", frame)
    store.conn.execute("INSERT INTO posts BY NAME SELECT * FROM _rows")
    store.conn.unregister("_rows")


def test_non_english_gets_null_and_reason_english_gets_scores(tmp_path):
    rows = [("1", "Great news, thank you!", "en"),
            ("2", "बहुत अच्छी खबर, धन्यवाद", "hi"),
            ("3", "Жол қашан жөнделеді?", None),
            ("4", None, None)]
    with _store_with(tmp_path, rows) as store:
        with store.transaction() as con:
            tag_new_posts(con)
        got = {r[0]: r[1:] for r in store.conn.execute(
            "SELECT post_id, lang, sentiment, sentiment_note FROM tags").fetchall()}
    ref = SentimentIntensityAnalyzer().polarity_scores("Great news, thank you!")["compound"]
    assert got["1"] == ("en", ref, None)
    assert got["2"] == ("hi", None, "language 'hi' has no VADER lexicon")
    assert got["3"] == ("kk", None, "language 'kk' has no VADER lexicon")  # detected
    assert got["4"] == (None, None, "no text")


def test_configured_lexicon_scores_that_language(tmp_path):
    lexicon = tmp_path / "hi_vader.txt"
    lexicon.write_text("अच्छी\t2.1\t0.5\t[2, 2]\nबुरी\t-2.0\t0.4\t[-2, -2]\n", "utf-8")
    text = "बहुत अच्छी खबर!"
    with _store_with(tmp_path, [("1", text, "hi")]) as store:
        with store.transaction() as con:
            tag_new_posts(con, settings=TaggingSettings(lexicons={"hi": str(lexicon)}))
        compound, note = store.conn.execute("SELECT sentiment, sentiment_note FROM tags").fetchall()[0]
    expected = SentimentIntensityAnalyzer(lexicon_file=str(lexicon)).polarity_scores(text)
    assert compound == expected["compound"] and compound > 0
    assert note is None
    assert analyzer_version(str(lexicon)) != analyzer_version()


def test_broken_lexicon_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("good\t1.5\nnot-a-valence\tabc\n", "utf-8")
    with pytest.raises(InputError) as err:
        check_lexicon(bad)
    assert err.value.file == str(bad) and err.value.locator == "line 2"
    routes = SentimentRoutes({})
    assert routes.route("ru")[2] == "language 'ru' has no VADER lexicon"


def test_repeated_text_is_scored_once_and_cached(tmp_path):
    text = "The station is flooded, stay away!!"
    with _store_with(tmp_path, [(str(i), text, "en") for i in range(5)]) as store:
        with store.transaction() as con:
            assert tag_new_posts(con) == 5
        assert store.conn.execute("SELECT count(*) FROM sentiment_cache").fetchall()[0][0] == 1
        add_posts(store, [("6", text, "en"), ("7", "brand new text", "en")])
        with store.transaction() as con:
            assert tag_new_posts(con) == 2  # only the new posts
        assert store.conn.execute("SELECT count(*) FROM sentiment_cache").fetchall()[0][0] == 2  # the repeated text was a cache hit
        values = {r[0] for r in store.conn.execute("SELECT sentiment FROM tags WHERE post_id <> '7'")
                  .fetchall()}
        assert len(values) == 1


@pytest.mark.shared
def test_vader_ground_truth_identical_to_vadersentiment(shared_data):
    import numpy as np

    raw = (shared_data / "vader_tweets_groundtruth" / "tweets_GroundTruth.txt").read_bytes()
    rows = [line.split("\t", 2) for line in raw.decode("utf-8").split("\r\n") if line]
    texts = [r[2] for r in rows]
    human = np.array([float(r[1]) for r in rows])
    got = score_texts(texts, workers=1)
    ref = _reference(texts)
    assert len(texts) == 4200
    assert all(g == r["compound"] for g, r in zip(got["compound"], ref, strict=True))
    assert all(g == r["neg"] for g, r in zip(got["neg"], ref, strict=True))
    r = float(np.corrcoef(got["compound"], human)[0, 1])
    assert math.isclose(r, float(np.corrcoef([x["compound"] for x in ref], human)[0, 1]))
    assert r > 0.85
