"""The quarterly report: the .xlsx's cells against `/v1/scores` and against figures computed by hand from the
mini rules; the PDF's text (pdftotext) for the same figures, rendered once to PNG (pdftoppm) as an artifact."""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.services.reports.conftest import YEAR, Client

# by hand (tests/fixtures/mini/mini.yaml; data in conftest.seed):
# Q4: A1 = 14/20 = 70% -> linear from 0 to 80% -> 0.875 x 40 = 35; A2 = 90% at target 90% -> 20;
#     A = 55/60; B2 = 6 systems -> step 0.5 x 20 = 10, B1 no data (zero) -> B = 10/40 = 0.25;
#     DTI = 0.6 A + 0.4 B = 0.55 + 0.10 = 0.65 (650 of 1000... of 100 points: scale 100 -> 65)
# Q3: A1 = 5/10 = 50% -> 0.625 x 40 = 25, A2 no data -> A = 25/60; B nothing -> DTI = 0.6 x 25/60 = 0.25
DTI_Q4, DTI_Q3 = 0.65, 0.25


def _sheet_rows(ws: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def test_quarterly_xlsx_matches_scores(app_client: Client, scores: dict[str, Any]) -> None:
    r = app_client.get("/v1/reports/quarterly", period=f"{YEAR}-Q4", format="xlsx", framework="mini")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in r.headers["content-disposition"]
    wb = load_workbook(BytesIO(r.content))
    assert wb.sheetnames == ["Tổng hợp", "Chỉ số", "Sở ngành", "Xếp hạng đơn vị", "Báo cáo thiếu, muộn"]

    summary = {row[0]: row for row in _sheet_rows(wb["Tổng hợp"]) if row[0]}
    dti = summary["Chỉ số DTI"]
    assert dti[1] == pytest.approx(scores["index"]["value"]) == pytest.approx(DTI_Q4)
    assert dti[2] == pytest.approx(DTI_Q3)  # the previous quarter
    assert dti[3] == pytest.approx(DTI_Q4 - DTI_Q3)
    assert dti[4] == pytest.approx(scores["index"]["points"]) == pytest.approx(65)
    for p in scores["pillars"]:
        assert summary[f"Trụ cột: {p['name']}"][1] == pytest.approx(p["value"])
    assert any(str(k).startswith("Chỉ số DTI tăng") for k in summary), summary.keys()

    rows = _sheet_rows(wb["Chỉ số"])
    head = rows[0]
    col = {h: i for i, h in enumerate(head)}
    by_code = {row[col["Mã"]]: row for row in rows[1:]}
    deps = {"VP": "Văn phòng UBND", "KHCN": "Sở Khoa học và Công nghệ"}
    for m in scores["main_indicators"]:
        mr = by_code[m["code"]]
        assert mr[col["Chỉ số"]] == m["name"]
        assert mr[col["Giá trị"]] == pytest.approx(m["value"]) if m["value"] is not None else mr[col["Giá trị"]] is None
        assert mr[col["Đơn vị phụ trách"]] == deps[m["owner"]]
        for i in m["indicators"]:
            ir = by_code[i["code"]]
            assert ir[col["Chỉ số"]] == i["name"]
            assert ir[col["Đơn vị phụ trách"]] == deps[i["owner"]]  # a name, never the code
            for field, name in (
                ("value", "Giá trị"),
                ("target", "Mục tiêu"),
                ("score", "Điểm số (0–1)"),
                ("earned", "Điểm đạt"),
            ):
                if i[field] is None:
                    assert ir[col[name]] is None, (i["code"], field)
                else:
                    assert ir[col[name]] == pytest.approx(i[field]), (i["code"], field)
    assert by_code["A1"][col["Giá trị"]] == pytest.approx(0.7)
    assert by_code["A1"][col["Giá trị kỳ trước"]] == pytest.approx(0.5)
    assert by_code["A1"][col["Điểm đạt"]] == pytest.approx(35)
    assert by_code["B2"][col["Điểm đạt"]] == pytest.approx(10)
    # B1's reason is in Vietnamese words, without the metric's code
    assert by_code["B1"][col["Ghi chú"]] == "chưa đơn vị nào báo cáo"
    assert "infra.network" not in str(by_code["B1"][col["Ghi chú"]])

    gaps = app_client.get("/v1/gaps", org_unit="P", period=f"{YEAR}-Q4", framework="mini").json()
    dep_rows = {row[0]: row for row in _sheet_rows(wb["Sở ngành"])[1:]}
    assert set(dep_rows) == {d["name"] for d in gaps["departments"]}
    for d in gaps["departments"]:
        assert dep_rows[d["name"]][1] == pytest.approx(d["gain_points"])

    ranks = _sheet_rows(wb["Xếp hạng đơn vị"])
    units = app_client.get("/v1/scores/units", period=f"{YEAR}-Q4", framework="mini", level="district").json()
    best = max(units["units"], key=lambda u: u["index"] or -1)
    first_district = next(row for row in ranks if row[0] == 1)
    assert first_district[1] == best["name"] and first_district[2] == pytest.approx(best["index"])

    due = {row[0]: row for row in _sheet_rows(wb["Báo cáo thiếu, muộn"])[1:]}
    assert due["Xã có mạng"][4] == "Thiếu"  # B1: no data, deadline 10/01 passed
    assert due["Hệ thống kết nối LGSP"][4] == "Nộp muộn"  # B2 filed after 10 January
    assert due["Hệ thống kết nối LGSP"][1] == "Sở Khoa học và Công nghệ"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": f"{YEAR}", "format": "xlsx"}, "/period"),
        ({"period": "2025-Q5", "format": "xlsx"}, "/period"),
        ({"period": "0000-Q1", "format": "xlsx"}, "/period"),  # beyond the calendar arithmetic: 422, not 500
        ({"period": f"{YEAR}-Q4", "format": "docx"}, "/format"),
        ({"period": f"{YEAR}-Q4", "framework": "nope"}, "/framework"),
    ],
)
def test_quarterly_refuses_bad_parameters(app_client: Client, params: dict[str, str], field: str) -> None:
    r = app_client.get("/v1/reports/quarterly", **params)
    assert r.status_code == 422
    errors = r.json()["detail"]["errors"]
    assert [e["pointer"] for e in errors] == [field]
    assert " / " in r.json()["detail"]["message"]  # Vietnamese / English


def test_quarterly_pdf_text_and_render(app_client: Client, scores: dict[str, Any], tmp_path: Path) -> None:
    r = app_client.get("/v1/reports/quarterly", period=f"{YEAR}-Q4", format="pdf", framework="mini")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(r.content)
    assert shutil.which("pdftotext"), "poppler-utils missing: run scripts/system-deps"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89" in info or "595.28 x 841.89" in info  # A4 portrait
    assert f"Báo cáo quý 4/{YEAR}" in text  # Vietnamese letters came through the font
    assert "0,6500" in text and "0,2500" in text  # DTI now and at the end of Q3, Vietnamese decimals
    assert "65,00 / 100" in text
    for m in scores["main_indicators"]:
        assert m["name"] in text
    assert "Văn phòng UBND" in text and "Sở Khoa học và Công nghệ" in text
    assert "70,0%" in text  # A1's value
    assert "Hệ thống kết nối LGSP" in text and "Nộp muộn" in text
    assert "Huyện D1" in text
    # one rendering for a person to look at
    out = Path(str(tmp_path)) / "page"
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "1", str(pdf), str(out)], check=True)
    pngs = list(tmp_path.glob("page*.png"))
    assert pngs and pngs[0].stat().st_size > 10_000
