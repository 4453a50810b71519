"""Citizens' @handles are redacted by each platform's handle grammar (dots,
Bluesky domains, Mastodon user@instance), officials' handles never; the dashboard's
event data carries no citizen's post id."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from govwatch.dashboard.data import redact

from govwatch.pseudonym import redact_handles


def fake(h: str) -> str:
    return "p_" + str(len(h))


@pytest.mark.parametrize("platform, text, officials, expected", [
    # Facebook and YouTube names carry dots: the whole name is the handle
    ("facebook", "thanks @john.doe.1985.", set(), "thanks @p_13."),
    ("youtube", "@maria_l.o-pez hi", set(), "@p_13 hi"),
    # X handles have no dots: @john is mentioned, and what is glued to it goes too
    ("x", "@john.doe.1985 hi", set(), "@p_4 hi"),
    ("x", "@City_Hall.", {"city_hall"}, "@City_Hall."),
    # Bluesky handles are domains: a citizen's loses its domain, an official's stays
    ("bluesky", "@maria.lopez.bsky.social look", set(), "@p_23 look"),
    ("bluesky", "cc @cityhall.gov.example, @bob.bsky.social",
     {"cityhall.gov.example"}, "cc @cityhall.gov.example, @p_15"),
    # Mastodon: user@instance; an official's in either form stays
    ("mastodon", "@ana@mastodon.social and @mayor@gov.social and @mayor",
     {"mayor@gov.social"}, "@p_19 and @mayor@gov.social and @mayor"),
    # Telegram: 4-32 letters, digits, underscores
    ("telegram", "@ravi_kumar_88!", set(), "@p_13!"),
    # an unknown platform gets the widest grammar
    (None, "@a.b@inst.example x", set(), "@p_16 x"),
])
def test_handles_by_platform_grammar(platform, text, officials, expected):
    assert redact_handles(text, platform, frozenset(officials), fake) == expected


def test_no_name_part_survives():
    for platform in ("x", "facebook", "bluesky", "mastodon", "youtube", "telegram", None):
        out = redact_handles("hello @john.doe.1985 and @maria.lopez.bsky.social", platform,
                             frozenset(), fake)
        for part in ("john", "doe", "1985", "maria", "lopez", "bsky"):
            assert part not in out, (platform, out)


def test_emails_are_not_handles_and_handles_are_not_emails():
    out = redact("mail ravi.k@example.org or @ravi.k@mastodon.social; @mayor@gov.social",
                 frozenset({"mayor@gov.social"}), fake, "mastodon")
    assert out == "mail [email] or @p_22; @mayor@gov.social"


def test_events_download_has_no_citizen_post_id(dashboard_page):
    from govwatch.dashboard.pages._common import make_download

    events = dashboard_page("events")
    event_id, _ = events.state({})
    chart = events.download_item("event", {"event": event_id})
    frame = pd.read_csv(io.StringIO(make_download(chart, "csv", "e")["content"]))
    assert len(frame) and "public_latency_hours" in frame.columns
    assert not [c for c in frame.columns if "post_id" in c and "public" in c], frame.columns
    assert "first_public_post_id" not in chart.data.columns
