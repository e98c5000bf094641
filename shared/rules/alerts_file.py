"""Parse and validate `alerts.yaml` (kind: alerts), reporting every problem at FILE:LINE:COL.

References are checked against the rule set in force when it is known (departments from the catalogue,
levels from the org-unit file, framework and indicator codes from the framework files), so a typo in an
indicator code is caught by `dti rules check` instead of silently matching nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

from shared.rules.alert_model import (
    GROUPABLE_LABELS,
    KINDS,
    OWNER,
    RESERVED_LABELS,
    RULE_GROUP_LABELS,
    SEVERITIES,
    AlertRule,
    AlertRules,
    AlertSettings,
    AlertSource,
    BelowTarget,
    GoalAtRisk,
    Hold,
    Kind,
    OffTrajectory,
    Params,
    Selector,
    SourceSilent,
    Stale,
    SuddenDrop,
)
from shared.rules.durations import parse_duration
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
    type_name,
)
from shared.rules.model import Catalog, Framework, OrgTree
from shared.rules.problems import Location, Problems
from shared.rules.source import Node

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_LABEL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ROOT_KEYS = {"kind", "settings", "rules", "sources", "note"}
_SETTINGS_KEYS = {"repeat_interval", "group_by", "copy_dti_department", "keep_resolved"}
_RULE_KEYS = {
    "name",
    "kind",
    "severity",
    "for",
    "keep_firing_for",
    "receiver",
    "match",
    "params",
    "labels",
    "annotations",
    "group_by",
    "note",
}
_PARAM_KEYS: dict[str, set[str]] = {
    "below_target": {"margin"},
    "off_trajectory": {"tolerance"},
    "stale": {"max_age", "reports", "peers"},
    "source_silent": {"silence"},
    "sudden_drop": {"drop", "window", "measure"},
    "goal_at_risk": {"baseline", "tolerance", "min_coverage"},
}
# annotations the core writes on every alert (see shared/alerts/messages.py); a rule may add others
CORE_ANNOTATIONS = frozenset(
    {"summary", "summary_vi", "summary_en", "description", "link", "value", "target", "gap", "owner", "rules_version"}
)


class _Ctx:
    """The rule set around the alerts file; any part may be missing when a file is checked on its own."""

    def __init__(
        self,
        problems: Problems,
        catalog: Catalog | None,
        tree: OrgTree | None,
        frameworks: Mapping[str, Framework] | None,
    ) -> None:
        self.p = problems
        self.catalog = catalog
        self.tree = tree
        self.frameworks = frameworks


def parse_alerts(
    root: Node,
    problems: Problems,
    catalog: Catalog | None,
    tree: OrgTree | None,
    frameworks: Mapping[str, Framework] | None,
    file: str,
) -> AlertRules | None:
    """The alerts file as typed rules, or None when it has problems (all of them added to `problems`)."""
    ctx = _Ctx(problems, catalog, tree, frameworks)
    before = len(problems.items)
    check_keys(root, _ROOT_KEYS, problems, "alerts")
    settings = _settings(root.get("settings"), ctx)
    sources = _sources(root.get("sources"), ctx)
    rules: list[AlertRule] = []
    seen: dict[str, Location] = {}
    rnode = req(root, "rules", problems, "alerts")
    if expect_list(rnode, problems, "rules"):
        assert rnode is not None
        for el in rnode.elements():
            rule = _rule(el, ctx, seen)
            if rule is not None:
                rules.append(rule)
    if len(problems.items) > before:
        return None
    return AlertRules(settings, tuple(rules), file, sources)


def _sources(node: Node | None, ctx: _Ctx) -> dict[str, AlertSource]:
    """`sources:`: code -> {name, name_en, owner, silence}; codes are the catalogue's sources."""
    out: dict[str, AlertSource] = {}
    if node is None or not expect_map(node, ctx.p, "sources"):
        return out
    for key, body in node.items():
        code = str(key)
        if ctx.catalog is not None and code not in ctx.catalog.sources:
            known = ", ".join(sorted(ctx.catalog.sources))
            ctx.p.add(node.key_loc(key), f"sources: unknown source '{code}' (the catalogue's sources: {known})")
            continue
        if not expect_map(body, ctx.p, f"source '{code}'"):
            continue
        check_keys(body, {"name", "name_en", "owner", "silence", "note"}, ctx.p, f"source '{code}'")
        name = as_str(req(body, "name", ctx.p, f"source '{code}'"), ctx.p, "name")
        name_en = as_str(body.get("name_en"), ctx.p, "name_en")
        onode = req(body, "owner", ctx.p, f"source '{code}'")
        owner = as_str(onode, ctx.p, "owner")
        if owner is not None and onode is not None and ctx.catalog is not None and owner not in ctx.catalog.departments:
            ctx.p.add(onode.loc, f"source '{code}': unknown department '{owner}'")
            continue
        silence = _duration(body.get("silence"), ctx.p, "silence", positive=True)
        if name is None or owner is None:
            continue
        out[code] = AlertSource(code, name, name_en or name, owner, silence)
    return out


