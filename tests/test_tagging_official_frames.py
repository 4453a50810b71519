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

import re

import numpy as np
import pytest
from govwatch.analysis.rule_tagger import _dated
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


# Rhetoric and policy beside a crisis word (docs/codebook.md section 9, version 1.3 notes).
# A figurative or programme phrase also cancels the crisis words around it; a policy's
# death toll is policy debate; a charge against an opponent cancels a frame word such as
# "victims". Each has a twin that stays an incident.
RHETORIC = {
    "en murder of democracy": "What they did in the house today is murder, the murder of democracy",
    "en lynch mob of trolls": "A lynch mob of trolls spreads violence and abuse against every critic",
    "en programme": "Cabinet to raise compensation for acid attack and rape victims next month",
    "en farm suicides": "Our mission: end farm suicides so no farmer has to commit suicide again",
    "hi murder of democracy": "यह हत्या है, लोकतंत्र की हत्या",
    "en policy toll": "Demonetisation death toll climbs to 40 as queues grow longer",
    "en policy deaths": "Deaths due to demonetisation reach 60 in a month",
    "hi policy toll": "नोटबंदी से हुई मौतों का आंकड़ा बढ़कर 40 पहुंचा",
    "en lie": "The minister's lies about the tunnel blasts are now on record",
    "en silent": "Why is the minister silent on the plight of these victims?",
    "en shame": "Shame on the party that uses the victims for its campaign",
}

RHETORIC_TWINS = {
    "en murder": "Police say the death of the shopkeeper was murder, the killer fled",
    "en mob violence": "A mob lynched a trader in the market, violence spread to two villages",
    "en acid attack": "Acid attack on a student at the bus stop this morning, she is in hospital",
    "en suicide": "A farmer committed suicide in his field last night, the family says",
    "hi murder": "बाजार में दुकानदार की हत्या, हमलावर फरार",
    "en toll": "Flood death toll climbs to 40 as rivers rise",
    "en deaths": "Deaths in the factory fire reach 6 in a day",
    "hi toll": "बाढ़ से हुई मौतों का आंकड़ा बढ़कर 40 पहुंचा",
    "en blasts": "Two blasts in the tunnel this morning, workers trapped",
    "en victims": "Relief camps opened for the victims of the landslide",
    "en pray": "Praying for the victims of the bus fire",
}

# Hindi incident vocabulary: a terror attack, a gunfight, shot, an acid attack, sexual
# brutality, kidnapping, a suicide told by its act, a death from hunger or cold; each
# with a routine twin that uses the same word in another sense or in a cancelling frame.
HINDI_INCIDENT = {
    "terror attack": "कश्मीर में सेना के कैंप पर आतंकी हमला",
    "gunfight": "पुलवामा में मुठभेड़, दो आतंकी ढेर",
    "shot": "बाजार में युवक को गोली लगी, अस्पताल में भर्ती",
    "acid": "कॉलेज जा रही छात्रा पर तेजाब फेंका",
    "brutality": "मासूम बच्ची से दरिंदगी, गांव में तनाव",
    "kidnap": "स्कूल से लौट रहे बच्चे का अपहरण",
    "suicide": "कर्ज से परेशान किसान ने फांसी लगाकर जान दी",
    "hunger": "झुग्गी में तीन बच्चों की भूख से मौत",
    "hi-Latn kidnap": "school se laut rahe bachche ka apharan",
}

HINDI_ROUTINE = {
    "terror attack history": "आतंकी हमले की बरसी पर श्रद्धांजलि",
    "gunfight fake case": "मुठभेड़ के आरोपी पुलिसकर्मी को जमानत",
    "suicide programme": "किसानों को आत्महत्या करने को मजबूर करने वाली नीतियां",
    "kidnap allegation": "विपक्ष का आरोप: विधायकों का अपहरण करना चाहती है सरकार",
    "hunger policy": "भूख से मौत पर राजनीति न करे विपक्ष",
}


@pytest.mark.parametrize("case", sorted(RHETORIC))
def test_rhetoric_and_policy_tolls_cancel_the_crisis_words_beside_them(case):
    assert rules([RHETORIC[case]]) == [False], RHETORIC[case]


@pytest.mark.parametrize("case", sorted(RHETORIC_TWINS))
def test_the_same_crisis_words_in_a_report_stay_critical(case):
    assert rules([RHETORIC_TWINS[case]]) == [True], RHETORIC_TWINS[case]


