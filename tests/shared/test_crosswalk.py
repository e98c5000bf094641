"""The 2025 reform as data: pre-reform codes map to the units in force (`formed_from`), checked at FILE:LINE:COL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shared.crosswalk import abolished, unit_in_force
from shared.rules.loader import check_files
from shared.rules.model import RuleSet

ROOT = Path(__file__).resolve().parents[2]


def test_codes_in_force_former_codes_and_abolished_units(province_rules: RuleSet) -> None:
    assert unit_in_force(province_rules, "LC.TANPHONG") == "LC.TANPHONG"  # in force
    assert unit_in_force(province_rules, "LC") == "LC"
    # Tân Phong ward took in Đông Phong ward (city) and Nùng Nàng commune (former Tam Đường district)
    assert unit_in_force(province_rules, "LC.TPLAICHAU.DONGPHONG") == "LC.TANPHONG"
    assert unit_in_force(province_rules, "LC.TAMDUONG.NUNGNANG") == "LC.TANPHONG"
    assert unit_in_force(province_rules, "LC.MUONGTE.TATONG") == "LC.TATONG"  # not rearranged: same unit
    # districts were abolished: no successor, refused with a reason in both languages
    assert unit_in_force(province_rules, "LC.TAMDUONG") is None
    why = abolished(province_rules, "LC.TAMDUONG")
    assert why is not None and "2025-07-01" in why[0] and "abolished on 2025-07-01" in why[1]
    assert abolished(province_rules, "LC.NOWHERE") is None  # unknown is another error (unknown_org_unit)


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    return tmp_path / "rules"


def _edit(path: Path, old: str, new: str) -> list[str]:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path.read_text(encoding="utf-8").splitlines()


def test_rules_check_refuses_an_unknown_old_code(rules_dir: Path) -> None:
    f = rules_dir / "org-units-2025.yaml"
    lines = _edit(f, "formed_from: [LC.MUONGTE.TATONG]", "formed_from: [LC.MUONGTE.TATONGG]")
    line = next(i for i, t in enumerate(lines, 1) if "LC.MUONGTE.TATONGG" in t)
    col = lines[line - 1].index("LC.MUONGTE.TATONGG") + 1
    assert check_files([rules_dir]) == [
        f"{f}:{line}:{col}: formed_from names 'LC.MUONGTE.TATONGG', which is not a unit of the former tree "
        "(Lai Châu (trước 1/7/2025))"
    ]


def test_rules_check_refuses_an_old_unit_claimed_twice(rules_dir: Path) -> None:
    f = rules_dir / "org-units-2025.yaml"
    # Mù Cả also claims Tà Tổng's old commune, already Tà Tổng's
    lines = _edit(f, "formed_from: [LC.MUONGTE.MUCA]", "formed_from: [LC.MUONGTE.MUCA, LC.MUONGTE.TATONG]")
    first = next(i for i, t in enumerate(lines, 1) if "formed_from: [LC.MUONGTE.TATONG]" in t)
    first_col = lines[first - 1].index("LC.MUONGTE.TATONG") + 1
    line = next(i for i, t in enumerate(lines, 1) if "LC.MUONGTE.MUCA, LC.MUONGTE.TATONG" in t)
    col = lines[line - 1].index(", LC.MUONGTE.TATONG") + 3
    assert check_files([rules_dir]) == [
        f"{f}:{line}:{col}: old unit 'LC.MUONGTE.TATONG' is claimed by 'LC.TATONG' (at {f}:{first}:{first_col}) "
        "and by 'LC.MUCA': list it once"
    ]