def _rule_group_by(node: Node | None, p: Problems) -> tuple[str, ...] | None:
    if node is None or not expect_list(node, p, "group_by"):
        return None
    names: list[str] = []
    for el in node.elements():
        name = as_str(el, p, "group_by label")
        if name is None:
            continue
        if name not in RULE_GROUP_LABELS:
            p.add(
                el.loc, f"group_by: cannot group a rule's alerts on '{name}' (allowed: {', '.join(RULE_GROUP_LABELS)})"
            )
            continue
        if name not in names:
            names.append(name)
    return tuple(names)


# ---------------------------------------------------------------- settings
def _settings(node: Node | None, ctx: _Ctx) -> AlertSettings:
    defaults = AlertSettings()
    if node is None or not expect_map(node, ctx.p, "settings"):
        return defaults
    check_keys(node, _SETTINGS_KEYS, ctx.p, "settings")
    repeat = _duration(node.get("repeat_interval"), ctx.p, "repeat_interval", positive=True)
    keep = _duration(node.get("keep_resolved"), ctx.p, "keep_resolved")
    copy = as_bool(node.get("copy_dti_department"), ctx.p, "copy_dti_department")
    group_by: tuple[str, ...] = ()
    gnode = node.get("group_by")
    if gnode is not None and expect_list(gnode, ctx.p, "group_by"):
        names: list[str] = []
        for el in gnode.elements():
            name = as_str(el, ctx.p, "group_by label")
            if name is None or name == "receiver":  # the receiver is always grouped on
                continue
            if name not in GROUPABLE_LABELS:
                ctx.p.add(
                    el.loc, f"group_by: cannot group on '{name}' (allowed: receiver, {', '.join(GROUPABLE_LABELS)})"
                )
                continue
            if name not in names:
                names.append(name)
        group_by = tuple(names)
    return AlertSettings(
        repeat_interval=repeat if repeat is not None else defaults.repeat_interval,
        group_by=group_by,
        copy_dti_department=copy if copy is not None else defaults.copy_dti_department,
        keep_resolved=keep if keep is not None else defaults.keep_resolved,
    )


def _duration(node: Node | None, p: Problems, what: str, positive: bool = False) -> timedelta | None:
    if node is None:
        return None
    if not isinstance(node.value, str):
        p.add(
            node.loc,
            f"{what} must be a duration such as 30m, 12h, 1d or 2w, got {type_name(node.value)} {node.value!r}",
        )
        return None
    d = parse_duration(node.value)
    if d is None:
        p.add(node.loc, f"{what}: {node.value!r} is not a duration (write e.g. 30m, 12h, 1d, 1d12h or 2w)")
        return None
    if positive and d <= timedelta(0):
        p.add(node.loc, f"{what} must be longer than 0")
        return None
    return d


def _hold(node: Node | None, p: Problems, what: str) -> Hold | None:
    """`for: 3` (consecutive evaluations) or `for: 2h` (a duration)."""
    if node is None:
        return Hold()
    v = node.value
    if isinstance(v, int) and not isinstance(v, bool):
        if v < 1:
            p.add(node.loc, f"{what}: a number of evaluations must be at least 1, got {v}")
            return None
        return Hold(evaluations=v)
    if isinstance(v, str):
        d = _duration(node, p, what)
        return None if d is None else Hold(duration=d)
    p.add(node.loc, f"{what} must be a number of evaluations (e.g. 3) or a duration (e.g. 2h), got {type_name(v)}")
    return None


