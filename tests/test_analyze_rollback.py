"""A run of analyze that fails in its last metric leaves every derived table as the
previous run wrote it: each metric's rows go into the tables as soon as it is computed,
inside the one transaction that the failure rolls back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from builders import account, build_store, post
from govwatch.analysis import pipeline, registry
from govwatch.analysis.pipeline import AnalysisSettings, run_analysis


def _derived(con) -> dict[str, list[tuple]]:
    names = {"responses", "analysis_runs"}
    for metric in registry.metrics():
        names.update(metric.tables)
    return {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall()))
            for t in sorted(names)}


def test_a_failure_in_the_last_metric_leaves_every_derived_table(tmp_path, monkeypatch):
    posts = [post("o1", "ministry", "2026-01-05T09:00:00Z", "Road works on Monday")]
    for i in range(8):  # eight questions over three days, the first four answered
        posts.append(post(f"m{i}", f"citizen{i}", f"2026-01-0{5 + i % 3}T1{i}:00:00Z",
                          f"When will road {i} be repaired? This is dangerous.",
                          reply_to="o1", reply_author="ministry"))
        if i < 4:
            posts.append(post(f"r{i}", "ministry", f"2026-01-08T1{i}:30:00Z",
                              f"We will fix road {i}", reply_to=f"m{i}",
                              reply_author=f"citizen{i}"))
    store = build_store(tmp_path, posts, [account("ministry")],
                        observed_until=datetime(2026, 1, 8, 12, tzinfo=UTC))
    before = _derived(store.conn)
    assert before["responses"] and before["account_metrics"]

    last = registry.metrics()[-1]
    written = []
    real_replace = pipeline._replace

    def replace(con, table, columns, frame):
        written.append(table)
        real_replace(con, table, columns, frame)

    def fail(self, ctx):
        raise RuntimeError("the last metric fails")

    monkeypatch.setattr(pipeline, "_replace", replace)
    monkeypatch.setattr(type(last), "compute", fail)
    later = AnalysisSettings(observed_until=datetime(2026, 2, 1, tzinfo=UTC))
    with pytest.raises(RuntimeError, match="the last metric fails"):
        run_analysis(store, later)
    # every other metric had written its tables in the transaction before the failure
    assert len(written) >= len(before) - len(last.tables) - 2
    assert _derived(store.conn) == before

    monkeypatch.undo()  # the same run without the failure changes the tables
    run_analysis(store, later)
    after = _derived(store.conn)
    assert after["responses"] != before["responses"]
    store.close()
