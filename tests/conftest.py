"""Shared fixtures.

Tests that read real public data use ``shared_data``: it points at
../shared/real_data beside the repository. Where that folder is absent (a fresh
user machine) those tests skip with the reason; CI sets GOVWATCH_REQUIRE_SHARED=1
so that there they fail instead of skipping.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Where the real public samples are: $GOVWATCH_SHARED, else ../shared/real_data beside
# the repository. CI points it at a missing folder once, to prove the tests skip cleanly.
SHARED = Path(os.environ.get("GOVWATCH_SHARED") or REPO.parent / "shared" / "real_data")

# The tests' own cache of compiled data (govwatch.usercache), never the user's; the
# commands the tests start inherit it.
_CACHE = tempfile.mkdtemp(prefix="govwatch-test-cache-")
os.environ["GOVWATCH_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


def require_shared() -> Path:
    """The real-data folder, or skip (fail where GOVWATCH_REQUIRE_SHARED=1) with the reason.

    Call it first in any fixture wider than a function that reads real data: pytest sets
    up wider-scoped fixtures before the function-scoped ones that would skip."""
    if SHARED.is_dir():
        return SHARED
    reason = f"real-data samples not found at {SHARED} (they exist only in the project's CI)"
    if os.environ.get("GOVWATCH_REQUIRE_SHARED") == "1":
        pytest.fail(reason + "; GOVWATCH_REQUIRE_SHARED=1 makes them mandatory")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return require_shared()


@pytest.fixture
def repo() -> Path:
    return REPO


# Property tests explore new examples on every developer run; in CI they replay a
# fixed sequence so a red build always means a change, never a lucky draw.
try:
    from hypothesis import settings as _hyp_settings

    _hyp_settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI"):
        _hyp_settings.load_profile("ci")
except ImportError:  # hypothesis is a test dependency; without it those tests fail to import
    pass


@pytest.fixture(scope="session")
def dashboard_store(tmp_path_factory) -> Path:
    """A read-only store of the sample data for the dashboard's unit tests. Peer groups of
    the sample are small: ranks among two or more peers, so that the composite index
    exists and can be re-weighted."""
    from browser_support import build_store
    from govwatch.analysis.settings import build

    return build_store(tmp_path_factory.mktemp("dash-units") / "store.duckdb", scale=0.15,
                       settings=build(min_peers=2))


@pytest.fixture(scope="session")
def dashboard_app(dashboard_store):
    """The Dash app on :func:`dashboard_store`, after its first request (callbacks registered)."""
    from govwatch.dashboard.app import create_app

    app = create_app(dashboard_store)
    app.server.test_client().get("/_dash-layout")
    return app


@pytest.fixture
def dashboard_page(dashboard_app):
    """page('overview') -> the page module as the app loaded it, inside a request."""
    import sys

    ctx = dashboard_app.server.test_request_context("/")
    ctx.push()
    yield lambda name: sys.modules[f"govwatch.dashboard.pages.{name}"]
    ctx.pop()


@pytest.fixture(scope="session")
def sample_cli_store(tmp_path_factory) -> Path:
    """The committed sample (sample_data/small), ingested and analysed by the
    ``govwatch`` command with its defaults, as ``make demo`` does. Read it only."""
    import subprocess
    import sys

    small = REPO / "sample_data" / "small"
    work = tmp_path_factory.mktemp("sample-cli")
    db = work / "store.duckdb"
    for args in (["ingest", str(small / "posts.csv"), "--accounts", str(small / "accounts.csv")],
                 ["analyze", "--events", str(small / "events.csv")]):
        r = subprocess.run([sys.executable, "-m", "govwatch", *args, "--db", str(db), "-q"],
                           cwd=work, capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, r.stderr
    return db
