"""Tagging: the taxonomy file, the seed-term matcher, the PostTagger estimator,
language detection, incremental tagging of a real store, and topic discovery."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import POST_HEADER, post, write_csv
from govwatch.analysis.classifiers import PostTagger
from govwatch.analysis.langid import LanguageDetector, normalize_code
from govwatch.analysis.tagging import (
    META_MODEL,
    TaggingSettings,
    parse_languages_option,
    parse_lexicon_options,
    tag_new_posts,
)
from govwatch.analysis.taxonomy import TaxonomyError, TermMatcher, load_taxonomy
from govwatch.ingest.pipeline import import_paths
from sklearn.base import clone

from govwatch.errors import UsageError
from govwatch.store import Store

# A small corpus in the five languages; "{n}" keeps texts distinct.
CRITICAL = [
    "Train derailed near the station, two coaches off the track {n}",
    "Flood water entering houses in ward {n}, families stranded on roofs",
    "Explosion at the chemical plant, smoke everywhere, people injured {n}",
    "Mob attacked a shopkeeper in sector {n}, police nowhere",
    "गांव {n} में बाढ़ का पानी घुस गया है",
    "Banjir setinggi dada di RT {n}, warga butuh perahu",
    "Поезд сошёл с рельсов у станции {n}, есть пострадавшие",
    "Ауылды су басты {n}, көмектесіңіздер",
]
ROUTINE = [
    "Happy birthday sir, best wishes {n}!",
    "Thank you for the new park in block {n}, lovely work",
    "When will the pension for {n} be paid?",
    "Garbage not collected in lane {n} for a week",
    "Congratulations on the new scheme {n}",
    "Selamat ulang tahun Pak {n}, semoga sehat selalu",
    "Спасибо за новый парк {n}!",
    "Туған күніңізбен құттықтаймын {n}!",
]


def corpus(n: int = 40) -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for i in range(n):
        for t in CRITICAL:
            texts.append(t.format(n=i)), labels.append(True)
        for t in ROUTINE:
            texts.append(t.format(n=i)), labels.append(False)
    return texts, np.array(labels)


# -- taxonomy ------------------------------------------------------------------------


def test_packaged_taxonomy_loads_with_all_categories():
    tax = load_taxonomy()
    # Corruption allegations are political talk, not an incident (docs/codebook.md).
    assert set(tax.critical_keys) == {"violence", "disaster", "accident", "health", "protest",
                                      "rights"}
    assert {"service", "information", "ceremony", "policy", "other"} <= set(tax.category_keys)
    for category in tax.categories:
        if category.key != tax.fallback:
            assert {"en", "hi", "hi-Latn", "id", "ru", "kk"} <= set(category.terms), category.key
    assert {"en", "hi", "id", "ru", "kk"} <= set(tax.deflection)
    assert len(tax.digest) == 12


@pytest.mark.parametrize("edit, locator, reason", [
    (("critical: true", "critical: yes please", 1), "categories.violence.critical", "true or false"),
    (("fallback: other", "fallback: nothing", 1), "fallback", "names no category"),
    (("    label: Disaster and emergency", "    labl: Disaster", 1), "categories.disaster.labl",
     "unknown key"),
])
def test_broken_taxonomy_names_file_and_key(tmp_path, edit, locator, reason):
    text = load_taxonomy().source
    path = tmp_path / "taxonomy.yaml"
    path.write_text(open(text, encoding="utf-8").read().replace(*edit), "utf-8")
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(path)
    assert err.value.file == str(path)
    assert err.value.locator == locator
    assert reason in err.value.reason


def test_taxonomy_yaml_syntax_error_gives_line(tmp_path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text("version: 1\ncategories:\n  a: [unclosed\n", "utf-8")
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(path)
    assert err.value.file == str(path) and err.value.locator.startswith("line ")


def test_matcher_words_prefixes_phrases_hashtags_and_scripts():
    m = TermMatcher({"a": ["flood*", "pray for", "сошел с рельсов", "बाढ़", "?"],
                     "b": ["dm us"]})
    hits = m.counts([
        "Pray for everyone in #yycflood",        # phrase + hashtag substring
        "FLOODING downtown",                     # prefix, any case
        "Поезд сошёл с рельсов",                 # ё read as е
        "गांव में बाढ़",                            # Devanagari with vowel signs and nukta
        "floodgate? DM us at https://x.org/flood",  # URL ignored; ? is a word
        "bloodflood",                            # not a word start, not a hashtag
    ])
    assert hits[:, 0].tolist() == [2, 1, 1, 1, 2, 0]
    assert hits[:, 1].tolist() == [0, 0, 0, 0, 1, 0]


# -- the estimator contract ------------------------------------------------------------


def test_estimator_contract_params_clone_fit_returns_self():
    tagger = PostTagger(alpha=1e-3, random_state=7)
    params = tagger.get_params()
    assert params["alpha"] == 1e-3 and params["random_state"] == 7
    assert not [k for k in vars(tagger) if k.endswith("_")]  # __init__ only stores params
    twin = clone(tagger)
    assert twin.get_params() == params and twin is not tagger
    texts, _ = corpus()
    assert tagger.fit(texts) is tagger
    assert tagger.version_.startswith("weak-")
    assert {"vectorizer_", "models_", "taxonomy_", "label_source_"} <= set(vars(tagger))
    assert not [k for k in vars(clone(tagger)) if k.endswith("_")]


def test_fit_is_deterministic_given_random_state():
    texts, labels = corpus()
    y = {"critical": labels}
    a = PostTagger(random_state=3).fit(texts, y)
    b = PostTagger(random_state=3).fit(list(reversed(texts)), {"critical": labels[::-1]})
    c = PostTagger(random_state=3).fit(texts, y)
    probe = ["Bridge collapsed on the highway {n}", "Nice speech {n}", "Kapan jalan {n} diperbaiki?"]
    probe = [p.format(n=i) for p in probe for i in range(3)]
    assert a.predict(probe).equals(c.predict(probe))
    assert a.version_ == c.version_
    assert a.predict(probe)["critical"].tolist() == b.predict(probe)["critical"].tolist()


def test_calm_derailment_report_is_critical_and_praise_needs_no_response():
    tagger = PostTagger().fit(["placeholder"])  # rules only on a tiny corpus
    out = tagger.predict([
        "Good morning. Train 12841 derailed near Balasore at 10:05; coaches 4 to 7 are off the track.",
        "Thank you so much for the wonderful new park, great work!",
        "Please DM us your PNR and mobile number.",
    ])
    assert out.loc[0, "critical"] and out.loc[0, "topic"] == "accident"
    assert out.loc[0, "needs_response"]
    assert not out.loc[1, "needs_response"] and not out.loc[1, "critical"]
    assert out.loc[2, "deflection"] and not out.loc[0, "deflection"]
    assert ((out["critical_confidence"] >= 0.5) & (out["critical_confidence"] <= 1)).all()


def test_model_generalises_beyond_seed_terms():
    """A word never in the taxonomy ('zorblax') becomes critical by co-occurring with seeds."""
    texts = [f"zorblax {w} in district {i}" for i in range(300)
             for w in ("flood", "explosion")] + \
            [f"lovely parade in district {i} {w}" for i in range(300) for w in ("today", "again")]
    tagger = PostTagger(min_weak_texts=100).fit(texts)
    assert tagger.models_["critical"] is not None
    out = tagger.predict(["zorblax reported near the bridge", "lovely parade near the bridge"])
    assert out["critical"].tolist() == [True, False]


# -- language ------------------------------------------------------------------------


def test_languages_given_kept_detected_restricted():
    assert normalize_code("en-GB") == "en" and normalize_code("in") == "id"
    assert normalize_code("und") is None and normalize_code(None) is None
    det = LanguageDetector()
    assert det.resolve(["pt", None, "und", None, None, None],
                       ["Olá", "Когда починят дорогу?", "Жол қашан жөнделеді?",
                        "kapan jalan diperbaiki pak", "sadak kab banegi, bahut pareshani hai",
                        "😀😀 123"]) == ["pt", "ru", "kk", "id", "hi", None]
    with pytest.raises(UsageError, match="not known to py3langid"):
        LanguageDetector(["xx", "en"]).validate()


def test_cli_option_parsers():
    assert parse_languages_option("en, hi,id") == ("en", "hi", "id")
    assert parse_lexicon_options(["hi=/tmp/h.txt"]) == {"hi": "/tmp/h.txt"}
    with pytest.raises(UsageError):
        parse_lexicon_options(["hindi.txt"])


# -- incremental tagging on a real store ----------------------------------------------


def _ingest(store: Store, tmp_path, rows, name):
    path = write_csv(tmp_path / name, POST_HEADER, rows)
    summary = import_paths(store, [path])
    assert summary.rejected == 0


def _rows(texts, start=0):
    return [post(str(start + i), f"citizen{i % 5}", "2024-03-01T10:00:00Z", t)
            for i, t in enumerate(texts)]


def test_second_analyze_tags_only_new_or_changed_posts(tmp_path):
    texts, _ = corpus(5)
    with Store(tmp_path / "s.duckdb") as store:
        _ingest(store, tmp_path, _rows(texts), "a.csv")
        calls = []
        with store.transaction() as con:
            assert tag_new_posts(con, progress=lambda d, t: calls.append((d, t))) == len(texts)
        assert calls[-1] == (len(texts), len(texts))
        version = store.conn.execute("SELECT DISTINCT model_version FROM tags").fetchall()
        assert len(version) == 1
        with store.transaction() as con:
            assert tag_new_posts(con) == 0
        _ingest(store, tmp_path, _rows(["Bridge collapsed on the river road", "Nice photo"],
                                       start=1000), "b.csv")
        with store.transaction() as con:
            assert tag_new_posts(con) == 2
        new = dict(store.conn.execute(
            "SELECT post_id, critical FROM tags WHERE post_id IN ('1000', '1001')").fetchall())
        assert new == {"1000": True, "1001": False}
        store.conn.execute("UPDATE posts SET text = 'Gas leak in block C' WHERE post_id = '1001'")
        with store.transaction() as con:
            assert tag_new_posts(con) == 1  # edited text
        # Another language set is another tagging version: everything is re-tagged.
        with store.transaction() as con:
            n = tag_new_posts(con, settings=TaggingSettings(languages=("en", "ru")))
        assert n == len(texts) + 2
        with store.transaction() as con:
            assert tag_new_posts(con) == 0  # the settings persist in the store


def test_trained_model_is_activated_kept_and_reverted(tmp_path):
    from govwatch.analysis.classifiers import save_model

    texts, labels = corpus(20)
    path = save_model(PostTagger().fit(texts, {"critical": labels}), tmp_path / "m.skops")
    with Store(tmp_path / "s.duckdb") as store:
        _ingest(store, tmp_path, _rows(texts[:30]), "a.csv")
        with store.transaction() as con:
            tag_new_posts(con, settings=TaggingSettings(model=str(path)))
        trained = store.meta(META_MODEL)
        assert trained.startswith("trained-")
        assert store.conn.execute("SELECT count(*) FROM tags WHERE model_version LIKE ?",
                                  [trained + ";%"]).fetchall()[0][0] == 30
        with store.transaction() as con:
            assert tag_new_posts(con) == 0  # still the trained model
        with store.transaction() as con:
            assert tag_new_posts(con, settings=TaggingSettings(model="default")) == 30
        assert store.meta(META_MODEL) is None


def test_default_model_is_recorded_without_bytes_and_a_saved_copy_keeps_its_own(tmp_path):
    """The default (rules) model is rebuilt from the taxonomy, so its row holds no skops
    bytes; the same model activated from a file gets them, and later runs load it."""
    from govwatch.analysis.classifiers import save_model

    texts, _ = corpus(2)
    with Store(tmp_path / "s.duckdb") as store:
        _ingest(store, tmp_path, _rows(texts[:10]), "a.csv")
        with store.transaction() as con:
            assert tag_new_posts(con) == 10
        rows = store.conn.execute(
            "SELECT model_version, source, skops IS NULL FROM tagging_models").fetchall()
        assert len(rows) == 1 and rows[0][1:] == ("rules", True)
        default_version = rows[0][0]
        path = save_model(PostTagger().fit([]), tmp_path / "rules.skops")
        with store.transaction() as con:
            assert tag_new_posts(con, settings=TaggingSettings(model=str(path))) == 0
        assert store.meta(META_MODEL) == default_version  # the same model, now from a file
        assert store.conn.execute("SELECT skops IS NOT NULL FROM tagging_models").fetchall() == [
            (True,)]
        with store.transaction() as con:
            assert tag_new_posts(con) == 0  # loaded from the stored bytes


# -- topic discovery -------------------------------------------------------------------


def test_topic_discovery_finds_themes_and_is_empty_on_empty_store(tmp_path):
    from govwatch.analysis.registry import MetricContext
    from govwatch.analysis.topics import TopicDiscovery

    with Store(tmp_path / "empty.duckdb") as store:
        out = TopicDiscovery().compute(MetricContext(store.conn, None, None))
        assert out["discovered_topics"].empty and out["post_themes"].empty
    rng = np.random.default_rng(0)
    water = ["tanker", "pipeline", "supply", "tap", "pressure", "leak", "drinking", "muddy"]
    exam = ["results", "portal", "students", "marks", "board", "admit", "hall", "syllabus"]
    texts = [f"water {' '.join(rng.choice(water, 3, replace=False))} ward {i}" for i in range(60)]
    texts += [f"exam {' '.join(rng.choice(exam, 3, replace=False))} school {i}" for i in range(60)]
    with Store(tmp_path / "s.duckdb") as store:
        _ingest(store, tmp_path, _rows(texts), "a.csv")
        first = TopicDiscovery().compute(MetricContext(store.conn, None, None))
        second = TopicDiscovery().compute(MetricContext(store.conn, None, None))
    topics, themes = first["discovered_topics"], first["post_themes"]
    assert first["discovered_topics"].equals(second["discovered_topics"])
    assert len(themes) == 120 and themes["theme"].nunique() >= 2
    words = {t: set(" ".join(g["term"]).split()) for t, g in topics.groupby("theme")}
    assert any("water" in w and "exam" not in w for w in words.values())
    assert any("exam" in w and "water" not in w for w in words.values())


def test_theme_chunks_on_worker_processes_equal_this_process(tmp_path, monkeypatch):
    """A store of several chunks of public posts assigns them on spawned worker
    processes; the tables equal those of assigning every chunk here, row for row."""
    from govwatch.analysis import topics
    from govwatch.analysis.registry import MetricContext
    from govwatch.analysis.settings import AnalysisSettings, ExecutionSettings

    small = Path(__file__).resolve().parents[1] / "sample_data" / "small"
    monkeypatch.setattr(topics, "CHUNK", 1024)  # the sample's public posts in several chunks
    monkeypatch.setattr(topics, "SMALL_POSTS", 1024)
    with Store(tmp_path / "s.duckdb") as store:
        assert import_paths(store, [small / "accounts.csv"], kind="accounts").rejected == 0
        assert import_paths(store, [small / "posts.csv"]).rejected == 0
        chunks = store.conn.sql(topics._PUBLIC).to_arrow_reader(topics.CHUNK)
        assert sum(1 for c in chunks if c.num_rows) >= 3

        public = store.conn.execute(f"SELECT count(*) FROM ({topics._PUBLIC})").fetchall()[0][0]
        reported: dict[int, list] = {}

        def run(workers: int) -> dict:
            settings = AnalysisSettings(execution=ExecutionSettings(workers=workers))
            ctx = MetricContext(store.conn, None, settings,
                                progress=lambda d, t: reported[workers].append((d, t)))
            reported[workers] = []
            return topics.TopicDiscovery().compute(ctx)

        here, pooled = run(1), run(2)
    assert len(here["post_themes"]) > 3 * 1024
    for table in ("discovered_topics", "post_themes"):
        pd.testing.assert_frame_equal(pooled[table], here[table], check_exact=True)
    # one progress report a chunk, the posts done growing to every public post
    chunks = -(-public // 1024)
    for steps in reported.values():
        assert [d for d, _ in steps] == [min(public, 1024 * (i + 1)) for i in range(chunks)]
        assert {t for _, t in steps} == {public}


def test_analyze_reports_topic_discovery_chunk_by_chunk(tmp_path, monkeypatch):
    """A store of several chunks of public posts: analyze's progress shows topic discovery
    a chunk at a time under "computing topics", up to every public post."""
    from govwatch.analysis import pipeline, topics
    from govwatch.analysis.pipeline import run_analysis
    from govwatch.analysis.settings import AnalysisSettings, ExecutionSettings

    small = Path(__file__).resolve().parents[1] / "sample_data" / "small"

    monkeypatch.setattr(topics, "CHUNK", 1024)
    monkeypatch.setattr(topics, "SMALL_POSTS", 1024)
    # a store this small computes topics while it tags, where nothing is printed but the
    # tagging: take it for a large one
    monkeypatch.setattr(pipeline, "POOL_MIN_POSTS", 0)
    lines = []
    with Store(tmp_path / "s.duckdb") as store:
        assert import_paths(store, [small / "accounts.csv"], kind="accounts").rejected == 0
        assert import_paths(store, [small / "posts.csv"]).rejected == 0
        public = store.conn.execute(f"SELECT count(*) FROM ({topics._PUBLIC})").fetchall()[0][0]
        run_analysis(store, AnalysisSettings(execution=ExecutionSettings(workers=1)),
                     progress=lambda stage, done=None, total=None: lines.append(
                         (stage, done, total)))
    counts = [(d, t) for stage, d, t in lines if stage == "computing topics" and d is not None]
    assert len(counts) == -(-public // 1024)
    assert counts[-1] == (public, public)
    assert [d for d, _ in counts] == sorted(d for d, _ in counts)
    # the other metrics report nothing of their own: their lines stay one each
    assert ("computing topics", None, None) in lines


def test_themes_equal_scikit_learns_on_the_sample(tmp_path):
    """The numpy TF-IDF + NMF of analysis/topics.py against scikit-learn's
    TfidfVectorizer + NMF(init="nndsvda") with the same settings, on the sample's public
    texts: the same vocabulary, TF-IDF weights, theme terms and every text's theme."""
    from govwatch.analysis import topics
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    small = Path(__file__).resolve().parents[1] / "sample_data" / "small"
    with Store(tmp_path / "s.duckdb") as store:
        assert import_paths(store, [small / "accounts.csv"], kind="accounts").rejected == 0
        assert import_paths(store, [small / "posts.csv"]).rejected == 0
        texts = sorted({r[2] for r in store.conn.execute(topics._PUBLIC).fetchall()})
    assert len(texts) > 4000
    mine = topics.ThemeModel().fit(texts)
    vectorizer = TfidfVectorizer(token_pattern=topics._TOKENS, ngram_range=(1, 2), min_df=3,
                                 max_df=0.5, max_features=50_000, sublinear_tf=True)
    x = vectorizer.fit_transform(topics.clean(texts))
    assert list(vectorizer.get_feature_names_out()) == list(mine.vectorizer_.terms_)
    assert abs(mine.vectorizer_.transform(texts) - x).max() < 1e-15
    nmf = NMF(n_components=len(mine.components_), init="nndsvda", max_iter=300,
              random_state=0).fit(x)
    np.testing.assert_allclose(mine.components_, nmf.components_, rtol=0, atol=1e-10)
    top = mine.top_terms()
    for theme, weights in enumerate(nmf.components_):
        theirs = mine.vectorizer_.terms_[np.argsort(-weights, kind="stable")[:topics.TOP_TERMS]]
        assert list(top.loc[top["theme"] == theme, "term"]) == list(theirs)
    w = nmf.transform(x)
    theme, share = mine.themes(texts)
    total = w.sum(axis=1)
    assert np.array_equal(theme, np.where(total > 0, w.argmax(axis=1), -1))
    np.testing.assert_allclose(share, np.divide(w.max(axis=1), total, out=np.zeros(len(w)),
                                                where=total > 0), rtol=0, atol=1e-10)


