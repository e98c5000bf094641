"""One test per kind of validation error, each asserting the FILE:LINE:COL the analyst is sent to."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shared.rules.loader import check_files, load_ruleset
from shared.rules.problems import RulesInvalid

MINI = Path(__file__).resolve().parents[2] / "fixtures" / "mini"


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    shutil.copytree(MINI, tmp_path / "rules")
    return tmp_path / "rules"


def edit(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def problems_for(rules_dir: Path, name: str = "ruleset.yaml") -> list[str]:
    return check_files([rules_dir / name])


def test_valid_rules_have_no_problems(rules_dir: Path) -> None:
    assert problems_for(rules_dir) == []
    assert problems_for(rules_dir, "mini.yaml") == []


def test_unknown_metric(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "numerator: tthc.records_online", "numerator: tthc.records_onlin")
    line = line_of(text, "tthc.records_onlin,")
    col = text.splitlines()[line - 1].index("tthc.records_onlin") + 1
    assert problems_for(rules_dir, "mini.yaml") == [
        f"{rules_dir / 'mini.yaml'}:{line}:{col}: numerator: unknown metric 'tthc.records_onlin'"
    ]


def test_unknown_indicator_reference_in_weights(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "weights: {A: 60}}", "weights: {AA: 60}}")
    line = line_of(text, "weights: {AA: 60}")
    out = problems_for(rules_dir)
    assert any(p.startswith(f"{rules_dir / 'mini.yaml'}:{line}:") and "unknown code 'AA'" in p for p in out), out


def test_unknown_main_indicator(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "    main: B\n    name: Xã có mạng", "    main: BB\n    name: Xã có mạng")
    line = line_of(text, "main: BB")
    out = problems_for(rules_dir)
    assert f"{rules_dir / 'mini.yaml'}:{line}:11: indicator 'B1': unknown main indicator 'BB'" in out


def test_duplicate_code(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "  - code: A2\n", "  - code: A1\n")
    line = [i for i, s in enumerate(text.splitlines(), 1) if s.strip() == "- code: A1"][1]
    out = problems_for(rules_dir)
    assert any(p.startswith(f"{rules_dir / 'mini.yaml'}:{line}:11: duplicate code 'A1'") for p in out), out


def test_duplicate_yaml_key(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "    points: 40\n", "    points: 40\n    points: 30\n")
    line = line_of(text, "points: 30")
    out = problems_for(rules_dir, "mini.yaml")
    assert len(out) == 1 and out[0].startswith(f"{rules_dir / 'mini.yaml'}:{line}:") and "points" in out[0], out


def test_cycle_between_pillars(rules_dir: Path) -> None:
    text = edit(
        rules_dir / "mini.yaml",
        "{code: X, name: Trụ cột X, total: 100, weights: {A: 60, B: 40}}",
        "{code: X, name: Trụ cột X, total: 100, weights: {A: 60, Y: 40}}",
    )
    edit(
        rules_dir / "mini.yaml",
        "{code: Y, name: Trụ cột Y, total: 60, weights: {A: 60}}",
        "{code: Y, name: Trụ cột Y, total: 60, weights: {X: 60}}",
    )
    out = problems_for(rules_dir)
    cycles = [p for p in out if "cycle between pillars" in p]
    assert cycles and cycles[0].startswith(f"{rules_dir / 'mini.yaml'}:{line_of(text, '{code: Y')}:"), out


def test_points_do_not_add_up(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "    points: 20\n    owner: VP", "    points: 25\n    owner: VP")
    line = line_of(text, "{code: A, name")
    col = text.splitlines()[line - 1].index("points: 60") + len("points: ") + 1
    a2 = [i for i, s in enumerate(text.splitlines(), 1) if s == "    points: 25"][0]
    a1 = [i for i, s in enumerate(text.splitlines(), 1) if s == "    points: 40"][0]
    where = f"{rules_dir / 'mini.yaml'}:{line}:{col}"
    assert problems_for(rules_dir) == [
        f"{where}: main indicator 'A' declares 60 points but its indicators add up to 65: "
        f"A1 40 (line {a1}), A2 25 (line {a2}); make them add up to 60",
        f"{rules_dir / 'mini.yaml'}:{a1}:13: indicator 'A1': its 40 points make main indicator 'A' add up to 65, "
        f"but 'A' declares 60 ({where}); write 35 here, or change another indicator's points",
        f"{rules_dir / 'mini.yaml'}:{a2}:13: indicator 'A2': its 25 points make main indicator 'A' add up to 65, "
        f"but 'A' declares 60 ({where}); write 20 here, or change another indicator's points",
    ]


def test_weights_do_not_add_up(rules_dir: Path) -> None:
    text = edit(
        rules_dir / "mini.yaml", "  total: 100\n  weights: {A: 60, B: 40}", "  total: 100\n  weights: {A: 60, B: 30}"
    )
    line = line_of(text, "  total: 100")
    assert problems_for(rules_dir) == [
        f"{rules_dir / 'mini.yaml'}:{line}:10: index 'DTI' declares a total of 100 but its weights add up to 90"
    ]


def test_percentage_out_of_range(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "targets: {2025: 80%, 2030: 100%}", "targets: {2025: 80%, 2030: 110%}")
    line = line_of(text, "110%")
    col = text.splitlines()[line - 1].index("110%") + 1
    assert problems_for(rules_dir) == [
        f"{rules_dir / 'mini.yaml'}:{line}:{col}: target 2030: percentage 110% is out of range (0% to 100%)"
    ]


def test_percentage_without_sign_is_refused(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "targets: {2025: 80%, 2030: 100%}", "targets: {2025: 0.8, 2030: 100%}")
    line = line_of(text, "2025: 0.8")
    out = problems_for(rules_dir)
    assert len(out) == 1 and out[0].startswith(f"{rules_dir / 'mini.yaml'}:{line}:") and "percent sign" in out[0]


def test_target_missing_for_a_level_with_units(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "      commune: {2025: 60%, 2030: 70%}\n", "")
    line = line_of(text, "      province: {2025: 90%")
    assert problems_for(rules_dir) == [
        f"{rules_dir / 'mini.yaml'}:{line}:7: indicator 'A2': no target for level 'commune', which has units "
        f"and where the indicator is scored"
    ]


def test_unknown_curve_type(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "curve: {type: ratio}", "curve: {type: sigmoid}")
    line = line_of(text, "sigmoid")
    col = text.splitlines()[line - 1].index("sigmoid") + 1
    assert problems_for(rules_dir) == [
        f"{rules_dir / 'mini.yaml'}:{line}:{col}: unknown curve type 'sigmoid' "
        f"(known: linear, piecewise, ratio, steps, yes_no)"
    ]


def test_wrong_type(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "    points: 40\n", "    points: forty\n")
    line = line_of(text, "points: forty")
    out = problems_for(rules_dir, "mini.yaml")
    assert f"{rules_dir / 'mini.yaml'}:{line}:13: points must be a number, got text 'forty'" in out


def test_unknown_key_is_a_typo_not_ignored(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "    owner: KHCN\n  - code: B2", "    ownr: KHCN\n  - code: B2")
    line = line_of(text, "ownr: KHCN")
    out = problems_for(rules_dir, "mini.yaml")
    assert any(p.startswith(f"{rules_dir / 'mini.yaml'}:{line}:5: indicator: unknown key 'ownr'") for p in out), out


def test_unknown_department_and_level(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "    levels: [province]\n", "    levels: [provinse]\n")
    line = line_of(text, "provinse")
    out = problems_for(rules_dir, "mini.yaml")
    assert any(p.startswith(f"{rules_dir / 'mini.yaml'}:{line}:14: levels: unknown level 'provinse'") for p in out)


def test_yaml_syntax_error(rules_dir: Path) -> None:
    text = edit(rules_dir / "catalog.yaml", "sources:\n", "sources:\n  lgsp: [a, b\n")
    out = problems_for(rules_dir, "catalog.yaml")
    assert len(out) == 1 and "YAML syntax" in out[0]
    assert out[0].startswith(f"{rules_dir / 'catalog.yaml'}:{line_of(text, 'lgsp: [a, b') + 1}:")


def test_org_unit_duplicate_and_level_order(rules_dir: Path) -> None:
    text = edit(rules_dir / "org-units.yaml", "code: P.D2.C1,", "code: P.D1.C1,")
    edit(
        rules_dir / "org-units.yaml",
        "        name: Huyện D2\n        level: district",
        "        name: Huyện D2\n        level: province",
    )
    text = (rules_dir / "org-units.yaml").read_text()
    out = problems_for(rules_dir, "org-units.yaml")
    dup_line = [i for i, s in enumerate(text.splitlines(), 1) if "code: P.D1.C1," in s][1]
    assert any(
        p.startswith(f"{rules_dir / 'org-units.yaml'}:{dup_line}:") and "duplicate org unit code" in p for p in out
    ), out
    assert any("cannot sit under 'P'" in p for p in out), out


def test_loading_invalid_rules_raises_with_every_problem(rules_dir: Path) -> None:
    edit(rules_dir / "mini.yaml", "curve: {type: ratio}", "curve: {type: sigmoid}")
    edit(rules_dir / "mini.yaml", "targets: {2025: 100%}", "targets: {2025: 101%}")
    with pytest.raises(RulesInvalid) as exc:
        load_ruleset(rules_dir)
    assert len(exc.value.problems) == 2


def test_version_is_a_content_hash(rules_dir: Path) -> None:
    v1 = load_ruleset(rules_dir).version
    assert load_ruleset(rules_dir).version == v1
    edit(rules_dir / "mini.yaml", "trajectory_tolerance: 10%", "trajectory_tolerance: 12%")
    assert load_ruleset(rules_dir).version != v1


# --- mistakes an analyst of a composite index makes (issue 15) -------------------------------------------


def at(rules_dir: Path, text: str, needle: str, name: str = "mini.yaml", nth: int = 0, point: str = "") -> str:
    """FILE:LINE:COL of the nth line holding `needle`, at `needle` (or at `point` within it)."""
    hits = [(i, s.index(needle) + needle.index(point) + 1) for i, s in enumerate(text.splitlines(), 1) if needle in s]
    line, col = hits[nth]
    return f"{rules_dir / name}:{line}:{col}"


def test_target_year_outside_the_framework_years(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "targets: {2025: 80%, 2030: 100%}", "targets: {2025: 80%, 2035: 100%}")
    assert problems_for(rules_dir) == [
        f"{at(rules_dir, text, '2035')}: target: 2035 is outside the framework's years 2024–2030 (it would bend "
        f"the targets of the years in between); write a target for a year from 2024 to 2030, or widen `years:`"
    ]


def test_target_year_outside_the_years_in_a_per_level_map(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "commune: {2025: 60%, 2030: 70%}", "commune: {2025: 60%, 2031: 70%}")
    out = problems_for(rules_dir)
    assert len(out) == 1 and out[0].startswith(f"{at(rules_dir, text, '2031')}: target for commune: 2031 is outside")


def test_second_root_in_the_org_tree(rules_dir: Path) -> None:
    text = edit(
        rules_dir / "org-units.yaml",
        "  - code: P\n",
        "  - {code: P.X, name: Xã lạc, level: commune}\n  - code: P\n",
    )
    # the stray commune comes first: it is refused as a commune with no parent
    out = problems_for(rules_dir, "org-units.yaml")
    assert out == [
        f"{at(rules_dir, text, 'level: commune}', 'org-units.yaml', point='commune')}: unit 'P.X' at level "
        f"'commune' has no parent: only a 'province' can stand at the top; move it into the `children:` of its parent"
    ]


def test_unit_beside_the_province_at_the_top(rules_dir: Path) -> None:
    text = (rules_dir / "org-units.yaml").read_text(encoding="utf-8")
    text += "  - {code: P.Y, name: Xã Y, level: commune}\n"
    (rules_dir / "org-units.yaml").write_text(text, encoding="utf-8")
    first = f"{rules_dir / 'org-units.yaml'}:{line_of(text, '- code: P')}:5"
    assert problems_for(rules_dir) == [
        f"{at(rules_dir, text, 'P.Y', 'org-units.yaml')}: unit 'P.Y' stands at the top of the tree beside 'P' "
        f"({first}): the tree has one top unit; move 'P.Y' into the `children:` of its parent"
    ]


def test_steps_scores_against_the_direction(rules_dir: Path) -> None:
    text = edit(
        rules_dir / "mini.yaml",
        "bands: [{min: 10, score: 1}, {min: 5, score: 0.5}]",
        "bands: [{min: 10, score: 0.5}, {min: 5, score: 1}]",
    )
    assert problems_for(rules_dir) == [
        f"{at(rules_dir, text, '{min: 5')}: band {{min: 5}} scores 1, more than the better band {{min: 10}} (0.5): "
        f"a lower value cannot score more on a higher-is-better indicator; swap the scores"
    ]


def test_steps_bands_out_of_order_are_reported_not_sorted(rules_dir: Path) -> None:
    text = edit(
        rules_dir / "mini.yaml",
        "bands: [{min: 10, score: 1}, {min: 5, score: 0.5}]",
        "bands: [{min: 5, score: 0.5}, {min: 10, score: 1}]",
    )
    assert problems_for(rules_dir) == [
        f"{at(rules_dir, text, '{min: 10')}: band {{min: 10}} is listed after {{min: 5}}: list 'min' bands from the "
        f"highest down, the best band first"
    ]


def test_steps_bands_against_the_indicator_direction(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "    unit: count\n", "    unit: count\n    direction: lower\n")
    assert problems_for(rules_dir) == [
        f"{at(rules_dir, text, '[{min: 10')}: bands with 'min:' score a higher-is-better value, but the indicator is "
        f"lower-is-better: write the bands with 'max:' (or set `direction: higher`)"
    ]


def test_steps_bands_sharing_a_bound(rules_dir: Path) -> None:
    text = edit(
        rules_dir / "mini.yaml",
        "bands: [{min: 10, score: 1}, {min: 5, score: 0.5}]",
        "bands: [{min: 10, score: 1}, {min: 10, score: 0.5}]",
    )
    assert problems_for(rules_dir) == [
        f"{at(rules_dir, text, ', {min: 10', point='{')}: two bands share min 10: each band needs its own bound"
    ]


def test_non_utf8_byte_is_located(rules_dir: Path) -> None:
    raw = (rules_dir / "mini.yaml").read_bytes()
    needle = "name: Hồ sơ công việc trên mạng".encode()
    assert needle in raw
    raw = raw.replace(needle, "name: Hồ sơ công việc".encode() + b" tr\xean m\xe1ng", 1)
    (rules_dir / "mini.yaml").write_bytes(raw)
    line = raw[: raw.index(b"\xea")].count(b"\n") + 1
    col = len("    name: Hồ sơ công việc tr") + 1  # characters, as an editor counts them
    out = problems_for(rules_dir, "mini.yaml")
    assert len(out) == 1 and out[0].startswith(f"{rules_dir / 'mini.yaml'}:{line}:{col}: byte 0xea is not UTF-8"), out
    assert "save the file as UTF-8" in out[0]


def test_pillar_including_itself(rules_dir: Path) -> None:
    text = edit(
        rules_dir / "mini.yaml",
        "{code: Y, name: Trụ cột Y, total: 60, weights: {A: 60}}",
        "{code: Y, name: Trụ cột Y, total: 60, weights: {Y: 60}}",
    )
    assert problems_for(rules_dir) == [
        f"{at(rules_dir, text, 'Y: 60')}: a pillar cannot include itself: remove 'Y' from the weights of pillar 'Y' "
        f"and weigh its main indicators (or other pillars) instead"
    ]


def test_linear_floor_not_below_the_target(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "curve: {type: linear, floor: 50%}", "curve: {type: linear, floor: 100%}")
    assert problems_for(rules_dir) == [
        f"{at(rules_dir, text, 'floor: 100%', point='100%')}: floor 100% is not below the lowest target 100%: "
        f"the floor is the value that scores 0 and the target the one that scores 1; write a floor below 100%"
    ]


def test_target_going_back_on_a_higher_is_better_indicator(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "district: {2025: 80%, 2030: 90%}", "district: {2025: 80%, 2030: 70%}")
    assert problems_for(rules_dir) == [
        f"{at(rules_dir, text, '2030: 70%')}: target for district 2030: 70% goes back from 80% in 2025 on a "
        f"higher-is-better indicator; targets may stay level or rise: write at least 80%"
    ]


def test_baseline_after_the_first_target(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "baseline: {year: 2024, value: 40%}", "baseline: {year: 2025, value: 40%}")
    assert problems_for(rules_dir) == [
        f"{at(rules_dir, text, '2025, value')}: baseline year 2025 is not before the first target year 2025: the "
        f"trajectory runs from the baseline (31 December of its year) to the targets; write an earlier baseline year"
    ]


def test_ratio_of_a_metric_to_itself(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "denominator: tthc.records_total}", "denominator: tthc.records_online}")
    assert problems_for(rules_dir) == [
        f"{at(rules_dir, text, 'tthc.records_online}')}: ratio of 'tthc.records_online' to itself is always 1: the "
        f"denominator is the total the numerator is part of"
    ]


def test_target_for_a_level_where_the_indicator_is_not_scored(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "targets: {2025: 10}", "targets: {province: {2025: 10}, district: {2025: 5}}")
    assert problems_for(rules_dir) == [
        f"{at(rules_dir, text, 'district: {2025: 5}')}: indicator 'B2': a target for 'district', where it is not "
        f"scored (levels: province); add 'district' to `levels:` or remove this target"
    ]


def test_main_indicator_weighed_nowhere(rules_dir: Path) -> None:
    text = edit(rules_dir / "mini.yaml", "  weights: {A: 60, B: 40}", "  weights: {A: 60, B1: 40}")
    edit(
        rules_dir / "mini.yaml",
        "{code: X, name: Trụ cột X, total: 100, weights: {A: 60, B: 40}}",
        "{code: X, name: Trụ cột X, total: 100, weights: {A: 60, B1: 40}}",
    )
    assert problems_for(rules_dir) == [
        f"{at(rules_dir, text, '{code: B,', point='B')}: main indicator 'B' is weighed by no pillar and not by the "
        f"index, so its indicators count nowhere: add it to the index's `weights:` (a weight of 0 keeps it out on "
        f"purpose)"
    ]
