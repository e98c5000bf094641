"""`dti rules check` and `dti rules explain` as an analyst runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from services.cli.main import app

MINI = Path(__file__).resolve().parents[2] / "fixtures" / "mini"
runner = CliRunner()


def test_check_valid_exits_0() -> None:
    r = runner.invoke(app, ["rules", "check", str(MINI)])
    assert r.exit_code == 0, r.output


def test_check_invalid_prints_file_line_col_and_exits_1(tmp_path: Path) -> None:
    d = tmp_path / "rules"
    shutil.copytree(MINI, d)
    f = d / "mini.yaml"
    text = f.read_text(encoding="utf-8").replace("    points: 40\n", "    points: 45\n", 1)
    f.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["rules", "check", str(d / "ruleset.yaml"), str(f)])
    assert r.exit_code == 1
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "{code: A, name" in s)
    col = text.splitlines()[line - 1].index("points: 60") + len("points: ") + 1
    expected = f"{f}:{line}:{col}: main indicator 'A' declares 60 points but its indicators add up to 65"
    out = r.stdout.splitlines()
    # found through the manifest and in the lone file: the same problems are reported once (the main indicator's
    # line, then each of its indicators' points, one of which the analyst edited)
    lines = text.splitlines()
    a1 = next(i for i, s in enumerate(lines, 1) if s.strip() == "points: 45")  # the line the analyst edited
    start = next(i for i, s in enumerate(lines, 1) if "code: A2" in s)
    a2 = next(i for i, s in enumerate(lines, 1) if i > start and s.strip() == "points: 20")  # A2's points
    assert len(out) == 3 and out[0].startswith(expected + f": A1 45 (line {a1}), A2 20 (line {a2})"), out
    assert out[1].startswith(f"{f}:{a1}:13: indicator 'A1': its 45 points"), out


def test_explain_prints_vietnamese_and_english() -> None:
    r = runner.invoke(app, ["rules", "explain", "A2", "--rules", str(MINI)])
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "A2 — Hồ sơ công việc trên mạng" in out and "(Work records online)" in out
    assert "Công thức / formula: work.records_online / work.records_total" in out
    # level targets as declared, and every year read off the line: district 80% (2025) -> 90% (2030)
    assert "district: 2025: 80%, 2030: 90%" in out
    assert "2027 84%" in out  # 80 + (90 - 80) × 2/5
    assert "Đơn vị chủ trì / owner: VP — Văn phòng UBND" in out
    r = runner.invoke(app, ["rules", "explain", "NOPE", "--rules", str(MINI)])
    assert r.exit_code == 1


def test_explain_understands_codes_typed_with_vietnamese_letters() -> None:
    """The province's rules spell HDCQS.01; the documents write HĐCQS.01, in any case."""
    rules = Path(__file__).resolve().parents[3] / "rules"
    plain = runner.invoke(app, ["rules", "explain", "HDCQS.01", "--rules", str(rules)])
    assert plain.exit_code == 0, plain.output
    for typed in ("HĐCQS.01", "hđcqs.01", " HĐCQS.01 "):
        r = runner.invoke(app, ["rules", "explain", typed, "--rules", str(rules)])
        assert r.exit_code == 0, (typed, r.output)
        assert r.stdout == plain.stdout
    r = runner.invoke(app, ["rules", "explain", "HĐCQS.99", "--rules", str(rules)])
    assert r.exit_code == 1 and "HĐCQS.99" in r.output
