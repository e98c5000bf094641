"""The read model keeps a cell's newest state by the offset it absorbed, whatever order the changelog holds."""

from __future__ import annotations

from pathlib import Path

from services.kafka.cells import cell_key
from services.kafka.read_model import ReadModel
from shared.rules.loader import load_ruleset

MINI = Path(__file__).resolve().parents[2] / "fixtures" / "mini"


def test_a_late_older_cell_does_not_replace_a_newer_one() -> None:
    model = ReadModel(load_ruleset(MINI))
    key = cell_key("tthc.records_total", "P.D1.C1", 2025, 2)
    newer = {"t": "c", "v": 7.0, "n": 3, "p": 1, "o": 40, "lt": 1.0}
    older = {"t": "c", "v": 4.0, "n": 2, "p": 1, "o": 31, "lt": 1.0}  # written late by a fenced worker
    model.apply([(key, newer)])
    model.apply([(key, older)])
    assert model.raw[key] == newer and model.cells[key].value == 7.0
    # a later state (a higher offset) is taken as usual
    later = {**newer, "v": 9.0, "n": 4, "o": 52}
    model.apply([(key, later)])
    assert model.cells[key].value == 9.0 and model.cells[key].events == 4
