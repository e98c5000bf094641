"""Codes of the former administrative tree (before the 2025 reform) mapped to the units in force.

Systems still sending a pre-reform code (`LC.TAMDUONG.BINHLU`) are not refused: the event counts for the unit
that commune became part of (`LC.BINHLU`, rules: `formed_from`), whatever its date, so the 2025 assessment
counts the whole year on the new units and a unit's trend crosses the reform. A former unit that became part
of no single unit (a district, abolished) cannot be mapped and is refused, naming the field.
"""

from __future__ import annotations

from shared.rules.model import RuleSet


def unit_in_force(rules: RuleSet, code: str) -> str | None:
    """The code in force for `code`: itself when the tree in force has it, its new unit when a unit in force
    was formed from it, else None (unknown, or abolished without a successor)."""
    if code in rules.org_tree.by_code:
        return code
    return (rules.crosswalk or {}).get(code)


def abolished(rules: RuleSet, code: str) -> tuple[str, str] | None:
    """(vi, en) when `code` is a unit of the former tree that maps to no unit in force; None otherwise."""
    former = rules.former_org_tree
    if former is None or code not in former.by_code or unit_in_force(rules, code) is not None:
        return None
    unit = former.unit(code)
    since = rules.org_units_from or "the reform"
    return (
        f"đơn vị '{code}' ({unit.name}) không còn từ {since} và không thuộc đơn vị nào hiện nay; "
        "hãy gửi theo mã đơn vị mới (GET /v1/org-units)",
        f"org unit '{code}' ({unit.name}) was abolished on {since} and maps to no unit in force; "
        "send the new unit's code (GET /v1/org-units)",
    )
