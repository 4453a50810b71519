"""Spreadsheet formula injection: every CSV a person may open (``govwatch export``
data and codebooks, the dashboard's CSV downloads) writes texts starting with
= + - @ tab or CR with a leading apostrophe; numbers stay numbers; ``--raw-csv``
writes cells unchanged."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from builders import account, build_store, post
from click.testing import CliRunner

from govwatch import spreadsheet
from govwatch.cli import cli

HOSTILE = ['=HYPERLINK("https://evil.example","click")', "+cmd|' /C calc'!A0",
           "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
PLAIN_NUMBERS = ["-12", "+3.5", "-1e-3", "-.5"]


def test_cell_rule():
    for text in HOSTILE:
        assert spreadsheet.cell(text) == "'" + text
    for text in PLAIN_NUMBERS + ["ok", "", "a=b", " =1", "'=1"]:
        assert spreadsheet.cell(text) == text
    for value in (-3, -2.5, None, True):
        assert spreadsheet.cell(value) is value


def test_frame_leaves_numbers_and_times_alone():
    df = pd.DataFrame({"text": HOSTILE[:2] + ["fine"], "n": [-1, -2, 3],
                       "x": [-0.5, 1.0, float("nan")],
                       "t": pd.to_datetime(["2026-01-01"] * 3, utc=True)})
    out = spreadsheet.frame(df)
    assert list(out["text"]) == ["'" + HOSTILE[0], "'" + HOSTILE[1], "fine"]
    assert out["n"].tolist() == [-1, -2, 3] and out["n"].dtype == df["n"].dtype
    assert out["x"].dtype == df["x"].dtype
    assert out["t"].equals(df["t"])
    assert list(df["text"]) == HOSTILE[:2] + ["fine"]  # the input is not changed
    assert spreadsheet.frame(df, raw=True) is df


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    """A store whose institution, texts and public handles start with formula characters."""
    folder = tmp_path_factory.mktemp("hostile")
    posts = [post("1", "city", "2026-01-10T06:00:00Z", HOSTILE[0])]
    for i, text in enumerate(HOSTILE + PLAIN_NUMBERS):
        posts.append(post(str(100 + i), f"c{i}", f"2026-01-10T07:{i:02d}:00Z",
                          f"{text}", reply_to="1", reply_author="city"))
    posts.append(post("900", "city", "2026-01-10T09:00:00Z", "=answer", reply_to="100",
                      reply_author="c0"))
    store = build_store(folder, posts, [account("city", institution="=1+2")])
    store.close()
    return folder / "store.duckdb"


def _export(store, tmp_path, *extra) -> tuple[list[dict], list[dict]]:
    out = tmp_path / "posts.csv"
    result = CliRunner().invoke(cli, ["export", "--what", "posts", "--format", "csv",
                                      "--include-text", "--identify-public", "--out", str(out),
                                      "--db", str(store), *extra])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    book = list(csv.DictReader(open(f"{out}.codebook.csv", encoding="utf-8", newline="")))
    manifest = json.loads(open(f"{out}.manifest.json", encoding="utf-8").read())
    return rows, book, manifest


def stored_texts(store) -> dict[str, str]:
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        return dict(con.execute("SELECT post_id, text FROM posts").fetchall())


def test_export_csv_neutralises_formulas(hostile_store, tmp_path):
    rows, book, manifest = _export(hostile_store, tmp_path)
    texts = {r["post_id"]: r["text"] for r in rows}
    stored = stored_texts(hostile_store)
    for i in range(len(HOSTILE)):
        # (the CSV reader trims surrounding white space: "\t=1+1" is stored as "=1+1")
        assert spreadsheet.is_formula(stored[str(100 + i)])
        assert texts[str(100 + i)] == "'" + stored[str(100 + i)]
    for i, text in enumerate(PLAIN_NUMBERS):
        assert texts[str(100 + len(HOSTILE) + i)] == text
    assert texts["900"] == "'=answer"
    for row in rows:
        for value in row.values():
            assert not spreadsheet.is_formula(value), (row, value)
    assert book and all(not spreadsheet.is_formula(v) for r in book for v in r.values())
    assert manifest["csv_formulas_neutralised"] is True


def test_export_raw_csv_opt_out(hostile_store, tmp_path):
    rows, _, manifest = _export(hostile_store, tmp_path, "--raw-csv")
    texts = {r["post_id"]: r["text"] for r in rows}
    stored = stored_texts(hostile_store)
    for i in range(len(HOSTILE)):
        assert texts[str(100 + i)] == stored[str(100 + i)]
    assert manifest["csv_formulas_neutralised"] is False


def test_accounts_export_neutralises_institution(hostile_store, tmp_path):
    out = tmp_path / "accounts.csv"
    result = CliRunner().invoke(cli, ["export", "--what", "accounts", "--out", str(out),
                                      "--db", str(hostile_store)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [r["institution"] for r in rows] == ["'=1+2"]
    assert float(rows[0]["messages"]) >= 1  # numbers are not prefixed


def test_dashboard_csv_download_neutralises():
    from govwatch.dashboard.figures import Chart, new_figure
    from govwatch.dashboard.pages._common import make_download

    frame = pd.DataFrame({"institution": ["=1+2", "fine"], "messages": [-1, 2]})
    chart = Chart("k", "t", new_figure(), "s", frame)
    for obj in (frame, chart):
        payload = make_download(obj, "csv", "stem")
        got = pd.read_csv(io.StringIO(payload["content"]))
        assert got["institution"].tolist() == ["'=1+2", "fine"]
        assert got["messages"].tolist() == [-1, 2]
