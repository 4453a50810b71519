"""Fast generator of a SYNTHETIC govwatch dataset at any size, for the benchmarks.

    python benchmarks/synth.py --posts 1000000 --accounts 200 --out benchmarks/work/synth-1m
    python benchmarks/synth.py --posts 200000 --out DIR --format twarc2   # or: both

Writes ``accounts.csv`` (the accounts CSV), ``posts.csv`` (the posts CSV) and/or
``tweets.jsonl`` (the same posts as Twitter API v2 response pages of up to 100 tweets,
``{data, includes: {users}, meta, __twarc}``, as ``twarc2 search`` writes them), and
``SYNTHETIC.json`` (settings and the shape of what was written).

Everything is invented (countries XA..XZ, institutions, handles, posts) and labelled so.
The shapes (official posts, replies and @mentions from the public, campaigns and copies
repeating about a quarter of citizen texts, official answers with per-account rates and
log-normal latencies, threads of up to six turns, five languages, 40-280 characters,
snowflake ids that encode the time) are described in benchmarks/README.md.

Everything is vectorised (numpy for the structure, pyarrow kernels for strings, CSV and
JSON) and done per chunk of ``--chunk-rows`` posts, so memory stays bounded. Output is a
pure function of the arguments: randomness comes only from
``numpy.random.default_rng([seed, chunk])`` and every time lies in 2025.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

# What this generator and the shipped sample's (govwatch.sample_data.generate) have in
# common is defined there once: the columns of the files, the X snowflake epoch and the
# hourly activity profiles.
from govwatch.sample_data import generate as sample
from govwatch.sample_data.generate import ACCOUNT_COLUMNS, POST_COLUMNS, X_EPOCH_MS  # noqa: F401

DEFAULT_SEED = 20250101
DEFAULT_CHUNK_ROWS = 250_000
WINDOW_START = 1735689600  # 2025-01-01T00:00:00Z
WINDOW_DAYS = 365
LOW_BITS = 22
PLATFORM = "x"

FILES = {"accounts": "accounts.csv", "csv": "posts.csv", "twarc2": "tweets.jsonl",
         "manifest": "SYNTHETIC.json"}

LANGS = ("en", "hi", "id", "ru", "kk")
P_SECOND_LANGUAGE = 0.4  # share of a country's posts in its other language


@dataclass(frozen=True)
class Shape:
    """The adjustable shape of the data; the defaults give the documented output.

    replies_per_post: mean public replies per official post (negative binomial,
        dispersion 0.6: most posts get none or a few, some get many).
    mentions_per_post: @mentions of an official outside any thread, per official post.
    campaign_share: campaign posts (one text posted verbatim by many citizens to one
        official, in a burst) per original citizen post.
    campaign_size: mean posts per campaign (geometric).
    copy_share: retweet-style verbatim copies of earlier citizen texts, per original
        citizen post.
    answer_turns: official answers a thread can hold; with the public's follow-ups
        between them a thread runs up to 2 x answer_turns turns after its root.
    follow_up: chance that the public writes back after the first answer (halved,
        then thirded, for later answers).
    second_language: share of the posts of a country with a second language written
        in it (Hindi, Indonesian, Russian or Kazakh); the rest is English.
    """

    replies_per_post: float = 4.5
    mentions_per_post: float = 0.6
    campaign_share: float = 0.16
    campaign_size: float = 25.0
    copy_share: float = 0.10
    answer_turns: int = 3
    follow_up: float = 0.35
    second_language: float = P_SECOND_LANGUAGE

    def __post_init__(self):
        for name in ("campaign_share", "copy_share", "follow_up", "second_language"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"--{name.replace('_', '-')} must be between 0 and 1")
        if self.replies_per_post < 0 or self.mentions_per_post < 0:
            raise ValueError("--replies-per-post and --mentions-per-post must be 0 or more")
        if self.campaign_size < 1:
            raise ValueError("--campaign-size must be at least 1")
        if not 0 <= self.answer_turns <= 10:
            raise ValueError("--answer-turns must be between 0 and 10")

    def changed(self) -> dict:
        """The options that differ from the defaults."""
        default = Shape()
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) != getattr(default, f.name)}

# Text classes.
COMPLAINT, CRITICAL, PRAISE, CHATTER, ANNOUNCE, ANSWER = range(6)
CITIZEN_MIX = (0.55, 0.06, 0.19, 0.20)  # complaint, critical, praise, chatter
# How much likelier an official answers each citizen class (times its own rate).
ANSWER_FACTOR = np.array([1.0, 0.7, 0.35, 0.2])

# Relative activity per local hour (0..23): the shipped sample's profiles.
OFFICIAL_HOURS = np.array(sample.OFFICIAL_HOURS)
CITIZEN_HOURS = np.array(sample.CITIZEN_HOURS)

# Country profiles: (IANA zone, fixed UTC offset used for daily rhythms, other language).
# Almaty's offset is +5 since March 2024; every other zone has had one offset for years.
PROFILES = (
    ("Asia/Kolkata", 19800, "hi"),
    ("Asia/Jakarta", 25200, "id"),
    ("Europe/Moscow", 10800, "ru"),
    ("Asia/Almaty", 18000, "kk"),
    ("Africa/Nairobi", 10800, None),
    ("Asia/Makassar", 28800, "id"),
    ("Asia/Tashkent", 18000, "ru"),
    ("Asia/Manila", 28800, None),
)
SYLLABLES_A = ("Val", "Mor", "Tar", "Kes", "Lun", "Dar", "Sel", "Vor", "Ami", "Ost",
               "Bel", "Cor", "Ner", "Pal", "Rov", "Zan")
SYLLABLES_B = ("ora", "abad", "grad", "pur", "stan", "vale", "mere", "ak", "ium", "ton",
               "ganj", "sk", "ia", "ar", "ville", "kent")
PLACES = tuple(a + b for a in SYLLABLES_A for b in SYLLABLES_B)  # 256 fictional places
TOPIC_TAGS = ("Water", "Power", "Roads", "Trains", "Garbage", "Health", "Buses", "Lights")
MINISTRIES = (
    ("Ministry of Health", "health"), ("Ministry of Railways", "rail"),
    ("Ministry of Water Resources", "water"), ("Ministry of Education", "edu"),
    ("Ministry of Home Affairs", "home"), ("Ministry of Transport", "transp"),
    ("Ministry of Power", "power"), ("Office of the Prime Minister", "pmo"),
)
STATE_BODIES = (("Government of {} State", "gov"), ("{} State Police", "police"),
                ("{} State Health Department", "hlth"))
LOCAL_BODIES = (("{} Municipal Corporation", "city"), ("{} Water Board", "wtr"),
                ("{} Traffic Police", "trfc"))
FIRST_NAMES = ("ravi", "priya", "amit", "sunita", "rahul", "neha", "arjun", "kavya",
               "budi", "siti", "agus", "dewi", "rizky", "putri", "ivan", "olga", "sergei",
               "anna", "dmitri", "elena", "aigerim", "nurlan", "dana", "yerlan", "aliya",
               "john", "mary", "peter", "grace", "david", "sarah", "joseph")
LAST_INITIALS = "ABCDEFGHIJKLMNOPRSTVY"

# Place phrase: prefix + place + middle + number + suffix.
PLACE_PHRASE = {
    "en": ("In ", " (ward ", "),"), "hi": ("", " (वार्ड ", ") में"),
    "id": ("Di ", " (RW ", "),"), "ru": ("В ", " (район ", ")"), "kk": ("", " (", "-аудан)"),
}
REF_WORD = {"en": "Ref", "hi": "संदर्भ", "id": "No. tiket", "ru": "Номер обращения",
            "kk": "Өтініш нөмірі"}
# Vocabulary: one line per language and component, phrases separated by '|'; every
# component has the same number of phrases in every language.
_PHRASES = {
    "en.open": "Dear sir/madam:|Hello!|Please look into this:|Urgent:",
    "en.subject": "the water supply|electricity|the main road|the train service|garbage collection|the district hospital|the bus service|the street lighting",
    "en.problem": "has been cut for three days.|is broken again.|is delayed by hours every morning.|has not worked since last week.|is in a terrible state.|keeps failing at night.|was promised months ago and nothing happened.|is unsafe for children and elderly people.",
    "en.ask": "Please fix this urgently.|When will this be solved?|Who is responsible for this?|We have complained many times, please respond.|Kindly send someone to check.|Is anyone listening?",
    "en.critical": "Emergency! A train has derailed.|Flood water is entering houses.|Violence broke out last night.|Many people fell ill after drinking tap water.",
    "en.critical_tail": "people are trapped and need help now.|no official has come yet, please act.|send rescue teams immediately.|the hospital is full.",
    "en.praise": "Thank you for the quick action!|Great work by your team today.|Congratulations on the new service!|Proud of the volunteers!",
    "en.praise_tail": "the problem is solved.|everything works again.|the road is much better now.|people are very happy.",
    "en.chatter": "Watching the press conference now.|Interesting debate today on the budget.|Anyone else following the news?|Good morning everyone.",
    "en.chatter_tail": "everyone is talking about the budget.|the weather is lovely today.|the market is very crowded.|there is a festival tomorrow.",
    "en.announce": "Today we launched a new programme for families.|Work on the new bridge has started.|Public consultation on the water plan opens this week.|Our team inspected the flood defences.|Vaccination camps will run all weekend.|New bus routes start on Monday.",
    "en.announce_tail": "all residents are welcome.|details will follow soon.|registration is free.|the work will take two weeks.",
    "en.answer": "Thank you for reaching out. We have forwarded your complaint to the team.|We are sorry for the trouble. Engineers are on the way.|Please share your contact number by direct message so we can follow up.|The issue has been noted and will be fixed within 48 hours.|Our officials are looking into the situation.|Thank you, the matter has been resolved.",
    "en.detail": "This has been going on for weeks and nobody from the office has visited.|My elderly parents cannot manage without it.|Children cannot go to school because of this.|Shops in the area have had to close.|I have attached photos and the complaint number.|The helpline number does not answer.",
    "en.pad": "Please share this.|More details soon.",
    "hi.open": "महोदय,|नमस्ते,|कृपया ध्यान दें:|अत्यावश्यक:",
    "hi.subject": "पानी की आपूर्ति|बिजली|मुख्य सड़क|ट्रेन सेवा|कचरा संग्रह|जिला अस्पताल|बस सेवा|स्ट्रीट लाइट",
    "hi.problem": "तीन दिन से बंद है।|फिर से खराब हो गई है।|हर सुबह घंटों देर से चलती है।|पिछले हफ्ते से काम नहीं कर रही है।|बहुत बुरी हालत में है।|रात में बार-बार बंद हो जाती है।|का वादा महीनों पहले किया गया था, कुछ नहीं हुआ।|बच्चों और बुजुर्गों के लिए असुरक्षित है।",
    "hi.ask": "कृपया इसे जल्द ठीक करें।|यह समस्या कब हल होगी?|इसके लिए कौन जिम्मेदार है?|हमने कई बार शिकायत की है, कृपया जवाब दें।|कृपया किसी को जांच के लिए भेजें।|क्या कोई सुन रहा है?",
    "hi.critical": "आपातकाल! एक ट्रेन पटरी से उतर गई है।|बाढ़ का पानी घरों में घुस रहा है।|कल रात हिंसा भड़क उठी।|नल का पानी पीने के बाद कई लोग बीमार पड़ गए।",
    "hi.critical_tail": "लोग फंसे हुए हैं और तुरंत मदद चाहिए।|अभी तक कोई अधिकारी नहीं आया, कृपया कार्रवाई करें।|तुरंत बचाव दल भेजें।|अस्पताल में जगह नहीं है।",
    "hi.praise": "त्वरित कार्रवाई के लिए धन्यवाद!|आज आपकी टीम ने बहुत अच्छा काम किया।|नई सेवा के लिए बधाई!|स्वयंसेवकों पर गर्व है!",
    "hi.praise_tail": "समस्या हल हो गई है।|अब सब कुछ फिर से चल रहा है।|सड़क अब बहुत बेहतर है।|लोग बहुत खुश हैं।",
    "hi.chatter": "अभी प्रेस कॉन्फ्रेंस देख रहा हूँ।|बजट पर आज दिलचस्प बहस हुई।|क्या कोई और भी खबरें देख रहा है?|सभी को सुप्रभात।",
    "hi.chatter_tail": "सब लोग बजट की बात कर रहे हैं।|आज मौसम अच्छा है।|बाजार में बहुत भीड़ है।|कल एक मेला है।",
    "hi.announce": "आज हमने परिवारों के लिए एक नई योजना शुरू की।|नए पुल का काम शुरू हो गया है।|जल योजना पर सार्वजनिक परामर्श इस सप्ताह खुल रहा है।|हमारी टीम ने बाढ़ सुरक्षा का निरीक्षण किया।|पूरे सप्ताहांत टीकाकरण शिविर चलेंगे।|सोमवार से नए बस मार्ग शुरू होंगे।",
    "hi.announce_tail": "सभी नागरिकों का स्वागत है।|अधिक जानकारी जल्द दी जाएगी।|पंजीकरण निःशुल्क है।|काम दो सप्ताह चलेगा।",
    "hi.answer": "संपर्क करने के लिए धन्यवाद। आपकी शिकायत संबंधित टीम को भेज दी गई है।|असुविधा के लिए खेद है। इंजीनियर रास्ते में हैं।|कृपया अपना संपर्क नंबर सीधे संदेश में साझा करें।|समस्या दर्ज कर ली गई है और 48 घंटों में ठीक कर दी जाएगी।|हमारे अधिकारी स्थिति की जांच कर रहे हैं।|धन्यवाद, मामला हल कर दिया गया है।",
    "hi.detail": "यह हफ्तों से चल रहा है और कार्यालय से कोई नहीं आया।|मेरे बुजुर्ग माता-पिता इसके बिना नहीं रह सकते।|इस वजह से बच्चे स्कूल नहीं जा पा रहे हैं।|इलाके की दुकानें बंद करनी पड़ी हैं।|मैंने तस्वीरें और शिकायत संख्या संलग्न की है।|हेल्पलाइन नंबर कोई नहीं उठाता।",
    "hi.pad": "कृपया साझा करें।|और जानकारी जल्द।",
    "id.open": "Yth. Bapak/Ibu:|Halo!|Mohon perhatiannya:|Darurat:",
    "id.subject": "pasokan air|listrik|jalan utama|layanan kereta|pengangkutan sampah|rumah sakit daerah|layanan bus|lampu jalan",
    "id.problem": "sudah mati tiga hari.|rusak lagi.|terlambat berjam-jam setiap pagi.|tidak berfungsi sejak minggu lalu.|dalam kondisi sangat buruk.|sering mati pada malam hari.|dijanjikan berbulan-bulan lalu tapi tidak ada hasil.|tidak aman untuk anak-anak dan lansia.",
    "id.ask": "Mohon segera diperbaiki.|Kapan masalah ini selesai?|Siapa yang bertanggung jawab?|Kami sudah berkali-kali mengadu, mohon ditanggapi.|Tolong kirim petugas untuk memeriksa.|Apakah ada yang mendengar?",
    "id.critical": "Darurat! Sebuah kereta anjlok.|Air banjir masuk ke rumah-rumah warga.|Kerusuhan pecah tadi malam.|Banyak warga sakit setelah minum air keran.",
    "id.critical_tail": "warga terjebak dan butuh bantuan sekarang.|belum ada petugas yang datang, mohon bertindak.|segera kirim tim penyelamat.|rumah sakit sudah penuh.",
    "id.praise": "Terima kasih atas tindakan cepatnya!|Kerja bagus dari tim hari ini.|Selamat atas layanan barunya!|Bangga dengan para relawan!",
    "id.praise_tail": "masalahnya sudah selesai.|semuanya berjalan lagi.|jalannya sekarang jauh lebih baik.|warga sangat senang.",
    "id.chatter": "Sedang menonton konferensi pers.|Debat menarik hari ini soal anggaran.|Ada yang mengikuti beritanya juga?|Selamat pagi semuanya.",
    "id.chatter_tail": "semua orang membicarakan anggaran.|cuaca hari ini cerah.|pasar sangat ramai.|besok ada festival.",
    "id.announce": "Hari ini kami meluncurkan program baru untuk keluarga.|Pembangunan jembatan baru telah dimulai.|Konsultasi publik rencana air dibuka minggu ini.|Tim kami meninjau tanggul banjir.|Pos vaksinasi buka sepanjang akhir pekan.|Rute bus baru mulai hari Senin.",
    "id.announce_tail": "semua warga dipersilakan hadir.|informasi lebih lanjut segera.|pendaftaran gratis.|pekerjaan berlangsung dua minggu.",
    "id.answer": "Terima kasih telah menghubungi kami. Keluhan Anda sudah diteruskan ke tim terkait.|Mohon maaf atas ketidaknyamanannya. Teknisi sedang menuju lokasi.|Mohon kirim nomor kontak Anda melalui pesan langsung.|Masalah sudah dicatat dan akan diperbaiki dalam 48 jam.|Petugas kami sedang menangani situasi ini.|Terima kasih, masalah sudah diselesaikan.",
    "id.detail": "Ini sudah berlangsung berminggu-minggu dan belum ada petugas yang datang.|Orang tua saya yang sudah lansia tidak bisa hidup tanpanya.|Anak-anak tidak bisa berangkat sekolah karena ini.|Toko-toko di sekitar terpaksa tutup.|Saya lampirkan foto dan nomor pengaduan.|Nomor layanan pengaduan tidak pernah diangkat.",
    "id.pad": "Mohon dibagikan.|Info lebih lanjut segera.",
    "ru.open": "Здравствуйте!|Добрый день!|Прошу обратить внимание:|Срочно:",
    "ru.subject": "водоснабжение|электричество|главная дорога|движение поездов|вывоз мусора|районная больница|автобусное сообщение|уличное освещение",
    "ru.problem": "отключено уже три дня.|снова не работает.|каждое утро задерживается на несколько часов.|не работает с прошлой недели.|в ужасном состоянии.|постоянно пропадает ночью.|обещали несколько месяцев назад, но ничего не сделано.|опасно для детей и пожилых людей.",
    "ru.ask": "Прошу срочно исправить.|Когда это решат?|Кто за это отвечает?|Мы жаловались много раз, ответьте, пожалуйста.|Пришлите кого-нибудь проверить.|Нас кто-нибудь слышит?",
    "ru.critical": "Чрезвычайная ситуация! Поезд сошёл с рельсов.|Вода заливает дома.|Прошлой ночью вспыхнули беспорядки.|Много людей отравились водопроводной водой.",
    "ru.critical_tail": "люди заблокированы, им нужна помощь.|никто из чиновников ещё не приехал, примите меры.|немедленно пришлите спасателей.|больница переполнена.",
    "ru.praise": "Спасибо за быструю реакцию!|Отличная работа команды сегодня.|Поздравляем с новой услугой!|Гордимся волонтёрами!",
    "ru.praise_tail": "проблема решена.|всё снова работает.|дорога стала намного лучше.|жители очень довольны.",
    "ru.chatter": "Смотрю пресс-конференцию.|Сегодня интересные дебаты о бюджете.|Кто-нибудь ещё следит за новостями?|Всем доброе утро.",
    "ru.chatter_tail": "все обсуждают бюджет.|сегодня хорошая погода.|на рынке много людей.|завтра праздник.",
    "ru.announce": "Сегодня мы запустили новую программу для семей.|Начато строительство нового моста.|На этой неделе открываются общественные слушания по водному плану.|Наша команда проверила защитные дамбы.|Все выходные будут работать пункты вакцинации.|С понедельника работают новые автобусные маршруты.",
    "ru.announce_tail": "приглашаем всех жителей.|подробности будут позже.|регистрация бесплатная.|работы займут две недели.",
    "ru.answer": "Спасибо за обращение. Ваша жалоба передана ответственной службе.|Приносим извинения за неудобства. Специалисты уже выехали.|Пожалуйста, отправьте свой номер телефона в личные сообщения.|Обращение зарегистрировано, проблема будет устранена в течение 48 часов.|Наши сотрудники разбираются в ситуации.|Спасибо, вопрос решён.",
    "ru.detail": "Это продолжается неделями, и никто из администрации не приезжал.|Мои пожилые родители не могут без этого обходиться.|Из-за этого дети не могут ходить в школу.|Магазины в районе были вынуждены закрыться.|Прикладываю фотографии и номер жалобы.|Телефон горячей линии не отвечает.",
    "ru.pad": "Поделитесь, пожалуйста.|Подробности скоро.",
    "kk.open": "Құрметті әкімдік!|Сәлеметсіз бе!|Назар аударыңызшы:|Шұғыл:",
    "kk.subject": "су жабдықтауы|электр жарығы|басты жол|пойыз қатынасы|қоқыс шығару|аудандық аурухана|автобус қатынасы|көше жарығы",
    "kk.problem": "үш күннен бері жоқ.|тағы да бұзылды.|күнде таңертең бірнеше сағатқа кешігеді.|өткен аптадан бері жұмыс істемейді.|өте нашар күйде.|түнде үнемі өшіп қалады.|бірнеше ай бұрын уәде етілген, бірақ ештеңе жасалмады.|балалар мен қарттар үшін қауіпті.",
    "kk.ask": "Тез арада жөндеуіңізді сұраймыз.|Бұл мәселе қашан шешіледі?|Бұған кім жауапты?|Біз бірнеше рет шағымдандық, жауап беріңіз.|Тексеруге біреуді жіберіңіз.|Бізді біреу естіп тұр ма?",
    "kk.critical": "Төтенше жағдай! Пойыз рельстен шығып кетті.|Су тасқыны үйлерге кіріп жатыр.|Кеше түнде тәртіпсіздік басталды.|Көп адам құбыр суын ішкеннен кейін ауырып қалды.",
    "kk.critical_tail": "адамдар қамалып қалды, көмек керек.|әлі бірде-бір шенеунік келген жоқ, шара қолданыңыз.|құтқарушыларды дереу жіберіңіз.|аурухана толып кетті.",
    "kk.praise": "Жедел әрекет үшін рахмет!|Бүгін командаңыз керемет жұмыс істеді.|Жаңа қызмет құтты болсын!|Еріктілерді мақтан тұтамыз!",
    "kk.praise_tail": "мәселе шешілді.|бәрі қайта жұмыс істеп тұр.|жол әлдеқайда жақсарды.|тұрғындар өте риза.",
    "kk.chatter": "Баспасөз конференциясын көріп отырмын.|Бүгін бюджет туралы қызық пікірталас болды.|Жаңалықтарды тағы кім қадағалап отыр?|Баршаңызға қайырлы таң.",
    "kk.chatter_tail": "бәрі бюджет туралы айтып жатыр.|бүгін ауа райы жақсы.|базарда адам көп.|ертең мереке.",
    "kk.announce": "Бүгін отбасыларға арналған жаңа бағдарлама іске қосылды.|Жаңа көпірдің құрылысы басталды.|Осы аптада су жоспары бойынша қоғамдық тыңдау ашылады.|Біздің команда су тасқынынан қорғау бөгеттерін тексерді.|Демалыс күндері вакцинация пункттері жұмыс істейді.|Дүйсенбіден бастап жаңа автобус бағыттары іске қосылады.",
    "kk.announce_tail": "барлық тұрғындарды шақырамыз.|толығырақ кейінірек.|тіркелу тегін.|жұмыс екі аптаға созылады.",
    "kk.answer": "Хабарласқаныңыз үшін рахмет. Шағымыңыз жауапты қызметке жіберілді.|Қолайсыздық үшін кешірім сұраймыз. Мамандар жолда.|Байланыс нөміріңізді жеке хабарламаға жіберіңіз.|Өтініш тіркелді, мәселе 48 сағат ішінде шешіледі.|Қызметкерлеріміз жағдайды анықтап жатыр.|Рахмет, мәселе шешілді.",
    "kk.detail": "Бұл бірнеше аптадан бері жалғасып келеді, әкімдіктен ешкім келген жоқ.|Қарт ата-анам онсыз күн көре алмайды.|Осыған байланысты балалар мектепке бара алмай жүр.|Аудандағы дүкендер жабылуға мәжбүр болды.|Суреттер мен шағым нөмірін қоса бердім.|Сенім телефоны жауап бермейді.",
    "kk.pad": "Бөлісіңіздер.|Толығырақ жақында.",
}
VOCAB: dict[str, dict[str, tuple[str, ...]]] = {
    lang: {key.split(".")[1]: tuple(text.split("|")) for key, text in _PHRASES.items()
           if key.startswith(lang + ".")}
    for lang in LANGS
}


def _component(name: str) -> tuple[pa.Array, int]:
    """All languages' phrases of one component, flat (language-major), and the per-language count."""
    sizes = {len(VOCAB[lang][name]) for lang in LANGS}
    if len(sizes) != 1:
        raise ValueError(f"vocabulary component {name!r} differs in size between languages")
    k = sizes.pop()
    return pa.array([p for lang in LANGS for p in VOCAB[lang][name]], pa.string()), k


