"""A crisis word as a verdict or as a category is not a report of an incident.

Two frames, each with a twin that is a real incident and stays critical
(docs/codebook.md; the sentences are written for this test, from no data set):

- a crisis noun as the verdict on something ("the album is fire", "el partido fue un
  desastre", "c'est une catastrophe"), and the kitchen's, the market's and the temper's
  senses of burning and exploding ("nasunog ang kanin", "harga meledak", "आग बबूला"), a
  price, a sale or a song that "exploded" (a boom, online or in the market) and "to make
  a disaster" of a game (a blunder);
- a plural incident noun with no incident named ("farm suicides", "lynchings", "murders"):
  talk about a kind of incident; one that happened names it in the singular, or beside
  another crisis word.
"""

from __future__ import annotations

import pytest
from test_tagging_frames import rules

NOT_CRITICAL = {
    "en verdict fire": "Her new single is straight fire, on repeat all week",
    "en verdict disaster": "The product launch was a disaster, the app kept logging me out",
    "es verdict": "El segundo tiempo fue un desastre, qué mal jugamos",
    "pt verdict": "A reunião de ontem foi um desastre total",
    "fr verdict": "Ce nouveau logiciel, c'est une catastrophe",
    "it verdict": "Il servizio clienti è un disastro, nessuno risponde",
    "tl burnt rice": "Nasunog ang kanin habang nanonood ako ng teleserye",
    "id sales boom": "Penjualan meledak setelah promo akhir tahun",
    "hi furious": "विपक्ष के सवाल पर मंत्री जी आग बबूला हो गए",
    "en plural suicides": "Farm suicides are the result of decades of neglect by the Centre",
    "en plural murders": "Can anyone tell me if we settle murders by debate now?",
    "en plural lynchings": "Abuse, lynchings, censorship: the politics of fear",
    # a price, a sale or a song that "exploded": a boom, whatever word stands between
    "id price of one good": "Harga bawang meledak menjelang Lebaran",
    "id popular online": "Videonya meledak di YouTube minggu ini",
    "en popular online": "Her song blew up on TikTok overnight",
    # "to make a disaster" of a game: a blunder; the kitchen's burnt rice
    "it blunder": "Il portiere ha fatto un disastro nel secondo tempo",
    "es blunder": "El arquero hizo un desastre en el segundo tiempo",
    "tl burnt rice, already": "Sunog na ang sinaing ko, order na lang tayo",
}

CRITICAL = {
    "en fire report": "Fire at the vegetable market, shops gutted, fire tenders on the spot",
    "en disaster with flood": "The flood is a disaster for the whole valley, thousands evacuated",
    "es flood": "La inundación dejó tres muertos en el barrio",
    "tl house fire": "Sunog sa Tondo, daan-daang pamilya ang nawalan ng tahanan",
    "id explosion": "Tabung gas meledak di pasar, dua orang luka-luka",
    "en singular suicide": "A farmer committed suicide at the rally this afternoon",
    "en plural with an incident": "Three killings in the village last night, police deployed",
    "en blew up": "A car bomb blew up outside the station",
    "it disaster with deaths": "Alluvione a Genova: un disastro, tre morti",
    "tl market fire": "Sunog sa palengke, sunog na ang mga tindahan",
}


@pytest.mark.parametrize("name", sorted(NOT_CRITICAL))
def test_verdicts_and_categories_are_not_critical(name):
    assert rules([NOT_CRITICAL[name]]) == [False], NOT_CRITICAL[name]


@pytest.mark.parametrize("name", sorted(CRITICAL))
def test_their_incident_twins_stay_critical(name):
    assert rules([CRITICAL[name]]) == [True], CRITICAL[name]
