"""Hindi incidents as Hindi writes them, and the Hindi senses of crisis words that are not.

Hindi news and officials name an incident with words the English frames do not cover:
the death *of someone* that happened ("बच्ची की मौत", "हुई मौत") rather than an
obituary's "निधन"; condolence with the bereaved family ("पीड़ित परिवार से मिले",
"संवेदना जताई"); care refused ("इलाज के अभाव में"); rape written "रेप" or
"दुष्कर्म"; kicks and punches, shelling, a collapsed building. The same words have
governance and figurative senses: "राहत" as good news ("relief from traffic jams"),
"बचाव" as a defence, a politician's "हमला बोला" (verbal attack), "शर्म से डूब मरो"
(drown in shame), "भूकंप लाने" (bring a political earthquake), farmers "forced to
suicide" as a class, the riots of 1984. Each incident below is critical, each trap is
not (docs/codebook.md). The sentences are written for this test, not taken from any
data set.
"""

from __future__ import annotations

import pytest
from test_tagging_frames import rules

INCIDENTS = {
    "death of a child in hospital": "सरकारी अस्पताल में इलाज के अभाव में दो साल की बच्ची की मौत",
    "death that happened in a home": "नारी निकेतन में हुई मौत की जांच के आदेश दिए",
    "care refused": "पैसे न होने पर अस्पताल ने इलाज बंद किया, मरीज की मौत",
    "met the bereaved family": "मंत्री ने अस्पताल जाकर पीड़ित परिवार से मुलाकात की और संवेदना जताई",
    "condolence with the bereaved": "इस दुखद हादसे में जान गंवाने वालों के शोक संतप्त परिवारों के साथ हूं",
    "rape written as रेप": "नाबालिग से रेप, पुलिस जांच में जुटी",
    "rape written as दुष्कर्म": "गांव में युवती से सामूहिक दुष्कर्म",
    "kicks and punches": "दलित युवक को लात-घूंसे मारे गए, वीडियो वायरल",
    "shelling": "सीमा पर गोलाबारी जारी, गांव खाली कराए गए",
    "an attack that happened": "बाजार में पुलिस चौकी पर हमला हुआ",
    "building collapse": "पुरानी दिल्ली में बिल्डिंग गिरने से कई लोग दबे",
    "a life given in a rescue": "मलबे से बच्चे को निकालते हुए जवान ने अपनी जान दे दी",
    "bird flu": "चिड़ियाघर में बर्ड फ्लू की पुष्टि, पार्क बंद",
    "relief material after a fire": "झुग्गियों में आग के बाद राहत सामग्री बांटी गई",
    "romanised: death of a child": "hospital me ilaj ke abhav me bachche ki maut",
    "the injured, oblique plural": "सभी घायलों को एम्स के ट्रॉमा सेंटर में भर्ती कराया गया",
    "bus into a gorge": "यात्रियों से भरी बस खाई में गिरी",
    "burnt in a fire": "फैक्ट्री में लगी आग में चार मजदूर झुलसे",
    "drowned": "नदी में नहाते समय तीन बच्चों की डूबने से मौत",
    "buried under debris": "भारी बारिश के बाद कई परिवार मलबे में दबे",
    "romanised: bus into a gorge": "pahadi raste par bus khai me giri",
}

TRAPS = {
    "relief from traffic jams": "नए फ्लाईओवर से लोगों को जाम से राहत मिलेगी",
    "a sigh of relief": "अदालत के फैसले से जनता ने राहत की सांस ली",
    "relief for parents": "स्कूल ने बढ़ी फीस वापस ली, अभिभावकों को बड़ी राहत",
    "defence, not rescue": "इतना सब होने के बाद भी सरकार का बचाव करने वाले कम नहीं",
    "verbal attack": "मुख्यमंत्री ने विपक्ष पर जमकर हमला बोला",
    "drown in shame": "ऐसी पुलिस को शर्म से डूब मरना चाहिए",
    "political earthquake": "वे कहते थे कि खुलासा करके भूकंप ला देंगे, कुछ नहीं हुआ",
    "farmers forced to suicide": "किसान आत्महत्या करने को मजबूर हैं और सरकार सो रही है",
    "the riots of 1984": "84 दंगा पीड़ितों के मकानों की मरम्मत करवाएगी सरकार",
    "an alleged plot": "हमारे नेता पर हमले की साजिश रची जा रही है, आज सुबह की घटना देखिए",
    "a case called false": "हत्या के फर्जी केस में फंसाने की कोशिश हो रही है",
    "discrimination as a charge": "भाजपा भेदभाव की राजनीति करती है",
    "homeless as policy": "कोई बेघर ठंड में सड़क पर न सोए, इसके लिए नई योजना",
    "romanised relief": "is faisle se logon ne rahat ki saans li",
    "murders as a category": "देश में हत्याएं बढ़ रही हैं, सरकार चुप है",
}


@pytest.mark.parametrize("name", sorted(INCIDENTS))
def test_hindi_incident_is_critical(name):
    assert rules([INCIDENTS[name]]) == [True], INCIDENTS[name]


@pytest.mark.parametrize("name", sorted(TRAPS))
def test_hindi_trap_is_not_critical(name):
    assert rules([TRAPS[name]]) == [False], TRAPS[name]


def test_obituary_of_a_natural_death_stays_not_critical():
    """"निधन" after an illness is an obituary: the new death frames do not reach it."""
    text = "लंबी बीमारी के बाद वरिष्ठ नेता का निधन, भगवान उनकी आत्मा को शांति दे"
    assert rules([text]) == [False]
