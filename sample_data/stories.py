"""SYNTHETIC channel stories beside the sample's social posts (everything here is invented).

Three stories, for the same fictional countries as ``generate.py``: two of where citizens
write to Avalor's (XA) Ministry of Health besides social media, one of a platform blocked
in Cordania (XC):

- **A complaint queue with a backlog** (``tickets.csv``, govwatch's tickets CSV, system
  ``complaints``): the ministry's complaint desk registers every ticket within hours
  (a templated "complaint registered"), closes routine ones (certificates, appointments,
  billing) in one to four days, and critical ones (medicine shortages, contaminated water,
  ambulance delays) slowly or not at all; arrivals grow in February while closures do
  not keep up, so the open queue grows.
- **A government app whose replies are templated** (``app_reviews.csv``, google-play-scraper's
  CSV with an ``app_id`` column): the ministry's app answers every review within a minute
  with one of three canned texts, picked without reading the review, so some one-star
  complaints are thanked for their "positive review".
- **A protest week in which one platform is blocked** (``telegram_posts.csv``, govwatch's
  posts CSV; ``outages.csv``, the simple outage list; ``protest_events.csv``): four official
  Telegram channels of Cordania (XC) post through the day and answer some of the comments
  under their posts. Protests begin on 9 February; from 10 to 16 February (Cordania time)
  Telegram is blocked in Cordania, so the channels post nothing, while Cordania's X accounts
  and Facebook page (in ``posts.csv``) go on. A few citizens still comment through VPNs;
  their comments wait for the block to lift. In March one channel, Verenask's, goes quiet
  on its own for a week while the others post: an account's silence, not a blocked platform.

``channel_accounts.csv`` names the official accounts of the channel stories. Output
is a pure function of the seed: ``numpy.random.default_rng(seed)``, times inside the
sample's window (2026-01-05 to 2026-03-15), written with their UTC offset.

    python -m govwatch.sample_data.stories --out sample_data/small   # the committed copy
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_SEED = 20260105
START = datetime(2026, 1, 5, tzinfo=UTC)
END = datetime(2026, 3, 15, 20, tzinfo=UTC)
IST = timedelta(hours=5, minutes=30)  # Avalor's offset (Asia/Kolkata)
CORDANIA = timedelta(hours=6)  # Cordania's offset (Asia/Bishkek)
DESK, APP, SYSTEM = "avalor_health_desk", "gov.avalor.health", "complaints"
FILES = {"accounts": "channel_accounts.csv", "tickets": "tickets.csv",
         "reviews": "app_reviews.csv", "telegram": "telegram_posts.csv",
         "outages": "outages.csv", "events": "protest_events.csv"}

# The blocked-platform week: Telegram is blocked in Cordania (XC) from 10 to 16 February,
# Cordania time (UTC+6); protests began the day before.
BLOCK = (datetime(2026, 2, 9, 18, tzinfo=UTC), datetime(2026, 2, 15, 18, tzinfo=UTC))
PROTEST_ONSET = datetime(2026, 2, 9, 5, 0, tzinfo=UTC)
QUIET = (datetime(2026, 3, 2, 3, tzinfo=UTC), datetime(2026, 3, 9, 3, tzinfo=UTC))
CHANNELS = {  # Telegram channel -> (institution, level, posts per daytime hour)
    "cordania_gov_tg": ("Office of the Head of Government", "national", 0.6),
    "cordania_emergency_tg": ("Ministry of Emergency Situations", "national", 0.8),
    "cordania_health_tg": ("Ministry of Healthcare", "national", 0.5),
    "verenask_city_tg": ("Verenask City Administration", "local", 0.6),
}
QUIET_CHANNEL = "verenask_city_tg"
CHANNEL_POSTS = ("Daily update from the ministry: services are working as usual.",
                 "Reminder: the hotline 112 answers around the clock.",
                 "Schedule of public receptions for this week is published on our site.",
                 "Weather warning: strong wind expected in the mountain districts.")
COMMENTS = ("When will the hotline answer? I have been waiting since morning.",
            "Where can I get this form in my district?",
            "The road to our village is still blocked, please help.",
            "Thank you for the update.")
PROTEST_COMMENTS = ("Thousands are at the square, the protest is peaceful. Why is nobody "
                    "from the government speaking to us?",
                    "Police are detaining people at the rally, we need answers!",
                    "Is it true that the protest will be dispersed tonight?")
ANSWERS = ("Thank you, we have passed your question to the responsible department.",
           "Please call the hotline 112 with your address.")

ROUTINE = {"certificate": "My vaccination certificate shows the wrong date of birth",
           "appointment": "I cannot book an appointment at the district hospital online",
           "billing": "I was charged twice for a consultation at the city clinic"}
CRITICAL = {"medicine shortage": "The health post in Dhoravali has had no insulin for a week",
            "contaminated water": "Tap water in Ravipur ward 4 is brown and children are sick",
            "ambulance delay": "We called the ambulance for my father and it never came"}
REVIEWS = {5: "Very useful app, I got my certificate in two minutes",
           4: "Good app but the login is slow",
           3: "It works sometimes, the appointment page often fails",
           2: "Cannot upload my documents, the app crashes every time",
           1: "Useless. My complaint about the missing medicine was never answered"}
TEMPLATES = ("Thank you for your positive review! We are glad the app helps you.",
             "Thank you for your feedback. Our team will keep improving the app.",
             "Dear user, please write to the helpdesk with your registration number.")


def _iso(t: datetime) -> str:
    """Avalor local time with its offset, to the second."""
    return (t + IST).replace(tzinfo=None).isoformat(timespec="seconds") + "+05:30"


def accounts_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"platform": SYSTEM, "author": DESK, "institution": "Ministry of Health",
         "country": "XA", "level": "national", "timezone": "Asia/Kolkata",
         "office_hours": "Mon-Fri 09:30-18:00",
         "display_name": "Ministry of Health complaint desk (Avalor)"},
        {"platform": "google-play", "author": APP, "institution": "Ministry of Health",
         "country": "XA", "level": "national", "timezone": "Asia/Kolkata", "office_hours": "",
         "display_name": "Avalor Health app"},
    ])


def tickets_frame(rng: np.random.Generator) -> pd.DataFrame:
    """The desk's queue: arrivals double from February; critical closures lag weeks."""
    rows = []
    day, n = START, 0
    while day < END - timedelta(days=1):
        for _ in range(rng.poisson(3.0 if day < datetime(2026, 2, 1, tzinfo=UTC) else 6.0)):
            n += 1
            at = day + timedelta(seconds=int(rng.integers(6 * 3600, 22 * 3600)))
            critical = rng.random() < 0.3
            category = str(rng.choice(sorted(CRITICAL if critical else ROUTINE)))
            ack = at + timedelta(minutes=int(rng.integers(20, 6 * 60)))
            days = rng.uniform(10, 45) if critical else rng.uniform(1, 4)
            closed = at + timedelta(days=float(days))
            done = closed <= END and not (critical and rng.random() < 0.4)
            rows.append({
                "ticket_id": f"AV-{n:05d}", "agency": DESK, "submitted_at": _iso(at),
                "acknowledged_at": _iso(ack) if ack <= END else "",
                "closed_at": _iso(closed) if done else "",
                "text": (CRITICAL if critical else ROUTINE)[category],
                "category": category, "status": "closed" if done else "open",
                "acknowledgement_text": f"Complaint registered as AV-{n:05d}" if ack <= END else "",
                "closure_text": "Resolved, thank you for reporting" if done else "",
                "system": SYSTEM})
        day += timedelta(days=1)
    return pd.DataFrame(rows)


