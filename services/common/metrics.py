"""Prometheus metrics of every service, on a registry of their own (one per app, so tests stay isolated).

Names are a contract (SPEC): dti_index_value, dti_pillar_value, dti_indicator_value/score/target,
dti_alerts_firing, dti_ingest_events_total. Score series exist only for the levels configured (by default
the province and the level below) and for the current assessment year, to keep cardinality bounded.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shared.rules.model import RuleSet
from shared.scoring.evaluate import INDEX
from shared.scoring.results import UnitScore

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ServiceMetrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.index_value = Gauge(
            "dti_index_value", "DTI value (0..1) of an org unit, current year", ["framework", "org_unit"], registry=r
        )
        self.index_points = Gauge(
            "dti_index_points", "DTI points of an org unit, current year", ["framework", "org_unit"], registry=r
        )
        self.pillar_value = Gauge(
            "dti_pillar_value", "Pillar value (0..1)", ["framework", "org_unit", "pillar"], registry=r
        )
        self.main_value = Gauge(
            "dti_main_indicator_value",
            "Main indicator value (0..1)",
            ["framework", "org_unit", "main_indicator"],
            registry=r,
        )
        self.indicator_value = Gauge(
            "dti_indicator_value",
            "Component indicator value (percent as ratio 0..1)",
            ["framework", "org_unit", "indicator"],
            registry=r,
        )
        self.indicator_score = Gauge(
            "dti_indicator_score",
            "Component indicator score (0..1)",
            ["framework", "org_unit", "indicator"],
            registry=r,
        )
        self.indicator_target = Gauge(
            "dti_indicator_target",
            "Component indicator target for the current year",
            ["framework", "org_unit", "indicator"],
            registry=r,
        )
        self.alerts_firing = Gauge("dti_alerts_firing", "Alerts firing", ["severity"], registry=r)
        for sev in ("critical", "warning", "info"):
            self.alerts_firing.labels(sev).set(0)
        self.ingest_events = Counter(
            "dti_ingest_events_total", "Events received, by source and outcome", ["source", "outcome"], registry=r
        )
        self.ingest_rejections = Counter(
            "dti_ingest_rejections_total", "Events or requests refused, by reason", ["source", "reason"], registry=r
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
        self.levels: set[str] = set()
        self.year: int = 0

    def configure(self, rules: RuleSet, levels: list[str] | None, year: int) -> None:
        self.levels = set(levels) if levels else set(rules.org_tree.levels[:2])
        self.year = year

    def observe_scores(self, rules: RuleSet, scores: Iterable[UnitScore]) -> None:
        tree = rules.org_tree
        for us in scores:
            if us.year != self.year or us.quarter != 4:
                continue
            unit = tree.units[us.unit]
            if unit.level not in self.levels:
                continue
            fw = us.framework
            code = unit.code
            idx = us.composites[INDEX]
            _set(self.index_value.labels(fw, code), idx.value)
            _set(
                self.index_points.labels(fw, code),
                None if idx.value is None else idx.value * rules.frameworks[fw].scale,
            )
            for p, r in us.composites.items():
                if p != INDEX:
                    _set(self.pillar_value.labels(fw, code, p), r.value)
            for m, r in us.mains.items():
                _set(self.main_value.labels(fw, code, m), r.value)
            for c, ir in us.indicators.items():
                _set(self.indicator_value.labels(fw, code, c), ir.value)
                _set(self.indicator_score.labels(fw, code, c), ir.score)
                _set(self.indicator_target.labels(fw, code, c), ir.target)

    def clear_scores(self) -> None:
        for g in (
            self.index_value,
            self.index_points,
            self.pillar_value,
            self.main_value,
            self.indicator_value,
            self.indicator_score,
            self.indicator_target,
        ):
            g.clear()


def _set(g: Gauge, value: float | None) -> None:
    # no data is NaN: the series exists (so dashboards show "no data") but never reads as a zero
    g.set(float("nan") if value is None else value)
