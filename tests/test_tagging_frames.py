"""Talk about incidents is not an incident: the frames that cancel a crisis word.

A post is critical when it addresses a current incident (docs/codebook.md). Posts
that only *talk about* incidents -- a past one remembered, a court case or an
allegation, a threat or a hypothesis, an attack on an opponent, a natural death,
deaths blamed on a policy -- are not. Each frame below is written in the
project's languages; each has a twin that is a real incident and stays critical,
so a frame that cancelled too much would fail here too. The sentences are
written for this test, not taken from any data set.
"""

from __future__ import annotations

from functools import cache

import pytest
from govwatch.analysis.classifiers import PostTagger


@cache
def _default_tagger() -> PostTagger:
    return PostTagger().fit([])  # the packaged taxonomy's rules, no model


def rules(texts: list[str]) -> list[bool]:
    """The critical tag the shipped default gives each text."""
    return _default_tagger().predict(texts)["critical"].tolist()


TALK = {
    # political attacks on opponents and institutions
    "attacks the PM": "The Chief Minister attacks the PM over the degree row",
    "attack on institutions": "Why is there an attack on institutions? Democracy in danger",
    "attack me": "They can attack me, but don't punish the people of the city",
    # allegations, cases, charges
    "accused of": "Ruling party MLA accused of rape, opposition demands resignation",
    "FIR against": "Another FIR registered against our MLA in a case of assault",
    "charge": "Murder charge against a professor shows how rattled they are",
    "es allegation": "El diputado acusado de asesinato sigue en su cargo, denuncia la oposición",
    "pt allegation": "Vereador acusado de assassinato continua no cargo",
    "fr allegation": "Le maire accusé de meurtre reste en fonction",
    "it allegation": "Il consigliere accusato di omicidio resta al suo posto",
    "ru allegation": "Депутата обвиняют в убийстве, оппозиция требует отставки",
    "id allegation": "Anggota dewan dituduh melakukan pembunuhan, kata oposisi",
    "hi allegation": "विधायक पर हत्या का आरोप, विपक्ष ने इस्तीफा मांगा",
    "character assassination": "Abuse, banning, censorship, character assassination: their record",
    "attack opponents": "A rogue outfit created by the ruling party to attack opponents",
    # terrorism as a policy topic, not an incident
    "terrorism talk": "Terrorists have access to the new currency but honest taxpayers don't",
    "hi terrorism talk": "सरकार मुझे आतंकी बताकर फंसा सकती है",
    "ongoing labour strike": "The ongoing municipal workers' strike will end after talks at 3 pm",
    # threats and hypotheses
    "death threats": "Handles that send death threats to journalists are followed by ministers",
    "could be killed": "I could be killed for speaking the truth, says the leader",
    "es threat": "El periodista recibió amenazas de muerte por su columna",
    "tl threat": "Nakatanggap ng banta sa buhay ang mamamahayag dahil sa kanyang kolum",
    # natural deaths and deaths without an incident
    "heart attack": "A man died of a heart attack outside the bank while waiting in the queue",
    "deaths blamed on a policy": "55 people have died since the new currency rules, says the opposition",
    "dead soldier remark": "Horrible comments by the minister about a dead soldier",
    "id natural death": "Tokoh masyarakat itu meninggal dunia karena serangan jantung",
    "hi natural death": "पूर्व मंत्री की दिल का दौरा पड़ने से मौत",
    # the past and its commemoration
    "years ago": "Remembering the victims of the bombing, 25 years ago",
    "ru memory": "Вспоминаем жертв теракта, 20 лет назад. Вечная память",
    "es anniversary": "Hace años del terremoto; hoy, homenaje a las víctimas",
    "year of a past riot": "Hard questions to the Captain on the 1984 Sikh riots",
}

