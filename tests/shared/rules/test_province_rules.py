"""The province's own rules files: valid, complete, and scoring under both administrative trees."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from shared.periods import PROVINCE_TZ, parse_period
from shared.rules.loader import load_ruleset
from shared.rules.model import RuleSet
from shared.scoring.engine import MetricEvent, ScoringEngine
from shared.scoring.targets import target_for

ROOT = Path(__file__).resolve().parents[3]
REQUIRED_METRICS = [
    "tthc.records_total",
    "tthc.records_online",
    "tthc.records_fully_online",
    "work.records_total",
    "work.records_online",
    "edoc.documents_total",
    "edoc.documents_electronic",
    "payment.fees_total",
    "payment.fees_cashless",
    "report.units_total",
    "report.units_reporting_via_system",
    "lgsp.systems_total",
    "lgsp.systems_connected",
    "population.epayment_accounts",
    "infra.households_fibre",
]


def test_metric_codes_integrators_rely_on_exist(province_rules: RuleSet) -> None:
    assert [m for m in REQUIRED_METRICS if m not in province_rules.catalog.metrics] == []
    assert set(province_rules.catalog.sources) == {
        "lgsp",
        "egov-portal",
        "eoffice",
        "payment",
        "reporting",
        "department",
    }


def test_frameworks_as_the_decisions_define_them(province_rules: RuleSet) -> None:
    fw22 = province_rules.frameworks["dti-2022"]
    fw25 = province_rules.frameworks["dti-2025"]
    assert fw22.scale == fw25.scale == 1000
    assert {m: fw22.main_indicators[m].points for m in fw22.main_indicators} == {
        "NT": 100,
        "TC": 100,
        "HT": 100,
        "NL": 100,
        "AT": 100,
        "DTTM": 0,
        "HDCQS": 200,
        "HDKTS": 150,
        "HDXHS": 150,
    }
    assert len(fw25.main_indicators) == 8 and len(fw25.indicators) == 47
    # pillars overlap: each holds the whole foundation group (500) plus its activity indicator
    assert {p.code: p.total for p in fw22.pillars.values()} == {"CQS": 700, "KTS": 650, "XHS": 650}
    for fw in (fw22, fw25):
        for y in range(2024, 2031):  # every year to 2030, the present included, has a target everywhere
            for ind in fw.indicators.values():
                for lv in ind.levels & province_rules.org_tree.levels_with_units():
                    assert target_for(ind, lv, y) is not None, (fw.code, ind.code, lv, y)


def test_work_records_targets_by_level(province_rules: RuleSet) -> None:
    ind = province_rules.frameworks["dti-2022"].indicators["HDCQS.05"]
    # districts were abolished on 1/7/2025: their targets stay in the file (history) but are not in force
    assert [target_for(ind, lv, 2025) for lv in ("province", "district", "commune")] == [0.9, None, 0.6]
    assert [target_for(ind, lv, 2030) for lv in ("province", "district", "commune")] == pytest.approx([1.0, None, 0.7])
    # 2026 lies on the line: province 90% + 10% × 1/5 = 92%
    assert target_for(ind, "province", 2026) == pytest.approx(0.92)


def test_lai_chau_units(province_rules: RuleSet) -> None:
    # in force: the tree since 1/7/2025, 38 commune-level units directly under the province
    assert province_rules.org_tree.levels == ("province", "commune")
    assert sum(1 for u in province_rules.org_tree.units if u.level == "commune") == 38
    assert province_rules.org_units_from == "2025-07-01"
    # before: 8 districts and 106 communes, every commune mapped to exactly one unit in force
    tree = province_rules.former_org_tree
    assert tree is not None and province_rules.crosswalk is not None
    assert [u.code for u in tree.units if u.level == "district"] == [
        "LC.TPLAICHAU",
        "LC.TAMDUONG",
        "LC.PHONGTHO",
        "LC.SINHO",
        "LC.MUONGTE",
        "LC.THANUYEN",
        "LC.TANUYEN",
        "LC.NAMNHUN",
    ]
    assert sum(1 for u in tree.units if u.level == "commune") == 106
    communes = {u.code for u in tree.units if u.level == "commune"}
    assert set(province_rules.crosswalk) == communes
    assert set(province_rules.crosswalk.values()) == {
        u.code for u in province_rules.org_tree.units if u.level == "commune"
    }


def test_the_2025_reform_is_another_file_not_code() -> None:
    rules = load_ruleset(ROOT / "rules")
    assert rules.org_tree.levels == ("province", "commune")
    assert sum(1 for u in rules.org_tree.units if u.level == "commune") == 38
    e = ScoringEngine(rules)
    when = datetime(2026, 3, 2, 9, tzinfo=PROVINCE_TZ)
    for code in ("LC.TANPHONG", "LC.DOANKET"):
        e.apply(MetricEvent("work.records_total", code, 10, when))
    e.apply(MetricEvent("work.records_online", "LC.TANPHONG", 9, when))
    # province: 9 of 20 online; the commune Tân Phong 9 of 10 against its commune-level target
    p = e.score("dti-2025", "LC", parse_period("2026")).indicators["HDCQS.05"]
    assert p.value == pytest.approx(9 / 20)
    assert e.score("dti-2025", "LC.TANPHONG", parse_period("2026")).indicators["HDCQS.05"].value == 0.9
