"""Parse a framework file (Decision 922, Decision 405, or any other): indicators, main indicators, pillars, index.

Checks everything an analyst can get wrong that would otherwise surface as a wrong score: references to
unknown metrics, departments, levels or codes; duplicate codes; points and weights that do not add up to
what the file declares; cycles between composites; percentages out of range; levels with units but no target.
"""

from __future__ import annotations

from typing import Any

from shared.rules.codes import INDEX
from shared.rules.curves import CURVES, Curve
from shared.rules.fields import (
    as_bool,
    as_choice,
    as_int,
    as_number,
    as_quantity,
    as_str,
    check_keys,
    expect_list,
    expect_map,
    req,
)
from shared.rules.formulas import FORMULAS, Formula, formula_keys
from shared.rules.model import (
    Baseline,
    Catalog,
    Composite,
    Framework,
    Goal,
    Indicator,
    MainIndicator,
    OrgTree,
    Reporting,
)
from shared.rules.parse_context import ParseContext
from shared.rules.problems import Location, Problems
from shared.rules.quantities import fmt_number
from shared.rules.source import Node

_EPS = 1e-9
_FRAMEWORK_KEYS = {
    "kind",
    "code",
    "name",
    "name_en",
    "decision",
    "note",
    "scale",
    "years",
    "missing_data",
    "min_coverage",
    "trajectory_tolerance",
    "goal",
    "governs",
    "close_after",
    "late_data",
    "main_indicators",
    "indicators",
    "pillars",
    "index",
}
_INDICATOR_KEYS = {
    "code",
    "main",
    "name",
    "name_en",
    "official",
    "formula",
    "unit",
    "direction",
    "levels",
    "targets",
    "baseline",
    "curve",
    "points",
    "owner",
    "reporting",
    "tolerance",
    "note",
    "source",
}


_Ctx = ParseContext


