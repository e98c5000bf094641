"""Schemathesis drives every operation of the OpenAPI schema with generated input and every check it has
(`--checks all`): no 5xx, every status, content type, header and body as documented, schema-invalid input
refused, schema-valid input accepted (with the narrow exceptions in schemathesis.toml), auth not ignored."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import e2e_rules
from tests.e2e.server import ROOT, DtiServer


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DtiServer]:
    base = tmp_path_factory.mktemp("dti-fuzz")
    srv = DtiServer(base / "data", e2e_rules(base / "rules")).start()
    yield srv
    srv.stop()


CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"


def run_schemathesis(url: str, source_key: str, admin_token: str, report_dir: Path, max_examples: int) -> str:
    """`st run --checks all` with the project's config; returns its output once every case passed."""
    cmd = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--request-timeout",
        "10",
        "--generation-deterministic",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
    ]
    env = {**os.environ, "DTI_FUZZ_SOURCE_KEY": source_key, "DTI_FUZZ_ADMIN_TOKEN": admin_token}
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    return out.stdout


def example_source(url: str) -> str:
    """The source of the document's example event: with its key the example is accepted (202), so schemathesis
    sees the positive path too (with another source's key every event is a 403)."""
    doc = httpx.get(f"{url}/openapi.json", timeout=10).json()
    schema = doc["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return str(schema["anyOf"][0]["examples"][0]["source"])


def generated_and_passed(stdout: str) -> tuple[int, int]:
    # e.g. "1052 generated, 1052 passed, 4 skipped"
    m = re.search(r"(\d+) generated, (\d+) passed", stdout)
    assert m is not None, stdout[-2000:]
    return int(m.group(1)), int(m.group(2))


def test_every_check_passes_on_generated_requests(fuzz_server: DtiServer, tmp_path: Path) -> None:
    out = run_schemathesis(
        fuzz_server.url, fuzz_server.key(example_source(fuzz_server.url)), "test-admin-token", tmp_path, 20
    )
    generated, passed = generated_and_passed(out)
    print(f"\nschemathesis --checks all on dti up: {generated} generated, {passed} passed")
    assert generated == passed >= 1000
    assert_every_operation_tested(out)


def assert_every_operation_tested(stdout: str) -> None:
    selected = re.search(r"Selected: (\d+)/(\d+)", stdout)
    tested = re.search(r"Tested: (\d+)", stdout)
    assert selected is not None and tested is not None, stdout[-2000:]
    assert int(selected.group(1)) == int(selected.group(2)) == int(tested.group(1)), stdout[-2000:]
