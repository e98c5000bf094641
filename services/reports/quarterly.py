"""The quarterly report of the DTI office to the People's Committee, as a plain model (no I/O).

What the committee asks each quarter (seed ke-hoach-nang-cao-dti-2023.txt, III): where the province's DTI and
its pillars stand against the goal and the path to it, each main and component indicator against its target
with the department responsible, how many points each department would add by reaching its targets, how the
units compare within their level, what moved since the previous quarter, and which reports are missing or
came late. Figures are year to date at the end of the quarter (or at the report date for the running one),
exactly as `GET /v1/scores` gives them for that period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.reports.labels import LEVEL_VI, department_name
from shared.periods import Period, year_fraction
from shared.rules import INDEX, GoalAtRisk, RuleSet
from shared.scoring import ScoringEngine, gaps, score_tree


@dataclass(frozen=True, slots=True)
class ObservationRecord:
    """A department's figure as stored (embedded mode's observations table)."""

    org_unit: str
    metric: str
    period: str
    value: float
    evidence_url: str | None
    reported_by: str | None
    source: str
    received_at: datetime


@dataclass(slots=True)
class CompositeLine:
    code: str
    name: str
    value: float | None
    previous: float | None
    status: str
    points: float | None = None  # on the framework's scale (index and main indicators)
    max_points: float | None = None
    owner: str = ""  # department name

    @property
    def change(self) -> float | None:
        return None if self.value is None or self.previous is None else self.value - self.previous


@dataclass(slots=True)
class IndicatorLine:
    code: str
    name: str
    main: str  # main indicator's name
    owner: str  # department name
    unit: str
    value: float | None
    target: float | None
    score: float | None
    earned: float | None
    points: float
    status: str
    expected: float | None  # where the path to the target says it should be at the report date
    trajectory: str | None
    previous_value: float | None
    previous_score: float | None
    reason: str  # Vietnamese, with metric names
    official: bool


@dataclass(slots=True)
class DepartmentGain:
    name: str
    gain_points: float
    indicators: list[str]  # names


@dataclass(slots=True)
class UnitRank:
    rank: int
    name: str
    value: float | None
    previous: float | None
    status: str


@dataclass(slots=True)
class ReportDue:
    indicator: str  # name
    owner: str  # department name
    frequency: str
    deadline: date
    state: str  # "missing" or "late"
    detail: str  # Vietnamese


@dataclass(slots=True)
class QuarterlyReport:
    province: str
    framework_code: str
    framework_name: str
    scale: float
    period: Period
    previous_period: Period
    as_of: date  # the date the figures are judged at (the report date, or the quarter's end if it is over)
    data_through: date | None  # date of the latest data taken into account
    rules_version: str
    index: CompositeLine
    goal_year: int | None
    goal_value: float | None
    goal_note: str
    goal_expected: float | None  # the DTI the goal needs by `as_of` (straight path from the baseline)
    pillars: list[CompositeLine]
    mains: list[CompositeLine]
    indicators: list[IndicatorLine]
    departments: list[DepartmentGain]
    rankings: dict[str, list[UnitRank]]  # level's Vietnamese name -> units ranked by DTI
    changes: list[str]  # sentences, Vietnamese
    due: list[ReportDue] = field(default_factory=list)


def previous_quarter(p: Period) -> Period:
    return Period(p.year - 1, 4) if p.quarter == 1 else Period(p.year, p.quarter - 1)


def goal_baseline(rules: RuleSet) -> tuple[int, float] | None:
    """The baseline of the goal's straight path, as the goal-at-risk alert rule declares it."""
    if rules.alerts is None:
        return None
    for rule in rules.alerts.rules:
        if isinstance(rule.params, GoalAtRisk) and rule.params.baseline is not None:
            return rule.params.baseline
    return None


def goal_expected(baseline: tuple[int, float] | None, goal_year: int, goal_value: float, when: date) -> float | None:
    """The DTI the goal needs by `when`: on the straight line from the baseline (end of its year) to the goal
    (end of the goal's year); the goal itself after that."""
    if baseline is None:
        return None
    b_year, b_value = baseline
    x0, x1, x = b_year + 1.0, goal_year + 1.0, year_fraction(when)
    if x >= x1 or x1 <= x0:
        return goal_value
    if x <= x0:
        return b_value
    return b_value + (goal_value - b_value) * (x - x0) / (x1 - x0)