def parse_framework(
    root: Node, problems: Problems, catalog: Catalog | None, tree: OrgTree | None, file: str
) -> Framework | None:
    ctx = _Ctx(problems, catalog, tree)
    check_keys(root, _FRAMEWORK_KEYS, problems, "framework")
    code = as_str(req(root, "code", problems, "framework"), problems, "code")
    name = as_str(req(root, "name", problems, "framework"), problems, "name") or ""
    name_en = as_str(root.get("name_en"), problems, "name_en") or ""
    scale = as_number(req(root, "scale", problems, "framework"), problems, "scale")
    years = _years(root, problems)
    ctx.years = years
    missing = as_choice(root.get("missing_data"), ("zero", "rescale"), problems, "missing_data") or "zero"
    min_cov = as_number(root.get("min_coverage"), problems, "min_coverage") or 0.0
    mc_node = root.get("min_coverage")
    if mc_node is not None and not 0.0 <= min_cov <= 1.0:
        problems.add(mc_node.loc, "min_coverage must lie between 0 and 1")
    tol_node = root.get("trajectory_tolerance")
    tolerance = as_quantity(tol_node, True, problems, "trajectory_tolerance") if tol_node else 0.05
    goal = _goal(root.get("goal"), problems)
    governs = _governs(root.get("governs"), problems)
    close_after = _close_after(root.get("close_after"), problems)
    late = as_choice(root.get("late_data"), ("refuse", "accept"), problems, "late_data") or "refuse"

    codes: dict[str, Location] = {}

    def claim(code_: str, loc: Location) -> bool:
        if code_ in codes:
            problems.add(loc, f"duplicate code '{code_}' (first defined at {codes[code_]})")
            return False
        codes[code_] = loc
        return True

    mains: dict[str, tuple[MainIndicator, Location, Location]] = {}
    mnode = req(root, "main_indicators", problems, "framework")
    if expect_list(mnode, problems, "main_indicators"):
        assert mnode is not None
        for el in mnode.elements():
            if not expect_map(el, problems, "main indicator"):
                continue
            check_keys(el, {"code", "name", "name_en", "points", "owner", "note"}, problems, "main indicator")
            cnode = req(el, "code", problems, "main indicator")
            mcode = as_str(cnode, problems, "code")
            mname = as_str(req(el, "name", problems, "main indicator"), problems, "name")
            pnode = req(el, "points", problems, "main indicator")
            pts = as_number(pnode, problems, "points")
            owner = ctx.department(el.get("owner"), "owner")
            if mcode is None or cnode is None or mname is None or pts is None or pnode is None:
                continue
            if claim(mcode, cnode.loc):
                name_en_m = as_str(el.get("name_en"), problems, "name_en") or ""
                mains[mcode] = (MainIndicator(mcode, mname, name_en_m, pts, owner, ()), pnode.loc, cnode.loc)

    indicators: dict[str, Indicator] = {}
    points_at: dict[str, Location] = {}  # where each indicator's `points:` stands
    inode = req(root, "indicators", problems, "framework")
    main_members: dict[str, list[str]] = {m: [] for m in mains}
    broken: set[str] = set()
    if expect_list(inode, problems, "indicators"):
        assert inode is not None
        for el in inode.elements():
            ind = _indicator(el, ctx, tolerance if tolerance is not None else 0.05, mains)
            if ind is None:
                # its points are unknown: a sum check on its main indicator would only repeat the problem
                mref = el.value.get("main") if el.is_map else None
                broken.add(str(mref))
                continue
            cnode = el.get("code")
            if claim(ind.code, cnode.loc if cnode else el.loc):
                indicators[ind.code] = ind
                pnode_i = el.get("points")
                points_at[ind.code] = pnode_i.loc if pnode_i is not None else el.loc
                if ind.main in main_members:
                    main_members[ind.main].append(ind.code)

    for mcode, (m, ploc, _cloc) in list(mains.items()):
        members = tuple(main_members[mcode])
        total = sum(indicators[c].points for c in members)
        if abs(total - m.points) > _EPS and mcode not in broken:
            parts = ", ".join(f"{c} {_fmt(indicators[c].points)} (line {points_at[c].line})" for c in members)
            problems.add(
                ploc,
                f"main indicator '{mcode}' declares {_fmt(m.points)} points but its indicators add up to "
                f"{_fmt(total)}: {parts or 'none'}; make them add up to {_fmt(m.points)}",
            )
            # the edit is usually a component's points (a main indicator's are the decision's): point at each
            for c in members:
                problems.add(
                    points_at[c],
                    f"indicator '{c}': its {_fmt(indicators[c].points)} points make main indicator '{mcode}' add "
                    f"up to {_fmt(total)}, but '{mcode}' declares {_fmt(m.points)} ({ploc}); write "
                    f"{_fmt(indicators[c].points + m.points - total)} here, or change another indicator's points",
                )
        mains[mcode] = (MainIndicator(m.code, m.name, m.name_en, m.points, m.owner, members), ploc, _cloc)

    pillars: dict[str, Composite] = {}
    pillar_nodes: dict[str, Node] = {}
    pnode_list = root.get("pillars")
    if pnode_list is not None and expect_list(pnode_list, problems, "pillars"):
        for el in pnode_list.elements():
            if not expect_map(el, problems, "pillar"):
                continue
            check_keys(el, {"code", "name", "name_en", "total", "weights", "note"}, problems, "pillar")
            cnode = req(el, "code", problems, "pillar")
            comp = _composite(el, problems, "pillar")
            if comp is None or cnode is None:
                continue
            if claim(comp.code, cnode.loc):
                pillars[comp.code] = comp
                pillar_nodes[comp.code] = el

    index_node = req(root, "index", problems, "framework")
    index: Composite | None = None
    if expect_map(index_node, problems, "index"):
        assert index_node is not None
        check_keys(index_node, {"total", "weights", "name", "name_en", "note"}, problems, "index")
        index = _composite(index_node, problems, "index", default_code=INDEX)

    # references in weights
    for pcode, comp in pillars.items():
        _check_refs(comp, pillar_nodes[pcode], mains, indicators, pillars, problems, allow_pillars=True)
    if index is not None and index_node is not None:
        _check_refs(index, index_node, mains, indicators, pillars, problems, allow_pillars=True)
    _check_cycles(pillars, pillar_nodes, problems)
    if index is not None and index_node is not None:
        _check_weighed(mains, [index_node, *pillar_nodes.values()], problems)

    if code is None or scale is None or years is None or index is None or tolerance is None:
        return None
    return Framework(
        code=code,
        name=name,
        name_en=name_en,
        scale=scale,
        years=years,
        missing_data=missing,  # type: ignore[arg-type]
        min_coverage=min_cov,
        tolerance=tolerance,
        goal=goal,
        main_indicators={k: v[0] for k, v in mains.items()},
        indicators=indicators,
        pillars=pillars,
        index=index,
        file=file,
        governs=governs,
        close_after=close_after,
        late_data=late,  # type: ignore[arg-type]
    )


