"""The API v2 page fast path gives the rows the general path gives, or leaves the line alone.

Each line is read both ways: ``read_page`` (msgspec, typed) and ``TwitterV2Reader._line``
(``json.loads`` and ``v2_post``, the path that explains rejects). Where the fast path takes
a line, posts, accounts and rows read must be identical (``raw`` as a JSON value: the fast
path keeps the file's own text) and the general path must reject nothing; where it does
not, the batch it was given must be untouched.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path

import pytest
from govwatch.ingest.base import ReadOptions, has_bad_utf8, open_text
from govwatch.ingest.jsonio import is_utf8, iter_lines
from govwatch.ingest.twitter_json import BatchBuilder, TwitterV2Reader, _stream
from govwatch.ingest.twitter_v2_fast import read_flat, read_line, read_page
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st


def _rows(batch) -> tuple[list[dict], list]:
    posts = batch.posts.to_pylist() if batch.posts is not None else []
    raws = [None if (r := p.pop("raw")) is None else json.loads(r) for p in posts]
    return posts, raws


def read_both(line: bytes, fast_reader=read_page, keep_raw: bool = True):
    """(taken, general batch, fast batch) for one line: the general path's dispatch
    (TwitterV2Reader._line) against ``fast_reader``."""
    general = BatchBuilder(10**9, keep_raw=keep_raw)
    TwitterV2Reader._line(json.loads(line), 7, general)
    fast = BatchBuilder(10**9, keep_raw=keep_raw)
    taken = fast_reader(line, fast)
    return taken, general.take(), fast.take()


def assert_same(general, fast) -> None:
    assert not general.rejects
    assert _rows(general) == _rows(fast)
    g_acc = general.accounts.to_pylist() if general.accounts is not None else []
    f_acc = fast.accounts.to_pylist() if fast.accounts is not None else []
    assert g_acc == f_acc
    assert general.rows_read == fast.rows_read


def assert_untouched(fast) -> None:
    assert fast.posts is None and fast.accounts is None
    assert fast.rejects == [] and fast.rows_read == 0


def check_mangled(line: bytes, fast_reader=read_page, keep_raw: bool = True) -> None:
    """A mangled line is mapped as the general path maps it, or left with nothing added."""
    taken, general, fast = read_both(line, fast_reader, keep_raw)
    if taken:
        assert_same(general, fast)
    else:
        assert_untouched(fast)


# -- a page in the documented shape, with the cases the mapping distinguishes --------------
def _tweet(i: int, **extra) -> dict:
    t = {
        "id": str(1_600_000_000_000_000_000 + i),
        "text": f"tweet {i} &amp; more",
        "author_id": "11",
        "created_at": "2023-01-02T03:04:05.000Z",
        "conversation_id": str(1_600_000_000_000_000_000 + i),
        "lang": "en",
        "public_metrics": {"retweet_count": 1, "reply_count": 2, "like_count": 3,
                           "quote_count": 0},
        "edit_history_tweet_ids": [str(1_600_000_000_000_000_000 + i)],
    }
    t.update(extra)
    return t


def page() -> dict:
    parent = _tweet(0, author_id="22", lang="und")
    return {
        "data": [
            _tweet(1, referenced_tweets=[{"type": "replied_to", "id": parent["id"]}],
                   in_reply_to_user_id="22", conversation_id=parent["id"],
                   entities={"mentions": [{"start": 0, "end": 5, "username": "city",
                                           "id": "22"}, {"username": ""}]}),
            _tweet(2, referenced_tweets=[{"type": "retweeted", "id": parent["id"]}],
                   text="RT @city: x"),
            _tweet(3, referenced_tweets=[{"type": "quoted", "id": parent["id"]}], lang="in",
                   note_tweet={"text": "the long form &lt;b&gt;"}),
            _tweet(4, in_reply_to_user_id="99", author_id="33", public_metrics=None),
            _tweet(1, text="the same id again: the first one wins"),
            _tweet(5, created_at="2023-01-02T05:04:05+02:00", lang=None),
        ],
        "includes": {
            "users": [{"id": "11", "username": "ministry", "name": "Ministry"},
                      {"id": "22", "username": "city", "name": "City Hall",
                       "description": "x" * 300},
                      {"id": "33", "username": "someone"},
                      {"id": "11", "username": "ministry"}],
            "tweets": [parent],
        },
        "meta": {"result_count": 6, "newest_id": "1", "oldest_id": "2"},
        "__twarc": {"url": "https://api.twitter.com/2/tweets/search/all", "version": "2.12.0"},
    }


def line_of(obj) -> bytes:
    return json.dumps(obj).encode()


def test_a_documented_page_is_taken_and_mapped_as_the_general_path_maps_it():
    taken, general, fast = read_both(line_of(page()))
    assert taken
    assert_same(general, fast)
    posts, raws = _rows(fast)
    by_id = {p["post_id"]: p for p in posts}
    # the cases above, checked against the page itself
    assert len(posts) == 6 and fast.rows_read == 7  # six distinct ids of seven tweets
    assert by_id["1600000000000000001"]["kind"] == "reply"
    assert by_id["1600000000000000001"]["in_reply_to_author"] == "city"
    assert by_id["1600000000000000001"]["mentions"] == ["city"]
    assert by_id["1600000000000000001"]["text"] == "tweet 1 & more"
    assert by_id["1600000000000000002"]["kind"] == "repost"
    assert by_id["1600000000000000003"]["kind"] == "quote"
    assert by_id["1600000000000000003"]["text"] == "the long form <b>"
    assert by_id["1600000000000000003"]["lang"] == "id"
    assert by_id["1600000000000000004"]["author"] == "someone"
    assert by_id["1600000000000000004"]["in_reply_to_author"] == "99"
    assert by_id["1600000000000000004"]["like_count"] is None
    assert by_id["1600000000000000005"]["created_at"].isoformat() == "2023-01-02T03:04:05+00:00"
    assert by_id["1600000000000000000"]["lang"] is None
    assert raws[0] == page()["data"][0]  # the file's own JSON for each tweet


@pytest.mark.shared
def test_real_pages_are_taken_and_mapped_identically(shared_data):
    folder = shared_data / "twarc2_api_v2_jsonl"
    taken_lines = 0
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            if not line.strip():
                continue
            taken, general, fast = read_both(line)
            if taken:
                taken_lines += 1
                assert_same(general, fast)
            else:
                assert_untouched(fast)
                assert "data" not in json.loads(line) or not isinstance(
                    json.loads(line)["data"], list), f"{path.name}: a page line was not taken"
    assert taken_lines == 4  # brexit, media_policy_violation_off, noflat, two_tweets


# -- mangled pages -------------------------------------------------------------------------
ODD_VALUES = [
    None, "", " ", " 1600000000000000009 ", "1600000000000000009\n", "١٢٣", "abc", -1, 0, 7,
    2**63 - 1, 2**63, 2**64, True, False, 1.5, [], {}, ["x"], {"text": 5},
    "2023-01-02T03:04:05Z", "2023-01-02t03:04:05z", "2023-02-30T00:00:00Z",
    "2023-01-02T03:04:05", "2023-01-02T03:04:05.1234567Z", "Mon Jan 02 03:04:05 +0000 2023",
    "&amp;&lt;&gt;", "x" * 100_001, "\ud83d\ude00 emoji", "und", "IW",
]
TWEET_FIELDS = ["id", "text", "author_id", "created_at", "conversation_id", "lang",
                "in_reply_to_user_id", "public_metrics", "referenced_tweets", "entities",
                "note_tweet", "author", "in_reply_to_user"]
NESTED = [("public_metrics", "like_count"), ("public_metrics", "retweet_count"),
          ("note_tweet", "text"), ("entities", "mentions")]
USER_FIELDS = ["id", "username", "name"]
DELETE = object()

edits = st.one_of(
    st.tuples(st.just("tweet"), st.integers(0, 5), st.sampled_from(TWEET_FIELDS),
              st.sampled_from([*ODD_VALUES, DELETE])),
    st.tuples(st.just("nested"), st.integers(0, 5), st.sampled_from(NESTED),
              st.sampled_from([*ODD_VALUES, DELETE])),
    st.tuples(st.just("user"), st.integers(0, 3), st.sampled_from(USER_FIELDS),
              st.sampled_from([*ODD_VALUES, DELETE])),
    st.tuples(st.just("page"), st.just(0), st.sampled_from(["data", "includes", "meta"]),
              st.sampled_from([None, {}, [], 5, "x", DELETE, {"users": 3}, {"tweets": [1]}])),
    st.tuples(st.just("ref"), st.integers(0, 2), st.sampled_from(["type", "id"]),
              st.sampled_from([*ODD_VALUES, DELETE])),
)


def put(target: object, key: str, value: object) -> None:
    """Set (or, for DELETE, remove) ``key`` of ``target`` when it is an object."""
    if not isinstance(target, dict):
        return
    if value is DELETE:
        target.pop(key, None)
    else:
        target[key] = copy.deepcopy(value)


def mangle(obj: dict, edit) -> None:
    where, i, field, value = edit

    data = obj.get("data")
    tweets = data if isinstance(data, list) else []
    if where == "tweet" and tweets:
        put(tweets[i % len(tweets)], field, value)
    elif where == "nested" and tweets:
        t = tweets[i % len(tweets)]
        if isinstance(t, dict) and isinstance(t.get(field[0]), dict):
            put(t[field[0]], field[1], value)
    elif where == "user":
        users = (obj.get("includes") or {}).get("users") if isinstance(
            obj.get("includes"), dict) else None
        if isinstance(users, list) and users:
            put(users[i % len(users)], field, value)
    elif where == "page":
        put(obj, field, value)
    elif where == "ref" and tweets:
        t = tweets[0]
        refs = t.get("referenced_tweets") if isinstance(t, dict) else None
        if isinstance(refs, list) and refs:
            put(refs[i % len(refs)], field, value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edits, min_size=1, max_size=4))
def test_a_mangled_page_is_mapped_identically_or_left_to_the_general_path(edit_list):
    obj = page()
    for edit in edit_list:
        mangle(obj, edit)
    check_mangled(line_of(obj))


# -- the flattened layout (twarc2 flatten): one tweet a line, users expanded in place ------
def read_both_flat(line: bytes):
    """read_both for a flattened line (read_flat runs without keep_raw only)."""
    return read_both(line, read_flat, keep_raw=False)


def _user(uid: str, username: str, name: str | None = None, **extra) -> dict:
    u = {"id": uid, "username": username, **extra}
    if name is not None:
        u["name"] = name
    return u


def flat_tweet() -> dict:
    """A flattened reply, as ``twarc2 flatten`` writes one: author and replied-to user
    expanded, mentions expanded where the page held the user, the replied-to tweet and a
    quoted one expanded with their own authors (documented layout; hand-written)."""
    parent = _tweet(0, author_id="22", author=_user("22", "city", "City Hall"),
                    entities={"mentions": [_user("44", "citizen", "A Citizen",
                                                 start=0, end=8)]})
    quoted = _tweet(8, author_id="33", author=_user("33", "someone", None))
    t = _tweet(1, referenced_tweets=[dict(parent, type="replied_to"),
                                     dict(quoted, type="quoted"),
                                     {"type": "quoted", "id": "1600000000000000099"}],
               in_reply_to_user_id="22", conversation_id=parent["id"],
               author=_user("11", "ministry", "Ministry", description="x" * 300),
               in_reply_to_user=_user("22", "city", "City Hall"),
               entities={"mentions": [_user("22", "city", "City Hall", start=0, end=5),
                                      {"start": 6, "end": 9, "username": "nobody", "id": "55"},
                                      {"username": ""}]})
    t["__twarc"] = {"url": "https://api.twitter.com/2/tweets/search/all", "version": "2.12.0"}
    return t


def test_a_documented_flattened_tweet_is_taken_and_mapped_as_the_general_path_maps_it():
    taken, general, fast = read_both_flat(line_of(flat_tweet()))
    assert taken
    assert_same(general, fast)
    posts, _ = _rows(fast)
    by_id = {p["post_id"]: p for p in posts}
    assert sorted(by_id) == ["1600000000000000000", "1600000000000000001",
                             "1600000000000000008"]  # the tweet and two expanded ones
    assert by_id["1600000000000000001"]["author"] == "ministry"
    assert by_id["1600000000000000001"]["kind"] == "reply"
    assert by_id["1600000000000000001"]["in_reply_to_author"] == "city"
    assert by_id["1600000000000000001"]["mentions"] == ["city", "nobody"]
    assert by_id["1600000000000000008"]["author"] == "someone"
    accounts = {a["author"]: a["display_name"] for a in fast.accounts.to_pylist()}
    assert accounts == {"ministry": "Ministry", "city": "City Hall", "citizen": "A Citizen"}


@pytest.mark.shared
def test_real_flattened_lines_are_taken_and_mapped_identically(shared_data):
    lines = [line for line in (shared_data / "twarc2_api_v2_jsonl" / "flat.jsonl")
             .read_bytes().splitlines() if line.strip()]
    assert len(lines) == 100
    for line in lines:
        taken, general, fast = read_both_flat(line)
        assert taken
        assert_same(general, fast)


def test_read_line_takes_pages_and_flattened_lines_alike():
    out = BatchBuilder(10**9, keep_raw=False)
    assert read_line(line_of(page()), out) and read_line(line_of(flat_tweet()), out)
    assert not read_line(line_of({"meta": {"result_count": 0}}), out)
    assert out.take().rows_read == 7 + 3
    # a page read_page leaves is not taken as a flattened tweet either
    broken = page()
    broken["data"][0]["created_at"] = "yesterday"
    assert not read_line(line_of(broken), BatchBuilder(10**9, keep_raw=False))


def test_read_line_takes_a_page_whatever_the_order_of_its_keys():
    """A page that does not begin with "data" (another collector's key order) is first
    offered to read_flat, which leaves it, and then taken as a page."""
    reordered = {k: page()[k] for k in ("meta", "includes", "data")}
    assert not line_of(reordered).startswith(b'{"data"')
    out, expected = BatchBuilder(10**9, keep_raw=False), BatchBuilder(10**9, keep_raw=False)
    assert read_line(line_of(reordered), out)
    assert read_page(line_of(page()), expected)
    assert_same(expected.take(), out.take())


FLAT_PLACES = ["tweet", "author", "in_reply_to_user", "mention", "ref", "ref_author"]
FLAT_FIELDS = [*TWEET_FIELDS, "username", "name", "type", "data", "id_str", "user", "__twarc"]

flat_edits = st.tuples(st.sampled_from(FLAT_PLACES), st.integers(0, 3),
                       st.sampled_from(FLAT_FIELDS), st.sampled_from([*ODD_VALUES, DELETE]))


def mangle_flat(obj: dict, edit) -> None:
    where, i, field, value = edit
    refs = obj.get("referenced_tweets")
    refs = [r for r in refs if isinstance(r, dict)] if isinstance(refs, list) else []
    mentions = (obj.get("entities") or {}).get("mentions") if isinstance(
        obj.get("entities"), dict) else None
    target = {
        "tweet": obj,
        "author": obj.get("author"),
        "in_reply_to_user": obj.get("in_reply_to_user"),
        "mention": mentions[i % len(mentions)] if isinstance(mentions, list) and mentions
        else None,
        "ref": refs[i % len(refs)] if refs else None,
        "ref_author": refs[i % len(refs)].get("author") if refs else None,
    }[where]
    put(target, field, value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(flat_edits, min_size=1, max_size=4))
@example([("ref", 0, "id", DELETE)])  # a referenced tweet without its id once crashed the import
# The replied-to user expanded without a handle: the handle is looked up among the
# line's other users (a mention), as the general path looks it up.
@example([("in_reply_to_user", 0, "username", None)])
def test_a_mangled_flattened_tweet_is_mapped_identically_or_left_to_the_general_path(edit_list):
    obj = flat_tweet()
    for edit in edit_list:
        mangle_flat(obj, edit)
    check_mangled(line_of(obj), read_flat, keep_raw=False)


# -- the whole reader: a file mixing taken lines, general lines and broken ones ------------
@pytest.mark.parametrize("keep_raw", [True, False])
def test_the_reader_gives_what_the_general_path_alone_gives(tmp_path, keep_raw):
    good = line_of(page())
    one_bad_tweet = page()
    one_bad_tweet["data"][2]["created_at"] = "yesterday"
    flat = line_of(dict(page()["data"][0], author={"id": "11", "username": "ministry",
                                                     "name": "Ministry"}))
    lines = [good, line_of(one_bad_tweet), b"", flat, b'{"data": [ {"id": truncated',
             b'{"data": [{"id": "5", "text": "\xff"}]}', b"  ", line_of({"meta": {}}),
             line_of({"data": [], "includes": {}}), good.replace(b"tweet 1", b"tweet one")]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines) + b"\n")

    def everything(batches):
        batches = list(batches)
        rows = [_rows(b) for b in batches]
        posts = [p for b_posts, _ in rows for p in b_posts]
        raws = [r for _, b_raws in rows for r in b_raws]
        accounts = [a for b in batches if b.accounts is not None
                    for a in b.accounts.to_pylist()]
        rejects = [r for b in batches for r in b.rejects]
        return posts, raws, accounts, rejects, sum(b.rows_read for b in batches)

    options = ReadOptions(chunk_rows=5, keep_raw=keep_raw)  # several batches
    with_fast = everything(TwitterV2Reader().read(path, options))
    general_only = everything(_stream(path, options, None, TwitterV2Reader._line))
    assert with_fast == general_only
    assert {r is None for r in with_fast[1]} == {not keep_raw}  # no record unless asked
    rejects = with_fast[3]
    assert [r.locator.split(":")[0] for r in rejects] == ["line 2", "line 5", "line 6"]
    assert "created_at" in rejects[0].locator and "invalid JSON" in rejects[1].reason
    assert rejects[2].reason == "invalid UTF-8"


# -- line splitting shared by the JSON Lines readers ---------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([b"{}", b"[1]", b"\r", b"\n", b"\r\n", b" ", b"\t",
                                 b"\xef\xbb\xbf", b"\xff", b"\xc3\xa9", b"\xc2\x85",
                                 b"\xe2\x80\xa8", b"x"]), max_size=30))
def test_lines_split_as_the_text_reader_splits_them(parts):
    data = b"".join(parts)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lines.jsonl"
        path.write_bytes(data)
        with open_text(path) as f:
            expected = [(n, line) for n, line in enumerate(f, start=1) if line.strip()]
        got = list(iter_lines(path))
    assert [(n, text) for n, text, _ in got] == expected
    for _, text, raw in got:
        if raw is None:
            assert has_bad_utf8(text)
        else:
            assert raw.decode("utf-8") == text


_UTF8_EDGES = [b"\xed\x9f\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xee\x80\x80",  # surrogates
               b"\xc0\x80", b"\xc1\xbf", b"\xe0\x80\x80", b"\xf0\x80\x80\x80",  # overlong
               b"\xf4\x8f\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80",  # the top
               b"\xc3", b"\xe2\x82", b"\x80", b"\xff", b"\xc3\xa9", b"\xf0\x9f\x98\x80", b"a"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=40),
                 st.lists(st.sampled_from(_UTF8_EDGES), max_size=8).map(b"".join)))
def test_utf8_is_checked_as_python_decodes(data):
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert is_utf8(data) is valid


def test_the_reader_takes_the_fast_path_on_a_clean_file(tmp_path):
    """Guards the speed: a clean page file must not fall back line by line. The fast
    path keeps each tweet's JSON as the file writes it (json.dumps puts a space after
    each colon); the general path encodes it again without those spaces."""
    path = tmp_path / "pages.jsonl"
    path.write_bytes(b"\n".join(line_of(page()) for _ in range(3)) + b"\n")
    batches = list(TwitterV2Reader().read(path, ReadOptions(keep_raw=True)))
    assert sum(b.rows_read for b in batches) == 21
    raws = [r for b in batches for r in b.posts.column("raw").to_pylist()]
    assert len(raws) == 6
    assert all(r == json.dumps(json.loads(r)) for r in raws)
    # without keep_raw the page is decoded once and no post carries its record
    batches = list(TwitterV2Reader().read(path, ReadOptions()))
    assert [b.posts.column("raw").null_count for b in batches] == [6]


def test_an_account_is_handed_over_once_per_file(tmp_path):
    """Later batches do not stage again an account already staged (the import would keep
    the first record anyway); the store holds the same accounts."""
    from govwatch.ingest.pipeline import import_paths

    from govwatch.store import Store

    path = tmp_path / "pages.jsonl"
    pages = []
    for k in range(3):  # three pages of distinct posts by the same users
        p = page()
        for t in p["data"] + p["includes"]["tweets"]:
            t["id"] = t["conversation_id"] = str(int(t["id"]) + 1000 * k)
        pages.append(line_of(p))
    path.write_bytes(b"\n".join(pages) + b"\n")
    batches = list(TwitterV2Reader().read(path, ReadOptions(chunk_rows=6)))
    handed = [[] if b.accounts is None else b.accounts.column("author").to_pylist()
              for b in batches]
    assert handed == [["ministry", "city", "someone"], [], []]
    with Store(tmp_path / "s.duckdb") as store:
        import_paths(store, [path], fmt="twitter-v2", options=ReadOptions(chunk_rows=6))
        assert store.conn.execute("SELECT author, display_name FROM accounts ORDER BY 1"
                                  ).fetchall() == [("city", "City Hall"), ("ministry", "Ministry"),
                                                   ("someone", None)]