INCIDENT = {
    "attack today": "Terror attack on the army camp today, 4 jawans martyred",
    "attacked by a mob": "Our volunteer was attacked by a mob in the market, admitted to hospital",
    "alleged gunman": "Police say the alleged gunman opened fire at the mall, 3 injured",
    "suicide bomber": "Suicide bomber kills 12 at a market in the city",
    "suicide at rally": "Farmer commits suicide at the rally, we are shocked",
    "deaths in an accident": "Saddened by the deaths of 20 pilgrims in the bus accident",
    "died in floods": "Eleven people died in the floods, relief camps opened",
    "heart attack on a train": "Medical emergency: passenger had a heart attack in coach B4, need a doctor",
    "es incident": "Tiroteo en la plaza: la policía busca al presunto atacante, hay heridos",
    "pt incident": "Explosão em fábrica deixa mortos e feridos",
    "id incident": "Banjir bandang, dua warga meninggal dunia dan ratusan mengungsi",
    "hi incident": "बस हादसे में 12 लोगों की मौत, घायलों को अस्पताल पहुंचाया गया",
    "tl incident": "Lindol sa Bohol, maraming namatay at sugatan",
    # a weak word ("terrorist") beside a marker of a current incident
    "terrorist on the loose": "There is a terrorist on the loose near the station",
    "es current": "Ahora mismo: terroristas armados en el centro comercial",
    "ru current": "Прямо сейчас: террористы захватили здание школы",
}


def test_talk_about_incidents_is_not_critical():
    tagged = [case for case, yes in zip(TALK, rules(list(TALK.values())), strict=True) if yes]
    assert tagged == [], [TALK[c] for c in tagged]


def test_each_frame_has_an_incident_twin_that_stays_critical():
    missed = [case for case, yes in zip(INCIDENT, rules(list(INCIDENT.values())), strict=True)
              if not yes]
    assert missed == [], [INCIDENT[c] for c in missed]


def test_a_past_marker_outweighs_any_number_of_incident_words():
    # Three incident words and no other context: still history, not an incident.
    assert rules(["25 years ago the bombing, the blast and the fire killed 90 people"]) == [False]
    assert rules(["The bombing, the blast and the fire killed 90 people"]) == [True]


def test_past_section_is_validated_and_changes_the_version():
    from govwatch.analysis.taxonomy import TaxonomyError, load_taxonomy, parse_taxonomy

    tax = load_taxonomy().to_dict()
    before = parse_taxonomy(tax, "t.yaml").digest
    tax["not_critical"]["past"]["en"] = tax["not_critical"]["past"]["en"] + ["long ago"]
    assert parse_taxonomy(tax, "t.yaml").digest != before
    tax["not_critical"]["past"] = ["years ago"]
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(tax, "t.yaml")
    assert err.value.locator == "not_critical.past"


def test_a_term_subsumed_by_a_prefix_of_its_group_counts_once():
    from govwatch.analysis.taxonomy import TermMatcher

    # "violence" (en) and "violence*" (fr) are one word to count, not two.
    m = TermMatcher({"crit": ["violence", "violence*", "asesinat*", "asesin*"], "en": ["violence"]})
    hits = m.counts(["violence", "violences", "asesinato"])
    assert hits[:, 0].tolist() == [1, 1, 1]
    assert hits[:, 1].tolist() == [1, 0, 0]


def test_current_section_is_validated_and_optional():
    from govwatch.analysis.taxonomy import TaxonomyError, load_taxonomy, parse_taxonomy

    tax = load_taxonomy().to_dict()
    tax["current"] = {"en": "right now"}
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(tax, "t.yaml")
    assert err.value.locator == "current.en"
    del tax["current"]  # older taxonomy files still load
    assert parse_taxonomy(tax, "t.yaml").current == {}


def test_a_bare_star_stands_for_any_one_word():
    from govwatch.analysis.taxonomy import TermMatcher, term_words

    m = TermMatcher({"past": ["hace * años", "il y a * ans"]})
    hits = m.counts(["Hace diez años", "hace 10 años", "hace años", "il y a 20 ans", "hace dos o tres años"])
    assert hits[:, 0].tolist() == [1, 1, 0, 1, 0]
    assert term_words("* anni fa") == [("anni", False), ("fa", False)]  # never a first word
