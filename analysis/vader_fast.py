"""vaderSentiment's ``polarity_scores``, the same scores with less work per text.

vaderSentiment's analyzer spends most of a short text's time on work whose result
is known in advance:

- it rebuilds the text character by character to replace emoji with their
  descriptions; a text with no character of its emoji lexicon comes out of that
  loop unchanged, so it is used as it is (a text with emoji goes through the same
  loop here, building a list rather than a string one character at a time, and on
  through the steps below);
- it sends every word to ``sentiment_valence``, which returns 0 for a word not in
  the lexicon; such a word (and a booster word, and "kind" before "of", which
  vaderSentiment itself skips) gets its 0 here without the call;
- for each word of the lexicon it lower-cases every word of the text up to seven
  times (``_negation_check`` three times, ``_special_idioms_check``, ...); here the
  text's words are lower-cased once and the same rules read that list.

The rules for a lexicon word (``no``, negations, boosters with their distance
factors, capitals, idioms, "never so", "without doubt", "least") are
vaderSentiment 3.3.2's ``sentiment_valence``, ``_negation_check`` and
``_special_idioms_check`` read on the lower-cased list, in the same order with the
same arithmetic; ``_least_check``, ``_but_check`` and ``score_valence`` are its own
methods. A text whose lower-cased words would change if lower-cased
again (so that reading them once is not the same as vaderSentiment's repeated
lower-casing), goes through vaderSentiment's own ``polarity_scores`` whole.
``tests/test_vader_fast.py`` holds every score equal to vaderSentiment's.
"""

from __future__ import annotations

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    SentiText,
    scalar_inc_dec,
)

_NEGATE = frozenset(NEGATE)


def _negated(low: str) -> bool:
    """vaderSentiment's ``negated([word])`` for an already lower-cased word."""
    return low in _NEGATE or "n't" in low


class Analyzer(SentimentIntensityAnalyzer):
    """``SentimentIntensityAnalyzer`` whose ``polarity_scores`` skips the work above."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # vaderSentiment looks emoji up one character at a time
        self._emoji_chars = frozenset(k for k in self.emojis if len(k) == 1)

    def polarity_scores(self, text):
        if not self._emoji_chars.isdisjoint(text):
            return self._scores(self._describe_emoji(text), text)
        return self._scores(text, text)

    def _describe_emoji(self, text: str) -> str:
        """vaderSentiment's emoji loop: each emoji character replaced by its
        description, a space before it unless one is there already."""
        emojis = self.emojis
        out: list[str] = []
        prev_space = True
        for ch in text:
            description = emojis.get(ch)
            if description is not None:
                if not prev_space:
                    out.append(" ")
                out.append(description)
                prev_space = False
            else:
                out.append(ch)
                prev_space = ch == " "
        return "".join(out)

    def _scores(self, text: str, original: str):
        """The scores of ``text`` (emoji already described), ``original`` as given."""
        text = text.strip()
        sentitext = SentiText(text)
        words = sentitext.words_and_emoticons
        lows = [w.lower() for w in words]
        if not text.isascii() and any(w.lower() != w for w in lows):
            return super().polarity_scores(original)
        lexicon = self.lexicon
        last = len(words) - 1
        sentiments: list = []
        for i, low in enumerate(lows):
            if (low not in lexicon or low in BOOSTER_DICT
                    or (low == "kind" and i < last and lows[i + 1] == "of")):
                sentiments.append(0)
                continue
            sentiments.append(self._valence(words, lows, i, sentitext.is_cap_diff))
        sentiments = self._but_check(words, sentiments)
        return self.score_valence(sentiments, text)

    def _valence(self, words: list[str], lows: list[str], i: int, is_cap_diff: bool) -> float:
        """vaderSentiment's ``sentiment_valence`` for the lexicon word ``words[i]``."""
        lexicon = self.lexicon
        item, low = words[i], lows[i]
        valence = lexicon[low]
        if low == "no" and i != len(words) - 1 and lows[i + 1] in lexicon:
            valence = 0.0
        if (i > 0 and lows[i - 1] == "no") or (i > 1 and lows[i - 2] == "no") \
                or (i > 2 and lows[i - 3] == "no" and lows[i - 1] in ["or", "nor"]):
            valence = lexicon[low] * N_SCALAR
        if item.isupper() and is_cap_diff:
            if valence > 0:
                valence += C_INCR
            else:
                valence -= C_INCR
        for start_i in range(0, 3):
            if i > start_i and lows[i - (start_i + 1)] not in lexicon:
                s = scalar_inc_dec(words[i - (start_i + 1)], valence, is_cap_diff)
                if start_i == 1 and s != 0:
                    s = s * 0.95
                if start_i == 2 and s != 0:
                    s = s * 0.9
                valence = valence + s
                valence = _negation_check(valence, lows, start_i, i)
                if start_i == 2:
                    valence = _special_idioms_check(valence, lows, i)
        return self._least_check(valence, words, i)


def _negation_check(valence, lows: list[str], start_i: int, i: int):
    """vaderSentiment's ``_negation_check`` on the lower-cased words."""
    if start_i == 0:
        if _negated(lows[i - 1]):
            valence = valence * N_SCALAR
    if start_i == 1:
        if lows[i - 2] == "never" and (lows[i - 1] == "so" or lows[i - 1] == "this"):
            valence = valence * 1.25
        elif lows[i - 2] == "without" and lows[i - 1] == "doubt":
            pass
        elif _negated(lows[i - 2]):
            valence = valence * N_SCALAR
    if start_i == 2:
        if lows[i - 3] == "never" and (lows[i - 2] == "so" or lows[i - 2] == "this") or \
                (lows[i - 1] == "so" or lows[i - 1] == "this"):
            valence = valence * 1.25
        elif lows[i - 3] == "without" and (lows[i - 2] == "doubt" or lows[i - 1] == "doubt"):
            pass
        elif _negated(lows[i - 3]):
            valence = valence * N_SCALAR
    return valence


def _special_idioms_check(valence, lows: list[str], i: int):
    """vaderSentiment's ``_special_idioms_check`` on the lower-cased words."""
    onezero = f"{lows[i - 1]} {lows[i]}"
    twoonezero = f"{lows[i - 2]} {lows[i - 1]} {lows[i]}"
    twoone = f"{lows[i - 2]} {lows[i - 1]}"
    threetwoone = f"{lows[i - 3]} {lows[i - 2]} {lows[i - 1]}"
    threetwo = f"{lows[i - 3]} {lows[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in SPECIAL_CASES:
            valence = SPECIAL_CASES[seq]
            break
    if len(lows) - 1 > i:
        zeroone = f"{lows[i]} {lows[i + 1]}"
        if zeroone in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroone]
    if len(lows) - 1 > i + 1:
        zeroonetwo = f"{lows[i]} {lows[i + 1]} {lows[i + 2]}"
        if zeroonetwo in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):
        if n_gram in BOOSTER_DICT:
            valence = valence + BOOSTER_DICT[n_gram]
    return valence
