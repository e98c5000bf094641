"""Alert state: every alert's lifecycle, acknowledgements, silences, notification groups and the readings
that sudden-drop rules compare against — all in one AlertBook that converts to and from a plain dict, so
the services can persist it (SQLite in embedded mode, a compacted topic or table in Kafka mode).

The book is mutated by `AlertEngine.evaluate` and by the admin actions below; it never reads the clock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.errors import Conflict, Invalid, NotFound

AlertState = Literal["pending", "firing", "resolved", "inactive"]
MatchOp = Literal["=", "!=", "=~", "!~"]
_STATES: tuple[AlertState, ...] = ("pending", "firing", "resolved", "inactive")
_OPS: tuple[MatchOp, ...] = ("=~", "!~", "!=", "=")  # longest first, for parsing
HISTORY_LIMIT = 50  # transitions kept per alert; the services keep the full log
FORMAT = 1


def _dt(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_dt(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _req_dt(value: Any) -> datetime:
    out = _parse_dt(value)
    if out is None:
        raise ValueError("missing time in alert state")
    return out


def _state(value: Any) -> AlertState:
    if value not in _STATES:
        raise ValueError(f"unknown alert state {value!r}")
    return value  # type: ignore[no-any-return]


def _optional_state(value: Any) -> AlertState | None:
    return None if value is None else _state(value)


def require_aware(now: datetime) -> None:
    """Alert times are compared across services and stored: a naive datetime is a bug, not a guess."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("times given to the alerts core must carry a time zone")


# ---------------------------------------------------------------- transitions
@dataclass(frozen=True, slots=True)
class Transition:
    """One state change of one alert; returned by every round for the services' history log."""

    fingerprint: str
    at: datetime
    from_state: AlertState | None  # None: the alert was not known before
    to_state: AlertState
    labels: dict[str, str]
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "at": _dt(self.at),
            "from": self.from_state,
            "to": self.to_state,
            "labels": dict(self.labels),
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Transition:
        return cls(
            str(d["fingerprint"]),
            _req_dt(d["at"]),
            _optional_state(d.get("from")),
            _state(d["to"]),
            {str(k): str(v) for k, v in dict(d.get("labels", {})).items()},
            str(d.get("note", "")),
        )


# ---------------------------------------------------------------- acknowledgements
@dataclass(frozen=True, slots=True)
class Ack:
    """An admin's "we know": stops re-notification of one firing alert until `until` or until it resolves."""

    by: str
    at: datetime
    until: datetime
    comment: str = ""

    def active(self, now: datetime) -> bool:
        return self.at <= now < self.until

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by, "at": _dt(self.at), "until": _dt(self.until), "comment": self.comment}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Ack:
        return cls(str(d["by"]), _req_dt(d["at"]), _req_dt(d["until"]), str(d.get("comment", "")))


