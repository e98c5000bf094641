"""`alerts.yaml` validation: every mistake is reported at the FILE:LINE:COL the analyst must fix."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from shared.rules.alert_model import BelowTarget, GoalAtRisk, Hold, Selector, Stale, SuddenDrop
from shared.rules.loader import check_files, load_ruleset
from shared.rules.model import RuleSet
from tests.shared.alerts.helpers import with_alerts, with_goal

MINI = Path(__file__).resolve().parents[2] / "fixtures" / "mini"
GOOD = """kind: alerts
settings: {repeat_interval: 1d, group_by: [receiver], keep_resolved: 30d}
rules:
  - {name: low, kind: below_target, severity: warning, for: 2, match: {indicators: [A1]}}
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "rules")
    return tmp_path / "rules"


def check(rules_dir: Path, text: str) -> tuple[str, list[str]]:
    """Write alerts.yaml, check it alone (in the context of the manifest beside it) and via the manifest."""
    path = rules_dir / "alerts.yaml"
    path.write_text(text, encoding="utf-8")
    alone = check_files([path])
    assert check_files([rules_dir / "ruleset.yaml"]) == alone
    return str(path), alone


def at(text: str, needle: str, token: str | None = None) -> str:
    """LINE:COL of `token` (default: needle) on the first line holding `needle`."""
    lines = text.splitlines()
    n = next(i for i, s in enumerate(lines) if needle in s)
    return f"{n + 1}:{lines[n].index(token or needle) + 1}"


def rule_line(body: str) -> str:
    return GOOD.replace("{name: low, kind: below_target, severity: warning, for: 2, match: {indicators: [A1]}}", body)


def test_the_fixture_and_a_good_file_are_valid(rules_dir: Path) -> None:
    assert check_files([rules_dir / "alerts.yaml"]) == []
    assert check(rules_dir, GOOD)[1] == []


def test_parsed_form(mini_rules: RuleSet) -> None:
    text = """kind: alerts
settings: {repeat_interval: 12h, group_by: [receiver, severity], copy_dti_department: false}
rules:
  - {name: low, kind: below_target, params: {margin: 5%}, for: 3, keep_firing_for: 2h, receiver: KHCN}
  - {name: late, kind: stale, params: {max_age: 1w}, match: {levels: [province], owners: [VP]}}
  - {name: drop, kind: sudden_drop, severity: critical, params: {drop: 20%, window: 1d12h, measure: score}}
"""
    alerts = with_alerts(mini_rules, text).alerts
    assert alerts is not None
    s = alerts.settings
    assert (s.repeat_interval, s.group_by, s.copy_dti_department) == (timedelta(hours=12), ("severity",), False)
    low, late, drop = alerts.rules
    assert (low.params, low.hold, low.keep, low.receiver) == (
        BelowTarget(0.05),
        Hold(evaluations=3),
        Hold(duration=timedelta(hours=2)),
        "KHCN",
    )
    assert (late.params, late.select) == (
        Stale(timedelta(days=7)),
        Selector(levels=frozenset({"province"}), owners=frozenset({"VP"})),
    )
    assert (drop.params, drop.severity, drop.receiver) == (
        SuddenDrop(0.2, timedelta(hours=36), "score"),
        "critical",
        "owner",
    )
    goal = with_alerts(
        with_goal(mini_rules),
        "kind: alerts\nrules:\n"
        "  - {name: g, kind: goal_at_risk, params: {baseline: {year: 2022, value: 0.5032}, tolerance: 2%}}\n",
    ).alerts
    assert goal is not None and goal.rules[0].params == GoalAtRisk((2022, 0.5032), 0.02, 0.0)


