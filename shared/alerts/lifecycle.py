"""The state machine of one alert: inactive → pending → firing → resolved, as Prometheus does it.

- A true evaluation starts (or continues) a streak; the alert fires once the rule's `for:` is met.
- A clear evaluation turns a pending alert back to inactive, and resolves a firing one once the rule's
  `keep_firing_for:` is met (by default at once).
- Alerts outside what this round evaluated keep their state: a round fed only the scores that changed
  must not resolve everything else. Alerts whose rule, framework or unit left the rules resolve.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from shared.alerts.state import Alert, AlertBook, AlertState, Transition
from shared.rules.alert_model import AlertRule, AlertRules, Hold


class Subjected(Protocol):
    """What the lifecycle needs of a candidate: one subject, one group of subjects, or a source."""

    @property
    def rule(self) -> AlertRule: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def labels(self) -> dict[str, str]: ...
    @property
    def receivers(self) -> tuple[str, ...]: ...
    @property
    def members(self) -> Sequence[dict[str, str]] | None: ...


# renders the annotations of a candidate as firing (False) or resolved (True)
Annotate = Callable[[Subjected, bool], dict[str, str]]
Candidate = Subjected


@dataclass(slots=True)
class Changes:
    transitions: list[Transition] = field(default_factory=list)
    resolved: set[str] = field(default_factory=set)  # fingerprints resolved this round


def _move(alert: Alert, to: AlertState, now: datetime, changes: Changes, note: str, new: bool = False) -> None:
    """Change state and record it; `new`: the alert was not known before (the transition is from nothing)."""
    t = Transition(alert.fingerprint, now, None if new else alert.state, to, dict(alert.labels), note)
    alert.state = to
    alert.updated_at = now
    alert.record(t)
    changes.transitions.append(t)
    if to == "resolved":
        alert.ends_at = now
        alert.ack = None  # an acknowledgement is for one incident; a new one must be heard
        changes.resolved.add(alert.fingerprint)


def _true(book: AlertBook, c: Candidate, now: datetime, changes: Changes, annotate: Annotate) -> None:
    alert = book.alerts.get(c.fingerprint)
    if alert is None:
        alert = Alert(c.fingerprint, c.rule.name, c.scope, dict(c.labels), {}, c.receivers, "inactive", now)
        book.alerts[c.fingerprint] = alert
    new = not alert.history
    alert.labels, alert.receivers, alert.scope = dict(c.labels), c.receivers, c.scope
    alert.members = None if c.members is None else list(c.members)
    alert.annotations = {**c.rule.annotations, **annotate(c, False)}
    alert.clear_count, alert.clear_since = 0, None
    if alert.state in ("inactive", "resolved"):
        alert.active_since, alert.true_count = now, 1
        alert.starts_at, alert.ends_at = None, None
        fires = c.rule.hold.met(1, now, now)  # `for: 1` (the default) fires at once
        alert.starts_at = now if fires else None
        _move(alert, "firing" if fires else "pending", now, changes, "condition met", new)
        return
    if alert.state == "pending":
        alert.true_count += 1
        if c.rule.hold.met(alert.true_count, alert.active_since, now):
            alert.starts_at = now
            _move(alert, "firing", now, changes, f"held for {alert.true_count} evaluation(s)")
        else:
            alert.updated_at = now
        return
    alert.true_count += 1  # firing and still true


def _clear(alert: Alert, keep: Hold, now: datetime, changes: Changes, note: str, force: bool = False) -> bool:
    """One clear evaluation; True when it resolved the alert."""
    alert.true_count, alert.active_since = 0, None
    if alert.state == "pending":
        _move(alert, "inactive", now, changes, note)
        return False
    if alert.state != "firing":
        return False
    alert.clear_count += 1
    alert.clear_since = alert.clear_since or now
    if force or keep.met(alert.clear_count, alert.clear_since, now):
        _move(alert, "resolved", now, changes, note)
        return True
    return False


def advance(
    book: AlertBook,
    candidates: Iterable[Candidate],
    matched: frozenset[str],
    scopes: set[str],
    config: AlertRules | None,
    known: Callable[[Alert], bool],
    now: datetime,
    annotate: Annotate,
) -> Changes:
    """Apply one round's results to the book. `known` says whether an alert's framework and unit still exist."""
    changes = Changes()
    seen: set[str] = set()
    for c in candidates:
        seen.add(c.fingerprint)
        if c.fingerprint in matched:
            _true(book, c, now, changes, annotate)
            continue
        alert = book.alerts.get(c.fingerprint)
        if alert is None or alert.state not in ("pending", "firing"):
            continue
        if _clear(alert, c.rule.keep, now, changes, "condition cleared"):
            alert.annotations = {**c.rule.annotations, **annotate(c, True)}
    for alert in list(book.alerts.values()):
        if alert.fingerprint in seen or alert.state not in ("pending", "firing"):
            continue
        rule = config.rule(alert.rule) if config is not None else None
        if rule is None:
            _clear(alert, Hold(), now, changes, "rule removed from alerts.yaml", force=True)
        elif not known(alert):
            _clear(alert, Hold(), now, changes, "framework, indicator or unit no longer in the rules", force=True)
        elif alert.scope in scopes:
            # evaluated this round but no longer a candidate (no data any more, outside the selector)
            _clear(alert, rule.keep, now, changes, "no longer applies")
    return changes