# ---------------------------------------------------------------- alerts
@dataclass(slots=True)
class Alert:
    fingerprint: str  # stable hash of the identifying labels (rule, framework, indicator, org_unit, period)
    rule: str
    scope: str  # which evaluations decide it (framework|unit|period, or "stale")
    labels: dict[str, str]
    annotations: dict[str, str]
    receivers: tuple[str, ...]
    state: AlertState
    updated_at: datetime
    active_since: datetime | None = None  # start of the current streak of true evaluations
    true_count: int = 0
    clear_since: datetime | None = None  # start of the current streak of clear evaluations while firing
    clear_count: int = 0
    starts_at: datetime | None = None  # when it started firing
    ends_at: datetime | None = None  # when it resolved
    ack: Ack | None = None
    history: list[Transition] = field(default_factory=list)
    members: list[dict[str, str]] | None = None  # a grouped rule's alert: what it lists, worst first
    inhibited_by: list[str] = field(default_factory=list)  # firing alerts that explain it (a silent source)

    def record(self, t: Transition) -> None:
        self.history.append(t)
        del self.history[:-HISTORY_LIMIT]

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "scope": self.scope,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "receivers": list(self.receivers),
            "state": self.state,
            "updated_at": _dt(self.updated_at),
            "active_since": _dt(self.active_since),
            "true_count": self.true_count,
            "clear_since": _dt(self.clear_since),
            "clear_count": self.clear_count,
            "starts_at": _dt(self.starts_at),
            "ends_at": _dt(self.ends_at),
            "ack": None if self.ack is None else self.ack.to_dict(),
            "history": [t.to_dict() for t in self.history],
            "members": None if self.members is None else [dict(m) for m in self.members],
            "inhibited_by": list(self.inhibited_by),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Alert:
        ack = d.get("ack")
        return cls(
            fingerprint=str(d["fingerprint"]),
            rule=str(d["rule"]),
            scope=str(d["scope"]),
            labels={str(k): str(v) for k, v in dict(d["labels"]).items()},
            annotations={str(k): str(v) for k, v in dict(d["annotations"]).items()},
            receivers=tuple(str(r) for r in d["receivers"]),
            state=_state(d["state"]),
            updated_at=_req_dt(d["updated_at"]),
            active_since=_parse_dt(d.get("active_since")),
            true_count=int(d.get("true_count", 0)),
            clear_since=_parse_dt(d.get("clear_since")),
            clear_count=int(d.get("clear_count", 0)),
            starts_at=_parse_dt(d.get("starts_at")),
            ends_at=_parse_dt(d.get("ends_at")),
            ack=None if ack is None else Ack.from_dict(ack),
            history=[Transition.from_dict(t) for t in d.get("history", [])],
            members=None
            if d.get("members") is None
            else [{str(k): str(v) for k, v in dict(m).items()} for m in d["members"]],
            inhibited_by=[str(f) for f in d.get("inhibited_by", [])],
        )


# ---------------------------------------------------------------- silences
@dataclass(frozen=True, slots=True)
class Matcher:
    """A label matcher as in Alertmanager: `=`, `!=`, `=~` and `!~` (regular expressions match whole values)."""

    name: str
    op: MatchOp
    value: str

    def __post_init__(self) -> None:
        if self.op in ("=~", "!~"):
            try:
                re.compile(self.value)
            except re.error as exc:
                raise Invalid(
                    f"matcher {self.name}{self.op}{self.value!r}: bad regular expression: {exc}",
                    f"bộ lọc {self.name}{self.op}{self.value!r}: biểu thức chính quy sai: {exc}",
                ) from exc

    def matches(self, labels: Mapping[str, str]) -> bool:
        got = labels.get(self.name, "")
        match self.op:
            case "=":
                return got == self.value
            case "!=":
                return got != self.value
            case "=~":
                return re.fullmatch(self.value, got) is not None
            case _:
                return re.fullmatch(self.value, got) is None

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value}"

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """`department=VP_UBND`, `severity=~warning|info`, `org_unit!=LC`."""
        for op in _OPS:
            name, sep, value = text.partition(op)
            if sep and name.strip():
                return cls(name.strip(), op, value.strip().strip('"'))
        raise Invalid(
            f"not a matcher: {text!r} (write name=value, name!=value, name=~regex or name!~regex)",
            f"không phải bộ lọc: {text!r} (viết tên=giá_trị, tên!=giá_trị, tên=~biểu_thức hoặc tên!~biểu_thức)",
        )


@dataclass(frozen=True, slots=True)
class Silence:
    """Mutes every notification (firing, repeat and resolved) of the alerts it matches while active.

    Unlike an acknowledgement it is not tied to one alert: it also mutes alerts that start firing later
    (e.g. "the LGSP migration until 30 June: no stale-data alerts for its metrics").
    """

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def mutes(self, labels: Mapping[str, str], now: datetime) -> bool:
        return self.active(now) and all(m.matches(labels) for m in self.matchers)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "matchers": [{"name": m.name, "op": m.op, "value": m.value} for m in self.matchers],
            "starts_at": _dt(self.starts_at),
            "ends_at": _dt(self.ends_at),
            "created_by": self.created_by,
            "comment": self.comment,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Silence:
        matchers = []
        for m in d["matchers"]:
            op = str(m["op"])
            if op not in _OPS:
                raise ValueError(f"unknown matcher operator {op!r}")
            matchers.append(Matcher(str(m["name"]), op, str(m["value"])))
        return cls(
            str(d["id"]),
            tuple(matchers),
            _req_dt(d["starts_at"]),
            _req_dt(d["ends_at"]),
            str(d["created_by"]),
            str(d["comment"]),
        )


