"""The newest text of a post is chosen by the export's own time, whatever the order in
which the exports are imported; the other text is kept once as a version."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from govwatch.ingest.pipeline import import_paths

from govwatch.store import Store

EARLIER = "the first wording, before the channel edited it"


def _stored(db) -> tuple[list, list]:
    with Store(db) as store:
        posts = store.conn.execute(
            "SELECT platform, post_id, text, version_at FROM posts ORDER BY 1, 2").fetchall()
        versions = store.conn.execute(
            "SELECT platform, post_id, text, version_at FROM post_versions "
            "ORDER BY 1, 2, 3").fetchall()
    return posts, versions


def _import_in_order(tmp_path, name, files) -> tuple[list, list, list[int]]:
    db = tmp_path / f"{name}.duckdb"
    changed = []
    with Store(db) as store:
        for f in files:
            changed += [r.posts_changed for r in import_paths(store, [f]).files]
    return (*_stored(db), changed)


def _telegram(messages: list[dict]) -> dict:
    return {"name": "City hall", "type": "public_channel", "id": 42, "messages": messages}


def _message(mid: int, text: str, sent: int, edited: int | None = None) -> dict:
    m = {"id": mid, "type": "message", "date": "2026-03-01T10:00:00",
         "date_unixtime": str(sent), "from": "City hall", "from_id": "channel42", "text": text}
    if edited is not None:
        m |= {"edited": "2026-03-02T10:00:00", "edited_unixtime": str(edited)}
    return m


def test_the_edited_telegram_text_wins_in_either_import_order(tmp_path):
    sent = 1772359200  # 2026-03-01T10:00:00Z
    before = tmp_path / "march.json"
    before.write_text(json.dumps(_telegram([_message(1, "teh water is off", sent),
                                            _message(2, "unchanged", sent + 60)])))
    after = tmp_path / "april.json"
    after.write_text(json.dumps(_telegram([_message(1, "the water is off", sent, sent + 3600),
                                           _message(2, "unchanged", sent + 60)])))
    forward = _import_in_order(tmp_path, "forward", [before, after])
    backward = _import_in_order(tmp_path, "backward", [after, before])
    assert forward[:2] == backward[:2]
    posts, versions = forward[:2]
    assert [(p[1], p[2]) for p in posts] == [("42/1", "the water is off"), ("42/2", "unchanged")]
    assert posts[0][3] == datetime.fromtimestamp(sent + 3600, UTC)
    assert versions == [("telegram", "42/1", "teh water is off", datetime.fromtimestamp(sent, UTC))]
    # each order's second import reports the one post it found with another text
    assert forward[2] == backward[2] == [0, 1]


def test_three_versions_in_any_order_give_one_history(tmp_path):
    sent = 1772359200
    files = []
    for i, text in enumerate(["one", "two", "three"]):
        f = tmp_path / f"v{i}.json"
        edited = sent + 3600 * i if i else None
        f.write_text(json.dumps(_telegram([_message(7, text, sent, edited)])))
        files.append(f)
    orders = {"012": files, "210": files[::-1], "102": [files[1], files[0], files[2]],
              "201": [files[2], files[0], files[1]]}
    results = {k: _import_in_order(tmp_path, k, v)[:2] for k, v in orders.items()}
    assert len({repr(r) for r in results.values()}) == 1, results
    posts, versions = results["012"]
    assert [p[2] for p in posts] == ["three"]
    assert [v[2] for v in versions] == ["one", "two"]
    # importing them all again changes nothing
    db = tmp_path / "012.duckdb"
    with Store(db) as store:
        for f in files:
            import_paths(store, [f])
    assert _stored(db) == results["012"]


def test_a_text_that_comes_back_leaves_the_versions(tmp_path):
    sent = 1772359200
    texts = [("kept", None), ("changed", sent + 60), ("kept", sent + 120)]
    files = []
    for i, (text, edited) in enumerate(texts):
        f = tmp_path / f"r{i}.json"
        f.write_text(json.dumps(_telegram([_message(3, text, sent, edited)])))
        files.append(f)
    forward = _import_in_order(tmp_path, "f", files)[:2]
    backward = _import_in_order(tmp_path, "b", files[::-1])[:2]
    assert forward == backward
    assert [p[2] for p in forward[0]] == ["kept"]
    assert [(v[2], v[3]) for v in forward[1]] == [
        ("changed", datetime.fromtimestamp(sent + 60, UTC))]


def test_without_export_times_the_later_import_wins_as_documented(tmp_path):
    header = "platform,post_id,author,created_at,text\n"
    a = tmp_path / "a.csv"
    a.write_text(header + "x,1,a,2026-03-01T10:00:00Z,first\n", encoding="utf-8")
    b = tmp_path / "b.csv"
    b.write_text(header + "x,1,a,2026-03-01T10:00:00Z,second\n", encoding="utf-8")
    posts, versions, _ = _import_in_order(tmp_path, "ab", [a, b])
    assert [p[2] for p in posts] == ["second"] and [v[2] for v in versions] == ["first"]
    posts, versions, _ = _import_in_order(tmp_path, "ba", [b, a])
    assert [p[2] for p in posts] == ["first"] and [v[2] for v in versions] == ["second"]


@pytest.mark.shared
def test_a_real_telegram_edit_wins_over_the_export_taken_before_it(tmp_path, shared_data):
    real = json.loads((shared_data / "telegram_desktop_channel_export"
                       / "result__messages_500-619.json").read_text(encoding="utf-8"))
    edited = [m for m in real["messages"] if "edited_unixtime" in m]
    assert len(edited) > 10
    # The same channel exported before its edits: each edited message had other text.
    earlier = copy.deepcopy(real)
    changed = {m["id"] for m in edited[:10]}
    for m in earlier["messages"]:
        if m["id"] in changed:
            m.pop("edited"), m.pop("edited_unixtime")
            m["text"] = f"{EARLIER} {m['id']}"
    old = tmp_path / "before.json"
    old.write_text(json.dumps(earlier, ensure_ascii=False), encoding="utf-8")
    new = tmp_path / "after.json"
    new.write_text(json.dumps(real, ensure_ascii=False), encoding="utf-8")
    forward = _import_in_order(tmp_path, "forward", [old, new])
    backward = _import_in_order(tmp_path, "backward", [new, old])
    assert forward[:2] == backward[:2]
    posts, versions = forward[:2]
    assert sorted(v[2] for v in versions) == sorted(f"{EARLIER} {i}" for i in changed)
    texts = {p[1]: p[2] for p in posts}
    assert not any(t and t.startswith(EARLIER) for t in texts.values())
    assert forward[2][1] == backward[2][1] == 10
