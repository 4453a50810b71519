"""The user's cache of compiled data (govwatch.usercache): the taxonomy, its term matcher
and the English word split read back from it are the ones built from their files; a
changed file, a damaged entry or a cache that cannot be written change nothing."""

from __future__ import annotations

import csv
import random
import re
import string
from pathlib import Path

import pytest
from govwatch.analysis import taxonomy as T
from govwatch.analysis.word_split import TABLE_LOOKUPS, EnglishSplit

from govwatch import usercache

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "small"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(usercache.CACHE_ENV, str(folder))
    return folder


def _texts() -> list[str]:
    with open(SAMPLE / "posts.csv", encoding="utf-8", newline="") as f:
        return [row["text"] for row in csv.DictReader(f)]


def _uncached(monkeypatch, fn):
    with monkeypatch.context() as m:
        m.setenv(usercache.CACHE_ENV, "")
        return fn()


def test_cached_taxonomy_and_matcher_are_the_built_ones(cache, monkeypatch):
    built = _uncached(monkeypatch, T.load_taxonomy)
    built_matcher = _uncached(monkeypatch, lambda: T.taxonomy_matcher(built))
    assert not cache.exists()
    first = T.load_taxonomy()  # builds and stores
    first_matcher = T.taxonomy_matcher(first)
    assert sorted(p.name.split("-")[0] for p in cache.iterdir()) == ["matcher", "taxonomy"]

    def not_built(*args, **kwargs):
        raise AssertionError("built again, not read from the cache")

    monkeypatch.setattr(T, "_parse_yaml", not_built)
    monkeypatch.setattr(T, "taxonomy_groups", not_built)
    again = T.load_taxonomy()  # reads the entry
    matcher = T.taxonomy_matcher(again)
    assert first == again == built and again.digest == built.digest
    assert vars(matcher) == vars(first_matcher) == vars(built_matcher)
    texts = _texts()[:3000]
    assert (matcher.counts(texts) == built_matcher.counts(texts)).all()
    assert matcher.counts(texts).sum() > 0


def test_a_changed_taxonomy_file_is_read_again(cache, tmp_path):
    path = tmp_path / "taxonomy.yaml"
    text = T.default_taxonomy_path().read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    before = T.load_taxonomy(path)
    assert T.load_taxonomy(path) == before
    path.write_text(re.sub(r"(?m)^version:.*$", "version: 7", text), encoding="utf-8")
    after = T.load_taxonomy(path)
    assert after.version == 7 and after.version != before.version
    assert after.digest != before.digest
    # an invalid file is an error however often a valid one was read before
    path.write_text(re.sub(r"(?m)^fallback:.*$", "fallback: nowhere", text), encoding="utf-8")
    with pytest.raises(T.TaxonomyError, match="fallback"):
        T.load_taxonomy(path)


def test_damaged_entries_and_an_unwritable_cache_are_misses(cache, monkeypatch, tmp_path):
    good = T.load_taxonomy()
    matcher = T.taxonomy_matcher(good)
    for entry in cache.iterdir():
        entry.write_bytes(entry.read_bytes()[:100])  # cut short
    assert T.load_taxonomy() == good
    assert vars(T.taxonomy_matcher(good)) == vars(matcher)
    for entry in cache.iterdir():
        entry.write_bytes(b"not marshal data at all")
    assert T.load_taxonomy() == good
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv(usercache.CACHE_ENV, str(blocked / "cache"))  # cannot be made
    assert usercache.store("taxonomy-x", (1, 2)) is False
    assert T.load_taxonomy() == good
    assert vars(T.taxonomy_matcher(good)) == vars(matcher)


def test_an_entry_answers_only_to_its_own_key(cache):
    assert usercache.store("kind-a", {"x": (1, 2)})
    assert usercache.load("kind-a") == {"x": (1, 2)}
    (cache / "kind-a.marshal").rename(cache / "kind-b.marshal")
    assert usercache.load("kind-b") is None
    assert usercache.entry_key("k", b"1", "2") != usercache.entry_key("k", b"12")


def test_old_entries_are_pruned(cache):
    for i in range(usercache.KEEP + 3):
        assert usercache.store(f"kind-{i}", i)
    assert len(list(cache.glob("kind-*"))) == usercache.KEEP
    assert not list(cache.glob(".*.tmp"))


def test_the_cached_word_split_is_the_built_one(cache, monkeypatch):
    built = _uncached(monkeypatch, EnglishSplit.load)
    EnglishSplit.load()  # builds and stores its table
    table = EnglishSplit.load()
    assert table._rank is None  # read from the cache: searched by bisection
    rng = random.Random(11)
    cases = ["", "a", "nepalquake", "triotree", "prayforboston", "yycflood", "zzzzqqq"]
    cases += ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 12)))
              for _ in range(30)]
    assert [table.split(c) for c in cases] == [built.split(c) for c in cases]
    assert 0 < table._lookups <= TABLE_LOOKUPS and table._rank is None
    # past TABLE_LOOKUPS look-ups the table becomes the dictionary, with the same splits
    more = ["".join(rng.choice(string.ascii_lowercase) for _ in range(20)) for _ in range(40)]
    assert [table.split(c) for c in more] == [built.split(c) for c in more]
    assert table._rank == built._rank
    assert EnglishSplit.from_table(("x", b"", b"", 1, 1)) is None
