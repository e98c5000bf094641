from __future__ import annotations

from pathlib import Path

import pytest

from shared.rules.loader import load_ruleset
from shared.rules.model import RuleSet

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# the session's Apache Kafka clusters (`kafka`, `kafka3`), started on first use
pytest_plugins = ["tests.kafka.fixtures"]


@pytest.fixture(scope="session")
def mini_rules() -> RuleSet:
    return load_ruleset(FIXTURES / "mini")


@pytest.fixture(scope="session")
def province_rules() -> RuleSet:
    return load_ruleset(ROOT / "rules")
