"""Methodology (/methodology): the project's docs/methodology.md, rendered with
an id on every heading, and each chart's "How this is measured" anchor placed on
the heading of its section (found by words, so the document's numbering may
change). Sections a chart links to but the document lacks (or the whole
document, where it is not installed) fall back to short built-in definitions.
"""

from __future__ import annotations

import re
from pathlib import Path

import dash
from dash import dcc, html
from govwatch.dashboard.figures import ANCHORS
from govwatch.dashboard.pages._common import data

from govwatch.config import DEFAULT_WINDOW_HOURS, window_label

PAGE = "methodology"
DOC = Path(__file__).resolve().parents[2] / "docs" / "methodology.md"

dash.register_page(__name__, path="/methodology", name="Methodology", order=5,
                   title="govwatch: methodology",
                   description="How govwatch measures responsiveness.")

BUILTIN = {
    ANCHORS["latency"]: ("Response latency",
        "Latency is the time from a citizen's message to the first reply by the addressed "
        "official account, in hours. Unanswered messages are right-censored at the end of "
        "observation, never dropped, and the median comes from the Kaplan-Meier estimate "
        "with a 95% confidence interval. When fewer than half of the messages are answered "
        "the median is 'not reached' and shown as '> N h', N being the longest follow-up."),
    ANCHORS["rate"]: ("Response rate",
        "The response rate within {w} is the number of messages answered within {w} "
        "divided by the messages observed for at least {w}. Below the minimum number of "
        "messages a rate or median reads 'too few'."),
    ANCHORS["business"]: ("Business clock",
        "Where an account lists office hours and a time zone, latency is also measured on "
        "its business clock: only time while the office is open counts. The response "
        "window becomes {w} x weekly office hours / 168 of office time. Accounts without "
        "office hours have no business-clock figures ('not available')."),
    ANCHORS["selectivity"]: ("Selectivity gap",
        "The response rate on routine messages minus the rate on critical ones, with a "
        "bootstrap 95% confidence interval. Positive: trivial complaints are answered more "
        "often than critical reports."),
    ANCHORS["slices"]: ("Critical issues, topics and sentiment",
        "Messages are tagged with a topic, a critical-issue flag, a needs-a-response flag "
        "and a VADER sentiment score (negative at compound <= -0.05); rates are computed "
        "within each group."),
    ANCHORS["events"]: ("Event acknowledgement",
        "For an event with onset t0, the first post of each official account after t0 that "
        "matches the event's keywords; latency is that time minus t0, censored if there is "
        "none. The public lead compares it with the first matching post by the public."),
    ANCHORS["activity"]: ("Activity and silences",
        "Posts per week by each official account; platform-wide silences are periods when "
        "many official accounts are silent at once."),
    ANCHORS["benchmarks"]: ("Benchmarks and composite index",
        "Each account's percentile rank among its peers (same country and level) per "
        "metric, and a composite index whose weights are shown; metrics below the minimum "
        "number of messages are 'too few' and not ranked."),
    ANCHORS["topics"]: ("Topics and agenda gap",
        "The share of each topic among the messages citizens send to official accounts, "
        "against its share among the officials' own posts."),
    ANCHORS["privacy"]: ("Privacy and pseudonymisation",
        "Citizens are shown by a keyed pseudonym (HMAC with a key kept in the store); "
        "e-mail addresses, phone numbers and citizens' @handles (by each platform's handle "
        "grammar) are redacted from message texts, and citizens' post ids are never shown "
        "or downloaded. Official accounts are named."),
}


