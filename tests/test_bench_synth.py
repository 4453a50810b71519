"""The benchmark data generator (benchmarks/synth.py): deterministic, exact sizes, realistic
shape, and what it writes imports into govwatch with no rejects (CSV and twarc2 pages)."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from govwatch.ingest.coverage import thread_coverage
from govwatch.ingest.pipeline import import_paths

from govwatch.store import Store

SYNTH_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "synth.py"
X_EPOCH_MS = 1288834974657
POSTS, ACCOUNTS, CHUNK = 4_000, 30, 1_500


def _load_synth():
    spec = importlib.util.spec_from_file_location("govwatch_bench_synth", SYNTH_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


synth = _load_synth()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    synth.generate(out, POSTS, ACCOUNTS, seed=7, fmt="both", chunk_rows=CHUNK)
    return out


@pytest.fixture(scope="module")
def posts(generated) -> pd.DataFrame:
    return pd.read_csv(generated / "posts.csv", dtype=str, keep_default_na=False)


def _tweets(path: Path) -> list[dict]:
    pages = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    return [t for page in pages for t in page["data"]]


def test_same_seed_same_bytes_other_seed_other_data(tmp_path, generated):
    again = tmp_path / "again"
    synth.generate(again, POSTS, ACCOUNTS, seed=7, fmt="both", chunk_rows=CHUNK)
    for name in ("posts.csv", "tweets.jsonl", "accounts.csv"):
        assert (again / name).read_bytes() == (generated / name).read_bytes(), name
    other = tmp_path / "other"
    synth.generate(other, POSTS, ACCOUNTS, seed=8, fmt="csv", chunk_rows=CHUNK)
    assert (other / "posts.csv").read_bytes() != (generated / "posts.csv").read_bytes()


@pytest.mark.parametrize("n", [1, 7, 1_501])
def test_requested_size_is_met_exactly(tmp_path, n):
    manifest = synth.generate(tmp_path, n, 12, fmt="both", chunk_rows=1_000)
    with open(tmp_path / "posts.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == synth.POST_COLUMNS
    assert len(rows) - 1 == n == manifest["posts"]
    assert len(_tweets(tmp_path / "tweets.jsonl")) == n
    assert len(pd.read_csv(tmp_path / "accounts.csv")) == 12


def test_csv_and_twarc2_import_with_no_rejects(tmp_path, generated, posts):
    with Store(tmp_path / "s.duckdb") as store:
        accounts = import_paths(store, [generated / "accounts.csv"], "accounts-csv",
                                kind="accounts")
        from_csv = import_paths(store, [generated / "posts.csv"], "csv")
        assert accounts.rejected == 0 and from_csv.rejected == 0
        assert from_csv.total("posts_added") == POSTS
        assert store.count("accounts") == ACCOUNTS
        coverage = thread_coverage(store.conn, ["x"])[0]
        assert coverage.replies > POSTS // 3 and coverage.missing == 0
    with Store(tmp_path / "t.duckdb") as store:
        from_json = import_paths(store, [generated / "tweets.jsonl"], "twitter-v2")
        assert from_json.rejected == 0 and from_json.total("posts_added") == POSTS
        got = store.conn.execute(
            "SELECT post_id, author, in_reply_to_post_id, in_reply_to_author, mentions "
            "FROM posts ORDER BY post_id").df()
    want = posts.sort_values("post_id").reset_index(drop=True)
    assert got["post_id"].tolist() == want["post_id"].tolist()
    assert got["author"].tolist() == want["author"].tolist()
    replies = want["in_reply_to_post_id"] != ""
    assert got["in_reply_to_post_id"][replies].tolist() == want["in_reply_to_post_id"][
        replies].tolist()
    assert got["in_reply_to_author"][replies].tolist() == want["in_reply_to_author"][
        replies].tolist()
    # a post that starts with @handle names that user in its mentions
    at = want["text"].str.extract(r"^@(\w+)")[0]
    assert all(a in list(m) for a, m in zip(at[at.notna()], got["mentions"][at.notna()],
                                            strict=True))


def test_threads_ids_and_times_are_consistent(posts):
    assert posts["post_id"].str.fullmatch(r"\d+").all()
    assert posts["post_id"].is_unique
    created = pd.to_datetime(posts["created_at"], utc=True, format="ISO8601")
    ms = posts["post_id"].map(lambda i: (int(i) >> 22) + X_EPOCH_MS)
    assert ((ms - created.map(lambda t: t.value // 10**6)).between(0, 999)).all()
    by_id = dict(zip(posts["post_id"], created, strict=True))
    author = dict(zip(posts["post_id"], posts["author"], strict=True))
    replies = posts[posts["in_reply_to_post_id"] != ""]
    assert len(replies) > POSTS // 3
    for _, r in replies.iterrows():
        assert by_id[r["in_reply_to_post_id"]] < by_id[r["post_id"]]
        assert author[r["in_reply_to_post_id"]] == r["in_reply_to_author"]
        assert r["conversation_id"] in by_id
    roots = posts[posts["in_reply_to_post_id"] == ""]
    assert (roots["conversation_id"] == roots["post_id"]).all()


def test_realistic_shape(generated, posts):
    manifest = json.loads((generated / "SYNTHETIC.json").read_text("utf-8"))
    assert manifest["synthetic"] is True and "Invented" in manifest["note"]
    accounts = pd.read_csv(generated / "accounts.csv")
    assert accounts["country"].str.fullmatch(r"X[A-Z]").all()
    assert accounts["country"].nunique() >= 5
    assert set(accounts["level"]) == {"national", "state", "local"}
    assert accounts["display_name"].str.endswith("(synthetic)").all()
    official = posts["author"].isin(set(accounts["author"]))
    assert 0.2 < official.mean() < 0.5
    # official answers to the public exist, and some threads run several turns
    answers = posts[official & posts["in_reply_to_author"].isin(set(posts["author"][~official]))]
    assert len(answers) > POSTS // 10
    parent = dict(zip(posts["post_id"], posts["in_reply_to_post_id"], strict=True))

    def depth(pid: str) -> int:
        d = 0
        while parent.get(pid):
            pid, d = parent[pid], d + 1
        return d

    assert max(depth(p) for p in posts["post_id"]) >= 4
    lang = posts["lang"].value_counts(normalize=True)
    assert set(lang.index) == {"en", "hi", "id", "ru", "kk"} and lang["en"] > 0.5
    assert re.search(r"[\u0900-\u097F]", " ".join(posts["text"][posts["lang"] == "hi"]))
    assert re.search(r"[\u0400-\u04FF]", " ".join(posts["text"][posts["lang"] == "kk"]))
    length = posts["text"].str.len()
    assert length.min() >= 40 and length.max() <= 280
    citizen_text = posts["text"][~official]
    repeated = citizen_text.duplicated(keep=False).mean()
    assert 0.15 <= repeated <= 0.35
    assert manifest["citizen_texts_repeated_share"] == pytest.approx(repeated, abs=0.05)


# -- the adjustable shape ------------------------------------------------------------------------

def _shape_run(tmp_path: Path, name: str, **options) -> tuple[pd.DataFrame, dict]:
    out = tmp_path / name
    manifest = synth.generate(out, POSTS, ACCOUNTS, seed=7, fmt="csv", chunk_rows=CHUNK,
                              shape=synth.Shape(**options))
    return pd.read_csv(out / "posts.csv", dtype=str, keep_default_na=False), manifest


def _citizen_repeated(frame: pd.DataFrame, official: set[str]) -> float:
    """Share of the public's posts whose text occurs more than once."""
    return frame["text"][~frame["author"].isin(official)].duplicated(keep=False).mean()


