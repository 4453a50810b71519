"""Hindi typed without spaces, the murder beside its accused, and romanised Hindi.

Hindi on social media is often typed without spaces, whole phrases run together
("शहीदहोगया", "मारेगए"), a Latin word or a number glued to the Devanagari
("Delhiमेंलाठीचार्ज"), and sentences closed by the danda ("।"). A killing reported
with its accused named ("X की हत्या, आरोपी फरार") is an incident; the charge itself
("हत्या के आरोपी को जमानत") is talk about a case (docs/codebook.md). Romanised Hindi
names the same incidents ("shaheed ho gaye", "haadse mein jaan gayi") and has its own
traps: "badh" is also "increase", prices and incitement are "on fire". The sentences
are written for this test, not taken from any data set.
"""

from __future__ import annotations

import pytest
from govwatch.analysis.taxonomy import TermMatcher, load_taxonomy, taxonomy_matcher, tokenize
from test_tagging_frames import rules

INCIDENTS = {
    # a phrase run together inside a long run
    "martyred, typed without spaces": "इकलौताबेटाआजसरहदपरशहीदहोगया।पिताकोगर्वहै",
    "killed on duty, typed without spaces": "ड्यूटीकेदौरानमारेगएसिपाहीकेपरिवारकोमुआवजा",
    # a short run glued to a Latin word: searched whatever its length
    "lathi-charge glued to a Latin word": "Delhiमेंलाठीचार्ज, छात्र सड़क पर",
    "virus glued to a number": "चिड़ियाघर के पक्षियों में H5वाइरस मिला, पार्क बंद",
    # a word closed by the danda is a word
    "explosion before a danda": "पुरानी दिल्ली की फैक्ट्री में भीषण विस्फोट। लोग बाहर भागे",
    # a murder reported with its accused named
    "murder with the accused named": "कल रात व्यापारी की हत्या, पुलिस ने दो आरोपी पकड़े",
    "an attack on a community": "गांव में आज फिर दलितों पर हमला, दो लोग अस्पताल में",
    "romanised: martyred": "Seema par hamla, paanch jawan shaheed ho gaye",
    "romanised: lives lost in an accident": "Highway par haadse mein teen logon ki jaan gayi",
    "romanised: a beating": "Dalit yuvak ki pitai ka video viral, police chup",
    "romanised: a Naxal attack": "Sukma mein naxali hamla, gaadi udaayi",
    "romanised: a cloudburst": "Pahadi gaon mein badal phata, kai ghar bah gaye",
    "romanised: toxic gas": "Factory se zehrili gas nikli, log behosh",
    "romanised: the dead counted": "Mritkon ke parivaron ko char lakh ka muavza",
}

TRAPS = {
    # the charge and the case, not the act
    "murder as a charge": "हत्या के आरोपी विधायक को जमानत मिली",
    "murder case": "हत्या के मामले में सुनवाई अगले महीने",
    # masks hold inside a run typed without spaces
    "incitement, typed without spaces": "देशमेंआगलगानेवालेलोगकौनहैंयेसबजानतेहैं",
    "verbal attack, typed without spaces": "मुख्यमंत्रीजीनेविपक्षपरजमकरहमलाबोला",
    # words that have other senses
    "will drown (a threat)": "हमारी योजनाओं के बिना ये कंपनियां डूब जाएंगी और वे डूब जाएंगे",
    "a prayer at a festival": "गणपति बप्पा से प्रार्थना है कि सबका भला करें।",
    "caught in a scandal": "घोटाले में फंसी सरकार अब जवाब दे।",
    "sedition as a debate": "देशद्रोह के मुद्दे पर सरकार का विरोधाभास उजागर",
    "a word no longer than a word": "आगरा में आज व्यापारियों का सम्मेलन",
    "romanised: prices increase": "Petrol ke daam badh gaye, janta pareshan",
    "romanised: prices on fire": "Sabziyon ke daamon mein aag lagi hai",
    "romanised: incitement": "Desh mein aag lagane wale kaun hain, sab jaante hain",
    "romanised: a name": "Shahid Kapoor ki nayi film aaj release hui",
    "romanised: came to know": "Sach kya hai, janta ab jaan gayi hai",
    "romanised: stuck in traffic": "Aaj phir jaam mein fase, office late",
    "romanised: terrorist as a word": "Hamare vidhayak ko aatanki kehna band karo",
}


@pytest.mark.parametrize("name", sorted(INCIDENTS))
def test_incident_is_critical(name):
    assert rules([INCIDENTS[name]]) == [True], INCIDENTS[name]


@pytest.mark.parametrize("name", sorted(TRAPS))
def test_trap_is_not_critical(name):
    assert rules([TRAPS[name]]) == [False], TRAPS[name]


def test_danda_ends_a_word():
    assert tokenize("जवान घायल। गांव खाली॥")[0] == ["जवान", "घायल", "गांव", "खाली"]


def test_runs_typed_without_spaces_at_the_matcher():
    """Phrases run together are found; a word of ordinary length is not searched inside
    (no "गरा" in "भागरा") unless a Latin word or a number is glued to it; a mask hides
    the terms it overlaps inside a run, as between spaces."""
    m = TermMatcher({"crisis": ["आगरा", "गरा", "शहीद हो गया", "हमला"]}, masks=["हमला बोला"])

    def found(text):
        return m.matched(text).get("crisis", [])

    assert found("इकलौताबेटाशहीदहोगयापिताकोगर्वहै") == ["शहीद हो गया"]
    assert found("भागरा में सम्मेलन") == []
    assert found("Xभागरा") == ["गरा"]
    assert found("पुलिसपरहमलाX") == ["हमला"]
    assert found("विपक्षपरजमकरहमलाबोलाऔरचलेगए") == []
    assert found("विपक्षपरजमकरहमलाहुआऔरलोगघायल") == ["हमला"]


def test_default_matcher_finds_phrases_in_runs():
    m = taxonomy_matcher(load_taxonomy())
    assert "मारे गए" in m.matched("ड्यूटीकेदौरानमारेगएसिपाहीकेपरिवारकोमुआवजा")["critical_strong"]
