"""Alert candidates: for each rule, the numbers measured for every indicator, unit and period it watches.

Each candidate becomes one fact for the ConditionEvaluator. The arithmetic lives here, the comparison
with the rule's threshold does not:

- below_target: shortfall = target − value (value − target when lower is better),
  allowed = margin × |target|; fires when shortfall > allowed.
- off_trajectory: shortfall against the trajectory at today's date, allowed = tolerance × |expected|;
  fires when shortfall > allowed.
- goal_at_risk: shortfall of the DTI against the path from the baseline to the goal,
  allowed = tolerance × expected; fires when shortfall > allowed.
- stale: last_data = newest data for the indicator in the unit's subtree, due_from = start of the period
  whose report is due; fires when last_data < due_from.
- sudden_drop: drop = worsening relative to the best reading within the window; fires when drop > the
  rule's `drop`.

`allowed` carries the same hair of float tolerance as the scoring engine's `meets`, so "below target"
here and `below_target` in the scores agree on values such as 0.1 + 0.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from shared.alerts.conditions import Fact
from shared.alerts.deadlines import due_period
from shared.alerts.messages import Reading, date_vi, score_link
from shared.alerts.state import SeriesHistory
from shared.periods import PROVINCE_TZ, local_date, year_fraction
from shared.rules.alert_model import (
    OWNER,
    AlertRule,
    AlertRules,
    BelowTarget,
    GoalAtRisk,
    OffTrajectory,
    SourceSilent,
    Stale,
    SuddenDrop,
)
from shared.rules.codes import INDEX
from shared.rules.durations import duration_words, format_duration
from shared.rules.model import Framework, Indicator, OrgUnit, RuleSet
from shared.scoring.results import IndicatorResult, UnitScore
from shared.scoring.targets import expected_at

IDENTITY = ("alertname", "framework", "indicator", "org_unit", "period")
STALE_SCOPE = "stale"
SOURCE_SCOPE = "sources"
_EPS = 1e-9

# (metric or indicator code, org-unit code) -> when the newest data for it arrived
LastData = Mapping[tuple[str, str], datetime]
# source system code -> when its newest event arrived
LastSource = Mapping[str, datetime]


def fingerprint(labels: Mapping[str, str]) -> str:
    """Stable across restarts, processes and label edits: a hash of the identifying labels only."""
    g = labels.get
    return fingerprint_of(
        g("alertname", ""), g("framework", ""), g("indicator", ""), g("org_unit", ""), g("period", "")
    )


def fingerprint_of(alertname: str, framework: str, indicator: str, org_unit: str, period: str) -> str:
    """`fingerprint` of labels with these identifying values (IDENTITY's order)."""
    ident = f"alertname={alertname}\0framework={framework}\0indicator={indicator}\0org_unit={org_unit}\0period={period}"
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:16]


def score_scope(framework: str, org_unit: str, period: str) -> str:
    return f"{framework}|{org_unit}|{period}"


