"""A handle in two letter cases is one account (handles are case-insensitive)."""

from __future__ import annotations

from govwatch.ingest.pipeline import import_paths

from govwatch.store import Store
from tests.builders import ACCOUNT_HEADER, POST_HEADER, account, post, write_csv


def _posts():
    rows = [post("100", "MinRail", "2026-01-01T08:00:00Z", "timetable")]
    for i in range(6):  # six citizens write to the ministry, in any case
        handle = ("MinRail", "minrail", "MINRAIL")[i % 3]
        rows.append(post(str(200 + i), f"c{i}", f"2026-01-01T09:0{i}:00Z", f"@{handle} late",
                         reply_to="100", reply_author=handle))
    rows.append(post("300", "minrail", "2026-01-01T10:00:00Z", "@c0 sorry", reply_to="200",
                     reply_author="c0"))
    return rows


def test_one_handle_in_two_cases_is_one_official_account(tmp_path):
    from govwatch.analysis.pipeline import run_analysis

    same = {"institution": "Ministry of Railways", "display_name": "Rail Ministry"}
    accounts = write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, [
        account("MinRail") | same, account("minrail") | same,
        account("MINRAIL", timezone="Asia/Kolkata") | same | {"institution": "Railways Board"}])
    posts = write_csv(tmp_path / "posts.csv", POST_HEADER, _posts())
    with Store(tmp_path / "s.duckdb") as store:
        f = import_paths(store, [accounts], kind="accounts").files[0]
        assert f.accounts_added == 1
        # the same account with the same attributes: one row; with others: reported
        assert [(r.locator, r.reason) for r in f.rejects] == [(
            "line 4", "MINRAIL is the account MinRail of line 2 (handles match in any letter "
            "case), with another institution 'Railways Board' (line 2: 'Ministry of Railways'), "
            "timezone 'Asia/Kolkata' (line 2: 'UTC'); line 2 is kept")]
        import_paths(store, [posts])
        assert store.conn.execute(
            "SELECT author, official FROM accounts WHERE lower(author) = 'minrail'"
        ).fetchall() == [("MinRail", True)]
        result = run_analysis(store)
        assert (result.messages, result.accounts) == (6, 1)
        assert result.answered == 1


def test_a_later_file_in_another_case_updates_the_stored_account(tmp_path):
    first = write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, [account("MinRail")])
    later = write_csv(tmp_path / "b.csv", ACCOUNT_HEADER,
                      [account("MINRAIL", institution="Railways Board")])
    with Store(tmp_path / "s.duckdb") as store:
        import_paths(store, [first], kind="accounts")
        f = import_paths(store, [later], kind="accounts").files[0]
        assert f.accounts_added == 0 and f.rejects == []
        assert store.conn.execute("SELECT author, institution FROM accounts").fetchall() == [
            ("MinRail", "Railways Board")]