_fmt = fmt_number


def _years(root: Node, problems: Problems) -> tuple[int, int] | None:
    node = req(root, "years", problems, "framework")
    if not expect_list(node, problems, "years"):
        return None
    assert node is not None
    vals = [as_int(el, problems, "year") for el in node.elements()]
    if len(vals) != 2 or None in vals:
        problems.add(node.loc, "years must be [first, last], e.g. [2022, 2030]")
        return None
    a, b = vals
    assert a is not None and b is not None
    if a > b:
        problems.add(node.loc, f"years: first year {a} is after last year {b}")
        return None
    return (a, b)


def _governs(node: Node | None, problems: Problems) -> tuple[int, int | None] | None:
    """`governs: {from: 2025}` or `{from: 2022, to: 2024}`: the assessment years the framework is in force for."""
    if node is None or not expect_map(node, problems, "governs"):
        return None
    check_keys(node, {"from", "to", "note"}, problems, "governs")
    first = as_int(req(node, "from", problems, "governs"), problems, "governs from")
    last = as_int(node.get("to"), problems, "governs to")
    if first is None:
        return None
    if last is not None and last < first:
        problems.add(node.loc, f"governs: 'to' {last} is before 'from' {first}")
        return None
    return (first, last)


def _close_after(node: Node | None, problems: Problems) -> tuple[int, int]:
    """`close_after: {month: 3, day: 31}`: the date of the following year on which an assessment year closes."""
    if node is None or not expect_map(node, problems, "close_after"):
        return (3, 31)
    check_keys(node, {"month", "day", "note"}, problems, "close_after")
    month = as_int(req(node, "month", problems, "close_after"), problems, "close_after month")
    day = as_int(req(node, "day", problems, "close_after"), problems, "close_after day")
    if month is None or day is None:
        return (3, 31)
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        problems.add(node.loc, f"close_after: month {month}, day {day} is not a date")
        return (3, 31)
    return (month, day)


def _goal(node: Node | None, problems: Problems) -> Goal | None:
    """`goal: {year: 2030, rank: 20, of: 34}`, `{year: 2025, value: 0.66}` or both, with a note."""
    if node is None or not expect_map(node, problems, "goal"):
        return None
    check_keys(node, {"year", "value", "rank", "of", "note"}, problems, "goal")
    year = as_int(req(node, "year", problems, "goal"), problems, "goal year")
    vnode = node.get("value")
    value = as_number(vnode, problems, "goal value")
    if value is not None and vnode is not None and not 0.0 <= value <= 1.0:
        problems.add(vnode.loc, "goal value is a DTI value and must lie between 0 and 1")
        return None
    rank = as_int(node.get("rank"), problems, "goal rank")
    of = as_int(node.get("of"), problems, "goal of")
    if value is None and rank is None:
        problems.add(node.loc, "a goal needs a DTI value, a rank (with 'of'), or both")
        return None
    if rank is not None and (of is None or not 1 <= rank <= of):
        problems.add(node.loc, "a goal rank needs 'of' (the number of provinces ranked) and must lie in 1..of")
        return None
    note = as_str(node.get("note"), problems, "note") or ""
    return Goal(year, value, note, rank, of) if year is not None else None


def _composite(el: Node, problems: Problems, what: str, default_code: str | None = None) -> Composite | None:
    code = as_str(el.get("code"), problems, "code") if default_code is None else default_code
    if default_code is None and el.get("code") is None:
        return None
    name = as_str(el.get("name"), problems, "name") or (code or "")
    name_en = as_str(el.get("name_en"), problems, "name_en") or ""
    tnode = req(el, "total", problems, what)
    total = as_number(tnode, problems, "total")
    wnode = req(el, "weights", problems, what)
    weights: dict[str, float] = {}
    if expect_map(wnode, problems, "weights"):
        assert wnode is not None
        for k, v in wnode.items():
            w = as_number(v, problems, f"weight of '{k}'")
            if w is None:
                continue
            if w < 0:
                problems.add(v.loc, f"weight of '{k}' cannot be negative")
                continue
            weights[str(k)] = w
    if total is not None and tnode is not None and weights and abs(sum(weights.values()) - total) > 1e-6:
        problems.add(
            tnode.loc,
            f"{what} '{code}' declares a total of {_fmt(total)} but its weights add up to "
            f"{_fmt(sum(weights.values()))}",
        )
    if code is None or total is None:
        return None
    weights = {k: w for k, w in weights.items() if w > 0}  # a part weighing 0 (smart city in 922) adds nothing
    if total <= 0 and tnode is not None:
        problems.add(tnode.loc, f"{what} '{code}' total must be positive")
        return None
    return Composite(code, name, name_en, total, weights)


