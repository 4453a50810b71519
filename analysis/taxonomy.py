"""The topic taxonomy: load and validate the YAML file, and match its seed terms.

The taxonomy (``analysis/data/taxonomy.yaml`` by default, or any file the user
points to) names the topic categories, which of them are critical issues, and
seed terms per language; what cancels a critical-issue term (``not_critical``:
greeting, ceremony, election, obituary, allegation and political-attack
contexts; ``past`` markers such as "25 years ago" that put an incident in
history; and phrases such as "landslide victory" whose words never count);
``current`` markers ("right now") beside which a weak crisis word counts;
cues for "needs a response"
(requests and problem reports vs praise and chatter); and deflection phrases
("DM us", "call the helpline"). :func:`load_taxonomy` validates it and raises
:class:`TaxonomyError` naming the file and the key (or YAML line) at fault.

:class:`TermMatcher` finds which seed terms occur in texts. Term syntax: words
separated by spaces, each matching a whole word of the text; a word ending in
``*`` matches any word starting with it, a bare ``*`` after the first word
any one word; ``?`` matches a question mark; emoji
are words of their own; a term starting with ``~`` in a critical category is a
*support* term (see :class:`Category`). Hashtags are split into words (at
capitals, ``#PrayForBoston``, and, for lower-case Latin hashtags, into known
English words, ``#nepalquake`` -> nepal quake; camel-case parts are also kept whole,
``#LindolBohol`` -> lindol bohol) and terms match those words, never a substring
(``#Triotree`` holds no "riot"); a reading of a hashtag that holds a masked phrase
is its only reading (``#DemonetizationDisaster``); a strong one-word crisis term of a language
other than English may open or close a lower-case hashtag (``#lindolbohol``). Hindi typed without spaces (a run of
13 or more Devanagari letters, longer than nearly every Hindi word, or any run of
a word that a Latin word or a number is glued to) is searched for the Devanagari
terms inside it, a phrase's words run together ("शहीदहोगया"; a whole-word term
not followed by a vowel sign), a term inside a longer one-word term or overlapping
a mask not counting; the danda ("।") ends a word. Matching ignores case and the accents of Latin letters ("refineria" matches
"refinería"), compares text in Unicode NFC with Russian "ё" read as "е", and
skips URLs and @handles. A one-word prefix of a language other than English
("tsunami*") does not match a word an English list names ("tsunami"): the English
list's tier decides how that word counts. A word no term matches as written is read as
its dictionary form when informal spelling hides one (:func:`informal_variants`): a
letter typed three times or more once or twice ("floooood" -> flood, "TEMBLOOOR" ->
temblor), an Indonesian plural written with "2" without it ("korban2" -> korban).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from govwatch import usercache
from govwatch.errors import InputError, read_text

from .word_split import EnglishSplit

DEFAULT_TAXONOMY = "data/taxonomy.yaml"
_LANG_KEY = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?$")
_CATEGORY_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_CATEGORY_FIELDS = {"label", "critical", "description", "terms"}
_TOP_FIELDS = {"version", "fallback", "categories", "needs_response", "deflection",
               "not_critical", "current"}
_CUE_GROUPS = ("request", "no_response")
_NOT_CRITICAL_GROUPS = ("contexts", "past", "phrases")
SUPPORT_MARK = "~"
# Raised whenever the matcher finds other terms in the same text (accents folded: 2;
# Hindi runs typed without spaces searched for phrases too, dandas end words: 3;
# a hashtag reading that holds a masked phrase is the hashtag's only reading,
# rule_tagger reads an incident dated by a year as history, a foreign prefix leaves
# English words alone, and letters typed over and over and the Indonesian plural
# with "2" are read back: 4; the victims or survivors of a year are history too: 5;
# an incident dated by a year is history in every language of the taxonomy: 6;
# a hashtag in capitals is split into words like one in lower case: 7),
# so that a taxonomy's digest, and the tagging version, change with it.
MATCHING_RULES = 7
WEAK_MARK = "~~"


class TaxonomyError(InputError):
    """The taxonomy file cannot be used; ``locator`` is the key path or YAML line."""


@dataclass(frozen=True)
class Category:
    """A topic category. In a critical category, a term written ``~term`` is a
    *support* term ("pray for", "victims", "condolences"): it counts for the
    topic, but makes a post critical only when no cancelling context occurs
    (a strong term, without ``~``, is outweighed only by more contexts). A
    term written ``~~term`` is *weak* ("strike", "hospital", "arrested"): it
    counts as a support term only beside another critical term."""

    key: str
    label: str
    critical: bool
    description: str = ""
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Taxonomy:
    """A validated taxonomy. ``digest`` changes whenever any content changes."""

    source: str
    version: int
    fallback: str
    categories: tuple[Category, ...]
    request_cues: Mapping[str, tuple[str, ...]]
    no_response_cues: Mapping[str, tuple[str, ...]]
    deflection: Mapping[str, tuple[str, ...]]
    not_critical_contexts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    not_critical_phrases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    not_critical_past: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    current: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def category_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.categories)

    @property
    def critical_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.categories if c.critical)

    def category(self, key: str) -> Category:
        for c in self.categories:
            if c.key == key:
                return c
        raise KeyError(key)

    def to_dict(self) -> dict:
        """Plain data (the YAML shape), used for hashing and for saved models."""
        return {
            "version": self.version,
            "fallback": self.fallback,
            "categories": {
                c.key: {
                    "label": c.label,
                    "critical": c.critical,
                    "description": c.description,
                    "terms": {lang: list(t) for lang, t in c.terms.items()},
                }
                for c in self.categories
            },
            "needs_response": {
                "request": {k: list(v) for k, v in self.request_cues.items()},
                "no_response": {k: list(v) for k, v in self.no_response_cues.items()},
            },
            "deflection": {k: list(v) for k, v in self.deflection.items()},
            "not_critical": {
                "contexts": {k: list(v) for k, v in self.not_critical_contexts.items()},
                "phrases": {k: list(v) for k, v in self.not_critical_phrases.items()},
                **({"past": {k: list(v) for k, v in self.not_critical_past.items()}}
                   if self.not_critical_past else {}),
            },
            **({"current": {k: list(v) for k, v in self.current.items()}} if self.current else {}),
        }

    @property
    def digest(self) -> str:
        """Changes with the content and with ``MATCHING_RULES`` (how terms are matched)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        blob += f"|matching-{MATCHING_RULES}"
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


