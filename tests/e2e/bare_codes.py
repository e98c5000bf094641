"""Codes from the rules files, and where a page or report shows one without the name it stands for.

The rule the tests hold the page and reports to (issue 16, "names, not codes"): a code of a department,
metric, indicator, main indicator, pillar or framework may appear only as secondary text beside its name,
that is, in the same table cell or line of text as the name (Vietnamese or English) of the thing it denotes,
e.g. "Nhận thức số NT" or "Bộ chỉ số … (dti-2022)". A code anywhere else is "bare" and counts as a failure.
Text is split into cells and lines the way the browser's innerText lays it out (tabs between table cells,
newlines between blocks). Codes are matched as whole tokens, case-sensitively, also in their Vietnamese
spelling (HĐCQS for HDCQS).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from shared.rules.loader import load_ruleset, resolve_manifest
from shared.rules.model import RuleSet


@dataclass(frozen=True, slots=True)
class Coded:
    code: str
    names: tuple[str, ...]
    kind: str


def vietnamese_spelling(code: str) -> str:
    return code.replace("HD", "HĐ")


def rule_codes(rules: RuleSet) -> list[Coded]:
    out: list[Coded] = []
    cat = rules.catalog
    out += [Coded(d.code, (d.name, d.name_en), "department") for d in cat.departments.values()]
    out += [Coded(m.code, (m.name, m.name_en), "metric") for m in cat.metrics.values()]
    for fw in rules.frameworks.values():
        out.append(Coded(fw.code, (fw.name, fw.name_en), "framework"))
        out += [Coded(m.code, (m.name, m.name_en), "main indicator") for m in fw.main_indicators.values()]
        out += [Coded(i.code, (i.name, i.name_en), "indicator") for i in fw.indicators.values()]
        out += [Coded(p.code, (p.name, p.name_en), "pillar") for p in fw.pillars.values()]
    more = [Coded(vietnamese_spelling(c.code), c.names, c.kind) for c in out if vietnamese_spelling(c.code) != c.code]
    return out + more


def load_codes(rules_dir: Path) -> list[Coded]:
    return rule_codes(load_ruleset(resolve_manifest(rules_dir)))


def bare_codes(text: str, codes: list[Coded]) -> list[str]:
    """Each (cell text, code) where a code appears without its name in the same cell or line."""
    by_code: dict[str, list[Coded]] = {}
    for c in codes:
        by_code.setdefault(c.code, []).append(c)
    pattern = re.compile(
        r"(?<![\w.])(" + "|".join(re.escape(c) for c in sorted(by_code, key=len, reverse=True)) + r")(?![\w])"
    )
    found = []
    for line in text.splitlines():
        for cell in line.split("\t"):
            for m in pattern.finditer(cell):
                things = by_code[m.group(1)]
                if not any(n and n in cell for t in things for n in t.names):
                    found.append(f"{m.group(1)} ({things[0].kind}) in: {cell.strip()[:120]!r}")
    return found
