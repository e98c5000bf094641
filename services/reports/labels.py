"""Vietnamese words for what the engine reports in English codes, and names for the codes of the rules.

Officials read names: every department, metric and indicator is shown by its name, the code (when shown at
all) only after it as secondary text.
"""

from __future__ import annotations

from shared.rules import Catalog, RuleSet
from shared.scoring import reason_halves

STATUS_VI = {
    "met": "Đạt",
    "below_target": "Chưa đạt",
    "no_data": "Chưa có số liệu",
    "complete": "Đủ số liệu",
    "partial": "Thiếu một phần số liệu",
    "not_applicable": "Không áp dụng",
    "not_scored": "Không chấm điểm",
    "on_track": "Đúng lộ trình",
    "at_risk": "Có nguy cơ chậm",
    "off_track": "Chậm lộ trình",
}
LEVEL_VI = {"province": "Tỉnh", "district": "Huyện", "commune": "Xã, phường"}
FREQUENCY_VI = {"continuous": "liên tục", "monthly": "hằng tháng", "quarterly": "hằng quý", "yearly": "hằng năm"}
UNIT_VI = {"percent": "%", "count": "", "yes/no": "có/không"}


def status_vi(status: str | None) -> str:
    return "" if status is None else STATUS_VI.get(status, status)


def department_name(rules: RuleSet, code: str | None) -> str:
    if not code:
        return ""
    dep = rules.catalog.departments.get(code)
    return dep.name if dep else code


def unit_name(rules: RuleSet, code: str) -> str:
    i = rules.org_tree.by_code.get(code)
    return rules.org_tree.units[i].name if i is not None else code


def reason_vi(reason: str | None, catalog: Catalog) -> str:
    """The Vietnamese half of a reason, with names."""
    halves = reason_halves(reason, catalog)
    return halves[0] if halves else ""
