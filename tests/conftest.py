from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from shared import clock
from shared.periods import PROVINCE_TZ
from shared.rules.loader import load_ruleset
from shared.rules.model import RuleSet

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# the session's Apache Kafka clusters (`kafka`, `kafka3`), started on first use
pytest_plugins = ["tests.kafka.fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-at",
        metavar="YYYY-MM-DDTHH:MM",
        help="run the whole suite on another date: the province's clock (this process and every dti process the "
        "tests start) begins at this moment, in Asia/Ho_Chi_Minh unless an offset is given",
    )


def pytest_configure(config: pytest.Config) -> None:
    """`--clock-at`: one shift for the session, passed to the dti processes the tests start through the
    environment they inherit (`DTI_CLOCK_SHIFT_SECONDS`), so the test process and the servers agree on the date."""
    at = config.getoption("--clock-at")
    if not at:
        return
    start = datetime.fromisoformat(at)
    if start.tzinfo is None:
        start = start.replace(tzinfo=PROVINCE_TZ)
    seconds = (start - datetime.now(PROVINCE_TZ)).total_seconds()
    os.environ["DTI_CLOCK_SHIFT_SECONDS"] = repr(seconds)
    clock.shift(seconds)


@pytest.fixture(scope="session")
def mini_rules() -> RuleSet:
    return load_ruleset(FIXTURES / "mini")


@pytest.fixture(scope="session")
def province_rules() -> RuleSet:
    return load_ruleset(ROOT / "rules")