def _check_refs(
    comp: Composite,
    node: Node,
    mains: dict[str, Any],
    indicators: dict[str, Indicator],
    pillars: dict[str, Composite],
    problems: Problems,
    allow_pillars: bool,
) -> None:
    wnode = node.get("weights")
    if wnode is None:
        return
    for k, _v in wnode.items():
        key = str(k)
        if key == comp.code and key in pillars:
            problems.add(
                wnode.key_loc(k),
                f"a pillar cannot include itself: remove '{key}' from the weights of pillar '{key}' and weigh its "
                f"main indicators (or other pillars) instead",
            )
            continue
        if key in mains or key in indicators or (allow_pillars and key in pillars):
            continue
        problems.add(
            wnode.key_loc(k),
            f"'{comp.code}' weighs unknown code '{key}' (not a main indicator, indicator or pillar of this framework)",
        )


def _check_weighed(
    mains: dict[str, tuple[MainIndicator, Location, Location]], composites: list[Node], problems: Problems
) -> None:
    """A main indicator that no pillar and not the index names counts nowhere: usually a forgotten weight."""
    named = {str(k) for node in composites if (w := node.get("weights")) is not None for k, _ in w.items()}
    for mcode, (_m, _ploc, cloc) in mains.items():
        if mcode not in named:
            problems.add(
                cloc,
                f"main indicator '{mcode}' is weighed by no pillar and not by the index, so its indicators count "
                f"nowhere: add it to the index's `weights:` (a weight of 0 keeps it out on purpose)",
            )


def _check_cycles(pillars: dict[str, Composite], nodes: dict[str, Node], problems: Problems) -> None:
    state: dict[str, int] = {}

    def visit(code: str, path: list[str]) -> None:
        state[code] = 1
        for ref in pillars[code].weights:
            if ref not in pillars or ref == code:  # a pillar naming itself is reported by _check_refs
                continue
            if state.get(ref) == 1:
                cycle = " -> ".join([*path[path.index(ref) :], ref]) if ref in path else f"{code} -> {ref}"
                wnode = nodes[code].get("weights")
                loc = wnode.key_loc(ref) if wnode is not None else nodes[code].loc
                problems.add(loc, f"cycle between pillars: {cycle}")
            elif state.get(ref) is None:
                visit(ref, [*path, ref])
        state[code] = 2

    for code in pillars:
        if code not in state:
            visit(code, [code])


def _indicator(
    el: Node, ctx: _Ctx, default_tol: float, mains: dict[str, tuple[MainIndicator, Location, Location]]
) -> Indicator | None:
    p = ctx.p
    if not expect_map(el, p, "indicator"):
        return None
    check_keys(el, _INDICATOR_KEYS, p, "indicator")
    code = as_str(req(el, "code", p, "indicator"), p, "code")
    what = f"indicator '{code}'" if code else "indicator"
    main_node = req(el, "main", p, what)
    main = as_str(main_node, p, "main")
    if main is not None and main_node is not None and main not in mains:
        p.add(main_node.loc, f"{what}: unknown main indicator '{main}'")
    name = as_str(req(el, "name", p, what), p, "name")
    name_en = as_str(el.get("name_en"), p, "name_en") or ""
    official = as_bool(el.get("official"), p, "official") or False
    unit = as_str(req(el, "unit", p, what), p, "unit") or "number"
    percent = unit == "percent"
    direction = as_choice(el.get("direction"), ("higher", "lower"), p, "direction") or "higher"
    levels = _levels(el.get("levels"), ctx)
    formula = _formula(req(el, "formula", p, what), ctx, percent)
    targets = _targets(req(el, "targets", p, what), ctx, percent, levels, what, direction)
    baseline = _baseline(el.get("baseline"), ctx, percent, levels)
    curve = _curve(req(el, "curve", p, what), ctx, percent, direction)
    if targets is not None:
        _check_against_targets(el, ctx, targets, baseline, curve, direction, unit)
    pnode = req(el, "points", p, what)
    points = as_number(pnode, p, "points")
    if points is not None and pnode is not None and points < 0:
        p.add(pnode.loc, "points cannot be negative")
    owner = ctx.department(req(el, "owner", p, what), "owner")
    reporting = _reporting(el.get("reporting"), p)
    tnode = el.get("tolerance")
    tol = as_quantity(tnode, True, p, "tolerance") if tnode is not None else default_tol
    if formula is not None:
        formula.check_levels(what, levels, ctx, el.get("levels") or el)
    if (
        code is None
        or main is None
        or name is None
        or formula is None
        or targets is None
        or curve is None
        or points is None
        or owner is None
        or tol is None
    ):
        return None
    return Indicator(
        code,
        main,
        name,
        name_en,
        official,
        formula,
        unit,
        direction,  # type: ignore[arg-type]
        levels,
        targets,
        baseline,
        curve,
        points,
        owner,
        reporting,
        tol,
        el.loc,
    )


