"""Tests for the synthetic sample dataset (sample_data/generate.py and sample_data/small)."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from govwatch.sample_data import generate as gen

SMALL = Path(__file__).resolve().parents[1] / "sample_data" / "small"

ACCOUNT_COLUMNS = ["platform", "author", "institution", "country", "level", "timezone",
                   "office_hours", "display_name"]
POST_COLUMNS = ["platform", "post_id", "author", "created_at", "text", "in_reply_to_post_id",
                "in_reply_to_author", "conversation_id", "lang", "url", "like_count",
                "share_count", "reply_count"]
EVENT_COLUMNS = ["event_id", "name", "onset", "keywords", "critical", "country"]
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

# A deliberately simple critical-issue detector for English text, independent of the generator.
CRITICAL_WORDS = re.compile(
    r"\b(?:derail|collision|collaps|gas leak|accident|flood|landslide|cyclone|mob\b|lynch|"
    r"violen|riot|clash|curfew|outbreak|contaminat|diarrh|dengue|cholera|protest|unrest|"
    r"lathi|bribe|corrupt)",
    re.IGNORECASE,
)


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SMALL / name, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return gen.generate()


@pytest.fixture(scope="module")
def accounts() -> pd.DataFrame:
    return _read("accounts.csv")


@pytest.fixture(scope="module")
def posts() -> pd.DataFrame:
    df = _read("posts.csv")
    df["ts"] = pd.to_datetime(df["created_at"], utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    return df


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return _read("events.csv")


@pytest.fixture(scope="module")
def officials(accounts) -> set[str]:
    return set(accounts["author"])


def _parents(posts: pd.DataFrame) -> pd.DataFrame:
    """Every reply joined to the post it replies to (parent columns suffixed _parent)."""
    replies = posts[posts["in_reply_to_post_id"] != ""]
    parent = posts[["platform", "post_id", "author", "ts", "conversation_id"]]
    return replies.merge(parent, left_on=["platform", "in_reply_to_post_id"],
                         right_on=["platform", "post_id"], how="left",
                         suffixes=("", "_parent"), validate="many_to_one")


def _keyword_pattern(keywords: str) -> re.Pattern:
    words = "|".join(re.escape(k) for k in keywords.split(";"))
    return re.compile(rf"(?<!\w)#?(?:{words})(?!\w)", re.IGNORECASE)


# -- determinism and the committed copy ---------------------------------------

def test_same_seed_gives_identical_frames(frames):
    again = gen.generate()
    for key in ("accounts", "posts", "events"):
        pd.testing.assert_frame_equal(frames[key], again[key])


def test_different_seed_differs(frames):
    other = gen.generate(seed=7)
    assert not frames["posts"].equals(other["posts"])
    assert set(frames["posts"]["post_id"]) != set(other["posts"]["post_id"])


def test_committed_copy_matches_generator(tmp_path):
    paths = gen.write(tmp_path)
    assert sorted(p.name for p in paths.values()) == ["accounts.csv", "events.csv", "posts.csv"]
    for path in paths.values():
        committed = SMALL / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} drifted from the generator; regenerate with "
            "`python -m govwatch.sample_data.generate --out sample_data/small`")


def test_frames_round_trip_through_csv(frames, posts):
    expected = frames["posts"].astype(str).reset_index(drop=True)
    pd.testing.assert_frame_equal(posts[POST_COLUMNS], expected, check_dtype=False)


def test_scale_changes_only_message_volume(frames):
    small = gen.generate(scale=0.3)
    pd.testing.assert_frame_equal(small["accounts"], frames["accounts"])
    pd.testing.assert_frame_equal(small["events"], frames["events"])
    assert 0.2 * len(frames["posts"]) < len(small["posts"]) < 0.8 * len(frames["posts"])
    with pytest.raises(ValueError):
        gen.generate(scale=0)


def test_command_line_writes_files(tmp_path, capsys):
    assert gen.main(["--out", str(tmp_path / "out"), "--seed", "3", "--scale", "0.1"]) == 0
    printed = capsys.readouterr().out
    for name in ("accounts.csv", "posts.csv", "events.csv"):
        assert (tmp_path / "out" / name).is_file()
        assert name in printed


# -- file contract ------------------------------------------------------------

@pytest.mark.parametrize("name,columns", [
    ("accounts.csv", ACCOUNT_COLUMNS), ("posts.csv", POST_COLUMNS), ("events.csv", EVENT_COLUMNS)])
def test_header_is_first_line_and_columns_in_order(name, columns):
    raw = (SMALL / name).read_bytes()
    assert b"\r" not in raw
    assert raw.decode("utf-8").split("\n", 1)[0] == ",".join(columns)
    assert list(_read(name).columns) == columns


def test_committed_copy_size_and_volume(posts, officials):
    total = sum((SMALL / n).stat().st_size for n in ("accounts.csv", "posts.csv", "events.csv"))
    assert total < 2_500_000
    citizen = posts[~posts["author"].isin(officials)]
    addressed = citizen[(citizen["in_reply_to_author"].isin(officials))
                        | citizen["text"].str.contains("@", regex=False)]
    assert 3000 <= len(addressed) <= 6000


def test_accounts(accounts):
    assert 25 <= len(accounts) <= 35
    assert not accounts.duplicated(["platform", "author"]).any()
    assert set(accounts["country"]) == {"XA", "XB", "XC"}
    assert set(accounts["platform"]) == {"x", "facebook"}
    assert 10 <= (accounts["platform"] == "facebook").sum() <= 14
    # peer groups big enough to rank in (benchmarks need 5 by default): a dozen
    # national ministries of Avalor and two groups of city halls
    groups = accounts.groupby(["country", "level"]).size()
    assert groups[("XA", "national")] >= 12
    assert groups[("XA", "local")] >= 5 and groups[("XB", "local")] >= 5
    assert set(accounts["level"]) <= {"national", "state", "local"}
    assert not accounts.loc[accounts["platform"] == "x", "author"].str.startswith("@").any()
    assert accounts.groupby("country")["timezone"].nunique().eq(1).all()
    hours = accounts["office_hours"]
    assert hours.str.fullmatch(r"(|[A-Z][a-z]{2}-[A-Z][a-z]{2} \d{2}:\d{2}-\d{2}:\d{2})").all()
    assert (hours != "").sum() > len(accounts) / 2 and (hours == "").any()
    assert (accounts["display_name"] != "").all()


def test_generator_offsets_match_tz_database():
    for code, country in gen.COUNTRIES.items():
        for month in (1, 2, 3):
            local = pd.Timestamp(2026, month, 15, tz=ZoneInfo(country.timezone))
            assert local.utcoffset().total_seconds() == country.utc_offset, code


def test_post_ids_unique_and_platform_styled(posts, accounts):
    assert not posts.duplicated(["platform", "post_id"]).any()
    assert set(posts["platform"]) <= {"x", "facebook"}
    x_ids = posts.loc[posts["platform"] == "x", "post_id"]
    assert x_ids.str.fullmatch(r"\d{18,19}").all()
    fb_ids = posts.loc[posts["platform"] == "facebook", "post_id"]
    assert fb_ids.str.fullmatch(r"\d+_\d+").all()


def test_timestamps_are_utc_iso_z_inside_window(posts, events):
    assert posts["created_at"].str.match(ISO_Z).all()
    assert events["onset"].str.match(ISO_Z).all()
    assert posts["ts"].min() >= pd.Timestamp("2026-01-05T00:00:00Z")
    assert posts["ts"].max() < pd.Timestamp("2026-03-16T00:00:00Z")


def test_posts_sorted(posts):
    key = posts[["created_at", "platform", "post_id"]]
    assert key.equals(key.sort_values(["created_at", "platform", "post_id"]))


def test_values_well_formed(posts):
    for col in ("like_count", "share_count", "reply_count"):
        assert posts[col].str.fullmatch(r"\d+").all(), col
    assert set(posts["lang"]) <= {"en", "hi", "id", "ru", "kk"}
    assert (posts["lang"] == "en").mean() > 0.75
    assert (posts["text"] != "").all()
    assert not posts["text"].str.contains("\n").any()
    assert not posts["text"].str.contains(r"\{\w+\}").any(), "unfilled template slot"


def test_replies_reference_existing_posts(posts):
    joined = _parents(posts)
    assert joined["author_parent"].notna().all(), "reply to a post that is not in posts.csv"
    assert (joined["in_reply_to_author"] == joined["author_parent"]).all()
    assert (joined["conversation_id"] == joined["conversation_id_parent"]).all()
    assert (joined["ts"] > joined["ts_parent"]).all()
    roots = posts[posts["in_reply_to_post_id"] == ""]
    assert (roots["conversation_id"] == roots["post_id"]).all()


def test_reply_count_covers_observed_replies(posts):
    observed = posts.groupby(["platform", "in_reply_to_post_id"]).size()
    counts = posts.set_index(["platform", "post_id"])["reply_count"].astype(int)
    replied = observed.drop(index="", level=1, errors="ignore")
    assert (counts.loc[replied.index] >= replied).all()


def test_official_replies_after_message(posts, officials):
    joined = _parents(posts)
    official = joined[joined["author"].isin(officials) & ~joined["author_parent"].isin(officials)]
    assert len(official) > 300
    assert (official["ts"] > official["ts_parent"]).all()
    # a few messages get more than one official reply
    per_message = official.groupby(["platform", "in_reply_to_post_id"]).size()
    assert 0 < (per_message > 1).sum() < 0.2 * len(per_message)
    deflect = official["text"].str.contains(r"DM us your PNR|contact the helpline", regex=True)
    assert 0 < deflect.sum() < 0.3 * len(official)


def test_some_official_replies_outside_office_hours(posts, accounts):
    outside = 0
    for acct in accounts[accounts["office_hours"] != ""].itertuples():
        days, times = acct.office_hours.split()
        d1, d2 = (gen._DAY_NAMES.index(d) for d in days.split("-"))
        start, end = times.split("-")
        mine = posts[(posts["author"] == acct.author) & (posts["in_reply_to_post_id"] != "")]
        local = mine["ts"].dt.tz_convert(ZoneInfo(acct.timezone))
        hhmm = local.dt.strftime("%H:%M")
        inside = local.dt.day_of_week.between(d1, d2) & (hhmm >= start) & (hhmm < end)
        outside += int((~inside).sum())
        if len(mine) >= 20:
            assert inside.sum() > (~inside).sum(), f"{acct.author} mostly answers outside hours"
    assert outside > 0


def test_citizens_address_officials_by_reply_and_by_mention(posts, officials):
    citizen = posts[~posts["author"].isin(officials)]
    replies = citizen[citizen["in_reply_to_author"].isin(officials)]
    mentions = citizen[(citizen["in_reply_to_post_id"] == "")
                       & citizen["text"].str.contains(r"@\w+", regex=True)]
    assert len(replies) > 500 and len(mentions) > 500
    assert (mentions["conversation_id"] == mentions["post_id"]).all()
    assert set(citizen["author"]).isdisjoint(officials)


def _answer_rates(posts: pd.DataFrame, officials: set[str]) -> pd.DataFrame:
    """Per official: share of English routine / critical messages it answered."""
    replies = posts[posts["author"].isin(officials) & (posts["in_reply_to_post_id"] != "")]
    answered = set(zip(replies["platform"], replies["in_reply_to_post_id"], replies["author"],
                       strict=True))
    citizen = posts[~posts["author"].isin(officials) & (posts["lang"] == "en")]
    rows = []
    for handle in sorted(officials):
        to_me = citizen[(citizen["in_reply_to_author"] == handle)
                        | citizen["text"].str.contains(f"@{handle}(?!\\w)", regex=True)]
        critical = to_me["text"].str.contains(CRITICAL_WORDS)
        got = pd.Series([(p, i, handle) in answered
                         for p, i in zip(to_me["platform"], to_me["post_id"], strict=True)],
                        index=to_me.index, dtype=bool)
        rows.append({"author": handle, "n_routine": int((~critical).sum()),
                     "n_critical": int(critical.sum()),
                     "routine_rate": got[~critical].mean(), "critical_rate": got[critical].mean()})
    return pd.DataFrame(rows).set_index("author")


def test_answers_routine_but_ignores_critical_pattern(posts, officials):
    rates = _answer_rates(posts, officials)
    enough = rates[(rates["n_routine"] >= 50) & (rates["n_critical"] >= 20)]
    ignores = enough[(enough["routine_rate"] >= 0.4)
                     & (enough["critical_rate"] <= enough["routine_rate"] / 4)]
    assert len(ignores) >= 1, rates
    # ... and the opposite exists too, as does an account that barely answers at all
    assert (enough["critical_rate"] >= 2 * enough["routine_rate"]).any(), rates
    total = rates["routine_rate"].fillna(0) * rates["n_routine"] + rates["critical_rate"].fillna(0) * rates["n_critical"]
    overall = total / (rates["n_routine"] + rates["n_critical"])
    assert (overall[rates["n_routine"] + rates["n_critical"] >= 50] < 0.05).any(), rates


def test_events_contract(events):
    assert set(events["critical"]) == {"true", "false"}
    assert 3 <= (events["critical"] == "true").sum() <= 5
    assert set(events["country"]) <= {"XA", "XB", "XC"}
    assert events["event_id"].is_unique
    assert events["keywords"].str.split(";").map(lambda ks: all(k.strip() for k in ks)).all()


def test_event_keywords_appear_in_public_posts_after_onset(posts, events, officials):
    public = posts[~posts["author"].isin(officials)]
    for ev in events.itertuples():
        onset = pd.Timestamp(ev.onset)
        hits = public[public["text"].str.contains(_keyword_pattern(ev.keywords))]
        after = hits[hits["ts"] >= onset]
        assert len(after) >= 20, ev.event_id
        assert after["ts"].min() - onset < pd.Timedelta(hours=1), ev.event_id


def test_public_leads_officials_on_critical_events(posts, events, officials):
    for ev in events[events["critical"] == "true"].itertuples():
        onset = pd.Timestamp(ev.onset)
        pattern = _keyword_pattern(ev.keywords)
        hits = posts[posts["text"].str.contains(pattern) & (posts["ts"] >= onset)]
        official_posts = hits[hits["author"].isin(officials) & (hits["in_reply_to_post_id"] == "")]
        first_public = hits.loc[~hits["author"].isin(officials), "ts"].min()
        if len(official_posts):
            assert first_public < official_posts["ts"].min(), ev.event_id


def test_some_addressed_officials_stay_silent_on_critical_events(posts, events, officials):
    silent = 0
    for ev in events[events["critical"] == "true"].itertuples():
        pattern = _keyword_pattern(ev.keywords)
        after = posts[(posts["ts"] >= pd.Timestamp(ev.onset)) & posts["text"].str.contains(pattern)]
        asked = set(after.loc[after["in_reply_to_author"].isin(officials), "in_reply_to_author"])
        asked |= {h for h in officials if after["text"].str.contains(f"@{h}(?!\\w)").any()}
        spoke = set(after.loc[after["author"].isin(officials) & (after["in_reply_to_post_id"] == ""),
                              "author"])
        silent += len(asked - spoke)
    assert silent >= 2
