"""Pending → firing → resolved: `for`, `keep_firing_for`, partial rounds, reloads and persistence."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from shared.alerts.engine import AlertEngine
from shared.alerts.state import AlertBook, Matcher
from shared.rules.model import RuleSet
from tests.shared.alerts.helpers import BASE, T0, Harness, feed, hours, one_rule, with_alerts

B2_LOW = "{{name: lgsp_low, kind: below_target, match: {{indicators: [B2]}}{extra}}}"


def lgsp(h: Harness, systems: float, minute: int) -> None:
    """Set the province's connected systems (a gauge: the latest report wins)."""
    feed(h.scoring, "lgsp.systems_connected", "P", systems, when=T0 + timedelta(minutes=minute))


def test_for_counts_consecutive_evaluations(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, B2_LOW.format(extra=", for: 3")))
    states = []
    for i in range(4):
        r = h.run(T0 + hours(i))
        states.append((h.alert("lgsp_low", "B2", "P").state, [(t.from_state, t.to_state) for t in r.transitions]))
    assert states == [
        ("pending", [(None, "pending")]),
        ("pending", []),
        ("firing", [("pending", "firing")]),  # the third true evaluation in a row
        ("firing", []),
    ]
    assert h.alert("lgsp_low", "B2", "P").starts_at == T0 + hours(2)


def test_for_as_a_duration(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, B2_LOW.format(extra=", for: 2h")))
    h.run(T0)
    h.run(T0 + timedelta(minutes=119))
    assert h.alert("lgsp_low", "B2", "P").state == "pending"
    h.run(T0 + hours(2))
    assert h.alert("lgsp_low", "B2", "P").state == "firing"


def test_no_flapping_around_the_threshold(mini_rules: RuleSet) -> None:
    """The gauge alternates 9, 10, 9, 10... around the target of 10."""
    hasty = Harness(one_rule(mini_rules, B2_LOW.format(extra="")))
    steady = Harness(one_rule(mini_rules, B2_LOW.format(extra=", for: 3")))
    notices_hasty = notices_steady = 0
    for i in range(8):
        for h in (hasty, steady):
            lgsp(h, 9 if i % 2 == 0 else 10, minute=i + 1)
        notices_hasty += len(hasty.run(T0 + hours(i)).notifications)
        notices_steady += len(steady.run(T0 + hours(i)).notifications)
    # without `for`, every below round fires and every met round resolves. B2 belongs to KHCN, the DTI
    # department itself, so there is one receiver: 8 notices (4 firing, 4 resolved). With `for: 3`, none.
    assert notices_hasty == 8
    assert notices_steady == 0
    assert steady.alert("lgsp_low", "B2", "P").state == "inactive"
    assert all(t.to_state != "firing" for t in steady.alert("lgsp_low", "B2", "P").history)


def test_keep_firing_for_rides_out_a_good_blip(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, B2_LOW.format(extra=", keep_firing_for: 2")))
    h.run(T0)
    assert h.alert("lgsp_low", "B2", "P").state == "firing"
    lgsp(h, 10, minute=1)
    h.run(T0 + hours(1))  # one met evaluation: still firing
    assert h.alert("lgsp_low", "B2", "P").state == "firing"
    lgsp(h, 8, minute=2)
    h.run(T0 + hours(2))  # below again: the clear streak starts over
    lgsp(h, 10, minute=3)
    h.run(T0 + hours(3))
    assert h.alert("lgsp_low", "B2", "P").state == "firing"
    h.run(T0 + hours(4))  # two met evaluations in a row
    assert h.alert("lgsp_low", "B2", "P").state == "resolved"


def test_a_round_with_some_scores_leaves_the_others_alone(mini_rules: RuleSet) -> None:
    rules = one_rule(mini_rules, "{name: a1_low, kind: below_target, match: {indicators: [A1]}}")
    h = Harness(rules)
    h.run(T0)
    before = h.firing()
    assert ("a1_low", "A1", "P.D1") in before
    # a round fed only the province's score (what the Kafka alerts service receives per message)
    p_only = [us for (fw, u, _y), us in h.scoring.results.items() if u == 0]
    h.alerts.evaluate(h.book, p_only, T0 + hours(1))
    assert h.firing() == before