def period_id(us: UnitScore) -> str:
    return str(us.year) if us.quarter == 4 else f"{us.year}-Q{us.quarter}"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One rule's numbers for one indicator (or the index), unit and period: one fact for the evaluator.

    Its labels, receivers and reading (what an alert about it shows) are built when asked for: a round has
    a candidate per rule, indicator and unit, and most match nothing and concern no open alert."""

    rule: AlertRule
    scope: str
    subject: Subject
    measured: Measured
    builder: CandidateBuilder
    fingerprint: str

    @property
    def fields(self) -> dict[str, float]:
        return self.measured.fields

    @property
    def labels(self) -> dict[str, str]:
        return self.builder.labels(self.rule, self.subject)

    @property
    def receivers(self) -> tuple[str, ...]:
        return self.builder.receivers(self.rule, self.subject)

    @property
    def reading(self) -> Reading:
        return self.builder.reading(self.rule, self.subject, self.measured)

    @property
    def fact(self) -> Fact:
        return Fact(self.fingerprint, self.rule.name, self.measured.fields)

    @property
    def members(self) -> None:
        return None  # an ungrouped rule's alert is its own single subject


@dataclass(frozen=True, slots=True)
class Subject:
    """What an alert is about: an indicator (or the index) of a framework, for one unit and period."""

    framework: Framework
    code: str
    name: str
    name_en: str
    unit_of_measure: str
    higher: bool
    owner: str
    org_unit: OrgUnit
    period: str
    metrics: tuple[str, ...] = ()  # what the indicator reads: the same in both frameworks when they agree
    tag: str = ""  # the `subject` label when it is not the unit (a silent feed)

    @classmethod
    def of(cls, fw: Framework, ind: Indicator, unit: OrgUnit, period: str, tag: str = "") -> Subject:
        metrics = tuple(sorted(set(ind.formula.metrics)))
        return cls(
            fw,
            ind.code,
            ind.name,
            ind.name_en,
            ind.unit,
            ind.direction == "higher",
            ind.owner,
            unit,
            period,
            metrics,
            tag,
        )

    @property
    def measure(self) -> str:
        return "+".join(self.metrics) or f"{self.framework.code}:{self.code}"


@dataclass(frozen=True, slots=True)
class Measured:
    """One kind's numbers for one subject: the fact's fields and what the message shows."""

    fields: dict[str, float]
    value: float | None = None
    reference: float | None = None
    gap: float | None = None
    details: dict[str, str] = field(default_factory=dict)
    unit_of_measure: str | None = None  # when shown in another unit than the indicator's (a score)
    higher: bool | None = None  # when the direction shown differs from the indicator's (a score)


@dataclass(frozen=True, slots=True)
class SourceCandidate:
    """One declared source system for one source_silent rule: when it last sent anything."""

    rule: AlertRule
    code: str
    name: str
    name_en: str
    owner: str
    owner_name: str
    owner_name_en: str
    last: float  # unix time of its newest event, 0 when it never sent one
    silence_text: tuple[str, str]  # (Vietnamese, English)
    receivers: tuple[str, ...]
    fingerprint: str
    link: str
    scope: str = SOURCE_SCOPE
    members: tuple[dict[str, str], ...] | None = None

    due_from: float = 0.0  # unix time: silent since before it means silent too long

    @property
    def fields(self) -> dict[str, float]:
        return {"last_data": self.last, "due_from": self.due_from}

    @property
    def labels(self) -> dict[str, str]:
        return {
            **self.rule.labels,
            "alertname": self.rule.name,
            "kind": self.rule.kind,
            "severity": self.rule.severity,
            "source": self.code,
            "department": self.owner,
        }

    @property
    def fact(self) -> Fact:
        return Fact(self.fingerprint, self.rule.name, self.fields)


@dataclass(slots=True)
class Built:
    candidates: list[Candidate]
    scopes: set[str]  # what this round evaluated: alerts outside it keep their state
    samples: list[tuple[str, float]]  # sudden-drop readings to record once every rule has compared
    sources: list[SourceCandidate] = field(default_factory=list)


class CandidateBuilder:
    """Turns one round's inputs into candidates; holds what every candidate needs from the rule set."""

    def __init__(self, rules: RuleSet, alerts: AlertRules, base_url: str) -> None:
        self.rules = rules
        self.alerts = alerts
        self.base_url = base_url
        self.tree = rules.org_tree
        self.catalog = rules.catalog
        # within a round, many candidates share these: computed once each (same strings, same numbers)
        self._links: dict[tuple[str, str, str, str], str] = {}
        self._expected: dict[tuple[str, str], float | None] = {}
        self._dates: dict[float, dict[str, str]] = {}
        self._today: dict[date, dict[str, str]] | None = None  # texts of the dates paths are read at

    def build(
        self,
        scores: Iterable[UnitScore],
        now: datetime,
        history: SeriesHistory,
        last_data: LastData | None,
        last_source: LastSource | None = None,
        years: Collection[int] | None = None,
    ) -> Built:
        """`years`: the open assessment years (shared.years.open_years); default this calendar year. A path is
        read at today's date, or at 31 December for an open year already ended (being assessed)."""
        out = Built([], set(), [])
        today = local_date(now)
        open_ = set(years) if years is not None else {today.year}
        for us in scores:
            fw = self.rules.frameworks.get(us.framework)
            if fw is None or not 0 <= us.unit < len(self.tree.units):
                continue  # scored under rules that are no longer in force
            unit = self.tree.units[us.unit]
            period = period_id(us)
            out.scopes.add(score_scope(fw.code, unit.code, period))
            this_year = us.year in open_
            as_of = today if us.year >= today.year else date(us.year, 12, 31)
            for rule in self.alerts.rules:
                if rule.kind in ("stale", "source_silent") or not rule.select.takes_framework(fw.code):
                    continue  # stale rules read last_data, source rules last_source, not scores: below
                if not self._takes_level(rule, unit.level):
                    continue
                if rule.kind == "goal_at_risk":
                    if this_year:  # a path is read at today's date: only this year's index compares with it
                        self._goal(out, rule, fw, unit, us, period, as_of)
                    continue
                for code, res in us.indicators.items():
                    ind = fw.indicators.get(code)
                    if ind is None or res.value is None or not rule.select.takes_indicator(code, ind.owner):
                        continue  # no data is the stale rules' business
                    subject = Subject.of(fw, ind, unit, period)
                    if rule.kind == "below_target":
                        measured = _below_target(rule, subject, res)
                    elif rule.kind == "off_trajectory":
                        measured = self._off_trajectory(rule, subject, ind, res, as_of) if this_year else None
                    else:
                        measured = _sudden_drop(rule, subject, res, now, history, out.samples)
                    if measured is not None:
                        out.candidates.append(self._candidate(rule, subject, measured))
        if last_data is not None:
            out.scopes.add(STALE_SCOPE)
            self._stale_all(out, now, today, last_data)
        if last_source is not None:
            out.scopes.add(SOURCE_SCOPE)
            self._sources(out, now, last_source)
        return out

    # ------------------------------------------------------------------ sources
    def _sources(self, out: Built, now: datetime, last_source: LastSource) -> None:
        dti = self.catalog.dti_department
        for rule in self.alerts.rules:
            if rule.kind != "source_silent":
                continue
            assert isinstance(rule.params, SourceSilent)
            for src in self.alerts.sources.values():
                silence = src.silence or rule.params.silence
                seen = last_source.get(src.code)
                dep = self.catalog.departments.get(src.owner)
                receivers = (src.owner,) if src.owner == dti else (src.owner, dti)
                fp = fingerprint_of(rule.name, "", f"source:{src.code}", "", "")
                out.sources.append(
                    SourceCandidate(
                        rule,
                        src.code,
                        src.name,
                        src.name_en,
                        src.owner,
                        dep.name if dep else src.owner,
                        dep.name_en if dep else src.owner,
                        seen.timestamp() if seen is not None else 0.0,
                        duration_words(silence),
                        receivers,
                        fp,
                        f"{self.base_url}/#alerts-section",
                        due_from=(now - silence).timestamp(),
                    )
                )

    def _takes_level(self, rule: AlertRule, level: str) -> bool:
        if rule.kind == "goal_at_risk" and rule.select.levels is None:
            return level == self.tree.levels[0]  # the goal is the province's
        return rule.select.takes_level(level)

    # ------------------------------------------------------------------ goal
    def _goal(
        self, out: Built, rule: AlertRule, fw: Framework, unit: OrgUnit, us: UnitScore, period: str, today: date
    ) -> None:
        assert isinstance(rule.params, GoalAtRisk)
        goal = fw.goal
        idx = us.composites.get(INDEX)
        if goal is None or goal.value is None or idx is None or idx.value is None:
            return  # a rank goal whose DTI value nobody published has no path to compare with
        if idx.coverage + 1e-12 < rule.params.min_coverage:
            return
        expected = _goal_path(rule.params.baseline, goal.year, goal.value, today)
        shortfall = expected - idx.value
        details = {
            "date": today.isoformat(),
            "date_vi": date_vi(today),
            "goal": f"{goal.value:.4g}",
            "goal_year": str(goal.year),
            "goal_note": goal.note or "—",
        }
        dti = self.catalog.dti_department  # the index belongs to the department in charge of the DTI
        subject = Subject(fw, INDEX, fw.name, fw.name_en, "number", True, dti, unit, period, (INDEX,))
        fields = {"shortfall": shortfall, "allowed": rule.params.tolerance * expected + 1e-12}
        out.candidates.append(self._candidate(rule, subject, Measured(fields, idx.value, expected, shortfall, details)))

    # ------------------------------------------------------------------ stale
    def _stale_all(self, out: Built, now: datetime, today: date, last_data: LastData) -> None:
        newest = self._roll_up(last_data)
        for rule in self.alerts.rules:
            if rule.kind != "stale":
                continue
            for fw in self.rules.frameworks.values():
                if not rule.select.takes_framework(fw.code):
                    continue
                for ind in fw.indicators.values():
                    if rule.select.takes_indicator(ind.code, ind.owner):
                        self._stale(out, rule, fw, ind, now, today, newest)

    def _stale(
        self,
        out: Built,
        rule: AlertRule,
        fw: Framework,
        ind: Indicator,
        now: datetime,
        today: date,
        newest: dict[tuple[str, int], float],
    ) -> None:
        assert isinstance(rule.params, Stale)
        periodic = ind.reporting.frequency != "continuous"
        if (rule.params.reports == "periodic" and not periodic) or (rule.params.reports == "continuous" and periodic):
            return
        due = due_period(ind.reporting.frequency, ind.reporting.deadline_days, today)
        if due is not None:
            if not fw.years[0] <= due.year <= fw.years[1]:
                return
            due_from, period = due.starts_at.timestamp(), str(due.year)
            details = {"due": due.id, "deadline": due.deadline.isoformat(), "deadline_vi": date_vi(due.deadline)}
        elif rule.params.max_age is not None:
            due_from, period = (now - rule.params.max_age).timestamp(), str(today.year)
            words_vi, words_en = duration_words(rule.params.max_age)
            details = {"max_age": format_duration(rule.params.max_age), "max_age_vi": words_vi, "max_age_en": words_en}
        else:
            return  # a continuous indicator and no max_age: nothing is ever due
        codes = (ind.code, *ind.formula.metrics)
        lasts: list[tuple[OrgUnit, float]] = []
        silent: dict[str, list[int]] = {}  # level -> [silent units, units]
        for unit in self.tree.units:
            if unit.level not in ind.levels or not rule.select.takes_level(unit.level):
                continue
            last = max(newest.get((c, unit.index), 0.0) for c in codes)
            lasts.append((unit, last))
            n = silent.setdefault(unit.level, [0, 0])
            n[0] += int(last < due_from)
            n[1] += 1
        measure = "+".join(sorted(set(ind.formula.metrics))) or f"{fw.code}:{ind.code}"
        for unit, last in lasts:
            n = silent[unit.level]
            feed = n[1] > 1 and n[0] > rule.params.peers * n[1]  # most peers silent too: the feed is
            tag = f"feed:{measure}@{unit.level}" if feed else f"unit:{unit.code}"
            shown = self._dates.get(last)
            if shown is None:
                when = datetime.fromtimestamp(last, PROVINCE_TZ).date() if last > 0 else None
                shown = self._dates[last] = {
                    "last": when.isoformat() if when else "never",
                    "last_vi": date_vi(when) if when else "chưa có",
                }
            measured = Measured({"last_data": last, "due_from": due_from}, details={**details, **shown})
            subject = Subject.of(fw, ind, unit, period, tag)
            out.candidates.append(self._candidate(rule, subject, measured, STALE_SCOPE))

    def _roll_up(self, last_data: LastData) -> dict[tuple[str, int], float]:
        """Newest data per code and unit, over the unit and its descendants (a commune's report is also its
        district's and province's), except for metrics that do not roll up."""
        newest: dict[tuple[str, int], float] = {}
        metrics = self.catalog.metrics
        for (code, unit_code), when in last_data.items():
            u = self.tree.by_code.get(unit_code)
            if u is None:
                continue
            ts = when.timestamp()
            metric = metrics.get(code)
            chain = (u,) if metric is not None and metric.rollup == "none" else (u, *self.tree.units[u].ancestors)
            for a in chain:
                if newest.get((code, a), 0.0) < ts:
                    newest[(code, a)] = ts
        return newest

    def _off_trajectory(
        self, rule: AlertRule, s: Subject, ind: Indicator, res: IndicatorResult, today: date
    ) -> Measured | None:
        """`_off_trajectory` with the path's value at today's date and today's texts computed once per
        indicator and level, not once per unit (`today` is the same for the whole round)."""
        key = (f"{s.framework.code}|{ind.code}|{today.toordinal()}", s.org_unit.level)
        try:
            expected = self._expected[key]
        except KeyError:
            expected = self._expected[key] = expected_at(ind, s.org_unit.level, today)
        texts = self._today.get(today) if self._today is not None else None
        if texts is None:
            texts = {"date": today.isoformat(), "date_vi": date_vi(today)}
            self._today = {**(self._today or {}), today: texts}
        return _off_trajectory(rule, s, ind, res, today, expected, texts)

    def _link(self, org_unit: str, period: str, framework: str, indicator: str) -> str:
        key = (org_unit, period, framework, indicator)
        link = self._links.get(key)
        if link is None:
            link = self._links[key] = score_link(self.base_url, org_unit, period, framework, indicator)
        return link

    # ------------------------------------------------------------------ labels, routing, reading
    def _candidate(self, rule: AlertRule, s: Subject, m: Measured, scope: str | None = None) -> Candidate:
        fp = fingerprint_of(rule.name, s.framework.code, s.code, s.org_unit.code, s.period)
        scope = scope or score_scope(s.framework.code, s.org_unit.code, s.period)
        return Candidate(rule, scope, s, m, self, fp)

    def _department(self, rule: AlertRule, s: Subject) -> str:
        return s.owner if rule.receiver == OWNER else rule.receiver

    def labels(self, rule: AlertRule, s: Subject) -> dict[str, str]:
        return {
            **rule.labels,
            "alertname": rule.name,
            "kind": rule.kind,
            "severity": rule.severity,
            "framework": s.framework.code,
            "indicator": s.code,
            "org_unit": s.org_unit.code,
            "level": s.org_unit.level,
            "period": s.period,
            "department": self._department(rule, s),
            "measure": s.measure,
            "subject": s.tag or s.org_unit.code,
        }

    def receivers(self, rule: AlertRule, s: Subject) -> tuple[str, ...]:
        department = self._department(rule, s)
        dti = self.catalog.dti_department
        return (department, dti) if self.alerts.settings.copy_dti_department and dti != department else (department,)

    def reading(self, rule: AlertRule, s: Subject, m: Measured) -> Reading:
        dep = self.catalog.departments.get(s.owner)
        return Reading(
            kind=rule.kind,
            framework=s.framework.code,
            indicator=s.code,
            name=s.name,
            name_en=s.name_en,
            unit=m.unit_of_measure or s.unit_of_measure,
            org_unit=s.org_unit.code,
            org_unit_name=s.org_unit.name,
            level=s.org_unit.level,
            period=s.period,
            owner=s.owner,
            owner_name=dep.name if dep else s.owner,
            owner_name_en=dep.name_en if dep else s.owner,
            link=self._link(s.org_unit.code, s.period, s.framework.code, "" if s.code == INDEX else s.code),
            value=m.value,
            reference=m.reference,
            gap=m.gap,
            higher_is_better=s.higher if m.higher is None else m.higher,
            details=m.details,
        )