# Words that find, among the document's headings, the section each chart links to
# (the first heading whose slug contains one of them takes the anchor).
ANCHOR_WORDS = {
    ANCHORS["latency"]: ("kaplan-meier", "latency"),
    ANCHORS["rate"]: ("response-rate",),
    ANCHORS["business"]: ("business-clock",),
    ANCHORS["selectivity"]: ("selectivity",),
    ANCHORS["slices"]: ("slices",),
    ANCHORS["events"]: ("event-acknowledgement",),
    ANCHORS["activity"]: ("activity",),
    ANCHORS["benchmarks"]: ("benchmark",),
    ANCHORS["topics"]: ("agenda", "topic"),
    ANCHORS["privacy"]: ("pseudonymis", "privacy"),
}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def sections(markdown: str) -> tuple[str | None, list[tuple[int, str | None, str]]]:
    """(title, [(level, heading, body)]) from Markdown (heading None for the text before the
    first heading); fenced code is left alone."""
    title: str | None = None
    out: list[tuple[int, str | None, str]] = []
    head: str | None = None
    body: list[str] = []
    level, fenced = 0, False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        m = None if fenced else re.match(r"^(#{1,4})\s+(.*?)\s*#*\s*$", line)
        if m and len(m.group(1)) == 1 and title is None and head is None and not body:
            title = m.group(2)
            continue
        if m:
            out.append((level, head, "\n".join(body)))
            level, head, body = len(m.group(1)), m.group(2), []
        else:
            body.append(line)
    out.append((level, head, "\n".join(body)))
    return title, [(lv, h, b) for lv, h, b in out if h is not None or b.strip()]


def anchor_for(heading: str, taken: set[str]) -> str | None:
    """The chart anchor a document heading serves, if any (numbering ignored)."""
    hs = slug(re.sub(r"^[\d.\s]+", "", heading))
    for anchor, words in ANCHOR_WORDS.items():
        if anchor not in taken and any(w in hs for w in words):
            return anchor
    return None


def render(markdown: str | None, window_hours: float | None = None) -> list:
    """The page: the document (or the built-in definitions), with the response window W
    of this store's analysis said first and written into the definitions."""
    w = window_label(window_hours)
    children: list = []
    seen: set[str] = set()
    if markdown:
        title, parts = sections(markdown)
        children.append(html.H1(title or "Methodology"))
        children.append(window_note(window_hours))
        for level, head, body in parts:
            if head is not None:
                sid = base = slug(head) or "section"
                n = 1
                while sid in seen:  # ids stay unique whatever the headings say
                    n += 1
                    sid = f"{base}-{n}"
                seen.add(sid)
                alias = anchor_for(head, seen)
                tag = {1: html.H2, 2: html.H2, 3: html.H3}.get(level, html.H4)
                if alias:  # the heading takes the chart's anchor; its own id stays reachable
                    seen.add(alias)
                    children += [html.Span(id=sid, className="anchor"), tag(head, id=alias)]
                else:
                    children.append(tag(head, id=sid))
            if body.strip():
                children.append(dcc.Markdown(body, link_target="_self"))
    else:
        children.append(html.H1("Methodology"))
        children.append(window_note(window_hours))
        children.append(html.P("The full methodology document (docs/methodology.md) is not "
                               "installed here; these are the definitions the charts use.",
                               className="notes"))
    rest = [(a, t) for a, t in BUILTIN.items() if a not in seen]
    if rest and markdown:
        children.append(html.H2("Definitions used by the dashboard charts",
                                id="dashboard-definitions"))
    tag = html.H3 if markdown else html.H2
    for anchor, (head, body) in rest:
        children += [tag(head, id=anchor), html.P(body.format(w=w))]
    return children


def window_note(window_hours: float | None) -> html.P:
    w = window_label(window_hours)
    default = window_label(DEFAULT_WINDOW_HOURS)
    said = (f"the default, {default}" if w == default else
            f"{w}, not the default {default}: read W as {w} wherever the text below says W")
    return html.P(f"In the figures of this dashboard the response window W is {said} "
                  "(set by 'govwatch analyze --window-days').",
                  className="status")


def layout(**_query):
    text = DOC.read_text(encoding="utf-8") if DOC.is_file() else None
    return html.Div(render(text, data().window_hours()),
                    className="page page-methodology methodology")
