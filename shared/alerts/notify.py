"""Grouping and routing: one Notification per receiver (and `group_by` labels) per round, never one per
indicator — a bad day must not send 300 e-mails.

An alert goes to its rule's receiver (by default the indicator's owner department) and, unless the
settings say otherwise, to the department in charge of the DTI as well. A group is notified when it has
an alert it was not told about yet, an alert that resolved after it was told, or — once `repeat_interval`
has passed since its last notification — anything still firing. A notification lists every firing alert
of the group, so each one reads as the group's current picture, as Alertmanager's do.

Silences mute an alert entirely (firing, reminders and its resolved notice). An acknowledgement mutes the
firing alert's reminders only; its resolved notice is still sent, since the department wants to know.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from shared.alerts.messages import notification_text
from shared.alerts.state import Alert, AlertBook, GroupState
from shared.rules.alert_model import AlertSettings

Status = Literal["firing", "resolved"]
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def _dt(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert as a notification shows it (a frozen copy: the book keeps changing)."""

    fingerprint: str
    status: Status
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    generator_url: str

    @classmethod
    def of(cls, alert: Alert) -> AlertView:
        return cls(
            alert.fingerprint,
            "firing" if alert.state == "firing" else "resolved",
            dict(alert.labels),
            dict(alert.annotations),
            alert.starts_at,
            alert.ends_at if alert.state == "resolved" else None,
            alert.annotations.get("link", ""),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "status": self.status,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "starts_at": _dt(self.starts_at),
            "ends_at": _dt(self.ends_at),
            "generator_url": self.generator_url,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AlertView:
        status = d["status"]
        if status not in ("firing", "resolved"):
            raise ValueError(f"unknown alert status {status!r}")
        return cls(
            str(d["fingerprint"]),
            status,
            {str(k): str(v) for k, v in dict(d["labels"]).items()},
            {str(k): str(v) for k, v in dict(d["annotations"]).items()},
            None if d.get("starts_at") is None else datetime.fromisoformat(str(d["starts_at"])),
            None if d.get("ends_at") is None else datetime.fromisoformat(str(d["ends_at"])),
            str(d.get("generator_url", "")),
        )


@dataclass(frozen=True, slots=True)
class Notification:
    """What one receiver is sent after one round: its group's firing alerts and those just resolved."""

    id: str  # stable: the same group, round and alerts give the same id (an outbox deduplicates on it)
    receiver: str  # a department code
    receiver_name: str
    receiver_name_en: str
    group_key: str
    group_labels: dict[str, str]
    alerts: tuple[AlertView, ...]
    created_at: datetime
    rules_version: str
    external_url: str = ""

    @property
    def status(self) -> Status:
        return "firing" if any(a.status == "firing" for a in self.alerts) else "resolved"

    @property
    def firing(self) -> tuple[AlertView, ...]:
        return tuple(a for a in self.alerts if a.status == "firing")

    @property
    def resolved(self) -> tuple[AlertView, ...]:
        return tuple(a for a in self.alerts if a.status == "resolved")

    def text(self) -> tuple[str, str]:
        """Subject and body for e-mail, Vietnamese first."""
        return notification_text(
            self.receiver_name,
            self.receiver_name_en,
            [_line(a) for a in self.firing],
            [_line(a) for a in self.resolved],
            f"{self.external_url}/#alerts" if self.external_url else "",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "receiver": self.receiver,
            "receiver_name": self.receiver_name,
            "receiver_name_en": self.receiver_name_en,
            "group_key": self.group_key,
            "group_labels": dict(self.group_labels),
            "alerts": [a.to_dict() for a in self.alerts],
            "created_at": _dt(self.created_at),
            "rules_version": self.rules_version,
            "external_url": self.external_url,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Notification:
        return cls(
            str(d["id"]),
            str(d["receiver"]),
            str(d["receiver_name"]),
            str(d["receiver_name_en"]),
            str(d["group_key"]),
            {str(k): str(v) for k, v in dict(d["group_labels"]).items()},
            tuple(AlertView.from_dict(a) for a in d["alerts"]),
            datetime.fromisoformat(str(d["created_at"])),
            str(d["rules_version"]),
            str(d.get("external_url", "")),
        )


def _line(a: AlertView) -> str:
    """One alert in a digest: its one-line summary and where to read the rest."""
    summary = a.annotations.get("summary") or a.annotations.get("description", "").split("\n", 1)[0]
    link = a.annotations.get("link", "")
    return f"{summary} — {link}" if link else summary


def group_labels(receiver: str, alert: Alert, settings: AlertSettings) -> dict[str, str]:
    return {"receiver": receiver, **{k: alert.labels.get(k, "") for k in settings.group_by}}


def group_key(labels: Mapping[str, str]) -> str:
    """In Alertmanager's spelling: `{}:{receiver="VP_UBND"}`."""
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{{}}:{{{inner}}}"


@dataclass(slots=True)
class _Bucket:
    labels: dict[str, str]
    firing: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)


def _order(a: Alert) -> tuple[int, str, str, str]:
    return (
        _SEVERITY_ORDER.get(a.labels.get("severity", ""), 9),
        a.labels.get("indicator", ""),
        a.labels.get("org_unit", ""),
        a.fingerprint,
    )


def notifications(
    book: AlertBook,
    settings: AlertSettings,
    resolved_now: set[str],
    now: datetime,
    names: Mapping[str, tuple[str, str]],
    rules_version: str,
    external_url: str,
) -> list[Notification]:
    """Decide, per group, whether to notify this round; updates the groups' state in the book.

    `names` gives each receiver's Vietnamese and English name (the catalogue's departments).
    """
    buckets: dict[str, _Bucket] = {}
    for alert in book.alerts.values():
        resolved = alert.fingerprint in resolved_now and alert.state == "resolved"
        if alert.state != "firing" and not resolved:
            continue
        # silenced, or explained by a firing alert that is notified itself (a silent source): not told
        muted = book.silenced_by(alert, now) is not None or bool(alert.inhibited_by)
        for receiver in alert.receivers:
            labels = group_labels(receiver, alert, settings)
            key = group_key(labels)
            bucket = buckets.setdefault(key, _Bucket(labels))
            group = book.groups.setdefault(key, GroupState())
            if resolved:
                if alert.fingerprint in group.notified and not muted:
                    bucket.resolved.append(alert)
                group.notified.discard(alert.fingerprint)
            elif not muted and not book.acknowledged(alert, now):
                bucket.firing.append(alert)

    out: list[Notification] = []
    firing = {a.fingerprint for a in book.alerts.values() if a.state == "firing"}
    for key, bucket in sorted(buckets.items()):
        group = book.groups[key]
        group.notified &= firing  # forget alerts that stopped firing without a notice (silenced, pruned)
        new = any(a.fingerprint not in group.notified for a in bucket.firing)
        due = bool(bucket.firing) and (group.last_sent is None or now - group.last_sent >= settings.repeat_interval)
        if not (new or bucket.resolved or due):
            continue
        views = tuple(AlertView.of(a) for a in sorted(bucket.firing, key=_order)) + tuple(
            AlertView.of(a) for a in sorted(bucket.resolved, key=_order)
        )
        receiver = bucket.labels["receiver"]
        vi, en = names.get(receiver, (receiver, receiver))
        seed = "\0".join([key, now.isoformat(), *(f"{v.fingerprint}:{v.status}" for v in views)])
        out.append(
            Notification(
                id=hashlib.sha256(seed.encode("utf-8")).hexdigest()[:20],
                receiver=receiver,
                receiver_name=vi,
                receiver_name_en=en,
                group_key=key,
                group_labels=dict(bucket.labels),
                alerts=views,
                created_at=now,
                rules_version=rules_version,
                external_url=external_url,
            )
        )
        group.notified |= {a.fingerprint for a in bucket.firing}
        group.last_sent = now
    for key in [k for k, g in book.groups.items() if k not in buckets and not g.notified]:
        del book.groups[key]  # nothing firing, nothing told: the group starts afresh next time
    return out
