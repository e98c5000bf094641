"""Org units and rules: what every service answers (ingest, scoring, alerts and `dti up`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from services.common.auth import AdminDep
from services.common.backend import RulesBackend, rules_backend
from services.common.errors import fail
from shared.rules import catalog_view

router = APIRouter(tags=["rules"])
RulesDep = Annotated[RulesBackend, Depends(rules_backend)]


@router.get("/v1/org-units")
def get_org_units(b: RulesDep) -> dict[str, Any]:
    rules = b.rules.current
    t = rules.org_tree
    return {
        "name": t.name,
        "levels": list(t.levels),
        "rules_version": rules.version,
        "units": [
            {
                "code": u.code,
                "name": u.name,
                "level": u.level,
                "parent": None if u.parent is None else t.units[u.parent].code,
                "population": u.population,
                "households": u.households,
            }
            for u in t.units
        ],
    }


@router.get("/v1/catalog")
def get_catalog(b: RulesDep) -> dict[str, Any]:
    """Metrics (names in Vietnamese and English, unit, kind, levels), sources, and which source may send which
    metric: what a key may send, from rules/catalog.yaml as loaded."""
    return catalog_view(b.rules.current)


@router.get("/v1/rules")
def get_rules(b: RulesDep) -> dict[str, Any]:
    """The rules version and files in force, and why the last edit was refused if it was."""
    st = b.rules
    r = st.current
    return {
        "version": r.version,
        "loaded_at": datetime.fromtimestamp(st.loaded_at).astimezone().isoformat(),
        "files": [{"path": p, "sha256": h} for p, h in r.files],
        "frameworks": [
            {
                "code": f.code,
                "name": f.name,
                "name_en": f.name_en,
                "scale": f.scale,
                "years": list(f.years),
                "indicators": len(f.indicators),
            }
            for f in r.frameworks.values()
        ],
        "last_error": {
            "problems": st.last_error,
            "at": datetime.fromtimestamp(st.last_error_at).astimezone().isoformat(),
        }
        if st.last_error_at
        else None,
    }


@router.post("/v1/rules/reload")
async def reload_rules(b: RulesDep, _admin: AdminDep) -> dict[str, Any]:
    """Reload the rules files now (admin). An invalid edit is refused; the last good rules stay in force."""
    ok, problems = await b.reload_rules()
    if not ok:
        raise fail(
            422,
            "tệp quy tắc không hợp lệ, giữ nguyên phiên bản cũ",
            "invalid rules; the last good version stays in force",
            problems=problems,
            version=b.rules.current.version,
        )
    return {"version": b.rules.current.version, "reloaded": True}
