"""What changed: scores a week and a quarter before, recomputed from the event log, against hand-computed
values (data of conftest.seed), and the date of the latest data (the data's, not the server's)."""

from __future__ import annotations

import pytest

from tests.services.reports.conftest import YEAR, Client


def test_changes_week_and_quarter_ago(app_client: Client) -> None:
    r = app_client.get("/v1/changes", org_unit="P", period=str(YEAR), framework="mini")
    assert r.status_code == 200, r.text
    d = r.json()
    # a past year is judged at its last day: a week before is 24/12, a quarter before 30/09
    assert d["as_of"] == f"{YEAR}-12-31"
    assert d["compared_with"] == {"week_ago": f"{YEAR}-12-24", "quarter_ago": f"{YEAR}-09-30"}
    assert d["history"] is True
    comp = {c["code"]: c for c in d["composites"]}
    # today 0.65 (B2's Q4 figure, dated 31/12, counts); 24/12: without it, 0.6 x 55/60 = 0.55; 30/09: 0.25
    assert comp["DTI"]["value"] == pytest.approx(0.65)
    assert comp["DTI"]["week_ago"]["value"] == pytest.approx(0.55)
    assert comp["DTI"]["quarter_ago"]["value"] == pytest.approx(0.25)
    inds = {i["code"]: i for i in d["indicators"]}
    a1 = inds["A1"]
    assert (a1["value"], a1["week_ago"]["value"], a1["quarter_ago"]["value"]) == pytest.approx((0.7, 0.7, 0.5))
    assert (a1["score"], a1["quarter_ago"]["score"]) == pytest.approx((0.875, 0.625))
    assert a1["latest_data"] == f"{YEAR}-11-05"
    assert inds["A2"]["quarter_ago"]["value"] is None and inds["A2"]["latest_data"] == f"{YEAR}-11-06"
    assert inds["B2"]["value"] == 6 and inds["B2"]["week_ago"]["value"] is None
    assert inds["B2"]["latest_data"] == f"{YEAR}-12-31"
    assert inds["B1"]["latest_data"] is None
    assert d["data_through"] == f"{YEAR}-12-31"
    # a commune: only its own subtree's data
    c = app_client.get("/v1/changes", org_unit="P.D2.C1", period=str(YEAR), framework="mini").json()
    assert c["data_through"] is None and all(i["latest_data"] is None for i in c["indicators"])


def test_scores_carry_the_date_of_the_data(app_client: Client) -> None:
    s = app_client.get("/v1/scores", org_unit="P.D1", period=f"{YEAR}-Q3", framework="mini").json()
    # data came in after the quarter (November): the quarter's figures hold everything up to its last day
    assert s["data_through"] == f"{YEAR}-09-30"
    s = app_client.get("/v1/scores", org_unit="P.D1", period=str(YEAR), framework="mini").json()
    assert s["data_through"] == f"{YEAR}-11-05"  # the newest record of the district's communes
    s = app_client.get("/v1/scores", org_unit="P.D2", period=str(YEAR), framework="mini").json()
    assert s["data_through"] is None


def test_changes_refuse_years_out_of_range(app_client: Client) -> None:
    r = app_client.get("/v1/changes", period="0001")
    assert r.status_code == 422 and r.json()["detail"]["errors"][0]["pointer"] == "/period"
