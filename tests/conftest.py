from __future__ import annotations

from pathlib import Path

import pytest

from shared.rules.loader import load_ruleset
from shared.rules.model import RuleSet

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def mini_rules() -> RuleSet:
    return load_ruleset(FIXTURES / "mini")


@pytest.fixture(scope="session")
def province_rules() -> RuleSet:
    return load_ruleset(ROOT / "rules")
