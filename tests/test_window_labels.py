"""After 'govwatch analyze --window-days 1' every label and export column names the
window used, not the default 7 days."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from govwatch.config import window_label, window_tag


def test_window_words():
    assert [window_label(h) for h in (168, 24, 36, None)] == ["7 days", "1 day", "36 h", "7 days"]
    assert [window_tag(h) for h in (168, 24, 36, 1.5)] == ["7d", "1d", "36h", "1_5h"]


@pytest.fixture(scope="module")
def one_day(sample_cli_store, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("window") / "store.duckdb"
    db.write_bytes(sample_cli_store.read_bytes())
    r = subprocess.run([sys.executable, "-m", "govwatch", "analyze", "--window-days", "1",
                        "--db", str(db), "-q"], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    return db


def _govwatch(*args: str) -> None:
    r = subprocess.run([sys.executable, "-m", "govwatch", *args], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr


def test_export_column_and_codebook_name_the_window(one_day, tmp_path):
    out = tmp_path / "accounts.csv"
    _govwatch("export", "--what", "accounts", "--format", "csv", "--out", str(out),
              "--db", str(one_day))
    header = next(csv.reader(out.open(encoding="utf-8")))
    assert "answered_rate_1d" in header and "answered_rate_7d" not in header
    codebook = Path(f"{out}.codebook.csv").read_text("utf-8")
    assert "answered_rate_1d" in codebook and "W = 1 day" in codebook


def test_report_and_dashboard_labels_name_the_window(one_day, tmp_path):
    out = tmp_path / "r.html"
    _govwatch("report", "--account", "x:avalor_health", "--out", str(out), "--db", str(one_day))
    text = out.read_text("utf-8")
    assert "Answered within 1 day" in text and "Answered within 7 days" not in text
    assert "answered within 1 day among those observed for 1 day" in text

    import sys as _sys

    from govwatch.dashboard.app import create_app

    app = create_app(one_day)
    app.server.test_client().get("/_dash-layout")
    with app.server.test_request_context("/"):
        overview = _sys.modules["govwatch.dashboard.pages.overview"]
        page = str(overview.layout())
        assert "Answered within 1 day" in page and "Answered within 7 days" not in page
        assert overview.payload(overview.state({}))["window_t"] == "1 day"
        account = _sys.modules["govwatch.dashboard.pages.account"]
        acc = str(account.layout(platform="x", author="avalor_health"))
        assert "Answered within 1 day" in acc and "Answered within 7 days" not in acc
        methodology = _sys.modules["govwatch.dashboard.pages.methodology"]
        text = str(methodology.layout())
        assert "the response window W is 1 day, not the default 7 days" in text
        builtin = str(methodology.render(None, 24.0))
        assert "answered within 1 day divided by the messages observed for at least 1 day" in \
            builtin and "7 days" not in builtin.replace("default 7 days", "")
