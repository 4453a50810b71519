"""Support for the dashboard tests: a store built through the real pipeline, the
real dashboard server in a subprocess on a free loopback port, and a headless
Debian Chromium driven by Playwright (with axe-core for accessibility scans).

The browser tests skip with the reason when Chromium ($GOVWATCH_CHROMIUM, default
/usr/bin/chromium) or Playwright is absent, unless GOVWATCH_REQUIRE_BROWSER=1, where
they fail instead; only the accessibility scans also need axe-core.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# $GOVWATCH_CHROMIUM names another browser binary; CI points it at a missing file once
# to prove the browser tests skip cleanly without one.
CHROMIUM = Path(os.environ.get("GOVWATCH_CHROMIUM") or "/usr/bin/chromium")
AXE_JS = REPO / "tests" / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SAMPLE_SCALE = 0.25


# ------------------------------------------------------------------ store
def build_store(path: Path, scale: float = SAMPLE_SCALE, seed: int = 7,
                settings=None) -> Path:
    """A store of synthetic sample data (DESIGN CSV formats) imported and analysed
    through the real pipeline (with ``settings``, an AnalysisSettings, when given);
    events are loaded when the events loader exists."""
    from govwatch.analysis.pipeline import run_analysis
    from govwatch.ingest.pipeline import import_paths
    from govwatch.sample_data.generate import write

    from govwatch.store import Store

    src = path.parent / f"{path.stem}-csv"
    files = write(src, seed=seed, scale=scale)
    with Store(path) as store:
        acc = import_paths(store, [files["accounts"]], kind="accounts")
        posts = import_paths(store, [files["posts"]])
        assert acc.rejected == 0 and posts.rejected == 0
        try:
            from govwatch.ingest.events import load_events
        except ImportError:
            load_events = None
        if load_events is not None:
            load_events(store, files["events"])
        run_analysis(store, settings)
    return path


# ------------------------------------------------------------------ server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(db: Path, workers: int = 1, env: dict | None = None,
                   timeout: float = 60.0, command: list[str] | None = None,
                   log_path: Path | None = None) -> Iterator[str]:
    """Start ``python -m govwatch.dashboard.serve`` (or ``command`` + ``--port``) on a
    free port; yield its base URL. Its output goes to ``log_path`` when given (kept),
    else to a temporary file removed afterwards."""
    port = free_port()
    log = (open(log_path, "w+b") if log_path else  # noqa: SIM115
           tempfile.NamedTemporaryFile(prefix="govwatch-dash-", suffix=".log", delete=False))
    full_env = {**os.environ, **(env or {})}
    argv = ([*command, "--port", str(port)] if command else
            [sys.executable, "-m", "govwatch.dashboard.serve", "--db", str(db), "--port",
             str(port), "--workers", str(workers)])
    proc = subprocess.Popen(argv, cwd=REPO, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base, proc, timeout, Path(log.name))
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
        if not log_path:
            Path(log.name).unlink(missing_ok=True)


def wait_for_http(base: str, proc: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dashboard server exited ({proc.returncode}):\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(base + "/_dash-layout", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers (e.g. 401 with auth on)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("dashboard server did not answer in time:\n"
                       + log.read_text(errors="replace")[-3000:])


# ------------------------------------------------------------------ browser
def browser_missing_reason() -> str | None:
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} not found: apt-get install chromium chromium-driver "
                "(GOVWATCH_REQUIRE_BROWSER=1 makes this a failure)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install playwright"
    return None


def _skip_or_fail(reason: str | None) -> None:
    if reason is None:
        return
    if os.environ.get("GOVWATCH_REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " (GOVWATCH_REQUIRE_BROWSER=1 makes the browser tests mandatory)")
    pytest.skip(reason)


def require_browser() -> None:
    """Skip (or, with GOVWATCH_REQUIRE_BROWSER=1, fail) when the browser is absent."""
    _skip_or_fail(browser_missing_reason())


def require_axe() -> None:
    """Only the accessibility checks need axe-core (an npm package): skip or fail as
    :func:`require_browser` does when it is absent."""
    _skip_or_fail(None if AXE_JS.exists() else
                  f"axe-core not found at {AXE_JS}: (cd tests/.axe && npm install)")


@contextlib.contextmanager
def chromium(downloads: Path | None = None, bypass_csp: bool = True) -> Iterator:
    """A Playwright browser context on Debian's Chromium with a fresh profile.

    The dashboard's Content-Security-Policy forbids eval, which Playwright's
    ``wait_for_function`` and ``add_script_tag`` need: contexts bypass it unless
    ``bypass_csp=False`` (tests/test_dashboard_security.py browses under it)."""
    from playwright.sync_api import sync_playwright

    profile = Path(tempfile.mkdtemp(prefix="govwatch-chromium-"))
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(profile), executable_path=str(CHROMIUM), headless=True,
                args=CHROMIUM_ARGS, accept_downloads=True,
                viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp,
                downloads_path=str(downloads) if downloads else None)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def page_with_errors(context) -> tuple:
    """A new page of ``context`` and the list its uncaught JavaScript errors go to."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def wait_rendered(page, selector: str = "main h1", timeout: float = 20_000) -> None:
    """Wait until Dash has rendered the page, no callback is pending and no part of the
    page is still to come (a ``pending-content`` placeholder)."""
    page.wait_for_selector(selector, timeout=timeout)
    page.wait_for_function(
        """() => !document.querySelector('[data-dash-is-loading="true"]') &&
                 !document.querySelector('.pending-content') &&
                 [...document.querySelectorAll('.dash-graph')].every(
                     g => g.querySelector('.main-svg'))""", timeout=timeout)


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core on the page; return the violations of the given impacts."""
    require_axe()
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' +
                                          (n.failureSummary || '').slice(0, 300))}));
    }""")
    return [v for v in result if v["impact"] in impacts]


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
