"""Parse an org-unit file: the administrative tree is data, so the 2025 reform is another file, not code."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.rules.fields import as_number, as_str, check_keys, expect_list, expect_map, req
from shared.rules.model import OrgTree, OrgUnit
from shared.rules.problems import Location, Problems
from shared.rules.source import Node

_UNIT_KEYS = {
    "code",
    "name",
    "level",
    "population",
    "households",
    "children",
    "name_en",
    "note",
    "formed_from",
    "partly_from",
}


@dataclass(slots=True)
class _Raw:
    code: str
    name: str
    level: str
    parent: int | None
    population: float | None
    households: float | None
    loc: Location
    children: list[int]
    formed_from: list[tuple[str, Location]] = field(default_factory=list)


def parse_org_units(root: Node, problems: Problems) -> OrgTree | None:
    check_keys(root, {"kind", "name", "levels", "former_levels", "units", "note"}, problems, "org-unit file")
    name = as_str(root.get("name"), problems, "name") or "org units"
    levels_node = req(root, "levels", problems, "org-unit file")
    levels: list[str] = []
    if expect_list(levels_node, problems, "levels"):
        assert levels_node is not None
        for el in levels_node.elements():
            lv = as_str(el, problems, "level")
            if lv is None:
                continue
            if lv in levels:
                problems.add(el.loc, f"level '{lv}' is listed twice")
            levels.append(lv)
    former: list[str] = []
    former_node = root.get("former_levels")
    if former_node is not None and expect_list(former_node, problems, "former_levels"):
        for el in former_node.elements():
            lv = as_str(el, problems, "former level")
            if lv is not None and lv in levels:
                problems.add(el.loc, f"level '{lv}' cannot be both current and former")
            elif lv is not None:
                former.append(lv)
    units_node = req(root, "units", problems, "org-unit file")
    raws: list[_Raw] = []
    seen: dict[str, Location] = {}

    def walk(node: Node, parent: int | None) -> None:
        if not expect_list(node, problems, "units/children"):
            return
        for el in node.elements():
            if not expect_map(el, problems, "org unit"):
                continue
            check_keys(el, _UNIT_KEYS, problems, "org unit")
            code_node = req(el, "code", problems, "org unit")
            code = as_str(code_node, problems, "code")
            uname = as_str(req(el, "name", problems, "org unit"), problems, "name")
            level_node = req(el, "level", problems, "org unit")
            level = as_str(level_node, problems, "level")
            if code is None or code_node is None or uname is None or level is None or level_node is None:
                continue
            if code in seen:
                problems.add(code_node.loc, f"duplicate org unit code '{code}' (first defined at {seen[code]})")
                continue
            seen[code] = el.loc
            if level not in levels:
                problems.add(level_node.loc, f"unknown level '{level}' (levels: {', '.join(levels)})")
                continue
            if parent is None and raws and raws[0].parent is None:
                first = raws[0]
                problems.add(
                    code_node.loc,
                    f"unit '{code}' stands at the top of the tree beside '{first.code}' ({first.loc}): the tree has "
                    f"one top unit; move '{code}' into the `children:` of its parent",
                )
                continue
            if parent is None and level != levels[0]:
                problems.add(
                    level_node.loc,
                    f"unit '{code}' at level '{level}' has no parent: only a '{levels[0]}' can stand at the top; "
                    f"move it into the `children:` of its parent",
                )
                continue
            if parent is not None and levels.index(level) <= levels.index(raws[parent].level):
                problems.add(
                    level_node.loc,
                    f"unit '{code}' at level '{level}' cannot sit under '{raws[parent].code}' "
                    f"at level '{raws[parent].level}'",
                )
            pop = _positive(el.get("population"), problems, "population")
            hh = _positive(el.get("households"), problems, "households")
            idx = len(raws)
            raws.append(_Raw(code, uname, level, parent, pop, hh, el.loc, [], _codes(el, "formed_from", problems)))
            _codes(el, "partly_from", problems)  # split units whose rest counts elsewhere: documentation only
            if parent is not None:
                raws[parent].children.append(idx)
            kids = el.get("children")
            if kids is not None:
                walk(kids, idx)

    if units_node is not None:
        walk(units_node, None)
    if not raws:
        if units_node is not None:
            problems.add(units_node.loc, "the org-unit file declares no units")
        return None
    return _build(name, tuple(levels), raws, tuple(former))


def _codes(el: Node, key: str, problems: Problems) -> list[tuple[str, Location]]:
    node = el.get(key)
    if node is None or not expect_list(node, problems, key):
        return []
    out = []
    for item in node.elements():
        code = as_str(item, problems, f"{key} code")
        if code is not None:
            out.append((code, item.loc))
    return out


def _positive(node: Node | None, problems: Problems, what: str) -> float | None:
    v = as_number(node, problems, what)
    if v is not None and v < 0 and node is not None:
        problems.add(node.loc, f"{what} cannot be negative")
        return None
    return v


def _build(name: str, levels: tuple[str, ...], raws: list[_Raw], former: tuple[str, ...]) -> OrgTree:
    # Sum population/households bottom-up where a unit does not declare its own (children come after parents).
    pop: list[float | None] = [r.population for r in raws]
    hh: list[float | None] = [r.households for r in raws]
    for i in range(len(raws) - 1, -1, -1):
        r = raws[i]
        if r.children:
            if pop[i] is None and all(pop[c] is not None for c in r.children):
                pop[i] = sum(pop[c] or 0.0 for c in r.children)
            if hh[i] is None and all(hh[c] is not None for c in r.children):
                hh[i] = sum(hh[c] or 0.0 for c in r.children)
    ancestors: list[tuple[int, ...]] = []
    for r in raws:
        ancestors.append(() if r.parent is None else (r.parent, *ancestors[r.parent]))
    below: dict[tuple[int, str], int] = {}
    for i, r in enumerate(raws):
        for a in ancestors[i]:
            below[(a, r.level)] = below.get((a, r.level), 0) + 1
    units = tuple(
        OrgUnit(
            r.code,
            r.name,
            r.level,
            i,
            r.parent,
            ancestors[i],
            tuple(r.children),
            pop[i],
            hh[i],
            r.loc,
            tuple(c for c, _ in r.formed_from),
        )
        for i, r in enumerate(raws)
    )
    locs = tuple((r.code, c, loc) for r in raws for c, loc in r.formed_from)
    return OrgTree(name, levels, units, {u.code: u.index for u in units}, below, former, locs)


def build_crosswalk(tree: OrgTree, former: OrgTree, problems: Problems) -> dict[str, str]:
    """Old code -> code in force, from the units' `formed_from`. Every old code must be a unit of the former
    tree and claimed by one unit only: an old commune split between several new ones is listed (in
    `formed_from`) by the one its data counts for, and may be named in the others' `partly_from`."""
    out: dict[str, str] = {}
    where: dict[str, Location] = {}
    for new, old, loc in tree.formed_from_locs:
        if old not in former.by_code:
            problems.add(loc, f"formed_from names '{old}', which is not a unit of the former tree ({former.name})")
            continue
        if old in out and out[old] != new:
            problems.add(
                loc, f"old unit '{old}' is claimed by '{out[old]}' (at {where[old]}) and by '{new}': list it once"
            )
            continue
        out[old], where[old] = new, loc
    return out
