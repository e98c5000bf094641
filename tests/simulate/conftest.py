"""Fixtures of the simulator's tests: the province model (calibrated once) and streams it generates."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from itertools import takewhile
from pathlib import Path

import pytest

from services.simulate.generator import Generator, Item
from services.simulate.model import ProvinceModel
from services.simulate.rhythm import DAY, first_working_morning
from shared.rules.loader import load_ruleset
from shared.rules.model import RuleSet
from tests.conftest import ROOT
from tests.e2e.server import DtiServer

YEAR = 2025  # Thursday 2 January 2025 is the first working day


def before_the_reform(rules: Path) -> Path:
    """The simulator's tests play years before 1/7/2025: the province's rules on the tree then in force."""
    manifest = rules / "ruleset.yaml"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    keep = [ln for ln in lines if not ln.startswith(("org_units", "former_org_units", "  "))]
    manifest.write_text("\n".join([*keep, "org_units: org-units.yaml"]) + "\n", encoding="utf-8")
    return rules


@pytest.fixture(scope="session")
def province_rules(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    rules = tmp_path_factory.mktemp("rules-before-reform") / "rules"
    shutil.copytree(ROOT / "rules", rules)
    return load_ruleset(before_the_reform(rules))


@pytest.fixture(scope="session")
def model(province_rules: RuleSet) -> ProvinceModel:
    return ProvinceModel(province_rules, first_working_morning(YEAR))


def until(items: Iterator[Item], end: float) -> list[Item]:
    return list(takewhile(lambda it: it.at < end, items))


@pytest.fixture(scope="session")
def two_weeks(model: ProvinceModel) -> list[Item]:
    """14 simulated days from 07:00 on Thursday 2 January 2025, at half the province's volume."""
    return until(Generator(model, seed=3, volume=0.5).items(), model.start_ts + 14 * DAY)


@pytest.fixture(scope="session")
def first_quarter(model: ProvinceModel) -> list[Item]:
    """Up to 12 April 2025 at a twentieth of the volume: includes the departments' Q1 report (10 April)."""
    return until(Generator(model, seed=4, volume=0.05).items(), model.start_ts + 100 * DAY)


@pytest.fixture(scope="session")
def province_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DtiServer]:
    """A real `dti up` on a copy of the province's rules (the simulator's tests use years of their own)."""
    base = tmp_path_factory.mktemp("dti-simulate")
    rules = base / "rules"
    shutil.copytree(ROOT / "rules", rules)
    before_the_reform(rules)
    for fw in ("dti-2022.yaml", "dti-2025.yaml"):  # years of their own: past years still take data here
        with (rules / fw).open("a", encoding="utf-8") as f:
            f.write("late_data: accept\n")
    srv = DtiServer(base / "data", rules, env={"DTI_LOG_LEVEL": "WARNING"}).start()
    yield srv
    srv.stop()