# ---------------------------------------------------------------- per kind
def _below_target(rule: AlertRule, s: Subject, res: IndicatorResult) -> Measured | None:
    assert isinstance(rule.params, BelowTarget) and res.value is not None
    if res.target is None:
        return None
    t = res.target
    shortfall = (t - res.value) if s.higher else (res.value - t)
    allowed = rule.params.margin * abs(t) + _EPS * max(1.0, abs(t))
    return Measured({"shortfall": shortfall, "allowed": allowed}, res.value, t, shortfall)


def _off_trajectory(
    rule: AlertRule,
    s: Subject,
    ind: Indicator,
    res: IndicatorResult,
    today: date,
    expected: float | None,
    today_texts: dict[str, str],
) -> Measured | None:
    """`expected` is the path's value at `today` (`expected_at`), `today_texts` today's date as shown."""
    assert isinstance(rule.params, OffTrajectory) and res.value is not None
    if expected is None:
        return None  # no baseline, no path
    tol = rule.params.tolerance if rule.params.tolerance is not None else ind.tolerance
    shortfall = (expected - res.value) if s.higher else (res.value - expected)
    details = {**today_texts, "tolerance": f"{tol * 100:.4g}%"}
    fields = {"shortfall": shortfall, "allowed": tol * abs(expected) + 1e-12}
    return Measured(fields, res.value, expected, shortfall, details)