@pytest.mark.parametrize("case", sorted(HINDI_INCIDENT))
def test_hindi_incident_vocabulary(case):
    assert rules([HINDI_INCIDENT[case]]) == [True], HINDI_INCIDENT[case]


@pytest.mark.parametrize("case", sorted(HINDI_ROUTINE))
def test_hindi_incident_words_in_history_cases_and_politics_stay_routine(case):
    assert rules([HINDI_ROUTINE[case]]) == [False], HINDI_ROUTINE[case]


# Version 1.4 notes (docs/codebook.md section 9): concepts that recur on officials'
# timelines and their retweets - burning as a farm practice and a source of smog, a
# standing programme for the homeless, a crisis word as the verdict on a policy or a
# piece of news, cases as a class and the charge, a politician's verbal attack,
# organisations called bodies, a crisis word under a negation, idioms, history named
# by its year, enforcement against offenders, a lone "RIP" or "alert", violence as a topic
# of talk, money for a campaign, a service notice. Each has a twin
# in which the same word reports an incident.
OFFICIAL_ROUTINE = {
    "crop fires": "Crop fires in the neighbouring states had a 40% share in the city's smog",
    "stubble burning": "Stubble burning season again: farmers need machines, not fines",
    "night shelters": "The city will open 30 more night shelters before winter",
    "spell disaster": "Such a fiasco would spell disaster for any government",
    "policy disaster": "Long queues again today, a demonetisation disaster",
    "explosive news": "Five explosive revelations in the former minister's new book",
    "charged with rape": "The woman who charged the minister with rape says she was offered a job",
    "rape cases": "Thousands of rape cases are pending because the courts lack judges",
    "suicide case": "Police arrested the landlord in the tenant's suicide case",
    "escalates attack": "The party chief escalates his attack against the central agency",
    "launches attack": "Opposition launches fresh attack on the finance minister over prices",
    "bodies": "Ex-servicemen bodies announce support for the new party",
    "no tear gas": "The march was disciplined: no barricades jumped, no tear gas",
    "no waterlogging": "Heavy rain today but no waterlogging at the underpass, thanks to the pumps",
    "damage control": "The minister's aides are in damage control mode after the interview",
    "epidemic proportions": "Fake news has assumed epidemic proportions",
    "accident prone": "Residents wrote to the council about an accident prone road near the school",
    "vande mataram": "Students sang Vande Mataram at the flag hoisting",
    "history": "Remember the 84 carnage: justice is still pending",
    "crackdown": "Excise department's crackdown on illegal liquor shops continues",
    "farmers suicide": "Farmers are committing suicide because of debt and crop prices",
    "stop terror": "The note ban was meant to stop terror attacks, says the minister",
    "rip": "RIP, a great teacher and a kind man",
    "alert": "Alert | The city will keep the entrance exam for medical colleges",
    "raid": "I strongly condemn the police raid on the state guest house",
    "politics of violence": "This politics of violence is chilling free speech",
    "campaign donations": "Donate for a better republic: every rupee goes to the campaign",
    "service notice": "Water supply will be affected for two days in the east zone",
    "repair": "The supply line was damaged and is being repaired tonight",
}