def test_removing_a_rule_resolves_its_alerts(mini_rules: RuleSet) -> None:
    rules = with_alerts(
        mini_rules,
        "kind: alerts\nrules:\n"
        "  - {name: a1_low, kind: below_target, match: {indicators: [A1]}}\n"
        "  - {name: lgsp_low, kind: below_target, match: {indicators: [B2]}}\n",
    )
    h = Harness(rules)
    h.run(T0)
    assert ("lgsp_low", "B2", "P") in h.firing()
    h.alerts.swap_rules(one_rule(mini_rules, "{name: a1_low, kind: below_target, match: {indicators: [A1]}}"))
    result = h.run(T0 + hours(1))
    assert ("lgsp_low", "B2", "P") not in h.firing()
    gone = h.alert("lgsp_low", "B2", "P")
    assert gone.state == "resolved" and gone.history[-1].note == "rule removed from alerts.yaml"
    # the resolved notice goes out to the department that was told
    assert any(
        v.labels["alertname"] == "lgsp_low" and v.status == "resolved" for n in result.notifications for v in n.alerts
    )


def test_a_resolved_alert_can_fire_again(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, B2_LOW.format(extra="")))
    h.run(T0)
    lgsp(h, 10, minute=1)
    h.run(T0 + hours(1))
    lgsp(h, 3, minute=2)
    h.run(T0 + hours(2))
    alert = h.alert("lgsp_low", "B2", "P")
    assert alert.state == "firing" and alert.starts_at == T0 + hours(2) and alert.ends_at is None
    assert [(t.from_state, t.to_state) for t in alert.history] == [
        (None, "firing"),
        ("firing", "resolved"),
        ("resolved", "firing"),
    ]


def test_state_survives_a_round_trip_through_json(mini_rules: RuleSet) -> None:
    rules = with_alerts(
        mini_rules,
        "kind: alerts\nrules:\n"
        "  - {name: a1_low, kind: below_target, for: 2, match: {indicators: [A1]}}\n"
        "  - {name: a1_drop, kind: sudden_drop, params: {drop: 25%, window: 7d}, match: {indicators: [A1]}}\n",
    )
    straight = Harness(rules)
    restarted = Harness(rules)
    straight.run(T0)
    restarted.run(T0)
    silence_end = T0 + hours(30)
    restarted.book.add_silence([Matcher("org_unit", "=", "P.D1")], T0, silence_end, "admin", "migration")
    straight.book.add_silence([Matcher("org_unit", "=", "P.D1")], T0, silence_end, "admin", "migration")
    saved = json.loads(json.dumps(restarted.book.to_dict()))
    restarted.book = AlertBook.from_dict(saved)
    restarted.alerts = AlertEngine(rules, BASE)  # a new process
    assert restarted.book.to_dict() == straight.book.to_dict()
    for h in (straight, restarted):
        feed(h.scoring, "tthc.records_total", "P", 1, when=T0 + timedelta(days=1), times=6)
    a = straight.run(T0 + timedelta(days=1))
    b = restarted.run(T0 + timedelta(days=1))
    assert a.transitions == b.transitions
    assert [n.to_dict() for n in a.notifications] == [n.to_dict() for n in b.notifications]
    assert straight.book.to_dict() == restarted.book.to_dict()


def test_naive_times_are_refused(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, B2_LOW.format(extra="")))
    with pytest.raises(ValueError, match="time zone"):
        h.alerts.evaluate(h.book, [], T0.replace(tzinfo=None))


def test_without_an_alerts_file_nothing_fires_and_old_alerts_resolve(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, B2_LOW.format(extra="")))
    h.run(T0)
    h.alerts.swap_rules(replace(mini_rules, alerts=None))
    h.run(T0 + hours(1))
    assert h.firing() == set()
