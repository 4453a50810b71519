"""Exports through the real pipeline: round trips in every format, codebook,
manifest, pseudonymisation (no citizen handle and no key in any exported byte)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import re
import shutil
from pathlib import Path

import duckdb
import govwatch.analysis.activity  # noqa: F401  (registers the metric)
import govwatch.analysis.events  # noqa: F401  (registers the metric)
import pandas as pd
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from govwatch.analysis.pipeline import run_analysis
from govwatch.export import FORMATS, WHATS, export, stata_label, stata_names
from govwatch.ingest.events import load_events
from govwatch.ingest.pipeline import import_paths

from govwatch import DEFINITION_VERSION, __version__
from govwatch.errors import UsageError
from govwatch.pseudonym import pseudonym
from govwatch.store import Store

CITIZENS = ("citizen_aarav_91", "priya.sharma_77", "Rahul_Verma", "meena_k")
OFFICIALS = ("city_hall", "health_min")

ACCOUNTS = """platform,author,institution,country,level,timezone
x,city_hall,Chennai Corporation,IN,local,Asia/Kolkata
x,health_min,Ministry of Health,IN,national,Asia/Kolkata
"""

POSTS = '''platform,post_id,author,created_at,text,in_reply_to_post_id,in_reply_to_author,url
x,1001,city_hall,2026-01-10T06:00:00Z,Relief camps open for flood victims,,,https://x.com/city_hall/status/1001
x,1002,citizen_aarav_91,2026-01-10T07:00:00Z,Where is the camp in Velachery? water rising,1001,city_hall,https://x.com/citizen_aarav_91/status/1002
x,1003,city_hall,2026-01-10T09:30:00Z,@citizen_aarav_91 at the school on 2nd street,1002,citizen_aarav_91,
x,1004,priya.sharma_77,2026-01-10T08:00:00Z,"@city_hall no power since morning, please help",,,
x,1005,Rahul_Verma,2026-01-10T02:00:00Z,Our street flooded #flood @Rahul_Verma,,,
x,1006,rahul_verma,2026-01-11T10:00:00Z,"@health_min @meena_k any fever clinics open? ""urgent""",,,
x,1007,health_min,2026-01-11T12:00:00Z,Fever clinics open in all wards after the flood,,,
x,1008,meena_k,2026-01-12T00:00:00Z,@health_min thanks,1007,health_min,
x,99999999999999999999,health_min,2026-01-12T00:00:00Z,"A long id, beyond 64-bit integers",,,
'''

EVENTS = """event_id,name,onset,keywords,critical,country
floods,Chennai floods,2026-01-10T00:00:00Z,flood;relief camps,true,IN
"""


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("store")
    for name, text in (("accounts.csv", ACCOUNTS), ("posts.csv", POSTS),
                       ("events.csv", EVENTS)):
        (folder / name).write_text(text, encoding="utf-8")
    with Store(folder / "gw.duckdb") as store:
        import_paths(store, [folder / "accounts.csv"])
        import_paths(store, [folder / "posts.csv"])
        load_events(store, folder / "events.csv")
        run_analysis(store)
    return folder / "gw.duckdb"


@pytest.fixture(scope="module")
def exported(store_path, tmp_path_factory) -> dict:
    """Every export as CSV, the main ones in every format, pseudonymised (the default)."""
    out = tmp_path_factory.mktemp("exports")
    results = {}
    for what in WHATS:
        for fmt in FORMATS if what in ("responses", "events", "accounts", "posts") else ["csv"]:
            results[what, fmt] = export(store_path, what, fmt, out / f"{what}.{fmt}")
    results["posts", "dataset"] = export(store_path, "posts", "parquet", out / "posts_ds")
    return results


def store_table(store_path: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def read_back(result) -> pd.DataFrame:
    if result.fmt == "csv":
        return pd.read_csv(result.path, dtype=str, keep_default_na=False)
    if result.fmt == "parquet":
        return pads.dataset(result.path, partitioning="hive").to_table().to_pandas()
    return pd.read_stata(result.path, convert_categoricals=False)


def data_columns(result) -> list[str]:
    if result.fmt == "csv":
        with open(result.path, newline="", encoding="utf-8") as f:
            return next(csv.reader(f))
    if result.fmt == "parquet":
        return pads.dataset(result.path, partitioning="hive").schema.names
    with pd.read_stata(result.path, iterator=True) as reader:
        return list(reader.variable_labels())


def text(series: pd.Series) -> list[str]:
    """Ids as text, missing as '' (CSV and Stata have no missing string)."""
    return ["" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
            for v in series]


def num(series: pd.Series) -> pd.Series:
    return pd.Series([float(v) if v else float("nan") for v in text(series)])


def codebook(result) -> pd.DataFrame:
    return pd.read_csv(result.codebook, dtype=str, keep_default_na=False)


# --- round trips ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_responses_round_trip(store_path, exported, fmt):
    expected = store_table(store_path, "SELECT * FROM responses ORDER BY platform, "
                           "official_author, message_created_at, message_id")
    got = read_back(exported["responses", fmt])
    assert len(got) == len(expected) == 4
    assert text(got["message_id"]) == text(expected["message_id"])
    assert text(got["response_id"]) == text(expected["response_id"]) == ["1003", "", "", ""]
    assert num(got["latency_hours"]).tolist() == pytest.approx(
        expected["latency_hours"].tolist(), nan_ok=True)
    assert expected["latency_hours"][0] == pytest.approx(2.5)
    assert [str(v).lower() in ("true", "1", "1.0") for v in got["censored"]] == list(
        expected["censored"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_events_round_trip(store_path, exported, fmt):
    expected = store_table(store_path, "SELECT * FROM event_acknowledgements "
                           "ORDER BY official_author")
    got = read_back(exported["events", fmt]).sort_values("official_author")
    assert list(got["official_author"]) == ["city_hall", "health_min"]
    assert text(got["first_post_id"]) == text(expected["first_post_id"]) == ["1001", "1007"]
    assert num(got["latency_hours"]).tolist() == pytest.approx([6.0, 36.0])
    assert expected["latency_hours"].tolist() == pytest.approx([6.0, 36.0])
    # The first public post (02:00) precedes both acknowledgements: positive leads.
    assert num(got["public_lead_hours"]).tolist() == pytest.approx([6 - 2, 36 - 2])


def test_long_native_ids_stay_text(exported):
    for fmt in FORMATS:
        posts = read_back(exported["posts", fmt])
        assert "99999999999999999999" in set(posts["post_id"].astype(str)), fmt


def test_stata_file_is_valid(store_path, exported):
    result = exported["responses", "dta"]
    with pd.read_stata(result.path, iterator=True) as reader:
        labels = reader.variable_labels()
    for name, label in labels.items():
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", name)
        assert 0 < len(label) <= 80
    frame = pd.read_stata(result.path)
    assert str(frame["message_created_at"].dtype).startswith("datetime64")
    expected = store_table(store_path, "SELECT message_created_at FROM responses ORDER BY "
                           "platform, official_author, message_created_at, message_id")
    assert list(frame["message_created_at"]) == list(
        expected["message_created_at"].dt.tz_localize(None))
    assert set(frame["censored"].unique()) <= {0, 1}
    posts = pd.read_stata(exported["posts", "dta"].path)
    assert posts["author_is_official"].isin([0, 1]).all()


def test_stata_names_and_labels():
    names = stata_names(["ok_name", "long", "2nd", "with space", "x" * 40, "x" * 41, "str12"])
    assert names == {
        "ok_name": "ok_name", "long": "_long", "2nd": "_2nd", "with space": "with_space",
        "x" * 40: "x" * 32, "x" * 41: "x" * 30 + "_1", "str12": "_str12"}
    assert len(stata_label("word " * 40)) == 80


def test_partitioned_posts_dataset(store_path, exported):
    result = exported["posts", "dataset"]
    assert result.path.is_dir() and len(result.files) >= 2
    parts = {p.parent.relative_to(result.path).as_posix() for p in result.files}
    assert "platform=x/official_account=city_hall" in parts
    frame = pads.dataset(result.path, partitioning="hive").to_table().to_pandas()
    assert len(frame) == result.rows == 9
    # The citizen's reply to city_hall is filed under city_hall.
    row = frame[frame["post_id"] == "1002"].iloc[0]
    assert row["official_account"] == "city_hall"
    assert result.codebook == result.path.parent / "posts_ds.codebook.csv"


# --- codebook and manifest -------------------------------------------------------------


def test_codebook_covers_every_column(exported):
    for key, result in exported.items():
        book = codebook(result)
        assert list(book["column"]) == result.columns, key
        if key == ("posts", "dataset"):  # hive partition columns come last when read
            assert sorted(data_columns(result)) == sorted(result.columns)
        else:
            assert data_columns(result) == result.columns, key
        assert (book["meaning"] != "").all(), key
        assert set(book["definition_version"]) == {DEFINITION_VERSION}
        assert set(book["type"]) <= {"string", "integer", "float", "boolean",
                                     "datetime (UTC)", "date"}, key


def test_manifest(store_path, exported):
    result = exported["responses", "csv"]
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert manifest["tool_version"] == __version__
    assert manifest["definition_version"] == DEFINITION_VERSION
    assert manifest["pseudonymised"] is True and manifest["text_included"] is False
    assert manifest["observation_end"] == "2026-01-12T00:00:00Z"
    assert manifest["analysis"]["settings"]["window_hours"] == 168
    assert manifest["analysis"]["stale"] is False
    assert manifest["rows"] == 4 and manifest["columns"] == result.columns
    inputs = {Path(i["file"]).name: i for i in manifest["inputs"]}
    assert set(inputs) == {"accounts.csv", "posts.csv", "events.csv"}
    for name, entry in inputs.items():
        digest = hashlib.sha256((store_path.parent / name).read_bytes()).hexdigest()
        assert entry["sha256"] == digest
    assert inputs["events.csv"]["format"] == "events-csv"
    (written,) = manifest["files"]
    assert written["sha256"] == hashlib.sha256(result.path.read_bytes()).hexdigest()
    assert manifest["exported_at"].endswith("Z")


# --- pseudonymisation ------------------------------------------------------------------


def all_bytes(exported) -> dict[str, bytes]:
    out = {}
    for result in exported.values():
        for p in [*result.files, result.codebook, result.manifest]:
            out[str(p)] = p.read_bytes()
    return out


def parquet_cells(exported) -> set[str]:
    cells: set[str] = set()
    for result in exported.values():
        if result.fmt == "parquet":
            for p in result.files:
                frame = pq.read_table(p).to_pandas()
                for col in frame.columns:
                    cells.update(str(v) for v in frame[col])
            cells.update(p.parent.name for p in result.files)  # partition values
    return cells


def test_no_citizen_handle_anywhere(exported):
    blobs = all_bytes(exported)
    for handle in CITIZENS:
        needle = handle.lower().encode()
        leaks = [name for name, data in blobs.items() if needle in data.lower()]
        assert leaks == [], handle
    cells = " ".join(parquet_cells(exported)).lower()
    assert not any(h.lower() in cells for h in CITIZENS)


def test_officials_in_clear(exported):
    data = exported["posts", "csv"].path.read_bytes()
    assert b"city_hall" in data and b"health_min" in data
    posts = read_back(exported["posts", "csv"])
    reply = posts[posts["post_id"] == "1003"].iloc[0]
    assert reply["author"] == "city_hall"
    assert reply["url"] == ""  # no url in the input
    assert posts[posts["post_id"] == "1001"].iloc[0]["url"].endswith("/city_hall/status/1001")
    assert posts[posts["post_id"] == "1002"].iloc[0]["url"] == ""  # citizen link dropped


def test_key_never_exported(store_path, exported):
    key = store_table(store_path, "SELECT value FROM meta WHERE key = 'pseudonym_key'")
    key = key["value"][0].encode()
    assert len(key) == 64
    assert [name for name, data in all_bytes(exported).items() if key in data] == []


def test_pseudonyms_are_keyed_stable_and_case_insensitive(store_path, exported):
    key = store_table(store_path, "SELECT value FROM meta WHERE key = 'pseudonym_key'")
    key = key["value"][0]
    digest = hmac.new(key.encode(), b"x:rahul_verma", hashlib.sha256).hexdigest()
    assert pseudonym(key, "x", "Rahul_Verma") == "p_" + digest[:16]
    posts = read_back(exported["posts", "csv"]).set_index("post_id")
    # 'Rahul_Verma' and 'rahul_verma' are one person.
    assert posts.loc["1005", "author"] == posts.loc["1006", "author"] == "p_" + digest[:16]
    assert posts.loc["1006", "mentions"] == f"health_min;{pseudonym(key, 'x', 'meena_k')}"
    assert posts.loc["1003", "in_reply_to_author"] == pseudonym(key, "x", "citizen_aarav_91")
    responses = read_back(exported["responses", "csv"]).set_index("message_id")
    assert responses.loc["1004", "message_author"] == posts.loc["1004", "author"]


def test_identify_public_and_text_only_on_request(store_path, tmp_path):
    clear = export(store_path, "posts", "csv", tmp_path / "posts.csv", pseudonymise=False)
    data = clear.path.read_bytes()
    assert b"citizen_aarav_91" in data and b"Rahul_Verma" in data
    assert json.loads(clear.manifest.read_text())["pseudonymised"] is False
    assert "text" not in clear.columns
    texts = export(store_path, "posts", "parquet", tmp_path / "texts.parquet",
                   include_text=True)
    frame = pq.read_table(texts.path).to_pandas()
    assert "fever clinics" in " ".join(frame["text"])
    assert "text" in set(codebook(texts)["column"])
    assert any("not pseudonymised" in n for n in texts.notes)


# --- accounts and other tables ------------------------------------------------------------


def test_accounts_export(exported):
    accounts = read_back(exported["accounts", "csv"]).set_index("official_author")
    assert list(accounts.index) == ["city_hall", "health_min"]
    assert accounts.loc["city_hall", "institution"] == "Chennai Corporation"
    for col in ("messages", "answered_rate_7d", "km_median_hours", "km_median_ci_low",
                "km_median_ci_high", "posts_per_week", "dialogue_share", "events_in_scope"):
        assert col in accounts.columns
    assert accounts.loc["city_hall", "events_acknowledged"] == "1"


def test_accounts_export_joins_per_account_tables_when_present(store_path, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(store_path, copy)
    con = duckdb.connect(str(copy))
    con.execute("CREATE OR REPLACE TABLE selectivity AS SELECT * FROM (VALUES "
                "('x', 'city_hall', 'needs_response', 0.25, 0.1, 0.4), "
                "('x', 'city_hall', 'all', 0.5, 0.2, 0.7)) "
                "t(platform, official_author, population, selectivity_gap, gap_ci_low, "
                "gap_ci_high)")
    # A long table (one row per account and metric) is not joined.
    con.execute("CREATE OR REPLACE TABLE benchmark_index AS SELECT * FROM (VALUES "
                "('x', 'city_hall', 'a', 1.0), ('x', 'city_hall', 'b', 2.0)) "
                "t(platform, official_author, metric, composite_index)")
    con.close()
    result = export(copy, "accounts", "csv", tmp_path / "accounts.csv")
    accounts = read_back(result).set_index("official_author")
    assert accounts.loc["city_hall", "selectivity_gap"] == "0.25"
    assert accounts.loc["health_min", "selectivity_gap"] == ""
    assert "composite_index" not in accounts.columns
    assert "gap_ci_high" in set(codebook(result)["column"])


def test_usage_errors(store_path, tmp_path):
    with pytest.raises(UsageError, match="unknown export"):
        export(store_path, "everything", "csv", tmp_path / "x.csv")
    with pytest.raises(UsageError, match="unknown format"):
        export(store_path, "posts", "xlsx", tmp_path / "x.xlsx")
    full = tmp_path / "full"
    full.mkdir()
    (full / "other.txt").write_text("x")
    with pytest.raises(UsageError, match="not empty"):
        export(store_path, "posts", "parquet", full)
    with pytest.raises(UsageError, match="is a folder"):
        export(store_path, "responses", "csv", full)
    fresh = tmp_path / "fresh.duckdb"
    with Store(fresh) as store:
        import_paths(store, [store_path.parent / "posts.csv"])
    with pytest.raises(UsageError, match="govwatch analyze"):
        export(fresh, "responses", "csv", tmp_path / "r.csv")
    posts = export(fresh, "posts", "csv", tmp_path / "p.csv")  # posts need no analysis
    assert posts.rows == 9
    assert json.loads(posts.manifest.read_text())["analysis"] is None


def test_stata_keeps_long_texts_whole(tmp_path):
    text = "Flood report " + "é" * 3000  # beyond Stata's 2,045-byte str limit
    posts = tmp_path / "posts.csv"
    posts.write_text("platform,post_id,author,created_at,text\n"
                     f"x,1,someone,2026-01-10T00:00:00Z,{text}\n", encoding="utf-8")
    with Store(tmp_path / "gw.duckdb") as store:
        import_paths(store, [posts])
    result = export(tmp_path / "gw.duckdb", "posts", "dta", tmp_path / "posts.dta",
                    include_text=True)
    frame = pd.read_stata(result.path)
    assert frame.loc[0, "text"] == text
    assert frame.loc[0, "author"].startswith("p_")


def test_accounts_export_column_order_is_fixed_and_documented(dashboard_store, tmp_path,
                                                               monkeypatch):
    """The accounts export's columns (and its codebook's rows) come in the documented
    order, whatever order the metrics register in."""
    from govwatch.analysis import registry
    from govwatch.analysis.registry import declared_tables

    first = export(dashboard_store, "accounts", "csv", tmp_path / "a.csv")
    columns = list(read_back(first).columns)
    assert list(codebook(first)["column"]) == columns
    registry.metrics()
    shipped = dict(registry._METRICS)
    orders = set()
    for i, permuted in enumerate([shipped, dict(reversed(shipped.items()))]):
        monkeypatch.setattr(registry, "_METRICS", permuted)
        orders.add(tuple(registry.account_tables()))
        again = export(dashboard_store, "accounts", "csv", tmp_path / f"b{i}.csv")
        assert list(read_back(again).columns) == columns
    assert len(orders) == 2  # two registry orders, one set of columns
    # the documented order: attributes, then each table's columns in declared order
    declared = declared_tables()
    assert columns[:10] == ["platform", "official_author", "display_name", "institution",
                            "country", "level", "timezone", "office_hours", "institution_type",
                            "population"]
    firsts = [columns.index(c) for c in ("messages", "posts_per_week", "selectivity_gap",
                                         "deflection_share", "composite_index",
                                         "clock_status", "events_in_scope")]
    assert firsts == sorted(firsts)
    # a selectivity column named like an earlier table's comes as selectivity_<name>
    earlier = set(declared["account_metrics"]) | set(declared["account_activity"])
    ours = {**{c: c for c in declared["selectivity"] if c not in earlier},
            **{f"selectivity_{c}": c for c in declared["selectivity"] if c in earlier}}
    shown = [ours[c] for c in columns if c in ours]
    assert "day_precision_messages" in shown and len(shown) > 20
    assert shown == [c for c in declared["selectivity"] if c in shown]