OFFICIAL_INCIDENT = {
    "crop fires": "Fire in the farm godown, two workers trapped inside",
    "stubble burning": "Schools closed for three days as the smog emergency worsens",
    "night shelters": "Flood victims moved to relief camps; shelters open at the schools",
    "spell disaster": "Disaster teams pull survivors from the collapsed building",
    "policy disaster": "Heavy rain lashes the coast, a flood disaster in the making",
    "explosive news": "An explosive device was found near the bus stand this morning",
    "charged with rape": "A girl was raped in a moving bus last night, police said",
    "rape cases": "Two more rape cases reported in the district today, both girls in hospital",
    "suicide case": "An ex-serviceman committed suicide at the protest site this afternoon",
    "escalates attack": "Gunmen attack a police post, two constables killed",
    "launches attack": "Militants launch attack on army camp, firing on",
    "bodies": "Rescuers recovered 12 bodies from the debris",
    "no tear gas": "Police fired tear gas at the protesting farmers",
    "no waterlogging": "Heavy rain floods the underpass, a bus is stuck with passengers",
    "damage control": "Storm damage: roofs torn off across the district",
    "epidemic proportions": "Dengue outbreak: the city's hospitals are full",
    "accident prone": "Bus accident on the highway, 12 injured",
    "vande mataram": "Police fired at the marchers, two killed",
    "history": "Carnage at the market: a truck ploughed into shoppers",
    "crackdown": "Brutal crackdown on protesting students, dozens injured",
    "farmers suicide": "A farmer committed suicide in his field last night",
    "stop terror": "Terror attack on a bus stand this morning, three dead",
    "rip": "RIP to the victims of the bus accident",
    "alert": "Alert: flash floods in the valley, people are moving to higher ground",
    "raid": "I strongly condemn the attack on the students in the hostel tonight",
    "politics of violence": "Violence at the rally: stones thrown, five injured",
    "campaign donations": "Donate to the relief fund for the flood victims",
    "service notice": "Thousands of homes affected by the flood, water supply cut",
    "repair": "The bridge was damaged in the storm, traffic is stopped",
}


# Version 1.5 notes (docs/codebook.md section 9): a hashtag whose reading holds a masked
# phrase is read as that phrase; an incident dated by a year is history unless the post
# says it is current; a word of the English lists counts in the English tier, not in the
# tier of another language's prefix that also matches it ("tsunami*", "ambulance*"), and a
# lone "tsunami" is weak (a wave of votes as often as a wave of the sea); idioms of a
# politician under fire or rescued, letters that "flood" an office, an activist who
# "alleges", abuse "being hurled". Each has a twin in which the same word reports an
# incident.
OFFICIAL_ROUTINE_15 = {
    "policy hashtag": "Another week of bank queues #DeMonetisationDisaster",
    "policy hashtag camel": "#DemonetizationDisaster raises questions about the minister",
    "dated riots": "Justice for the victims of the riots in '84 is still pending",
    "dated riots year first": "Victims of the 2002 riots still wait for justice",
    "dated fire": "She lost her home in a fire in 2013 and still has no compensation",
    "electoral tsunami": "AAP tsunami in Punjab, the crowds are huge",
    "party's tsunami": "The party's tsunami will sweep the state",
    "ambulance union": "The ambulance drivers' union joined the party today",
    "line of fire": "The minister is in the line of fire of his own party",
    "to his rescue": "Friends came to his rescue with a loan",
    "complaints flood": "Complaints flood the minister's hearing every week",
    "alleges": "Activist alleges threat over missing student",
    "abuses being hurled": "I strongly condemn the abuses being hurled at the reporter",
}

OFFICIAL_INCIDENT_15 = {
    "policy hashtag": "#FloodDisaster in the valley, homes under water",
    "policy hashtag camel": "#NepalEarthquake death toll rises to 200",
    "dated riots": "Riots in the old city tonight, shops set on fire",
    "dated riots year first": "Like the riots of 1984, mobs are burning shops right now",
    "dated fire": "Fire in a hostel, two students trapped",
    "electoral tsunami": "Tsunami hits the coast after the quake, people flee to higher ground",
    "party's tsunami": "A tsunami struck the islands at dawn",
    "ambulance union": "Ambulances rush to the blast site",
    "line of fire": "Caught in the line of fire, a bystander was shot dead",
    "to his rescue": "Rescue teams reached the village as the flood rose",
    "complaints flood": "River floods the market, shops under water",
    "alleges": "Police say the student has been missing since Monday",
    "abuses being hurled": "I strongly condemn the attack on the reporter at the court",
}

# the same English words in the other languages' sentences keep their own lists' tier
FOREIGN_TSUNAMI = {
    "es": "Un tsunami golpea la costa tras el sismo",
    "fr": "Alerte tsunami en Polynésie, rejoignez les hauteurs",
    "en warning": "Tsunami warning for the whole coast",
}


@pytest.mark.parametrize("case", sorted(FOREIGN_TSUNAMI))
def test_a_tsunami_report_stays_critical_in_every_language(case):
    assert rules([FOREIGN_TSUNAMI[case]]) == [True], FOREIGN_TSUNAMI[case]