def _check_against_targets(
    el: Node,
    ctx: _Ctx,
    targets: dict[str, tuple[tuple[int, float], ...]],
    baseline: Baseline | None,
    curve: Curve | None,
    direction: str,
    unit: str,
) -> None:
    """What only the targets reveal: a baseline after them, a linear floor the targets do not clear."""
    years = [y for series in targets.values() for y, _ in series]
    values = [v for series in targets.values() for _, v in series]
    if not years:
        return
    bnode = el.get("baseline")
    ynode = bnode.get("year") if bnode is not None else None
    if baseline is not None and ynode is not None and baseline.year >= min(years):
        ctx.p.add(
            ynode.loc,
            f"baseline year {baseline.year} is not before the first target year {min(years)}: the trajectory "
            f"runs from the baseline (31 December of its year) to the targets; write an earlier baseline year",
        )
    cnode = el.get("curve")
    if curve is not None and cnode is not None:
        curve.check_targets(cnode, values, direction, unit == "percent", ctx.p)


def _levels(node: Node | None, ctx: _Ctx) -> frozenset[str]:
    if node is None:
        return frozenset(ctx.tree.levels) if ctx.tree is not None else frozenset()
    if not expect_list(node, ctx.p, "levels"):
        return frozenset()
    out = {lv for el in node.elements() if (lv := ctx.level(el, "levels")) is not None}
    if not out and all(ctx.former(str(el.value)) for el in node.elements()):
        return frozenset()  # scored only at levels a reform removed: not scored under this tree
    if not out:
        ctx.p.add(node.loc, "levels must name at least one level")
    return frozenset(out)


def _formula(node: Node | None, ctx: _Ctx, percent: bool) -> Formula | None:
    p = ctx.p
    if node is None or not expect_map(node, p, "formula"):
        return None
    known = formula_keys()
    kinds = [k for k, _ in node.items() if k in FORMULAS]
    check_keys(node, {*known, "scale"}, p, "formula")
    if len(kinds) != 1:
        p.add(node.loc, f"formula must have exactly one of {', '.join(known)}")
        return None
    scale = as_number(node.get("scale"), p, "scale")
    body = node.get(kinds[0])
    assert body is not None
    return FORMULAS[kinds[0]].parse(body, ctx, 1.0 if scale is None else scale)


def _year_map(node: Node, ctx: _Ctx, percent: bool, what: str, direction: str) -> tuple[tuple[int, float], ...] | None:
    if not expect_map(node, ctx.p, what):
        return None
    out: list[tuple[int, float]] = []
    ok = True
    for k, v in node.items():
        if not isinstance(k, int) or isinstance(k, bool):
            ctx.p.add(node.key_loc(k), f"{what}: '{k}' is not a year")
            ok = False
            continue
        if ctx.years is not None and not ctx.years[0] <= k <= ctx.years[1]:
            first, last = ctx.years
            ctx.p.add(
                node.key_loc(k),
                f"{what}: {k} is outside the framework's years {first}–{last} (it would bend the targets of the "
                f"years in between); write a target for a year from {first} to {last}, or widen `years:`",
            )
            ok = False
            continue
        q = as_quantity(v, percent, ctx.p, f"{what} {k}")
        if q is None:
            ok = False
            continue
        out.append((k, q))
    if not out and ok:
        ctx.p.add(node.loc, f"{what} names no year")
        return None
    if not ok:
        return None
    series = tuple(sorted(out))
    for (y0, q0), (y1, q1) in zip(series, series[1:], strict=False):
        if (direction == "higher" and q1 < q0) or (direction == "lower" and q1 > q0):
            show = (lambda q: f"{q * 100:g}%") if percent else _fmt
            verb, bound = ("rise", "at least") if direction == "higher" else ("fall", "at most")
            ctx.p.add(
                node.key_loc(y1),
                f"{what} {y1}: {show(q1)} goes back from {show(q0)} in {y0} on a {direction}-is-better indicator; "
                f"targets may stay level or {verb}: write {bound} {show(q0)}",
            )
            return None
    return series