def _depths(posts: pd.DataFrame) -> list[int]:
    parent = dict(zip(posts["post_id"], posts["in_reply_to_post_id"], strict=True))
    out = []
    for pid in posts["post_id"]:
        d = 0
        while parent.get(pid):
            pid, d = parent[pid], d + 1
        out.append(d)
    return out


def test_default_shape_is_the_documented_default(generated):
    manifest = json.loads((generated / "SYNTHETIC.json").read_text("utf-8"))
    assert manifest["shape_options"] == {}
    assert manifest["shape"] == {
        "replies_per_post": 4.5, "mentions_per_post": 0.6, "campaign_share": 0.16,
        "campaign_size": 25.0, "copy_share": 0.1, "answer_turns": 3, "follow_up": 0.35,
        "second_language": 0.4}


def test_duplication_options(tmp_path, generated, posts):
    official = set(pd.read_csv(generated / "accounts.csv")["author"])
    plain, manifest = _shape_run(tmp_path, "plain", campaign_share=0.0, copy_share=0.0)
    assert len(plain) == POSTS
    assert manifest["shape_options"] == {"campaign_share": 0.0, "copy_share": 0.0}
    heavy, _ = _shape_run(tmp_path, "heavy", copy_share=0.5)
    assert (_citizen_repeated(plain, official) < 0.05 < _citizen_repeated(posts, official)
            < _citizen_repeated(heavy, official))


def test_thread_and_language_options(tmp_path, posts):
    short, _ = _shape_run(tmp_path, "short", answer_turns=1)
    assert max(_depths(short)) == 2 < max(_depths(posts))
    silent, _ = _shape_run(tmp_path, "silent", answer_turns=0)
    # no thread goes past the public's reply to an official post
    assert max(_depths(silent)) == 1
    english, m_en = _shape_run(tmp_path, "english", second_language=0.0)
    assert set(english["lang"]) == {"en"} and m_en["languages"]["en"] == POSTS
    mixed, _ = _shape_run(tmp_path, "mixed", second_language=1.0)
    assert (mixed["lang"] == "en").mean() < (posts["lang"] == "en").mean()
    chatty, _ = _shape_run(tmp_path, "chatty", replies_per_post=12.0)
    assert (chatty["in_reply_to_post_id"] != "").sum() > (posts["in_reply_to_post_id"]
                                                          != "").sum()


def test_shape_options_are_deterministic_and_checked(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    for out in (a, b):
        assert synth.main(["--posts", "900", "--accounts", "12", "--out", str(out), "--seed",
                           "3", "--copy-share", "0.3", "--answer-turns", "2", "-q"]) == 0
    assert (a / "posts.csv").read_bytes() == (b / "posts.csv").read_bytes()
    manifest = json.loads((a / "SYNTHETIC.json").read_text("utf-8"))
    assert manifest["shape_options"] == {"copy_share": 0.3, "answer_turns": 2}
    for bad in (["--copy-share", "1.5"], ["--campaign-size", "0"], ["--answer-turns", "-1"]):
        with pytest.raises(SystemExit) as exit_info:
            synth.main(["--posts", "10", "--out", str(tmp_path / "bad"), "-q", *bad])
        assert exit_info.value.code == 2
