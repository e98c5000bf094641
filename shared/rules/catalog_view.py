"""The catalogue as an integrator reads it: every metric with its kind, unit, the levels that use it and the
sources that may send it; every source with its metrics. Pure: built from a loaded RuleSet."""

from __future__ import annotations

from typing import Any

from shared.rules.model import RuleSet, ShareOfUnits


def metric_levels(rules: RuleSet) -> dict[str, set[str]]:
    """Per metric, the org-unit levels whose figures an indicator reads: the indicator's own levels, or for a
    share of units the level of the units counted (a province's share of communes reads communes' values)."""
    out: dict[str, set[str]] = {}
    for fw in rules.frameworks.values():
        for ind in fw.indicators.values():
            levels = {ind.formula.level} if isinstance(ind.formula, ShareOfUnits) else set(ind.levels)
            for m in ind.formula.metrics:
                out.setdefault(m, set()).update(levels)
    return out


def catalog_view(rules: RuleSet) -> dict[str, Any]:
    cat = rules.catalog
    order = {lv: i for i, lv in enumerate(rules.org_tree.levels)}
    levels = metric_levels(rules)
    senders: dict[str, list[str]] = {}
    for source, allowed in sorted(cat.sources.items()):
        for m in allowed:
            senders.setdefault(m, []).append(source)
    return {
        "rules_version": rules.version,
        "metrics": [
            {
                "code": m.code,
                "name": m.name,
                "name_en": m.name_en,
                "type": m.type,
                "unit": m.unit,
                "rollup": m.rollup,
                "levels": sorted(levels.get(m.code, ()), key=lambda lv: order.get(lv, len(order))),
                "sources": senders.get(m.code, []),
            }
            for m in cat.metrics.values()
        ],
        "sources": [{"code": s, "metrics": sorted(allowed)} for s, allowed in sorted(cat.sources.items())],
        "departments": [{"code": d.code, "name": d.name, "name_en": d.name_en} for d in cat.departments.values()],
    }
