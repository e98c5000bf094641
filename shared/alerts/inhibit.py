"""Inhibition, as Alertmanager's: a firing "system silent" alert explains the stale-data alerts of the
metrics that system sends. Those stay listed (under the source alert, with `inhibited_by`) but are not
notified, so a 3-day LGSP outage is one message to its operators and owner, not one per unit.

A stale alert is inhibited when every one of its members reads at least one metric a silent source sends
(the source's outage is a sufficient explanation for each); one member the outage does not explain keeps
it notified.
"""

from __future__ import annotations

from shared.alerts.state import AlertBook
from shared.rules.alert_model import AlertRules
from shared.rules.model import Catalog


def inhibit(book: AlertBook, config: AlertRules, catalog: Catalog) -> None:
    silent: dict[str, frozenset[str]] = {}  # firing source alert -> the metrics its source sends
    for a in book.alerts.values():
        if a.state == "firing" and a.labels.get("kind") == "source_silent":
            silent[a.fingerprint] = catalog.sources.get(a.labels.get("source", ""), frozenset())
    for a in book.alerts.values():
        if a.labels.get("kind") != "stale" or a.state not in ("pending", "firing") or not silent:
            a.inhibited_by = []
            continue
        members = a.members or []
        by: set[str] = set()
        explained = bool(members)
        for m in members:
            metrics = {x for x in m.get("metrics", "").split(",") if x}
            sources = {fp for fp, sent in silent.items() if metrics & sent}
            if not sources:
                explained = False
                break
            by |= sources
        a.inhibited_by = sorted(by) if explained else []
