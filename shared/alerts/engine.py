"""One evaluation round: scores in, state transitions and grouped notifications out.

    engine = AlertEngine(rules, base_url="https://dti.laichau.gov.vn")
    book = AlertBook()                      # or AlertBook.from_dict(saved)
    result = engine.evaluate(book, scores, now=clock(), last_data=last_seen)
    persist(book.to_dict(), result.transitions); deliver(result.notifications)

The same core serves the embedded app and the Kafka alerts service. It keeps one ConditionEvaluator per
set of conditions (so durable-rules builds one ruleset per alerts-file version, not one per round) and
must be driven from one thread.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.alerts.conditions import Condition, ConditionEvaluator, conditions_for
from shared.alerts.durable_evaluator import DurableEvaluator
from shared.alerts.facts import (
    SOURCE_SCOPE,
    Candidate,
    CandidateBuilder,
    LastData,
    LastSource,
    SourceCandidate,
)
from shared.alerts.grouping import GroupCandidate, fold
from shared.alerts.inhibit import inhibit
from shared.alerts.lifecycle import Subjected, advance
from shared.alerts.messages import render_annotations, render_group, render_source
from shared.alerts.notify import Notification, notifications
from shared.alerts.state import Alert, AlertBook, Transition, require_aware
from shared.rules.alert_model import AlertRules, AlertSettings, Stale, SuddenDrop
from shared.rules.codes import INDEX
from shared.rules.model import RuleSet
from shared.scoring.results import UnitScore

EvaluatorFactory = Callable[[Sequence[Condition]], ConditionEvaluator]


@dataclass(frozen=True, slots=True)
class RoundResult:
    at: datetime
    rules_version: str
    transitions: tuple[Transition, ...]
    notifications: tuple[Notification, ...]
    errors: tuple[str, ...]  # from the condition evaluator: the round went on without those facts
    facts: int
    matched: int


class AlertEngine:
    """The alert rules in force and their condition evaluator; the state lives in the AlertBook passed in."""

    def __init__(self, rules: RuleSet, base_url: str, evaluator: EvaluatorFactory = DurableEvaluator) -> None:
        self._factory = evaluator
        self.base_url = base_url.rstrip("/")
        self._conditions: tuple[Condition, ...] = ()
        self._evaluator: ConditionEvaluator | None = None
        self.rules = rules
        self.swap_rules(rules)

    @property
    def config(self) -> AlertRules | None:
        return self.rules.alerts

    def swap_rules(self, rules: RuleSet) -> None:
        """Take new rules (hot reload). The condition evaluator is rebuilt only if the conditions changed."""
        conditions = conditions_for(rules.alerts)
        if self._evaluator is None or conditions != self._conditions:
            self._evaluator = self._factory(conditions)
            self._conditions = conditions
        self.rules = rules

    def evaluate(
        self,
        book: AlertBook,
        scores: Iterable[UnitScore],
        now: datetime,
        last_data: LastData | None = None,
        last_source: LastSource | None = None,
        years: Collection[int] | None = None,
    ) -> RoundResult:
        """Evaluate every rule against `scores` at `now`, mutating `book`.

        `scores` may be all current scores or only those that changed: alerts of frameworks, units and
        periods absent from them keep their state. Stale-data rules run only when `last_data` is given
        (newest data per metric or indicator code and org-unit code, for the unit itself: the core adds
        descendants); it must then cover every unit. Source rules run only when `last_source` is given
        (newest event per source system). `years`: the open assessment years (shared.years.open_years), whose
        trajectories and goal are compared; default the year of `now`.
        """
        require_aware(now)
        cfg = self.config
        version = self.rules.version
        subjects: list[Subjected] = []
        facts = 0
        if cfg is None:
            scopes: set[str] = set()
            matched: frozenset[str] = frozenset()
            errors: tuple[str, ...] = ()
        else:
            builder = CandidateBuilder(self.rules, cfg, self.base_url)
            built = builder.build(scores, now, book.series, last_data, last_source, years)
            assert self._evaluator is not None
            all_facts = [c.fact for c in built.candidates] + [s.fact for s in built.sources]
            facts = len(all_facts)
            outcome = self._evaluator.evaluate(all_facts)
            scopes, matched, errors = built.scopes, outcome.ids, outcome.errors
            plain, groups = fold(book, built.candidates, matched, scopes, cfg)
            matched = matched | {g.fingerprint for g in groups if g.members}
            subjects = [*plain, *groups, *built.sources]
            for key, value in built.samples:
                book.series.record(key, now.timestamp(), value)
            horizon = max(
                (r.params.window.total_seconds() for r in cfg.rules if isinstance(r.params, SuddenDrop)), default=0.0
            )
            book.series.trim(now.timestamp(), horizon)

        def annotate(c: Subjected, resolved: bool) -> dict[str, str]:
            if isinstance(c, Candidate):
                return render_annotations(c.reading, c.rule.severity, resolved, version)
            if isinstance(c, GroupCandidate):
                link = c.members[0]["link"] if c.members else f"{self.base_url}/#alerts-section"
                reports = c.rule.params.reports if isinstance(c.rule.params, Stale) else "all"
                return render_group(c.rule.kind, c.rule.severity, c.members, resolved, version, link, reports)
            assert isinstance(c, SourceCandidate)
            return render_source(
                c.name,
                c.name_en,
                c.owner_name,
                c.owner_name_en,
                c.last,
                c.silence_text,
                c.rule.severity,
                resolved,
                version,
                c.link,
            )

        changes = advance(book, subjects, matched, scopes, cfg, self._known, now, annotate)
        if cfg is not None:
            inhibit(book, cfg, self.rules.catalog)
        settings = cfg.settings if cfg is not None else AlertSettings()  # without a file: resolve and tell
        names = {code: (d.name, d.name_en) for code, d in self.rules.catalog.departments.items()}
        sent = notifications(book, settings, changes.resolved, now, names, version, self.base_url)
        book.prune(now, settings.keep_resolved)
        return RoundResult(
            at=now,
            rules_version=version,
            transitions=tuple(changes.transitions),
            notifications=tuple(sent),
            errors=errors,
            facts=facts,
            matched=len(matched),
        )

    def _known(self, alert: Alert) -> bool:
        """Whether the framework, indicator and unit an alert is about still exist in the rules."""
        if alert.scope == SOURCE_SCOPE:
            cfg = self.config
            return cfg is not None and alert.labels.get("source", "") in cfg.sources
        if alert.members is not None:
            return True  # a group: `fold` keeps it in every round while its rule groups
        fw = self.rules.frameworks.get(alert.labels.get("framework", ""))
        if fw is None or alert.labels.get("org_unit", "") not in self.rules.org_tree.by_code:
            return False
        ind = alert.labels.get("indicator", "")
        return ind == INDEX or ind in fw.indicators