def build_quarterly(
    rules: RuleSet,
    engine: ScoringEngine,
    framework: str,
    period: Period,
    today: date,
    observations: list[ObservationRecord] | None = None,
    data_through: date | None = None,
) -> QuarterlyReport:
    fw = rules.frameworks[framework]
    tree = rules.org_tree
    root = tree.roots[0]
    prev = previous_quarter(period)
    as_of = min(today, period.end)
    now = score_tree(rules, engine.score(framework, root.code, period), period, as_of)
    before = score_tree(rules, engine.score(framework, root.code, prev), prev, min(today, prev.end))

    def pv(items: list[dict[str, object]]) -> dict[str, dict[str, object]]:
        return {str(x["code"]): x for x in items}

    prev_pillars = pv(before["pillars"])
    prev_mains = pv(before["main_indicators"])
    prev_inds = {str(i["code"]): i for m in before["main_indicators"] for i in m["indicators"]}

    idx = now["index"]
    index = CompositeLine(
        INDEX,
        "Chỉ số DTI",
        idx["value"],
        before["index"]["value"],
        idx["status"],
        None if idx["value"] is None else idx["value"] * fw.scale,
        fw.scale,
    )
    pillars = [
        CompositeLine(p["code"], p["name"], p["value"], _f(prev_pillars.get(p["code"], {}).get("value")), p["status"])
        for p in now["pillars"]
    ]
    mains: list[CompositeLine] = []
    indicators: list[IndicatorLine] = []
    for m in now["main_indicators"]:
        mains.append(
            CompositeLine(
                m["code"],
                m["name"],
                m["value"],
                _f(prev_mains.get(m["code"], {}).get("value")),
                m["status"],
                m["earned"],
                m["points"],
                department_name(rules, m["owner"]),
            )
        )
        for i in m["indicators"]:
            p_i = prev_inds.get(i["code"], {})
            traj = i["trajectory"] or {}
            indicators.append(
                IndicatorLine(
                    code=i["code"],
                    name=i["name"],
                    main=m["name"],
                    owner=department_name(rules, i["owner"]),
                    unit=i["unit"],
                    value=i["value"],
                    target=i["target"],
                    score=i["score"],
                    earned=i["earned"],
                    points=i["points"],
                    status=i["status"],
                    expected=traj.get("expected"),
                    trajectory=traj.get("status"),
                    previous_value=_f(p_i.get("value")),
                    previous_score=_f(p_i.get("score")),
                    reason=(i["reason_vi"] or "") if i["status"] == "no_data" else "",
                    official=i["official"],
                )
            )
    g = gaps(rules, engine.score(framework, root.code, period), period, as_of)
    departments = [
        DepartmentGain(d["name"], d["gain_points"], [r["name"] for r in d["indicators"]]) for d in g["departments"]
    ]
    rankings: dict[str, list[UnitRank]] = {}
    for level in tree.levels[1:]:
        rows = []
        for u in tree.units:
            if u.level != level:
                continue
            us = engine.score(framework, u.code, period)
            ps = engine.score(framework, u.code, prev)
            rows.append((u.name, us.index.value, ps.index.value, us.index.status))
        if not rows:
            continue
        rows.sort(key=lambda r: (r[1] is None, -(r[1] or 0.0), r[0]))
        rankings[LEVEL_VI.get(level, level)] = [
            UnitRank(n + 1, name, v, p, st) for n, (name, v, p, st) in enumerate(rows)
        ]
    goal = fw.goal
    expected = (
        goal_expected(goal_baseline(rules), goal.year, goal.value, as_of) if goal and goal.value is not None else None
    )
    report = QuarterlyReport(
        province=root.name,
        framework_code=fw.code,
        framework_name=fw.name,
        scale=fw.scale,
        period=period,
        previous_period=prev,
        as_of=as_of,
        data_through=data_through,
        rules_version=rules.version,
        index=index,
        goal_year=goal.year if goal else None,
        goal_value=goal.value if goal else None,
        goal_note=goal.note if goal else "",
        goal_expected=expected,
        pillars=pillars,
        mains=mains,
        indicators=indicators,
        departments=departments,
        rankings=rankings,
        changes=[],
        due=reports_due(rules, framework, period, today, indicators, observations or []),
    )
    report.changes = change_sentences(report)
    return report


def _f(x: object) -> float | None:
    return float(x) if isinstance(x, int | float) else None


def fmt_num(x: float | None, digits: int = 2) -> str:
    """Vietnamese number formatting: comma as the decimal mark, dot between thousands."""
    if x is None:
        return "—"
    s = f"{x:,.{digits}f}"
    return s.replace(",", "\0").replace(".", ",").replace("\0", ".")


def fmt_value(x: float | None, unit: str) -> str:
    if x is None:
        return "—"
    if unit == "percent":
        return f"{fmt_num(x * 100, 1)}%"
    if unit == "yes/no":
        return "Có" if x >= 0.5 else "Không"
    return fmt_num(x, 0 if float(x).is_integer() else 2)


def fmt_index(x: float | None) -> str:
    return fmt_num(x, 4)


