"""Deterministic generator of a SYNTHETIC govwatch sample dataset.

Everything this module produces is invented. The three countries -- the
Republic of Avalor (XA), the Federation of Belmora (XB) and Cordania (XC),
using ISO 3166 user-assigned codes -- their ministries, state and city
governments, every citizen handle, every post and every event are fictional.
No real person or real institution is represented; any resemblance of a
generated handle to a real account is coincidental.

The data imitates what govwatch ingests from X and Facebook: posts of official
accounts, citizen messages addressed to them (replies and @mentions), official
replies with realistic latencies, and a few critical events (a derailment, a
flood, a communal clash, a contaminated-water outbreak) plus one festival. The
patterns deliberately built in are listed in ``sample_data/README.md``.

Output is a pure function of ``(seed, scale)``: randomness comes only from
``numpy.random.default_rng(seed)`` and every timestamp lies in a fixed window
(2026-01-05 to 2026-03-15 UTC), never depending on today's date. Local times
(office hours, daily rhythms) use fixed UTC offsets; the three IANA zones chosen
have had no offset change or daylight saving for years, so the offsets agree
with any tz database.

Usage::

    python -m govwatch.sample_data.generate --out sample_data/small            # committed copy
    python -m govwatch.sample_data.generate --out /tmp/big --scale 10 --seed 7

or from Python::

    from govwatch.sample_data.generate import generate, write
    frames = generate()              # {"accounts": ..., "posts": ..., "events": ...}
    write("out_dir")
"""

from __future__ import annotations

import argparse
import calendar
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_SEED = 20260105

ACCOUNT_COLUMNS = [
    "platform", "author", "institution", "country", "level",
    "timezone", "office_hours", "display_name", "institution_type",
]
POST_COLUMNS = [
    "platform", "post_id", "author", "created_at", "text",
    "in_reply_to_post_id", "in_reply_to_author", "conversation_id",
    "lang", "url", "like_count", "share_count", "reply_count",
]
EVENT_COLUMNS = ["event_id", "name", "onset", "keywords", "critical", "country", "accounts"]

FILES = {"accounts": "accounts.csv", "posts": "posts.csv", "events": "events.csv"}


def _parse_ts(text: str) -> int:
    """'2026-01-05T00:00:00Z' -> Unix seconds (UTC)."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def _iso(ts: int) -> str:
    """Unix seconds -> ISO 8601 UTC with Z, second precision."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


WINDOW_START = _parse_ts("2026-01-05T00:00:00Z")
WINDOW_END = _parse_ts("2026-03-16T00:00:00Z")  # exclusive: last day is 2026-03-15
WINDOW_DAYS = (WINDOW_END - WINDOW_START) // 86400
DAY = 86400
HOUR = 3600
X_EPOCH_MS = 1288834974657  # snowflake epoch, so X ids look (and sort) like real ones

# Relative activity per local hour (0..23).
CITIZEN_HOURS = (1, .6, .4, .3, .3, .5, 1, 2, 3.5, 4.5, 5, 5, 4.5, 4.5, 4.5, 4.5,
                 4.5, 5, 5.5, 6, 6, 5.5, 4, 2)
OFFICIAL_HOURS = (.1, .05, .05, .05, .05, .1, .3, .8, 2, 4, 5, 5, 4, 3.5, 4, 4,
                  3.5, 3, 2.5, 2, 1.5, 1, .5, .2)


# ---------------------------------------------------------------------------
# Fictional countries
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Country:
    code: str
    name: str
    short: str
    timezone: str
    utc_offset: int  # seconds; the zone has a constant offset
    langs: tuple[tuple[str, float], ...]
    places: tuple[str, ...]
    stations: tuple[str, ...]
    roads: tuple[str, ...]
    schemes: tuple[str, ...]
    occasions: tuple[str, ...]
    helplines: tuple[str, ...]
    offices: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    currency: str  # "rs" | "rp" | "tenge": how {amount} is written


COUNTRIES: dict[str, Country] = {c.code: c for c in (
    Country(
        "XA", "Republic of Avalor", "Avalor", "Asia/Kolkata", 19800,
        (("en", .85), ("hi", .15)),
        ("Amberganj", "Lotusgarh", "Kestrel City", "Northvale", "Sonakhet",
         "Bhairavi Nagar", "Meghpur", "Tarabad"),
        ("Kestrel Central", "Amberganj Jn", "Lotusgarh", "Northvale Cantt",
         "Meghpur Road", "Tarabad Jn"),
        ("Highway 14", "Ring Road", "Station Road", "Canal Road"),
        ("Avalor Health Card", "Awas Plus housing scheme", "Smart Ration Card",
         "Kisan Sahay grant"),
        ("Founders' Day", "Harvest Festival", "Republic Day", "National Youth Day"),
        ("1800-200-4455", "1950", "1800-11-2040"),
        ("transport", "land records", "municipal", "tehsil"),
        ("ravi", "priya", "amit", "sunita", "rahul", "neha", "vikram", "anjali",
         "arjun", "kavya", "sanjay", "pooja", "deepak", "meena", "rohit", "asha"),
        ("sharma", "singh", "verma", "gupta", "yadav", "patel", "kumar", "reddy",
         "nair", "joshi", "das", "mishra"),
        "rs",
    ),
    Country(
        "XB", "Federation of Belmora", "Belmora", "Asia/Jakarta", 25200,
        (("en", .8), ("id", .2)),
        ("Teluk Serai", "Bukit Lestra", "Rawa Indah", "Tanjung Melati", "Port Marin",
         "Sungai Biru", "Kampung Pelita"),
        ("Port Marin Terminal", "Teluk Serai Terminal", "Bukit Lestra Station"),
        ("Jalan Pelabuhan", "Coastal Highway", "Jalan Kenari"),
        ("Kartu Sehat Belmora", "BelmoraPay subsidy", "Rumah Layak housing grant",
         "e-ID renewal portal"),
        ("Unity Day", "Maritime Day", "Independence Day"),
        ("1-500-733", "0800-1-234-567"),
        ("civil registry", "land", "tax", "village"),
        ("budi", "sari", "agus", "dewi", "rina", "andi", "wahyu", "putri", "eko",
         "fitri", "hendra", "yuni"),
        ("santoso", "wijaya", "saputra", "lestari", "hidayat", "pratama", "nugroho",
         "kurniawan", "siregar", "rahman"),
        "rp",
    ),
    Country(
        "XC", "Cordania", "Cordania", "Asia/Bishkek", 21600,
        (("en", .7), ("ru", .22), ("kk", .08)),
        ("Tarkent", "Sarybel", "Ostrova", "Akdala", "Kamenny Log", "Zhelkent"),
        ("Tarkent-1", "Sarybel", "Ostrova Central"),
        ("Tarkent-Sarybel highway", "Lake Avenue", "Station Street"),
        ("e-Cordania portal", "heating subsidy", "Family Card programme"),
        ("Spring Day", "Day of Unity", "Constitution Day"),
        ("1560", "8-800-555-0190"),
        ("housing", "migration", "public services"),
        ("aidos", "dana", "yerlan", "aigerim", "nurlan", "madina", "sergei", "olga",
         "arman", "zhanna", "timur", "irina"),
        ("ivanov", "bekov", "sultanova", "petrova", "nurlanov", "akhmetov", "kim",
         "smagulov", "orlova"),
        "tenge",
    ),
)}


