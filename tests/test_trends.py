"""The change-over-time figures and table as pure functions of hand-made frames."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from govwatch.dashboard.trends import before_after_frame, series_chart


def series() -> pd.DataFrame:
    return pd.DataFrame({
        "period": ["2026-W01", "2026-W02", "2026-W03"],
        "period_start": pd.to_datetime(["2025-12-29", "2026-01-05", "2026-01-12"]),
        "answered_rate_window": [0.5, 0.8, 1.0],
        "rate_ci_low": [0.3, 0.6, 0.2],
        "rate_ci_high": [0.7, 0.9, 1.0],
        "observed_window": [20, 25, 2],
        "rate_status": ["ok", "ok", "too few"],
        "km_median_hours": [3.0, math.nan, 5.0],
        "km_median_ci_low": [2.0, math.nan, 1.0],
        "km_median_ci_high": [math.nan, math.nan, 9.0],
        "max_followup_hours": [400.0, 300.0, 20.0],
        "median_status": ["ok", "ok", "too few"],
    })


def test_series_chart_draws_only_what_the_analysis_rates():
    chart = series_chart(series(), "week", window_hours=24)
    rate, median, beyond = chart.figure.data
    assert list(rate.y) == [0.5, 0.8]  # the "too few" week is not drawn
    assert list(rate.error_y.array) == [pytest.approx(0.2), pytest.approx(0.1)]
    assert list(rate.error_y.arrayminus) == [pytest.approx(0.2), pytest.approx(0.2)]
    assert rate.name == "Answered within 1 day"
    assert list(median.y) == [3.0]
    assert list(median.error_y.array) == [397.0]  # unbounded CI: up to the follow-up
    assert list(beyond.y) == [300.0]  # not reached: drawn at its follow-up
    assert "50% in 2026-W01, 80% in 2026-W02" in chart.summary
    assert "1 week with too few" in chart.summary
    assert chart.title.startswith("Weekly")


def test_series_chart_marks_change_dates_and_handles_nothing():
    changes = pd.DataFrame({"change_at": pd.to_datetime(["2026-01-05"], utc=True)})
    chart = series_chart(series(), "month", changes)
    assert len(chart.figure.layout.shapes) == 2  # one dashed line per panel
    # both panels are date axes even when one has no point (else the lines draw as NaN)
    nothing_rated = series().assign(rate_status="too few")
    layout = series_chart(nothing_rated, "week", changes).figure.layout
    assert (layout.xaxis.type, layout.xaxis2.type) == ("date", "date")
    assert "Dashed lines" in chart.summary and chart.title.startswith("Monthly")
    empty = series_chart(series().iloc[0:0], "week")
    assert "no messages" in empty.summary


def test_before_after_table_says_why_a_figure_is_missing():
    row = {
        "change_at": pd.Timestamp("2026-02-01", tz="UTC"), "window_days": 0,
        "before_observed_window": 10, "before_rate": 1.0, "before_rate_ci_low": 0.72,
        "before_rate_ci_high": 1.0, "after_observed_window": 10, "after_rate": 0.6,
        "after_rate_ci_low": 0.31, "after_rate_ci_high": 0.83,
        "rate_difference": -0.4, "rate_difference_ci_low": -0.69,
        "rate_difference_ci_high": -0.12, "rate_status": "ok",
        "before_median_hours": 10.0, "before_median_ci_low": 10.0,
        "before_median_ci_high": 10.0, "before_max_followup_hours": 1000.0,
        "after_median_hours": 2.0, "after_median_ci_low": 2.0, "after_median_ci_high": math.nan,
        "after_max_followup_hours": 1000.0, "median_difference_hours": -8.0,
        "median_difference_ci_low": -8.0, "median_difference_ci_high": math.nan,
        "median_status": "ok",
    }
    too_few = {**row, "rate_status": "too few", "median_status": "not reached"}
    t = before_after_frame(pd.DataFrame([row, too_few]))
    first, second = t.to_dict("records")
    assert first["Date"] == "2026-02-01 00:00 UTC (all data)"
    assert first["Rate before"] == "100% of 10 (72%–100%)"
    assert first["Rate difference (95% CI)"] == "-40 pts (-69 to -12)"
    assert first["Median difference (95% CI)"] == "-8.0 h (-8.0 to unbounded)"
    assert second["Rate difference (95% CI)"] == "too few"
    assert second["Median difference (95% CI)"] == "not reached"
