"""A rule's `group_by`: one alert per distinct value of its grouping labels, listing its members.

Alertmanager groups notifications; a department also needs the *alert* itself to be one per problem: an
indicator below target in 27 communes is one alert naming the 27, worst first, and the same condition on
both frameworks' indicators that read the same metrics (`group_by: [measure, ...]`) is one alert naming
both. Members are evaluated one by one as before (one fact each, through the same ConditionEvaluator);
here the matched ones are folded into their group's alert.

A round may evaluate only some scopes (the scores that changed): a group keeps the members it had in the
scopes this round did not evaluate, and takes this round's verdict for the others. The group holds while
it has a member; `for:` and `keep_firing_for:` apply to the group as a whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shared.alerts.facts import Candidate
from shared.alerts.messages import member_line
from shared.alerts.state import AlertBook
from shared.rules.alert_model import AlertRule, AlertRules

GROUP_SCOPE = "group"
# labels shown joined when the group's members differ in them and are few; "*" beyond (see `_joined`)
_SHOWN = ("framework", "indicator", "org_unit", "level", "period", "department")
_MAX_JOINED = 3


def group_fingerprint(rule: str, key: Mapping[str, str]) -> str:
    ident = "\0".join([f"alertname={rule}", *(f"{k}={v}" for k, v in key.items())])
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:16]


@dataclass(slots=True)
class GroupCandidate:
    """One group of a grouped rule this round: its members (worst first) and how it is labelled."""

    rule: AlertRule
    fingerprint: str
    key: dict[str, str]
    members: tuple[dict[str, str], ...]
    receivers: tuple[str, ...]
    scope: str = GROUP_SCOPE

    @property
    def labels(self) -> dict[str, str]:
        out = {
            **self.rule.labels,
            "alertname": self.rule.name,
            "kind": self.rule.kind,
            "severity": self.rule.severity,
        }
        for name in _SHOWN:
            out[name] = self.key.get(name) or _joined(m.get(name, "") for m in self.members)
        out.update(self.key)
        return out


def _joined(values: Iterable[str]) -> str:
    distinct = sorted({v for v in values if v})
    return ",".join(distinct) if len(distinct) <= _MAX_JOINED else "*"


@dataclass(slots=True)
class _Acc:
    rule: AlertRule
    key: dict[str, str]
    members: dict[str, dict[str, str]] = field(default_factory=dict)
    receivers: dict[str, None] = field(default_factory=dict)


def _member(c: Candidate) -> dict[str, str]:
    r = c.reading
    vi, en, rank = member_line(r, c.fields)
    dep = c.labels["department"]
    return {
        "fp": c.fingerprint,
        "scope": c.scope,
        "framework": r.framework,
        "indicator": r.indicator,
        "name": r.name,
        "name_en": r.name_en,
        "org_unit": r.org_unit,
        "org_unit_name": r.org_unit_name,
        "level": r.level,
        "period": r.period,
        "department": dep,
        "metrics": ",".join(c.subject.metrics),
        "receivers": ",".join(c.receivers),
        "link": r.link,
        "rank": repr(rank),
        "vi": vi,
        "en": en,
    }


def fold(
    book: AlertBook, candidates: Iterable[Candidate], matched: frozenset[str], scopes: set[str], config: AlertRules
) -> tuple[list[Candidate], list[GroupCandidate]]:
    """Split this round's candidates into those of ungrouped rules (returned as they are) and the groups
    of grouped rules (with the members kept from scopes this round did not evaluate)."""
    plain: list[Candidate] = []
    groups: dict[str, _Acc] = {}
    for c in candidates:
        by = c.rule.group_by
        if by is None:
            plain.append(c)
            continue
        labels = c.labels
        key = {k: labels.get(k, "") for k in by}
        acc = groups.get(gfp := group_fingerprint(c.rule.name, key))
        if acc is None:
            acc = groups[gfp] = _Acc(c.rule, key)
        if c.fingerprint in matched:
            acc.members[c.fingerprint] = _member(c)
            for r in c.receivers:
                acc.receivers[r] = None
    for alert in book.alerts.values():
        if alert.members is None or alert.state not in ("pending", "firing"):
            continue
        rule = config.rule(alert.rule)
        if rule is None or rule.group_by is None:
            continue  # lifecycle resolves it (rule removed) or it is no longer grouped
        acc = groups.get(alert.fingerprint)
        if acc is None:
            acc = groups[alert.fingerprint] = _Acc(rule, {k: alert.labels.get(k, "") for k in rule.group_by})
        for m in alert.members:
            if m.get("scope") not in scopes and m["fp"] not in acc.members:
                acc.members[m["fp"]] = m
                for r in m.get("receivers", "").split(","):
                    if r:
                        acc.receivers[r] = None
    out = []
    for gfp, acc in groups.items():
        members = tuple(sorted(acc.members.values(), key=lambda m: (-float(m["rank"]), m["org_unit"], m["fp"])))
        out.append(GroupCandidate(acc.rule, gfp, acc.key, members, tuple(acc.receivers)))
    return plain, out
