"""How events add up: the aggregation semantics of DTI Monitor, stated once for both modes.

The embedded mode (SQLite log -> `EventLog` -> `ScoringEngine` -> `MetricStore`) and the Kafka mode
(`dti.events` -> `services.kafka.cells.Aggregator` -> cells -> read model) fold the same events into the same
per-unit, per-metric, per-quarter figures. Each rule below is decided by the function named with it, and both
paths call that function; `tests/shared/scoring/test_modes_agree.py` feeds the same random sequences through
both folds and compares the results.

Bucketing (`bucket`, `bucket_ts`). An event belongs to the assessment year and quarter of the calendar date
of its `occurred_at` in the province (Asia/Ho_Chi_Minh), never of the server's zone, UTC or the time it
arrived: a record filed at 23:30 on 31 March in Lai Châu is Q1 although it is April in UTC+8. Values are year
to date: the figure at quarter Q covers quarters 1..Q of that year (the store reads them so).

Dedup key (`dedup_key`, `DEDUP_FIELDS`). An event is identified by its source system and its event id; the
same (source, event_id) sent again is a retry and counts once: the first to arrive counts, whatever the
retry's value or time. Nothing else identifies an event: two events with equal content and different ids
both count. A retry is for the same org unit: Kafka mode keys events by unit, so one id sent for two units
travels in two partitions, where "first" is each partition's order (and, with several workers, each worker
knows only its own partitions' ids); embedded mode counts the first in the request.

Counter deltas (`fold_counter`). A counter event carries an increment (>= 0 at the HTTP edge). A unit's own
figure for a quarter is the sum of its events' increments and the number of those events; a quarter with no
event has no value (None, not zero), a quarter whose events sum to zero has the value zero.

Gauge levels (`level_replaces`). A gauge event carries a level. A unit's own level for a quarter is the one
with the latest (occurred_at, arrival position); a level older than the one held, arriving late, loses and
changes nothing. Between equal occurred_at the later arrival wins (the log's sequence number, or the Kafka
offset then the position in the record), so a replay gives the same answer.

Observation corrections (`correction`). A department's figure for a period (`2025` or `2025-Q2`) stands at
noon on the period's last day (`observation_at`) and replaces its previous figure for that period: a counter
moves by the difference from the previous figure (the first figure by itself), and that move counts as one
event; a gauge's new figure is a level like any other (and loses to a later level of the same quarter). The
same figure again for the same (unit, metric, period) is not news: it changes nothing.

Everything here is pure and allocation-light: `level_replaces` runs for every gauge event, `fold_counter`
for every counter event of both modes.
"""

from __future__ import annotations

from datetime import datetime, time

from shared.periods import PROVINCE_TZ, Period, year_quarter

DEDUP_FIELDS = ("source", "event_id")


def bucket(occurred_at: datetime) -> tuple[int, int]:
    """The (year, quarter) an aware `occurred_at` belongs to, by its date in Asia/Ho_Chi_Minh."""
    return year_quarter(occurred_at)


def bucket_ts(ts: float) -> tuple[int, int]:
    """`bucket` of an occurred_at given as Unix seconds (how the Kafka bus carries it)."""
    return year_quarter(datetime.fromtimestamp(ts, PROVINCE_TZ))


def dedup_key(source: str, event_id: str) -> tuple[str, str]:
    """What makes two events the same event (a retry): their source and id, nothing else."""
    return (source, event_id)


def fold_counter(total: float, count: float, delta: float, events: float = 1) -> tuple[float, float]:
    """A counter's own (sum, event count) for a quarter after one more event of increment `delta` (or after
    `events` events whose increments sum to `delta`: a snapshot's entry loaded back)."""
    return total + delta, count + events


def level_replaces(ts: float, seq: float, held_ts: float, held_seq: float) -> bool:
    """Whether a gauge level at (ts, seq) replaces the level held at (held_ts, held_seq): not when it is older
    (a late older level loses); the later arrival among equal occurred_at wins."""
    return ts > held_ts or (ts == held_ts and seq >= held_seq)


def correction(previous: float | None, figure: float, counter: bool) -> float | None:
    """What a department's `figure` for a period folds in, given its `previous` figure for that period (None:
    the first): None when it is the same figure again (not news); for a counter the change from the previous
    figure, added like an event's increment; for a gauge the figure itself, a level."""
    if previous is not None and previous == figure:
        return None
    if counter:
        return figure - (previous or 0.0)
    return figure


def observation_at(period: Period) -> datetime:
    """The moment a figure for `period` stands at: noon on the period's last day, province time, so it is
    bucketed in that period (the year's figure in Q4)."""
    return datetime.combine(period.end, time(12, 0), tzinfo=PROVINCE_TZ)
