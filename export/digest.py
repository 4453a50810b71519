"""The digest of ``govwatch check`` as text, JSON or a self-contained HTML page.

Every name and text from the store is escaped in HTML; citizens never appear (the
alerts name official accounts, events and message ids only).
"""

from __future__ import annotations

from html import escape

from govwatch.analysis.alerts import RULES, Digest

FORMATS = ("text", "json", "html")
TITLES = {
    "critical_unanswered": "Critical messages unanswered",
    "event_silent": "Silent on an event",
    "rate_drop": "Response rate below its own baseline",
}


def render(digest: Digest, fmt: str) -> str:
    if fmt == "json":
        return digest.to_json() + "\n"
    if fmt == "html":
        return _html(digest)
    return _text(digest)


def _heading(digest: Digest) -> str:
    end = digest.observation_end.isoformat() if digest.observation_end else "unknown"
    n = len(digest.alerts)
    return (f"govwatch check: {n:,} alert{'s' if n != 1 else ''} at observation end {end} "
            f"(analysis run {digest.run_id})")


def _text(digest: Digest) -> str:
    lines = [_heading(digest)]
    for rule in RULES:
        alerts = [a for a in digest.alerts if a.rule == rule]
        if not alerts:
            continue
        lines += ["", f"{TITLES[rule]} ({len(alerts):,}):"]
        lines += [f"  {a.platform}:{a.official_author}: {a.summary}" for a in alerts]
    if not digest.alerts:
        lines.append("No rule fired.")
    return "\n".join(lines) + "\n"


def _html(digest: Digest) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(_heading(digest))}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;"
        "padding:0 1rem;line-height:1.4}li{margin:.3rem 0;overflow-wrap:anywhere}</style>",
        "</head><body><main>",
        f"<h1>{escape(_heading(digest))}</h1>",
    ]
    for rule in RULES:
        alerts = [a for a in digest.alerts if a.rule == rule]
        if not alerts:
            continue
        parts.append(f"<h2>{escape(TITLES[rule])} ({len(alerts):,})</h2><ul>")
        parts += [f"<li><strong>{escape(a.platform)}:{escape(a.official_author)}</strong>: "
                  f"{escape(a.summary)}</li>" for a in alerts]
        parts.append("</ul>")
    if not digest.alerts:
        parts.append("<p>No rule fired.</p>")
    parts.append("</main></body></html>\n")
    return "\n".join(parts)
