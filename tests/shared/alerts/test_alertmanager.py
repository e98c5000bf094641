"""The shapes Alertmanager tooling expects: the webhook body (version 4) and POST /api/v2/alerts."""

from __future__ import annotations

import json
from datetime import timedelta

from shared.alerts.alertmanager import api_v2_alerts, for_alertmanager, webhook_payload
from shared.alerts.notify import Notification
from shared.rules.model import RuleSet
from tests.shared.alerts.helpers import T0, Harness, feed, hours, one_rule

RULE = (
    "{name: work_online_low, kind: below_target, severity: critical, labels: {team: egov}, match: {indicators: [A2]}}"
)


def test_webhook_payload_shape(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, RULE))
    vp = next(n for n in h.run(T0).notifications if n.receiver == "VP")
    body = json.loads(json.dumps(webhook_payload(vp)))  # plain JSON all the way down
    assert set(body) == {
        "version",
        "groupKey",
        "truncatedAlerts",
        "status",
        "receiver",
        "groupLabels",
        "commonLabels",
        "commonAnnotations",
        "externalURL",
        "alerts",
    }
    assert body["version"] == "4" and body["status"] == "firing" and body["receiver"] == "VP"
    assert body["groupKey"] == '{}:{receiver="VP"}' and body["groupLabels"] == {"receiver": "VP"}
    assert body["externalURL"] == "http://dti.test"
    # both alerts (A2 at D1 and at P) share everything but the unit and its level
    assert body["commonLabels"] == {
        "alertname": "work_online_low",
        "department": "VP",
        "framework": "mini",
        "indicator": "A2",
        "kind": "below_target",
        "measure": "work.records_online+work.records_total",
        "period": "2025",
        "severity": "critical",
        "team": "egov",
    }
    assert body["commonAnnotations"]["owner"] == "VP" and "summary" not in body["commonAnnotations"]
    first = body["alerts"][0]
    assert set(first) == {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}
    # T0 is 09:30 in Lai Châu (UTC+7): 02:30 UTC
    assert first["status"] == "firing" and first["startsAt"] == "2025-03-14T02:30:00Z"
    assert first["endsAt"] == "0001-01-01T00:00:00Z"
    assert first["generatorURL"].startswith("http://dti.test/?unit=")
    assert len(first["fingerprint"]) == 16 and first["labels"]["alertname"] == "work_online_low"
    short = webhook_payload(vp, max_alerts=1)
    assert (len(short["alerts"]), short["truncatedAlerts"]) == (1, 1)


def test_resolved_webhook_and_round_trip_of_a_notification(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, RULE))
    h.run(T0)
    feed(h.scoring, "work.records_online", "P.D1.C1", 1)  # 8/10 meets the district's 80%
    vp = next(n for n in h.run(T0 + hours(2)).notifications if n.receiver == "VP")
    assert Notification.from_dict(json.loads(json.dumps(vp.to_dict()))) == vp
    body = webhook_payload(vp)
    assert body["status"] == "firing"  # P still fires
    resolved = [a for a in body["alerts"] if a["status"] == "resolved"]
    assert [a["labels"]["org_unit"] for a in resolved] == ["P.D1"]
    assert resolved[0]["endsAt"] == "2025-03-14T04:30:00Z"
    assert "[ĐÃ KHẮC PHỤC]" in resolved[0]["annotations"]["description"]
    assert "đã trở lại bình thường, hiện đạt 80%" in resolved[0]["annotations"]["description"]


def test_api_v2_alerts_for_a_direct_post(mini_rules: RuleSet) -> None:
    h = Harness(one_rule(mini_rules, RULE))
    h.run(T0)
    feed(h.scoring, "work.records_online", "P.D1.C1", 1)
    h.run(T0 + hours(2))
    now = T0 + hours(3)
    views = for_alertmanager(h.book, now, resend_resolved_for=timedelta(minutes=90))
    # the resolved D1 alert (resolved 1 hour ago) is still re-sent; P fires
    assert sorted((v.labels["org_unit"], v.status) for v in views) == [("P", "firing"), ("P.D1", "resolved")]
    body = {a["labels"]["org_unit"]: a for a in api_v2_alerts(views, now, resend_ttl=timedelta(minutes=15))}
    assert set(body["P"]) == {"labels", "annotations", "startsAt", "endsAt", "generatorURL"}
    assert body["P"]["labels"]["alertname"] == "work_online_low"
    assert body["P"]["endsAt"] == "2025-03-14T05:45:00Z"  # now (05:30 UTC) + 15 minutes: re-send before then
    assert body["P.D1"]["endsAt"] == "2025-03-14T04:30:00Z"  # when it resolved
    assert for_alertmanager(h.book, T0 + hours(4), timedelta(minutes=90))[0].labels["org_unit"] == "P"
    assert len(for_alertmanager(h.book, T0 + hours(4), timedelta(minutes=90))) == 1
