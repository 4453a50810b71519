"""Crises in every language: the crisis vocabulary, the matcher's accent folding and
hashtag handling, and the unrelated senses of crisis words.

Each crisis sentence uses a word of its language that people post about a disaster,
an accident or an attack (inflected, typed without accents, or inside a hashtag);
each trap uses a crisis word in another sense ("explosión de alegría", "terremoto
político", "fire the coach") and must not be critical. The sentences are written
for this test, not taken from any data set. ``tests/fixtures/crisis_checkset_synthetic.csv``
is a separate hand-written check set (10 crisis and 10 non-crisis lines per
language) read here only to hold its per-language floors.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from govwatch.analysis.taxonomy import (
    TermMatcher,
    informal_variants,
    load_taxonomy,
    taxonomy_matcher,
)
from test_tagging_frames import rules as critical  # the shipped default's critical tag

CHECKSET = Path(__file__).parent / "fixtures" / "crisis_checkset_synthetic.csv"


CRISIS = {
    "es epicentre, accents left out": "Movimiento telurico fuerte, el epicentro fue en Nicoya",
    "es river burst": "Se desbordó el rio y hay lesionados en la colonia",
    "es plane": "Se estrelló una avioneta detrás del estadio",
    "pt accents left out": "Explosao na refinaria agora, fumaça preta em toda a cidade",
    "pt rubble": "Pegou fogo no galpão, tem gente sob os escombros",
    "pt blood drive": "Hospitais pedem: doem sangue no hemocentro hoje",
    "fr accents left out": "Deraillement a Lac-Megantic, les evacues dorment au gymnase",
    "fr gunfire": "Coups de feu entendus près de la gare, restez chez vous",
    "fr buried": "Trois personnes ensevelies sous les décombres",
    "it rubble": "Ancora tre persone sotto le macerie",
    "it flooded": "Strade allagate, scuole chiuse a Olbia",
    "ru rubble": "Под завалами остаются люди, идет разбор",
    "ru air crash": "Авиакатастрофа под Казанью, на борту было 50 человек",
    "kk rubble": "Үйінді астында адамдар қалды",
    "id buried": "Tiga rumah tertimbun, warga masih mencari",
    "id fire idiom": "Si jago merah melalap puluhan kios di pasar",
    "tl earthquake affix": "Nilindol kami, nagtakbuhan ang lahat palabas",
    "tl typhoon affix": "Binagyo ang buong isla, wala nang kuryente",
    "tl ravaged": "Nasalanta ang mga bahay sa tabing-dagat",
    "hi earthquake (Urdu word)": "ज़लज़ला आया, सब घरों से बाहर भागे",
    "hi-Latn earthquake": "Raat ko zalzala aaya, sab darr gaye",
    "hi-Latn flood (Urdu word)": "Sailab aaya, poora gaon khaali karna pada",
    "tl meteor": "May bulalakaw na sumabog sa langit, basag ang mga bintana",
    "hi-Latn meteor": "Ulkapind gira, kai ghar toote",
    "hashtag camel case": "#LindolBohol nagtakbuhan kami",
    "hashtag lower-case compound": "#bagyopablo nakakatakot ang hangin",
    # hazards and their aftermath told in everyday words
    "id bomb phrase": "Ada bom di stasiun, warga diminta menjauh",
    "id vehicle into a ravine": "Truk masuk jurang di Sumedang, sopir belum ditemukan",
    "tl river overflowing": "Umapaw ang ilog sa amin, pinalikas na ang mga residente",
    "fr dam gave way": "Le barrage a cédé cette nuit, trois villages sous l'eau",
    "pt hail": "Chuva de granizo quebrou as telhas da escola",
    "es dam": "Se rompió la presa de jales, el lodo llegó al pueblo",
    "hi dam": "गांव के पास बांध टूटा, लोग ऊंची जगह पर भागे",
    "hi-Latn waterlogging": "Gali mein paani bhar gaya, bujurg ghar mein phanse hue hain",
    # informal spelling: letters typed over and over, the Indonesian plural with "2"
    "en stretched letters": "floooood in the basement, water still rising",
    "es stretched letters": "TEMBLOOOOR muy fuerte ahorita",
    "ru stretched letters": "ПОЖАААР в соседнем подъезде",
    "tl stretched letters": "lindoool!! ang lakas",
    "id plural with 2": "Korban2 masih di pengungsian, butuh selimut",
    # the same concept inflected: verb forms, affixes, phrases of each language
    "es reflexive flood": "Se está inundando la calle, el agua ya entró a las casas",
    "es swept away": "La corriente arrastró a una familia en el arroyo",
    "pt run over": "Morreu atropelado na rodovia perto da ponte",
    "fr it shook": "Ça a tremblé très fort à Nice cette nuit",
    "fr swept away": "Deux campeurs emportés par le courant",
    "it it shook": "Ha tremato tutto, siamo usciti in strada",
    "it hit by a truck": "Ciclista investito da un camion in via Roma",
    "ru jolt": "Тряхнуло минут десять назад, люстра качалась",
    "ru drowned": "Двое утонули в реке у плотины",
    "ru shelling": "Обстреляли автобус на трассе",
    "id suffix -nya": "Gempanya kuat sekali, semua lari keluar",
    "id flooded": "Rumah kami kebanjiran sejak subuh",
    "tl storming": "Bumabagyo ng malakas dito sa Samar",
    "tl fire broke out": "Nagkasunog sa palengke kaninang madaling araw",
    "hi shots fired": "बाजार में गोली चली, दुकानें बंद",
    "hi trapped under debris": "लोग मलबे में फंसे हैं, बचाव दल पहुंचा",
    "hi lightning": "आसमानी बिजली गिरने से तीन की मौत",
    "hi cylinder": "सिलेंडर फटने से घर की छत उड़ी",
    "hi-Latn flood came": "Barh aa gayi gaon me, sab chhat pe hain",
    "hi-Latn fire broke out": "Factory me lagi aag, dhuan hi dhuan",
}

TRAPS = {
    "es joy": "Qué explosión de júbilo en la plaza tras el gol",
    "es political quake": "Un verdadero terremoto político sacude al gobierno",
    "es song": "Ese reggaetón es una bomba",
    "pt joy": "Explosão de alegria no Maracanã",
    "pt political quake": "Terremoto político no Planalto depois da delação",
    "fr joy": "Explosion de joie dans les rues après la victoire",
    "fr political quake": "Véritable séisme politique au Sénat",
    "it joy": "Esplosione di gioia in piazza dopo la vittoria",
    "it political quake": "Un terremoto politico scuote la maggioranza",
    "ru mind blown": "Взрыв мозга, а не сериал",
    "ru slang anger": "Меня бомбит с этого судьи",
    "ru heat is weather": "Жара, все на речку",
    "id population boom": "Ledakan penduduk membuat kota makin padat",
    "id idiom panic": "Pejabat itu kebakaran jenggot ditanya wartawan",
    "tl flood of tears": "Baha ng luha sa kasal nila",
    "hi-Latn close contest": "Dono teams mein kaante ki takkar hai",
    "hi-Latn sale": "Diwali dhamaka offer, sab phones pe 20% off",
    "id sale": "Banjir diskon akhir tahun di semua toko",
    "es went viral": "Su video incendió las redes anoche",
    "hi-Latn figurative fire": "Naya gaana to aag hai bhai",
    "en fire someone": "The board should fire the manager after this season",
    "en fun": "Had a blast at the fair with the kids",
    "en cruel": "What a cruel joke that was",
}


# Guards of the new rules: weak death words ("muerto", "patay") and the hashtag
# compounds must not make these critical (they were not critical before either).
GUARDS = {
    "es laughing": "Estoy muerto de risa con tu meme",
    "tl smitten": "Patay na patay siya sa bagong artista",
    "hashtag Bahamas": "#bahamas holiday pics are up",
    "hashtag bombastic": "#bombastic performance tonight",
    # Portuguese "bom" (good) is not the Indonesian bomb
    "pt good morning": "Bom dia! O filme de ontem foi muito bom",
    # drills are rehearsals, whatever hazard they name
    "es drill": "Simulacro de sismo hoy a las 11, participen todos",
    "id drill": "Simulasi gempa dan tsunami di kantor kecamatan",
    "hi-Latn drill": "Kal school mein mock drill hai, bhukamp se bachav ka",
    # similes and figurative floods, storms and crashes
    "ru simile": "На кухне бардак как после урагана",
    "tl burnt rice": "Nasunog na naman yung kanin ko",
    "it market": "Crollo in borsa per le banche oggi",
    "hi flood of offers": "त्योहार पर ऑफर्स की बाढ़, सब कुछ सस्ता",
    # the new inflected forms in their other senses
    "id flooded with orders": "Alhamdulillah kebanjiran order minggu ini",
    "pt team run over": "O Flamengo atropelou o adversário, goleada",
    "ru drowned in red tape": "Россия утонула в бюрократии",
    "it invested with": "Investito da un grande onore, ringrazio tutti",
    "it market on fire": "Il mercato è in fiamme oggi, tutti comprano",
    "hi party wave": "पंजाब में 'आप' की आँधी है",
    "hi-Latn stormy poem": "Hum laaye hain tufaan se kishti nikaal ke",
    # an exam, a match or a kick that was a "massacre" or "exploded"
    "es exam": "El examen fue una masacre, reprobamos todos",
    "fr match": "Le match était un massacre, 5-0",
    "id kick": "Tendangannya meledak di gawang",
    "tl problems": "Bagyo ng problema sa trabaho ngayong linggo",
    # a scene of a film
    "es film scene": "El tiroteo de la película estuvo brutal",
    "ru film scene": "Перестрелка в фильме была скучной",
}


@pytest.mark.parametrize("name", sorted(CRISIS))
def test_crisis_in_every_language_is_critical(name):
    assert critical([CRISIS[name]]) == [True], CRISIS[name]


@pytest.mark.parametrize("name", sorted(TRAPS))
def test_unrelated_senses_of_crisis_words_are_not_critical(name):
    assert critical([TRAPS[name]]) == [False], TRAPS[name]


@pytest.mark.parametrize("name", sorted(GUARDS))
def test_new_weak_words_and_compounds_stay_quiet(name):
    assert critical([GUARDS[name]]) == [False], GUARDS[name]


def test_accents_are_optional_on_latin_letters_only():
    matcher = TermMatcher({"g": ["refinería", "évacués", "мой"]})
    counts = matcher.counts(["la refineria", "les evacues", "LA REFINERÍA", "мои вещи", "мой дом"])
    assert counts[:, 0].tolist() == [1, 1, 1, 0, 1]  # Cyrillic й keeps its breve


def test_letters_typed_over_and_over_read_as_the_dictionary_word():
    matcher = TermMatcher({"g": ["flood", "temblor*", "ayuda", "llamas", "ссора", "बचाओ",
                                 "korban", "send help"]})
    texts = ["floooood", "TEMBLOOOR", "ayudaaaa", "en llaaaamas", "ссооора", "बचाओओओ",
             "korban2", "send heeeelp", "flod", "flooods", "llamas", "ссора"]
    # "send heeeelp": the second word of a phrase too; "flooods" is no form of "flood"
    assert matcher.counts(texts)[:, 0].tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1]


def test_informal_variants_keep_words_spelt_with_a_double_letter():
    assert informal_variants("flood") == [] and informal_variants("ссора") == []
    assert informal_variants("floooood") == ["flod", "flood"]
    assert informal_variants("korban2") == ["korban"]
    assert informal_variants("2000") == [] and informal_variants("mp3") == []


def test_hashtag_compounds_need_a_word_boundary():
    matcher = taxonomy_matcher(load_taxonomy())
    assert "lindol" in matcher.matched("#lindolbohol")["topic:disaster"]
    assert "baha" in matcher.matched("#manilabaha")["topic:disaster"]
    # English words that start with a crisis word of another language
    assert matcher.matched("#bahamas") == {}
    assert matcher.matched("#bombardier") == {}


def _checkset() -> list[dict]:
    with open(CHECKSET, encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def test_checkset_recall_and_specificity_per_language():
    """The hand-written check set (never used to choose terms): recall >= 0.9 and
    specificity >= 0.85 in every language (docs/evaluation.md has the figures)."""
    rows = _checkset()
    pred = critical([r["text"] for r in rows])
    langs = sorted({r["lang"] for r in rows})
    assert len(langs) == 11 and len(rows) == 220
    for lang in langs:
        pos = [p for r, p in zip(rows, pred, strict=True) if r["lang"] == lang and r["critical"] == "true"]
        neg = [p for r, p in zip(rows, pred, strict=True) if r["lang"] == lang and r["critical"] == "false"]
        assert sum(pos) / len(pos) >= 0.9, (lang, "recall", sum(pos) / len(pos))
        assert 1 - sum(neg) / len(neg) >= 0.85, (lang, "specificity", 1 - sum(neg) / len(neg))


LANGUAGE_CASES = {
    # short crisis posts in the languages a user may add to the defaults
    "Sismo fuerte ahora, se cayeron las repisas": "es",
    "Enchente no bairro, a água entrou nas casas": "pt",
    "Le train a déraillé, le centre-ville est en feu": "fr",
    "Forte scossa adesso, tutti in strada": "it",
    "Над городом взорвался метеорит, выбило стекла": "ru",
    "Baha na dito sa Marikina, hanggang bewang na ang tubig": "tl",
    # romanised Hindi is not Tagalog, short Indonesian is not English
    "Mandir mein bhagdad, kai log ghayal": "hi",
    "Abhi bhukamp aaya, building hil rahi thi, sab bahar bhage": "hi",
    "Gempa kuat barusan, rumah goyang, warga lari keluar": "id",
}


@pytest.mark.parametrize("text", sorted(LANGUAGE_CASES))
def test_short_crisis_posts_get_their_language(text):
    from govwatch.analysis.langid import LanguageDetector

    det = LanguageDetector(("en", "hi", "id", "ru", "kk", "es", "pt", "fr", "it", "tl"))
    assert det.detect(text) == LANGUAGE_CASES[text]


def test_checkset_languages_are_identified():
    """The check set's languages with all of them configured (hi-Latn is hi): at
    least 95% right."""
    from govwatch.analysis.langid import LanguageDetector

    rows = _checkset()
    det = LanguageDetector(("en", "hi", "id", "ru", "kk", "es", "pt", "fr", "it", "tl"))
    found = det.detect_many([r["text"] for r in rows])
    right = sum(f == r["lang"].replace("hi-Latn", "hi") for f, r in zip(found, rows, strict=True))
    assert right / len(rows) >= 0.95, right / len(rows)


HELDOUT = Path(__file__).parent / "fixtures" / "crisis_heldout_synthetic.csv"


def test_heldout_set_recall_per_language_on_its_test_half():
    """The synthetic held-out set (written before its dev half was read against the
    terms; docs/evaluation.md): on the test half every language keeps recall >= 0.8
    and the pooled balanced accuracy stays >= 0.75."""
    with open(HELDOUT, encoding="utf-8") as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    langs = sorted({r["lang"] for r in rows})
    assert len(rows) == 630 and langs == sorted(["en", "es", "pt", "fr", "it", "ru", "id", "tl", "hi"])
    test = [r for r in rows if r["half"] == "test"]
    pred = critical([r["text"] for r in test])
    pos = [p for r, p in zip(test, pred, strict=True) if r["critical"] == "true"]
    neg = [p for r, p in zip(test, pred, strict=True) if r["critical"] == "false"]
    for lang in langs:
        got = [p for r, p in zip(test, pred, strict=True) if r["lang"] == lang and r["critical"] == "true"]
        assert sum(got) / len(got) >= 0.8, (lang, sum(got) / len(got))
    assert (sum(pos) / len(pos) + 1 - sum(neg) / len(neg)) / 2 >= 0.75