# ---------------------------------------------------------------- notification groups
@dataclass(slots=True)
class GroupState:
    """Per receiver group: when it was last notified and which firing alerts it has been told about."""

    last_sent: datetime | None = None
    notified: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {"last_sent": _dt(self.last_sent), "notified": sorted(self.notified)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GroupState:
        return cls(_parse_dt(d.get("last_sent")), {str(f) for f in d.get("notified", [])})


# ---------------------------------------------------------------- readings for sudden drops
@dataclass(slots=True)
class Series:
    samples: list[tuple[float, float]] = field(default_factory=list)  # (unix time, value), on change only
    seen: float = 0.0  # last round that read this series


@dataclass(slots=True)
class SeriesHistory:
    """Past readings of the series a sudden-drop rule watches, kept only as long as its window needs."""

    series: dict[str, Series] = field(default_factory=dict)

    def best_since(self, key: str, since: float, higher: bool) -> float | None:
        """Best reading from `since` on, counting the one in force at `since` (recorded before it)."""
        s = self.series.get(key)
        if s is None or not s.samples:
            return None
        in_force = [v for t, v in s.samples if t <= since][-1:]
        values = in_force + [v for t, v in s.samples if t > since]
        if not values:
            return None
        return max(values) if higher else min(values)

    def record(self, key: str, at: float, value: float) -> None:
        s = self.series.setdefault(key, Series())
        if not s.samples or s.samples[-1][1] != value:
            s.samples.append((at, value))
        s.seen = at

    def trim(self, now: float, horizon: float) -> None:
        """Forget readings older than the longest window (keeping the one in force at its start), and
        series no round has read for that long (a past period, a removed indicator)."""
        cutoff = now - horizon
        for key in [k for k, s in self.series.items() if s.seen < cutoff]:
            del self.series[key]
        for s in self.series.values():
            older = [i for i, (t, _) in enumerate(s.samples) if t <= cutoff]
            if len(older) > 1:
                del s.samples[: older[-1]]

    def to_dict(self) -> dict[str, Any]:
        return {k: {"samples": [list(p) for p in s.samples], "seen": s.seen} for k, s in self.series.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SeriesHistory:
        return cls(
            {
                str(k): Series([(float(t), float(v)) for t, v in s["samples"]], float(s.get("seen", 0.0)))
                for k, s in d.items()
            }
        )


# ---------------------------------------------------------------- the book
@dataclass(slots=True)
class AlertBook:
    alerts: dict[str, Alert] = field(default_factory=dict)
    silences: dict[str, Silence] = field(default_factory=dict)
    groups: dict[str, GroupState] = field(default_factory=dict)
    series: SeriesHistory = field(default_factory=SeriesHistory)

    # -------------------------------------------------------------- reads
    def find(self, states: Iterable[AlertState] | None = None) -> list[Alert]:
        """Alerts in the given states (all by default), most recently changed first."""
        wanted = set(states) if states is not None else set(_STATES)
        found = [a for a in self.alerts.values() if a.state in wanted]
        return sorted(found, key=lambda a: (a.updated_at, a.fingerprint), reverse=True)

    def silenced_by(self, alert: Alert, now: datetime) -> Silence | None:
        return next((s for s in self.silences.values() if s.mutes(alert.labels, now)), None)

    def acknowledged(self, alert: Alert, now: datetime) -> bool:
        return alert.ack is not None and alert.ack.active(now)

    # -------------------------------------------------------------- admin actions
    def acknowledge(self, fingerprint: str, by: str, until: datetime, now: datetime, comment: str = "") -> Alert:
        """Stop re-notifying a pending or firing alert until `until`; it clears when the alert resolves."""
        require_aware(now)
        require_aware(until)
        alert = self.alerts.get(fingerprint)
        if alert is None:
            raise NotFound(f"no alert '{fingerprint}'", f"không có cảnh báo '{fingerprint}'")
        if alert.state not in ("pending", "firing"):
            raise Conflict(
                f"alert {fingerprint} is {alert.state}; only pending or firing alerts can be acknowledged",
                f"cảnh báo {fingerprint} đang ở trạng thái {alert.state}; chỉ xác nhận được cảnh báo đang chờ"
                " hoặc đang báo",
            )
        if until <= now:
            raise Conflict("an acknowledgement must end in the future", "thời hạn xác nhận phải ở tương lai")
        if not by.strip():
            raise Conflict("an acknowledgement needs the name of who made it", "xác nhận cần tên người xác nhận")
        alert.ack = Ack(by.strip(), now, until, comment)
        return alert

    def unacknowledge(self, fingerprint: str) -> Alert:
        alert = self.alerts.get(fingerprint)
        if alert is None:
            raise NotFound(f"no alert '{fingerprint}'", f"không có cảnh báo '{fingerprint}'")
        alert.ack = None
        return alert

    def add_silence(
        self,
        matchers: Iterable[Matcher],
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        comment: str,
    ) -> Silence:
        """Like Alertmanager's silences: matchers, a time window, who and why (both required)."""
        require_aware(starts_at)
        require_aware(ends_at)
        ms = tuple(matchers)
        if not ms:
            raise Invalid("a silence needs at least one matcher", "lệnh tắt cần ít nhất một bộ lọc")
        if all(m.matches({}) for m in ms):
            raise Invalid(
                "a silence must not match every alert (each matcher matches an empty label)",
                "lệnh tắt không được khớp mọi cảnh báo (mỗi bộ lọc đều khớp nhãn rỗng)",
            )
        if ends_at <= starts_at:
            raise Invalid("a silence must end after it starts", "lệnh tắt phải kết thúc sau khi bắt đầu")
        if not created_by.strip() or not comment.strip():
            raise Invalid("a silence needs its author and a comment", "lệnh tắt cần tên người tạo và lý do")
        seed = "\0".join([*map(str, ms), _dt(starts_at) or "", _dt(ends_at) or "", created_by, comment])
        sid = hashlib.sha256(f"{seed}\0{len(self.silences)}".encode()).hexdigest()[:16]
        silence = Silence(sid, ms, starts_at, ends_at, created_by.strip(), comment.strip())
        self.silences[sid] = silence
        return silence

    def expire_silence(self, silence_id: str, now: datetime) -> Silence:
        """End a silence now (it stays listed, as in Alertmanager, until pruned)."""
        require_aware(now)
        s = self.silences.get(silence_id)
        if s is None:
            raise NotFound(f"no silence '{silence_id}'", f"không có lệnh tắt '{silence_id}'")
        if s.ends_at > now:
            s = Silence(s.id, s.matchers, min(s.starts_at, now), now, s.created_by, s.comment)
            self.silences[silence_id] = s
        return s

    def prune(self, now: datetime, keep: timedelta) -> None:
        """Forget alerts resolved (or back to inactive) and silences expired more than `keep` ago."""
        cutoff = now - keep
        for fp in [
            fp for fp, a in self.alerts.items() if a.state in ("resolved", "inactive") and a.updated_at < cutoff
        ]:
            del self.alerts[fp]
        for sid in [sid for sid, s in self.silences.items() if s.ends_at < cutoff]:
            del self.silences[sid]

    # -------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "alerts": [a.to_dict() for a in self.alerts.values()],
            "silences": [s.to_dict() for s in self.silences.values()],
            "groups": {k: g.to_dict() for k, g in self.groups.items()},
            "series": self.series.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AlertBook:
        if d.get("format") != FORMAT:
            raise ValueError(f"unknown alert state format {d.get('format')!r} (expected {FORMAT})")
        alerts = [Alert.from_dict(a) for a in d.get("alerts", [])]
        silences = [Silence.from_dict(s) for s in d.get("silences", [])]
        return cls(
            {a.fingerprint: a for a in alerts},
            {s.id: s for s in silences},
            {str(k): GroupState.from_dict(g) for k, g in dict(d.get("groups", {})).items()},
            SeriesHistory.from_dict(dict(d.get("series", {}))),
        )
