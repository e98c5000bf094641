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


def test_a_batch_ids_go_to_dedup_records_kafka_accepts() -> None:
    """27,000 ids (a backlog batch of 2,000 records of 83 events on 6 partitions) in records of at most 5,000,
    each under Kafka's 1 MB default, in order and none lost."""
    import orjson

    from services.kafka.faust_app import dedup_chunks

    ids = [["lgsp", f"k-{i:012d}-{'x' * 8}", 1000 + i // 83, i % 83] for i in range(27_000)]
    chunks = dedup_chunks(ids)
    assert [len(c) for c in chunks] == [5000] * 5 + [2000]
    assert [x for c in chunks for x in c] == ids
    assert max(len(orjson.dumps(c)) for c in chunks) < 1024 * 1024 // 2
    assert len(orjson.dumps(ids)) > 1024 * 1024  # one record would not have fitted


def test_the_read_model_knows_how_far_each_partition_was_folded() -> None:
    """The lower bound a new owner checks its first record against (services/kafka/continuity.py)."""
    model = ReadModel(load_ruleset(MINI))
    assert model.folded_through(1) is None
    a = cell_key("tthc.records_total", "P.D1.C1", 2025, 2)
    b = cell_key("tthc.records_online", "P.D1.C1", 2025, 2)
    model.apply([(a, {"t": "c", "v": 7.0, "n": 3, "p": 1, "o": 40, "lt": 1.0})])
    model.apply([(b, {"t": "c", "v": 2.0, "n": 1, "p": 1, "o": 35, "lt": 1.0})])
    assert model.folded_through(1) == 40 and model.folded_through(0) is None
    model.apply([(a, {"t": "c", "v": 4.0, "n": 2, "p": 1, "o": 52, "lt": 1.0})])
    assert model.folded_through(1) == 52
