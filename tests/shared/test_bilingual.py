"""One order for texts in two languages (shared.bilingual): Vietnamese, then English, " / " between; and no
other module joins or splits such a text by hand. The hand-join check reads the source (ast for Python, text
for the page's scripts), so it also sees texts nothing runs in the tests."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from shared import bilingual
from shared.errors import NotFound
from shared.events import FieldError
from shared.rules.curves.yes_no import YesNo
from shared.rules.formulas.base import no_data
from shared.scoring.evaluate import no_target
from shared.scoring.view import reason_halves

ROOT = Path(__file__).resolve().parents[2]

# letters only Vietnamese has (and its tone marks); an English text has none of them
_VI = re.compile(
    "[đĐơƠưƯăĂâÂêÊôÔàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵÀÁẢÃẠÈÉẺẼẸÌÍỈĨỊÒÓỎÕỌÙÚỦŨỤỲÝỶỸỴ]"
)
# a Vietnamese and an English value put side by side: f"{vi} / {en}", f"{x.name} / {x.name_en}", either order
_HALF = r"\{[^{}]*?(?:\bvi\b|\ben\b|_vi\b|_en\b)[^{}]*\}"
_JOINED = re.compile(rf"{_HALF} / \{{[^{{}}]*\}}|\{{[^{{}}]*\}} / {_HALF}")
# or further apart: f"[{tag_vi}] {head_vi} / [{tag_en}] {head_en}", f"{n} cảnh báo / {name_en}: {n} firing"
# (not a label before a value: f"Chỉ số / indicator: {x.name} ({x.name_en})")
_VI_VALUE = re.compile(r"\{[^{}]*?(?:\bvi\b|_vi\b)[^{}]*\}")
_EN_VALUE = re.compile(r"\{[^{}]*?(?:\ben\b|_en\b)[^{}]*\}")
_EN_VALUE_FIRST = re.compile(r"^\W*\{[^{}]*?(?:\ben\b|_en\b)[^{}]*\}")
# splitting a joined text again: .split(" / "), .rsplit(' / ', 1), .partition(" / ")
_SPLIT = re.compile(r"""\.(?:r?split|r?partition)\(\s*(["'])\s/\s\1""")

# shared/bilingual.py owns the order; the others wait for changes their owners are making
OWNER = "shared/bilingual.py"
EN_FIRST_LEFT: set[str] = set()


def test_vietnamese_first_then_english() -> None:
    assert bilingual.join("không tìm thấy", "not found") == "không tìm thấy / not found"
    assert bilingual.split("không tìm thấy / not found") == ("không tìm thấy", "not found")
    assert bilingual.join("DTI", "DTI") == "DTI" and bilingual.split("DTI") == ("DTI", "DTI")
    assert bilingual.join("", "only English") == "only English"
    assert bilingual.join("chỉ tiếng Việt", "") == "chỉ tiếng Việt"
    # only the first separator splits: an English half may itself hold one
    assert bilingual.split(bilingual.join("tỷ lệ", "numerator / denominator")) == ("tỷ lệ", "numerator / denominator")


def test_the_texts_people_read_come_vietnamese_first() -> None:
    assert NotFound("no alert 'x'", "không có cảnh báo 'x'").message == "không có cảnh báo 'x' / no alert 'x'"
    err = FieldError("/events/0/value", 0, "float_type", "phải là số", "must be a number").as_dict()
    assert err["message"] == "phải là số / must be a number"
    assert bilingual.split(no_data("work.records_total")) == (
        "chưa có số liệu work.records_total",
        "no data for work.records_total",
    )
    assert bilingual.split(YesNo().describe("yes/no")) == ("có-không", "yes/no")


def test_a_score_reason_comes_apart_in_the_view() -> None:
    """The API gives reason_vi and reason_en from the view's halves, the "no target" reason too."""
    assert reason_halves(no_data("a.b"), None) == ("chưa có số liệu a.b", "no data for a.b")
    assert reason_halves(no_target("commune", 2025), None) == (
        "chưa có chỉ tiêu cho cấp commune năm 2025",
        "no target for level commune in 2025",
    )
    assert reason_halves(None, None) is None


def python_texts(path: Path) -> list[tuple[int, str]]:
    """Every string literal of a module with its line; an f-string as one text with `{…}` for each value."""
    out: list[tuple[int, str]] = []
    inside: set[int] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.JoinedStr):
            text = ""
            for v in node.values:
                inside.add(id(v))
                if isinstance(v, ast.Constant):
                    text += str(v.value)
                elif isinstance(v, ast.FormattedValue):
                    text += "{" + ast.unparse(v.value) + "}"
            out.append((node.lineno, text))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside:
            out.append((node.lineno, node.value))
    return out


def hand_joins(path: Path, en_first: bool = True) -> list[str]:
    """Where the file joins or splits a bilingual text itself (`en_first`: also where it writes one English
    first, e.g. "no data / chưa có số liệu")."""
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    found = []
    source = path.read_text(encoding="utf-8")
    for n, line in enumerate(source.splitlines(), 1):
        if _SPLIT.search(line):
            found.append(f"{rel}:{n}: splits on ' / ': {line.strip()}")
    if path.suffix == ".js":
        return found
    for n, text in python_texts(path):
        parts = text.split(" / ")
        pairs = list(zip(parts, parts[1:], strict=False))
        if _JOINED.search(text) or any(
            (_VI_VALUE.search(left) and _EN_VALUE.search(right))
            or (_VI.search(left) and _EN_VALUE_FIRST.search(right))
            or (_EN_VALUE.search(left) and _VI_VALUE.search(right))
            for left, right in pairs
        ):
            found.append(f"{rel}:{n}: joins two halves by hand: {text!r}")
        if en_first:
            for left, right in pairs:
                if re.search("[A-Za-z]", left) and not _VI.search(left) and _VI.search(right):
                    found.append(f"{rel}:{n}: English before Vietnamese: {left[-30:]!r} / {right[:30]!r}")
    return found


def test_the_check_sees_each_kind_of_hand_join(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f(vi, en, m, x):\n"
        '    a = f"{vi} / {en}"\n'
        '    b = f"{m.name} / {m.name_en}"\n'
        '    c = x.split(" / ", 1)\n'
        '    d = f"no data for {m} / chưa có số liệu {m}"\n'
        '    e = "steps / bậc thang"\n'
        '    g = f"[{tag_vi}] {head_vi} / [{tag_en}] {head_en}"\n'
        '    ok = f"Đơn vị / unit: {m}"; ok2 = f"{x / 2}"; ok3 = "ΣM1 / ΣM2"; ok4 = f"{vi}\\n\\n{en}"\n',
        encoding="utf-8",
    )
    found = hand_joins(probe)
    assert sorted(int(f.split(":")[1]) for f in found) == [2, 3, 4, 5, 6, 7], found
    script = tmp_path / "page.js"
    script.write_text('const ok = a.split("."); const parts = String(reason).split(" / ");\n', encoding="utf-8")
    assert len(hand_joins(script)) == 1


def test_no_module_but_one_joins_or_splits_bilingual_text() -> None:
    found = []
    for path in sorted([*(ROOT / "shared").rglob("*.py"), *(ROOT / "services").rglob("*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        if rel == OWNER:
            continue
        found += hand_joins(path, en_first=rel not in EN_FIRST_LEFT)
    assert found == []


@pytest.mark.parametrize("script", sorted((ROOT / "services" / "web" / "static").glob("*.js")), ids=lambda p: p.name)
def test_the_page_does_not_split_texts(script: Path) -> None:
    """The page shows a half from the API's *_vi / *_en fields (reason_vi, summary_en), never by splitting."""
    assert hand_joins(script) == []
