"""The per-channel figures as shown (the Channels page, and the Account page's channels
of its institution): a pure function of ``DashboardData.channel_figures()`` rows."""

from __future__ import annotations

import pandas as pd

from govwatch.config import window_label

from .figures import fmt_hours, fmt_median, fmt_rate

CHANNEL_LABELS = {"public_reply": "Public replies", "comment": "Comments",
                  "review": "App-store reviews", "complaint_ticket": "Complaint tickets",
                  "direct_message": "Direct messages (private)"}


def filter_figures(figures: pd.DataFrame, channels=(), countries=(),
                   institution: str | None = None) -> pd.DataFrame:
    """The rows of the chosen channels, countries and institution (empty choice: all; an
    institution is named within the countries given, as names repeat across countries)."""
    f = figures
    if channels:
        f = f[f["channel"].isin(list(channels))]
    if countries:
        f = f[f["country"].isin(list(countries))]
    if institution is not None:
        f = f[f["institution"] == institution]
    return f


def channel_rows(figures: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """One displayed row per account and channel: messages, the share answered within
    the window ("too few" under ``min_n`` observed messages), the Kaplan-Meier median time
    to response ("> X h" when not reached) and, for complaint tickets, to resolution."""
    w = window_label(float(figures["window_hours"].max())) if len(figures) else "W"
    rate_col = f"Answered within {w}"
    rows = []
    for r in figures.to_dict("records"):
        observed, messages = int(r.get("observed_window") or 0), int(r["messages"])
        ticket = r["channel"] == "complaint_ticket"
        rows.append({
            "Institution": r.get("institution") or r.get("display_name") or "–",
            "Account": f"{r['author']} ({r['platform']})",
            "Channel": CHANNEL_LABELS.get(r["channel"], r["channel"]),
            "Messages": f"{messages:,}",
            rate_col: (f"too few (n={observed})" if observed < min_n
                       else fmt_rate(r.get("answered_rate_window"))),
            "Median time to response": (
                f"too few (n={messages})" if messages < min_n else
                fmt_median(r.get("km_median_hours"), None, None, r.get("max_followup_hours"))),
            "Median time to resolution": (
                "–" if not ticket else f"too few (n={messages})" if messages < min_n else
                fmt_hours(r["resolution_km_median_hours"])
                if pd.notna(r.get("resolution_km_median_hours")) else
                f"> {fmt_hours(r.get('max_followup_hours'))}"),
        })
    return pd.DataFrame(rows, columns=["Institution", "Account", "Channel", "Messages", rate_col,
                                       "Median time to response", "Median time to resolution"])