# ---------------------------------------------------------------------------
# Official accounts and how they respond
# ---------------------------------------------------------------------------

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class OfficeHours:
    first_day: int  # 0 = Monday
    last_day: int
    start_min: int
    end_min: int

    def __str__(self) -> str:
        def hm(m: int) -> str:
            return f"{m // 60:02d}:{m % 60:02d}"
        days = f"{_DAY_NAMES[self.first_day]}-{_DAY_NAMES[self.last_day]}"
        return f"{days} {hm(self.start_min)}-{hm(self.end_min)}"

    def is_open(self, ts: int, offset: int) -> bool:
        local = ts + offset
        weekday = (local // DAY + 3) % 7  # 1970-01-01 was a Thursday
        minute = (local % DAY) // 60
        return (self.first_day <= weekday <= self.last_day
                and self.start_min <= minute < self.end_min)

    def next_open(self, ts: int, offset: int) -> int:
        """First opening time at or after ts (UTC seconds)."""
        local_day = (ts + offset) // DAY
        for k in range(8):
            day = local_day + k
            if self.first_day <= (day + 3) % 7 <= self.last_day:
                opening = day * DAY + self.start_min * 60 - offset
                if opening >= ts:
                    return opening
        raise AssertionError("office hours never open")  # pragma: no cover


def _hours(text: str) -> OfficeHours:
    """'Mon-Fri 09:00-17:00' -> OfficeHours (only this simple form is used here)."""
    days, times = text.split()
    d1, d2 = days.split("-")
    t1, t2 = times.split("-")
    def minutes(t: str) -> int:
        return int(t[:2]) * 60 + int(t[3:])
    return OfficeHours(_DAY_NAMES.index(d1), _DAY_NAMES.index(d2), minutes(t1), minutes(t2))


@dataclass(frozen=True)
class Profile:
    """How an account answers: (answer probability, median latency in minutes,
    lognormal sigma) for routine and for critical messages."""

    routine: tuple[float, float, float]
    critical: tuple[float, float, float]
    deflect: float = 0.1       # share of answers that only deflect ("DM us", "call the helpline")
    office_bias: float = 0.7   # chance an answer due outside office hours waits for opening


@dataclass(frozen=True)
class Account:
    platform: str
    author: str
    institution: str
    country: str
    level: str
    domain: str               # selects message kinds and post templates
    office: OfficeHours | None
    profile: Profile
    posts_per_day: float
    weight: float             # share of citizen attention
    reach: float              # typical likes on its posts
    local_share: float = 0.0  # share of its own posts in the local language
    page_id: str = ""         # facebook page id

    @property
    def display_name(self) -> str:
        return f"{self.institution} ({COUNTRIES[self.country].short})"

    @property
    def office_hours(self) -> str:
        return "" if self.office is None else str(self.office)


ACCOUNTS: tuple[Account, ...] = (
    # Avalor: the railways answer diapers within the hour and ignore derailments;
    # the Prime Minister's office barely answers anyone.
    Account("x", "avalor_railways", "Ministry of Railways", "XA", "national", "rail",
            office=None, profile=Profile((.92, 20, .9), (.07, 600, 1.2), deflect=.2),
            posts_per_day=4.0, weight=3.0, reach=400),
    Account("x", "avalor_health", "Ministry of Health", "XA", "national", "health",
            office=_hours("Mon-Fri 09:30-18:00"), profile=Profile((.6, 300, 1.0), (.85, 90, .9)),
            posts_per_day=2.0, weight=1.2, reach=200),
    Account("x", "avalor_pmo", "Office of the Prime Minister", "XA", "national", "head",
            office=None, profile=Profile((.02, 2000, 1.0), (.03, 2500, 1.0), deflect=.5),
            posts_per_day=3.0, weight=2.0, reach=1500, local_share=.1),
    Account("x", "avalor_interior", "Ministry of Interior", "XA", "national", "interior",
            office=_hours("Mon-Fri 10:00-17:30"), profile=Profile((.25, 600, 1.1), (.3, 400, 1.2)),
            posts_per_day=1.5, weight=1.0, reach=150),
    Account("x", "northvale_state", "Government of Northvale State", "XA", "state", "head",
            office=_hours("Mon-Sat 10:00-17:00"), profile=Profile((.3, 240, 1.0), (.4, 180, 1.0)),
            posts_per_day=2.0, weight=.8, reach=120),
    Account("facebook", "KestrelCityCorp", "Kestrel City Municipal Corporation", "XA", "local",
            "city", office=_hours("Mon-Sat 09:00-17:00"),
            profile=Profile((.45, 180, 1.0), (.3, 720, 1.1)),
            posts_per_day=1.2, weight=.7, reach=60, page_id="100064812300101"),
    # Belmora: transport answers routine complaints fast but not critical reports.
    Account("x", "belmora_transport", "Ministry of Transport", "XB", "national", "transport",
            office=_hours("Mon-Fri 08:00-16:00"), profile=Profile((.9, 40, .8), (.1, 900, 1.2)),
            posts_per_day=2.5, weight=1.6, reach=150, local_share=.25),
    Account("x", "belmora_water", "Ministry of Water Resources", "XB", "national", "water",
            office=_hours("Mon-Fri 08:00-16:00"), profile=Profile((.4, 200, 1.0), (.6, 120, 1.0)),
            posts_per_day=1.5, weight=1.0, reach=90, local_share=.25),
    Account("x", "sundara_prov", "Sundara Provincial Government", "XB", "state", "head",
            office=_hours("Mon-Fri 08:00-16:00"), profile=Profile((.2, 700, 1.1), (.25, 900, 1.1)),
            posts_per_day=1.5, weight=.6, reach=60, local_share=.3),
    Account("facebook", "PortMarinCity", "Port Marin City Government", "XB", "local", "city",
            office=_hours("Mon-Fri 08:00-15:30"), profile=Profile((.7, 240, 1.0), (.6, 300, 1.0)),
            posts_per_day=1.0, weight=.6, reach=50, local_share=.4, page_id="100071234500202"),
    # Cordania: the head of government barely answers anything; emergencies answer critical fast.
    Account("x", "cordania_gov", "Office of the Head of Government", "XC", "national", "head",
            office=_hours("Mon-Fri 09:00-18:00"),
            profile=Profile((.01, 3000, 1.0), (.02, 3000, 1.0), deflect=.6),
            posts_per_day=2.0, weight=1.0, reach=300, local_share=.3),
    Account("x", "cordania_emergency", "Ministry of Emergency Situations", "XC", "national",
            "emergency", office=None, profile=Profile((.55, 300, 1.0), (.9, 45, .9)),
            posts_per_day=2.0, weight=.8, reach=200, local_share=.3),
    Account("facebook", "VerenaskCityAdmin", "Verenask City Administration", "XC", "local",
            "city", office=_hours("Mon-Fri 09:00-18:00"),
            profile=Profile((.35, 360, 1.0), (.2, 1440, 1.1)),
            posts_per_day=1.0, weight=.5, reach=40, local_share=.4, page_id="100089876500303"),
    # Peers, so that benchmarks have groups to rank in: eight more national ministries
    # of Avalor (twelve in all), five more city halls of Avalor (six) and four of
    # Belmora (five). They answer anywhere from well to hardly at all; several are
    # close enough that their ranks cannot be told apart.
    Account("x", "avalor_roads", "Ministry of Road Transport and Highways", "XA", "national",
            "transport", office=_hours("Mon-Fri 09:30-18:00"),
            profile=Profile((.7, 120, 1.0), (.5, 300, 1.0)),
            posts_per_day=1.5, weight=.8, reach=120),
    Account("x", "avalor_water", "Ministry of Water Resources", "XA", "national", "water",
            office=_hours("Mon-Fri 09:30-18:00"), profile=Profile((.5, 240, 1.0), (.55, 200, 1.0)),
            posts_per_day=1.0, weight=.6, reach=80),
    Account("x", "avalor_ndma", "National Disaster Management Authority", "XA", "national",
            "emergency", office=None, profile=Profile((.5, 200, 1.0), (.85, 60, .9)),
            posts_per_day=1.5, weight=.6, reach=150),
    Account("x", "avalor_family", "Ministry of Family Welfare", "XA", "national", "health",
            office=_hours("Mon-Fri 09:30-18:00"), profile=Profile((.45, 400, 1.0), (.6, 180, 1.0)),
            posts_per_day=1.0, weight=.6, reach=90),
    Account("x", "avalor_urban", "Ministry of Housing and Urban Affairs", "XA", "national",
            "city", office=_hours("Mon-Fri 09:30-18:00"),
            profile=Profile((.35, 500, 1.1), (.3, 600, 1.1)),
            posts_per_day=1.0, weight=.5, reach=70),
    Account("x", "avalor_external", "Ministry of External Affairs", "XA", "national",
            "interior", office=_hours("Mon-Fri 09:00-17:30"),
            profile=Profile((.75, 90, .9), (.6, 120, 1.0)),
            posts_per_day=1.5, weight=.8, reach=200),
    Account("x", "avalor_aviation", "Ministry of Civil Aviation", "XA", "national", "transport",
            office=None, profile=Profile((.8, 60, .9), (.4, 400, 1.1)),
            posts_per_day=1.2, weight=.6, reach=110),
    Account("x", "avalor_rural", "Ministry of Rural Development", "XA", "national", "head",
            office=_hours("Mon-Fri 10:00-17:30"), profile=Profile((.15, 900, 1.1), (.2, 800, 1.1)),
            posts_per_day=1.0, weight=.5, reach=60, local_share=.2),
    Account("facebook", "AmberganjMC", "Amberganj Municipal Council", "XA", "local", "city",
            office=_hours("Mon-Sat 09:00-17:00"), profile=Profile((.6, 200, 1.0), (.5, 300, 1.0)),
            posts_per_day=.8, weight=.5, reach=40, page_id="100064812300111"),
    Account("facebook", "LotusgarhCity", "Lotusgarh City Corporation", "XA", "local", "city",
            office=_hours("Mon-Sat 09:30-17:30"), profile=Profile((.3, 500, 1.1), (.25, 900, 1.1)),
            posts_per_day=.8, weight=.5, reach=40, page_id="100064812300121"),
    Account("facebook", "MeghpurCorp", "Meghpur Municipal Corporation", "XA", "local", "city",
            office=_hours("Mon-Fri 10:00-17:00"), profile=Profile((.55, 240, 1.0), (.6, 240, 1.0)),
            posts_per_day=.8, weight=.5, reach=35, page_id="100064812300131"),
    Account("facebook", "TarabadCity", "Tarabad City Council", "XA", "local", "city",
            office=_hours("Mon-Sat 09:00-17:00"), profile=Profile((.1, 1200, 1.1), (.1, 1500, 1.1)),
            posts_per_day=.6, weight=.4, reach=25, page_id="100064812300141"),
    Account("facebook", "NorthvaleMC", "Northvale Municipal Council", "XA", "local", "city",
            office=_hours("Mon-Fri 09:30-17:30"), profile=Profile((.5, 300, 1.0), (.45, 360, 1.0)),
            posts_per_day=.8, weight=.5, reach=30, page_id="100064812300151"),
    Account("facebook", "TelukSeraiKota", "Teluk Serai City Government", "XB", "local", "city",
            office=_hours("Mon-Fri 08:00-15:30"), profile=Profile((.55, 240, 1.0), (.5, 300, 1.0)),
            posts_per_day=.8, weight=.5, reach=40, local_share=.4, page_id="100071234500212"),
    Account("facebook", "BukitLestraKota", "Bukit Lestra City Government", "XB", "local", "city",
            office=_hours("Mon-Fri 08:00-15:30"), profile=Profile((.25, 600, 1.1), (.2, 900, 1.1)),
            posts_per_day=.7, weight=.4, reach=30, local_share=.4, page_id="100071234500222"),
    Account("facebook", "RawaIndahKota", "Rawa Indah City Government", "XB", "local", "city",
            office=_hours("Mon-Fri 08:00-15:30"), profile=Profile((.65, 180, 1.0), (.55, 240, 1.0)),
            posts_per_day=.7, weight=.4, reach=30, local_share=.4, page_id="100071234500232"),
    Account("facebook", "SungaiBiruKota", "Sungai Biru Town Government", "XB", "local", "city",
            office=_hours("Mon-Fri 08:00-15:30"), profile=Profile((.4, 360, 1.0), (.35, 480, 1.0)),
            posts_per_day=.6, weight=.4, reach=25, local_share=.4, page_id="100071234500242"),
)
ACCOUNT_BY_HANDLE = {a.author: a for a in ACCOUNTS}

# The institution type of each account (the accounts CSV's optional institution_type,
# for peer groups by type: analyze --peers type). Written as people write it; govwatch
# normalises it. The twelve city halls of the three countries make one group of peers.
INSTITUTION_TYPES = {
    "avalor_pmo": "Head of Government", "cordania_gov": "Head of Government",
    "northvale_state": "State Government", "sundara_prov": "State Government",
    "avalor_railways": "Transport Ministry", "avalor_roads": "Transport Ministry",
    "avalor_aviation": "Transport Ministry", "belmora_transport": "Transport Ministry",
    "avalor_health": "Health Ministry", "avalor_family": "Health Ministry",
    "avalor_water": "Water Ministry", "belmora_water": "Water Ministry",
    "avalor_ndma": "Emergency Agency", "cordania_emergency": "Emergency Agency",
    "avalor_interior": "Ministry", "avalor_external": "Ministry", "avalor_urban": "Ministry",
    "avalor_rural": "Ministry",
    **{a.author: "City Hall" for a in ACCOUNTS if a.level == "local"},
}


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    event_id: str
    name: str
    onset: str
    keywords: tuple[str, ...]
    critical: bool
    country: str
    volume: int                       # citizen posts at scale 1.0
    decay_hours: float                # attention decays exponentially after onset
    targets: dict[str, float]         # official handle -> weight of messages addressed to it
    official_delays: dict[str, float | None]  # hours after onset an account posts; None = never
    citizen_bodies: dict[str, tuple[str, ...]]  # lang -> templates
    official_bodies: dict[str, tuple[str, ...]]  # lang -> first official statements
    official_updates: tuple[str, ...] = ()      # English follow-up statements a day or two later
    addressed_share: float = .65


EVENTS: tuple[Event, ...] = (
    Event(
        "ev01", "Kestrel Express derailment near Dhoravali", "2026-01-22T03:10:00Z",
        ("derailment", "derailed", "kestrel express", "kestrelexpress", "dhoravali"),
        True, "XA", 340, 20,
        {"avalor_railways": 5, "avalor_pmo": 2, "northvale_state": 1, "avalor_health": .7},
        {"northvale_state": 2.5, "avalor_railways": 9.5, "avalor_health": 14,
         "avalor_pmo": 31, "avalor_interior": None, "KestrelCityCorp": None},
        {"en": (
            "Kestrel Express derailed near Dhoravali, several coaches overturned. Send help!! #KestrelExpress",
            "My brother was on the derailed Kestrel Express, no info on the injured. Helpline not answering 😭",
            "{elapsed} hours since the derailment and still no word. #KestrelExpress",
            "Villagers near Dhoravali pulling people out of derailed coaches. Where are the ambulances?",
            "Derailment at Dhoravali: blood donors needed at the district hospital, O+ and B+ #KestrelExpress",
            "Is the line past Dhoravali closed after the derailment? Stuck at {station} with family.",
            "Third derailment this year. Who will take responsibility? #KestrelExpress",
        ), "hi": (
            "Dhoravali ke paas Kestrel Express patri se utar gayi, bahut log ghayal hain 🙏 #KestrelExpress",
            "हादसे के {elapsed} घंटे बाद भी कोई जवाब नहीं! #KestrelExpress",
        )},
        {"en": (
            "State control room activated after the Kestrel Express derailment near Dhoravali. Helpline {helpline} #KestrelExpress",
            "Deeply saddened by the derailment of the Kestrel Express near Dhoravali. Rescue teams are on site. Helpline {helpline} #KestrelExpress",
            "Medical teams deployed to Dhoravali after the Kestrel Express derailment. Blood donation camps open.",
            "Our thoughts are with the families affected by the Kestrel Express derailment. All help is being provided.",
        )},
        ("Update on the Kestrel Express derailment: injured passengers shifted to hospitals, ex-gratia announced. #KestrelExpress",
         "Track restored at Dhoravali after the derailment; services resume from tomorrow. #KestrelExpress"),
    ),
    Event(
        "ev02", "Sundara River floods", "2026-02-03T19:00:00Z",
        ("flood", "floods", "flooding", "banjir", "sundara river", "sundarafloods"),
        True, "XB", 300, 30,
        {"belmora_water": 3, "sundara_prov": 3, "PortMarinCity": 2, "belmora_transport": 1},
        {"PortMarinCity": 3, "sundara_prov": 5, "belmora_water": 20, "belmora_transport": None},
        {"en": (
            "Flood water is chest-deep in {place}, families stuck on rooftops, no boats yet 🆘 #SundaraFloods",
            "The Sundara River has burst its banks, the whole village is flooded. Send rescue! #SundaraFloods",
            "{elapsed} hours into the floods and no evacuation centre open near {place}. #SundaraFloods",
            "Need drinking water and food in the flood shelter at {place}. Kids are hungry. #SundaraFloods",
            "Roads to {place} cut off by the floods, ambulances cannot reach. #SundaraFloods",
        ), "id": (
            "Banjir di {place} makin tinggi, warga terjebak di atap! Mohon kirim perahu 🆘 #SundaraFloods",
            "Sudah {elapsed} jam banjir, bantuan belum datang sama sekali. #SundaraFloods",
        )},
        {"en": (
            "Flood alert: the Sundara River has crossed the danger mark. Evacuation centres open in {place}. #SundaraFloods",
            "Rescue boats deployed in flooded areas of {place}. Stay on higher ground. #SundaraFloods",
        ), "id": (
            "Banjir Sungai Sundara: posko pengungsian dibuka di {place}. Darurat: {helpline} #SundaraFloods",
        )},
        ("Relief supplies dispatched to flood-affected villages. Emergency line {helpline}. #SundaraFloods",),
    ),
    Event(
        "ev03", "Communal clash in Ravipur", "2026-02-17T14:20:00Z",
        ("clash", "clashes", "curfew", "ravipur", "ravipurviolence"),
        True, "XA", 220, 24,
        {"avalor_interior": 3, "avalor_pmo": 3, "northvale_state": 2},
        {"northvale_state": 18, "avalor_interior": 52, "avalor_pmo": None},
        {"en": (
            "Communal clash in Ravipur, shops set on fire near the old market. Police outnumbered!! #RavipurViolence",
            "Stones thrown in the Ravipur clashes, my family is locked inside. PLEASE SEND POLICE #RavipurViolence",
            "Curfew in Ravipur but no milk for the kids. What should we do? #RavipurViolence",
            "Fake videos about the Ravipur clash are spreading. Please issue a clarification.",
            "{elapsed} hours after the Ravipur clashes, not a single word from the government. #RavipurViolence",
        ), "hi": (
            "Ravipur mein danga ho raha hai, police kahan hai?? #RavipurViolence",
            "रविपुर में हिंसा, कर्फ्यू में बच्चों के लिए दूध नहीं मिल रहा #RavipurViolence",
        )},
        {"en": (
            "Appeal for peace in Ravipur. Additional forces deployed, curfew in force. Do not believe rumours. #RavipurViolence",
            "Following the clashes in Ravipur, peace committees are meeting today. Please maintain calm.",
        )},
        ("Situation in Ravipur under control after the clashes. Strict action against the culprits.",),
    ),
    Event(
        "ev04", "Verenask contaminated-water outbreak", "2026-02-26T05:30:00Z",
        ("contaminated water", "outbreak", "verenask", "verenaskwater"),
        True, "XC", 150, 36,
        {"VerenaskCityAdmin": 3, "cordania_emergency": 2, "cordania_gov": 2},
        {"VerenaskCityAdmin": 8, "cordania_emergency": 26, "cordania_gov": None},
        {"en": (
            "Dozens of children in Verenask hospital vomiting after drinking tap water. Contaminated water?? #VerenaskWater",
            "Outbreak in Verenask: the tap water is brown and smells. Why no warning? #VerenaskWater",
            "Whole family sick since yesterday, doctors say it is the contaminated water. #VerenaskWater",
            "Pharmacies in Verenask out of rehydration salts. The outbreak is spreading! #VerenaskWater",
        ), "ru": (
            "В Веренаске массовое отравление водой, дети в больнице! #VerenaskWater",
            "Из крана идёт грязная вода уже {elapsed} часов, никто не отвечает #VerenaskWater",
        ), "kk": (
            "Веренаскіде су ластанған, балалар ауруханада! #VerenaskWater",
        )},
        {"en": (
            "Boil-water advisory for Verenask: do not drink tap water until further notice. Medical camps open. #VerenaskWater",
        ), "ru": (
            "Внимание! В Веренаске не пейте воду из-под крана до отдельного уведомления. #VerenaskWater",
        )},
        ("Update on the Verenask outbreak: water samples sent for testing, bottled water being distributed. #VerenaskWater",),
    ),
    Event(
        "ev05", "Lantern Festival", "2026-03-03T12:30:00Z",
        ("lantern festival", "lanternfest"),
        False, "XA", 100, 10,
        {"KestrelCityCorp": 2, "avalor_railways": 2, "avalor_pmo": 1},
        {"avalor_railways": -26, "avalor_pmo": -4, "KestrelCityCorp": 1},
        {"en": (
            "Lantern Festival lights at the Kestrel riverfront look amazing ✨ #LanternFest",
            "Heavy traffic near the riverfront for the Lantern Festival, please send traffic police. #LanternFest",
            "Any special trains for the Lantern Festival? #LanternFest",
            "Happy Lantern Festival everyone! 🏮 #LanternFest",
        ), "hi": (
            "Lantern Festival ki shubhkamnayein 🏮 #LanternFest",
        )},
        {"en": (
            "Warm greetings to everyone on the Lantern Festival! 🏮 #LanternFest",
            "Special trains for the Lantern Festival will run from Kestrel Central. #LanternFest",
            "Traffic advisory for the Lantern Festival at the riverfront. #LanternFest",
        )},
        (),
        addressed_share=.5,
    ),
)


# ---------------------------------------------------------------------------
# Text templates (bodies; the @mention is added separately)
# ---------------------------------------------------------------------------

ROUTINE_TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "refund": {
        "en": ("Ticket cancelled on {past_date} but the refund of {amount} is still not credited. PNR {pnr}.",
               "It has been {days} days and no refund for my cancelled ticket. PNR {pnr}.",
               "Why does a refund take {days} days? Money deducted twice for PNR {pnr}."),
        "hi": ("refund abhi tak nahi aaya, PNR {pnr}. {days} din ho gaye, kab milega?",
               "टिकट कैंसिल किए {days} दिन हो गए, रिफंड अभी तक नहीं आया। PNR {pnr}"),
    },
    "ticket": {
        "en": ("Money deducted ({amount}) but no ticket booked. Transaction {txn}.",
               "Booking page keeps crashing at 10 am every day. Fix the app please.",
               "Can I change the boarding station on PNR {pnr} online?"),
    },
    "delay": {
        "en": ("Train {train} running {hours} hours late and no announcement at {station}.",
               "Train {train} stuck outside {station} for {hours} hours. No water, no info.",
               "Train {train} is late every single day at {station}. Any plan to fix this?"),
        "hi": ("train {train} {hours} ghante late hai, {station} par koi announcement nahi.",
               "ट्रेन {train} {hours} घंटे से लेट है, कोई जानकारी नहीं दी जा रही।"),
    },
    "dirty_coach": {
        "en": ("Coach {coach} of train {train} is filthy, toilets not cleaned since morning.",
               "No water in the toilets of coach {coach}, train {train}. Is this what we pay for?",
               "Cockroaches in the pantry of train {train} 🤢 coach {coach}."),
        "hi": ("coach {coach} train {train} mein bahut gandagi hai, toilet saaf nahi hua.",),
    },
    "baby_care": {
        "en": ("Travelling with an 8 month old in train {train}, coach {coach}. Need diapers and baby food at {station}. Please help 🙏",
               "My baby needs milk urgently, train {train} coach {coach}, reaching {station} in an hour.",
               "Diapers and baby food needed for my daughter in coach {coach} of train {train}. Please arrange at {station}."),
        "hi": ("bachche ke liye doodh aur diaper chahiye, train {train} coach {coach}. {station} par madad karein 🙏",),
    },
    "water_bill": {
        "en": ("My water bill for {month} is {amount}, five times the usual. Consumer no {acct}.",
               "Paid the water bill online but it still shows pending. Consumer no {acct}."),
        "id": ("Tagihan air bulan {month} naik jadi {amount}, mohon dicek. No pelanggan {acct}.",),
    },
    "water_supply": {
        "en": ("No water supply in {place} for {days} days. Tankers not coming either.",
               "Very low water pressure in {place} every morning. Please check the pipeline.",
               "Water supply timings in {place} changed without notice. What is the new schedule?"),
        "hi": ("{place} mein {days} din se paani nahi aa raha.",),
        "id": ("Air mati sudah {days} hari di {place}, tolong ditindaklanjuti.",),
        "ru": ("В {place} уже {days} дней нет воды. Когда починят?",),
        "kk": ("{place} ауданында {days} күн су жоқ, көмектесіңіздер.",),
    },
    "garbage": {
        "en": ("Garbage not collected in {place} for {days} days, the smell is unbearable.",
               "Overflowing garbage bins near {place} market. Stray dogs everywhere."),
        "id": ("Sampah di {place} belum diangkut {days} hari, baunya luar biasa.",),
        "ru": ("Мусор в {place} не вывозят уже {days} дней.",),
    },
    "pothole": {
        "en": ("Huge potholes on {road} near {place}. Two-wheelers fall every day.",
               "{road} has been dug up for {days} days and left like that. When will it be repaired?"),
        "id": ("Jalan di {place} rusak parah, sudah banyak yang jatuh. Kapan diperbaiki?",),
        "ru": ("На {road} огромные ямы, когда будет ремонт?",),
    },
    "streetlight": {
        "en": ("Street lights on {road} in {place} not working for {days} days. Unsafe at night.",
               "Street lights off in {place} again. Complaint {ref} closed without any work."),
    },
    "hospital": {
        "en": ("No doctor at the {place} health centre since morning. Patients waiting outside.",
               "My mother's appointment at {place} district hospital was cancelled twice. Ref {ref}.",
               "How long to wait for an MRI at {place} hospital? They say {days} weeks!"),
        "hi": ("{place} ke sarkari aspatal mein subah se koi doctor nahi hai.",),
    },
    "medicine": {
        "en": ("Insulin not available at the government pharmacy in {place} for {days} days.",
               "Free medicines under {scheme} are always out of stock in {place}."),
    },
    "passport": {
        "en": ("Police verification for my passport pending for {days} days. File {ref}.",
               "Passport appointment slots in {place} are full for the next {days} weeks."),
        "ru": ("Мой паспорт не готов уже {days} дней, заявка {ref}.",),
    },
    "police_complaint": {
        "en": ("The police station in {place} refused to register my theft complaint. What should I do?",
               "My phone was stolen in {place} {days} days ago, no update on complaint {ref}."),
        "hi": ("{place} thane mein meri shikayat darj nahi ki gayi.",),
    },
    "bus": {
        "en": ("Bus route {route} to {place} did not come for {hours} hours this morning.",
               "Buses on route {route} are overcrowded and the driver skips the {place} stop."),
        "id": ("Bus jurusan {place} terlambat {hours} jam, tidak ada informasi sama sekali.",),
        "ru": ("Автобус №{route} не ходит с утра, люди мёрзнут на остановке.",),
    },
    "licence": {
        "en": ("Driving licence renewal stuck for {days} days. Application {ref}.",
               "The online licence test slot booking is not working since {past_date}."),
        "id": ("Perpanjangan SIM saya tertunda {days} hari. Nomor {ref}.",),
    },
    "pension": {
        "en": ("My father's pension has not been credited for {month}. He is 78 years old.",
               "Applied for {scheme} {days} days ago, status still 'under process'. Ref {ref}."),
        "hi": ("{scheme} ka paisa {month} se nahi aaya, kripya dekhiye.",),
        "id": ("Bantuan {scheme} belum cair sejak {month}. Mohon dibantu.",),
        "ru": ("Пенсия за {month} не пришла. Куда обращаться?",),
    },
    "heating": {
        "en": ("No heating in our building in {place} for {days} days, it is minus twenty outside!",
               "Power cuts every evening in {place}. Old people are freezing."),
        "ru": ("В {place} нет отопления {days} дней, на улице минус двадцать!",),
        "kk": ("{place} қаласында {days} күннен бері жылу жоқ.",),
    },
    "question": {
        "en": ("What documents are needed for {scheme}?",
               "When will the {scheme} portal open again?",
               "Is the helpline working on Sundays?",
               "How can I track my application {ref}?",
               "Is there an official email for complaints?"),
        "hi": ("{scheme} ke liye kaun se documents chahiye?",),
        "id": ("Bagaimana cara daftar {scheme}?",),
        "ru": ("Какие документы нужны для {scheme}?",),
        "kk": ("{scheme} үшін қандай құжаттар керек?",),
    },
    "praise": {
        "en": ("Thank you for the quick help at {place}, the staff were very kind 👏",
               "Great initiative on {scheme}. Keep it up!",
               "Complaint {ref} resolved within a day. Impressed! 👍",
               "Thanks for the update, very useful."),
        "hi": ("bahut bahut dhanyavaad, turant madad mili 🙏",),
        "id": ("Terima kasih atas respon cepatnya 🙏",),
        "ru": ("Спасибо за быструю помощь!",),
        "kk": ("Рақмет, тез көмектестіңіздер!",),
    },
    "chatter": {
        "en": ("Good morning sir 🙏", "Who runs this account? 😂", "Please follow back",
               "When is the next press conference?", "👍👍", "Nice picture!", "Happy {occasion}!"),
        "hi": ("jai ho 🙏", "सुप्रभात 🙏"),
        "id": ("Selamat pagi pak 🙏",),
        "ru": ("Доброе утро!",),
    },
}