# Version 1.6 (docs/codebook.md section 9): disaster and security *policy* (a crisis noun that
# names a field of policy or a programme: "flood preparedness", "the disaster management plan",
# "earthquake-resistant", "fire safety norms", "an anti-terror law"), in the languages of the
# taxonomy; an institution or the federal order as the object of an attack; a verbal attack
# told by its manner ("a scathing attack"); hardship from an economic cause ("affected by the
# cash crunch"); the victims or survivors of a year ("1984 victims"); violence and hatred as a
# condition of society, torturing oneself, braving the weather to attend, ratings that sink;
# prevention as an achievement ("preventing dengue"), the rescue of homeless people to night
# shelters.
# Each twin reports an incident with the same words.
OFFICIAL_ROUTINE_16 = {
    "en preparedness": "Chaired a meeting to review flood preparedness ahead of the monsoon",
    "en management plan": "Cabinet approves the new disaster management plan for the state",
    "en resistant": "All new school buildings will be earthquake resistant",
    "en fire safety": "Fire safety norms for hospitals to be made stricter",
    "en fire safety audit": "Fire safety audit of all hospitals ordered",
    "en response bill": "Bill to strengthen disaster response passed in the Assembly",
    "hi preparedness": "मुख्यमंत्री ने बाढ़ से निपटने की तैयारियों की समीक्षा बैठक की",
    "hi management plan": "आपदा प्रबंधन योजना को कैबिनेट की मंजूरी",
    "es preparedness": "Reunión para revisar la preparación ante inundaciones antes de las lluvias",
    "pt preparedness": "Reunião para avaliar a preparação para enchentes antes das chuvas",
    "fr prevention": "Réunion sur la prévention des risques d'inondation avant l'hiver",
    "it prevention": "Riunione sulla prevenzione del rischio alluvioni prima dell'autunno",
    "id mitigation": "Rapat koordinasi mitigasi bencana banjir menjelang musim hujan",
    "ru preparation": "Совещание по подготовке к паводкам прошло в администрации",
    "federal structure": "Sending the police into the state guest house is an attack on the federal structure",
    "institutions": "This government is killing institutions one by one",
    "under attack": "Judiciary under attack!",
    "verbal attack": "Why the minister has launched such an energetic attack on the mayor",
    "cash crunch": "Free meals for workers affected by the cash crunch",
    "year victims": "1984 victims still await justice and proper housing",
    "violence and hatred": "What is happening to the country? Violence and hatred everywhere.",
    "torture ourselves": "How often we torture ourselves over what might happen",
    "braving the cold": "Crowds braving the severe cold wave to hear the speech",
    "sinking ratings": "A desperate ploy to revive the channel's sinking TRPs",
    "prevention": "The city did a commendable job in preventing dengue this year",
    "fire control": "Dust and fire control: how the agencies fell asleep",
    "homeless rescued": "13 homeless rescued and brought to nite shelters through the app",
}

OFFICIAL_INCIDENT_16 = {
    "en preparedness": "Flood waters enter the town, 3,000 people moved to relief camps",
    "en management plan": "Disaster management teams rushed to the landslide site, 12 trapped",
    "en resistant": "Earthquake of magnitude 6.1 hits the hills, buildings collapse",
    "en fire safety": "Fire safety norms flouted: blaze at a factory kills 4 workers",
    "en fire safety audit": "Fire in the hospital ICU, patients moved out; fire safety audit ordered",
    "en response bill": "Disaster response teams reach the flooded villages",
    "hi preparedness": "बाढ़ से 20 गांव डूबे, राहत कार्य जारी",
    "hi management plan": "आपदा प्रबंधन की टीमें भूस्खलन वाली जगह पहुंचीं, 12 लोग फंसे",
    "es preparedness": "Inundaciones en la costa, miles de evacuados",
    "pt preparedness": "Enchentes deixam milhares de desabrigados no litoral",
    "fr prevention": "Inondations dans le sud, des centaines d'habitants évacués",
    "it prevention": "Alluvione in Liguria, centinaia di sfollati",
    "id mitigation": "Banjir melanda Jakarta, ribuan warga mengungsi",
    "ru preparation": "Паводок затопил поселок, жителей эвакуируют",
    "federal structure": "Armed men attack a police station in the border district",
    "institutions": "Gunmen killing shoppers in the market, police rush in",
    "under attack": "Our convoy is under attack near the bridge, send help",
    "verbal attack": "A brutal attack on a family in the village last night",
    "cash crunch": "Families affected by the flood get relief kits today",
    "year victims": "2013 flood victims get relief today",
    "violence and hatred": "Violence in the old city tonight, two shops burned",
    "torture ourselves": "Police torture a detainee in custody, the family says",
    "braving the cold": "Cold wave kills 12 homeless people in the city",
    "sinking ratings": "Ferry sinking off the coast, 40 missing",
    "prevention": "Dengue cases rising, all hospitals told to open fever clinics",
    "fire control": "Fire at the market, the fire control room sends 20 tenders",
    "homeless rescued": "Flood: 300 people rescued from rooftops, many left homeless",
}


