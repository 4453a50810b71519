"""Seed terms mean what they say: whole words, hashtags split into words, and
contexts that cancel a crisis word (each trap seen on real official timelines)."""

from __future__ import annotations

import pytest
from govwatch.analysis.classifiers import PostTagger
from govwatch.analysis.taxonomy import (
    TaxonomyError,
    TermMatcher,
    load_taxonomy,
    parse_taxonomy,
    split_hashtag,
)


@pytest.fixture(scope="module")
def rules():
    tagger = PostTagger().fit([])  # the packaged taxonomy's rules, no model
    return lambda texts: tagger.predict(texts)["critical"].tolist()


NOT_CRITICAL = {
    "birthday prayer": "Birthday wishes to Shri Advani ji. I pray for his long and healthy life.",
    "hospitality": "Thank you for the exceptional hospitality during my visit to Kerala",
    "Bombay": "Will inaugurate the exhibition of the Bombay Art Society today",
    "riot inside a hashtag": "Happy Diwali to all! #Triotree",
    "refinery inauguration": "Inaugurated the new refinery at Paradip, a proud day for Odisha",
    "landslide win": "AAP wins by a LANDSLIDE in Delhi. Thank you Delhi!",
    "campaign rally": "Massive rally in Punjab today, thank you for the love",
    "rallies": "Addressing three election rallies in Goa tomorrow",
    "natural-death obituary": "Deeply saddened by the demise of veteran leader Shri X ji after a "
                              "prolonged illness. RIP",
    "obituary condolences": "My condolences on the passing away of Smt Y. Om Shanti",
    "surgical strikes": "Surgical strikes show the strength of our armed forces",
    "compete (टक्कर)": "इस चुनाव में हम भाजपा को कड़ी टक्कर देंगे",
    "anniversary": "On the anniversary of the attack on Parliament, we remember the brave",
    "political attack": "BJP's verbal attack on the CM shows their frustration",
    "murder of democracy": "This is the murder of democracy",
    "water bodies": "Idea is to revive all natural water bodies in Delhi",
    "blast from the past": "Blast from past by man who fed the hero",
    # solidarity phrases cancelled by an illness, a greeting or a love letter
    "thoughts with the ill": "My thoughts are with Senator Smith, diagnosed with cancer last week",
    "heart goes out, obituary": "My heart goes out to the family of Shri Sharma, who passed away "
                                "this morning",
    "hope everyone is safe, greeting (es)": "Espero que todos estén bien, feliz navidad",
    "my heart is with you (fr)": "Mon coeur est avec toi mon amour",
    "capital hashtag of a city": "#MUMBAIMERIJAAN rocks tonight",
}

CRITICAL = {
    "Kumbh rains": "Anguished over the loss of lives at the Kumbh due to heavy rains",
    "martyred": "I salute the courage of the CRPF personnel martyred today",
    "accident condolence": "Saddened by the death of 20 pilgrims in the bus accident",
    "pray for a city": "Pray for Boston",
    "camel-case hashtag": "#PrayForBoston",
    "lower-case hashtag": "#yycflood road closures on Memorial Drive",
    "victim obituary": "RIP to the 8 year old boy who passed away in the Boston bombing today",
    "meteor (en)": "A meteor exploded over the city this morning, windows shattered",
    "meteor (ru)": "Метеорит упал в Челябинске, выбиты стекла",
    "refinery (es)": "Explosión en la refinería deja 26 muertos",
    "flood (tl)": "Baha sa Marikina, lubog ang mga bahay",
    "typhoon (tl)": "Bagyong Pablo: maraming nasawi sa Mindanao",
    "derailment (fr)": "Déraillement d'un train à Lac-Mégantic: explosion et incendie",
    "collapse (it)": "Crollo di una palazzina, tre morti",
    "collapse (en)": "Building collapsed in Savar, hundreds trapped",
    "shooting (pt)": "Tiroteio no centro deixa feridos",
    "derailment (hi)": "ट्रेन पटरी से उतरी, कई यात्री घायल",
    "shooting (en)": "Shooting at the airport terminal, gunman in custody",
    "landslide disaster": "Landslide blocks the highway, 12 dead",
    "outbreak": "Dengue cases rising, all hospitals told to open fever clinics",
    "hashtag in capitals": "#PRAYFORWACO #PRAYFORTEXAS",
    "heart goes out": "My heart goes out to everyone in Moore tonight",
    "hope everyone is safe": "Hope everyone is safe in Brisbane tonight",
    "police instruction": "Police asking everyone to stay away from the area of Boylston St",
    "higher ground": "EMERGENCY: people in low-lying areas should move to higher ground",
    "swift water rescues": "20 swift water rescues overnight",
    "solidarity (es)": "Mi corazón está con la gente de Guatemala",
    "solidarity (it)": "Spero che stiate tutti bene in Sardegna",
    "solidarity (ru)": "Все живы? Что там в Челябинске",
    "solidarity (id)": "Semoga semua selamat di Manado",
    "solidarity (tl)": "Sana ligtas kayo diyan sa Bohol",
}


