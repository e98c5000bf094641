"""A rule's `group_by` (one alert per problem, its units listed worst first), silent sources and the
stale-data alerts they inhibit. Numbers by hand from the mini fixture (tests/shared/alerts/test_kinds.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.rules.model import RuleSet
from tests.shared.alerts.helpers import EVALUATORS, T0, Harness, feed, one_rule, with_alerts

GROUPED = "{name: work_online_low, kind: below_target, match: {indicators: [A2]}, group_by: [measure, period]}"


@pytest.fixture(params=sorted(EVALUATORS))
def evaluator(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_one_alert_lists_its_units_worst_first(mini_rules: RuleSet, evaluator: str) -> None:
    h = Harness(one_rule(mini_rules, GROUPED), EVALUATORS[evaluator])
    result = h.run(T0)
    # A2 = 70% at C1, D1 and P; D1 short of 80% by 0.1 (12.5% of its target), P of 90% by 0.2 (22.2%)
    firing = h.book.find(["firing"])
    assert len(firing) == 1
    alert = firing[0]
    assert alert.members is not None
    assert [m["org_unit"] for m in alert.members] == ["P", "P.D1"]  # the worse first
    assert alert.labels["measure"] == "work.records_online+work.records_total"
    assert alert.labels["framework"] == "mini" and alert.annotations["frameworks"] == "mini"
    assert alert.annotations["units"] == "2"
    assert "— 2 đơn vị" in alert.annotations["summary"]
    lines = alert.annotations["description"].splitlines()
    assert lines[1].startswith("- Tỉnh P — ") and "đạt 70%" in lines[1] and "chỉ tiêu 90%" in lines[1]
    # one digest per receiver, each listing the one alert
    assert sorted((n.receiver, len(n.alerts)) for n in result.notifications) == [("KHCN", 1), ("VP", 1)]

    # D1 meets its 80% (8/10); P does not: the same alert, one unit left
    feed(h.scoring, "work.records_online", "P.D1.C1", 1)
    h.run(T0 + timedelta(hours=1))
    (alert,) = h.book.find(["firing"])
    assert [m["org_unit"] for m in alert.members or []] == ["P"]
    # 10/10 everywhere: resolved
    feed(h.scoring, "work.records_online", "P.D1.C1", 2)
    h.run(T0 + timedelta(hours=2))
    assert h.book.find(["firing"]) == [] and alert.state == "resolved"


def test_a_round_of_some_scopes_keeps_the_other_members(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, GROUPED))
    h.run(T0)
    # a round fed only D1's scores (what changed) says nothing about P: P stays listed
    d1 = [s for s in h.scoring.results.values() if h.scoring.tree.units[s.unit].code == "P.D1"]
    h.alerts.evaluate(h.book, d1, T0 + timedelta(minutes=1))
    (alert,) = h.book.find(["firing"])
    assert [m["org_unit"] for m in alert.members or []] == ["P", "P.D1"]


SOURCES = """kind: alerts
sources:
  lgsp: {name: Trục LGSP, name_en: LGSP, owner: VP, silence: 3d}
rules:
  - {name: source_silent, kind: source_silent, severity: critical}
  - {name: stale_data, kind: stale, params: {max_age: 3d, reports: continuous}, match: {indicators: [B2]},
     group_by: [subject, period]}
"""


def test_a_silent_source_is_one_alert_and_inhibits_the_stale_ones_it_explains(
    mini_rules: RuleSet, evaluator: str
) -> None:
    h = Harness(with_alerts(mini_rules, SOURCES), EVALUATORS[evaluator])
    # B2 (latest lgsp.systems_connected) is scored at P only; LGSP sends it; last heard of at T0
    last_data = {("lgsp.systems_connected", "P"): T0}
    last_source = {"lgsp": T0}
    result = h.alerts.evaluate(h.book, list(h.scoring.results.values()), T0 + timedelta(days=4), last_data, last_source)
    firing = {a.rule: a for a in h.book.find(["firing"])}
    assert set(firing) == {"source_silent", "stale_data"}
    source, stale = firing["source_silent"], firing["stale_data"]
    assert source.labels["source"] == "lgsp" and source.receivers == ("VP", "KHCN")
    assert source.annotations["summary"].startswith("[NGHIÊM TRỌNG] Trục LGSP không gửi số liệu từ 14/03/2025")
    assert "(quá 3 ngày)" in source.annotations["summary"]
    assert stale.inhibited_by == [source.fingerprint]
    told = {a.fingerprint for n in result.notifications for a in n.alerts}
    assert told == {source.fingerprint}  # the inhibited alert is listed, not notified

    # another source of the same metric reports it, LGSP still silent: the stale alert resolves
    last_data[("lgsp.systems_connected", "P")] = T0 + timedelta(days=4, hours=1)
    h.alerts.evaluate(h.book, [], T0 + timedelta(days=4, hours=2), last_data, last_source)
    assert {a.rule for a in h.book.find(["firing"])} == {"source_silent"}
    # LGSP speaks again: resolved
    last_source["lgsp"] = T0 + timedelta(days=4, hours=3)
    h.alerts.evaluate(h.book, [], T0 + timedelta(days=4, hours=3), last_data, last_source)
    assert h.book.find(["firing"]) == []


def test_most_units_silent_is_one_alert_for_the_feed(mini_rules: RuleSet) -> None:
    """One unit silent while its peers report: an alert for the unit; most silent: one for the feed."""
    text = (
        "{name: quiet, kind: stale, params: {max_age: 3d}, match: {indicators: [A2], levels: [commune]}, "
        "group_by: [subject, period]}"
    )
    h = Harness(one_rule(mini_rules, text))
    now = T0 + timedelta(days=10)
    fresh = now - timedelta(days=1)
    # three communes; C1 and D2.C1 report work records, C2 does not
    last = {("work.records_total", "P.D1.C1"): fresh, ("work.records_total", "P.D2.C1"): fresh}
    h.run(now, last)
    (alert,) = h.book.find(["firing"])
    assert alert.labels["subject"] == "unit:P.D1.C2"
    assert [m["org_unit"] for m in alert.members or []] == ["P.D1.C2"]
    # only one reports: the other two are the feed's silence, one alert about the indicator
    del last[("work.records_total", "P.D2.C1")]
    h.run(now + timedelta(minutes=1), last)
    (alert,) = h.book.find(["firing"])
    assert alert.labels["subject"] == "feed:work.records_online+work.records_total@commune"
    assert sorted(m["org_unit"] for m in alert.members or []) == ["P.D1.C2", "P.D2.C1"]
