"""One test per kind of validation error, each asserting the FILE:LINE:COL the analyst is sent to."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shared.rules.loader import check_files, load_ruleset
from shared.rules.problems import RulesInvalid

MINI = Path(__file__).resolve().parent.parent / "fixtures" / "mini"


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
    assert problems_for(rules_dir) == [
        f"{rules_dir / 'mini.yaml'}:{line}:{col}: main indicator 'A' declares 60 points but its indicators add up to 65"
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
        f"{rules_dir / 'mini.yaml'}:{line}:{col}: unknown curve type 'sigmoid' (known: linear, ratio, steps, yes_no)"
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