@pytest.mark.parametrize(
    ("body", "needle", "token", "message"),
    [
        (
            "{name: low, kind: below_targt}",
            "below_targt",
            None,
            "kind must be one of below_target, off_trajectory, stale, sudden_drop, goal_at_risk, source_silent, "
            "got 'below_targt'",
        ),
        (
            "{name: low, kind: below_target, severity: high}",
            "high",
            None,
            "severity must be one of critical, warning, info, got 'high'",
        ),
        (
            "{name: low, kind: below_target, for: 2 hours}",
            "2 hours",
            None,
            "for: '2 hours' is not a duration (write e.g. 30m, 12h, 1d, 1d12h or 2w)",
        ),
        (
            "{name: low, kind: below_target, for: 0}",
            "for: 0",
            "0",
            "for: a number of evaluations must be at least 1, got 0",
        ),
        (
            "{name: low, kind: below_target, keep_firing_for: [1]}",
            "[1]",
            None,
            "keep_firing_for must be a number of evaluations (e.g. 3) or a duration (e.g. 2h), got a list",
        ),
        (
            "{name: low, kind: below_target, match: {indicators: [A9]}}",
            "A9",
            None,
            "match: unknown indicator 'A9' (not in framework(s): mini)",
        ),
        (
            "{name: low, kind: below_target, match: {frameworks: [dti-2099]}}",
            "dti-2099",
            None,
            "match: unknown framework 'dti-2099' (known: mini)",
        ),
        (
            "{name: low, kind: below_target, match: {levels: [ward]}}",
            "ward",
            None,
            "match: unknown level 'ward' (levels: province, district, commune)",
        ),
        (
            "{name: low, kind: below_target, match: {owners: [SO_XYZ]}}",
            "SO_XYZ",
            None,
            "match: unknown department 'SO_XYZ'",
        ),
        (
            "{name: low, kind: below_target, receiver: SO_XYZ}",
            "SO_XYZ",
            None,
            "receiver: unknown department 'SO_XYZ' (or write 'owner' to route to the indicator's owner)",
        ),
        (
            "{name: low, kind: below_target, taget: 80%}",
            "taget",
            None,
            "alert rule: unknown key 'taget' (allowed: annotations, for, group_by, keep_firing_for, kind, labels, "
            "match, name, note, params, receiver, severity)",
        ),
        (
            "{name: low, kind: below_target, params: {margin: 5}}",
            "margin: 5",
            "5",
            "margin: write percentages with a percent sign, e.g. 5% (got 5)",
        ),
        (
            "{name: low, kind: below_target, params: {tolerance: 5%}}",
            "tolerance",
            None,
            "below_target params: unknown key 'tolerance' (allowed: margin)",
        ),
        (
            "{name: low, kind: below_target, labels: {severity: page}}",
            "severity: page",
            "severity",
            "labels: 'severity' is set by the alerts core and cannot be overridden",
        ),
        (
            "{name: low, kind: below_target, labels: {team-a: x}}",
            "team-a",
            None,
            "labels: 'team-a' is not a valid name (letters, digits and '_')",
        ),
        (
            "{name: low, kind: sudden_drop, params: {drop: 0%, window: 7d}}",
            "0%",
            None,
            "drop must be more than 0%",
        ),
        (
            "{name: low, kind: sudden_drop, params: {drop: 20%, window: 7 days}}",
            "7 days",
            None,
            "window: '7 days' is not a duration (write e.g. 30m, 12h, 1d, 1d12h or 2w)",
        ),
        (
            "{name: low, kind: goal_at_risk}",
            "goal_at_risk",
            None,
            "goal_at_risk: no selected framework declares a 'goal' (mini)",
        ),
        (
            "{name: 'low target', kind: below_target}",
            "low target",
            "'low target'",
            "rule name 'low target' may hold only letters, digits, '_', '.' and '-'",
        ),
    ],
)
def test_each_mistake_at_its_place(rules_dir: Path, body: str, needle: str, token: str | None, message: str) -> None:
    text = rule_line(body)
    path, problems = check(rules_dir, text)
    assert problems == [f"{path}:{at(text, needle, token)}: {message}"]


def test_missing_params_and_keys(rules_dir: Path) -> None:
    text = rule_line("{name: low, kind: sudden_drop}")
    path, problems = check(rules_dir, text)
    assert problems == [
        f"{path}:{at(text, '{name: low')}: alert rule 'low': sudden_drop needs params, e.g. {{drop: 20%, window: 7d}}"
    ]
    text = rule_line("{kind: below_target}")
    path, problems = check(rules_dir, text)
    assert problems == [f"{path}:{at(text, '{kind')}: alert rule: missing required key 'name'"]


def test_duplicate_rule_name(rules_dir: Path) -> None:
    text = GOOD + "  - {name: low, kind: stale}\n"
    path, problems = check(rules_dir, text)
    first = at(text, "{name: low, kind: below", "low")
    second = at(text, "{name: low, kind: stale", "low")
    assert problems == [f"{path}:{second}: duplicate rule name 'low' (first defined at {path}:{first})"]


def test_settings_mistakes(rules_dir: Path) -> None:
    text = GOOD.replace("repeat_interval: 1d", "repeat_interval: 0s").replace("[receiver]", "[receiver, org_unit]")
    path, problems = check(rules_dir, text)
    assert problems == [
        f"{path}:{at(text, 'repeat_interval', '0s')}: repeat_interval must be longer than 0",
        f"{path}:{at(text, 'org_unit')}: group_by: cannot group on 'org_unit' "
        "(allowed: receiver, alertname, kind, severity, framework, period, level)",
    ]