CRITICAL_TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "violence": {
        "en": ("A mob attacked a shopkeeper in {place} market while police watched. PLEASE ACT!",
               "A man was lynched by a mob near {place} last night. Why is nobody arrested?",
               "Violence between two groups in {place}, houses set on fire. Send force now!",
               "Riot-like situation in {place}, people injured. Where is the police?"),
        "hi": ("{place} में दंगा हो रहा है, पुलिस कहाँ है? तुरंत कार्रवाई करें!",
               "{place} mein bheed ne ek aadmi ko peet peet kar maar diya, koi action nahi!"),
        "id": ("Bentrokan antarwarga di {place}, rumah dibakar! Mohon aparat segera datang.",),
        "ru": ("В {place} массовая драка, есть раненые, полиции нет!",),
    },
    "disaster": {
        "en": ("Flood water entered houses in {place}, families on rooftops, no rescue boats yet 🆘",
               "Landslide blocked the road to {place}, a bus is trapped under the debris!",
               "Cyclone warning issued but no evacuation of the coastal villages near {place}.",
               "Flash flood in {place}, the bridge road is under water. Need rescue!"),
        "id": ("Banjir setinggi dada di {place}, warga terjebak di atap, belum ada perahu evakuasi! 🆘",
               "Tanah longsor di {place}, jalan tertutup total."),
        "ru": ("В {place} паводок, дома затоплены, спасателей нет!",),
        "kk": ("{place} ауылын су басты, көмек керек!",),
    },
    "rail_accident": {
        "en": ("Goods train derailed near {station}, tracks blocked. Passengers stuck for hours, no information!",
               "Derailment of two coaches at {station} yard. Is anyone injured? Please update.",
               "Signal failure near {station} almost caused a collision today! Who is accountable?"),
        "hi": ("{station} ke paas maalgaadi patri se utar gayi, koi jaankari nahi.",),
    },
    "accident": {
        "en": ("Bridge collapse on {road} in {place}, vehicles fell into the river!",
               "Gas leak near the factory in {place}, people fainting. Send ambulances!!",
               "Bus accident on {road} near {place}, many injured, no ambulance for an hour.",
               "Part of an old building collapsed in {place}, people trapped inside!"),
        "hi": ("{place} mein gas leak, log behosh ho rahe hain! ambulance bhejo",),
        "id": ("Jembatan di {place} ambruk, beberapa kendaraan jatuh ke sungai!",),
        "ru": ("Обрушился мост в {place}, есть пострадавшие!",),
    },
    "public_health": {
        "en": ("Outbreak of diarrhoea in {place}, 40 children in hospital. The tap water is contaminated!",
               "Dengue cases rising in {place}, hospitals full and no fogging done.",
               "Contaminated water from the municipal supply in {place}, the whole street is sick.",
               "Cholera cases reported in {place}. Why is there no health camp?"),
        "hi": ("{place} में गंदा पानी आ रहा है, बच्चे बीमार हो रहे हैं।",),
        "id": ("Wabah diare di {place}, puluhan anak dirawat. Air PAM tercemar!",),
        "ru": ("В {place} из крана идёт грязная вода, у детей отравление!",),
        "kk": ("{place} ауылында лас су, балалар ауырып жатыр!",),
    },
    "protest": {
        "en": ("Police lathi-charged a peaceful protest of farmers in {place}. Shameful.",
               "Protesters blocking the highway at {place} for two days, unrest spreading.",
               "Students protest in {place} over an exam paper leak. Please talk to them!"),
        "id": ("Demo di {place} makin ricuh, aparat pakai gas air mata.",),
        "ru": ("В {place} митинг, задерживают людей. Что происходит?",),
    },
    "corruption": {
        "en": ("Officer at the {office} office in {place} demanding a bribe of {amount} for {service}. I have the recording.",
               "Corruption in {scheme} funds at {place}, contractors pocketing the money.",
               "Ticket checker took {amount} as a bribe without a receipt in train {train}!"),
        "hi": ("{place} ke daftar mein rishwat maangi ja rahi hai, {amount}. Sharam karo!",),
        "id": ("Petugas di kantor {office} {place} minta uang pelicin {amount}. Ini pungli!",),
        "ru": ("Чиновник в {place} требует взятку {amount} за справку.",),
    },
}

