"""The sentiment analyzer gives exactly vaderSentiment's scores, with less work per text.

``govwatch.analysis.vader_fast.Analyzer`` skips work whose result is known (the emoji
loop on texts without emoji, words outside the lexicon, lower-casing the text's words
again for every lexicon word). Every score must equal vaderSentiment's own
``SentimentIntensityAnalyzer.polarity_scores``: on generated texts built from the
words VADER's rules react to (negations, boosters, "no", "least", "kind of", "never
so", "without doubt", idioms, "but", capitals, punctuation, emoji), on arbitrary
Unicode, on the crisis check set, and on the real tweets of ../shared.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from govwatch.analysis.vader_fast import Analyzer
from hypothesis import given, settings
from hypothesis import strategies as st
from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
)

CHECKSET = Path(__file__).parent / "fixtures" / "crisis_checkset_synthetic.csv"
REFERENCE = SentimentIntensityAnalyzer()
FAST = Analyzer()

RULE_WORDS = sorted({w for k in (*BOOSTER_DICT, *SPECIAL_CASES) for w in k.split()} | set(NEGATE))
WORDS = RULE_WORDS + [
    "good", "GOOD", "bad", "BAD", "terrible", "love", "hate", "no", "No", "NO", "least",
    "at", "very", "kind", "of", "never", "so", "this", "without", "doubt", "but", "BUT",
    "or", "nor", "not", "isn't", "help", "flood", "killed", "great", ":)", ":(", ":D", "<3",
    "!!!", "?", "??", "????", "!", "...", "happy", "sad", "the", "shit", "bomb", "die",
    "for", "yeah", "right", "kiss", "death", "😀", "😡", "🙏🏽", "❤️", "💔", "İ", "ǅ",
    "\U0001d400", "ΣΑΣ", "ß", "Straße", "नहीं", "Помогите", "good!", "bad,", "(sad)",
    "\u00a0", "\t", "\n"]


def same(texts):
    for text in texts:
        assert FAST.polarity_scores(text) == REFERENCE.polarity_scores(text), text


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=30).map(" ".join))
def test_word_soups_of_vaders_rules(text):
    same([text, text.upper(), text.title(), f"  {text}  "])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_unicode(text):
    same([text])


def test_texts_with_emoji_and_without_words():
    same(["", " ", "😀", "I ❤️ this city!!! 🎉", ":) :)", "!!!", "no", "NO GOOD", "not bad",
          "kind of good", "kind of", "at least good", "the least good thing", "never so good",
          "without doubt good", "good but bad", "yeah right", "to die for", "İYİ good"])


def test_the_crisis_check_set():
    with CHECKSET.open(encoding="utf-8") as f:
        rows = [ln for ln in f if not ln.startswith("#")]
    texts = [r["text"] for r in csv.DictReader(rows)]
    same(texts + [t.upper() for t in texts])


def test_the_shipped_sample():
    """Its texts with emoji (a third of them) go through the emoji loop here too."""
    sample = Path(__file__).resolve().parents[1] / "sample_data" / "small" / "posts.csv"
    with sample.open(encoding="utf-8", newline="") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    with_emoji = [t for t in texts if not FAST._emoji_chars.isdisjoint(t)]
    assert len(with_emoji) > 500
    same(texts + [t.upper() for t in with_emoji] + [t.replace(" ", "") for t in with_emoji])


@pytest.mark.shared
def test_real_tweets(shared_data):
    gt = shared_data / "vader_tweets_groundtruth" / "tweets_GroundTruth.txt"
    lines = [ln for ln in gt.read_bytes().decode("utf-8").split("\r\n") if ln]
    texts = [ln.split("\t", 2)[2] for ln in lines]
    assert len(texts) > 4000
    same(texts)


def test_every_rule_word_in_the_three_places_before_a_lexicon_word():
    import itertools

    before = ["no", "not", "never", "without", "least", "at", "very", "kind", "so", "this",
              "doubt", "or", "nor", "the", "isn't", "EXTREMELY", "sort", "kiss", "bus"]
    lexical = ["good", "GOOD", "bad", "shit", "bomb", "death", "ass"]
    after = ["", " of", " for", " but", " right", " stop", " heart"]
    texts = [" ".join(words) + tail for words in itertools.product(before, before, before, lexical)
             for tail in after[:2]]
    texts += [f"{a} {b}{tail}" for a in before for b in lexical for tail in after]
    same(texts)
