"""The dashboard finds derived tables through the metric registry: a toy metric's
per-account table appears on the Account and Compare pages, and a declared table the
store lacks is named with what its metric says it holds."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from govwatch.analysis import registry
from govwatch.dashboard.data import DashboardData
from govwatch.dashboard.pages._common import DATA_KEY
from test_dashboard_units import _ids, _text


class ToyMetric(registry.Metric):
    name = "toy_reach"
    description = "A toy: each account's reach."
    tables = {
        "toy_reach": {"platform": "VARCHAR", "official_author": "VARCHAR",
                      "population": "VARCHAR", "reach": "DOUBLE"},
        "toy_absent": {"platform": "VARCHAR", "official_author": "VARCHAR", "n": "BIGINT"},
    }
    account_tables = ("toy_reach",)
    table_descriptions = {"toy_absent": "a toy table no analysis wrote"}

    def compute(self, ctx):  # not run here: the test writes the table itself
        raise AssertionError("not called")


@pytest.fixture
def toy_data(dashboard_store, dashboard_app, tmp_path, monkeypatch):
    """A copy of the dashboard's store holding toy_reach (reach = 10 x the length of the
    handle, 'all' population = 1), the toy metric registered, and the app reading it."""
    registry.metrics()  # the shipped metrics first
    monkeypatch.setitem(registry._METRICS, ToyMetric.name, ToyMetric())
    path = tmp_path / "toy.duckdb"
    shutil.copy(dashboard_store, path)
    with duckdb.connect(str(path)) as con:
        registry.create_table(con, "toy_reach", ToyMetric.tables["toy_reach"])
        con.execute("INSERT INTO toy_reach SELECT platform, author, p, "
                    "CASE p WHEN 'all' THEN 1 ELSE 10 * length(author) END "
                    "FROM accounts, (VALUES ('needs_response'), ('all')) t(p) WHERE official")
    data = DashboardData(path).open()
    monkeypatch.setitem(dashboard_app.server.extensions, DATA_KEY, data)
    yield data
    data.close()


def test_a_missing_table_is_named_with_its_metrics_description(toy_data):
    absent = toy_data.missing("toy_absent")
    assert "a toy table no analysis wrote" in absent.message
    assert "selectivity gap" in toy_data.missing("selectivity").message  # a shipped metric's
    assert toy_data.table("toy_absent") == absent


def test_account_and_compare_pages_show_a_toy_metrics_account_table(toy_data, dashboard_page):
    officials = toy_data.officials().head(2).to_dict("records")
    account = dashboard_page("account")
    first = officials[0]
    top = account.layout(platform=first["platform"], author=first["author"])
    search = f"?platform={first['platform']}&author={first['author']}"
    layout = [top, *[account.rest(search, {"part": part})  # what its callbacks add
                     for part in ("change", "activity")]]
    assert "account-table-extra-toy_reach" in _ids(layout)
    assert "reach" in _text(layout)

    compare = dashboard_page("compare")
    table = compare.table_for(officials, "needs_response")
    row = table[table["Measure"] == "reach (toy_reach)"]
    assert len(row) == 1, table["Measure"].tolist()
    assert row.iloc[0, 1:].tolist() == [10.0 * len(a["author"]) for a in officials]
    every = compare.table_for(officials, "all")  # the population's own row
    assert every.loc[every["Measure"] == "reach (toy_reach)"].iloc[0, 1:].tolist() == [1.0, 1.0]
    # without the toy metric registered, the table is not shown
    del registry._METRICS[ToyMetric.name]
    table = compare.table_for(officials, "needs_response")
    assert not table["Measure"].str.contains("toy_reach").any()
