"""Shared scaffolding for the alerts tests: the mini fixture's scores and alert rules written inline."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from shared.alerts.conditions import PythonEvaluator
from shared.alerts.durable_evaluator import DurableEvaluator
from shared.alerts.engine import AlertEngine, EvaluatorFactory, RoundResult
from shared.alerts.state import Alert, AlertBook
from shared.periods import PROVINCE_TZ
from shared.rules.alerts_file import parse_alerts
from shared.rules.model import Framework, Goal, Indicator, Reporting, RuleSet
from shared.rules.problems import Problems
from shared.rules.source import load_yaml
from tests.shared.scenario import feed as feed
from tests.shared.scenario import golden_scenario as golden_scenario

BASE = "http://dti.test"
T0 = datetime(2025, 3, 14, 9, 30, tzinfo=PROVINCE_TZ)
EVALUATORS: dict[str, EvaluatorFactory] = {"durable": DurableEvaluator, "python": PythonEvaluator}


def with_alerts(rules: RuleSet, text: str) -> RuleSet:
    """The rule set with an alerts file written inline (validated against that rule set)."""
    problems = Problems()
    node = load_yaml(text, "alerts.yaml", problems)
    assert node is not None, problems.sorted()
    parsed = parse_alerts(node, problems, rules.catalog, rules.org_tree, rules.frameworks, "alerts.yaml")
    assert not problems and parsed is not None, [str(p) for p in problems.sorted()]
    return replace(rules, alerts=parsed)


def one_rule(rules: RuleSet, rule: str, settings: str = "") -> RuleSet:
    """An alerts file holding one rule given as YAML flow mapping text."""
    return with_alerts(rules, f"kind: alerts\n{settings}rules:\n  - {rule}\n")


def change_indicator(rules: RuleSet, framework: str, code: str, **changes: object) -> RuleSet:
    fw = rules.frameworks[framework]
    ind: Indicator = replace(fw.indicators[code], **changes)
    new_fw: Framework = replace(fw, indicators={**fw.indicators, code: ind})
    return replace(rules, frameworks={**rules.frameworks, framework: new_fw})


def quarterly(rules: RuleSet, code: str, deadline_days: int = 15) -> RuleSet:
    return change_indicator(rules, "mini", code, reporting=Reporting("quarterly", deadline_days))


def with_goal(rules: RuleSet, year: int = 2025, value: float = 0.62) -> RuleSet:
    fw = replace(rules.frameworks["mini"], goal=Goal(year, value, "rank 45/63"))
    return replace(rules, frameworks={**rules.frameworks, "mini": fw})


class Harness:
    """A scoring engine, an alert engine and a book, evaluated together at injected times."""

    def __init__(self, rules: RuleSet, evaluator: EvaluatorFactory = DurableEvaluator) -> None:
        self.scoring = golden_scenario(rules)
        self.alerts = AlertEngine(rules, BASE, evaluator)
        self.book = AlertBook()

    def run(self, now: datetime, last_data: dict[tuple[str, str], datetime] | None = None) -> RoundResult:
        result = self.alerts.evaluate(self.book, list(self.scoring.results.values()), now, last_data)
        assert result.errors == ()
        return result

    def firing(self) -> set[tuple[str, str, str]]:
        """(alertname, indicator, org_unit) of every firing alert."""
        return {
            (a.labels["alertname"], a.labels["indicator"], a.labels["org_unit"]) for a in self.book.find(["firing"])
        }

    def alert(self, name: str, indicator: str, org_unit: str) -> Alert:
        found = [
            a
            for a in self.book.alerts.values()
            if (a.labels["alertname"], a.labels["indicator"], a.labels["org_unit"]) == (name, indicator, org_unit)
        ]
        assert len(found) == 1, found
        return found[0]


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
