"""Language of each post: the export's own ``lang`` when it has one, else py3langid.

py3langid (offline, maintained) is restricted to the configured languages
(``en, hi, id, ru, kk`` by default): unrestricted it confuses Indonesian with
Malay and short texts with dozens of rare languages. Restricting means a text in
an unconfigured language gets the closest configured one; an export's own
``lang`` field is always kept as given (normalised: ``en-GB`` -> ``en``,
Twitter's old ``in`` -> ``id``).

Hindi written in Latin letters ("sadak kab banegi") is read by py3langid as
Indonesian or English; when Hindi is configured, a text with at least two
common romanised-Hindi function words and no Indonesian ones is labelled ``hi``.

Texts with no letters at all (only emoji, numbers, links, @handles) get no
language (None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache

DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "hi", "id", "ru", "kk")
# Codes exports use that are not the ISO 639-1 code of the language.
_ALIASES = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv"}
# Codes that say "no language" (Twitter's und/zxx/qme/qam/qct/qht..., ISO's mis/mul).
_UNDETERMINED = {"und", "zxx", "mis", "mul", "qme", "qam", "qct", "qht", "qst", "art"}
_CODE = re.compile(r"^[a-z]{2,3}$")

_STRIP = re.compile(r"https?://\S+|www\.\S+|@\w+|#")
_LETTER = re.compile(r"[^\W\d_]")
_WORDS = re.compile(r"[a-z]+")
# Frequent romanised-Hindi words that are not (common) Indonesian or English words.
_HINGLISH = frozenset(
    "hai hain nahi nahin kya kyun kyon kyu mera meri mere tera teri aap aapka aapki apna "
    "hum humara hamara kab kaise kaisa kaun kahan yahan wahan raha rahi rahe tha thi "
    "gaya gayi hua hui hoga hogi karo karein kijiye kiya bahut bhi sirf abhi tak "
    "ji bhai sahab sahib ke liye mein se ko ki ka".split()
)
_INDONESIAN = frozenset(
    "yang dan di ini itu dengan untuk tidak dari dalam akan pada juga saya kami kita "
    "sudah belum bisa ada mohon tolong pak bu jalan kapan".split()
)


def normalize_code(code: object) -> str | None:
    """An export's language code as ISO 639-1/3 lower case, or None when undetermined."""
    if not isinstance(code, str):
        return None
    base = code.strip().replace("_", "-").split("-")[0].lower()
    base = _ALIASES.get(base, base)
    if not base or base in _UNDETERMINED or not _CODE.match(base):
        return None
    return base


@cache
def _identifier(languages: tuple[str, ...]):
    # Loading the model takes ~1.5 s: once per process and language set.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    known = set(ident.nb_classes)
    unknown = [lang for lang in languages if lang not in known]
    if unknown:
        from govwatch.errors import UsageError

        raise UsageError(
            f"language(s) {unknown} are not known to py3langid; known: {sorted(known)}"
        )
    ident.set_languages(list(languages))
    return ident


class LanguageDetector:
    """Detects the language of texts among ``languages`` (configured once)."""

    def __init__(self, languages: Iterable[str] = DEFAULT_LANGUAGES):
        langs = tuple(sorted({normalize_code(x) or "" for x in languages} - {""}))
        if not langs:
            from govwatch.errors import UsageError

            raise UsageError("at least one language must be configured for language detection")
        self.languages = langs

    def validate(self) -> None:
        """Raise UsageError if py3langid does not know a configured language (loads the model)."""
        _identifier(self.languages)

    def detect(self, text: str | None) -> str | None:
        if not isinstance(text, str):
            return None
        clean = _STRIP.sub(" ", text)
        if not _LETTER.search(clean):
            return None
        if len(self.languages) == 1:
            return self.languages[0]
        lang = _identifier(self.languages).classify(clean)[0]
        if lang != "hi" and "hi" in self.languages and _looks_romanised_hindi(clean):
            return "hi"
        return lang

    def detect_many(self, texts: Sequence[str | None]) -> list[str | None]:
        return [self.detect(t) for t in texts]

    def resolve(self, given: Sequence[object], texts: Sequence[str | None]) -> list[str | None]:
        """The export's own code where present, else the detected language."""
        out = []
        for code, text in zip(given, texts, strict=True):
            lang = normalize_code(code)
            out.append(lang if lang is not None else self.detect(text))
        return out


def _looks_romanised_hindi(text: str) -> bool:
    if not text.isascii():
        return False
    words = _WORDS.findall(text.lower())
    hindi = sum(w in _HINGLISH for w in words)
    indonesian = sum(w in _INDONESIAN for w in words)
    return hindi >= 2 and indonesian == 0