# ---------------------------------------------------------------- rules
def _rule(el: Node, ctx: _Ctx, seen: dict[str, Location]) -> AlertRule | None:
    p = ctx.p
    if not expect_map(el, p, "alert rule"):
        return None
    before = len(p.items)
    check_keys(el, _RULE_KEYS, p, "alert rule")
    name_node = req(el, "name", p, "alert rule")
    name = as_str(name_node, p, "name")
    if name is not None and name_node is not None:
        if not _NAME_RE.match(name):
            p.add(name_node.loc, f"rule name {name!r} may hold only letters, digits, '_', '.' and '-'")
        elif name in seen:
            p.add(name_node.loc, f"duplicate rule name '{name}' (first defined at {seen[name]})")
        else:
            seen[name] = name_node.loc
    what = f"alert rule '{name}'" if name else "alert rule"
    knode = req(el, "kind", p, what)
    kind = as_choice(knode, KINDS, p, "kind")
    severity = as_choice(el.get("severity"), SEVERITIES, p, "severity") or "warning"
    hold = _hold(el.get("for"), p, "for")
    keep = _hold(el.get("keep_firing_for"), p, "keep_firing_for")
    receiver = _receiver(el.get("receiver"), ctx)
    select = _selector(el.get("match"), ctx, kind, what)
    params = _params(el.get("params"), ctx, kind, what, el.loc) if kind is not None else None
    labels = _string_map(el.get("labels"), p, "labels", RESERVED_LABELS)
    annotations = _string_map(el.get("annotations"), p, "annotations", CORE_ANNOTATIONS)
    group_by = _rule_group_by(el.get("group_by"), p)
    if kind == "goal_at_risk" and knode is not None:
        _check_goal(el, ctx, select, knode.loc)
    if len(p.items) > before or name is None or kind is None or params is None or hold is None or keep is None:
        return None
    return AlertRule(
        name=name,
        kind=kind,  # type: ignore[arg-type]  # as_choice checked it against KINDS
        params=params,
        severity=severity,  # type: ignore[arg-type]
        hold=hold,
        keep=keep,
        receiver=receiver or OWNER,
        select=select,
        labels=labels,
        annotations=annotations,
        loc=el.loc,
        group_by=group_by,
    )


def _receiver(node: Node | None, ctx: _Ctx) -> str | None:
    name = as_str(node, ctx.p, "receiver")
    if name is None or node is None or name == OWNER:
        return name
    if ctx.catalog is not None and name not in ctx.catalog.departments:
        ctx.p.add(
            node.loc, f"receiver: unknown department '{name}' (or write '{OWNER}' to route to the indicator's owner)"
        )
    return name