def fmt_date(d: date | None) -> str:
    return "—" if d is None else d.strftime("%d/%m/%Y")


def change_sentences(r: QuarterlyReport) -> list[str]:
    """What moved since the previous quarter, in plain words, biggest moves first."""
    out: list[str] = []
    prev = r.previous_period.id
    if r.index.value is not None and r.index.previous is not None:
        d = r.index.value - r.index.previous
        word = "tăng" if d > 0 else "giảm" if d < 0 else "không đổi"
        out.append(
            f"Chỉ số DTI {word}: từ {fmt_index(r.index.previous)} (cuối {prev}) thành {fmt_index(r.index.value)}"
            f" ({_signed(d, 4)})."
        )
    elif r.index.value is not None:
        out.append(f"Chỉ số DTI đạt {fmt_index(r.index.value)}; quý {prev} chưa có số liệu để so sánh.")
    for p in r.pillars:
        if p.change is not None and abs(p.change) >= 5e-5:
            out.append(
                f"Trụ cột “{p.name}”: từ {fmt_index(p.previous)} thành {fmt_index(p.value)} ({_signed(p.change, 4)})."
            )
    moves = [
        (i.score - i.previous_score, i)
        for i in r.indicators
        if i.score is not None and i.previous_score is not None and abs(i.score - i.previous_score) >= 0.005
    ]
    moves.sort(key=lambda x: -abs(x[0] * x[1].points))
    for _d, i in moves[:8]:
        out.append(
            f"“{i.name}” ({i.owner}): từ {fmt_value(i.previous_value, i.unit)} thành {fmt_value(i.value, i.unit)}, "
            f"điểm từ {fmt_num(i.previous_score * i.points)} thành {fmt_num(i.score * i.points)}"
            f" / {fmt_num(i.points, 0)}."
            if i.previous_score is not None and i.score is not None
            else f"“{i.name}”"
        )
    new_data = [i for i in r.indicators if i.value is not None and i.previous_value is None]
    if new_data:
        out.append(
            f"Có số liệu mới: {', '.join('“' + i.name + '”' for i in new_data[:6])}"
            + (f" và {len(new_data) - 6} chỉ số khác" if len(new_data) > 6 else "")
            + "."
        )
    lost = [i for i in r.indicators if i.value is None and i.previous_value is not None]
    if lost:
        out.append(f"Chưa có số liệu trong kỳ này (kỳ trước có): {', '.join('“' + i.name + '”' for i in lost[:6])}.")
    if not out:
        out.append("Không có thay đổi so với quý trước.")
    return out


def _signed(x: float, digits: int) -> str:
    return ("+" if x > 0 else "") + fmt_num(x, digits)


def reports_due(
    rules: RuleSet,
    framework: str,
    period: Period,
    today: date,
    indicators: list[IndicatorLine],
    observations: list[ObservationRecord],
) -> list[ReportDue]:
    """Reports of the quarter that are missing (deadline passed, no data) or came after their deadline.

    An indicator reported quarterly owes the quarter's figure by the quarter's end + `deadline_days`; one
    reported yearly owes the year's by 31 December + `deadline_days`; monthly ones owe the quarter's last month
    by its end + `deadline_days`. Late = a department's figure for the period received after that deadline.
    """
    fw = rules.frameworks[framework]
    lines = {i.code: i for i in indicators}
    out: list[ReportDue] = []
    by_metric: dict[str, list[ObservationRecord]] = {}
    for o in observations:
        by_metric.setdefault(o.metric, []).append(o)
    for code, ind in fw.indicators.items():
        freq = ind.reporting.frequency
        if freq == "continuous":
            continue
        end = date(period.year, 12, 31) if freq == "yearly" else period.end
        deadline = end + timedelta(days=ind.reporting.deadline_days)
        name = ind.name
        owner = department_name(rules, ind.owner)
        line = lines.get(code)
        if line is not None and line.value is None and today > deadline:
            out.append(
                ReportDue(name, owner, freq, deadline, "missing", f"Chưa có số liệu; hạn nộp {fmt_date(deadline)}")
            )
            continue
        wanted = {period.id, str(period.year)} if freq != "yearly" else {str(period.year)}
        late = [
            o
            for m in ind.formula.metrics
            for o in by_metric.get(m, [])
            if o.period in wanted and o.received_at.date() > deadline
        ]
        if late:
            first = min(o.received_at.date() for o in late)
            days = (first - deadline).days
            out.append(
                ReportDue(
                    name,
                    owner,
                    freq,
                    deadline,
                    "late",
                    f"Nộp muộn {days} ngày (ngày {fmt_date(first)}, hạn {fmt_date(deadline)})",
                )
            )
    out.sort(key=lambda d: (d.state, d.owner, d.indicator))
    return out
