"""The tagger's decisions from seed-rule scores and model probabilities, and the
default tagger (the taxonomy's seed rules, no model) without scikit-learn.

:class:`TaggerBase` holds what :class:`govwatch.analysis.classifiers.PostTagger` (the
scikit-learn estimator) decides from the seed rules' hit counts and its models'
probabilities: its parameters, the version it records, and ``predict``.
:class:`RulesTagger` is the default model, a PostTagger fitted on no texts, with
the same parameters, version and tags: ``govwatch analyze`` tags with it without
importing scikit-learn (most of a small store's start-up otherwise). It cannot be
fitted or saved; :meth:`RulesTagger.to_estimator` gives the PostTagger it stands for.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .taxonomy import Taxonomy, TermMatcher, load_taxonomy, parse_taxonomy, taxonomy_matcher

TARGETS = ("topic", "critical", "needs_response")
OUTPUT_COLUMNS = (
    "topic", "topic_confidence", "critical", "critical_confidence",
    "needs_response", "needs_response_confidence", "deflection",
)
# Confidence of a rules-only "no" when no model is available.
_RULE_ONLY_NO = 0.2


# A year that dates a riot, a massacre or a fire ("victims of riots in '84", "the 2002 riots",
# "lost her baby in a fire in 2013"): an incident of the past (docs/codebook.md, rule 2),
# unless the post also says it happens now ("right now", "tonight": the ``current``
# markers). Violence and fire nouns only: storm and flood posts compare with floods of
# earlier years ("worse than the 1974 floods") while they report the current one. The same
# nouns are read in every language of the taxonomy, each with its own word order and
# linking words ("los disturbios de 1984", "la strage del '92", "погромы 1905 года", "в 1999
# году взрывы", "kerusuhan Mei 1998", "masaker noong 2009", "1993 के बम धमाके"), a year
# written in Devanagari digits too ("१९९३"). A month may stand before the year ("the riots of
# May 1998", "los atentados de marzo de 2004"); a full date may not ("le massacre du 17
# octobre 1961", "kerusuhan 13 Mei 1998"): a report dates a current incident by its day.
_Y4 = r"(?:(?:19|20)\d\d|(?:१९|२०)[०-९]{2})"
_YEAR = rf"(?:\b{_Y4}(?!\d)|['’]\d\d\b)"
_EVENT = r"(?:riots?|carnage|massacre|pogrom|genocide|killings|blasts|bombings?|attacks?|fire|murders?)"
_MONTH = (  # en, es, pt, fr, it, id, tl and de months not spelled alike in an earlier language
    r"(?:(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|enero|febrero|marzo|abril|mayo|junio|julio|agosto|se(?:p|t)tiembre|octubre|"
    r"noviembre|diciembre|janeiro|fevereiro|mar[çc]o|maio|junho|julho|setembro|outubro|"
    r"novembro|dezembro|janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[ûu]t|septembre|"
    r"octobre|novembre|d[ée]cembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|"
    r"ottobre|dicembre|januari|februari|maret|mei|juni|juli|agustus|oktober|desember|pebrero|"
    r"marso|hunyo|hulyo|setyembre|oktubre|nobyembre|disyembre|januar|februar|m[äa]rz|"
    r"dezember)\s+(?:de\s+)?)")
# a number of hectares, people or homes after the noun is no year ("un incendio de 2000
# hectáreas", "korban 2000 orang", "a fire of 1500 acres")
_NOT_A_COUNT = (
    r"(?!\s*(?:%|°|ha\b|hect\w*|hektar\w*|ettar\w*|acres?\b|km|m2|m²|metr\w*|m[èe]tres?|kilo\w*|"
    r"kg\b|t\b|ton\w*|pe(?:r|s)so\w*|persone|gente|people|menschen|orang|jiwa|warga|katao|tao\b|"
    r"famil\w*|hogares|case\b|casas?\b|maisons?|logements?|abitazioni|rumah|bahay|homes?\b|"
    r"houses?\b|h[äa]user|unit|kk\b|muert\w*|mort\w*|tote\w*|dead\b|herid\w*|ferid\w*|"
    r"bless[ée]\w*|verletzte\w*|injured))")
# the forms that begin with the noun, each language's linking word and the year; they follow
# one "\b", so that a word's start is tested once (texts are read in lower case)
_NOUN_FIRST = [
    # en: "riots of 1984", "a fire in May 2013" (the year first: below); Tagalog links a year
    # with "noong" ("masaker noong 2009")
    rf"{_EVENT}\s+(?:of|in|noong|nung)\s+{_MONTH}?{_YEAR}{_NOT_A_COUNT}",
    # es, pt: "los disturbios de 1984", "el atentado del 2004", "los atentados de marzo de
    # 2004", "o incêndio em 2013", "a chacina de 1993", "las víctimas de 1984"
    r"(?:disturbios?|mot[ií]n|motines|masacres?|matanzas?|pogroms?|pogromos?|genoc[ií]dios?|"
    r"asesinatos?|assassinatos?|homic[ií]dios?|atentados?|ataques?|explosi[oó]n|explosiones|"
    r"explos[õo]es|explos[ãa]o|bombardeos?|bombardeios?|inc[eê]ndios?|chacinas?|tumultos?|"
    r"dist[úu]rbios?|v[ií]c?timas|sobrevivientes|supervivientes|sobreviventes|viudas|vi[úu]vas)"
    rf"\s+(?:de|del|do|da|dos|das|en|em|no|na)\s+(?:(?:el|o)\s+)?(?:a[ñn]o\s+)?{_MONTH}?{_YEAR}"
    rf"{_NOT_A_COUNT}",
    # fr: "les émeutes de 2005", "l'incendie de novembre 2013", "les victimes de 1984"
    r"(?:[ée]meutes?|massacres?|carnage|pogroms?|g[ée]nocides?|tueries?|meurtres?|"
    r"assassinats?|attentats?|attaques?|explosions?|bombardements?|incendies?|victimes|"
    rf"survivant(?:e|s|es)?|rescap[ée](?:e|s|es)?|veuves)\s+(?:de|du|d['’]|en)\s*{_MONTH}?{_YEAR}"
    rf"{_NOT_A_COUNT}",
    # it: "la strage del 1980", "le stragi del '92", "l'incendio nel 2013"
    r"(?:sommoss[ae]|rivolt[ae]|disordini|strage|stragi|massacr[oi]|eccidio?|pogrom|genocidio?|"
    r"uccisioni|omicidio?|attentat[oi]|attacc(?:o|hi)|esplosion[ei]|bombardament[oi]|"
    r"incendi[oi]?|rog(?:o|hi)|vittime|sopravvissut[ie]|vedove)\s+(?:del|di|nel|dell['’])\s*"
    rf"{_MONTH}?{_YEAR}{_NOT_A_COUNT}",
    # de: "die Krawalle von 1992", "der Anschlag von 2016", "der Brand im Jahr 2013"
    r"(?:krawall(?:e|en)?|ausschreitungen|unruhen|massakers?|pogrom(?:e|en|s)?|"
    r"v[öo]e?lkermord(?:es|s)?|genozids?|morde?(?:s|n)?|anschl[äa]g(?:e|en|s|es)?|"
    r"angriff(?:e|en|s|es)?|explosion(?:en)?|br[äa]nd(?:e|es|s)?|feuers?|opfer|[üu]e?berlebenden|"
    rf"witwen)\s+(?:von|vom|im\s+jahre?|aus\s+dem\s+jahre?)\s+{_MONTH}?{_YEAR}"
    rf"{_NOT_A_COUNT}",
    # id: "kerusuhan 1998", "kerusuhan Mei 1998", "bom Bali 2002" (one word, a place's name,
    # between), "korban 1965"; not a number of people, homes or tons ("korban 2000 orang")
    r"(?:(?:kerusuhan|pembantaian|genosida|pogrom|pembunuhan|pengeboman|bom|ledakan|serangan|"
    r"penyerangan|kebakaran)\s+(?:(?:tahun|thn)\s+)?(?:[a-z]+\s+)?|"
    rf"(?:korban|penyintas)\s+(?:(?:tahun|thn)\s+)?){_MONTH}?{_YEAR}{_NOT_A_COUNT}",
    # tl: "ang masaker noong 2009", "ang sunog noong Mayo 2013"
    r"(?:masaker|pamamaslang|pagpatay|patayan|pambobomba|pagsabog|pag-atake|atake|sunog|"
    rf"kaguluhan|henosidyo|biktima|nakaligtas)\s+(?:noong|nung)\s+{_MONTH}?{_YEAR}"
    rf"{_NOT_A_COUNT}",
]
# ru: the noun in any case and the year in the genitive ("погромы 1905 года", "теракт 2004
# г.", "жертвы 1984 года") or with "в" ("пожар в 2013 году"), or the year first ("в 1999
# году взрывы"); "года" / "году" / "г." makes the number a year ("взрыв 2000 тонн" is none)
_EVENT_RU = (r"(?:беспорядк(?:и|ов|ам|ами|ах)|погром(?:|а|у|ом|е|ы|ов|ам|ами|ах)|"
             r"резн(?:я|и|ю|ей|е)|бойн(?:я|и|ю|ей|е)|геноцид(?:|а|у|ом|е)|"
             r"убийств(?:о|а|у|ом|е|ам|ами|ах)?|взрыв(?:|а|у|ом|е|ы|ов|ам|ами|ах)|"
             r"теракт(?:|а|у|ом|е|ы|ов|ам|ами|ах)|нападени(?:е|я|ю|ем|и|й|ям|ями|ях)|"
             r"пожар(?:|а|у|ом|е|ы|ов|ам|ами|ах)|жертв(?:ы|ам|ами|ах)?|выживш(?:ие|их|им|ими))")
_YEAR_RU = (r"(?:(?:январ|феврал|апрел|ма|июн|июл|сентябр|октябр|ноябр|декабр)[яе]\s+|"
            rf"(?:март|август)[ае]\s+)?{_YEAR}\s*(?:-?го\s+)?(?:год(?:а|у)\b|гг?\.)")
_NOUN_FIRST.append(rf"{_EVENT_RU}\s+(?:в\s+)?{_YEAR_RU}")
# hi: the year first, with or without "के / का / की / में (हुए)": "1984 के दंगे", "2002 के
# दंगों", "1984 दंगा पीड़ित", "1984 के सिख विरोधी दंगे", "1993 में हुए बम धमाकों", "१९९३ के धमाके";
# the victims or widows of a year only after "के / की" or a riot ("2000 पीड़ित" counts people);
# a two-digit year only in "84 के दंगे" ("12 की हत्या" is twelve people killed). Romanised the
# same ("1984 ke dange"). A Devanagari word ends where no letter or vowel sign follows.
_DEV_END = "(?![\u0900-\u0963\u0966-\u097f])"
_HI_EVENT = (r"(?:दंगा|दंगे|दंगों|नरसंहार|नरसंहारों|कत्लेआम|क़त्लेआम|जनसंहार|हत्याकांड|हत्या|"
             r"हत्याएं|हत्याएँ|हत्याओं|धमाका|धमाके|धमाकों|विस्फोट|विस्फोटों|ब्लास्ट|हमला|हमले|हमलों|"
             r"आग|अग्निकांड|आगजनी)")
_HI_VICTIMS = r"(?:पीड़ित|पीड़ितों|विधवा|विधवाएं|विधवाएँ|विधवाओं)"
_HL_EVENT = (r"(?:danga|dange|dangey|dangon|dango|narsanhar|narsanhaar|katleaam|qatleaam|"
             r"jansanhar|hatyakand|hatyakaand|hatya|hatyaen|hatyaon|dhamaka|dhamake|dhamakon|"
             r"dhamaaka|dhamaake|dhamaakon|visphot|hamla|hamle|hamlon|aag|agnikand|aagjani)")
_HL_VICTIMS = r"(?:peedit|pidit|peediton|piditon|vidhwa|vidhwaon)"
# what may follow a year that begins a form: en "the 2002 riots", "the 1984 anti-Sikh riots",
# "1984 victims", "2002 riot survivors" ("victims of 2013 floods" is not matched: a year after
# the noun may date a current disaster's aftermath); kk "2004 жылғы теракт"; hi and romanised
_AFTER_YEAR = [
    rf"\s+(?:anti[- ]\w+\s+)?(?:{_EVENT}|(?:riots?\s+)?(?:victims|survivors|widows))\b",
    r"\s*(?:ж\.|жылғы|жылы)\s+(?:тәртіпсіздік|қырғын|геноцид|жарылыс|теракт|шабуыл|өрт|"
    r"кісі өлтіру|құрбан)",
    r"\s*(?:(?:के|का|की|में(?:\s+हु(?:ए|ई|आ))?)\s+)?(?:\S+\s+विरोधी\s+)?(?:बम\s+)?"
    rf"(?:{_HI_EVENT}|(?:दंगा|दंगे|दंगों)\s+{_HI_VICTIMS}){_DEV_END}",
    rf"\s*(?:के|की)\s+{_HI_VICTIMS}{_DEV_END}",
    r"\s+(?:(?:ke|ka|ki|mein|me|main)\s+(?:(?:hue|huye|hui)\s+)?)?(?:\w+\s+virodhi\s+)?"
    rf"(?:bomb\s+|bam\s+)?{_HL_EVENT}\b",
    rf"\s+(?:ke|ki)\s+{_HL_VICTIMS}\b",
]
# a year that begins a form: its first digit, then no letter or digit before it (a test on
# the digit found, which is quicker than a word boundary tried at every place of a text)
_YEAR_FIRST = (r"(?:1(?<!\w1)9\d\d|2(?<!\w2)0\d\d|१(?<!\w१)९[०-९]{2}|२(?<!\w२)०[०-९]{2}|"
               r"['’]\d\d\b)(?!\d)")
_DATED_EVENT = re.compile(
    rf"\b(?:{'|'.join(_NOUN_FIRST)})"
    rf"|{_YEAR_FIRST}(?:{'|'.join(_AFTER_YEAR)})"
    rf"|\b\d\d(?:\s*के\s+(?:\S+\s+विरोधी\s+)?(?:दंगे|दंगों){_DEV_END}"
    r"|\s+ke\s+(?:\w+\s+virodhi\s+)?(?:dange|dangon|dangey)\b)"
    rf"|в(?<!\wв)\s+{_YEAR_RU}\s+{_EVENT_RU}(?!\w)")
# a quick test first: most texts have no year ("\d" is a Devanagari digit too); a two-digit
# year only where "के" or "ke" is written
_YEAR_HINT = re.compile(r"(?:19|20|१९|२०)\d\d|['’]\d\d")
_SHORT_YEAR_HINT = re.compile(r"\d\d\s*(?:के|ke)\s")


def _dated(texts: Sequence[str], rows: np.ndarray) -> np.ndarray:
    """Which of ``rows`` (indices into ``texts``) name an incident by a year."""
    out = np.zeros(len(texts), dtype=bool)
    hint, short, dated = _YEAR_HINT.search, _SHORT_YEAR_HINT.search, _DATED_EVENT.search
    for i in rows:
        text = texts[i]
        if hint(text) is not None or (("के" in text or " ke " in text) and short(text) is not None):
            # the forms are written in lower case and NFC, as the taxonomy's terms are matched
            if not text.isascii():
                text = unicodedata.normalize("NFC", text)
            out[i] = dated(text.lower()) is not None
    return out


def _rule_probability(hits: np.ndarray) -> np.ndarray:
    """Seed-term hits as a probability: 1 hit -> 0.75, 2 -> 0.875, ..."""
    return np.where(hits > 0, 1.0 - 0.5 ** (hits + 1), 0.0)


class RuleScores:
    """Seed-term hit counts of a batch of texts, per taxonomy group.

    The rules call a text critical when its strong critical-issue terms
    outnumber its not-critical contexts (greetings, ceremonies, elections,
    natural-death obituaries), or when it has support terms only ("pray for",
    "victims") and no such context, soft or not. Weak terms ("strike",
    "hospital", "died") count as support terms beside another critical term
    or a marker of a current incident ("right now") only. A past marker
    ("anniversary", "25 years ago") makes a text not critical whatever else it
    holds: it talks about an incident of the past, and so does a riot, a massacre
    or a fire dated by a year ("riots in '84") when no marker says it is current.
    ``critical`` is the number of critical terms of a text the rules call
    critical, else 0.
    """

    def __init__(self, tax: Taxonomy, matcher: TermMatcher, texts: Sequence[str]):
        counts = matcher.counts(texts)
        k = len(tax.categories)
        self.topic = counts[:, :k]
        (self.request, self.no_response, deflection, self.strong, self.support,
         self.cancel, soft, action, weak, past, now) = (counts[:, k + i] for i in range(11))
        # Weak terms ("strike", "died", "terrorist") count only beside another critical
        # term or a marker of a current incident ("right now", "on the loose").
        self.support = self.support + np.where(self.strong + self.support + now > 0, weak, 0.0)
        # A reply that reports an action ("complaint registered, no. 123") is no deflection.
        self.deflection = np.where(action > 0, 0.0, deflection)
        critical = ((self.strong > self.cancel) | (
            (self.strong == 0) & (self.support > 0) & (self.cancel + soft == 0))) & (past == 0)
        # an incident dated by a year is history too, unless the post says it is current
        past = past + _dated(texts, np.flatnonzero(critical & (now == 0)))
        critical &= past == 0
        self.cancel = self.cancel + soft + past
        self.critical = np.where(critical, self.strong + self.support, 0.0)
        self.request = self.request + critical

    def weak_labels(self, tax: Taxonomy) -> pd.DataFrame:
        """Labels the rules can give: topic and needs_response are None where undecided."""
        keys = np.array(tax.category_keys, dtype=object)
        has_topic = self.topic.sum(axis=1) > 0
        topic = np.where(has_topic, keys[self.topic.argmax(axis=1)], None)
        nr = np.full(len(self.request), None, dtype=object)
        nr[self.request > self.no_response] = True
        nr[self.no_response > self.request] = False
        return pd.DataFrame({"topic": topic, "critical": self.critical > 0, "needs_response": nr})


class TaggerBase:
    """The tagger's parameters (see PostTagger), its version and its decisions.

    A subclass provides ``probabilities(texts, rules)`` (the models' probabilities
    per target, None where there is no model) and ``_check_fitted()``; a fitted
    tagger has ``taxonomy_``, ``label_source_``, ``models_`` and ``version_``."""

    # learned state, set by fitting (declared only: an unfitted tagger has none)
    taxonomy_: Taxonomy
    label_source_: dict[str, str]
    models_: dict
    version_: str

    def __init__(self, taxonomy=None, word_ngram_range=(1, 2), char_ngram_range=None,
                 max_features=100_000, min_df=2, char_features=2**18, rule_features=True,
                 alpha=1e-4, loss="log_loss", class_weight=None, max_iter=20,
                 max_train_texts=200_000,
                 critical_threshold=0.5, needs_response_threshold=0.5, topic_threshold=0.5,
                 min_class_examples=10, min_weak_texts=500, random_state=0):
        self.taxonomy = taxonomy
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.max_features = max_features
        self.min_df = min_df
        self.char_features = char_features
        self.rule_features = rule_features
        self.alpha = alpha
        self.loss = loss
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.max_train_texts = max_train_texts
        self.critical_threshold = critical_threshold
        self.needs_response_threshold = needs_response_threshold
        self.topic_threshold = topic_threshold
        self.min_class_examples = min_class_examples
        self.min_weak_texts = min_weak_texts
        self.random_state = random_state

    @classmethod
    def _param_names(cls) -> list[str]:
        """The parameters of ``__init__``, as scikit-learn's ``get_params`` lists them."""
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values()
                      if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def _params(self) -> dict:
        return {name: getattr(self, name) for name in self._param_names()}

    def _resolve_taxonomy(self) -> Taxonomy:
        if self.taxonomy is None:
            return load_taxonomy()
        if isinstance(self.taxonomy, Taxonomy):
            return self.taxonomy
        if isinstance(self.taxonomy, dict):
            return parse_taxonomy(self.taxonomy, "<taxonomy parameter>")
        return load_taxonomy(self.taxonomy)

    def _version(self, texts: list[str], targets: dict[str, pd.Series]) -> str:
        h = hashlib.sha256()
        params = {k: (v if k != "taxonomy" else None) for k, v in self._params().items()}
        h.update(json.dumps(params, sort_keys=True, default=str).encode())
        h.update(self.taxonomy_.digest.encode())
        for t in texts:
            h.update(t.encode("utf-8", "surrogatepass") + b"\0")
        for target in TARGETS:
            h.update(target.encode() + self.label_source_[target].encode())
            if self.label_source_[target] == "labels":
                h.update("\0".join(map(str, targets[target].tolist())).encode())
        kind = "trained" if "labels" in self.label_source_.values() else "weak"
        return f"{kind}-{h.hexdigest()[:12]}"

    def _matcher(self) -> TermMatcher:
        matcher = self.__dict__.get("_matcher_cache")
        if matcher is None:
            matcher = taxonomy_matcher(self._tax())
            self.__dict__["_matcher_cache"] = matcher
        return matcher

    def _tax(self) -> Taxonomy:
        tax = getattr(self, "taxonomy_", None)
        return tax if tax is not None else self._resolve_taxonomy()

    def _check_fitted(self) -> None:
        raise NotImplementedError

    def __getstate__(self):
        # a copy without the term matcher (rebuilt on demand): never change the live
        # object; scikit-learn's own state (PostTagger) comes from the next class
        state = dict(super().__getstate__() or {})
        state.pop("_matcher_cache", None)
        return state

    def probabilities(self, texts: Sequence[str], rules: RuleScores | None = None
                      ) -> dict[str, np.ndarray | None]:
        raise NotImplementedError

    def predict(self, X) -> pd.DataFrame:
        """One row per text with the columns of ``OUTPUT_COLUMNS``."""
        self._check_fitted()
        texts = [t if isinstance(t, str) else "" for t in X]
        tax = self._tax()
        rules = RuleScores(tax, self._matcher(), texts)
        proba = self.probabilities(texts, rules)
        critical, critical_conf = self._decide_critical(rules, proba["critical"])
        nr, nr_conf = self._decide_needs_response(rules, proba["needs_response"])
        topic, topic_conf = self._decide_topic(rules, proba["topic"], tax)
        return pd.DataFrame({
            "topic": topic,
            "topic_confidence": topic_conf,
            "critical": critical,
            "critical_confidence": critical_conf,
            "needs_response": nr,
            "needs_response_confidence": nr_conf,
            "deflection": rules.deflection > 0,
        })

    def _decide_critical(self, rules: RuleScores, p_model):
        p_rule = _rule_probability(rules.critical)
        if self.label_source_["critical"] == "labels" and p_model is not None:
            p = p_model
        elif p_model is not None:
            p = np.maximum(p_rule, p_model)
        else:
            p = np.where(rules.critical > 0, p_rule, _RULE_ONLY_NO)
        yes = p >= self.critical_threshold
        return yes, np.where(yes, p, 1.0 - p)

    def _decide_needs_response(self, rules: RuleScores, p_model):
        margin = rules.request - rules.no_response
        p_rule = np.where(margin > 0, 1.0 - 0.5 ** (margin + 1), 0.5 ** (-margin + 1))
        undecided = margin == 0
        if self.label_source_["needs_response"] == "labels" and p_model is not None:
            p = p_model
        elif p_model is not None:
            p = np.where(undecided, p_model, p_rule)
        else:
            p = np.where(undecided, 0.5, p_rule)
        yes = p >= self.needs_response_threshold
        return yes, np.where(yes, p, 1.0 - p)

    def _decide_topic(self, rules: RuleScores, p_model, tax: Taxonomy):
        n = len(rules.topic)
        keys = np.array(tax.category_keys, dtype=object)
        total = rules.topic.sum(axis=1)
        best = rules.topic.max(axis=1) if n else np.zeros(0)
        rule_topic = keys[rules.topic.argmax(axis=1)] if n else np.zeros(0, dtype=object)
        rule_conf = np.divide(best, total, out=np.zeros(n), where=total > 0) * (1 - 0.5 ** (best + 1))
        if self.label_source_["topic"] == "labels" and p_model is not None:
            classes = np.array(self.models_["topic"].classes_, dtype=object)
            return classes[p_model.argmax(axis=1)], p_model.max(axis=1)
        topic = np.where(total > 0, rule_topic, tax.fallback).astype(object)
        conf = np.where(total > 0, rule_conf, 1.0 - _RULE_ONLY_NO)
        if p_model is not None:
            classes = np.array(self.models_["topic"].classes_, dtype=object)
            top = p_model.max(axis=1)
            use = (total == 0) & (top >= self.topic_threshold)
            topic = np.where(use, classes[p_model.argmax(axis=1)], topic)
            conf = np.where(use, top, np.where(total > 0, conf, 1.0 - top))
        return topic, conf


class RulesTagger(TaggerBase):
    """The taxonomy's seed rules, no model: what ``PostTagger(**params).fit([])``
    is (the same version and tags), built without scikit-learn. Fitted as made."""

    def __init__(self, taxonomy=None, **params):
        super().__init__(taxonomy, **params)
        self.taxonomy_ = self._resolve_taxonomy()
        self.label_source_ = dict.fromkeys(TARGETS, "weak")
        self.vectorizer_ = None
        self.models_: dict = {}
        self.n_train_texts_ = 0
        self.version_ = self._version([], {})

    @classmethod
    def _param_names(cls) -> list[str]:
        return TaggerBase._param_names()

    def _check_fitted(self) -> None:
        return None  # made fitted

    def probabilities(self, texts: Sequence[str], rules: RuleScores | None = None
                      ) -> dict[str, np.ndarray | None]:
        return dict.fromkeys(TARGETS)

    def to_estimator(self):
        """The scikit-learn estimator this tagger stands for (to save or refit it)."""
        from .classifiers import PostTagger

        return PostTagger(**self._params()).fit([])