@pytest.mark.parametrize("trap", sorted(NOT_CRITICAL))
def test_trap_is_not_critical(rules, trap):
    assert rules([NOT_CRITICAL[trap]]) == [False], NOT_CRITICAL[trap]


@pytest.mark.parametrize("case", sorted(CRITICAL))
def test_incident_is_critical(rules, case):
    assert rules([CRITICAL[case]]) == [True], CRITICAL[case]


def test_hashtags_split_at_capitals_and_into_known_words():
    assert split_hashtag("PrayForBoston") == ("pray", "for", "boston")
    assert split_hashtag("NYCFlood") == ("nyc", "flood")
    assert split_hashtag("Triotree") == ("trio", "tree")
    assert "flood" in split_hashtag("yycflood")
    assert split_hashtag("hospitality") == ("hospitality",)
    assert split_hashtag("PRAYFORBOSTON") == ("pray", "for", "boston")  # capitals: as lower case
    assert split_hashtag("NDRF") == ("ndrf",)  # an acronym under six letters stays whole
    m = TermMatcher({"a": ["riot", "hospital", "pray for", "flood"]})
    hits = m.counts(["#Triotree", "#hospitality", "#PrayForBoston", "#bigflood", "#riot"])
    assert hits[:, 0].tolist() == [0, 0, 1, 1, 1]


def test_mask_hides_its_words_from_other_terms_only_where_it_occurs():
    m = TermMatcher({"crit": ["landslide"]}, masks=["by a landslide"])
    hits = m.counts(["won by a landslide", "a landslide blocked the road",
                     "won by a landslide; a landslide blocked the road"])
    assert hits[:, 0].tolist() == [0, 1, 1]


def test_soft_context_cancels_support_terms_only(rules):
    # "passed away" is a soft context: it cancels "condolences", not "bombing".
    assert rules(["Condolences, he passed away peacefully",
                  "Condolences, he passed away in the bombing"]) == [False, True]


def test_not_critical_section_is_validated():
    tax = load_taxonomy().to_dict()
    tax["not_critical"]["extra"] = {}
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(tax, "t.yaml")
    assert err.value.locator == "not_critical.extra"
    del tax["not_critical"]  # optional: older taxonomy files still load
    assert parse_taxonomy(tax, "t.yaml").not_critical_phrases == {}


# -- a tag is a function of the text and the model version ---------------------------


def _tags_of(tmp_path, name: str, texts: list[str]) -> dict[str, tuple]:
    from builders import POST_HEADER, post, write_csv
    from govwatch.analysis.tagging import tag_new_posts
    from govwatch.ingest.pipeline import import_paths

    from govwatch.store import Store

    rows = [post(str(i), f"citizen{i % 7}", "2024-03-01T10:00:00Z", t) for i, t in enumerate(texts)]
    path = write_csv(tmp_path / f"{name}.csv", POST_HEADER, rows)
    with Store(tmp_path / f"{name}.duckdb") as store:
        import_paths(store, [path])
        with store.transaction() as con:
            tag_new_posts(con)
        got = store.conn.execute(
            "SELECT p.text, t.critical, t.topic, t.needs_response, t.deflection, t.model_version "
            "FROM tags t JOIN posts p USING (platform, post_id)").fetchall()
    return {r[0]: r[1:] for r in got}


def test_same_text_same_tags_in_stores_of_very_different_composition(tmp_path):
    probes = ["Water in the underpass near the market, cars stuck",
              "Thank you for the warm welcome in Pune",
              "Zorblax reported near the bridge again",
              "Fire tenders rushed to the godown in sector 9"]
    # A store collected during a crisis (most posts about the flood), and a calm one.
    crisis = [f"Flood water rising in ward {i}, families stranded, zorblax everywhere"
              for i in range(700)] + probes
    calm = [f"Lovely parade in district {i}, happy festival to all" for i in range(700)] + probes
    a, b = _tags_of(tmp_path, "crisis", crisis), _tags_of(tmp_path, "calm", calm)
    assert [a[p] for p in probes] == [b[p] for p in probes]
    # The crisis store's own vocabulary ("zorblax") does not make a post critical.
    assert a["Zorblax reported near the bridge again"][0] is False


def test_governance_senses_of_crisis_words(rules):
    """Relief as good news, power as a tariff, bodies as institutions, donations as
    party funding and prayers for a leader's health are no incident; the crisis
    senses of the same words still are."""
    assert rules([
        "Congratulations Delhiites. A big relief to u. No power tariff hike.",
        "We are writing to all RWAs, industry associations, experts bodies etc",
        "AAP receives less than 8% of its donations in cash",
        "Very worried about him. Hope he gets well soon. All of us praying for him",
        "Prayers for his well being",
        "Thousands left with no power after the storm",
        "Bodies recovered from the rubble",
        "Relief camps opened for flood victims",
        "Donate to the Red Cross for the flood victims",
    ]) == [False] * 5 + [True] * 4


