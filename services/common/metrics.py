"""Prometheus metrics of every service, on a registry of their own (one per app, so tests stay isolated).

Names are a contract (SPEC): dti_index_value, dti_pillar_value, dti_indicator_value/score/target,
dti_alerts_firing, dti_ingest_events_total. Score series exist only for the levels configured (by default
the province and the level below) and for the open assessment years (`year` label: on 1 January the year
being assessed stays beside the new one), to keep cardinality bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shared.rules import INDEX, RuleSet
from shared.scoring import UnitScore

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ServiceMetrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.alerts_firing = Gauge("dti_alerts_firing", "Alerts firing", ["severity"], registry=r)
        for sev in ("critical", "warning", "info"):
            self.alerts_firing.labels(sev).set(0)
        self.ingest_events = Counter(
            "dti_ingest_events_total", "Events received, by source and outcome", ["source", "outcome"], registry=r
        )
        self.ingest_rejections = Counter(
            "dti_ingest_rejections_total", "Events or requests refused, by reason", ["source", "reason"], registry=r
        )
        self.ingest_mapped = Counter(
            "dti_ingest_mapped_events_total",
            "Events naming a pre-reform org-unit code, counted for the unit in force (by source: who still sends them)",
            ["source"],
            registry=r,
        )
        self.last_event = Gauge(
            "dti_ingest_last_event_timestamp_seconds",
            "When a source last sent an accepted event (Unix time)",
            ["source"],
            registry=r,
        )
        self.http_duration = Histogram(
            "dti_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.scoring_events = Counter("dti_scoring_events_total", "Events applied to the scores", registry=r)
        self.scoring_skipped = Counter(
            "dti_scoring_events_skipped_total",
            "Events not applied, by reason: duplicate (a client's retry, or the same figure again), replayed "
            "(redelivered after a crash or rebalance, already counted), dead_letter (unreadable, set aside)",
            ["reason"],
            registry=r,
        )
        self.scoring_lag = Gauge("dti_scoring_lag_events", "Accepted events not yet applied to the scores", registry=r)
        self.scoring_last = Gauge(
            "dti_scoring_last_applied_timestamp_seconds",
            "When the scorer last applied an event (Unix time)",
            registry=r,
        )
        self.rules_reloads = Counter(
            "dti_rules_reloads_total", "Rules reload attempts, by outcome", ["outcome"], registry=r
        )
        self.rules_ok = Gauge("dti_rules_last_reload_success", "1 if the last rules reload succeeded", registry=r)
        self.rules_loaded_at = Gauge(
            "dti_rules_loaded_timestamp_seconds", "When the rules in force were loaded", registry=r
        )
        self.rules_ok.set(1)
        self.rules_info = Gauge(
            "dti_rules_info",
            "Rules version in force (value 1); workers that disagree show two",
            ["version"],
            registry=r,
        )
        self.kafka_lag = Gauge(
            "dti_kafka_consumer_lag_messages",
            "Messages on the topic not yet consumed by this worker",
            ["topic"],
            registry=r,
        )
        self.kafka_rereads = Counter(
            "dti_kafka_consumer_rereads_total",
            "Holes in the offsets Faust handed the scoring agent within an assignment, read directly and folded "
            "in order (docs/kafka-mode.md)",
            ["topic"],
            registry=r,
        )
        self.kafka_produce_failures = Counter(
            "dti_kafka_produce_failures_total", "Sends the broker did not acknowledge in time", ["topic"], registry=r
        )

    def set_rules_version(self, version: str) -> None:
        self.rules_info.clear()
        self.rules_info.labels(version).set(1)

    def serve_scores(self, source: ScoresSource) -> None:
        """Export the scores at scrape time: the hot path never touches Prometheus."""
        self.registry.register(ScoresCollector(source))


ScoresSource = Callable[[], tuple[RuleSet, Iterable[UnitScore], set[str], Collection[int]]]

_SCORE_FAMILIES = (
    ("dti_index_value", "DTI value (0..1) of an org unit, per open assessment year", ["framework", "org_unit", "year"]),
    ("dti_index_points", "DTI points of an org unit, per open assessment year", ["framework", "org_unit", "year"]),
    ("dti_pillar_value", "Pillar value (0..1)", ["framework", "org_unit", "year", "pillar"]),
    (
        "dti_main_indicator_value",
        "Main indicator value (0..1)",
        ["framework", "org_unit", "year", "main_indicator"],
    ),
    (
        "dti_indicator_value",
        "Component indicator value (percent as ratio 0..1)",
        ["framework", "org_unit", "year", "indicator"],
    ),
    ("dti_indicator_score", "Component indicator score (0..1)", ["framework", "org_unit", "year", "indicator"]),
    ("dti_indicator_target", "Component indicator target for the year", ["framework", "org_unit", "year", "indicator"]),
)

# the DTI value the province's goal requires (a framework's `goal` in the rules): the goal line on dashboards
_GOAL_FAMILY = ("dti_index_goal", "DTI value (0..1) the framework's goal requires by its year", ["framework", "year"])


class ScoresCollector(Collector):
    """Score series for the configured levels (by default the province and the level below) and the open
    assessment years. No data is NaN: the series exists, so dashboards say "no data", but it never reads as a zero."""

    def __init__(self, source: ScoresSource) -> None:
        self.source = source

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(n, h, labels=lb) for n, h, lb in (*_SCORE_FAMILIES, _GOAL_FAMILY)]

    def collect(self) -> Iterable[Metric]:
        rules, scores, levels, open_years = self.source()
        years = set(open_years)
        fams = {n: GaugeMetricFamily(n, h, labels=lb) for n, h, lb in _SCORE_FAMILIES}
        goal = GaugeMetricFamily(*_GOAL_FAMILY[:2], labels=_GOAL_FAMILY[2])
        for fw_code, framework in rules.frameworks.items():
            if framework.goal is not None and framework.goal.value is not None:
                goal.add_metric([fw_code, str(framework.goal.year)], framework.goal.value)
        tree = rules.org_tree
        seen: set[tuple[str, int, int]] = set()
        for us in scores:
            unit = tree.units[us.unit]
            if us.year not in years or unit.level not in levels or us.framework not in rules.frameworks:
                continue
            seen.add((us.framework, us.unit, us.year))
            fw, code, y = us.framework, unit.code, str(us.year)
            idx = us.composites[INDEX]
            fams["dti_index_value"].add_metric([fw, code, y], _v(idx.value))
            fams["dti_index_points"].add_metric(
                [fw, code, y], _v(None if idx.value is None else idx.value * rules.frameworks[fw].scale)
            )
            for p, r in us.composites.items():
                if p != INDEX:
                    fams["dti_pillar_value"].add_metric([fw, code, y, p], _v(r.value))
            for m, r in us.mains.items():
                fams["dti_main_indicator_value"].add_metric([fw, code, y, m], _v(r.value))
            for c, ir in us.indicators.items():
                fams["dti_indicator_value"].add_metric([fw, code, y, c], _v(ir.value))
                fams["dti_indicator_score"].add_metric([fw, code, y, c], _v(ir.score))
                fams["dti_indicator_target"].add_metric([fw, code, y, c], _v(ir.target))
        # an open year without data yet (1 January) still has its DTI series, as "no data"
        for fw in rules.frameworks:
            for year in years:
                for unit in tree.units:
                    if unit.level in levels and (fw, unit.index, year) not in seen:
                        fams["dti_index_value"].add_metric([fw, unit.code, str(year)], _v(None))
                        fams["dti_index_points"].add_metric([fw, unit.code, str(year)], _v(None))
        return [*fams.values(), goal]


def _v(value: float | None) -> float:
    return float("nan") if value is None else value
