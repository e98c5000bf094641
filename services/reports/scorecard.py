"""The scorecard (DHIS2's pivot table): the units of one level as rows, the framework's indicators as columns,
each cell the unit's value with a traffic light from its score against the target. Pure; rendered as a page
table (`GET /v1/reports/scorecard?format=json`), .xlsx or .csv."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from services.reports.labels import LEVEL_VI, department_name
from shared.periods import Period
from shared.rules import RuleSet
from shared.scoring import ScoringEngine


def light(status: str | None, score: float | None) -> str:
    """green: target met; amber: half way or more; red: below half; grey: no figure."""
    if status == "met":
        return "green"
    if score is None:
        return "grey"
    return "amber" if score >= 0.5 else "red"


LIGHT_VI = {"green": "Đạt", "amber": "Đạt từ một nửa", "red": "Dưới một nửa", "grey": "Chưa có số liệu"}


@dataclass(slots=True)
class ScorecardColumn:
    code: str
    name: str
    name_en: str
    short: str  # the main indicator's name and the indicator's position in it, for a narrow header
    main: str
    owner: str
    unit: str
    points: float


@dataclass(slots=True)
class ScorecardRow:
    code: str
    name: str
    index: float | None
    cells: list[tuple[float | None, float | None, str]]  # value, score, light; one per column


@dataclass(slots=True)
class Scorecard:
    framework_code: str
    framework_name: str
    period: Period
    level: str
    level_name: str
    columns: list[ScorecardColumn]
    rows: list[ScorecardRow]


def build_scorecard(rules: RuleSet, engine: ScoringEngine, framework: str, period: Period, level: str) -> Scorecard:
    fw = rules.frameworks[framework]
    tree = rules.org_tree
    columns: list[ScorecardColumn] = []
    for main in fw.main_indicators.values():
        n = 0
        for code in main.indicators:
            ind = fw.indicators[code]
            if level not in ind.levels:
                continue
            n += 1
            columns.append(
                ScorecardColumn(
                    code,
                    ind.name,
                    ind.name_en,
                    f"{main.name} {n}",
                    main.name,
                    department_name(rules, ind.owner),
                    ind.unit,
                    ind.points,
                )
            )
    rows = []
    for u in tree.units:
        if u.level != level:
            continue
        us = engine.score(framework, u.code, period)
        cells: list[tuple[float | None, float | None, str]] = []
        for c in columns:
            r = us.indicators.get(c.code)
            if r is None:
                cells.append((None, None, "grey"))
            else:
                cells.append((r.value, r.score, light(r.status, r.score)))
        rows.append(ScorecardRow(u.code, u.name, us.index.value, cells))
    rows.sort(key=lambda r: (r.index is None, -(r.index or 0.0), r.name))
    return Scorecard(fw.code, fw.name, period, level, LEVEL_VI.get(level, level), columns, rows)


def scorecard_json(s: Scorecard) -> dict[str, Any]:
    return {
        "framework": s.framework_code,
        "framework_name": s.framework_name,
        "period": s.period.id,
        "level": s.level,
        "level_name": s.level_name,
        "columns": [
            {
                "code": c.code,
                "name": c.name,
                "name_en": c.name_en,
                "short": c.short,
                "main": c.main,
                "owner": c.owner,
                "unit": c.unit,
                "points": c.points,
            }
            for c in s.columns
        ],
        "rows": [
            {
                "code": r.code,
                "name": r.name,
                "index": r.index,
                "cells": [{"value": v, "score": sc, "light": lt} for v, sc, lt in r.cells],
            }
            for r in s.rows
        ],
    }


def scorecard_csv(s: Scorecard) -> bytes:
    """One row per unit: its DTI, then each indicator's value and score. UTF-8 with a BOM so Excel reads the
    Vietnamese names right; headers are names (the code after the name)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    head = ["Đơn vị", "Mã đơn vị", "Chỉ số DTI"]
    for c in s.columns:
        head += [f"{c.name} ({c.code}): giá trị", f"{c.name} ({c.code}): điểm số"]
    w.writerow(head)
    for r in s.rows:
        line: list[Any] = [r.name, r.code, "" if r.index is None else round(r.index, 6)]
        for v, sc, _lt in r.cells:
            line += ["" if v is None else round(v, 6), "" if sc is None else round(sc, 6)]
        w.writerow(line)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