def _string_map(node: Node | None, p: Problems, what: str, reserved: frozenset[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    if node is None or not expect_map(node, p, what):
        return out
    for key, vnode in node.items():
        k = str(key)
        if not _LABEL_RE.match(k):
            p.add(node.key_loc(key), f"{what}: {k!r} is not a valid name (letters, digits and '_')")
            continue
        if k in reserved:
            p.add(node.key_loc(key), f"{what}: '{k}' is set by the alerts core and cannot be overridden")
            continue
        v = as_str(vnode, p, f"{what}.{k}")
        if v is not None:
            out[k] = v
    return out


# ---------------------------------------------------------------- selectors
def _codes(node: Node | None, p: Problems, what: str) -> list[tuple[str, Location]] | None:
    if node is None:
        return None
    if not expect_list(node, p, what):
        return []
    out = [(c, el.loc) for el in node.elements() if (c := as_str(el, p, what)) is not None]
    if not out:
        p.add(node.loc, f"{what} must name at least one code (leave it out to mean all)")
    return out


def _selector(node: Node | None, ctx: _Ctx, kind: str | None, what: str) -> Selector:
    p = ctx.p
    if node is None or not expect_map(node, p, "match"):
        return Selector()
    check_keys(node, {"frameworks", "levels", "indicators", "owners"}, p, "match")
    fws = _codes(node.get("frameworks"), p, "frameworks")
    levels = _codes(node.get("levels"), p, "levels")
    inds = _codes(node.get("indicators"), p, "indicators")
    owners = _codes(node.get("owners"), p, "owners")
    if fws is not None and ctx.frameworks is not None:
        for code, loc in fws:
            if code not in ctx.frameworks:
                p.add(loc, f"match: unknown framework '{code}' (known: {', '.join(sorted(ctx.frameworks))})")
    if levels is not None and ctx.tree is not None:
        for lv, loc in levels:
            if lv not in ctx.tree.levels:
                p.add(loc, f"match: unknown level '{lv}' (levels: {', '.join(ctx.tree.levels)})")
    if owners is not None and ctx.catalog is not None:
        for dep, loc in owners:
            if dep not in ctx.catalog.departments:
                p.add(loc, f"match: unknown department '{dep}'")
    if kind == "goal_at_risk":
        for key, got in (("indicators", inds), ("owners", owners)):
            if got is not None:
                p.add(node.key_loc(key), f"{what}: '{key}' does not apply to goal_at_risk, which watches the index")
    elif inds is not None and ctx.frameworks is not None:
        in_scope = [fw for code, fw in ctx.frameworks.items() if fws is None or code in {c for c, _ in fws}]
        for code, loc in inds:
            if not any(code in fw.indicators for fw in in_scope):
                names = ", ".join(sorted(fw.code for fw in in_scope)) or "none"
                p.add(loc, f"match: unknown indicator '{code}' (not in framework(s): {names})")
    return Selector(
        frameworks=_frozen(fws),
        levels=_frozen(levels),
        indicators=_frozen(inds),
        owners=_frozen(owners),
    )


def _frozen(codes: list[tuple[str, Location]] | None) -> frozenset[str] | None:
    return None if codes is None else frozenset(c for c, _ in codes)


def _check_goal(el: Node, ctx: _Ctx, select: Selector, kind_loc: Location) -> None:
    if ctx.frameworks is None:
        return
    chosen = [fw for code, fw in ctx.frameworks.items() if select.takes_framework(code)]
    if chosen and not any(fw.goal is not None for fw in chosen):
        names = ", ".join(sorted(fw.code for fw in chosen))
        ctx.p.add(kind_loc, f"goal_at_risk: no selected framework declares a 'goal' ({names})")
        return
    mnode = el.get("match")
    fnode = mnode.get("frameworks") if mnode is not None else None
    if fnode is None or not fnode.is_list:
        return
    for fel in fnode.elements():
        fw = ctx.frameworks.get(str(fel.value))
        if fw is not None and fw.goal is None:
            ctx.p.add(fel.loc, f"goal_at_risk: framework '{fw.code}' declares no 'goal'")


# ---------------------------------------------------------------- params
def _params(node: Node | None, ctx: _Ctx, kind: str, what: str, rule_loc: Location) -> Params | None:
    p = ctx.p
    if node is not None and not expect_map(node, p, "params"):
        return None
    body = node if node is not None else Node({}, rule_loc)
    if node is not None:
        check_keys(node, _PARAM_KEYS[kind], p, f"{kind} params")
    k: Kind = kind  # type: ignore[assignment]
    if k == "below_target":
        margin = _share(body.get("margin"), p, "margin")
        return BelowTarget(margin or 0.0)
    if k == "off_trajectory":
        return OffTrajectory(_share(body.get("tolerance"), p, "tolerance"))
    if k == "stale":
        reports = as_choice(body.get("reports"), ("all", "periodic", "continuous"), p, "reports") or "all"
        peers = _share(body.get("peers"), p, "peers")
        return Stale(
            _duration(body.get("max_age"), p, "max_age", positive=True),
            reports,  # type: ignore[arg-type]  # as_choice checked it
            0.5 if peers is None else peers,
        )
    if k == "source_silent":
        silence = _duration(body.get("silence"), p, "silence", positive=True)
        return SourceSilent() if silence is None else SourceSilent(silence)
    if k == "sudden_drop":
        if node is None:
            p.add(rule_loc, f"{what}: sudden_drop needs params, e.g. {{drop: 20%, window: 7d}}")
            return None
        drop_node = req(node, "drop", p, f"{what} params")
        win_node = req(node, "window", p, f"{what} params")
        drop = _share(drop_node, p, "drop")
        if drop is not None and drop_node is not None and drop <= 0:
            p.add(drop_node.loc, "drop must be more than 0%")
            drop = None
        window = _duration(win_node, p, "window", positive=True)
        measure = as_choice(body.get("measure"), ("value", "score"), p, "measure") or "value"
        if drop is None or window is None:
            return None
        return SuddenDrop(drop, window, measure)  # type: ignore[arg-type]
    baseline = _goal_baseline(body.get("baseline"), p)
    tolerance = _share(body.get("tolerance"), p, "tolerance")
    coverage = _share(body.get("min_coverage"), p, "min_coverage")
    return GoalAtRisk(baseline, tolerance or 0.0, coverage or 0.0)


def _share(node: Node | None, p: Problems, what: str) -> float | None:
    """A relative amount, written with a percent sign (`5%`) like every percentage in the rules files."""
    return as_quantity(node, True, p, what)


def _goal_baseline(node: Node | None, p: Problems) -> tuple[int, float] | None:
    if node is None or not expect_map(node, p, "baseline"):
        return None
    check_keys(node, {"year", "value", "note"}, p, "baseline")
    year = as_int(req(node, "year", p, "baseline"), p, "baseline year")
    vnode = req(node, "value", p, "baseline")
    value = as_number(vnode, p, "baseline value")
    if value is not None and vnode is not None and not 0.0 <= value <= 1.0:
        p.add(vnode.loc, "baseline value is a DTI value and must lie between 0 and 1")
        return None
    return None if year is None or value is None else (year, value)