# -- loading and validation ------------------------------------------------


def default_taxonomy_path() -> Path:
    return Path(str(files("govwatch.analysis") / DEFAULT_TAXONOMY))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file (the packaged default when ``path`` is None).

    A file read before with the same bytes (by the same code) comes from the user's
    cache (:mod:`govwatch.usercache`) without parsing its YAML again."""
    path = Path(path) if path is not None else default_taxonomy_path()
    text = read_text(path, "taxonomy", error=TaxonomyError)
    key = usercache.entry_key("taxonomy", text, _code_digest())
    cached = _taxonomy_from_plain(usercache.load(key), str(path))
    if cached is not None:
        return cached
    tax = _parse_yaml(text, path)
    usercache.store(key, _taxonomy_plain(tax))
    return tax


def _parse_yaml(text: str, path: Path) -> Taxonomy:
    import yaml  # only here: a cached taxonomy needs no YAML parser

    try:
        # libyaml's loader when PyYAML has it: the same data, a tenth of the time
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise TaxonomyError(str(path), f"invalid YAML: {exc.problem or exc}", where) from exc
    except yaml.YAMLError as exc:
        raise TaxonomyError(str(path), f"invalid YAML: {exc}") from exc
    return parse_taxonomy(data, str(path))


@lru_cache(maxsize=1)
def _code_digest() -> bytes:
    """This module's and the word split's code: a cached taxonomy or matcher built by
    other code is not read."""
    return usercache.code_digest(__name__, EnglishSplit.__module__)


def _taxonomy_plain(tax: Taxonomy) -> tuple:
    """A validated taxonomy as plain data (all but its source), for the cache."""
    return (tax.version, tax.fallback,
            tuple((c.key, c.label, c.critical, c.description, dict(c.terms))
                  for c in tax.categories),
            *(dict(getattr(tax, f)) for f in _TERM_FIELDS))


_TERM_FIELDS = ("request_cues", "no_response_cues", "deflection", "not_critical_contexts",
                "not_critical_phrases", "not_critical_past", "current")


def _taxonomy_from_plain(plain: Any, source: str) -> Taxonomy | None:
    """:func:`_taxonomy_plain`'s data back as a Taxonomy; None for anything else."""
    try:
        version, fallback, categories, *terms = plain
        return Taxonomy(source, version, fallback,
                        tuple(Category(*c) for c in categories), *terms)
    except (TypeError, ValueError):
        return None


def parse_taxonomy(data: object, source: str = "<taxonomy>") -> Taxonomy:
    """Validate already-parsed taxonomy data (the YAML shape)."""

    def fail(key: str, reason: str) -> TaxonomyError:
        return TaxonomyError(source, reason, key)

    if not isinstance(data, dict):
        raise fail("(top level)", "must be a mapping with 'categories', 'needs_response', 'deflection'")
    unknown = set(data) - _TOP_FIELDS
    if unknown:
        raise fail(sorted(unknown)[0], f"unknown key; expected one of {sorted(_TOP_FIELDS)}")
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise fail("version", "must be an integer")
    categories = _parse_categories(data.get("categories"), fail)
    fallback = data.get("fallback", "other")
    keys = [c.key for c in categories]
    if fallback not in keys:
        raise fail("fallback", f"names no category ({fallback!r}); categories are {keys}")
    if next(c for c in categories if c.key == fallback).critical:
        raise fail(f"categories.{fallback}.critical", "the fallback category cannot be critical")
    if not any(c.critical for c in categories):
        raise fail("categories", "at least one category must be critical: true")
    nr = data.get("needs_response")
    if not isinstance(nr, dict):
        raise fail("needs_response", "must be a mapping with 'request' and 'no_response'")
    extra = set(nr) - set(_CUE_GROUPS)
    if extra:
        raise fail(f"needs_response.{sorted(extra)[0]}", "unknown key; expected request or no_response")
    request = _parse_terms(nr.get("request"), "needs_response.request", fail, required=True)
    no_resp = _parse_terms(nr.get("no_response"), "needs_response.no_response", fail, required=True)
    deflection = _parse_terms(data.get("deflection"), "deflection", fail, required=True)
    nc = data.get("not_critical") or {}
    if not isinstance(nc, dict):
        raise fail("not_critical", "must be a mapping with 'contexts', 'past' and 'phrases'")
    extra = set(nc) - set(_NOT_CRITICAL_GROUPS)
    if extra:
        raise fail(f"not_critical.{sorted(extra)[0]}",
                   "unknown key; expected contexts, past or phrases")
    contexts = _parse_terms(nc.get("contexts"), "not_critical.contexts", fail, required=False)
    phrases = _parse_terms(nc.get("phrases"), "not_critical.phrases", fail, required=False)
    past = _parse_terms(nc.get("past"), "not_critical.past", fail, required=False)
    current = _parse_terms(data.get("current"), "current", fail, required=False)
    return Taxonomy(source, version, fallback, tuple(categories), request, no_resp, deflection,
                    contexts, phrases, past, current)


