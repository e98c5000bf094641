"""The province's calendar as a running service sees it: today (shared.clock) and the assessment years
open today (shared.years), and the scores /metrics exports under them; one place for both modes."""

from __future__ import annotations

from collections.abc import Iterable

from shared.clock import today
from shared.rules import RuleSet
from shared.scoring import UnitScore
from shared.settings import Settings
from shared.years import open_years

MetricsView = tuple[RuleSet, list[UnitScore], set[str], tuple[int, ...]]


def open_years_today(rules: RuleSet) -> tuple[int, ...]:
    """The assessment years open on the province's today, oldest first."""
    return open_years(rules, today())


def scores_for_metrics(settings: Settings, rules: RuleSet, results: Iterable[UnitScore]) -> MetricsView:
    """What `ServiceMetrics.serve_scores` exports: the scores at the configured levels (by default the
    tree's two top levels) for the years open today."""
    levels = set(settings.metrics_levels or rules.org_tree.levels[:2])
    return rules, list(results), levels, open_years_today(rules)
