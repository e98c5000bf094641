"""Alerts in Alertmanager's shapes, so existing tooling reads them unchanged.

- `webhook_payload`: the JSON body Alertmanager's webhook receiver sends (version 4); our webhook
  receiver posts it, so anything that consumes Alertmanager webhooks consumes ours.
- `api_v2_alerts`: the JSON array for Alertmanager's `POST /api/v2/alerts`. Alertmanager resolves an
  alert by itself once its `endsAt` passes, so a firing alert is sent with `endsAt` = now + `resend_ttl`
  and must be re-sent before that (`for_alertmanager` lists what to send each time, including alerts
  resolved recently, which are re-sent for a while so a restarted Alertmanager still hears of them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.alerts.notify import AlertView, Notification
from shared.alerts.state import AlertBook

ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's "not set" for endsAt of a firing alert


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _common(maps: list[Mapping[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    first = maps[0]
    return {k: v for k, v in sorted(first.items()) if all(m.get(k) == v for m in maps[1:])}


def webhook_alert(a: AlertView) -> dict[str, Any]:
    return {
        "status": a.status,
        "labels": dict(a.labels),
        "annotations": dict(a.annotations),
        "startsAt": rfc3339(a.starts_at) if a.starts_at else ZERO_TIME,
        "endsAt": rfc3339(a.ends_at) if a.status == "resolved" and a.ends_at else ZERO_TIME,
        "generatorURL": a.generator_url,
        "fingerprint": a.fingerprint,
    }


def webhook_payload(n: Notification, max_alerts: int = 0) -> dict[str, Any]:
    """Alertmanager's webhook body for one notification. `receiver` names the department; `groupLabels`
    holds `receiver` and the `group_by` labels. As Alertmanager's `max_alerts`, a positive `max_alerts`
    keeps the first alerts (firing first, most severe first) and counts the rest in `truncatedAlerts`."""
    kept = n.alerts[:max_alerts] if max_alerts > 0 else n.alerts
    return {
        "version": "4",
        "groupKey": n.group_key,
        "truncatedAlerts": len(n.alerts) - len(kept),
        "status": n.status,
        "receiver": n.receiver,
        "groupLabels": dict(n.group_labels),
        "commonLabels": _common([a.labels for a in n.alerts]),
        "commonAnnotations": _common([a.annotations for a in n.alerts]),
        "externalURL": n.external_url,
        "alerts": [webhook_alert(a) for a in kept],
    }


def api_v2_alerts(alerts: Iterable[AlertView], now: datetime, resend_ttl: timedelta) -> list[dict[str, Any]]:
    """The body of `POST /api/v2/alerts`: firing alerts end at now + resend_ttl unless re-sent."""
    out: list[dict[str, Any]] = []
    for a in alerts:
        ends = a.ends_at if a.status == "resolved" and a.ends_at else now + resend_ttl
        item: dict[str, Any] = {
            "labels": dict(a.labels),
            "annotations": dict(a.annotations),
            "endsAt": rfc3339(ends),
            "generatorURL": a.generator_url,
        }
        if a.starts_at is not None:
            item["startsAt"] = rfc3339(a.starts_at)
        out.append(item)
    return out


def for_alertmanager(book: AlertBook, now: datetime, resend_resolved_for: timedelta) -> list[AlertView]:
    """What a sender should (re-)post to Alertmanager now: every firing alert, and alerts resolved within
    `resend_resolved_for`. Our silences and acknowledgements do not apply: Alertmanager has its own."""
    out = []
    for alert in book.alerts.values():
        if alert.state == "firing" or (
            alert.state == "resolved" and alert.ends_at is not None and now - alert.ends_at <= resend_resolved_for
        ):
            out.append(AlertView.of(alert))
    return sorted(out, key=lambda v: v.fingerprint)
