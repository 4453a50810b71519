"""``govwatch publish``: a static site from the sample store, built twice, opened in a
browser with every request outside the site blocked, and scanned with axe."""

from __future__ import annotations

import csv
import filecmp
import functools
import http.server
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
from browser_support import (
    axe_violations,
    build_store,
    chromium,
    page_with_errors,
    require_browser,
)
from govwatch.dashboard.publish import csv_text, publish

from govwatch import spreadsheet

HOSTILE = "<script>alert(1)</script>=HYPERLINK(\"http://x\")"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """The sample store, with one institution named like an attack (HTML and a formula)."""
    path = build_store(tmp_path_factory.mktemp("publish") / "store.duckdb", scale=0.15)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE accounts SET institution = ? WHERE author = (SELECT min(author) "
                    "FROM accounts WHERE official)", ["=" + HOSTILE])
    return path


@pytest.fixture(scope="module")
def site(store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    proc = subprocess.run([sys.executable, "-m", "govwatch.cli", "publish", "--out", out,
                           "--db", store], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Published " in proc.stdout
    return out


def test_same_store_same_bytes(store, site, tmp_path):
    again = tmp_path / "again"
    publish(store, again)
    cmp = filecmp.dircmp(site, again)
    files = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert (site / rel).read_bytes() == (again / rel).read_bytes(), rel
    assert not cmp.diff_files
    # Republishing over an earlier site replaces it; another folder is refused.
    publish(store, again)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "mine.txt").write_text("keep", "utf-8")
    with pytest.raises(Exception, match="holds no govwatch site"):
        publish(store, tmp_path / "other")
    assert (tmp_path / "other" / "mine.txt").exists()


def test_pages_views_escaping_and_safe_csv(site):
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert {"index.html", "events.html", "methodology.html", "codebook.html"} <= set(pages)
    assert any(p.startswith("accounts/") for p in pages)
    assert any(p.startswith("compare/") for p in pages)
    for rel in pages:
        text = (site / rel).read_text("utf-8")
        assert "<script>alert" not in text, rel
        assert "observation end" in text and "metric definitions v" in text, rel
        assert "http://" not in text.replace('"http://x"', "").replace("&quot;http://x&quot;", "")
    index = (site / "index.html").read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    with open(site / "data" / "accounts-needs_response.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    hostile = [r for r in rows if "HYPERLINK" in r["institution"]]
    assert hostile and hostile[0]["institution"] == "'=" + HOSTILE
    for r in rows:  # negative numbers stay numbers; nothing runs as a formula
        assert not any(spreadsheet.is_formula(v) for v in r.values() if v), r
    assert "Selectivity gap" in index and "Kaplan-Meier" in (site / "methodology.html").read_text(
        "utf-8")


def test_csv_cells_are_spreadsheet_safe():
    import pandas as pd

    text = csv_text(pd.DataFrame({"=a": ["-2+cmd", None, "-2"], "n": [1.5, float("nan"), -3]}))
    assert text == "'=a,n\n'-2+cmd,1.5\n,\n-2,-3.0\n"


def test_views_are_chosen(store, tmp_path):
    files = publish(store, tmp_path / "s", ("overview",))
    names = {p.relative_to(tmp_path / "s").as_posix() for p in files}
    assert "index.html" in names and not any(n.startswith("accounts/") for n in names)
    assert 'href="accounts/' not in (tmp_path / "s" / "index.html").read_text("utf-8")
    with pytest.raises(Exception, match="unknown view"):
        publish(store, tmp_path / "t", ("overview", "nonsense"))


def _accounts_in(csv_path: Path) -> list[tuple[str, str, str]]:
    with open(csv_path, newline="", encoding="utf-8") as f:
        return [(r["platform"], r["official_author"], f"{r['country']}/{r['level']}")
                for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def group_site(store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("group") / "site"
    proc = subprocess.run([sys.executable, "-m", "govwatch.cli", "publish", "--out", out,
                           "--db", store, "--peer-group", "XB/local"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_one_peer_group_is_published(store, site, group_site, tmp_path):
    everyone = _accounts_in(site / "data" / "accounts-needs_response.csv")
    mine = _accounts_in(group_site / "data" / "accounts-needs_response.csv")
    assert mine and {g for *_, g in mine} == {"XB/local"}
    assert sorted(mine) == sorted(a for a in everyone if a[2] == "XB/local")
    assert len(mine) < len(everyone)
    assert [p.name for p in (group_site / "compare").glob("*.html")] == [
        next(p.name for p in (site / "compare").glob("xb-local-*.html"))]
    assert len(list((group_site / "accounts").glob("*.html"))) == len(mine)
    index = (group_site / "index.html").read_text("utf-8")
    assert "of the peer group XB/local" in index
    assert 'href="compare/xb-local-' in index and 'href="compare/xa-' not in index
    # The same store and group give the same bytes.
    again = tmp_path / "again"
    publish(store, again, groups=("XB/local",))
    files = sorted(p.relative_to(group_site) for p in group_site.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert (group_site / rel).read_bytes() == (again / rel).read_bytes(), rel
    # An unknown group is refused with the store's groups, and the earlier site is kept.
    proc = subprocess.run([sys.executable, "-m", "govwatch.cli", "publish", "--out", again,
                           "--db", store, "--peer-group", "ZZ/national"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no peer group 'ZZ/national'" in proc.stderr and "XB/local" in proc.stderr
    assert (again / "index.html").exists()


def _offline_and_axe_clean(site: Path, pages: list[str]) -> None:
    """Each page loads from a local server with every other request blocked, plotly
    draws, and axe reports no serious or critical violation."""
    require_browser()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    blocked: list[str] = []
    try:
        with chromium() as context:
            def route(r):
                if r.request.url.startswith(base):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page, errors = page_with_errors(context)
            for rel in pages:
                page.goto(base + rel)
                page.wait_for_load_state("networkidle")
                if rel != "codebook.html" and rel != "methodology.html":
                    page.wait_for_selector(".main-svg", timeout=20_000)  # plotly drew
                bad = axe_violations(page)
                assert not bad, (rel, bad)
                assert page.locator("footer").inner_text().startswith("Store ")
            assert not errors, errors
    finally:
        server.shutdown()
    assert not blocked, blocked


def _pages(site: Path) -> list[str]:
    return ["index.html", "events.html", "methodology.html", "codebook.html",
            next(p.relative_to(site).as_posix() for p in (site / "accounts").glob("*.html")),
            next(p.relative_to(site).as_posix() for p in (site / "compare").glob("*.html"))]


@pytest.mark.browser
def test_site_offline_in_chromium_and_axe_clean(site):
    _offline_and_axe_clean(site, _pages(site))


@pytest.mark.browser
def test_peer_group_site_offline_in_chromium_and_axe_clean(group_site):
    _offline_and_axe_clean(group_site, _pages(group_site))