def _parse_categories(raw: object, fail) -> list[Category]:
    if not isinstance(raw, dict) or not raw:
        raise fail("categories", "must be a non-empty mapping of category key -> definition")
    out = []
    for key, spec in raw.items():
        where = f"categories.{key}"
        if not isinstance(key, str) or not _CATEGORY_KEY.match(key):
            raise fail(where, "category keys are lower-case letters, digits and _")
        if not isinstance(spec, dict):
            raise fail(where, "must be a mapping with label, critical and terms")
        unknown = set(spec) - _CATEGORY_FIELDS
        if unknown:
            raise fail(f"{where}.{sorted(unknown)[0]}", f"unknown key; expected {sorted(_CATEGORY_FIELDS)}")
        label = spec.get("label")
        if not isinstance(label, str) or not label.strip():
            raise fail(f"{where}.label", "must be a non-empty string")
        critical = spec.get("critical")
        if not isinstance(critical, bool):
            raise fail(f"{where}.critical", "must be true or false")
        description = spec.get("description", "") or ""
        if not isinstance(description, str):
            raise fail(f"{where}.description", "must be a string")
        terms = _parse_terms(spec.get("terms"), f"{where}.terms", fail, required=False)
        out.append(Category(key, label.strip(), critical, description.strip(), terms))
    return out


def _parse_terms(raw: object, where: str, fail, required: bool) -> dict[str, tuple[str, ...]]:
    if raw is None and not required:
        return {}
    if not isinstance(raw, dict):
        raise fail(where, "must be a mapping of language code -> list of terms")
    out: dict[str, tuple[str, ...]] = {}
    for lang, terms in raw.items():
        key = f"{where}.{lang}"
        if not isinstance(lang, str) or not _LANG_KEY.match(lang):
            raise fail(key, "language keys are ISO 639-1 codes such as 'en' or 'hi-Latn'")
        if not isinstance(terms, list):
            raise fail(key, "must be a list of terms")
        clean = []
        for i, term in enumerate(terms):
            if not isinstance(term, str) or not term.strip():
                raise fail(f"{key}[{i}]", f"each term must be a non-empty string, got {term!r}")
            if not term_words(term.strip().lstrip(SUPPORT_MARK)):
                raise fail(f"{key}[{i}]", f"term {term!r} has no word to match")
            clean.append(term.strip())
        out[lang] = tuple(clean)
    return out


# -- text normalisation and tokens ---------------------------------------

# Letters and digits plus the combining marks of Latin, Cyrillic and Indic
# scripts (Python's \w leaves Devanagari vowel signs out); the danda and double danda
# ("।", "॥", Hindi's full stops) end a word like a full stop.
_MARKS = "\u0300-\u036f\u0483-\u0489\u0900-\u0963\u0966-\u0dff\u200c\u200d"
_WORD = rf"(?:[^\W_]|[{_MARKS}])+"
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\U0001f1e6-\U0001f1ff"
_TOKEN = re.compile(rf"#?{_WORD}|[?？¿؟]|[{_EMOJI}]")
# _TOKEN on ASCII text, where its letters are A-Z, a-z and digits and no mark or
# emoji occurs: the same tokens, read about twice as fast.
_TOKEN_ASCII = re.compile(r"#?[A-Za-z0-9]+|\?")
_SKIP = re.compile(r"https?://\S+|www\.\S+|@\w+")
_HASHTAG = re.compile(rf"#({_WORD})")
# A hashtag's parts: capitalised words, runs of capitals, lower-case runs, digits, other scripts.
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\W0-9A-Za-z_]+")
_QUESTION = {"？": "?", "¿": "?", "؟": "?"}
_MEMO_LIMIT = 500_000
# Lower-case Latin runs at least this long are split into known English words.
_SPLIT_MIN = 6
# A crisis word of another language this long may open or close a hashtag ("#lindolbohol").
_COMPOUND_MIN = 4
# Hindi typed without spaces ("दिल्लीमेंबलात्कारऔरहत्या", about 14% of a real
# politician timeline's Devanagari tweets): a run of Devanagari with no space this long
# (longer than nearly every Hindi word), or any run of a word that a Latin word or a
# number is glued to ("केलाठीचार्जकोMILD"), is searched for the Devanagari terms of at
# least _JOINED_TERM_MIN letters, a phrase's words run together too ("शहीदहोगया").
_JOINED_MIN = 13
_JOINED_TERM_MIN = 3
_DEVANAGARI_RUN = re.compile(r"[\u0900-\u0963\u0966-\u097f]+")
_DEVANAGARI_TERM = re.compile(r"^[\u0900-\u0963\u0966-\u097f]+$")
# Vowel signs, virama, nukta and nasal marks: a whole-word term followed by one has
# been found inside a longer word ("देशद्रोह" in "देशद्रोही").
_DEVANAGARI_SIGNS = frozenset("\u0900\u0901\u0902\u0903\u093a\u093b\u093c\u093e\u093f"
                              + "".join(chr(c) for c in range(0x0940, 0x0950)) + "\u0962\u0963")


