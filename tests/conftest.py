"""Shared fixtures.

Tests that read real public data use ``shared_data``: it points at
../shared/real_data beside the repository. Where that folder is absent (a fresh
user machine) those tests skip with the reason; CI sets GOVWATCH_REQUIRE_SHARED=1
so that there they fail instead of skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "real_data"


@pytest.fixture
def shared_data() -> Path:
    if SHARED.is_dir():
        return SHARED
    reason = f"real-data samples not found at {SHARED} (they exist only in the project's CI)"
    if os.environ.get("GOVWATCH_REQUIRE_SHARED") == "1":
        pytest.fail(reason + "; GOVWATCH_REQUIRE_SHARED=1 makes them mandatory")
    pytest.skip(reason)


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
