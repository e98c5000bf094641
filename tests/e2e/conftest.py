from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import DtiServer

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"
EXTRA_DISTRICTS = 8  # P.T1..P.T8, two communes each: every test gets units of its own


def e2e_rules(directory: Path) -> Path:
    """A copy of the mini rules with more districts, so tests sharing one server do not share units."""
    shutil.copytree(MINI, directory)
    org = directory / "org-units.yaml"
    lines = [org.read_text(encoding="utf-8").rstrip("\n")]
    for d in range(1, EXTRA_DISTRICTS + 1):
        lines += [f"      - code: P.T{d}", f"        name: Huyện T{d}", "        level: district", "        children:"]
        lines += [
            f"          - {{code: P.T{d}.C{c}, name: Xã T{d}-{c}, level: commune, population: 1000, households: 250}}"
            for c in (1, 2)
        ]
    org.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DtiServer]:
    base = tmp_path_factory.mktemp("dti-e2e")
    rules = e2e_rules(base / "rules")
    srv = DtiServer(
        base / "data",
        rules,
        env={
            "DTI_MAX_BATCH_EVENTS": "200",
            "DTI_MAX_BODY_BYTES": "100000",
            "DTI_SNAPSHOT_INTERVAL_SECONDS": "1",
            "DTI_ALERTS_INTERVAL_SECONDS": "1",
        },
    ).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def lgsp_key(server: DtiServer) -> str:
    return server.key("lgsp")


@pytest.fixture(scope="session")
def department_key(server: DtiServer) -> str:
    return server.key("department")
