"""Synthetic provinces of any size, scored under the real catalogue and framework files."""

from __future__ import annotations

import dataclasses
import random
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from shared.periods import PROVINCE_TZ
from shared.rules.loader import load_ruleset
from shared.rules.model import OrgTree, RuleSet
from shared.scoring.engine import MetricEvent

ROOT = Path(__file__).resolve().parent.parent


def _shape(n_units: int) -> tuple[int, int]:
    n_districts = max(1, (n_units - 1) // 100)
    return n_districts, max(0, n_units - 1 - n_districts)


def write_province(
    directory: Path, n_units: int, frameworks: tuple[str, ...] = ("dti-2022.yaml",), alerts: bool = False
) -> Path:
    """A province with ~1% district-level units and communes for the rest; returns the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    n_districts, n_communes = _shape(n_units)
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
    manifest = (
        f"kind: ruleset\norg_units: org-units.yaml\ncatalog: catalog.yaml\nframeworks: [{', '.join(frameworks)}]\n"
    )
    if alerts:
        shutil.copy(ROOT / "rules" / "alerts.yaml", directory / "alerts.yaml")
        manifest += "alerts: alerts.yaml\n"
    (directory / "ruleset.yaml").write_text(manifest, encoding="utf-8")
    return directory / "ruleset.yaml"


def load(directory: Path, n_units: int) -> RuleSet:
    return load_ruleset(write_province(directory, n_units))


def synthetic_tree(n_units: int) -> OrgTree:
    """The tree `write_province` describes, built by the org-unit parser's own builder without the YAML text:
    reading 10,000 units from YAML is set-up, not what the benchmarks measure (tens of seconds with ruamel).
    A test checks it equals the tree the loader reads from the file."""
    from shared.rules.org_units import _build, _Raw
    from shared.rules.problems import Location

    n_districts, n_communes = _shape(n_units)
    loc = Location("org-units.yaml", 1, 1)
    raws = [_Raw("LC", "Synthetic", "province", None, None, None, loc, [])]
    for d in range(n_districts):
        di = len(raws)
        raws.append(_Raw(f"LC.D{d}", f"District {d}", "district", 0, None, None, loc, []))
        raws[0].children.append(di)
        for c in range(d, n_communes, n_districts):
            raws[di].children.append(len(raws))
            raws.append(_Raw(f"LC.D{d}.C{c}", f"Commune {c}", "commune", di, 4000.0, 900.0, loc, []))
    return _build(f"synthetic {n_units}", ("province", "district", "commune"), raws, ())


def province(n_units: int, frameworks: tuple[str, ...] = ("dti-2022.yaml",), alerts: bool = False) -> RuleSet:
    """The rule set `load` gives for `n_units` units, in a fraction of the time: the real loader reads and
    validates the catalogue, frameworks and alerts against a 10-unit province with the same levels, and the
    tree of `n_units` units takes its place (the rules only depend on the tree's levels)."""
    with tempfile.TemporaryDirectory() as tmp:
        small = load_ruleset(write_province(Path(tmp), 10, frameworks, alerts))
    return dataclasses.replace(small, org_tree=synthetic_tree(n_units))


def events(rules: RuleSet, count: int, seed: int = 7, year: int = 2025, mix: str = "level") -> list[MetricEvent]:
    """Events at the bottom level's units, spread over the year.

    `mix="level"`: each carries one of the metrics that level reports (those its indicators read and those
    a share-of-units indicator counts there: what `seed_every_unit` seeds), so at every size an event
    updates a figure its unit already reports. `mix="all"`: any metric some indicator reads, wherever it
    is scored; with many units most of those events are then a unit's first report of a metric (a new
    entry in the store), with few units almost none are, so the sizes do not do the same work.
    """
    rng = random.Random(seed)
    bottom = rules.org_tree.levels[-1]
    if mix == "level":
        used = sorted(level_metrics(rules).get(bottom, ()))
    else:
        used = sorted(
            {m for fw in rules.frameworks.values() for ind in fw.indicators.values() for m in ind.formula.metrics}
        )
    # events at the bottom level, as systems report them, so every size sees the same shape of event
    # (an event at the province has a shorter chain of ancestors than one at a commune)
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


def level_metrics(rules: RuleSet) -> dict[str, set[str]]:
    """Per level, the metrics its units report: those read by an indicator scored at the level, and those a
    share-of-units indicator counts at the level."""
    from shared.rules.model import ShareOfUnits

    by_level: dict[str, set[str]] = {}
    for fw in rules.frameworks.values():
        for ind in fw.indicators.values():
            for lv in ind.levels:
                by_level.setdefault(lv, set()).update(ind.formula.metrics)
            if isinstance(ind.formula, ShareOfUnits):
                by_level.setdefault(ind.formula.level, set()).add(ind.formula.metric)
    return by_level


def seed_every_unit(rules: RuleSet) -> list[MetricEvent]:
    """One event per unit for every metric an indicator scored at the unit's level reads (and every metric a
    share-of-units indicator counts at its level): a province where every unit reports all it should."""
    by_level = level_metrics(rules)
    when = datetime(2025, 2, 1, 8, tzinfo=PROVINCE_TZ)
    return [MetricEvent(m, u.code, 1.0, when) for u in rules.org_tree.units for m in sorted(by_level.get(u.level, ()))]