@pytest.mark.parametrize("what", ["lexicon", "taxonomy", "labels"])
def test_settings_files_missing_or_not_utf8_are_named(tmp_path, what):
    """A lexicon, taxonomy or labels file that is missing or not UTF-8 is an InputError
    naming the file and what it is, never a traceback."""
    from govwatch.analysis.sentiment import check_lexicon
    from govwatch.analysis.taxonomy import load_taxonomy
    from govwatch.analysis.training import read_labels

    from govwatch.errors import InputError

    read = {"lexicon": check_lexicon, "taxonomy": load_taxonomy, "labels": read_labels}[what]
    missing = tmp_path / f"no-{what}.txt"
    with pytest.raises(InputError, match=f"{what} file not found") as info:
        read(missing)
    assert info.value.file == str(missing)
    latin1 = tmp_path / f"{what}.txt"
    latin1.write_bytes("café\t1.5\n".encode("latin-1"))
    with pytest.raises(InputError, match=f"cannot read {what} file as UTF-8") as info:
        read(latin1)
    assert info.value.file == str(latin1)


def test_interrupted_analyze_keeps_committed_tag_batches_and_resumes(tmp_path, monkeypatch):
    """Tags are committed batch by batch; the derived tables only by a whole run."""
    import govwatch.analysis.tagging as tagging
    from govwatch.analysis.pipeline import run_analysis

    texts, _ = corpus(5)
    monkeypatch.setattr(tagging, "BATCH", 4)

    class Stop(Exception):
        pass

    def stop_after_first_batch(step, done=None, total=None):
        if step == "tagging posts" and done == 4:
            raise Stop

    with Store(tmp_path / "s.duckdb") as store:
        _ingest(store, tmp_path, _rows(texts), "a.csv")
        with pytest.raises(Stop):
            run_analysis(store, progress=stop_after_first_batch)
        assert store.count("tags") == 4
        assert store.count("analysis_runs") == 0 and store.count("responses") == 0
        assert store.conn.execute("SELECT count(*) FROM duckdb_tables() "
                                  "WHERE table_name = '_tag_pending'").fetchone()[0] == 0
        result = run_analysis(store)  # resumes: only the posts not yet tagged
        assert result.tagged == len(texts) - 4
        assert store.count("tags") == len(texts) and store.count("analysis_runs") == 1
        stale = store.conn.execute(
            "SELECT count(*) FROM tags t JOIN posts p USING (platform, post_id) "
            "WHERE t.text_hash IS DISTINCT FROM sha256(p.text) OR t.model_version <> "
            "(SELECT DISTINCT model_version FROM tags)").fetchone()[0]
        assert stale == 0


