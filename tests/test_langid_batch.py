"""Language detection of many texts at once gives exactly what one text at a time gives.

``LanguageDetector.detect_many`` classifies with py3langid's automaton run over
thousands of texts in step (``govwatch.analysis.langid_batch``) and decides near
ties with py3langid's own ``classify``. These tests hold it to the straightforward
path written out below (py3langid's ``classify`` per text, then the rules for
Latin script), on generated texts of every script the project configures, on the
synthetic crisis check set, with the default and the widest language sets.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from govwatch.analysis.langid import (
    _LETTER,
    _STRIP,
    LanguageDetector,
    _identifier,
    _latin_language,
)
from govwatch.analysis.langid_batch import BatchClassifier
from hypothesis import given, settings
from hypothesis import strategies as st

CHECKSET = Path(__file__).parent / "fixtures" / "crisis_checkset_synthetic.csv"
WIDE = ("en", "hi", "id", "ru", "kk", "es", "pt", "fr", "it", "tl")


def straightforward(languages: tuple[str, ...], text):
    """The detector as it was written text by text: py3langid's classify per text."""
    if not isinstance(text, str):
        return None
    clean = _STRIP.sub(" ", text)
    if not _LETTER.search(clean):
        return None
    if len(languages) == 1:
        return languages[0]
    letters = _LETTER.findall(clean)
    if sum(c.isupper() for c in letters) > 0.6 * len(letters):
        clean = clean.lower()
    lang = _identifier(languages).classify(clean)[0]
    if all(c.isascii() for c in letters):
        return _latin_language(clean, lang, languages)
    return lang


def checkset_texts() -> list[str]:
    with CHECKSET.open(encoding="utf-8") as f:
        rows = [ln for ln in f if not ln.startswith("#")]
    return [r["text"] for r in csv.DictReader(rows)]


WORDS = ["flood", "help", "Please", "PLEASE HELP US", "the", "is", "hai", "nahi", "kya",
         "yang", "tidak", "banjir", "pak", "Поезд", "сошёл", "помогите", "Ауылды", "су",
         "басты", "көмектесіңіздер", "बाढ़", "पानी", "नहीं", "है", "refinería", "explosão",
         "évacués", "Terremoto", "nilindol", "ang", "mga", "sa", "İstanbul", "ǅungla",
         "\U0001d400\U0001d401", "😀", "🙏🏽", "#PrayForBoston", "#lindolbohol",
         "@ward12", "https://t.co/abc", "www.x.org", "12", "?!", "...", "ñ", "ß", "Σ"]
TEXTS = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join),
    st.text(max_size=120),
    st.text(alphabet=st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Z")),
            max_size=200),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ #@.?!", max_size=300),
)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(st.one_of(TEXTS, st.none()), max_size=40))
def test_detect_many_is_detect_on_generated_texts(texts):
    for languages in (("en", "hi", "id", "kk", "ru"), WIDE, ("en", "ru")):
        detector = LanguageDetector(languages)
        want = [straightforward(detector.languages, t) for t in texts]
        assert detector.detect_many(texts) == want
        assert [detector.detect(t) for t in texts] == want


@pytest.mark.parametrize("languages", [("en", "hi", "id", "kk", "ru"), WIDE])
def test_detect_many_is_detect_on_the_check_set(languages):
    texts = checkset_texts()
    texts += [t.upper() for t in texts] + [f"{t} #{i} @ward{i}" for i, t in enumerate(texts)]
    detector = LanguageDetector(languages)
    assert detector.detect_many(texts) == [straightforward(detector.languages, t) for t in texts]


def test_one_language_and_texts_without_letters():
    detector = LanguageDetector(("hi",))
    texts = ["Flood in ward 3", "😀😀", "123 456", "", None, "@ward12 https://t.co/x"]
    assert detector.detect_many(texts) == ["hi", None, None, None, None, None]


def test_batch_classifier_equals_classify_and_near_ties_go_to_py3langid():
    ident = _identifier(("en", "hi", "id", "kk", "ru"))
    texts = checkset_texts() + ["a", "b", "yang", "нет", "है", "x y z", "?" * 40, "ok " * 300]
    # texts of very different lengths go through the automaton in step
    texts += ["Banjir " * k + "warga butuh perahu" for k in range(0, 400, 37)]
    want = [ident.classify(t)[0] for t in texts]
    batch = BatchClassifier(ident)
    assert batch.classify_many(texts) == want
    # a bound widened beyond any gap sends every text with features to classify
    wide = BatchClassifier(ident, slack=1e12)
    assert wide.classify_many(texts) == want
    assert wide.fallbacks >= len(texts) - 1


def test_a_text_without_features_gets_py3langids_first_language():
    ident = _identifier(("en", "hi", "id", "kk", "ru"))
    # bytes the automaton emits no feature for: py3langid scores every language 0
    text = "\x00"
    assert ident.classify(text)[0] == "en"
    assert BatchClassifier(ident).classify_many([text, "flood in the city"]) == [
        "en", ident.classify("flood in the city")[0]]


def test_the_automaton_counts_the_features_py3langid_counts():
    from py3langid.langid import visit_counts

    ident = _identifier(("en", "hi", "id", "kk", "ru"))
    encoded = sorted((ident._encode(t) for t in checkset_texts()[:60]), key=len, reverse=True)

    counts = BatchClassifier(ident)._counts(encoded, np.array([len(e) for e in encoded]))
    for row, e in enumerate(encoded):
        want = visit_counts(ident.tk_nextmove, ident._rowbase, ident.tk_output, e) or {}
        got = counts.getrow(row)
        assert dict(zip(got.indices.tolist(), got.data.tolist(), strict=True)) == want


def _batches_loaded() -> int:
    from govwatch.analysis.langid import _batch

    return _batch.cache_info().currsize


def test_a_forked_tagging_pool_shares_the_model_loaded_before_it():
    from govwatch.analysis.classifiers import PostTagger
    from govwatch.analysis.langid import _batch
    from govwatch.analysis.sentiment import SentimentRoutes, pool_context
    from govwatch.analysis.tagging import TaggingPool

    if pool_context().get_start_method() != "fork":
        pytest.skip("processes are spawned here: each loads the model itself")
    _batch.cache_clear()
    pool = TaggingPool(PostTagger().fit([]), LanguageDetector(), SentimentRoutes({}), 2)
    try:
        assert pool._pool.submit(_batches_loaded).result() == 1
    finally:
        pool.close()