def reviews_frame(rng: np.random.Generator) -> pd.DataFrame:
    """Every review answered within a minute with a template picked blindly."""
    rows = []
    for i in range(int(rng.integers(140, 160))):
        at = START + timedelta(seconds=int(rng.integers(0, int((END - START).total_seconds()
                                                                  - 3600))))
        score = int(rng.choice([1, 2, 3, 4, 5], p=[0.3, 0.15, 0.1, 0.15, 0.3]))
        reply = at + timedelta(seconds=int(rng.integers(15, 60)))
        rows.append({
            "reviewId": f"gp:avalor-{i:04d}", "userName": "A Google user",
            "content": REVIEWS[score], "score": score,
            "thumbsUpCount": int(rng.integers(0, 20)), "reviewCreatedVersion": "2.4.1",
            "at": at.isoformat(timespec="seconds"),
            "replyContent": TEMPLATES[int(rng.integers(0, len(TEMPLATES)))],
            "repliedAt": reply.isoformat(timespec="seconds"), "appVersion": "2.4.1",
            "app_id": APP})
    return pd.DataFrame(rows).sort_values("at", kind="stable").reset_index(drop=True)


def _iso_xc(t: datetime) -> str:
    """Cordania local time with its offset, to the second."""
    return (t + CORDANIA).replace(tzinfo=None).isoformat(timespec="seconds") + "+06:00"


def telegram_accounts_frame() -> pd.DataFrame:
    return pd.DataFrame([
        {"platform": "telegram", "author": name, "institution": inst, "country": "XC",
         "level": level, "timezone": "Asia/Bishkek", "office_hours": "",
         "display_name": f"{inst} (Cordania) on Telegram"}
        for name, (inst, level, _) in CHANNELS.items()])


def _silent(channel: str, t: datetime) -> bool:
    return BLOCK[0] <= t < BLOCK[1] or (channel == QUIET_CHANNEL and QUIET[0] <= t < QUIET[1])