# Which kinds each kind of office hears about (relative weights).
DOMAIN_ROUTINE: dict[str, dict[str, float]] = {
    "rail": {"refund": 3, "ticket": 2, "delay": 4, "dirty_coach": 2, "baby_care": 1.5,
             "question": 2, "praise": 1.5, "chatter": 1},
    "health": {"hospital": 3, "medicine": 2, "question": 2, "praise": 1, "chatter": 1},
    "head": {"pension": 2, "pothole": 1, "water_supply": 1, "police_complaint": .5,
             "question": 2, "praise": 1.5, "chatter": 2},
    "interior": {"passport": 3, "police_complaint": 2, "question": 2, "praise": .7, "chatter": 1},
    "transport": {"bus": 3, "licence": 2, "pothole": 2, "question": 2, "praise": 1, "chatter": 1},
    "water": {"water_bill": 3, "water_supply": 3, "question": 1.5, "praise": .7, "chatter": .5},
    "city": {"garbage": 3, "pothole": 2.5, "streetlight": 1.5, "water_supply": 2,
             "question": 1.5, "praise": 1, "chatter": .7},
    "emergency": {"heating": 2, "question": 2, "praise": 1.5, "chatter": 1},
}
DOMAIN_CRITICAL: dict[str, dict[str, float]] = {
    "rail": {"rail_accident": 3, "violence": 1, "corruption": 1.5},
    "health": {"public_health": 3, "corruption": 1},
    "head": {"violence": 1, "disaster": 1, "protest": 1.5, "corruption": 1.5, "public_health": .5},
    "interior": {"violence": 2.5, "protest": 2, "corruption": 1},
    "transport": {"accident": 3, "corruption": 1.5, "protest": .5},
    "water": {"public_health": 2, "disaster": 2},
    "city": {"disaster": 1, "public_health": 1.5, "accident": 1.5, "corruption": 1},
    "emergency": {"disaster": 3, "accident": 2},
}
# Baseline citizen messages at scale 1.0, per unit of account weight.
MESSAGES_PER_WEIGHT = 142
DOMAIN_CRITICAL_SHARE = {"rail": .1, "interior": .2, "emergency": .3}
DEFAULT_CRITICAL_SHARE = .12

