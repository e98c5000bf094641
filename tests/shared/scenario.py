"""The hand-computed scenario on tests/fixtures/mini, shared by the scoring golden tests and the alert tests."""

from __future__ import annotations

from datetime import datetime

from shared.periods import PROVINCE_TZ
from shared.rules.model import RuleSet
from shared.scoring.engine import MetricEvent, ScoringEngine

Q1 = datetime(2025, 3, 14, 9, 30, tzinfo=PROVINCE_TZ)


def feed(engine: ScoringEngine, metric: str, unit: str, value: float, when: datetime = Q1, times: int = 1) -> None:
    for _ in range(times):
        engine.apply(MetricEvent(metric, unit, value, when))


def golden_scenario(rules: RuleSet) -> ScoringEngine:
    """Year 2025. Hand-computed in tests/shared/scoring/test_scoring_golden.py: A1 C1 3/4, C2 1/6, D1 4/10, D2 2/4,
    D2.C1 2/2, P 6/14; A2 7/10 at C1, D1 and P; B1 D1 1/2, P 1/3; B2 P 7 systems."""
    e = ScoringEngine(rules)
    # administrative records: C1 3 of 4 online, C2 1 of 6, D2 itself 0 of 2, D2.C1 2 of 2
    feed(e, "tthc.records_total", "P.D1.C1", 1, times=4)
    feed(e, "tthc.records_online", "P.D1.C1", 1, times=3)
    feed(e, "tthc.records_total", "P.D1.C2", 6)
    feed(e, "tthc.records_online", "P.D1.C2", 1)
    feed(e, "tthc.records_total", "P.D2", 2)
    feed(e, "tthc.records_total", "P.D2.C1", 2)
    feed(e, "tthc.records_online", "P.D2.C1", 2)
    # work records only at D1.C1: 7 of 10 online
    feed(e, "work.records_total", "P.D1.C1", 10)
    feed(e, "work.records_online", "P.D1.C1", 7)
    # network: C1 yes, C2 no, D2.C1 has not reported
    feed(e, "infra.network", "P.D1.C1", 1)
    feed(e, "infra.network", "P.D1.C2", 0)
    # the province reports 7 connected systems
    feed(e, "lgsp.systems_connected", "P", 7)
    return e