def test_goal_rule_on_a_framework_with_a_goal_is_fine(mini_rules: RuleSet) -> None:
    alerts = with_alerts(with_goal(mini_rules), "kind: alerts\nrules:\n  - {name: g, kind: goal_at_risk}\n").alerts
    assert alerts is not None and alerts.rules[0].kind == "goal_at_risk"


def test_alerts_file_in_the_manifest_and_the_rules_version(rules_dir: Path) -> None:
    rs = load_ruleset(rules_dir)
    assert rs.alerts is not None and [r.name for r in rs.alerts.rules] == [
        "below_target",
        "off_trajectory",
        "stale_data",
        "score_drop",
    ]
    assert any(f.endswith("alerts.yaml") for f, _ in rs.files)
    (rules_dir / "alerts.yaml").write_text(GOOD, encoding="utf-8")
    assert load_ruleset(rules_dir).version != rs.version  # an alert edit is a new rules version


def test_manifest_names_a_missing_or_wrong_alerts_file(rules_dir: Path) -> None:
    manifest = rules_dir / "ruleset.yaml"
    text = manifest.read_text(encoding="utf-8").replace("alerts: alerts.yaml", "alerts: alert.yaml")
    manifest.write_text(text, encoding="utf-8")
    assert check_files([manifest]) == [
        f"{manifest}:{at(text, 'alert.yaml')}: alerts file 'alert.yaml' not found next to the manifest"
    ]
    text = text.replace("alerts: alert.yaml", "alerts: mini.yaml")
    manifest.write_text(text, encoding="utf-8")
    assert check_files([manifest]) == [f"{rules_dir / 'mini.yaml'}:1:7: expected kind 'alerts' here, found 'framework'"]


def test_a_broken_framework_does_not_make_alert_codes_unknown(rules_dir: Path) -> None:
    fw = rules_dir / "mini.yaml"
    fw.write_text(
        fw.read_text(encoding="utf-8").replace("curve: {type: ratio}", "curve: {type: sigmoid}"), encoding="utf-8"
    )
    out = check_files([rules_dir / "ruleset.yaml"])
    assert len(out) == 1 and "sigmoid" in out[0]
    assert check_files([rules_dir / "alerts.yaml"]) == []


def test_alone_without_a_manifest_only_the_structure_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "alerts.yaml"
    path.write_text(
        rule_line("{name: low, kind: below_target, severity: loud, match: {indicators: [A9]}}"), encoding="utf-8"
    )
    out = check_files([path])
    assert len(out) == 1 and "severity must be one of" in out[0]  # A9 cannot be checked here


def test_the_province_alerts_file_is_valid_under_either_org_tree(mini_rules: RuleSet, province_rules: RuleSet) -> None:
    """rules/alerts.yaml names no indicator, framework or district level, so any rule set with a goal and a
    `province` level takes it — before and after the 2025 reform. Its `sources:` name the province's
    catalogue (systems and departments): checked against it, and left out for the mini fixture."""
    text = (Path(__file__).resolve().parents[3] / "rules" / "alerts.yaml").read_text(encoding="utf-8")
    without_sources = re.sub(r"(?ms)^sources:\n.*?(?=^settings:)", "", text)
    assert without_sources != text
    alerts = with_alerts(with_goal(mini_rules), without_sources).alerts
    assert alerts is not None and {r.kind for r in alerts.rules} == {
        "below_target",
        "off_trajectory",
        "stale",
        "sudden_drop",
        "goal_at_risk",
        "source_silent",
    }
    province = with_alerts(province_rules, text).alerts
    assert province is not None
    assert sorted(province.sources) == ["egov-portal", "eoffice", "lgsp", "payment", "reporting"]
    assert province.sources["lgsp"].silence == timedelta(days=3)


def test_sources_and_group_by_mistakes(rules_dir: Path) -> None:
    text = (
        "kind: alerts\n"
        "sources:\n"
        "  lgsp: {name: LGSP, owner: NOBODY, silence: 3d}\n"
        "  radio: {name: Đài, owner: VP}\n"
        "rules:\n"
        "  - {name: low, kind: below_target, group_by: [measure, colour]}\n"
    )
    path, problems = check(rules_dir, text)
    assert problems == [
        f"{path}:{at(text, 'NOBODY')}: source 'lgsp': unknown department 'NOBODY'",
        f"{path}:{at(text, 'radio')}: sources: unknown source 'radio' "
        "(the catalogue's sources: department, eoffice, lgsp)",
        f"{path}:{at(text, 'colour')}: group_by: cannot group a rule's alerts on 'colour' (allowed: framework, "
        "indicator, measure, org_unit, level, period, department, subject)",
    ]