# Answer-probability and latency multipliers per message kind.
KIND_ANSWER_FACTOR = {"praise": .35, "chatter": .1, "question": .9, "baby_care": 1.15, "festival": .3}
KIND_SPEED_FACTOR = {"baby_care": .4, "delay": .7}
RAIL_ON_BOARD_KINDS = frozenset({"delay", "dirty_coach", "baby_care"})

ANGRY_SUFFIXES = (" Shameful!!", " WAKE UP 😡😡", " Is ANYONE listening???", " Disgusting.",
                  " 😤😤", " Pathetic service.", " Do your job!!", " #Shame")
CALM_SUFFIXES = (" Please look into it.", " Thanks in advance 🙏", " Kindly help.", " Regards.")
URGENT_SUFFIXES = (" 🆘", " URGENT!!", " Please share.", " Please help 🙏")

UNADDRESSED_CHATTER = {
    "en": ("Traffic in {place} is terrible today.", "Beautiful morning in {place} ☀️",
           "Anyone know if the {scheme} portal is down?", "Power cut again in {place} 🙄",
           "Vegetable prices in {place} have doubled this month.", "Happy {occasion} everyone!"),
    "hi": ("{place} mein aaj bahut traffic hai 🙄",),
    "id": ("Macet parah di {place} pagi ini.",),
    "ru": ("В {place} сегодня пробки.",),
    "kk": ("{place} қаласында бүгін кептеліс.",),
}

OFFICIAL_POSTS: dict[str, tuple[str, ...]] = {
    "rail": ("Train {train} will run with {n} additional coaches from {date} to clear the rush.",
             "Maintenance block near {station} on {date}; some services will be short-terminated.",
             "Book tickets on the Rail Sahayak app with zero convenience fee this month.",
             "Cleanliness drive completed at {station} station. 🚉"),
    "health": ("Free health check-up camps in {place} from {date}. Bring your ID card.",
               "Vaccination drive for children under 5 begins {date} at all health centres.",
               "Stay warm, stay safe: cold-wave precautions for the elderly."),
    "head": ("Chaired a review meeting on infrastructure projects in {place} today.",
             "Inaugurated the new {facility} in {place}. A proud moment for the people.",
             "Cabinet approves {scheme} to benefit {n}00,000 families."),
    "interior": ("Passport camps will be held in {place} on {date}.",
                 "Verify information before forwarding messages. Report rumours to {helpline}."),
    "transport": ("New bus route {route} to {place} starts {date}.",
                  "Repair works on {road} will cause diversions until {date}."),
    "water": ("Scheduled water supply interruption in {place} on {date}, 10:00-16:00.",
              "Reservoir levels are normal. Please use water wisely. 💧"),
    "city": ("Property tax can now be paid online. Last date {date}.",
             "Garbage collection timings revised in {place} ward from {date}.",
             "Road resurfacing on {road} this week. Please cooperate."),
    "emergency": ("Weather advisory: heavy snowfall expected in {place} tonight. Avoid travel.",
                  "Rescue teams held a training exercise in {place}."),
    "policy": ("New guidelines for {scheme} released. Applications open till {date}.",
               "{scheme}: {n},000 beneficiaries received support this month."),
    "greeting": ("Warm greetings to all citizens on {occasion}! 🎉",
                 "Wishing everyone a happy and safe {occasion}.",
                 "Our tributes to the frontline workers on {occasion}. 🙏"),
}
OFFICIAL_POSTS_LOCAL: dict[str, tuple[str, ...]] = {
    "hi": ("सभी नागरिकों को {occasion} की हार्दिक शुभकामनाएं! 🎉",),
    "id": ("Pengumuman: layanan {scheme} kini tersedia secara online.",
           "Selamat {occasion}! Semoga kita semua selalu sehat.",
           "Perbaikan jalan di {place} dimulai {date}."),
    "ru": ("Уважаемые жители! {date} в {place} пройдут плановые работы.",
           "Поздравляем всех с праздником {occasion}!",
           "Информация о программе {scheme} доступна на официальном сайте."),
}

