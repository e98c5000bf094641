"""Parse the catalogue: departments, metrics (the public event vocabulary) and source permissions."""

from __future__ import annotations

from shared.rules.fields import as_choice, as_str, check_keys, expect_list, expect_map, req
from shared.rules.model import Catalog, Department, Metric
from shared.rules.problems import Location, Problems
from shared.rules.source import Node


def parse_catalog(root: Node, problems: Problems) -> Catalog | None:
    check_keys(root, {"kind", "dti_department", "departments", "metrics", "sources", "note"}, problems, "catalog")
    departments: dict[str, Department] = {}
    dep_node = req(root, "departments", problems, "catalog")
    if expect_list(dep_node, problems, "departments"):
        assert dep_node is not None
        for el in dep_node.elements():
            if not expect_map(el, problems, "department"):
                continue
            check_keys(el, {"code", "name", "name_en", "email", "webhook"}, problems, "department")
            code = as_str(req(el, "code", problems, "department"), problems, "code")
            name = as_str(req(el, "name", problems, "department"), problems, "name")
            name_en = as_str(el.get("name_en"), problems, "name_en") or ""
            if code is None or name is None:
                continue
            if code in departments:
                problems.add(el.loc, f"duplicate department code '{code}'")
                continue
            email = as_str(el.get("email"), problems, "email")
            webhook = as_str(el.get("webhook"), problems, "webhook")
            departments[code] = Department(code, name, name_en, email, webhook)

    metrics: dict[str, Metric] = {}
    seen: dict[str, Location] = {}
    met_node = req(root, "metrics", problems, "catalog")
    if expect_list(met_node, problems, "metrics"):
        assert met_node is not None
        for el in met_node.elements():
            if not expect_map(el, problems, "metric"):
                continue
            check_keys(el, {"code", "type", "unit", "name", "name_en", "rollup", "note"}, problems, "metric")
            code_node = req(el, "code", problems, "metric")
            code = as_str(code_node, problems, "code")
            mtype = as_choice(req(el, "type", problems, "metric"), ("counter", "gauge"), problems, "type")
            unit = as_str(req(el, "unit", problems, "metric"), problems, "unit")
            name = as_str(req(el, "name", problems, "metric"), problems, "name")
            name_en = as_str(el.get("name_en"), problems, "name_en") or ""
            rollup = as_choice(el.get("rollup"), ("sum", "none"), problems, "rollup") or "sum"
            if code is None or code_node is None or mtype is None or unit is None or name is None:
                continue
            if code in seen:
                problems.add(code_node.loc, f"duplicate metric code '{code}' (first defined at {seen[code]})")
                continue
            seen[code] = code_node.loc
            metrics[code] = Metric(code, mtype, unit, name, name_en, rollup)  # type: ignore[arg-type]

    sources: dict[str, frozenset[str]] = {}
    src_node = req(root, "sources", problems, "catalog")
    if expect_map(src_node, problems, "sources"):
        assert src_node is not None
        for source, lst in src_node.items():
            if not expect_list(lst, problems, f"sources.{source}"):
                continue
            allowed: set[str] = set()
            for el in lst.elements():
                m = as_str(el, problems, "metric code")
                if m is None:
                    continue
                if m not in metrics:
                    problems.add(el.loc, f"source '{source}' lists unknown metric '{m}'")
                allowed.add(m)
            sources[str(source)] = frozenset(allowed)

    dti_dep_node = req(root, "dti_department", problems, "catalog")
    dti_dep = as_str(dti_dep_node, problems, "dti_department")
    if dti_dep is not None and dti_dep_node is not None and departments and dti_dep not in departments:
        problems.add(dti_dep_node.loc, f"unknown department '{dti_dep}'")
    if dti_dep is None:
        return None
    return Catalog(dti_dep, departments, metrics, sources)
