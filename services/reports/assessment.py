"""The annual self-assessment workbook: the file the DTI office works from when it fills the ministry's
assessment of a year (in the first months of the next one). Every indicator of the framework with the
province's value, target, score and points, the department responsible, the evidence links and reporters the
departments sent with their figures, and what is still missing (no figure, or units that have not reported).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from services.reports.labels import LEVEL_VI, department_name, reason_vi
from services.reports.quarterly import ObservationRecord
from shared.periods import Period
from shared.rules import RuleSet
from shared.scoring import ScoringEngine
from shared.years import framework_for


@dataclass(slots=True)
class Evidence:
    unit: str  # name
    metric: str  # name
    period: str
    value: float
    url: str | None
    reported_by: str | None
    received: date


@dataclass(slots=True)
class AssessmentLine:
    code: str
    name: str
    main: str
    main_code: str
    official: bool
    owner: str
    unit: str
    value: float | None
    target: float | None
    score: float | None
    earned: float | None
    points: float
    status: str
    frequency: str
    evidence: list[Evidence] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # Vietnamese sentences


@dataclass(slots=True)
class AssessmentWorkbook:
    province: str
    year: int
    framework_code: str
    framework_name: str
    scale: float
    index: float | None
    points: float | None
    as_of: date
    rules_version: str
    lines: list[AssessmentLine]
    evidence: list[Evidence]


def framework_for_year(rules: RuleSet, year: int) -> str:
    """The framework in force for a year, as the page and the API default to it (shared.years)."""
    return framework_for(rules, year)


def build_assessment(
    rules: RuleSet,
    engine: ScoringEngine,
    framework: str,
    year: int,
    today: date,
    observations: list[ObservationRecord] | None,
) -> AssessmentWorkbook:
    fw = rules.frameworks[framework]
    tree = rules.org_tree
    root = tree.roots[0]
    period = Period(year, 4, True)
    us = engine.score(framework, root.code, period)
    metric_name = {code: m.name for code, m in rules.catalog.metrics.items()}
    evidence_by_metric: dict[str, list[Evidence]] = {}
    all_evidence: list[Evidence] = []
    for o in observations or []:
        ev = Evidence(
            tree.units[tree.by_code[o.org_unit]].name if o.org_unit in tree.by_code else o.org_unit,
            metric_name.get(o.metric, o.metric),
            o.period,
            o.value,
            o.evidence_url,
            o.reported_by,
            o.received_at.date(),
        )
        evidence_by_metric.setdefault(o.metric, []).append(ev)
        all_evidence.append(ev)
    # per level, the units that have a score for each indicator (for "units that have not reported")
    unit_scores = {u.code: engine.score(framework, u.code, period) for u in tree.units if u.level != root.level}
    lines: list[AssessmentLine] = []
    for code, ind in fw.indicators.items():
        r = us.indicators.get(code)
        main = fw.main_indicators[ind.main]
        line = AssessmentLine(
            code=code,
            name=ind.name,
            main=main.name,
            main_code=main.code,
            official=ind.official,
            owner=department_name(rules, ind.owner),
            unit=ind.unit,
            value=None if r is None else r.value,
            target=None if r is None else r.target,
            score=None if r is None else r.score,
            earned=None if r is None else r.earned,
            points=ind.points,
            status="not_applicable" if r is None else r.status,
            frequency=ind.reporting.frequency,
        )
        for m in ind.formula.metrics:
            line.evidence.extend(evidence_by_metric.get(m, []))
        if r is not None and r.value is None:
            line.missing.append(reason_vi(r.reason, rules.catalog) or "chưa có số liệu")
        if r is not None and r.value is not None and ind.reporting.frequency != "continuous" and not line.evidence:
            line.missing.append("chưa có minh chứng kèm số liệu")
        for level in tree.levels[1:]:
            if level not in ind.levels:
                continue
            silent = [
                tree.units[tree.by_code[c]].name
                for c, s in unit_scores.items()
                if tree.units[tree.by_code[c]].level == level
                and code in s.indicators
                and s.indicators[code].value is None
            ]
            if silent:
                names = ", ".join(silent[:8]) + (f" và {len(silent) - 8} đơn vị khác" if len(silent) > 8 else "")
                line.missing.append(f"{LEVEL_VI.get(level, level)} chưa có số liệu ({len(silent)}): {names}")
        lines.append(line)
    return AssessmentWorkbook(
        province=root.name,
        year=year,
        framework_code=fw.code,
        framework_name=fw.name,
        scale=fw.scale,
        index=us.index.value,
        points=None if us.index.value is None else us.index.value * fw.scale,
        as_of=min(today, period.end),
        rules_version=rules.version,
        lines=lines,
        evidence=all_evidence,
    )