REPLY_TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "complaint": {
        "en": ("We regret the inconvenience. Your complaint is registered (ref {ref}) and forwarded to the concerned team.",
               "Sorry to hear this. The concerned official at {place} has been informed.",
               "Noted. Staff have been directed to attend to this immediately."),
        "hi": ("असुविधा के लिए खेद है। संबंधित अधिकारी को सूचित कर दिया गया है।",),
        "id": ("Mohon maaf atas ketidaknyamanannya. Laporan Anda sudah kami teruskan ke petugas terkait.",),
        "ru": ("Спасибо за обращение. Информация передана в соответствующую службу.",),
        "kk": ("Өтінішіңіз үшін рақмет. Ақпарат тиісті қызметке жіберілді.",),
    },
    "rail": {
        "en": ("Sorry for the inconvenience. On-board staff have been informed and will attend to you shortly.",
               "The concerned staff at {station} have been alerted. Regret the inconvenience.",
               "Help is being arranged at {station}. Wishing you a comfortable journey."),
    },
    "question": {
        "en": ("Details are on our official portal. You may also call {helpline}.",
               "The portal is working again. Please try once more.",
               "Please carry a valid ID and address proof. Details on our website."),
        "id": ("Informasi lengkap tersedia di portal resmi kami.",),
        "ru": ("Подробная информация есть на нашем официальном сайте.",),
    },
    "thanks": {
        "en": ("Thank you for your kind words! 🙏", "Thank you. Happy to help.", "Thanks for your feedback 👍"),
        "hi": ("धन्यवाद 🙏",), "id": ("Terima kasih 🙏",), "ru": ("Спасибо!",), "kk": ("Рақмет!",),
    },
    "critical": {
        "en": ("We are aware of the situation in {place}. Teams have been dispatched and officials are on site.",
               "Local authorities have been alerted and are responding. Stay safe and call {helpline} for help.",
               "The matter has been taken up at the highest level. Strict action will follow.",
               "Relief teams are on their way. Please share your exact location by DM."),
        "id": ("Tim sudah dikirim ke lokasi. Tetap waspada dan hubungi {helpline}.",),
        "ru": ("Спасатели уже направлены на место. Телефон горячей линии {helpline}.",),
    },
    "deflect_rail": {
        "en": ("Please DM us your PNR and mobile number.",
               "Kindly share your PNR via DM for necessary action.",
               "Please DM your PNR and contact number."),
    },
    "deflect": {
        "en": ("Kindly contact the helpline {helpline}.",
               "Please register your grievance on the official portal with full details.",
               "Kindly DM us your contact details.",
               "Please approach the local office with your documents."),
        "hi": ("कृपया हेल्पलाइन {helpline} पर संपर्क करें।",),
        "id": ("Silakan hubungi call center {helpline}.",),
        "ru": ("Пожалуйста, обратитесь на горячую линию {helpline}.",),
        "kk": ("{helpline} нөміріне хабарласыңыз.",),
    },
    "update": {
        "en": ("Update: the issue you reported has been resolved. Thank you for your patience.",
               "Update: the team visited the site and action has been taken.",
               "Update: your case {ref} is now closed."),
    },
}

FOLLOW_UPS = {
    "deflect": ("Already sent the DM, no response since yesterday 😤", "Which helpline? Nobody picks up!",
                "I did. Nothing happened.", "Sent everything by DM. Still waiting."),
    "answer": ("Still waiting, nobody came.", "Thank you, sorted now 👍", "Is this an automated reply?",
               "Thanks for responding 🙏", "Nothing has changed on the ground."),
}


# ---------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------

@dataclass
class _Post:
    platform: str
    post_id: str
    author: str
    ts: int
    text: str
    lang: str
    in_reply_to_post_id: str = ""
    in_reply_to_author: str = ""
    conversation_id: str = ""
    url: str = ""
    # internal bookkeeping, not written out
    official: bool = False
    klass: str = ""          # "routine" | "critical" for citizen messages
    kind: str = ""
    target: str = ""         # the official handle a citizen message is addressed to
    slots: dict = field(default_factory=dict)
    boost: float = 1.0       # engagement multiplier
    event: str = ""


class _Slots(dict):
    """Template values drawn lazily, so only placeholders in use consume randomness."""

    def __init__(self, builder: _Builder, country: Country, now: int, fixed: dict | None = None):
        super().__init__(fixed or {})
        self.builder = builder
        self.country = country
        self.now = now

    def __missing__(self, key: str) -> str:
        value = self.builder.slot_value(key, self.country, self.now)
        self[key] = value
        return value


