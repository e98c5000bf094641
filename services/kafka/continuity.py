"""Which offsets of `dti.events` a worker has yet to fold, per partition: the holes Faust's delivery leaves.

The cells' replay guard (services/kafka/cells.py) takes a record at or below a cell's last absorbed offset as
already counted. That holds only if every owner folds a partition's records in order with none missing. Faust
does not promise it: in the hung-worker test on Apache Kafka, a worker that had just taken partition 0 over
was handed offsets 55..65 and then 75..84 in one batch; 66..74 never reached the agent, and its commit
stopped at 66 (only contiguous acks are committed). The cells those records touched were written with offsets
up to 84, so the next owner, starting again at 66, skipped 66..74 as "replayed": 88 acknowledged events lost.
Before the hole the agent cannot see, it must read the missing records itself and fold them first.

No I/O here: the worker reads the holes this reports (`ScoringFaust._read_hole`).
"""

from __future__ import annotations

from collections.abc import Callable


class Continuity:
    """The next offset to fold per partition, within one assignment.

    At the first record of a partition after an assignment, the next offset is not known from this worker's
    own folding; `folded_through(partition)` gives the highest offset any cell of the partition absorbed (the
    read model's view of the cells changelog), a safe lower bound: no owner folds a record before the ones
    below it, so everything up to it was folded. Re-reading from there may re-read records already counted
    (client retries or unchanged figures leave no offset in a cell); the cells' and the id index's guards
    skip those, so a lower bound costs a read, never a double count.

    Offsets that hold no record (a transactional producer's commit markers, or records deleted by retention)
    look like holes too; reading them finds nothing, and folding goes on.
    """

    def __init__(self, folded_through: Callable[[int], int | None]) -> None:
        self.folded_through = folded_through
        self.next: dict[int, int] = {}

    def reset(self) -> None:
        """A new assignment: whoever owned a partition meanwhile may have folded past what this worker saw."""
        self.next.clear()

    def take(self, partition: int, offset: int) -> tuple[int, int] | None:
        """Note that the record at `offset` is about to be folded; return the hole `[start, offset)` to read
        and fold before it, if records before it were not handed to this worker."""
        expect = self.next.get(partition)
        if expect is None:
            through = self.folded_through(partition)
            expect = None if through is None else through + 1
        if expect is None or offset >= expect:
            self.next[partition] = offset + 1
        # a record below `expect` is a redelivery (counted before; the cells' guard skips it)
        return (expect, offset) if expect is not None and offset > expect else None
