"""SYNTHETIC channel stories beside the sample's social posts (everything here is invented).

Two stories of where citizens write to the state besides social media, for the same
fictional Republic of Avalor (XA) and its Ministry of Health as ``generate.py``:

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

``channel_accounts.csv`` names the two official accounts (the desk and the app). Output
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
DESK, APP, SYSTEM = "avalor_health_desk", "gov.avalor.health", "complaints"
FILES = {"accounts": "channel_accounts.csv", "tickets": "tickets.csv",
         "reviews": "app_reviews.csv"}

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


def generate(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    return {"accounts": accounts_frame(), "tickets": tickets_frame(rng),
            "reviews": reviews_frame(rng)}


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