def telegram_frame(rng: np.random.Generator) -> pd.DataFrame:
    """The channels' posts (08:00-20:00 Cordania time), the comments under them and the
    channels' answers; nothing from the channels while Telegram is blocked."""
    rows: list[dict] = []
    counter: dict[str, int] = dict.fromkeys(CHANNELS, 0)
    citizens = [f"tg_user_{i:03d}" for i in range(60)]

    def add(channel, at, author, text, parent=None, parent_author=None, root=None):
        counter[channel] += 1
        pid = f"{channel}/{counter[channel]}"
        rows.append({"platform": "telegram", "post_id": pid, "author": author,
                     "created_at": _iso_xc(at), "text": text,
                     "in_reply_to_post_id": parent or "",
                     "in_reply_to_author": parent_author or "",
                     "conversation_id": root or pid, "lang": "en",
                     "url": f"https://t.me/{channel}/{counter[channel]}"})
        return pid

    hour = START.replace(hour=2)  # 08:00 in Cordania
    while hour < END - timedelta(hours=2):
        if 2 <= hour.hour < 14:  # 08:00-20:00 Cordania time
            for channel, (_, _, rate) in CHANNELS.items():
                for _ in range(rng.poisson(rate)):
                    at = hour + timedelta(seconds=int(rng.integers(0, 3600)))
                    if _silent(channel, at):
                        continue
                    text = str(rng.choice(CHANNEL_POSTS))
                    if at >= BLOCK[1] and at < BLOCK[1] + timedelta(days=1):
                        text = ("Telegram is available again. On the protests of last week: "
                                "order has been restored and dialogue will continue.")
                    post = add(channel, at, channel, text)
                    protest = PROTEST_ONSET <= at < BLOCK[1] + timedelta(days=3)
                    for _ in range(rng.poisson(0.6 if protest else 0.3)):
                        c_at = at + timedelta(minutes=int(rng.integers(2, 240)))
                        pool = PROTEST_COMMENTS if protest else COMMENTS
                        who = str(rng.choice(citizens))
                        comment = add(channel, c_at, who, str(rng.choice(pool)), post, channel,
                                      post)
                        if rng.random() < 0.5:  # about half are answered, within hours
                            a_at = c_at + timedelta(minutes=int(rng.integers(10, 8 * 60)))
                            while _silent(channel, a_at):  # the answer waits for the block
                                a_at += timedelta(hours=int(rng.integers(1, 6)))
                            if a_at < END:
                                add(channel, a_at, channel, str(rng.choice(ANSWERS)), comment,
                                    who, post)
        hour += timedelta(hours=1)
    # a few citizens comment through VPNs while Telegram is blocked; nobody answers until after
    for i in range(12):
        channel = sorted(CHANNELS)[i % len(CHANNELS)]
        at = BLOCK[0] + timedelta(hours=6 + 11 * i, minutes=int(rng.integers(0, 60)))
        last = [r for r in rows if r["author"] == channel
                and r["in_reply_to_post_id"] == "" and r["created_at"] < _iso_xc(at)][-1]
        who = str(rng.choice(citizens))
        comment = add(channel, at, who, str(rng.choice(PROTEST_COMMENTS)), last["post_id"],
                      channel, last["post_id"])
        if i % 2 == 0:
            a_at = BLOCK[1] + timedelta(hours=int(rng.integers(1, 30)))
            add(channel, a_at, channel, str(rng.choice(ANSWERS)), comment, who,
                last["post_id"])
    frame = pd.DataFrame(rows)
    order = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    return frame.assign(_t=order).sort_values(["_t", "post_id"], kind="stable").drop(
        columns="_t").reset_index(drop=True)


def outages_frame() -> pd.DataFrame:
    return pd.DataFrame([{
        "country": "XC", "region": "", "start": _iso_xc(BLOCK[0]), "end": _iso_xc(BLOCK[1]),
        "scope": "telegram", "kind": "service-based",
        "source": "SYNTHETIC sample: Cordania's regulator blocks Telegram during protests"}])


def events_frame() -> pd.DataFrame:
    return pd.DataFrame([{
        "event_id": "ev06", "name": "Protests in Cordania", "onset": _iso_xc(PROTEST_ONSET),
        "keywords": "protest;protests;rally", "critical": "true", "country": "XC"}])


def generate(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    return {"accounts": pd.concat([accounts_frame(), telegram_accounts_frame()],
                                  ignore_index=True),
            "tickets": tickets_frame(rng), "reviews": reviews_frame(rng),
            "telegram": telegram_frame(rng), "outages": outages_frame(),
            "events": events_frame()}


def write(out_dir: str | Path, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, frame in generate(seed).items():
        paths[key] = out / FILES[key]
        frame.to_csv(paths[key], index=False, lineterminator="\n")
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write the synthetic channel stories (CSV).")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    for path in write(args.out, args.seed).values():
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