def _latin_folds() -> dict[int, str]:
    """Latin letters with accents -> the letters without ("é" -> "e", "ñ" -> "n",
    "ç" -> "c"): people type crisis words without accents ("refineria",
    "evacues"). Only the Latin letters of Latin-1 and Latin Extended-A/B (U+00C0 to
    U+024F; not Latin Extended Additional such as Vietnamese "ệ"): Cyrillic "й" and the
    Devanagari signs keep theirs."""
    out = {}
    for cp in range(0xC0, 0x250):
        base = unicodedata.normalize("NFD", chr(cp))
        if len(base) > 1 and base[0].isascii() and base[0].isalpha() and all(
                unicodedata.combining(c) for c in base[1:]):
            out[cp] = base[0].lower()
    return out


_FOLD = _latin_folds()


def normalize(text: str) -> str:
    """Lower-case NFC text for matching only (sentiment never sees this); accents
    on Latin letters are dropped, so a term matches with or without them."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFC", text).casefold().translate(_FOLD)
    return text.replace("ё", "е").replace("\ufe0f", "").replace("’", "'")


def tokenize(text: str) -> tuple[list[str], list[str]]:
    """Words (incl. ``?`` and emoji) and hashtag bodies of a text, normalised."""
    ascii_ = text.isascii()
    toks = (_TOKEN_ASCII if ascii_ else _TOKEN).findall(_SKIP.sub(" ", normalize(text)))
    tags = [t[1:] for t in toks if t[0] == "#"]
    if tags:
        toks = [t[1:] if t[0] == "#" else t for t in toks]
    if not ascii_:
        toks = [_QUESTION.get(t, t) for t in toks]
    return toks, tags


# Informal spellings that no term lists: a letter typed three times or more in a row
# ("floooood", "TEMBLOOOR", "ayudaaaa", "बचाओओओ"), and the Indonesian and Malay plural
# written with a "2" ("korban2" for "korban-korban"). A normalised word that no term
# starts with is searched for them once (the matcher memoises words), then read back.
_INFORMAL = re.compile(rf"([^\W\d_]|[{_MARKS}])\1\1|[^\W\d_]{{3}}2$")
_STRETCH = re.compile(rf"([^\W\d_]|[{_MARKS}])\1\1+")
# Letters repeated in more runs than this: only the two forms of all runs are tried.
_STRETCH_RUNS = 3


def informal_variants(word: str) -> list[str]:
    """The forms a normalised word may stand for, likeliest first: each run of three or
    more of one letter typed once or twice ("floooood" -> flod, flood; "temblooor" ->
    temblor, tembloor), and a Latin word ending in "2" without it ("korban2" -> korban).
    A word doubled in its dictionary form ("flood", "llamas", "ссора") has no run of
    three and is never changed. Empty for a word with neither."""
    if word[-1:] == "2" and len(word) > 3 and word[:-1].isalpha():
        return [word[:-1]]
    runs = [(m.start(), m.end()) for m in _STRETCH.finditer(word)]
    if not runs:
        return []
    if len(runs) > _STRETCH_RUNS:
        choices = [(1,) * len(runs), (2,) * len(runs)]
    else:
        choices = list(product((1, 2), repeat=len(runs)))
    out = []
    for keep in choices:
        parts, at = [], 0
        for (a, b), k in zip(runs, keep, strict=True):
            parts.append(word[at:a + k])
            at = b
        parts.append(word[at:])
        out.append("".join(parts))
    return out


_SPLITS: dict[str, tuple[str, ...]] = {}


def split_hashtag(body: str) -> tuple[str, ...]:
    """A hashtag body (as written, without ``#``) as normalised words.

    Split at capitals and digits (``PrayForBoston`` -> pray for boston,
    ``NYCFlood`` -> nyc flood); a Latin run of six letters or more in lower case
    or all in capitals (``PRAYFORWACO``) is then split into the likeliest English words (wordninja's Wikipedia word
    frequencies: ``nepalquake`` -> nepal quake, ``triotree`` -> trio tree). Other
    scripts are kept whole."""
    cached = _SPLITS.get(body)
    if cached is not None:
        return cached
    words: list[str] = []
    for part in _CAMEL.findall(body):
        low = part.lower()
        # a run in lower case, or one in capitals ("#PRAYFORBOSTON" as "#prayforboston")
        if (len(low) >= _SPLIT_MIN and low.isascii() and low.isalpha()
                and (part[1:] == low[1:] or part.isupper())):
            words.extend(w for w in _english_split().split(low) if w)
        else:
            words.append(normalize(low))
    if len(_SPLITS) > _MEMO_LIMIT:
        _SPLITS.clear()
    _SPLITS[body] = result = tuple(words)
    return result


_ENGLISH: list[EnglishSplit] = []


def _english_split() -> EnglishSplit:
    """wordninja's English word split, its word list read on first use."""
    if not _ENGLISH:
        _ENGLISH.append(EnglishSplit.load())
    return _ENGLISH[0]


def camel_parts(body: str) -> tuple[str, ...]:
    """A hashtag body split at capitals and digits only, as the writer marked its
    words (``LindolBohol`` -> lindol bohol, which the English word split would cut
    into "lind ol bohol")."""
    return tuple(normalize(p) for p in _CAMEL.findall(body))


def hashtag_words(text: str) -> list[tuple[str, ...]]:
    """The words of each hashtag of a text that splits into more than one word: the
    split of :func:`split_hashtag` and, where it differs, the camel-case parts."""
    return [split for splits in hashtag_splits(text) for split in splits]


def hashtag_splits(text: str) -> list[list[tuple[str, ...]]]:
    """:func:`hashtag_words` per hashtag: the readings of each hashtag that splits into
    more than one word (its English word split, then its camel-case parts)."""
    if "#" not in text:
        return []
    out = []
    for body in _HASHTAG.findall(_SKIP.sub(" ", text)):
        splits = []
        words = split_hashtag(body)
        if len(words) > 1:
            splits.append(words)
        if not body[1:].islower() and not body.isdigit():  # capitals inside: camel case
            parts = camel_parts(body)
            if len(parts) > 1 and parts != words:
                splits.append(parts)
        if splits:
            out.append(splits)
    return out


def term_words(term: str) -> list[tuple[str, bool]]:
    """A term as (word, is_prefix) pairs, tokenised exactly like text. A bare
    ``*`` after the first word stands for any one word ("hace * años")."""
    out: list[tuple[str, bool]] = []
    for raw in normalize(term).split():
        if raw == "*":
            if out:
                out.append(("", True))
            continue
        prefix = raw.endswith("*") and len(raw) > 1
        for m in _TOKEN.finditer(raw):
            tok = m.group(0).lstrip("#")
            out.append((_QUESTION.get(tok, tok), False))
        if prefix and out:
            out[-1] = (out[-1][0], True)
    return out


@lru_cache(maxsize=65536)
def term_key(term: str) -> tuple[tuple[str, bool], ...]:
    """:func:`term_words` as a tuple, memoised (a taxonomy names many terms in several
    groups and tiers)."""
    return tuple(term_words(term))


class TermMatcher:
    """Counts, per group, how many distinct terms of that group occur in each text.

    ``groups`` maps a group name (a category key, ``request``, ...) to its terms
    (all languages together). ``masks`` are phrases whose words no other term
    may use ("landslide victory" hides "landslide"): a term occurrence that
    overlaps a mask occurrence does not count. A text is matched as its words,
    then as the words of each hashtag that splits into several (see
    :func:`split_hashtag`). Built once; ``counts`` is a pure function of text.
    """

    def __init__(self, groups: Mapping[str, Iterable[str]], masks: Iterable[str] = (),
                 compounds: Iterable[str] = (),
                 english: tuple[Iterable[str], Iterable[str]] = ((), ())):
        self.groups = tuple(groups)
        # (English one-word terms, one-word prefixes of the other languages only): such a
        # prefix does not match a word the English lists name ("tsunami*" of the Romance
        # lists and the English "tsunami"), so the English tier decides how it counts
        self._english_words = frozenset(normalize(w) for w in english[0])
        foreign = {term_key(t) for t in english[1]}
        self._terms: list[tuple[tuple[str, bool], ...]] = []
        self._term_groups: list[list[int]] = []
        index: dict[tuple[tuple[str, bool], ...], int] = {}

        def add(term: str) -> int:
            words = term_key(term)
            if words not in index:
                index[words] = len(self._terms)
                self._terms.append(words)
                self._term_groups.append([])
            return index[words]

        for g, terms in enumerate(groups.values()):
            for term in terms:
                tid = add(term)
                if g not in self._term_groups[tid]:
                    self._term_groups[tid].append(g)
        self._foreign_prefixes = frozenset(index[k] for k in foreign if k in index)
        self._drop_subsumed()
        self._masks = frozenset(add(m) for m in masks)
        self._first_exact: dict[str, list[int]] = {}
        self._first_prefix: dict[str, list[int]] = {}
        for tid, words in enumerate(self._terms):
            first, is_prefix = words[0]
            table = self._first_prefix if is_prefix else self._first_exact
            table.setdefault(first, []).append(tid)
        self._prefix_lengths = sorted({len(p) for p in self._first_prefix})
        self._candidates: dict[str, tuple[tuple[int, tuple[tuple[str, bool], ...]], ...]] = {}
        self._joined_terms = self._joined_index()
        # One-word terms that may open or close a lower-case hashtag ("#lindolbohol")
        self._compounds = {w: index[k] for w in compounds
                           if len(w) >= _COMPOUND_MIN and (k := ((normalize(w), False),)) in index}
        self._compound_lengths = sorted({len(w) for w in self._compounds})
        self._compound_hits: dict[str, tuple[int, ...]] = {}
        # Every word of every term (prefixes apart), for reading informal spellings back
        self._vocab = frozenset(w for words in self._terms for w, p in words if w and not p)
        self._vocab_prefixes = frozenset(w for words in self._terms for w, p in words if w and p)
        self._vocab_prefix_lengths = sorted({len(p) for p in self._vocab_prefixes})
        self._informal: dict[str, str] = {}

    def _drop_subsumed(self) -> None:
        """A one-word term that a prefix of the same group always matches too
        ("violence" beside "violence*", "asesinat*" beside "asesin*", from two
        languages' lists) does not count twice in that group."""
        prefixes: dict[int, set[str]] = {}
        foreign: dict[int, set[str]] = {}
        for tid, words in enumerate(self._terms):
            if len(words) == 1 and words[0][1]:
                for g in self._term_groups[tid]:
                    prefixes.setdefault(g, set()).add(words[0][0])
                    if tid in self._foreign_prefixes:
                        foreign.setdefault(g, set()).add(words[0][0])
        for tid, words in enumerate(self._terms):
            if len(words) != 1:
                continue
            word, is_prefix = words[0]
            if not is_prefix and word in self._english_words:
                # the other languages' prefixes do not match an English word
                own = [word[:k] for k in range(len(word) + 1)]
                self._term_groups[tid] = [
                    g for g in self._term_groups[tid]
                    if (prefixes.get(g, set()) - foreign.get(g, set())).isdisjoint(own)]
                continue
            # the group's prefixes that are a shorter start of the word, or the word
            # itself when this term is not a prefix
            starts = [word[:k] for k in range(len(word))]
            if not is_prefix:
                starts.append(word)
            self._term_groups[tid] = [
                g for g in self._term_groups[tid]
                if g not in prefixes or prefixes[g].isdisjoint(starts)]

    def _candidates_for(self, word: str) -> tuple[tuple[int, tuple[tuple[str, bool], ...]], ...]:
        """(term, its words after the first) for the terms whose first word matches
        ``word`` (memoised: words repeat a lot)."""
        cached = self._candidates.get(word)
        if cached is not None:
            return cached
        if len(self._candidates) > _MEMO_LIMIT:
            self._candidates.clear()
            self._informal.clear()
        cands = self._first_word_terms(word)
        if not cands and _INFORMAL.search(word):
            form = self._dictionary_form(word)
            if form != word:
                self._informal[word] = form
                cands = self._first_word_terms(form)
        self._candidates[word] = result = tuple((tid, self._terms[tid][1:]) for tid in cands)
        return result

    def _first_word_terms(self, word: str) -> list[int]:
        """Terms whose first word is ``word`` or a prefix of it (a foreign prefix not
        for an English list's word)."""
        cands = list(self._first_exact.get(word, ()))
        english = word in self._english_words
        for k in self._prefix_lengths:
            if k > len(word):
                break
            tids = self._first_prefix.get(word[:k], ())
            if english and tids:
                tids = [t for t in tids if t not in self._foreign_prefixes]
            cands.extend(tids)
        return cands

    def _informal_form(self, word: str) -> str | None:
        """The dictionary form of an informally spelt word not looked up yet (None for
        any other word)."""
        self._candidates_for(word)  # reads the word's form into _informal
        return self._informal.get(word)

    def _scan(self, words: Sequence[str], found: set[int]) -> None:
        """Add the terms occurring in one word sequence, masks applied."""
        hits: list[tuple[int, int, int]] = []  # (term id, first word, word count)
        n = len(words)
        memo = self._candidates.get
        informal = self._informal.get
        for i, w in enumerate(words):
            cands = memo(w)
            if cands is None:
                cands = self._candidates_for(w)
            for tid, rest in cands:
                if not rest:
                    hits.append((tid, i, 1))
                    continue
                if i + len(rest) >= n:
                    continue
                j = i
                for text, is_prefix in rest:
                    j += 1
                    w2 = words[j]
                    if not (w2.startswith(text) if is_prefix else w2 == text):
                        # a later word of a phrase spelt informally ("send heeelp")
                        form = informal(w2)
                        if form is None and w2 not in self._candidates:
                            form = self._informal_form(w2)
                        if form is None or not (form.startswith(text) if is_prefix
                                                else form == text):
                            break
                else:
                    hits.append((tid, i, len(rest) + 1))
        if not hits:
            return
        masked: set[int] = set()
        for tid, i, k in hits:
            if tid in self._masks:
                masked.update(range(i, i + k))
        for tid, i, k in hits:
            if tid in self._masks or not masked or masked.isdisjoint(range(i, i + k)):
                found.add(tid)

    def _joined_index(self) -> dict[str, list[tuple[str, bool, int, bool]]]:
        """The Devanagari terms as they are found in a run typed without spaces: the
        words run together ("शहीद हो गया" -> "शहीदहोगया"), a prefix only as the last
        word; keyed by their first two letters. Each entry: (joined form, is prefix,
        term id, one word)."""
        out: dict[str, list[tuple[str, bool, int, bool]]] = {}
        for tid, words in enumerate(self._terms):
            if any(p for _, p in words[:-1]) or not all(w for w, _ in words):
                continue
            joined = "".join(w for w, _ in words)
            if len(joined) >= _JOINED_TERM_MIN and _DEVANAGARI_TERM.match(joined):
                out.setdefault(joined[:2], []).append(
                    (joined, words[-1][1], tid, len(words) == 1))
        return out

    def _scan_joined(self, run: str, found: set[int]) -> None:
        """The Devanagari terms inside a run of Hindi typed without spaces. An
        occurrence inside a longer one-word term's ("हत्या" in "आत्महत्या") does not
        count, nor one that overlaps a mask's ("हमला" in "हमलाबोला")."""
        spans = []
        index, n = self._joined_terms, len(run)
        for i in range(n - _JOINED_TERM_MIN + 1):
            cands = index.get(run[i:i + 2])
            if cands is None:
                continue
            for word, is_prefix, tid, one_word in cands:
                if run.startswith(word, i):
                    end = i + len(word)
                    if is_prefix or end == n or run[end] not in _DEVANAGARI_SIGNS:
                        spans.append((i, end, tid, one_word))
        masks = [(a, b) for a, b, tid, _ in spans if tid in self._masks]
        for a, b, tid, _ in spans:
            if any(c <= a and b <= d and d - c > b - a for c, d, _, whole in spans if whole):
                continue
            if tid not in self._masks and any(a < d and c < b for c, d in masks):
                continue
            found.add(tid)

    def _scan_runs(self, word: str, found: set[int]) -> None:
        """Search a word's Devanagari runs typed without spaces: one of _JOINED_MIN
        letters or more, or any run of a word that also holds Latin letters or digits."""
        runs = _DEVANAGARI_RUN.findall(word)
        if not runs:
            return
        mixed = len(runs) > 1 or len(runs[0]) != len(word)
        for run in runs:
            if len(run) >= _JOINED_MIN or (mixed and len(run) >= _JOINED_TERM_MIN):
                self._scan_joined(run, found)

    def _scan_compound(self, tag: str, found: set[int]) -> None:
        """A compound word term at the start or the end of a one-word hashtag
        ("lindol" in "#lindolbohol", "baha" in "#manilabaha"), the rest two letters or
        more, where the English word split of a Latin hashtag also puts a word boundary
        ("#bahamas" and "#bombastic" are English words: no "baha", no "bomba")."""
        if len(tag) < _COMPOUND_MIN + 2 or tag.isdigit():
            return
        cached = self._compound_hits.get(tag)
        if cached is None:
            cached = self._compound_hits_of(tag)
            if len(self._compound_hits) > _MEMO_LIMIT:
                self._compound_hits.clear()
            self._compound_hits[tag] = cached
        found.update(cached)

    def _compound_hits_of(self, tag: str) -> tuple[int, ...]:
        n = len(tag)
        if n < _COMPOUND_MIN + 2 or not (tag[0].isalpha() or tag[-1].isalpha()):
            return ()
        hits = []
        for k in self._compound_lengths:
            if k > n - 2:
                break
            for part, cut in ((tag[:k], k), (tag[n - k:], n - k)):
                tid = self._compounds.get(part)
                if tid is not None:
                    hits.append((cut, tid))
        if hits and tag.isascii():
            cuts, at = set(), 0
            for w in split_hashtag(tag):
                at += len(w)
                cuts.add(at)
            hits = [(cut, tid) for cut, tid in hits if cut in cuts]
        return tuple(tid for _, tid in hits)

    def _scan_hashtag(self, splits: list[tuple[str, ...]], found: set[int]) -> None:
        """The terms of one hashtag's readings. A reading that holds a masked phrase
        is the hashtag's reading ("#DemonetisationDisaster": the camel-case parts read
        "demonetisation disaster", a phrase; the English split's "... ation disaster"
        does not add a disaster)."""
        if len(splits) == 1 or not self._masks:
            for split in splits:
                self._scan(split, found)
            return
        reads = []
        for split in splits:
            got: set[int] = set()
            self._scan(split, got)
            if not got.isdisjoint(self._masks):
                found.update(got)
                return
            reads.append(got)
        for got in reads:
            found.update(got)

    def _known(self, word: str) -> bool:
        """Whether a word of some term matches ``word``."""
        if word in self._vocab:
            return True
        for k in self._vocab_prefix_lengths:
            if k > len(word):
                break
            if word[:k] in self._vocab_prefixes:
                return True
        return False

    def _dictionary_form(self, word: str) -> str:
        """An informally spelt word as the term word it stands for (see
        :func:`informal_variants`), else the word itself."""
        if self._known(word):
            return word
        return next((v for v in informal_variants(word) if self._known(v)), word)

    def match_terms(self, text: str) -> set[int]:
        """Ids of the distinct terms found in one text (masks themselves included)."""
        words, tags = tokenize(text)
        found: set[int] = set()
        self._scan(words, found)
        if self._joined_terms and not text.isascii():
            for word in words:
                if len(word) > _JOINED_TERM_MIN and not word.isascii():
                    self._scan_runs(word, found)
        if tags:
            for splits in hashtag_splits(text):
                self._scan_hashtag(splits, found)
            if self._compounds:
                for tag in tags:
                    if len(tag) >= _COMPOUND_MIN + 2:
                        self._scan_compound(tag, found)
        return found

    def counts(self, texts: Iterable[str | None]) -> np.ndarray:
        """Matrix (texts x groups) of distinct-term counts."""
        texts = list(texts)
        out = np.zeros((len(texts), len(self.groups)), dtype=np.float32)
        for row, text in enumerate(texts):
            if not text:
                continue
            for tid in self.match_terms(text):
                for g in self._term_groups[tid]:
                    out[row, g] += 1
        return out

    def matched(self, text: str) -> dict[str, list[str]]:
        """Which terms matched, per group (for explaining a tag)."""
        out: dict[str, list[str]] = {}
        for tid in sorted(self.match_terms(text)):
            shown = " ".join(w + ("*" if p else "") for w, p in self._terms[tid])
            for g in self._term_groups[tid]:
                out.setdefault(self.groups[g], []).append(shown)
        return out


def all_terms(terms: Mapping[str, tuple[str, ...]]) -> list[str]:
    return [t.lstrip(SUPPORT_MARK) for lang_terms in terms.values() for t in lang_terms]


def _marked(terms: Iterable[str], marked: bool) -> list[str]:
    """The terms with (or without) the ``~`` mark, unmarked."""
    return [t.removeprefix(SUPPORT_MARK) for t in terms if t.startswith(SUPPORT_MARK) == marked]


def _tier(term: str) -> int:
    """0 strong, 1 support (``~``), 2 weak (``~~``)."""
    return 2 if term.startswith(WEAK_MARK) else 1 if term.startswith(SUPPORT_MARK) else 0


def _critical_terms(tax: Taxonomy, tier: int) -> list[str]:
    """The strong, support or weak terms of the critical categories; a term takes
    the weakest tier any language's list gives it."""
    terms = [t for c in tax.categories if c.critical for t in all_terms_marked(c.terms)]
    weakest: dict[tuple, int] = {}
    for t in terms:
        key = term_key(t.lstrip(SUPPORT_MARK))
        weakest[key] = max(weakest.get(key, 0), _tier(t))
    return list(dict.fromkeys(
        t.lstrip(SUPPORT_MARK) for t in terms
        if weakest[term_key(t.lstrip(SUPPORT_MARK))] == tier))


def all_terms_marked(terms: Mapping[str, tuple[str, ...]]) -> list[str]:
    return [t for lang_terms in terms.values() for t in lang_terms]


# The groups after the categories, in this order (RuleScores reads them by position).
CUE_GROUPS = ("request", "no_response", "deflection", "critical_strong", "critical_support",
              "not_critical", "not_critical_soft", "deflection_action", "critical_weak",
              "not_critical_past", "current")


def taxonomy_groups(tax: Taxonomy) -> dict[str, list[str]]:
    """The matcher groups of a taxonomy: one per category, then ``CUE_GROUPS``."""
    groups = {f"topic:{c.key}": all_terms(c.terms) for c in tax.categories}
    groups["request"] = all_terms(tax.request_cues)
    groups["no_response"] = all_terms(tax.no_response_cues)
    deflection = all_terms_marked(tax.deflection)
    groups["deflection"] = _marked(deflection, False)
    groups["critical_strong"] = _critical_terms(tax, 0)
    groups["critical_support"] = _critical_terms(tax, 1)
    contexts = all_terms_marked(tax.not_critical_contexts)
    groups["not_critical"] = _marked(contexts, False)
    groups["not_critical_soft"] = _marked(contexts, True)
    groups["deflection_action"] = _marked(deflection, True)
    groups["critical_weak"] = _critical_terms(tax, 2)
    groups["not_critical_past"] = all_terms(tax.not_critical_past)
    groups["current"] = all_terms(tax.current)
    assert tuple(groups)[len(tax.categories):] == CUE_GROUPS
    return groups


def compound_words(tax: Taxonomy) -> list[str]:
    """One-word critical terms of the languages other than English that may open or
    close a hashtag written in lower case ("#lindolbohol", "#bahamanila"). English words
    are left out: the English word split already finds them, and "bomb" would open
    "#bombaybeauty"."""
    english = {w for c in tax.categories for t in c.terms.get("en", ())
               for w in term_key(t.lstrip(SUPPORT_MARK))}
    return sorted({word for t, (word, prefix) in _foreign_critical_words(tax)
                   if t[0] != SUPPORT_MARK and not prefix
                   and (word, prefix) not in english and word.isalpha()})


def _foreign_critical_words(tax: Taxonomy) -> Iterator[tuple[str, tuple[str, bool]]]:
    """Each one-word term of the critical categories in a language other than English,
    with its word and whether it is a prefix ("tsunami*")."""
    for c in tax.categories:
        if not c.critical:
            continue
        for lang, terms in c.terms.items():
            if lang == "en":
                continue
            for t in terms:
                words = term_key(t.lstrip(SUPPORT_MARK))
                if len(words) == 1:
                    yield t, words[0]


def english_and_foreign(tax: Taxonomy) -> tuple[list[str], list[str]]:
    """The words of the English one-word terms of the categories, and the one-word
    prefixes ("tsunami*") of the critical categories' other languages that no English
    list holds: in a word of the English lists ("tsunami", "ambulance") such a prefix
    would add a tier the English list did not give it."""
    english: set[str] = set()
    prefixes: set[str] = set()
    for c in tax.categories:
        for t in c.terms.get("en", ()):
            words = term_key(t.lstrip(SUPPORT_MARK))
            if len(words) == 1:
                (prefixes if words[0][1] else english).add(words[0][0])
    foreign = {word + "*" for _, (word, prefix) in _foreign_critical_words(tax)
               if prefix and word not in prefixes}
    return sorted(english), sorted(foreign)


def taxonomy_matcher(tax: Taxonomy) -> TermMatcher:
    """The matcher of a taxonomy's groups, its not-critical phrases as masks.

    Built once per taxonomy content (``digest``) and code, then read from the user's
    cache (:mod:`govwatch.usercache`): its tables are plain data."""
    key = usercache.entry_key("matcher", tax.digest, _code_digest())
    state = usercache.load(key)
    if isinstance(state, dict) and state.keys() == vars(_EMPTY_MATCHER()).keys():
        matcher = TermMatcher.__new__(TermMatcher)
        matcher.__dict__.update(state)
        return matcher
    matcher = TermMatcher(taxonomy_groups(tax), masks=all_terms(tax.not_critical_phrases),
                          compounds=compound_words(tax), english=english_and_foreign(tax))
    usercache.store(key, dict(vars(matcher)))  # before any use: its memo tables are empty
    return matcher


@lru_cache(maxsize=1)
def _EMPTY_MATCHER() -> TermMatcher:  # noqa: N802
    """A matcher of no terms: what a TermMatcher holds (a cached one that holds other
    fields is rebuilt)."""
    return TermMatcher({})
