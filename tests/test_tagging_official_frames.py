"""What officials write about incidents, and what they write about everything else.

The concepts of docs/codebook.md section 9, each with a twin on the other side so
that a frame which reached too far would fail here too (the sentences are written
for this test, from no data set):

- a crisis word whose object is an institution, a value or a process ("an attack on
  our democracy", "the murder of justice", "law and order has collapsed", "to derail
  the exam") is figurative, in every language of the taxonomy;
- the condemnation of, or condolence for, a specific incident is critical even when no
  crisis word names it ("strongly condemn this heinous act", "lost his life in the line
  of duty"), and so is violence told in plain verbs ("manhandled", "dragged by her
  hair") and the probe into a death or the visit to the family of the dead; a
  condemnation inside a political frame stays routine;
- threats against oneself ("they may have us killed") and programmes for a class of
  victims ("compensation for acid attack survivors", "a rape crisis cell") are not
  incidents.
"""

from __future__ import annotations

import pytest
from test_tagging_frames import rules

FIGURATIVE = {
    "en democracy": "This ordinance is an attack on our democracy and on federalism",
    "en justice": "Today's verdict is the murder of justice, nothing less",
    "en govt": "A brazen attack by the central govt on the elected state govt",
    "en party": "The TV anchor attacks the ruling party again over the budget",
    "en law and order": "Law and order has totally collapsed under this minister",
    "en derail": "The ministry is determined to derail the entrance exam reform",
    "en lynch mob": "A lynch mob of paid trolls is abusing every journalist who asks",
    "en relief": "Commuters heave a sigh of relief as fares are cut",
    "en fire off": "The MP fired off a letter to the minister on pensions",
    "hi democracy": "यह अध्यादेश लोकतंत्र पर हमला है",
    "hi character": "विरोधियों की चरित्र हत्या करना इनकी आदत है",
    "hi-Latn democracy": "ye kanoon loktantra par hamla hai",
    "id character": "Ini pembunuhan karakter terhadap ketua partai",
    "ru democracy": "Этот закон - убийство демократии",
    "es democracy": "Esta reforma es el asesinato de la democracia",
    "pt democracy": "Essa lei é o assassinato da democracia",
    "fr democracy": "Cette loi est un attentat contre la démocratie",
    "it democracy": "Questa legge è un attentato alla democrazia",
    "de democracy": "Dieses Gesetz ist ein Anschlag auf die Demokratie",
    "tl democracy": "Ang batas na ito ay pagpatay sa demokrasya",
    "kk democracy": "Бұл заң демократияға шабуыл",
}

INCIDENT = {
    # the same crisis words with people as their object stay critical
    "en attack on people": "Armed men attack a village bus, two passengers killed",
    "hi attack on people": "गांव में दलितों पर हमला, तीन लोग घायल",
    "fr attack": "Attentat contre une mosquée ce matin, plusieurs blessés",
    "de attack": "Anschlag auf einen Markt in der Altstadt, viele Verletzte",
    # condemnation and condolence with no crisis word
    "en condemn": "I strongly condemn this heinous act at the temple this morning",
    "en line of duty": "A constable lost his life in the line of duty tonight",
    "en dastardly": "The dastardly act at the bus stand will not go unpunished",
    "hi condemn": "मंदिर में हुई इस कायराना हरकत की कड़ी निंदा करता हूं",
    "id condemn": "Kami mengecam keras tindakan keji di pasar pagi ini",
    "es condemn": "Condenamos el atroz crimen contra la maestra",
    # violence in plain verbs
    "en manhandled": "Police manhandled the nurses sitting outside the health department",
    "en hair": "The girl was pulled by her hair and thrown out of the bus",
    "en assailants": "The assailants fled on a motorbike, the shopkeeper is critical",
    "hi dragged": "दबंगों ने महिला को बाल पकड़कर घसीटा",
    # the probe into a death, the family of the dead
    "en probe": "Ordered a probe into the death of a student in the hostel",
    "en family": "Met the family of the deceased worker and assured them of all help",
}

ROUTINE = {
    # a condemnation in a political frame
    "en condemn remarks": "I strongly condemn the remarks of the opposition leader",
    "hi condemn remarks": "विपक्ष के नेता के बयान की कड़ी निंदा करता हूं",
    # a word that is weak alone
    "en dragged on": "The talks dragged on for months without a result",
    "en judicial inquiry": "We demand a judicial inquiry into the tender process",
    # threats against oneself
    "en have us killed": "They may even have us killed for exposing this, says the minister",
    "hi threat": "मंत्री ने कहा कि मेरी हत्या कराई जा सकती है",
    "hi conditional": "कोई तुम्हारे साथ बलात्कार कर दे तो हम क्या कर सकते हैं, नेता ने कहा",
    # programmes for a class of victims
    "en compensation": "Compensation for acid attack survivors to double from April",
    "en crisis cell": "The rape crisis cell will close if salaries are not paid",
    "en riots victims": "Pensions announced for riots victims and their widows",
    "en prevent deaths": "New night shelters will prevent deaths of the homeless in winter",
}


@pytest.mark.parametrize("case", sorted(FIGURATIVE))
def test_a_crisis_word_whose_object_is_an_institution_is_figurative(case):
    assert rules([FIGURATIVE[case]]) == [False], FIGURATIVE[case]


@pytest.mark.parametrize("case", sorted(INCIDENT))
def test_condemnation_plain_verbs_and_care_for_the_dead_are_incidents(case):
    assert rules([INCIDENT[case]]) == [True], INCIDENT[case]


@pytest.mark.parametrize("case", sorted(ROUTINE))
def test_political_condemnation_threats_and_programmes_are_routine(case):
    assert rules([ROUTINE[case]]) == [False], ROUTINE[case]
