"""Property: the embedded fold and the Kafka cells fold add up the same random requests to the same figures.

Embedded: the SQLite log's own insert and observation upsert (`EventLog._insert_events`,
`_upsert_observations` on an in-memory database), then `ScoringEngine.apply_many` with the log's sequence
numbers, as the embedded runtime's scorer does. Kafka, in process and without a broker: the requests encoded
as `dti ingest` encodes them, cut into records per partition, folded by `Aggregator.absorb` in batches into
a cells table, and the changed cells applied to a `ReadModel`. Then every unit's year-to-date value of every
metric in every quarter, and every unit's index score, must be the same in both.

The sequences mix counter increments, gauge levels (older ones arriving late, some at the very moment a
department's figure stands), retried event ids, departments' figures and their corrections, and moments on
either side of quarter and year boundaries in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.embedded.storage import SCHEMA, EventLog, Observation
from services.kafka.cells import Aggregator, Cell, Incoming
from services.kafka.messages import decode_events, encode_event, encode_observation, partition_records
from services.kafka.read_model import ReadModel
from shared.events import AcceptedEvent
from shared.periods import PROVINCE_TZ, parse_period
from shared.rules.model import RuleSet
from shared.scoring.engine import MetricEvent, ScoringEngine
from shared.scoring.evaluate import INDEX
from shared.scoring.semantics import observation_at

UNITS = ["P", "P.D1", "P.D2", "P.D1.C1", "P.D1.C2", "P.D2.C1"]
DRAWN = ["P", "P.D1", "P.D1.C1", "P.D2.C1"]  # units events are drawn for: few, so they meet often
COUNTERS = ["tthc.records_total", "tthc.records_online"]
GAUGES = ["infra.network", "lgsp.systems_connected"]
YEARS = (2024, 2025)
PERIODS = ["2024-Q4", "2025-Q1", "2025"]
PARTITIONS = 2

# moments where the period changes in the province but not in UTC (or the reverse), and the moments
# departments' figures stand at (a gauge event there ties with the figure's occurred_at)
MOMENTS = [
    datetime(2024, 12, 31, 23, 30, tzinfo=PROVINCE_TZ),  # 2024 Q4
    datetime(2024, 12, 31, 17, 0, tzinfo=UTC),  # midnight in the province: 2025 Q1
    datetime(2024, 12, 31, 16, 59, tzinfo=UTC),  # 23:59 in the province: 2024 Q4
    datetime(2025, 3, 31, 23, 59, tzinfo=PROVINCE_TZ),  # Q1
    datetime(2025, 3, 31, 17, 0, tzinfo=UTC),  # Q2 in the province, 31 March in UTC
    datetime(2025, 6, 30, 20, 0, tzinfo=UTC),  # 1 July 03:00 in the province: Q3
    datetime(2025, 2, 10, 9, 0, tzinfo=PROVINCE_TZ),
    datetime(2025, 5, 10, 9, 0, tzinfo=PROVINCE_TZ),
    *(observation_at(parse_period(p)) for p in PERIODS),
]


@dataclass(frozen=True)
class Ev:
    source: str
    event_id: str
    unit: str
    metric: str
    value: float
    at: datetime


@dataclass(frozen=True)
class Ob:
    unit: str
    metric: str
    period: str
    value: float


moment = st.one_of(
    st.sampled_from([observation_at(parse_period(p)) for p in PERIODS]),  # ties with departments' figures
    st.builds(
        lambda base, minutes: base + timedelta(minutes=minutes),
        st.sampled_from(MOMENTS),
        st.sampled_from([0, 0, 0, -1, 1, -600, 600]),  # mostly the moment itself: ties and boundaries
    ),
)
# few ids per unit: retries (some with another value, metric or time) are common. A retry is for the same
# org unit (see the dedup rule: an id reused for another unit is told apart per Kafka partition only).
event = st.builds(
    lambda source, unit, n, metric, value, at: Ev(source, f"{unit}#{n}", unit, metric, value, at),
    st.sampled_from(["lgsp", "eoffice"]),
    st.sampled_from(DRAWN),
    st.integers(0, 2),
    st.sampled_from(COUNTERS + GAUGES),
    st.integers(0, 4).map(float),
    moment,
)
observation = st.builds(
    Ob,
    st.sampled_from(DRAWN),
    st.sampled_from(COUNTERS + GAUGES),
    st.sampled_from(PERIODS),
    st.integers(0, 3).map(float),  # few values: the same figure again is common
)
# a request is a batch of events or a batch of departments' figures, as the two ingest endpoints take them
request = st.one_of(st.lists(event, min_size=1, max_size=5), st.lists(observation, min_size=1, max_size=3))
requests = st.lists(request, max_size=25)


def _accepted(e: Ev) -> AcceptedEvent:
    return AcceptedEvent(e.source, e.event_id, e.unit, e.metric, e.value, e.at)


def _observation(o: Ob, rules: RuleSet) -> Observation:
    counter = rules.catalog.metrics[o.metric].type == "counter"
    period = parse_period(o.period)
    return Observation(o.unit, o.metric, period.id, o.value, counter, observation_at(period), None, None, "department")


def embedded_fold(rules: RuleSet, reqs: list[list[Ev] | list[Ob]]) -> ScoringEngine:
    engine = ScoringEngine(rules)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(SCHEMA)
    cur = conn.cursor()
    for req in reqs:
        if isinstance(req[0], Ev):
            result = EventLog._insert_events(cur, [_accepted(e) for e in req if isinstance(e, Ev)])
        else:
            result = EventLog._upsert_observations(cur, [_observation(o, rules) for o in req if isinstance(o, Ob)])
        engine.apply_many(
            [
                MetricEvent(le.event.metric, le.event.org_unit, le.event.value, le.event.occurred_at)
                for le in result.logged
            ],
            [le.seq for le in result.logged],
        )
    conn.close()
    return engine


def kafka_fold(rules: RuleSet, reqs: list[list[Ev] | list[Ob]], batch_sizes: list[int]) -> ScoringEngine:
    metrics = rules.catalog.metrics
    offsets = [0] * PARTITIONS
    log: list[Incoming] = []  # every record's events in the order the one worker reads them
    for req in reqs:
        items: list[tuple[str, bytes]] = []
        for x in req:
            kind = "c" if metrics[x.metric].type == "counter" else "g"
            if isinstance(x, Ev):
                items.append((x.unit, encode_event(_accepted(x), kind)))
            else:
                ob = _observation(x, rules)
                encoded = encode_observation(
                    ob.source, ob.org_unit, ob.metric, ob.counter, ob.period, ob.value, ob.occurred_at.timestamp(), {}
                )
                items.append((x.unit, encoded))
        for _key, partition, value in partition_records(items, PARTITIONS):
            offset = offsets[partition]
            offsets[partition] += 1
            log.extend((partition, offset, i, bev) for i, bev in enumerate(decode_events(value)))
    table: dict[str, Cell] = {}
    agg = Aggregator()
    model = ReadModel(rules)
    start, sizes = 0, iter(batch_sizes)
    while start < len(log):
        end = start + next(sizes, 7)
        while end < len(log) and log[end][:2] == log[end - 1][:2]:
            end += 1  # a batch holds whole records
        out = agg.absorb(log[start:end], table.get)
        table.update(out.cells)
        model.apply(out.cells.items())
        start = end
    return model.engine


def figures(engine: ScoringEngine) -> dict[tuple[str, str, int, int], float | None]:
    by_code = engine.tree.by_code
    return {
        (metric, unit, year, quarter): engine.store.value(metric, by_code[unit], year, quarter)
        for metric in COUNTERS + GAUGES
        for unit in UNITS
        for year in YEARS
        for quarter in (1, 2, 3, 4)
    }


def index_scores(engine: ScoringEngine) -> dict[tuple[str, int, int], float | None]:
    return {key: us.composites[INDEX].value for key, us in engine.results.items()}


Q4_FIGURE_AT = observation_at(parse_period("2024-Q4"))
# a department's gauge figure, a level at the very same moment arriving after it, the same figure again: the
# Kafka cells once compared the figure with the cell's level (so it moved the level back), the embedded log
# with the previous figure (not news). Found by this property; kept as an example it always runs.
SAME_FIGURE_AFTER_A_TIED_LEVEL: list[list[Ev] | list[Ob]] = [
    [Ob("P.D1.C1", "infra.network", "2024-Q4", 1.0)],
    [Ev("lgsp", "x", "P.D1.C1", "infra.network", 0.0, Q4_FIGURE_AT)],
    [Ob("P.D1.C1", "infra.network", "2024-Q4", 1.0)],
]


@settings(max_examples=500, deadline=None)
@given(reqs=requests, batch_sizes=st.lists(st.integers(1, 12), max_size=20))
@example(reqs=SAME_FIGURE_AFTER_A_TIED_LEVEL, batch_sizes=[])
def test_embedded_and_kafka_folds_give_the_same_figures(
    mini_rules: RuleSet, reqs: list[list[Ev] | list[Ob]], batch_sizes: list[int]
) -> None:
    embedded = embedded_fold(mini_rules, reqs)
    kafka = kafka_fold(mini_rules, reqs, batch_sizes)
    assert figures(kafka) == figures(embedded)
    assert index_scores(kafka) == index_scores(embedded)


def test_the_folds_compared_are_not_empty(mini_rules: RuleSet) -> None:
    """The comparison above compares figures, not two empty stores: one hand-computed request each way."""
    at = datetime(2025, 3, 31, 23, 30, tzinfo=PROVINCE_TZ)  # Q1 in the province (Q2 in UTC+8)
    reqs: list[list[Ev] | list[Ob]] = [
        [
            Ev("lgsp", "a", "P.D1.C1", "tthc.records_total", 2.0, at),
            Ev("lgsp", "a", "P.D1.C1", "tthc.records_total", 9.0, at),
        ],
        [Ob("P.D1.C2", "tthc.records_total", "2025-Q1", 5.0)],
        [Ob("P.D1.C2", "tthc.records_total", "2025-Q1", 3.0)],  # corrected down
    ]
    for engine in (embedded_fold(mini_rules, reqs), kafka_fold(mini_rules, reqs, [])):
        got = figures(engine)
        assert got[("tthc.records_total", "P.D1.C1", 2025, 1)] == 2.0  # the retry with 9 is the same event
        assert got[("tthc.records_total", "P.D1.C2", 2025, 1)] == 3.0
        assert got[("tthc.records_total", "P.D1", 2025, 1)] == 5.0
        assert got[("tthc.records_total", "P.D1", 2025, 4)] == 5.0  # year to date
        assert got[("tthc.records_total", "P.D1", 2024, 4)] is None


def test_the_same_figure_after_a_tied_level_changes_nothing_in_either_mode(mini_rules: RuleSet) -> None:
    for engine in (
        embedded_fold(mini_rules, SAME_FIGURE_AFTER_A_TIED_LEVEL),
        kafka_fold(mini_rules, SAME_FIGURE_AFTER_A_TIED_LEVEL, []),
    ):
        # the level 0 at the figure's moment arrived later, so it won; the figure sent again is not news
        assert figures(engine)[("infra.network", "P.D1.C1", 2024, 4)] == 0.0
