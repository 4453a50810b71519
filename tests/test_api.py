"""The Python API on a real store: pseudonymised frames by default, exactly as exports."""

from __future__ import annotations

import pandas as pd
import pytest

import govwatch.api as gw
from govwatch.errors import UsageError


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return gw.sample_store(tmp_path_factory.mktemp("api") / "sample.duckdb")


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Values only: missing as None, whatever the dtype that carries them."""
    df = df.reset_index(drop=True).astype(object)
    return df.where(df.notna(), None)


def test_frames_equal_the_export_files(store, tmp_path):
    for what in ("responses", "accounts", "posts"):
        frame = store.read(what)
        result = store.export(what, tmp_path / f"{what}.parquet")
        assert result.fmt == "parquet"  # from the suffix
        written = pd.read_parquet(result.path)
        assert list(frame.columns) == list(written.columns) == result.columns
        assert len(frame) == len(written) == result.rows > 0
        pd.testing.assert_frame_equal(_plain(frame), _plain(written))


def test_citizens_are_pseudonymised_unless_asked_for(store):
    officials = set(store.read("accounts")["official_author"])
    hidden = store.read("responses")["message_author"].dropna()
    assert len(hidden) and hidden.str.fullmatch(r"p_[0-9a-f]{16}").all()
    clear = store.read("responses", identify_public=True)["message_author"].dropna()
    assert len(clear) == len(hidden) and set(clear).isdisjoint(set(hidden))
    assert not set(clear) & officials
    stored = store.read("posts", identify_public=True)
    assert set(clear) <= set(stored[~stored["author_is_official"]]["author"])
    posts = store.read("posts")
    public = posts[~posts["author_is_official"]]["author"]
    assert public.str.fullmatch(r"p_[0-9a-f]{16}").all()
    assert set(posts[posts["author_is_official"]]["author"]) <= officials


def test_any_derived_table_by_name(store):
    names = store.tables()
    assert {"km_curves", "benchmarks", "candidate_events", "tags"} <= set(names)
    curves = store.read("km_curves")
    assert len(curves) and "official_author" in curves
    with pytest.raises(UsageError, match="identify_public=True"):
        store.read("rejects")
    with pytest.raises(UsageError, match="identify_public=True"):
        store.read("account_examples")  # the messages' texts
    with pytest.raises(UsageError, match="no table 'nothing'"):
        store.read("nothing")


def test_analyze_with_settings_by_name_and_read_them_back(store):
    result = store.analyze(seed=7, min_peers=2, bursts__k=2.5)
    assert result.messages > 0
    used = store.settings()
    assert used.selectivity.seed == 7 and used.benchmarks.min_peers == 2
    assert used.bursts.k == 2.5
    sel = store.read("selectivity")
    assert (sel["seed"] == 7).all()
    with pytest.raises(UsageError, match="in several sections"):
        store.analyze(workers=2)
