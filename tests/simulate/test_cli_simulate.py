"""`dti simulate` without a server: --dry-run records the stream; the same seed writes the same bytes."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from services.cli.main import app
from tests.conftest import ROOT

runner = CliRunner()
RULES = str(ROOT / "rules")


def dry_run(path: Path, *args: str) -> str:
    r = runner.invoke(app, ["simulate", "--dry-run", "--rules", RULES, "--year", "2025", "--record", str(path), *args])
    assert r.exit_code == 0, r.output
    return r.output


def test_same_seed_records_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    out = dry_run(a, "--seed", "7", "--max-events", "3000")
    dry_run(b, "--seed", "7", "--max-events", "3000")
    dry_run(c, "--seed", "8", "--max-events", "3000")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    lines = a.read_bytes().splitlines()
    assert len(lines) == 3000  # events only this early in the year: the departments report in April
    first = orjson.loads(lines[0])
    assert first["occurred_at"] == "2025-01-02T07:00:00+07:00"  # the opening levels, at the start
    assert "seed 7" in out and "DTI 0.5032 at the start" in out


def test_a_seed_is_chosen_and_printed_when_none_is_given(tmp_path: Path) -> None:
    out = dry_run(tmp_path / "x.jsonl", "--max-events", "10")
    assert "seed " in out


def test_keys_are_required_unless_a_data_dir_can_create_them() -> None:
    r = runner.invoke(app, ["simulate", "--rules", RULES, "--url", "http://127.0.0.1:9", "--duration", "1"])
    assert r.exit_code == 2
    assert "no key for source(s)" in r.output
    for source in ("department", "egov-portal", "eoffice", "lgsp", "payment", "reporting"):
        assert source in r.output


def test_keys_given_on_the_command_line_and_in_a_file(tmp_path: Path) -> None:
    """With every key given, the run gets as far as the server (nothing listens on port 9: not delivered)."""
    keys = tmp_path / "keys.json"
    keys.write_bytes(orjson.dumps({s: f"dti_x_{s}" for s in ("department", "egov-portal", "eoffice", "lgsp")}))
    r = runner.invoke(
        app,
        [
            "simulate", "--rules", RULES, "--url", "http://127.0.0.1:9", "--keys-file", str(keys),
            "--key", "payment=dti_x_payment", "--key", "reporting=dti_x_reporting",
            "--max-events", "5", "--give-up-after", "0.5", "--no-progress", "--year", "2025",
        ],
    )  # fmt: skip
    assert r.exit_code == 1, r.output
    assert "not delivered 5" in r.output


def test_a_year_outside_the_rules_or_a_future_start_is_refused() -> None:
    r = runner.invoke(app, ["simulate", "--dry-run", "--rules", RULES, "--year", "2019"])
    assert r.exit_code == 2 and "outside the years" in r.output
    r = runner.invoke(app, ["simulate", "--dry-run", "--rules", RULES, "--start", "2030-06-01T07:00"])
    assert r.exit_code == 2 and "future" in r.output
