"""Scoring: metric events in, unit scores out. `ScoringEngine` holds the metric store for the rules and
scores any unit, period and framework (`UnitScore` of `CompositeResult`s and `IndicatorResult`s); the
semantics both modes' storage must follow (deduplication, counters, levels, corrections) are functions here
too, and the read models the API and the reports show (`score_tree`, `gaps`).

The names below are the package's public API; its modules are its own business (the services import from
here, tests/services/test_public_surface.py checks). The index code is `shared.rules.INDEX`.
"""

from shared.scoring.engine import MetricEvent, OwnUpdate, ScoringEngine
from shared.scoring.results import CompositeResult, IndicatorResult, UnitScore
from shared.scoring.semantics import (
    DEDUP_FIELDS,
    bucket_ts,
    correction,
    dedup_key,
    fold_counter,
    level_replaces,
    observation_at,
)
from shared.scoring.store import MetricStore, OwnEntry
from shared.scoring.view import covers, gaps, reason_halves, score_tree

__all__ = [
    "DEDUP_FIELDS",
    "CompositeResult",
    "IndicatorResult",
    "MetricEvent",
    "MetricStore",
    "OwnEntry",
    "OwnUpdate",
    "ScoringEngine",
    "UnitScore",
    "bucket_ts",
    "correction",
    "covers",
    "dedup_key",
    "fold_counter",
    "gaps",
    "level_replaces",
    "observation_at",
    "reason_halves",
    "score_tree",
]
