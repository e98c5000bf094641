"""Synthetic provinces of any size, scored under the real catalogue and framework files."""

from __future__ import annotations

import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from shared.periods import PROVINCE_TZ
from shared.rules.loader import load_ruleset
from shared.rules.model import RuleSet
from shared.scoring.engine import MetricEvent

ROOT = Path(__file__).resolve().parent.parent


def write_province(directory: Path, n_units: int, frameworks: tuple[str, ...] = ("dti-2022.yaml",)) -> Path:
    """A province with ~1% district-level units and communes for the rest; returns the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    n_districts = max(1, (n_units - 1) // 100)
    n_communes = max(0, n_units - 1 - n_districts)
    lines = [
        "kind: org_units",
        f"name: synthetic {n_units}",
        "levels: [province, district, commune]",
        "units:",
        "  - code: LC",
        "    name: Synthetic",
        "    level: province",
        "    children:",
    ]
    for d in range(n_districts):
        lines += [f"      - code: LC.D{d}", f"        name: District {d}", "        level: district"]
        mine = [c for c in range(n_communes) if c % n_districts == d]
        if mine:
            lines.append("        children:")
            lines += [
                f"          - {{code: LC.D{d}.C{c}, name: Commune {c}, level: commune, population: 4000, "
                f"households: 900}}"
                for c in mine
            ]
    (directory / "org-units.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(ROOT / "rules" / "catalog.yaml", directory / "catalog.yaml")
    for fw in frameworks:
        shutil.copy(ROOT / "rules" / fw, directory / fw)
    (directory / "ruleset.yaml").write_text(
        f"kind: ruleset\norg_units: org-units.yaml\ncatalog: catalog.yaml\nframeworks: [{', '.join(frameworks)}]\n",
        encoding="utf-8",
    )
    return directory / "ruleset.yaml"


def load(directory: Path, n_units: int) -> RuleSet:
    return load_ruleset(write_province(directory, n_units))


def events(rules: RuleSet, count: int, seed: int = 7, year: int = 2025) -> list[MetricEvent]:
    """Events over every unit and every metric some indicator reads, spread over the year."""
    rng = random.Random(seed)
    used = sorted(
        {m for fw in rules.frameworks.values() for ind in fw.indicators.values() for m in ind.formula.metrics}
    )
    # events at the bottom level, as systems report them, so every size sees the same shape of event
    # (an event at the province has a shorter chain of ancestors than one at a commune)
    bottom = rules.org_tree.levels[-1]
    units = [u.code for u in rules.org_tree.units if u.level == bottom]
    start = datetime(year, 1, 1, 8, tzinfo=PROVINCE_TZ)
    out = []
    for _ in range(count):
        metric = used[rng.randrange(len(used))]
        kind = rules.catalog.metrics[metric].type
        value = 1.0 if kind == "counter" else float(rng.randrange(0, 100))
        out.append(
            MetricEvent(
                metric, units[rng.randrange(len(units))], value, start + timedelta(minutes=rng.randrange(0, 525_000))
            )
        )
    return out


def seed_every_unit(rules: RuleSet) -> list[MetricEvent]:
    """One event per unit for every metric an indicator scored at the unit's level reads (and every metric a
    share-of-units indicator counts at its level): a province where every unit reports all it should."""
    from shared.rules.model import ShareOfUnits

    by_level: dict[str, set[str]] = {}
    for fw in rules.frameworks.values():
        for ind in fw.indicators.values():
            for lv in ind.levels:
                by_level.setdefault(lv, set()).update(ind.formula.metrics)
            if isinstance(ind.formula, ShareOfUnits):
                by_level.setdefault(ind.formula.level, set()).add(ind.formula.metric)
    when = datetime(2025, 2, 1, 8, tzinfo=PROVINCE_TZ)
    return [MetricEvent(m, u.code, 1.0, when) for u in rules.org_tree.units for m in sorted(by_level.get(u.level, ()))]
