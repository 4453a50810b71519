"""The synthetic channel stories (sample_data/stories.py): the committed files are the
generator's output, and the demo store tells each story."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from govwatch.sample_data import stories

from govwatch.demo import build_demo, sample_dir

CRITICAL = tuple(stories.CRITICAL)


def test_committed_copy_matches_the_generator(tmp_path):
    written = stories.write(tmp_path)
    for key, path in written.items():
        assert path.read_bytes() == (sample_dir() / stories.FILES[key]).read_bytes(), (
            f"{path.name} differs: run `python -m govwatch.sample_data.stories --out "
            "sample_data/small`")
    assert "SYNTHETIC" in stories.__doc__
    assert "channel stories" in (Path(stories.__file__).parent / "README.md").read_text("utf-8")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    summary = build_demo(db)
    assert "complaint tickets, app reviews" in summary
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def test_the_complaint_queue_has_a_backlog_of_critical_tickets(demo):
    rows = demo.execute(f"""
        SELECT t.category IN {CRITICAL} AS critical, count(*) AS n,
               count(*) FILTER (WHERE t.resolution_censored) AS still_open,
               median(t.resolution_hours) AS resolution, median(t.response_hours) AS ack
        FROM ticket_resolutions t WHERE t.official_author = '{stories.DESK}' GROUP BY 1
        ORDER BY 1""").fetchall()
    (_, routine_n, routine_open, routine_res, routine_ack), (_, crit_n, crit_open, crit_res,
                                                              crit_ack) = rows
    assert routine_n > 150 and crit_n > 50
    assert crit_res > 5 * routine_res  # critical tickets close far more slowly
    assert crit_open > 3 * routine_open and crit_open / crit_n > 0.3  # the backlog
    assert routine_ack < 6 and crit_ack < 6  # every ticket is registered within hours
    registered = demo.execute(
        "SELECT registered_without_follow_up FROM template_use WHERE official_author = ?",
        [stories.DESK]).fetchone()[0]
    assert registered > 40  # "complaint registered", then nothing


def test_the_app_answers_everything_in_a_minute_with_templates(demo):
    share, thanked_low = demo.execute(
        "SELECT template_share, positive_thanks_to_low_rating FROM template_use "
        "WHERE official_author = ?", [stories.APP]).fetchone()
    assert share == 1.0 and thanked_low > 0
    answered, total, slowest = demo.execute(
        "SELECT count(*) FILTER (WHERE NOT censored), count(*), max(latency_hours) "
        "FROM responses WHERE official_author = ?", [stories.APP]).fetchone()
    assert answered == total > 100 and slowest * 3600 < 60
    assert demo.execute("SELECT channel FROM channel_metrics WHERE official_author = ?",
                        [stories.APP]).fetchone()[0] == "review"


def test_the_blocked_telegram_week_is_an_outage_and_a_blackout_not_a_quiet_account(demo):
    block_start, block_end = stories.BLOCK
    (outage_id, scope, source), = demo.execute(
        "SELECT outage_id, scope, source FROM outages WHERE country = 'XC'").fetchall()
    assert scope == ["telegram"] and source.startswith("SYNTHETIC")
    # the outage window: every Telegram channel of Cordania, no post in it, many expected
    (accounts, during, expected, s, e), = demo.execute(
        "SELECT official_accounts, posts_during, expected_posts, start_at, end_at "
        "FROM outage_windows WHERE outage_id = ? AND platform = 'telegram'",
        [outage_id]).fetchall()
    assert (accounts, during) == (len(stories.CHANNELS), 0) and expected > 100
    assert (s, e) == (block_start, block_end)
    # the blackout found in the posts alone, told apart as "only this platform went dark"
    blackouts = demo.execute("SELECT platform, country, start_at, end_at, kind, outage_id "
                             "FROM platform_blackouts").fetchall()
    assert len(blackouts) == 1
    platform, country, s, e, kind, found = blackouts[0]
    assert (platform, country, kind, found) == ("telegram", "XC", "platform", outage_id)
    assert s <= block_start + timedelta(hours=1) and block_end <= e < block_end + timedelta(
        hours=12)
    # no false "went quiet": the blocked channels' longest silence is the block, their own
    # silences are about a day; Verenask's channel really went quiet, outside any outage
    silence = {r[0]: r[1:] for r in demo.execute(
        "SELECT official_author, longest_silence_hours, longest_silence_outage_hours, "
        "longest_silence_outage_ids, longest_silence_outside_outages_hours "
        "FROM account_activity WHERE platform = 'telegram'").fetchall()}
    assert set(silence) == set(stories.CHANNELS)
    block_hours = (block_end - block_start).total_seconds() / 3600
    quiet_hours = (stories.QUIET[1] - stories.QUIET[0]).total_seconds() / 3600
    for channel, (longest, in_outage, ids, own) in silence.items():
        if channel == stories.QUIET_CHANNEL:
            assert (in_outage, ids) == (0.0, None) and own == longest >= quiet_hours
        else:
            assert in_outage == block_hours and ids == outage_id
            assert longest > block_hours and own < 48
    # comments left during the block wait for it; the clock without the block is shorter
    spans = demo.execute(
        "SELECT count(*), min(outage_hours), max(latency_hours - latency_hours_outside_outages)"
        " FROM outage_latencies WHERE NOT censored AND platform = 'telegram'").fetchone()
    assert spans[0] >= 6 and 0 < spans[1] and spans[2] <= block_hours
    # the protest event: the channels acknowledge it only after the block is lifted
    acks = demo.execute("SELECT official_author, first_post_at FROM event_acknowledgements "
                        "WHERE event_id = 'ev06' AND official_author LIKE '%_tg' "
                        "AND NOT censored").fetchall()
    assert len(acks) >= 3 and all(t >= block_end for _, t in acks)
