"""The annual self-assessment workbook and the scorecard: cells against `/v1/scores` of each unit."""

from __future__ import annotations

import csv
import io
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.services.reports.conftest import YEAR, Client


def test_assessment_workbook(app_client: Client) -> None:
    r = app_client.get("/v1/reports/assessment", year=str(YEAR), framework="mini")
    assert r.status_code == 200, r.text
    scores = app_client.get("/v1/scores", org_unit="P", period=str(YEAR), framework="mini").json()
    wb = load_workbook(BytesIO(r.content))
    ws = wb["Tự đánh giá"]
    assert ws["B4"].value == pytest.approx(scores["index"]["value"]) == pytest.approx(0.65)
    rows = list(ws.iter_rows(min_row=6, values_only=True))
    col = {h: i for i, h in enumerate(rows[0])}
    by_code = {row[col["Mã"]]: row for row in rows[1:]}
    inds = {i["code"]: i for m in scores["main_indicators"] for i in m["indicators"]}
    assert set(by_code) == {"A1", "A2", "B1", "B2"}  # every indicator of the framework
    for code, i in inds.items():
        row = by_code[code]
        assert row[col["Chỉ số"]] == i["name"]
        for field, name in (("value", "Giá trị"), ("target", "Mục tiêu"), ("score", "Điểm số (0–1)")):
            assert (row[col[name]] is None) if i[field] is None else row[col[name]] == pytest.approx(i[field])
        assert row[col["Điểm tối đa"]] == i["points"]
    b2 = by_code["B2"]
    assert b2[col["Minh chứng"]] == f"{YEAR}-Q4: https://example.gov.vn/bc-lgsp-q4.pdf"
    assert b2[col["Người báo cáo"]] == "Nguyễn Văn A"
    assert b2[col["Đơn vị phụ trách"]] == "Sở Khoa học và Công nghệ"
    b1 = by_code["B1"]
    assert b1[col["Giá trị"]] is None and "chưa" in b1[col["Còn thiếu"]]
    # A2 is scored at every level: the districts and communes without work records are listed by name
    assert "Huyện D1" in by_code["A2"][col["Còn thiếu"]]
    ev = list(wb["Minh chứng"].iter_rows(min_row=2, values_only=True))
    assert ev[0][:5] == ("Tỉnh P", "Hệ thống kết nối", f"{YEAR}-Q4", 6, "https://example.gov.vn/bc-lgsp-q4.pdf")


def test_assessment_refuses_bad_format(app_client: Client) -> None:
    r = app_client.get("/v1/reports/assessment", year=str(YEAR), format="pdf")
    assert r.status_code == 422
    assert r.json()["detail"]["errors"][0]["pointer"] == "/format"


@pytest.mark.parametrize("level", ["district", "commune"])
def test_scorecard_json_xlsx_csv_agree_with_scores(app_client: Client, level: str) -> None:
    q = {"level": level, "period": f"{YEAR}-Q4", "framework": "mini"}
    card = app_client.get("/v1/reports/scorecard", **q).json()
    names = [c["name"] for c in card["columns"]]
    # district level: A1, A2, B1 (B2 is province only); commune level: A1, A2
    expected = ["Tỷ lệ hồ sơ trực tuyến", "Hồ sơ công việc trên mạng"] + (["Xã có mạng"] if level == "district" else [])
    assert names == expected
    per_unit = {}
    for row in card["rows"]:
        s = app_client.get("/v1/scores", org_unit=row["code"], period=f"{YEAR}-Q4", framework="mini").json()
        inds = {i["code"]: i for m in s["main_indicators"] for i in m["indicators"]}
        assert (
            row["index"] == pytest.approx(s["index"]["value"])
            if s["index"]["value"] is not None
            else row["index"] is None
        )
        for col, cell in zip(card["columns"], row["cells"], strict=True):
            i = inds[col["code"]]
            assert cell["value"] == (pytest.approx(i["value"]) if i["value"] is not None else None)
            assert cell["light"] == (
                "green"
                if i["status"] == "met"
                else "grey"
                if i["score"] is None
                else "amber"
                if i["score"] >= 0.5
                else "red"
            )
        per_unit[row["name"]] = row
    indexes = [r["index"] for r in card["rows"] if r["index"] is not None]
    assert indexes == sorted(indexes, reverse=True)  # best first
    if level == "commune":
        c1 = per_unit["Xã C1"]
        assert c1["cells"][0]["value"] == pytest.approx(0.7) and c1["cells"][0]["light"] == "amber"  # 0.875

    x = app_client.get("/v1/reports/scorecard", **q, format="xlsx")
    assert x.status_code == 200
    ws = load_workbook(BytesIO(x.content))["Bảng điểm"]
    head = [c.value for c in ws[4]]
    assert head[:2] == ["Đơn vị", "Chỉ số DTI"] and head[2].startswith(expected[0])
    body = {r[0]: r for r in ws.iter_rows(min_row=5, values_only=True)}
    for row in card["rows"]:
        xr = body[row["name"]]
        for k, cell in enumerate(row["cells"]):
            assert xr[2 + k] == (pytest.approx(cell["value"]) if cell["value"] is not None else None)

    c = app_client.get("/v1/reports/scorecard", **q, format="csv")
    assert c.status_code == 200 and c.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Đơn vị" and len(rows) == 1 + len(card["rows"])
    csv_by = {r[0]: r for r in rows[1:]}
    for row in card["rows"]:
        v = row["cells"][0]["value"]
        assert csv_by[row["name"]][3] == ("" if v is None else str(round(v, 6)))


def test_scorecard_unknown_level(app_client: Client) -> None:
    r = app_client.get("/v1/reports/scorecard", level="hamlet")
    assert r.status_code == 422 and r.json()["detail"]["errors"][0]["pointer"] == "/level"