def test_hindi_typed_without_spaces(rules):
    """Hindi written with no spaces (common on a real timeline) is searched inside the
    run: a crisis word is found, a greeting still cancels, and a word that only starts
    like a term ("देशद्रोही" is not "देशद्रोह") or sits inside a longer term does not count."""
    assert rules([
        "दिल्लीमेंबलात्कारऔरहत्या।परLG 24घंटेकाममेंरोड़ाअटकानेमेंbusy",
        "कुछगुंडोंनेमेरीकारपरहमलाकियाड्राइवरसेमारपीटकी",
        "आजमुख्यमंत्रीजीकेजन्मदिनपरहार्दिकशुभकामनाएंऔरबधाई",
        "मोदीजीकश्मीरमेंसरकारबनानेकेलिएदेशद्रोहीतत्वोंकोबचारहेहैं",
        "दिल्ली में बलात्कार और हत्या",
    ]) == [True, True, False, False, True]


def test_beating_people_is_violence(rules):
    assert rules([
        "ड्राइवर को पीटा जा रहा, यात्रियों को बाहर निकाल रहे",
        "जनता को दौड़ा-दौड़ा कर पीट रही है पुलिस",
        "Rally mein logon ko peeta, kai ghayal",
    ]) == [True, True, True]


def test_deflection_is_a_redirect_without_action(rules):
    tagger = PostTagger().fit([])
    out = tagger.predict([
        "Please DM us your PNR and mobile number.",
        "Kindly call the helpline 139 or visit our website.",
        "Your complaint has been registered, complaint no. 123 sent by SMS; for faster help DM us",
        "Matter forwarded to the concerned division, staff deployed.",
        "The train is running 40 minutes late due to fog.",
        # an e-mail address, the police or a new request is a redirect too; thanks for
        # praise with a "contact us" line is a closing, not a deflection
        "Hi Ravi, we apologise. Kindly share your concerns and your consumer details on help@gas.example.in",
        "This should be reported directly to the police. Thank you.",
        "Case closed. Insufficient information, please resubmit with the address.",
        "Thank you for your positive review! If you have feedback, contact us at the help page.",
        "Terima kasih atas ulasan positifnya! Jika ada saran, silakan hubungi kami.",
        "Case noted. We called the police about this hydrant.",
    ])["deflection"].tolist()
    assert out == [True, True, False, False, False, True, True, True, False, False, False]


def test_deflection_to_a_self_service_channel_or_a_feedback_pass_along():
    """Sending the person to a help page, a form or a chat, or "passing the feedback
    along" with no case reference, is a deflection (docs/codebook.md, section 5);
    a reply that reports an action stays none."""
    tagger = PostTagger().fit([])
    out = tagger.predict([
        "Sorry about that! You can find the steps in our Help Center: https://t.co/x",
        "Please fill out this form and our team will get back to you.",
        "We hear you, and we've passed your feedback along to the team.",
        "Start a live chat with us for the fastest help.",
        "Your complaint has been registered, complaint no. 881; the form is no longer needed.",
        "The outage in your area was fixed at 4 pm; the help page has the details.",
    ])["deflection"].tolist()
    assert out == [True, True, True, True, False, False]


def test_deflection_asking_for_more_or_offering_help_in_general():
    """Asking for more details with nothing done yet, or a generic offer to put things
    right, is a deflection (codebook section 5: "only asks for more"); a closing on a
    problem already solved that invites further contact is not."""
    tagger = PostTagger().fit([])
    out = tagger.predict([
        "That sounds worrying. Could you provide more details so we can investigate?",
        "Sorry to hear that. What went wrong, and how can we make it up to you?",
        "Write to help@example.org and let us know how we can turn this around.",
        "Мы сожалеем. Уточните, пожалуйста, номер вашего дома.",
        "Mohon informasikan nomor kartu Anda.",
        "Glad to know the refund arrived. Feel free to contact us if anything else comes up.",
        "Good to know the app works again; feel free to reach out if it stops.",
        "Thanks for the details: the crew fixed the leak this morning.",
    ])["deflection"].tolist()
    assert out == [True, True, True, True, True, False, False, False]


# -- language of short, mixed and capitalised text -----------------------------------


def test_short_english_romanised_hindi_and_capitals():
    from govwatch.analysis.langid import LanguageDetector

    det = LanguageDetector()  # en, hi, id, ru, kk
    texts = {
        "V sad": "en",
        "Thank u Vijender ji": "en",
        "AAP sweeping Punjab": "en",
        "Eid mubarak ho": "hi",
        "Bas yahi bacha tha": "hi",
        "Rahul Gandhi ke saath deal hogayi. (2016)": "hi",
        "Mera Desh Jal Raha Hai, Aag Badh Raha Hai…": "hi",
        "PLEASE HELP US THE WATER IS RISING IN OUR STREET": "en",
        "kapan jalan diperbaiki pak, sudah rusak parah": "id",
        "Terima kasih banyak pak": "id",
        "Когда починят дорогу?": "ru",
    }
    assert {t: det.detect(t) for t in texts} == texts
    # Only Hindi configured besides English: Indonesian words never make a text Indonesian.
    assert LanguageDetector(["en", "hi"]).detect("Bas yahi bacha tha") == "hi"
