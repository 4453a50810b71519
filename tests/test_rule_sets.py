"""Each format's rules are defined once: the fast and the general path of a reader import
them from one module, and neither imports the other in a cycle."""

from __future__ import annotations

import subprocess
import sys


def _modules_loaded_by(module: str) -> set[str]:
    code = (f"import sys, {module}\n"
            "print('\\n'.join(m for m in sys.modules if m.startswith('govwatch.ingest')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return set(out.stdout.split())


def test_the_twitter_fast_path_does_not_import_the_general_reader():
    loaded = _modules_loaded_by("govwatch.ingest.twitter_v2_fast")
    assert "govwatch.ingest.twitter_rules" in loaded
    assert "govwatch.ingest.twitter_json" not in loaded


def test_the_posts_csv_fast_path_does_not_import_the_reader():
    loaded = _modules_loaded_by("govwatch.ingest.fast_posts")
    assert "govwatch.ingest.posts_rules" in loaded
    assert "govwatch.ingest.csv_posts" not in loaded


def test_both_twitter_paths_read_an_offset_by_the_shared_time_rule():
    """'+05' (hours only) is an offset to every reader (ingest/times.py)."""
    from govwatch.ingest.twitter_json import BatchBuilder, v2_post
    from govwatch.ingest.twitter_v2_fast import read_page

    line = (b'{"data":[{"id":"7","text":"a &amp; b","author_id":"1",'
            b'"created_at":"2026-01-01T10:00:00+05","referenced_tweets":'
            b'[{"type":"quoted","id":"5"},{"type":"replied_to","id":"6"}]}],'
            b'"includes":{"users":[{"id":"1","username":"min","name":"Min"}]}}')
    out = BatchBuilder(100, keep_raw=False)
    assert read_page(line, out)
    fast = out.take().posts.to_pylist()[0]
    import json

    t = json.loads(line)["data"][0]
    general = v2_post(t, "$", {"1": {"username": "min"}}, keep_raw=False)
    assert fast["created_at"] == general.created_at
    assert general.created_at.isoformat() == "2026-01-01T05:00:00+00:00"
    assert (fast["kind"], fast["in_reply_to_post_id"], fast["text"]) == (
        general.kind, general.in_reply_to_post_id, general.text) == ("reply", "6", "a & b")