def _sudden_drop(
    rule: AlertRule,
    s: Subject,
    res: IndicatorResult,
    now: datetime,
    history: SeriesHistory,
    samples: list[tuple[str, float]],
) -> Measured | None:
    p = rule.params
    assert isinstance(p, SuddenDrop)
    current = res.value if p.measure == "value" else res.score
    if current is None:
        return None
    up = s.higher or p.measure == "score"  # a score is always better higher
    key = f"{s.framework.code}|{s.code}|{s.org_unit.code}|{s.period}|{p.measure}"
    samples.append((key, current))
    best = history.best_since(key, now.timestamp() - p.window.total_seconds(), up)
    if best is None or best == 0:
        return None  # nothing to compare with yet, or a relative change from 0, which has no size
    worse = (best - current) if up else (current - best)
    details = {
        "drop": f"{worse / abs(best) * 100:.4g}%",
        "window": format_duration(p.window),
        "threshold": f"{p.drop * 100:.4g}%",
        "measure": p.measure,
    }
    shown_unit = None if p.measure == "value" else "number"
    return Measured({"drop": worse / abs(best)}, current, best, worse, details, shown_unit, up)


def _goal_path(baseline: tuple[int, float] | None, goal_year: int, goal_value: float, today: date) -> float:
    """The DTI value the goal needs by today: on the straight line from the baseline (31 December of its
    year) to the goal (31 December of the goal year); flat at the goal without a baseline or after it."""
    if baseline is None:
        return goal_value
    b_year, b_value = baseline
    x0, x1, x = b_year + 1.0, goal_year + 1.0, year_fraction(today)
    if x <= x0 or x1 <= x0:
        return b_value if x <= x0 else goal_value
    if x >= x1:
        return goal_value
    return b_value + (goal_value - b_value) * (x - x0) / (x1 - x0)