class _Builder:
    def __init__(self, seed: int, scale: float):
        self.rng = np.random.default_rng(seed)
        self.scale = scale
        self.posts: list[_Post] = []
        self.by_author: dict[str, list[_Post]] = {a.author: [] for a in ACCOUNTS}
        self.silences: dict[str, list[tuple[int, int]]] = {}
        self.event_posts: dict[tuple[str, str], _Post] = {}
        self._used_ids: dict[str, set[str]] = {"x": set(), "facebook": set()}
        self._seq = 0
        self._taken_handles = set(ACCOUNT_BY_HANDLE)
        self.citizens = {}
        for code in COUNTRIES:
            for platform in ("x", "facebook"):
                self.citizens[(code, platform)] = self._citizen_pool(code, platform)

    # -- random helpers ----------------------------------------------------
    def pick(self, items: Sequence):
        return items[int(self.rng.integers(len(items)))]

    def pick_weighted(self, items: Sequence, weights: Sequence[float]):
        w = np.asarray(weights, dtype=float)
        return items[int(self.rng.choice(len(items), p=w / w.sum()))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def count(self, n: float) -> int:
        return max(0, int(round(n * self.scale)))

    def slot_value(self, key: str, c: Country, now: int) -> str:
        """A value for one template placeholder; dates are relative to the post time."""
        rng = self.rng
        simple = {
            "station": c.stations, "place": c.places,
            "road": c.roads, "scheme": c.schemes, "occasion": c.occasions,
            "helpline": c.helplines, "office": c.offices,
            "facility": ("district hospital wing", "bus terminal", "water treatment plant",
                         "skills centre"),
            "service": ("a birth certificate", "a land record", "a driving licence",
                        "an electricity connection"),
        }
        if key in simple:
            return self.pick(simple[key])
        numbers = {
            "train": lambda: str(rng.integers(12001, 22999)),
            "coach": lambda: f"{self.pick('SBA')}{rng.integers(1, 12)}",
            "pnr": lambda: str(rng.integers(10**9, 10**10 - 1)),
            "hours": lambda: str(rng.integers(2, 10)),
            "days": lambda: str(rng.integers(2, 13)),
            "route": lambda: str(rng.integers(1, 99)),
            "acct": lambda: str(rng.integers(10**7, 10**8 - 1)),
            "txn": lambda: f"T{rng.integers(10**11, 10**12 - 1)}",
            "ref": lambda: f"GRV{rng.integers(10**6, 10**7 - 1)}",
            "n": lambda: str(rng.integers(2, 40)),
            "elapsed": lambda: str(rng.integers(3, 30)),
            "date": lambda: _day_month(now + int(rng.integers(1, 15)) * DAY),
            "past_date": lambda: _day_month(now - int(rng.integers(1, 15)) * DAY),
            "month": lambda: _MONTHS[time.gmtime(now - int(rng.integers(0, 40)) * DAY).tm_mon - 1],
            "amount": lambda: self._amount(c),
        }
        if key in numbers:
            return numbers[key]()
        raise KeyError(f"unknown template slot {key!r}")

    def _amount(self, c: Country) -> str:
        if c.currency == "rs":
            return f"Rs {int(self.rng.integers(150, 9000)):,}"
        if c.currency == "rp":
            return "Rp " + f"{int(self.rng.integers(25, 2500)) * 1000:,}".replace(",", ".")
        return f"{int(self.rng.integers(10, 900)) * 100:,}".replace(",", " ") + " tenge"

    def fill(self, template: str, country: Country, now: int,
             fixed: dict | None = None) -> tuple[str, dict]:
        slots = _Slots(self, country, now, fixed)
        return template.format_map(slots), dict(slots)

    # -- identities and times ---------------------------------------------
    def _citizen_pool(self, code: str, platform: str) -> tuple[list[str], np.ndarray]:
        c = COUNTRIES[code]
        size = max(40, int(round((260 if platform == "x" else 80) * math.sqrt(self.scale))))
        handles: list[str] = []
        while len(handles) < size:
            h = self._citizen_handle(c, platform)
            if h not in self._taken_handles:
                self._taken_handles.add(h)
                handles.append(h)
        ranks = np.arange(1, size + 1)
        weights = 1.0 / (ranks + 4) ** .8  # a few citizens write a lot
        return handles, weights / weights.sum()

    def _citizen_handle(self, c: Country, platform: str) -> str:
        rng = self.rng
        first, last = self.pick(c.first_names), self.pick(c.last_names)
        nn = int(rng.integers(1, 100))
        if platform == "facebook":
            return f"{first}.{last}.{nn}"
        style = int(rng.integers(5))
        if style == 0:
            return f"citizen_{rng.integers(1000, 10000)}"
        if style == 1:
            return f"{first[0]}_{self.pick(c.first_names)[0]}_{last}_{nn}"
        if style == 2:
            return f"{first}{last}{nn}"
        if style == 3:
            return f"{first}_{self.pick(c.places).split()[0].lower()}"
        return f"the_{first}_{last}"

    def citizen(self, code: str, platform: str) -> str:
        handles, weights = self.citizens[(code, platform)]
        return handles[int(self.rng.choice(len(handles), p=weights))]

    def local_time(self, day: int, hour_weights: Sequence[float], offset: int) -> int:
        hour = self.pick_weighted(range(24), hour_weights)
        return WINDOW_START + day * DAY - offset + hour * HOUR + int(self.rng.integers(HOUR))

    def random_time(self, offset: int, hour_weights: Sequence[float] = CITIZEN_HOURS) -> int:
        while True:
            ts = self.local_time(int(self.rng.integers(WINDOW_DAYS)), hour_weights, offset)
            if WINDOW_START <= ts < WINDOW_END:
                return ts

    def new_id(self, platform: str, ts: int, page_id: str = "") -> str:
        used = self._used_ids[platform]
        while True:
            self._seq += 1
            if platform == "x":
                ms = ts * 1000 + int(self.rng.integers(1000))
                worker = int(self.rng.integers(1024))
                pid = str(((ms - X_EPOCH_MS) << 22) | (worker << 12) | (self._seq & 0xFFF))
            else:
                pid = f"{page_id}_{10**12 + (ts - WINDOW_START) * 1000 + self._seq % 1000}"
            if pid not in used:
                used.add(pid)
                return pid

    def add(self, post: _Post) -> _Post:
        if not post.conversation_id:
            post.conversation_id = post.post_id
        self.posts.append(post)
        if post.official and post.author in self.by_author:
            self.by_author[post.author].append(post)
        return post

    def new_post(self, platform: str, author: str, ts: int, text: str, lang: str,
                 page_id: str = "", parent: _Post | None = None, **extra) -> _Post:
        post = _Post(platform, self.new_id(platform, ts, page_id), author, ts, text, lang, **extra)
        if parent is not None:
            post.in_reply_to_post_id = parent.post_id
            post.in_reply_to_author = parent.author
            post.conversation_id = parent.conversation_id
        return self.add(post)

    # -- official posting ----------------------------------------------------
    def official_schedule(self, acct: Account) -> None:
        c = COUNTRIES[acct.country]
        self.silences[acct.author] = silences = self._silences()
        for day in range(WINDOW_DAYS):
            weekday = (WINDOW_START // DAY + day + 3) % 7
            rate = acct.posts_per_day * (.5 if weekday >= 5 else 1.0)
            for _ in range(int(self.rng.poisson(rate))):
                ts = self.local_time(day, OFFICIAL_HOURS, c.utc_offset)
                if WINDOW_START <= ts < WINDOW_END and not _inside(ts, silences):
                    self.official_post(acct, ts)

    def _silences(self) -> list[tuple[int, int]]:
        spells = []
        for _ in range(int(self.rng.integers(0, 3))):
            start = WINDOW_START + int(self.rng.integers(WINDOW_DAYS - 10)) * DAY
            spells.append((start, start + int(self.rng.integers(3, 10)) * DAY))
        return spells

    def official_post(self, acct: Account, ts: int) -> _Post:
        c = COUNTRIES[acct.country]
        local_lang = {"XA": "hi", "XB": "id", "XC": "ru"}[acct.country]
        if self.chance(acct.local_share):
            lang, template = local_lang, self.pick(OFFICIAL_POSTS_LOCAL[local_lang])
        else:
            weights = (.5, .3, .2) if acct.domain == "head" else (.75, 0, .25)
            group = self.pick_weighted((acct.domain, "policy", "greeting"), weights)
            lang, template = "en", self.pick(OFFICIAL_POSTS[group])
        text, _ = self.fill(template, c, ts)
        return self._publish(acct, ts, text, lang)

    def _publish(self, acct: Account, ts: int, text: str, lang: str, boost: float = 1.0,
                 event: str = "") -> _Post:
        post = self.new_post(acct.platform, acct.author, ts, text, lang, page_id=acct.page_id,
                             official=True, boost=boost, event=event)
        post.url = _url(acct.platform, acct.author, post.post_id)
        return post

    def event_official_posts(self, ev: Event) -> None:
        onset = _parse_ts(ev.onset)
        for i, (handle, delay) in enumerate(ev.official_delays.items()):
            if delay is None:
                continue
            acct = ACCOUNT_BY_HANDLE[handle]
            ts = onset + int(delay * HOUR) + int(self.rng.integers(-600, 600))
            lang = self.pick(list(ev.official_bodies)) if acct.local_share else "en"
            texts = ev.official_bodies[lang]
            first = texts[i % len(texts)]
            self.event_posts[(ev.event_id, handle)] = self._event_post(acct, ev, ts, first, lang)
            if ev.official_updates and self.chance(.6):
                later = ts + int(self.rng.integers(20, 48)) * HOUR
                if later < WINDOW_END:
                    self._event_post(acct, ev, later, self.pick(ev.official_updates), "en")

    def _event_post(self, acct: Account, ev: Event, ts: int, template: str, lang: str) -> _Post:
        text, _ = self.fill(template, COUNTRIES[acct.country], ts)
        return self._publish(acct, ts, text, lang, boost=4.0, event=ev.event_id)

    # -- citizen messages ------------------------------------------------------
    def baseline_messages(self) -> None:
        weights = [a.weight for a in ACCOUNTS]
        for _ in range(self.count(MESSAGES_PER_WEIGHT * sum(weights))):
            acct = self.pick_weighted(ACCOUNTS, weights)
            c = COUNTRIES[acct.country]
            critical = self.chance(DOMAIN_CRITICAL_SHARE.get(acct.domain, DEFAULT_CRITICAL_SHARE))
            table = DOMAIN_CRITICAL if critical else DOMAIN_ROUTINE
            kinds = table[acct.domain]
            kind = self.pick_weighted(list(kinds), list(kinds.values()))
            templates = (CRITICAL_TEMPLATES if critical else ROUTINE_TEMPLATES)[kind]
            lang, body = self.choose_text(c, templates)
            ts = self.random_time(c.utc_offset)
            body, slots = self.fill(body, c, ts)
            body = self.tone(body, lang, kind, critical)
            self.address(acct, ts, body, lang, "critical" if critical else "routine", kind, slots)

    def choose_text(self, c: Country, templates: dict[str, tuple[str, ...]]) -> tuple[str, str]:
        langs = [lang for lang, _ in c.langs]
        lang = self.pick_weighted(langs, [w for _, w in c.langs])
        if lang not in templates:
            lang = "en"
        return lang, self.pick(templates[lang])

    def tone(self, body: str, lang: str, kind: str, critical: bool) -> str:
        """Calm or angry wording: capitals, emoji and punctuation for sentiment to pick up."""
        if kind in ("praise", "chatter", "festival"):
            return body
        r = self.rng.random()
        angry = .45 if critical else .3
        if r < angry:
            if lang == "en" and self.chance(.25):
                body = body.upper()
            return body + self.pick(ANGRY_SUFFIXES if lang == "en" else (" 😡", " !!!", " 😤"))
        if r < angry + .35 and lang == "en":
            return body + self.pick(URGENT_SUFFIXES if critical else CALM_SUFFIXES)
        return body

    def address(self, acct: Account, ts: int, body: str, lang: str, klass: str, kind: str,
                slots: dict, event: Event | None = None) -> _Post:
        """Post a citizen message to an official: as a reply to one of its posts or an @mention."""
        c = COUNTRIES[acct.country]
        author = self.citizen(acct.country, acct.platform)
        parent = self._parent_for(acct, ts, event)
        info: dict[str, Any] = dict(klass=klass, kind=kind, target=acct.author, slots=slots,
                    event=event.event_id if event else "",
                    boost=3.0 if klass == "critical" else 1.0)
        if parent is not None:
            text = f"@{acct.author} {body}" if acct.platform == "x" else body
            return self.new_post(acct.platform, author, ts, text, lang, acct.page_id, parent, **info)
        r = self.rng.random()
        text = (f"@{acct.author} {body}" if r < .7 else
                f"{body} @{acct.author}" if r < .9 else f"{body} cc @{acct.author}")
        head = _head_of(c.code)
        if head and head != acct.author and acct.platform == "x" and self.chance(.08):
            text += f" @{head}"
        return self.new_post(acct.platform, author, ts, text, lang, acct.page_id, **info)

    def _parent_for(self, acct: Account, ts: int, event: Event | None) -> _Post | None:
        if event is not None:
            ev_post = self.event_posts.get((event.event_id, acct.author))
            if ev_post is not None and ev_post.ts < ts - 60 and self.chance(.55):
                return ev_post
        if not self.chance(.85 if acct.platform == "facebook" else .45):
            return None
        recent = [p for p in self.by_author[acct.author]
                  if ts - 3 * DAY < p.ts < ts - 60 and not p.in_reply_to_post_id]
        if not recent:
            return None
        weights = [math.exp(-(ts - p.ts) / (12 * HOUR)) for p in recent]
        return self.pick_weighted(recent, weights)

    def event_messages(self, ev: Event) -> None:
        c = COUNTRIES[ev.country]
        onset = _parse_ts(ev.onset)
        handles = list(ev.targets)
        for i in range(self.count(ev.volume)):
            ts = onset + int(self.rng.integers(60, 900))  # eyewitnesses post within minutes ...
            if i >= 3:  # ... then attention decays
                ts += int(self.rng.exponential(ev.decay_hours * HOUR))
            if ts >= WINDOW_END:
                continue
            lang, template = self.choose_text(c, ev.citizen_bodies)
            elapsed = str(max(1, (ts - onset) // HOUR))
            body, slots = self.fill(template, c, ts, {"elapsed": elapsed})
            kind = ev.event_id if ev.critical else "festival"
            body = self.tone(body, lang, kind, ev.critical)
            klass = "critical" if ev.critical else "routine"
            if self.chance(ev.addressed_share):
                acct = ACCOUNT_BY_HANDLE[self.pick_weighted(handles, [ev.targets[h] for h in handles])]
                self.address(acct, ts, body, lang, klass, kind, slots, ev)
            else:
                self.new_post("x", self.citizen(ev.country, "x"), ts, body, lang,
                              kind=kind, event=ev.event_id, boost=2.0)

    def unaddressed_chatter(self) -> None:
        codes = list(COUNTRIES)
        for _ in range(self.count(150)):
            c = COUNTRIES[self.pick(codes)]
            lang, template = self.choose_text(c, UNADDRESSED_CHATTER)
            ts = self.random_time(c.utc_offset)
            text, _ = self.fill(template, c, ts)
            self.new_post("x", self.citizen(c.code, "x"), ts, text, lang)

    # -- official answers ------------------------------------------------------
    def respond_all(self) -> None:
        messages = [p for p in self.posts if p.target]
        for msg in messages:
            self.respond(msg)

    def respond(self, msg: _Post) -> None:
        acct = ACCOUNT_BY_HANDLE[msg.target]
        p, median, sigma = acct.profile.critical if msg.klass == "critical" else acct.profile.routine
        p = min(.97, p * KIND_ANSWER_FACTOR.get(msg.kind, 1.0))
        if not self.chance(p):
            return
        median *= KIND_SPEED_FACTOR.get(msg.kind, 1.0)
        latency = max(45, int(self.rng.lognormal(math.log(median * 60), sigma)))
        ts = self._office_adjust(acct, msg.ts + latency)
        if ts >= WINDOW_END or (_inside(ts, self.silences[acct.author]) and self.chance(.8)):
            return
        deflect = msg.kind not in ("praise", "chatter", "festival") and self.chance(acct.profile.deflect)
        reply = self._reply(acct, msg, ts, self._reply_group(acct, msg, deflect))
        if self.chance(.07):
            later = ts + max(600, int(self.rng.lognormal(math.log(DAY), .8)))
            if later < WINDOW_END:
                self._reply(acct, msg, later, "update")
        if self.chance(.12):
            self._follow_up(acct, msg, reply, deflect)

    def _reply_group(self, acct: Account, msg: _Post, deflect: bool) -> str:
        if deflect:
            return "deflect_rail" if acct.domain == "rail" and msg.klass == "routine" else "deflect"
        if msg.klass == "critical":
            return "critical"
        if msg.kind in ("praise", "chatter", "festival"):
            return "thanks"
        if msg.kind == "question":
            return "question"
        return "rail" if msg.kind in RAIL_ON_BOARD_KINDS else "complaint"

    def _reply(self, acct: Account, msg: _Post, ts: int, group: str) -> _Post:
        templates = REPLY_TEMPLATES[group]
        lang = msg.lang if msg.lang in templates and self.chance(.6) else "en"
        body, _ = self.fill(self.pick(templates[lang]), COUNTRIES[acct.country], ts, msg.slots)
        text = f"@{msg.author} {body}" if acct.platform == "x" else body
        reply = self.new_post(acct.platform, acct.author, ts, text, lang, acct.page_id, msg,
                              official=True)
        reply.url = _url(acct.platform, acct.author, reply.post_id)
        return reply

    def _office_adjust(self, acct: Account, ts: int) -> int:
        """Most answers due outside office hours wait for the next opening; some do not."""
        office, offset = acct.office, COUNTRIES[acct.country].utc_offset
        if office is None or office.is_open(ts, offset) or not self.chance(acct.profile.office_bias):
            return ts
        return office.next_open(ts, offset) + int(self.rng.exponential(40 * 60))

    def _follow_up(self, acct: Account, msg: _Post, reply: _Post, deflect: bool) -> None:
        ts = reply.ts + max(60, int(self.rng.lognormal(math.log(90 * 60), 1.0)))
        if ts >= WINDOW_END:
            return
        body = self.pick(FOLLOW_UPS["deflect" if deflect else "answer"])
        text = f"@{acct.author} {body}" if acct.platform == "x" else body
        self.new_post(acct.platform, msg.author, ts, text, "en", acct.page_id, reply,
                      klass="routine", kind="follow_up")

    # -- engagement counts -------------------------------------------------------
    def engagement(self) -> list[tuple[int, int, int]]:
        observed = Counter((p.platform, p.in_reply_to_post_id)
                           for p in self.posts if p.in_reply_to_post_id)
        counts = []
        for p in self.posts:
            seen = observed.get((p.platform, p.post_id), 0)
            if p.official and not p.in_reply_to_post_id:
                reach = ACCOUNT_BY_HANDLE[p.author].reach * p.boost
                likes = int(self.rng.lognormal(math.log(reach), .9))
                extra = int(self.rng.poisson(likes * .03))
            elif p.official:
                likes, extra = int(self.rng.poisson(2)), 0
            else:
                likes = int(self.rng.lognormal(.3, 1.2) * p.boost) - 1
                extra = int(self.rng.poisson(.2))
            likes = max(0, likes)
            shares = int(self.rng.binomial(likes, .15))
            counts.append((likes, shares, seen + extra))
        return counts


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _day_month(ts: int) -> str:
    """'07 Feb' -- spelled out here rather than with strftime, which follows the locale."""
    t = time.gmtime(ts)
    return f"{t.tm_mday:02d} {_MONTHS[t.tm_mon - 1][:3]}"


def _inside(ts: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= ts < b for a, b in spans)


def _head_of(code: str) -> str:
    """The head-of-government account of a country ("" if none)."""
    for a in ACCOUNTS:
        if a.country == code and a.level == "national" and a.domain == "head":
            return a.author
    return ""


def _url(platform: str, author: str, post_id: str) -> str:
    if platform == "x":
        return f"https://x.com/{author}/status/{post_id}"
    return f"https://www.facebook.com/{post_id}"


# ---------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------

def accounts_frame() -> pd.DataFrame:
    rows = [[a.platform, a.author, a.institution, a.country, a.level,
             COUNTRIES[a.country].timezone, a.office_hours, a.display_name,
             INSTITUTION_TYPES[a.author]] for a in ACCOUNTS]
    return pd.DataFrame(rows, columns=ACCOUNT_COLUMNS)


def events_frame() -> pd.DataFrame:
    # accounts: the officials expected to acknowledge the event (those its story has
    # react, or stay silent), not every official account of the country
    rows = [[e.event_id, e.name, e.onset, ";".join(e.keywords),
             "true" if e.critical else "false", e.country,
             ";".join(f"{ACCOUNT_BY_HANDLE[a].platform}:{a}" for a in e.official_delays)]
            for e in EVENTS]
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)


def _posts_frame(builder: _Builder) -> pd.DataFrame:
    counts = builder.engagement()
    rows = [[p.platform, p.post_id, p.author, _iso(p.ts), p.text, p.in_reply_to_post_id,
             p.in_reply_to_author, p.conversation_id, p.lang, p.url, likes, shares, replies]
            for p, (likes, shares, replies) in zip(builder.posts, counts, strict=True)]
    df = pd.DataFrame(rows, columns=POST_COLUMNS)
    for col in ("like_count", "share_count", "reply_count"):
        df[col] = df[col].astype("int64")
    df = df.sort_values(["created_at", "platform", "post_id"], kind="mergesort")
    return df.reset_index(drop=True)


def generate(seed: int = DEFAULT_SEED, scale: float = 1.0) -> dict[str, pd.DataFrame]:
    """Build the synthetic dataset: {"accounts", "posts", "events"} frames.

    ``scale`` multiplies the number of citizen messages (1.0 = the committed
    small copy); accounts, events and official posting rates do not change.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    b = _Builder(seed, scale)
    for acct in ACCOUNTS:
        b.official_schedule(acct)
    for ev in EVENTS:
        b.event_official_posts(ev)
    for posts in b.by_author.values():
        posts.sort(key=lambda p: p.ts)
    b.baseline_messages()
    for ev in EVENTS:
        b.event_messages(ev)
    b.unaddressed_chatter()
    b.respond_all()
    return {"accounts": accounts_frame(), "posts": _posts_frame(b), "events": events_frame()}


def write(out_dir: str | Path, seed: int = DEFAULT_SEED, scale: float = 1.0) -> dict[str, Path]:
    """Generate and write accounts.csv, posts.csv and events.csv into out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, frame in generate(seed, scale).items():
        path = out / FILES[key]
        frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        paths[key] = path
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sample_data.generate",
        description="Write the SYNTHETIC govwatch sample dataset (fictional countries and accounts).")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplier for citizen message counts (default 1.0)")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    paths = write(args.out, seed=args.seed, scale=args.scale)
    for path in paths.values():
        with path.open(encoding="utf-8") as fh:
            rows = sum(1 for _ in fh) - 1
        print(f"wrote {path}: {rows:,} rows, {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
