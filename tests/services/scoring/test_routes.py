"""GET /v1/scores, /v1/scores/units, /v1/data, /v1/catalog and /v1/org-units in process (the embedded app on
the mini rules, tests/fixtures/mini). Expected values are worked out by hand from mini.yaml below."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.services.inprocess import Client, at, embedded_app, event

YEAR = 2025
Q2 = f"{YEAR}-Q2"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """Q2 2025: records 10 (5 online) in P.D1.C1 and 10 (10 online) in P.D1.C2; work records 10 (9 online) at
    the province; communes P.D1.C1 and P.D1.C2 networked, P.D2.C1 not; 6 systems connected through LGSP."""
    with embedded_app(tmp_path_factory.mktemp("scoring")) as c:
        when = at(YEAR, 5, 12)
        sent = [
            (
                "lgsp",
                [
                    event("t1", "lgsp", "P.D1.C1", "tthc.records_total", 10, when),
                    event("o1", "lgsp", "P.D1.C1", "tthc.records_online", 5, when),
                    event("t2", "lgsp", "P.D1.C2", "tthc.records_total", 10, when),
                    event("o2", "lgsp", "P.D1.C2", "tthc.records_online", 10, when),
                ],
            ),
            (
                "eoffice",
                [
                    event("wt", "eoffice", "P", "work.records_total", 10, when),
                    event("wo", "eoffice", "P", "work.records_online", 9, when),
                ],
            ),
            (
                "department",
                [
                    event("n1", "department", "P.D1.C1", "infra.network", 1, when),
                    event("n2", "department", "P.D1.C2", "infra.network", 1, when),
                    event("n3", "department", "P.D2.C1", "infra.network", 0, when),
                    event("sys", "department", "P", "lgsp.systems_connected", 6, when),
                ],
            ),
        ]
        for source, events in sent:
            r = c.post("/v1/events", c.key(source), {"events": events})
            assert r.status_code == 202, r.text
        c.settle()
        yield c


def indicators(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["code"]: i for m in tree["main_indicators"] for i in m["indicators"]}


def test_the_province_scores_as_the_rules_say(app: Client) -> None:
    r = app.get("/v1/scores", org_unit="P", period=Q2, framework="mini")
    assert r.status_code == 200, r.text
    tree = r.json()
    assert (tree["org_unit"]["code"], tree["period"], tree["framework"]["code"]) == ("P", Q2, "mini")
    ind = indicators(tree)
    # A1: 15 of 20 records online; linear from 0 to the 2025 target 80%: 0.75 / 0.8 of 40 points
    assert ind["A1"]["value"] == pytest.approx(0.75)
    assert ind["A1"]["target"] == pytest.approx(0.8)
    assert ind["A1"]["score"] == pytest.approx(0.75 / 0.8)
    assert ind["A1"]["earned"] == pytest.approx(40 * 0.75 / 0.8)
    assert ind["A1"]["status"] == "below_target"
    # A2: 9 of 10 work records online against the province's 90%: met, all 20 points
    assert ind["A2"]["value"] == pytest.approx(0.9)
    assert ind["A2"]["score"] == pytest.approx(1.0)
    assert ind["A2"]["status"] == "met"
    # B1: 2 of the 3 communes networked; linear from 50% to 100%: (2/3 - 1/2) / (1/2) of 20 points
    assert ind["B1"]["value"] == pytest.approx(2 / 3)
    assert ind["B1"]["score"] == pytest.approx((2 / 3 - 0.5) / 0.5)
    # B2: 6 systems, the band from 5 scores 0.5 of 20 points
    assert ind["B2"]["value"] == pytest.approx(6)
    assert ind["B2"]["score"] == pytest.approx(0.5)
    a = 40 * 0.75 / 0.8 + 20
    b = 20 * (2 / 3 - 0.5) / 0.5 + 20 * 0.5
    mains = {m["code"]: m for m in tree["main_indicators"]}
    assert mains["A"]["value"] == pytest.approx(a / 60, abs=1e-6)
    assert mains["B"]["value"] == pytest.approx(b / 40, abs=1e-6)
    # index and pillar X weigh A 60, B 40 (of 100); pillar Y is A alone
    dti = (60 * a / 60 + 40 * b / 40) / 100
    assert tree["index"]["value"] == pytest.approx(dti, abs=1e-6)
    assert tree["index"]["points"] == pytest.approx(100 * dti, abs=1e-4)
    pillars = {p["code"]: p["value"] for p in tree["pillars"]}
    assert pillars == pytest.approx({"X": dti, "Y": a / 60}, abs=1e-6)
    assert tree["data_through"] == f"{YEAR}-05-12"


def test_a_district_scores_its_own_communes(app: Client) -> None:
    """P.D1: both communes networked (B1 = 1); no work records of its own (A2 has no data and, with
    missing_data: zero, earns nothing); B2 is scored at the province only."""
    tree = app.get("/v1/scores", org_unit="P.D1", period=Q2, framework="mini").json()
    ind = indicators(tree)
    assert set(ind) == {"A1", "A2", "B1"}
    assert ind["A1"]["value"] == pytest.approx(0.75)
    assert ind["A2"]["status"] == "no_data" and ind["A2"]["earned"] is None
    assert ind["A2"]["target"] == pytest.approx(0.8)  # the district's own 2025 target
    assert ind["B1"]["value"] == pytest.approx(1.0) and ind["B1"]["status"] == "met"
    a = {m["code"]: m for m in tree["main_indicators"]}["A"]
    assert a["value"] == pytest.approx(40 * 0.75 / 0.8 / 60, abs=1e-6)
    assert a["missing"] == ["A2"]


def test_units_of_a_level_side_by_side(app: Client) -> None:
    r = app.get("/v1/scores/units", period=Q2, framework="mini", level="commune")
    assert r.status_code == 200, r.text
    rows = {u["code"]: u for u in r.json()["units"]}
    assert set(rows) == {"P.D1.C1", "P.D1.C2", "P.D2.C1"}
    # a commune scores A1 and A2 only; A2 has no data anywhere below the province
    assert rows["P.D1.C1"]["main_indicators"]["A"] == pytest.approx(40 * 0.5 / 0.8 / 60, abs=1e-6)
    assert rows["P.D1.C2"]["main_indicators"]["A"] == pytest.approx(40 * 1.0 / 60, abs=1e-6)
    assert (rows["P.D1.C2"]["rank"], rows["P.D1.C1"]["rank"]) == (1, 2)
    bad = app.get("/v1/scores/units", period=Q2, level="hamlet")
    assert bad.status_code == 422
    assert [e["pointer"] for e in bad.json()["detail"]["errors"]] == ["/level"]


def test_raw_data_rolls_counters_up(app: Client) -> None:
    r = app.get("/v1/data", org_unit="P.D1", period=Q2)
    assert r.status_code == 200, r.text
    values = r.json()["values"]
    assert values["tthc.records_total"] == pytest.approx(20)
    assert values["tthc.records_online"] == pytest.approx(15)
    assert "work.records_total" not in values  # reported at the province, not below it


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"org_unit": "P.D9"}, "/org_unit"),
        ({"period": "2025-Q5"}, "/period"),
        ({"framework": "dti-1999"}, "/framework"),
    ],
)
def test_bad_score_parameters_are_named(app: Client, params: dict[str, str], pointer: str) -> None:
    query: dict[str, Any] = {"org_unit": "P", "period": Q2, "framework": "mini", **params}
    r = app.get("/v1/scores", **query)
    assert r.status_code == 422
    assert [e["pointer"] for e in r.json()["detail"]["errors"]] == [pointer]


def test_catalog_lists_metrics_and_what_each_source_may_send(app: Client) -> None:
    r = app.get("/v1/catalog")
    assert r.status_code == 200
    metrics = {m["code"]: m for m in r.json()["metrics"]}
    assert set(metrics) == {
        "tthc.records_total",
        "tthc.records_online",
        "work.records_total",
        "work.records_online",
        "infra.network",
        "lgsp.systems_connected",
        "population.epayment_accounts",
    }
    assert sorted(metrics["lgsp.systems_connected"]["sources"]) == ["department", "lgsp"]
    assert metrics["work.records_online"]["sources"] == ["eoffice"]
    assert (metrics["infra.network"]["type"], metrics["infra.network"]["name_en"]) == ("gauge", "Commune networked")


def test_org_units_tree(app: Client) -> None:
    r = app.get("/v1/org-units")
    assert r.status_code == 200
    body = r.json()
    assert body["levels"] == ["province", "district", "commune"]
    parents = {u["code"]: u["parent"] for u in body["units"]}
    assert parents == {
        "P": None,
        "P.D1": "P",
        "P.D2": "P",
        "P.D1.C1": "P.D1",
        "P.D1.C2": "P.D1",
        "P.D2.C1": "P.D2",
    }
    c2 = next(u for u in body["units"] if u["code"] == "P.D1.C2")
    assert (c2["level"], c2["population"], c2["households"]) == ("commune", 3000, 600)
