"""The piecewise-linear curve (shared/rules/curves/piecewise.py): read from the rules, scored through the
engine on the hand-computed mini scenario, explained, and every mistake reported at its line.

Expected scores are worked out by hand from the points (arithmetic in comments)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shared.periods import parse_period
from shared.rules.curves import CURVES, Piecewise
from shared.rules.explain import describe_curve
from shared.rules.loader import check_files, load_ruleset
from tests.shared.scenario import golden_scenario

MINI = Path(__file__).resolve().parents[2] / "fixtures" / "mini"
A1_CURVE = "curve: {type: linear, floor: 0%}"
B2_CURVE = "curve: {type: steps, bands: [{min: 10, score: 1}, {min: 5, score: 0.5}]}"
approx = pytest.approx


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "rules")
    return tmp_path / "rules"


def edit(rules_dir: Path, old: str, new: str) -> str:
    path = rules_dir / "mini.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text


def at(rules_dir: Path, text: str, needle: str, point: str = "") -> str:
    """FILE:LINE:COL of the line holding `needle`, at `needle` (or at `point` within it)."""
    line, s = next((i, s) for i, s in enumerate(text.splitlines(), 1) if needle in s)
    return f"{rules_dir / 'mini.yaml'}:{line}:{s.index(needle) + needle.index(point) + 1}"


def test_the_registry_names_it() -> None:
    assert CURVES["piecewise"] is Piecewise


def test_higher_is_better_scores_through_the_points(rules_dir: Path) -> None:
    edit(rules_dir, A1_CURVE, "curve: {type: piecewise, points: [[20%, 0], [50%, 0.6], [80%, 1]]}")
    rules = load_ruleset(rules_dir)
    engine = golden_scenario(rules)
    year = parse_period("2025")
    a1 = {u: engine.score("mini", u, year).indicators["A1"] for u in ("P.D1.C1", "P.D1.C2", "P.D1", "P")}
    # C2: 1/6 = 0.1667 is below the first point's 20%: the first point's score, 0
    assert (a1["P.D1.C2"].score, a1["P.D1.C2"].earned) == (0.0, 0.0)
    # D1: 0.4 lies between 20% (0) and 50% (0.6): 0.6 × (0.4 - 0.2) / 0.3 = 0.4 -> 40 points × 0.4 = 16
    assert (a1["P.D1"].score, a1["P.D1"].earned) == (approx(0.4), approx(16.0))
    # P: 6/14 = 0.428571: 0.6 × (0.428571 - 0.2) / 0.3 = 0.457143
    assert a1["P"].score == approx(0.6 * (6 / 14 - 0.2) / 0.3)
    # C1: 0.75 between 50% (0.6) and 80% (1): 0.6 + 0.4 × 0.25 / 0.3 = 0.933333; the target (80%) decides "met"
    assert (a1["P.D1.C1"].score, a1["P.D1.C1"].status) == (approx(0.6 + 0.4 * 0.25 / 0.3), "below_target")


def test_lower_is_better_scores_fall_with_the_value(rules_dir: Path) -> None:
    edit(rules_dir, "    levels: [province]\n", "    levels: [province]\n    direction: lower\n")
    edit(rules_dir, B2_CURVE, "curve: {type: piecewise, points: [[2, 1], [10, 0.5], [20, 0]]}")
    engine = golden_scenario(load_ruleset(rules_dir))
    b2 = engine.score("mini", "P", parse_period("2025")).indicators["B2"]
    # P reports 7: between 2 (1) and 10 (0.5): 1 - 0.5 × (7 - 2) / 8 = 0.6875 -> 20 × 0.6875 = 13.75; 7 <= 10 meets
    assert (b2.value, b2.score, b2.earned, b2.status) == (7.0, approx(0.6875), approx(13.75), "met")
    curve = Piecewise(((2.0, 1.0), (10.0, 0.5), (20.0, 0.0)))
    # beyond the last point: the last point's score; at or before the first: the first's
    assert [curve.score(v, 10.0, "lower") for v in (0.0, 2.0, 20.0, 35.0)] == [1.0, 1.0, 0.0, 0.0]


def test_it_explains_itself() -> None:
    curve = Piecewise(((0.2, 0.0), (0.5, 0.6), (0.8, 1.0)))
    assert describe_curve(curve, "percent") == (
        "tuyến tính từng đoạn qua / piecewise linear through: 20% → 0, 50% → 0.6, 80% → 1"
    )


@pytest.mark.parametrize(
    ("points", "needle", "point", "message"),
    [
        ("[[20%, 0]]", "points: [[20%", "[[", "a piecewise curve needs at least two points, e.g. [[20%, 0], [80%, 1]]"),
        (
            "[[20%, 0], [20%, 1]]",
            "[20%, 1]",
            "",
            "point value 20% is not above the previous 20%: list the points with values strictly increasing",
        ),
        (
            "[[50%, 0], [20%, 1]]",
            "[20%, 1]",
            "",
            "point value 20% is not above the previous 50%: list the points with values strictly increasing",
        ),
        ("[[20%, 0], [80%, 1.5]]", "1.5", "", "point score 1.5 must lie between 0 and 1"),
        (
            "[[20%, 1], [80%, 0]]",
            "[80%, 0]",
            "",
            "point score 0 falls from 1 at a higher value on a higher-is-better indicator: scores must rise (or "
            "stay level) as the value grows",
        ),
        ("[[20%, 0], [80%]]", "[80%]", "", "a point is [value, score], e.g. [50%, 0.6]"),
        (
            "[[0.2, 0], [80%, 1]]",
            "0.2",
            "",
            "point value: write percentages with a percent sign, e.g. 0.2% (got 0.2)",
        ),
    ],
)
def test_each_mistake_at_its_line(rules_dir: Path, points: str, needle: str, point: str, message: str) -> None:
    text = edit(rules_dir, A1_CURVE, f"curve: {{type: piecewise, points: {points}}}")
    assert check_files([rules_dir / "mini.yaml"]) == [f"{at(rules_dir, text, needle, point)}: {message}"]


def test_a_lower_is_better_curve_whose_scores_rise(rules_dir: Path) -> None:
    edit(rules_dir, "    levels: [province]\n", "    levels: [province]\n    direction: lower\n")
    text = edit(rules_dir, B2_CURVE, "curve: {type: piecewise, points: [[2, 0], [10, 1]]}")
    assert check_files([rules_dir / "mini.yaml"]) == [
        f"{at(rules_dir, text, '[10, 1]')}: point score 1 rises from 0 at a higher value on a lower-is-better "
        f"indicator: scores must fall (or stay level) as the value grows"
    ]


def test_an_unknown_key(rules_dir: Path) -> None:
    text = edit(rules_dir, A1_CURVE, "curve: {type: piecewise, points: [[20%, 0], [80%, 1]], floor: 0%}")
    assert check_files([rules_dir / "mini.yaml"]) == [
        f"{at(rules_dir, text, 'floor: 0%')}: piecewise curve: unknown key 'floor' (allowed: points, type)"
    ]