# Version 1.7 (docs/codebook.md section 9): an incident dated by a year is history in every
# language of the taxonomy, each with the language's own word order and linking words ("los
# disturbios de 1984", "la strage del '92", "погромы 1905 года", "в 1999 году взрывы",
# "kerusuhan Mei 1998", "masaker noong 2009", "1993 के बम धमाकों", "१९९३ के धमाके"); the
# same violence and fire nouns as in English, and the victims of a year ("las víctimas de
# 1984"). Each twin keeps the noun and reports an incident happening now, or dates a flood,
# which stays critical in every language ("the 1974 floods" are compared with the current
# one).
DATED_ROUTINE_17 = {
    "en month": "Justice for the victims of the riots of May 1998 is still pending",
    "es riots": "Las víctimas de los disturbios de 1984 siguen esperando justicia",
    "es massacre": "La masacre de 1990 sigue impune",
    "es fire": "Perdió a su hija en el incendio de 2013 y nunca recibió ayuda",
    "es victims": "Las víctimas de 1984 siguen esperando justicia",
    "pt massacre": "O massacre de 1992 no presídio ainda não foi julgado",
    "pt attacks": "Os atentados de 2006 mudaram a cidade para sempre",
    "fr riots": "Les émeutes de 2005 ont profondément marqué les banlieues",
    "fr attack": "Les victimes de l'attentat de 1995 se sentent oubliées",
    "it massacre": "La strage del 1980 alla stazione resta senza mandanti",
    "it massacre short year": "La strage del '92 cambiò il paese",
    "ru pogroms": "Погромы 1905 года унесли сотни жизней",
    "ru attack": "Теракт 2004 года в Беслане не забыт",
    "ru year first": "В 1999 году взрывы домов потрясли Москву",
    "id riots": "Korban kerusuhan Mei 1998 masih menunggu keadilan",
    "id bomb": "Tragedi bom Bali 2002 tak boleh dilupakan",
    "tl massacre": "Wala pa ring hustisya para sa mga biktima ng masaker noong 2009",
    "tl fire": "Nawalan sila ng bahay sa sunog noong 2013",
    "hi blasts": "1993 के बम धमाकों के पीड़ितों को आज तक न्याय नहीं मिला",
    "hi digits": "१९९३ के धमाके कभी नहीं भूलेंगे",
    "hi year first": "2013 में हुए दंगों के पीड़ितों के लिए नई कॉलोनी",
    "hi-Latn riots": "2013 ke dange ke peediton ko ab tak nyay nahi mila",
    "kk attack": "2004 жылғы теракт құрбандары ұмытылмайды",
    "de riots": "Die Krawalle von 1992 in Rostock sind nicht vergessen",
}

DATED_INCIDENT_17 = {
    "en month": "Riots in the old city since this morning, shops set on fire",
    "es riots": "Disturbios en el centro, la policía dispersa a la multitud",
    "es massacre": "Masacre en un pueblo del norte, doce muertos",
    "es fire": "Perdió su casa en las inundaciones de 2013 y pide ayuda",
    "es victims": "Las víctimas de las inundaciones de 2013 siguen sin casa",
    "pt massacre": "Massacre no presídio, dezenas de mortos",
    "pt attacks": "Atentados contra ônibus na cidade, dois feridos",
    "fr riots": "Émeutes en banlieue, des voitures incendiées",
    "fr attack": "Les victimes des inondations de 2016 attendent toujours les secours",
    "it massacre": "Strage alla stazione, decine di morti",
    "it massacre short year": "L'alluvione del 2014 ha distrutto il paese, centinaia di sfollati",
    "ru pogroms": "Погромы в городе, сотни пострадавших",
    "ru attack": "Теракт в метро, есть погибшие",
    "ru year first": "Паводок 2013 года затопил поселок, жителей эвакуируют",
    "id riots": "Kerusuhan di pusat kota, puluhan toko dibakar",
    "id bomb": "Banjir 2013 kembali melanda Jakarta, ribuan warga mengungsi",
    "tl massacre": "Masaker sa isang barangay, sampung patay",
    "tl fire": "Sunog sa palengke, daan-daang pamilya ang nawalan ng bahay",
    "hi blasts": "बाज़ार में बम धमाके, कई लोग घायल",
    "hi digits": "२०१३ की बाढ़ के पीड़ितों को राहत पहुंचाई जा रही है",
    "hi year first": "शहर में दंगे, कई दुकानें जलाई गईं",
    "hi-Latn riots": "Sheher mein dange, kai dukanein jala di gayi",
    "kk attack": "Қалада теракт, қаза тапқандар бар",
    "de riots": "Krawalle in der Innenstadt, Geschäfte geplündert",
}

