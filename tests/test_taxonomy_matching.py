"""The term matcher's scan finds exactly the terms a naive scan finds.

``TermMatcher._scan`` looks up candidate terms by their first word (memoised, with
prefixes) and checks the following words; the naive scan below tries every term of
the shipped taxonomy at every position. Both apply the masks ("landslide victory"
hides "landslide") the same way, and neither lets a one-word prefix of the other
languages ("tsunami*") match a word of the English lists ("tsunami"). Word sequences are generated from the taxonomy's
own term words (whole, as prefixes with endings, in runs of several), masks'
words and other words.
"""

from __future__ import annotations

from functools import cache

from govwatch.analysis.taxonomy import load_taxonomy, taxonomy_matcher
from hypothesis import given, settings
from hypothesis import strategies as st


@cache
def matcher():
    return taxonomy_matcher(load_taxonomy())


def naive_scan(m, words: list[str]) -> set[int]:
    hits = []
    for tid, term in enumerate(m._terms):
        for i in range(len(words) - len(term) + 1):
            if tid in m._foreign_prefixes and words[i] in m._english_words:
                continue  # another language's prefix never matches a word of the English lists
            if all(words[i + j].startswith(t) if p else words[i + j] == t
                   for j, (t, p) in enumerate(term)):
                hits.append((tid, i, len(term)))
    masked: set[int] = set()
    for tid, i, k in hits:
        if tid in m._masks:
            masked.update(range(i, i + k))
    return {tid for tid, i, k in hits if tid in m._masks or masked.isdisjoint(range(i, i + k))}


@cache
def vocabulary() -> list[str]:
    words = sorted({t for term in matcher()._terms for t, _ in term if t})
    return words


def word():
    vocab = vocabulary()
    return st.one_of(
        st.sampled_from(vocab),
        st.tuples(st.sampled_from(vocab), st.sampled_from(["", "s", "ed", "ing", "a", "x"])).map(
            "".join),
        st.sampled_from(["the", "a", "of", "in", "?", "😀", "और", "ward", "help", "no", "not"]),
        st.text(alphabet="abcdeilnorst", min_size=1, max_size=8),
    )


def term_run():
    """The words of a multi-word term of the taxonomy, in order (a prefix with an ending)."""
    terms = [term for term in matcher()._terms if len(term) > 1]
    return st.tuples(st.sampled_from(terms), st.sampled_from(["", "s", "ing"])).map(
        lambda pick: [(t or "any") + (pick[1] if p else "") for t, p in pick[0]])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(word().map(lambda w: [w]), term_run()), max_size=12).map(
    lambda parts: [w for part in parts for w in part]))
def test_scan_finds_what_the_naive_scan_finds(words):
    m = matcher()
    found: set[int] = set()
    m._scan(words, found)
    assert found == naive_scan(m, words)


def test_masks_and_multiword_terms():
    m = matcher()
    for text in ["a landslide victory for the party", "landslide buries the village",
                 "the train derailed near the station", "no water in the ward for days"]:
        words = text.split()
        found: set[int] = set()
        m._scan(words, found)
        assert found == naive_scan(m, words)
        assert found or text.startswith("a landslide")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_ascii_tokens_are_the_unicode_patterns_tokens(text):
    from govwatch.analysis.taxonomy import _SKIP, _TOKEN, normalize, tokenize

    words, tags = tokenize(text)
    toks = _TOKEN.findall(_SKIP.sub(" ", normalize(text)))
    assert tags == [t[1:] for t in toks if t[0] == "#"]
    assert words == [t.lstrip("#") if t[0] == "#" else t for t in toks]