def _targets(
    node: Node | None, ctx: _Ctx, percent: bool, levels: frozenset[str], what: str, direction: str
) -> dict[str, tuple[tuple[int, float], ...]] | None:
    if node is None or not expect_map(node, ctx.p, "targets"):
        return None
    keys = [k for k, _ in node.items()]
    if keys and all(isinstance(k, int) and not isinstance(k, bool) for k in keys):
        series = _year_map(node, ctx, percent, "target", direction)
        return None if series is None else {lv: series for lv in levels}
    out: dict[str, tuple[tuple[int, float], ...]] = {}
    ok = True
    for k, v in node.items():
        lv = str(k)
        if ctx.former(lv):
            continue
        if ctx.tree is not None and lv not in ctx.tree.levels:
            ctx.p.add(node.key_loc(k), f"targets: '{k}' is neither a year nor a level ({', '.join(ctx.tree.levels)})")
            ok = False
            continue
        if levels and lv not in levels:
            ctx.p.add(
                node.key_loc(k),
                f"{what}: a target for '{lv}', where it is not scored (levels: {', '.join(sorted(levels))}); "
                f"add '{lv}' to `levels:` or remove this target",
            )
            ok = False
            continue
        series = _year_map(v, ctx, percent, f"target for {lv}", direction)
        if series is None:
            ok = False
            continue
        out[lv] = series
    with_units = ctx.tree.levels_with_units() if ctx.tree is not None else set(levels)
    for lv in sorted(levels & with_units):
        if lv not in out and ok:
            ctx.p.add(
                node.loc, f"{what}: no target for level '{lv}', which has units and where the indicator is scored"
            )
            ok = False
    return out if ok else None


def _baseline(node: Node | None, ctx: _Ctx, percent: bool, levels: frozenset[str]) -> Baseline | None:
    if node is None or not expect_map(node, ctx.p, "baseline"):
        return None
    check_keys(node, {"year", "value", "note", "source"}, ctx.p, "baseline")
    year = as_int(req(node, "year", ctx.p, "baseline"), ctx.p, "baseline year")
    vnode = req(node, "value", ctx.p, "baseline")
    if vnode is None or year is None:
        return None
    by_level: dict[str, float] = {}
    if vnode.is_map:
        for k, v in vnode.items():
            if ctx.former(str(k)):
                continue
            lv = ctx.level(Node(str(k), vnode.key_loc(k)), "baseline level")
            q = as_quantity(v, percent, ctx.p, f"baseline for {k}")
            if lv is not None and q is not None:
                by_level[lv] = q
    else:
        q = as_quantity(vnode, percent, ctx.p, "baseline value")
        if q is None:
            return None
        by_level = dict.fromkeys(levels, q)
    return Baseline(year, by_level)


def _curve(node: Node | None, ctx: _Ctx, percent: bool, direction: str = "higher") -> Curve | None:
    p = ctx.p
    if node is None or not expect_map(node, p, "curve"):
        return None
    tnode = req(node, "type", p, "curve")
    ctype = as_str(tnode, p, "curve type")
    if ctype is None or tnode is None:
        return None
    kind = CURVES.get(ctype)
    if kind is None:
        p.add(tnode.loc, f"unknown curve type '{ctype}' (known: {', '.join(sorted(CURVES))})")
        return None
    return kind.parse(node, p, percent, direction)


def _reporting(node: Node | None, p: Problems) -> Reporting:
    if node is None or not expect_map(node, p, "reporting"):
        return Reporting("continuous", 0)
    check_keys(node, {"frequency", "deadline_days"}, p, "reporting")
    freq = (
        as_choice(
            req(node, "frequency", p, "reporting"), ("continuous", "monthly", "quarterly", "yearly"), p, "frequency"
        )
        or "continuous"
    )
    days = as_int(node.get("deadline_days"), p, "deadline_days")
    return Reporting(freq, days or 0)  # type: ignore[arg-type]