# a marker that the incident happens now keeps a year-dated one critical, in every language;
# without the marker (second), the same post is history
DATED_BUT_CURRENT = {
    "es": ("Como los disturbios de 1984: ahora mismo queman tiendas en el centro", "ahora mismo "),
    "fr": ("Comme les émeutes de 2005, en ce moment des voitures brûlent", "en ce moment "),
    "ru": ("Как погромы 1905 года: прямо сейчас громят магазины", "прямо сейчас "),
    "id": ("Seperti kerusuhan Mei 1998, saat ini toko-toko dibakar massa", "saat ini "),
    "hi": ("1993 के धमाकों जैसा मंजर, अभी-अभी बाज़ार में बम फटा", "अभी-अभी "),
}

_A_YEAR = re.compile(r"['’]\d\d|(?:19|20)\d\d|[१२][०९][०-९]{2}")


@pytest.mark.parametrize("case", sorted(DATED_ROUTINE_17))
def test_the_year_is_what_makes_the_incident_history(case):
    # without its year, each dated incident above is reported as critical
    text = _A_YEAR.sub("", DATED_ROUTINE_17[case])
    assert rules([text]) == [True], text


@pytest.mark.parametrize("lang", sorted(DATED_BUT_CURRENT))
def test_a_dated_incident_happening_now_stays_critical(lang):
    text, marker = DATED_BUT_CURRENT[lang]
    assert rules([text, text.replace(marker, "")]) == [True, False], text


def test_a_full_date_or_a_count_is_not_a_year():
    # a day before the month dates a report as often as history (docs/codebook.md, 1.7);
    # a number of hectares, people, tons or homes is no year
    texts = ["Le massacre du 17 octobre 1961", "kerusuhan 13 Mei 1998",
             "el incendio del 17 de marzo de 2013", "korban 2000 orang", "взрыв 2000 тонн",
             "12 की हत्या", "2000 पीड़ित परिवार", "un incendio de 2000 hectáreas",
             "a fire of 1500 acres"]
    assert not _dated(texts, np.arange(len(texts))).any()


# The codebook's versions of routine official concepts, each case with its twin that
# reports an incident in the same words: one pair of tests over all of them.
TWINNED = {"1.4": (OFFICIAL_ROUTINE, OFFICIAL_INCIDENT),
           "1.5": (OFFICIAL_ROUTINE_15, OFFICIAL_INCIDENT_15),
           "1.6": (OFFICIAL_ROUTINE_16, OFFICIAL_INCIDENT_16),
           "1.7": (DATED_ROUTINE_17, DATED_INCIDENT_17)}
TWIN_CASES = [(version, case) for version, (routine, _) in TWINNED.items()
              for case in sorted(routine)]


@pytest.mark.parametrize("version, case", TWIN_CASES)
def test_routine_concepts_of_official_timelines(version, case):
    text = TWINNED[version][0][case]
    assert rules([text]) == [False], text


@pytest.mark.parametrize("version, case", TWIN_CASES)
def test_their_twins_report_an_incident(version, case):
    text = TWINNED[version][1][case]
    assert rules([text]) == [True], text


@pytest.mark.parametrize("version", sorted(TWINNED))
def test_each_routine_concept_has_a_twin(version):
    routine, incident = TWINNED[version]
    assert sorted(routine) == sorted(incident)