def test_batches_read_posts_by_row_id_in_their_stored_order(tmp_path, monkeypatch):
    """Small batches over posts imported in several files tag every post once, with the
    tags a single batch gives."""
    import govwatch.analysis.tagging as tagging

    texts, _ = corpus(5)
    with Store(tmp_path / "one.duckdb") as store:
        for i in range(3):
            _ingest(store, tmp_path, _rows(texts[i::3], start=1000 * i), f"{i}.csv")
        with store.transaction() as con:
            tag_new_posts(con)
        whole = store.conn.execute("SELECT * FROM tags ORDER BY post_id").df()
    monkeypatch.setattr(tagging, "BATCH", 7)
    with Store(tmp_path / "many.duckdb") as store:
        for i in range(3):
            _ingest(store, tmp_path, _rows(texts[i::3], start=1000 * i), f"{i}.csv")
        assert tag_new_posts(store.conn, commit_batches=True) == len(texts)
        assert tag_new_posts(store.conn, commit_batches=True) == 0
        batched = store.conn.execute("SELECT * FROM tags ORDER BY post_id").df()
    assert len(batched) == len(texts)
    pd.testing.assert_frame_equal(whole, batched)


def test_process_pool_tags_as_this_process_does(tmp_path, monkeypatch):
    """Large batches go to a pool of processes (govwatch.analysis.tagging.TaggingPool): the tags
    and sentiment scores are those of tagging in this process, texts already in the
    sentiment cache are not scored again, and the pool stops with the run."""
    import govwatch.analysis.tagging as tagging

    texts, _ = corpus(5)
    repeats = _rows(texts[::3], start=5000)  # texts seen before, under new post ids

    def tag_twice(path, workers, **kw):
        with Store(path) as store:
            _ingest(store, tmp_path, _rows(texts), "a.csv")
            first = tag_new_posts(store.conn, settings=TaggingSettings(workers=workers), **kw)
            _ingest(store, tmp_path, repeats, "b.csv")
            second = tag_new_posts(store.conn, settings=TaggingSettings(workers=workers), **kw)
            tags = store.conn.execute("SELECT * FROM tags ORDER BY platform, post_id").df()
            scores = store.conn.execute(
                "SELECT * FROM sentiment_cache ORDER BY text_hash, analyzer_version").df()
        return (first, second), tags, scores

    serial = tag_twice(tmp_path / "serial.duckdb", 1, commit_batches=True)

    closed, shares, scored = [], [], []
    real_submit, real_collect = tagging.TaggingPool.submit, tagging.TaggingPool.collect
    real_close = tagging.TaggingPool.close

    def submit(self, con, batch):
        futures, cached = real_submit(self, con, batch)
        shares.append((len(batch), len(futures)))
        return futures, cached

    def collect(futures):
        rows, scores = real_collect(futures)
        scored.append(len(scores))
        return rows, scores

    def close(self):
        real_close(self)
        with pytest.raises(RuntimeError):  # shut down: takes no more work
            self._pool.submit(int)
        closed.append(True)

    monkeypatch.setattr(tagging, "POOL_MIN_POSTS", 1)
    monkeypatch.setattr(tagging, "BATCH", 9)
    monkeypatch.setattr(tagging.TaggingPool, "submit", submit)
    monkeypatch.setattr(tagging.TaggingPool, "collect", staticmethod(collect))
    monkeypatch.setattr(tagging.TaggingPool, "close", close)
    pooled = tag_twice(tmp_path / "pooled.duckdb", 2, commit_batches=True)

    assert serial[0] == pooled[0] == (len(texts), len(repeats))
    pd.testing.assert_frame_equal(serial[1], pooled[1])
    pd.testing.assert_frame_equal(serial[2], pooled[2])
    # Every batch was split over the two processes; both runs started and stopped a pool.
    assert sum(n for n, _ in shares) == len(texts) + len(repeats)
    assert all(k == 4 for n, k in shares if n >= 4)
    assert closed == [True, True]
    # The first run scored each distinct text once; the second, all repeats, none.
    second = -(-len(repeats) // 9)
    assert sum(scored[:-second]) == len(pooled[2]) and scored[-second:] == [0] * second