# -- accounts ------------------------------------------------------------------------------

@dataclass
class Accounts:
    """The official accounts and the per-account behaviour the posts are drawn from."""

    frame: pd.DataFrame  # the accounts CSV columns
    handle: pa.Array  # author handle per account
    user_id: np.ndarray  # numeric X user id per account
    name: pa.Array  # display name per account
    lang2: np.ndarray  # index into LANGS of the country's other language (0: English only)
    offset: np.ndarray  # UTC offset in seconds, for daily rhythms
    weight: np.ndarray  # share of official posts and mentions (sums to 1)
    rate: np.ndarray  # probability of answering a routine complaint
    mu: np.ndarray  # log of the median answer latency in hours


def make_accounts(n: int, seed: int) -> Accounts:
    """``n`` official accounts across fictional countries (a small loop: accounts are few)."""
    if n < 1:
        raise ValueError("--accounts must be at least 1")
    rng = np.random.default_rng([seed, 0xACC])
    n_countries = min(26, max(5, n // 25))
    rows, lang2, offsets = [], [], []
    for k in range(n):
        ci = k % n_countries
        code = "X" + chr(ord("A") + ci)
        zone, offset, other = PROFILES[ci % len(PROFILES)]
        level = ("national", "state", "local")[(k // n_countries) % 3]
        place = PLACES[(k * 37 + ci) % len(PLACES)]
        if level == "national":
            inst, abbr = MINISTRIES[(k // (3 * n_countries)) % len(MINISTRIES)]
            inst = f"{inst} of {PLACES[(ci * 11) % len(PLACES)]}ia"
        elif level == "state":
            fmt, abbr = STATE_BODIES[(k // (3 * n_countries)) % len(STATE_BODIES)]
            inst = fmt.format(place)
        else:
            fmt, abbr = LOCAL_BODIES[(k // (3 * n_countries)) % len(LOCAL_BODIES)]
            inst = fmt.format(place)
        handle = f"{code.lower()}_{abbr}{k}"
        hours = "Mon-Fri 09:00-17:00" if k % 2 == 0 else ("Mon-Sat 10:00-18:00" if k % 5 == 1
                                                           else None)
        # institution type: the body's kind at its level (peers under analyze --peers type)
        rows.append(("x", handle, inst, code, level, zone, hours, f"{inst} (synthetic)",
                     f"{level} {abbr}"))
        lang2.append(LANGS.index(other) if other else 0)
        offsets.append(offset)
    frame = pd.DataFrame(rows, columns=ACCOUNT_COLUMNS)
    weight = rng.lognormal(0.0, 1.0, n)
    return Accounts(
        frame=frame,
        handle=pa.array(frame["author"].tolist(), pa.string()),
        user_id=np.arange(n, dtype=np.int64) + 1_000_000,
        name=pa.array(frame["display_name"].tolist(), pa.string()),
        lang2=np.array(lang2, dtype=np.int64),
        offset=np.array(offsets, dtype=np.int64),
        weight=weight / weight.sum(),
        rate=rng.beta(2.0, 2.5, n),
        mu=np.log(rng.lognormal(np.log(6.0), 1.0, n)),
    )


# -- the structure of one chunk ----------------------------------------------------------------

class _Rows:
    """Column arrays of one chunk's posts under construction, appended layer by layer."""

    FIELDS = ("official", "who", "target", "t", "parent", "root", "lang", "cls", "src")

    def __init__(self):
        self.parts: dict[str, list[np.ndarray]] = {f: [] for f in self.FIELDS}
        self.n = 0

    def add(self, **cols: np.ndarray) -> np.ndarray:
        """Append a layer; returns the row positions it got."""
        m = len(cols["t"])
        for f in self.FIELDS:
            self.parts[f].append(np.asarray(cols[f]))
        pos = np.arange(self.n, self.n + m, dtype=np.int64)
        self.n += m
        return pos

    def arrays(self) -> dict[str, np.ndarray]:
        return {f: np.concatenate(v) if v else np.empty(0, np.int64) for f, v in self.parts.items()}


def _local_times(rng, n: int, offset: np.ndarray, hours: np.ndarray,
                 days: tuple[int, int]) -> np.ndarray:
    """UTC seconds on a random day in ``days`` at a local hour drawn from ``hours``."""
    day = rng.integers(days[0], days[1], n)
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    sec = rng.integers(0, 3600, n)
    return WINDOW_START + day * 86400 + hour * 3600 + sec - offset


def _delay(rng, n: int, median_s: float, sigma: float) -> np.ndarray:
    return np.maximum(1, rng.lognormal(math.log(median_s), sigma, n)).astype(np.int64)


def _lang(rng, accounts: Accounts, acc: np.ndarray, share: float) -> np.ndarray:
    other = rng.random(len(acc)) < share
    return np.where(other, accounts.lang2[acc], 0)


def _citizens(rng, n: int, n_citizens: int) -> np.ndarray:
    """Heavy-tailed activity: a few citizens write a lot, most write once or twice."""
    return np.minimum(n_citizens - 1, (n_citizens * rng.random(n) ** 2.5).astype(np.int64))


def _structure(rng, accounts: Accounts, roots: int, n_citizens: int,
               days: tuple[int, int], shape: Shape) -> dict[str, np.ndarray]:
    """Threads grown from ``roots`` official posts: replies, mentions, campaigns, copies,
    answers and follow-ups. Rows refer to each other by position (-1: none)."""
    rows = _Rows()
    none = lambda m: np.full(m, -1, np.int64)  # noqa: E731
    n_acc = len(accounts.rate)

    # Official posts.
    acc = rng.choice(n_acc, size=roots, p=accounts.weight)
    t = _local_times(rng, roots, accounts.offset[acc], OFFICIAL_HOURS, days)
    root_pos = rows.add(official=np.ones(roots, bool), who=acc, target=acc, t=t,
                        parent=none(roots), root=none(roots), lang=_lang(rng, accounts, acc, shape.second_language),
                        cls=np.full(roots, ANNOUNCE), src=none(roots))
    cols = rows.arrays()

    # Public replies to official posts (heavy-tailed count per post).
    k = rng.negative_binomial(0.6, 0.6 / (0.6 + shape.replies_per_post), roots)
    parent = np.repeat(root_pos, k)
    m = len(parent)
    tgt = cols["who"][parent]
    reply_pos = rows.add(official=np.zeros(m, bool), who=_citizens(rng, m, n_citizens),
                         target=tgt, t=cols["t"][parent] + _delay(rng, m, 2700, 1.3),
                         parent=parent, root=parent, lang=_lang(rng, accounts, tgt, shape.second_language),
                         cls=rng.choice(4, size=m, p=CITIZEN_MIX), src=none(m))

    # @mentions of officials, outside any thread.
    m = int(shape.mentions_per_post * roots) + 1
    tgt = rng.choice(n_acc, size=m, p=accounts.weight)
    mention_pos = rows.add(official=np.zeros(m, bool), who=_citizens(rng, m, n_citizens),
                           target=tgt, t=_local_times(rng, m, accounts.offset[tgt], CITIZEN_HOURS, days),
                           parent=none(m), root=none(m), lang=_lang(rng, accounts, tgt, shape.second_language),
                           cls=rng.choice(4, size=m, p=CITIZEN_MIX), src=none(m))
    originals = np.concatenate([reply_pos, mention_pos])
    n_orig = len(originals)

    # Campaigns: one complaint posted verbatim by many citizens to one official, in a burst.
    n_campaigns = (max(1, int(shape.campaign_share * n_orig / shape.campaign_size))
                   if shape.campaign_share > 0 else 0)
    sizes = rng.geometric(1 / shape.campaign_size, n_campaigns)
    tgt = rng.choice(n_acc, size=n_campaigns, p=accounts.weight)
    start = _local_times(rng, n_campaigns, accounts.offset[tgt], CITIZEN_HOURS, days)
    head_pos = rows.add(official=np.zeros(n_campaigns, bool),
                        who=_citizens(rng, n_campaigns, n_citizens), target=tgt, t=start,
                        parent=none(n_campaigns), root=none(n_campaigns),
                        lang=_lang(rng, accounts, tgt, shape.second_language),
                        cls=rng.choice(2, size=n_campaigns, p=(0.8, 0.2)), src=none(n_campaigns))
    cols = rows.arrays()
    src = np.repeat(head_pos, sizes - 1)
    m = len(src)
    rows.add(official=np.zeros(m, bool), who=_citizens(rng, m, n_citizens),
             target=cols["target"][src], t=cols["t"][src] + _delay(rng, m, 4 * 3600, 1.0),
             parent=none(m), root=none(m), lang=cols["lang"][src], cls=cols["cls"][src], src=src)

    # Retweet-style copies of earlier citizen texts, addressed to the same official.
    m = int(shape.copy_share * n_orig)
    src = originals[rng.integers(0, n_orig, m)]
    rows.add(official=np.zeros(m, bool), who=_citizens(rng, m, n_citizens),
             target=cols["target"][src], t=cols["t"][src] + _delay(rng, m, 3 * 3600, 1.5),
             parent=none(m), root=none(m), lang=cols["lang"][src], cls=cols["cls"][src], src=src)

    # Answers, follow-ups and further answers: up to six turns in a thread.
    cols = rows.arrays()
    asked = np.flatnonzero(~cols["official"])
    factor = ANSWER_FACTOR[cols["cls"][asked]]
    for turn in range(shape.answer_turns):
        off = cols["target"][asked]
        keep = rng.random(len(asked)) < accounts.rate[off] * factor * (0.9 ** turn)
        msg, off = asked[keep], off[keep]
        m = len(msg)
        latency = np.exp(rng.normal(accounts.mu[off], 1.3)) * 3600
        answer_pos = rows.add(official=np.ones(m, bool), who=off, target=off,
                              t=cols["t"][msg] + np.maximum(60, latency).astype(np.int64),
                              parent=msg, root=_root_of(cols, msg), lang=cols["lang"][msg],
                              cls=np.full(m, ANSWER), src=none(m))
        if turn == shape.answer_turns - 1:
            break
        cols = rows.arrays()
        follow = answer_pos[rng.random(m) < shape.follow_up / (turn + 1)]
        m = len(follow)
        asked = rows.add(official=np.zeros(m, bool),
                         who=cols["who"][cols["parent"][follow]], target=cols["who"][follow],
                         t=cols["t"][follow] + _delay(rng, m, 3600, 1.2), parent=follow,
                         root=cols["root"][follow], lang=cols["lang"][follow],
                         cls=rng.choice(3, size=m, p=(0.6, 0.05, 0.35)), src=none(m))
        cols = rows.arrays()
        factor = ANSWER_FACTOR[cols["cls"][asked]]
    return rows.arrays()


def _root_of(cols: dict[str, np.ndarray], pos: np.ndarray) -> np.ndarray:
    root = cols["root"][pos]
    return np.where(root < 0, pos, root)


def _trim_to(rng, cols: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Drop random leaves (posts nobody replies to) until ``n`` rows are left, so every
    kept reply still has its parent; then renumber the references."""
    keep = np.ones(len(cols["t"]), bool)
    while keep.sum() > n:
        has_child = np.zeros(len(keep), bool)
        par = cols["parent"][keep]
        has_child[par[par >= 0]] = True
        leaves = np.flatnonzero(keep & ~has_child)
        drop = rng.choice(leaves, size=min(len(leaves), int(keep.sum()) - n), replace=False)
        keep[drop] = False
    new_pos = np.cumsum(keep) - 1
    out = {f: v[keep] for f, v in cols.items()}
    for f in ("parent", "root"):
        out[f] = np.where(out[f] >= 0, new_pos[np.maximum(out[f], 0)], -1)
    out["src"] = np.where((out["src"] >= 0) & keep[np.maximum(out["src"], 0)],
                          new_pos[np.maximum(out["src"], 0)], -1)
    return out


# -- texts ----------------------------------------------------------------------------------

class _Texts:
    """Builds post texts from the vocabulary with pyarrow string kernels."""

    def __init__(self):
        self.comp = {name: _component(name) for name in VOCAB["en"]}
        self.place = pa.array(PLACES, pa.string())
        self.tags = pa.array([" #" + t for t in TOPIC_TAGS] + [""] * 16, pa.string())
        pp = [PLACE_PHRASE[lang] for lang in LANGS]
        self.pp = [pa.array([p[i] for p in pp], pa.string()) for i in range(3)]
        self.ref = pa.array([" " + REF_WORD[lang] + " " for lang in LANGS], pa.string())

    def pick(self, rng, name: str, lang: np.ndarray) -> pa.Array:
        values, k = self.comp[name]
        return values.take(pa.array(lang * k + rng.integers(0, k, len(lang))))

    def place_phrase(self, rng, lang: np.ndarray) -> pa.Array:
        m = len(lang)
        number = pa.array(rng.integers(1, 1000, m)).cast(pa.string())
        idx = pa.array(lang)
        return pc.binary_join_element_wise(
            self.pp[0].take(idx), self.place.take(pa.array(rng.integers(0, len(PLACES), m))),
            self.pp[1].take(idx), number, self.pp[2].take(idx), "")

    def citizen(self, rng, cls: np.ndarray, lang: np.ndarray, at: pa.Array) -> pa.Array:
        """'@official ' + opening + place + body (+ ask) (+ hashtag), by class."""
        m = len(cls)
        heads = {COMPLAINT: "open", CRITICAL: "critical", PRAISE: "praise", CHATTER: "chatter"}
        tails = {COMPLAINT: None, CRITICAL: "critical_tail", PRAISE: "praise_tail",
                 CHATTER: "chatter_tail"}
        head = pc.choose(pa.array(cls), *[self.pick(rng, heads[c], lang) for c in range(4)])
        complaint_body = pc.binary_join_element_wise(
            self.pick(rng, "subject", lang), self.pick(rng, "problem", lang), " ")
        body = pc.choose(pa.array(cls), complaint_body,
                         *[self.pick(rng, tails[c], lang) for c in range(1, 4)])
        ask = pc.if_else(pa.array((cls <= CRITICAL) & (rng.random(m) < 0.8)),
                         pc.binary_join_element_wise(" ", self.pick(rng, "ask", lang), ""), "")
        serious = cls <= CRITICAL
        extra = [pc.if_else(pa.array(serious & (rng.random(m) < p)), pc.binary_join_element_wise(
            " ", self.pick(rng, "detail", lang), ""), "") for p in (0.45, 0.2)]
        tag = self.tags.take(pa.array(rng.integers(0, len(self.tags), m)))
        return pc.binary_join_element_wise(
            "@", at, " ", head, " ", self.place_phrase(rng, lang), " ", body, ask, *extra, tag,
            "")

    def announce(self, rng, lang: np.ndarray) -> pa.Array:
        m = len(lang)
        tag = self.tags.take(pa.array(rng.integers(0, len(self.tags), m)))
        return pc.binary_join_element_wise(
            self.pick(rng, "announce", lang), " ", self.place_phrase(rng, lang), " ",
            self.pick(rng, "announce_tail", lang), tag, "")

    def answer(self, rng, lang: np.ndarray, at: pa.Array) -> pa.Array:
        ref = pa.array(rng.integers(100000, 1000000, len(lang))).cast(pa.string())
        return pc.binary_join_element_wise(
            "@", at, " ", self.pick(rng, "answer", lang), self.ref.take(pa.array(lang)), ref,
            ".", "")

    def fit(self, rng, text: pa.Array, lang: np.ndarray) -> pa.Array:
        """Pad texts under 40 characters, cut those over 280."""
        short = pc.less(pc.utf8_length(text), 40)
        padded = pc.binary_join_element_wise(text, self.pick(rng, "pad", lang), " ")
        return pc.utf8_slice_codeunits(pc.if_else(short, padded, text), 0, 280)


def _texts(rng, texts: _Texts, cols: dict[str, np.ndarray], handles: pa.Array,
           official_handles: pa.Array) -> pa.Array:
    """Every row's text; copies and campaign posts repeat their source's text verbatim."""
    n = len(cols["t"])
    cls = cols["cls"]
    order = np.argsort(cls, kind="stable")
    bounds = np.searchsorted(cls[order], np.arange(7))
    parts = []
    for c in range(6):
        idx = order[bounds[c]:bounds[c + 1]]
        lang = cols["lang"][idx]
        if c == ANNOUNCE:
            parts.append(texts.announce(rng, lang))
            continue
        # Whom the post addresses: the parent's author for a reply, else the target official.
        addressed = np.where(cols["parent"][idx] >= 0, cols["parent"][idx], -1)
        at = pc.if_else(pa.array(addressed >= 0),
                        handles.take(pa.array(np.maximum(addressed, 0))),
                        official_handles.take(pa.array(cols["target"][idx])))
        if c == ANSWER:
            parts.append(texts.answer(rng, lang, at))
        else:
            parts.append(texts.citizen(rng, np.full(len(idx), c), lang, at))
    inverse = np.empty(n, np.int64)
    inverse[order] = np.arange(n)
    built = pa.concat_arrays([p.cast(pa.string()) for p in parts]).take(pa.array(inverse))
    built = texts.fit(rng, built, cols["lang"])
    src = cols["src"]
    return built.take(pa.array(np.where(src >= 0, src, np.arange(n))))


# -- one chunk as a table ---------------------------------------------------------------------

@dataclass
class Chunk:
    """One chunk of posts as pyarrow columns (sorted by time), plus what the writers need."""

    table: pa.Table  # POST_COLUMNS
    seconds: np.ndarray  # created_at as Unix seconds
    user_id: np.ndarray  # author's numeric user id
    parent_user_id: np.ndarray  # parent author's user id (-1: not a reply)
    mention_user: np.ndarray  # user key of the @handle the text starts with (-1: none)
    official: np.ndarray
    citizen_text_dup: int  # citizen posts whose text occurs more than once in the chunk
    citizen_posts: int


def citizen_handles(c: np.ndarray) -> pa.Array:
    first = pa.array(FIRST_NAMES, pa.string()).take(pa.array(c % len(FIRST_NAMES)))
    return pc.binary_join_element_wise(first, pa.array(c).cast(pa.string()), "_")


def citizen_names(c: np.ndarray) -> pa.Array:
    first = pc.utf8_capitalize(pa.array(FIRST_NAMES, pa.string()).take(
        pa.array(c % len(FIRST_NAMES))))
    initial = pa.array(list(LAST_INITIALS), pa.string()).take(
        pa.array((c // len(FIRST_NAMES)) % len(LAST_INITIALS)))
    return pc.binary_join_element_wise(first, " ", initial, ".", "")


CITIZEN_UID_BASE = 1_500_000_000


def build_chunk(accounts: Accounts, n: int, first_index: int, chunk_no: int, n_chunks: int,
                seed: int, n_citizens: int, texts: _Texts, shape: Shape | None = None) -> Chunk:
    """``n`` posts whose global positions start at ``first_index``. Chunk ``chunk_no`` of
    ``n_chunks`` starts its threads in its own slice of the year, so the file runs
    roughly in time order (answers may come after the slice ends)."""
    rng = np.random.default_rng([seed, chunk_no])
    day0 = chunk_no * WINDOW_DAYS // n_chunks
    days = (day0, max(day0 + 1, (chunk_no + 1) * WINDOW_DAYS // n_chunks))
    shape = shape or Shape()
    roots = int(n / 9.5 * 1.08) + 3
    while True:
        cols = _structure(rng, accounts, roots, n_citizens, days, shape)
        if len(cols["t"]) >= n:
            break
        roots = int(roots * 1.15 * n / max(1, len(cols["t"]))) + 3
    cols = _trim_to(rng, cols, n)
    order = np.argsort(cols["t"], kind="stable")
    inverse = np.empty(n, np.int64)
    inverse[order] = np.arange(n)
    cols = {f: v[order] for f, v in cols.items()}
    for f in ("parent", "root", "src"):
        cols[f] = np.where(cols[f] >= 0, inverse[np.maximum(cols[f], 0)], -1)

    official = cols["official"].astype(bool)
    who = cols["who"]
    n_acc = len(accounts.rate)
    handles = pc.if_else(pa.array(official), accounts.handle.take(pa.array(np.where(
        official, who, 0))), citizen_handles(np.where(official, 0, who)))
    text = _texts(rng, texts, cols, handles, accounts.handle)

    gidx = first_index + np.arange(n, dtype=np.int64)
    ms = cols["t"] * 1000 + (gidx >> LOW_BITS) % 1000
    ids = ((ms - X_EPOCH_MS) << LOW_BITS) | (gidx & ((1 << LOW_BITS) - 1))
    id_str = pa.array(ids).cast(pa.string())
    parent = cols["parent"]
    is_reply = parent >= 0
    safe_parent = np.maximum(parent, 0)
    root = np.where(cols["root"] >= 0, cols["root"], np.arange(n))
    stamp = pa.array(cols["t"], pa.timestamp("s", tz="UTC"))
    reply_counts = np.bincount(parent[is_reply], minlength=n)
    like = np.where(official, rng.negative_binomial(1, 1 / 31, n), rng.negative_binomial(
        1, 1 / 2.5, n))
    share = np.where(official, rng.negative_binomial(1, 1 / 9, n), rng.negative_binomial(
        1, 1 / 1.3, n))
    null_unless = lambda mask, arr: pc.if_else(pa.array(mask), arr, pa.scalar(None, pa.string()))  # noqa: E731
    table = pa.table({
        "platform": pa.array([PLATFORM]).take(pa.array(np.zeros(n, np.int64))),
        "post_id": id_str,
        "author": handles,
        "created_at": pc.strftime(stamp, format="%Y-%m-%dT%H:%M:%SZ"),
        "text": text,
        "in_reply_to_post_id": null_unless(is_reply, id_str.take(pa.array(safe_parent))),
        "in_reply_to_author": null_unless(is_reply, handles.take(pa.array(safe_parent))),
        "conversation_id": id_str.take(pa.array(root)),
        "lang": pa.array(LANGS).take(pa.array(cols["lang"])),
        "url": pc.binary_join_element_wise("https://x.com/", handles, "/status/", id_str, ""),
        "like_count": pa.array(like),
        "share_count": pa.array(share),
        "reply_count": pa.array(reply_counts),
    })
    user_key = np.where(official, who, n_acc + who)
    user_id = np.where(official, accounts.user_id[np.where(official, who, 0)],
                       CITIZEN_UID_BASE + who)
    mention = np.where(is_reply, user_key[safe_parent],
                       np.where(official, -1, cols["target"]))
    citizen_text = text.filter(pa.array(~official))
    codes = pc.dictionary_encode(citizen_text).indices.to_numpy()
    dup = int((np.bincount(codes)[codes] > 1).sum()) if len(codes) else 0
    return Chunk(table, cols["t"], user_id, np.where(is_reply, user_id[safe_parent], -1),
                 mention, official, dup, int((~official).sum()))


# -- writers ------------------------------------------------------------------------------------

def _write_concat(f, arr: pa.Array) -> None:
    """Write a string array's values back to back (each already ends with a newline)."""
    arr = arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr
    arr = pa.concat_arrays([arr]) if arr.offset else arr
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[: len(arr) + 1]
    data = arr.buffers()[2]
    f.write(memoryview(data)[offsets[0]:offsets[-1]])


def _json_str(arr: pa.Array) -> pa.Array:
    """A JSON string literal of each value (texts hold no control characters)."""
    esc = pc.replace_substring(pc.replace_substring(arr, "\\", "\\\\"), '"', '\\"')
    return pc.binary_join_element_wise('"', esc, '"', "")


class Twarc2Writer:
    """Twitter API v2 response pages, one per line, as ``twarc2 search`` writes them."""

    PAGE = 100

    def __init__(self, path: Path, accounts: Accounts):
        self.f = open(path, "wb")
        self.accounts = accounts
        self.pages = 0

    def write(self, chunk: Chunk) -> None:
        t = chunk.table
        n = t.num_rows
        s = lambda a: pa.array(a).cast(pa.string())  # noqa: E731
        q = lambda a: pc.binary_join_element_wise('"', a, '"', "")  # noqa: E731
        text = t["text"].combine_chunks()
        starts_at = pc.starts_with(text, "@")
        mention_handle = pc.extract_regex(pc.if_else(starts_at, text, "@x"),
                                          r"^@(?P<h>\w+)").field("h")
        handle_len = pc.utf8_length(mention_handle)
        mention_uid = self._user_ids(np.maximum(chunk.mention_user, 0))
        mentions = pc.if_else(
            pa.array(starts_at.to_numpy(zero_copy_only=False) & (chunk.mention_user >= 0)),
            pc.binary_join_element_wise(
                ', "entities": {"mentions": [{"start": 0, "end": ',
                s(pc.add(handle_len, 1)), ', "username": ', q(mention_handle), ', "id": ',
                q(mention_uid), "}]}", ""), "")
        is_reply = chunk.parent_user_id >= 0
        reply = pc.if_else(pa.array(is_reply), pc.binary_join_element_wise(
            ', "in_reply_to_user_id": ', q(s(np.maximum(chunk.parent_user_id, 0))),
            ', "referenced_tweets": [{"type": "replied_to", "id": ',
            q(pc.fill_null(t["in_reply_to_post_id"].combine_chunks(), "")), "}]", ""), "")
        created = pc.strftime(pa.array(chunk.seconds, pa.timestamp("s", tz="UTC")),
                              format="%Y-%m-%dT%H:%M:%S.000Z")
        pid = t["post_id"].combine_chunks()
        tweet = pc.binary_join_element_wise(
            '{"id": ', q(pid), ', "text": ', _json_str(text),
            ', "author_id": ', q(s(chunk.user_id)), ', "created_at": ', q(created),
            ', "conversation_id": ', q(t["conversation_id"].combine_chunks()),
            ', "lang": ', q(t["lang"].combine_chunks()),
            ', "public_metrics": {"retweet_count": ', s(t["share_count"]),
            ', "reply_count": ', s(t["reply_count"]), ', "like_count": ', s(t["like_count"]),
            ', "quote_count": 0}, "edit_history_tweet_ids": [', q(pid),
            '], "reply_settings": "everyone", "possibly_sensitive": false', mentions, reply, "}",
            "")
        page_of = np.arange(n) // self.PAGE
        n_pages = int(page_of[-1]) + 1 if n else 0
        bounds = np.append(np.arange(0, n, self.PAGE), n).astype(np.int32)
        data = pc.binary_join(pa.ListArray.from_arrays(pa.array(bounds), tweet), ", ")
        users = self._users(chunk, page_of, n_pages)
        first, last = bounds[:-1], bounds[1:] - 1
        page_no = np.arange(self.pages, self.pages + n_pages)
        meta = pc.binary_join_element_wise(
            ', "meta": {"newest_id": ', q(pid.take(pa.array(last))), ', "oldest_id": ',
            q(pid.take(pa.array(first))), ', "result_count": ', s(np.diff(bounds)),
            ', "next_token": "synthetic', s(page_no + 1), '"}', "")
        twarc = (', "__twarc": {"url": "synthetic://govwatch/benchmarks/synth.py (invented '
                 'data, not from the Twitter API)", "version": "2.14.0", '
                 '"retrieved_at": "2026-01-01T00:00:00+00:00"}}\n')
        lines = pc.binary_join_element_wise('{"data": [', data, '], "includes": {"users": [',
                                            users, "]}", meta, twarc, "")
        _write_concat(self.f, lines)
        self.pages += n_pages

    def _user_ids(self, key: np.ndarray) -> pa.Array:
        n_acc = len(self.accounts.rate)
        uid = np.where(key < n_acc, self.accounts.user_id[np.minimum(key, n_acc - 1)],
                       CITIZEN_UID_BASE + key - n_acc)
        return pa.array(uid).cast(pa.string())

    def _users(self, chunk: Chunk, page_of: np.ndarray, n_pages: int) -> pa.Array:
        """includes.users of each page: authors, replied-to and mentioned users, once each."""
        n_acc = len(self.accounts.rate)
        author_key = np.where(chunk.official, 0, n_acc) + np.where(
            chunk.official, chunk.user_id - 1_000_000, chunk.user_id - CITIZEN_UID_BASE)
        keys = np.concatenate([author_key, chunk.mention_user])
        pages = np.concatenate([page_of, page_of])
        ok = keys >= 0
        span = int(keys.max()) + 1 if len(keys) else 1
        pair = np.unique(pages[ok].astype(np.int64) * span + keys[ok])
        page, key = pair // span, pair % span
        is_off = key < n_acc
        acc = np.minimum(key, n_acc - 1)
        cit = np.maximum(key - n_acc, 0)
        handle = pc.if_else(pa.array(is_off), self.accounts.handle.take(pa.array(acc)),
                            citizen_handles(cit))
        name = pc.if_else(pa.array(is_off), self.accounts.name.take(pa.array(acc)),
                          citizen_names(cit))
        followers = np.where(is_off, 20000 + key * 7 % 90000, cit * 13 % 900)
        user = pc.binary_join_element_wise(
            '{"id": "', self._user_ids(key), '", "username": "', handle, '", "name": ',
            _json_str(name), ', "created_at": "2015-06-01T00:00:00.000Z", "description": '
            '"Synthetic account (invented)", "verified": false, "protected": false, '
            '"public_metrics": {"followers_count": ', pa.array(followers).cast(pa.string()),
            ', "following_count": 150, "tweet_count": 1000, "listed_count": 0}}', "")
        bounds = np.searchsorted(page, np.arange(n_pages + 1)).astype(np.int32)
        return pc.binary_join(pa.ListArray.from_arrays(pa.array(bounds), user), ", ")

    def close(self) -> None:
        self.f.close()


class CSVWriter:
    def __init__(self, path: Path):
        self.path = path
        self.writer: pacsv.CSVWriter | None = None

    def write(self, chunk: Chunk) -> None:
        if self.writer is None:
            self.writer = pacsv.CSVWriter(self.path, chunk.table.schema)
        self.writer.write_table(chunk.table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


# -- the whole run ------------------------------------------------------------------------------

def generate(out: Path, posts: int, accounts: int = 200, seed: int = DEFAULT_SEED,
             fmt: str = "csv", chunk_rows: int = DEFAULT_CHUNK_ROWS,
             log=None, shape: Shape | None = None) -> dict:
    """Write the dataset to ``out``; returns the manifest (also written as SYNTHETIC.json)."""
    if posts < 1:
        raise ValueError("--posts must be at least 1")
    if fmt not in ("csv", "twarc2", "both"):
        raise ValueError("--format must be csv, twarc2 or both")
    shape = shape or Shape()
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    acc = make_accounts(accounts, seed)
    acc.frame.to_csv(out / FILES["accounts"], index=False)
    writers = []
    if fmt in ("csv", "both"):
        writers.append(CSVWriter(out / FILES["csv"]))
    if fmt in ("twarc2", "both"):
        writers.append(Twarc2Writer(out / FILES["twarc2"], acc))
    texts = _Texts()
    n_citizens = max(50, posts // 5)
    written = dup = citizen = 0
    langs = np.zeros(len(LANGS), np.int64)
    lengths = [10**9, 0]
    replies = official = 0
    n_chunks = -(-posts // chunk_rows)
    for chunk_no, start in enumerate(range(0, posts, chunk_rows)):
        n = min(chunk_rows, posts - start)
        chunk = build_chunk(acc, n, start, chunk_no, n_chunks, seed, n_citizens, texts, shape)
        for w in writers:
            w.write(chunk)
        written += n
        dup += chunk.citizen_text_dup
        citizen += chunk.citizen_posts
        official += int(chunk.official.sum())
        replies += int((chunk.parent_user_id >= 0).sum())
        lang_codes = pc.dictionary_encode(chunk.table["lang"].combine_chunks())
        for code, count in zip(lang_codes.dictionary.to_pylist(),
                               np.bincount(lang_codes.indices.to_numpy()), strict=True):
            langs[LANGS.index(code)] += count
        mm = pc.min_max(pc.utf8_length(chunk.table["text"]))
        lengths = [min(lengths[0], mm["min"].as_py()), max(lengths[1], mm["max"].as_py())]
        if log:
            log(f"  {written:,}/{posts:,} posts ({time.perf_counter() - started:.1f} s)")
    for w in writers:
        w.close()
    manifest = {
        "synthetic": True,
        "note": "Invented data for govwatch benchmarks: fictional countries (XA..XZ), "
                "institutions, people and posts. Not real social media data.",
        "generator": "benchmarks/synth.py",
        "seed": seed, "posts": written, "accounts": accounts, "citizens": n_citizens,
        "chunk_rows": chunk_rows, "format": fmt,
        "shape": asdict(shape), "shape_options": shape.changed(),
        "files": {k: v for k, v in FILES.items()
                  if k in ("accounts", "manifest") or k == fmt or fmt == "both"},
        "official_posts": official, "replies": replies,
        "citizen_posts": citizen,
        "citizen_texts_repeated_share": round(dup / citizen, 4) if citizen else 0.0,
        "languages": {lang: int(c) for lang, c in zip(LANGS, langs, strict=True)},
        "text_length_min_max": lengths,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out / FILES["manifest"]).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, required=True, help="number of posts to write")
    ap.add_argument("--accounts", type=int, default=200, help="official accounts (default 200)")
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--format", dest="fmt", choices=("csv", "twarc2", "both"), default="csv")
    ap.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS,
                    help="posts generated and written at a time (bounds memory)")
    ap.add_argument("-q", "--quiet", action="store_true")
    default = Shape()
    shape_help = {
        "replies_per_post": "mean public replies per official post",
        "mentions_per_post": "@mentions of officials outside threads, per official post",
        "campaign_share": "campaign posts (one text, many citizens) per original citizen post",
        "campaign_size": "mean posts per campaign",
        "copy_share": "retweet-style copies per original citizen post",
        "answer_turns": "official answers a thread can hold (threads of up to twice as many "
                        "turns)",
        "follow_up": "chance the public writes back after an official answer",
        "second_language": "share of posts in the country's second language (not English)",
    }
    for f in fields(Shape):
        ap.add_argument(f"--{f.name.replace('_', '-')}", type=int if f.type == "int" else float,
                        default=getattr(default, f.name),
                        help=f"{shape_help[f.name]} (default {getattr(default, f.name)})")
    args = ap.parse_args(argv)
    log = None if args.quiet else (lambda m: print(m, file=sys.stderr))
    try:
        shape = Shape(**{f.name: getattr(args, f.name) for f in fields(Shape)})
    except ValueError as e:
        ap.error(str(e))
    manifest = generate(args.out, args.posts, args.accounts, args.seed, args.fmt,
                        args.chunk_rows, log, shape)
    if not args.quiet:
        print(json.dumps(manifest, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
