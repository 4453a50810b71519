"""The synthetic channel stories (sample_data/stories.py): the committed files are the
generator's output, and the demo store tells each story."""

from __future__ import annotations

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
