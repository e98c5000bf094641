"""Reports as Excel workbooks (openpyxl). Figures are written as numbers with number formats, not as text,
so the office can sort, sum and chart them; percentages are fractions shown as %, like the API's values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.reports.assessment import AssessmentWorkbook
from services.reports.labels import FREQUENCY_VI, status_vi
from services.reports.quarterly import QuarterlyReport, fmt_date
from services.reports.scorecard import Scorecard

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEAD_FILL = PatternFill("solid", fgColor="DDE7F3")
FILLS = {
    "good": PatternFill("solid", fgColor="C8E6C9"),
    "warn": PatternFill("solid", fgColor="FFF3B0"),
    "bad": PatternFill("solid", fgColor="F8C7C3"),
    "none": PatternFill("solid", fgColor="E6E6E6"),
}
INDEX_FMT = "0.0000"
POINTS_FMT = "#,##0.00"


def number_format(unit: str) -> str:
    return "0.0%" if unit == "percent" else "#,##0.##"


def header(ws: Worksheet, row: int, titles: Sequence[str]) -> None:
    for c, t in enumerate(titles, 1):
        cell = ws.cell(row=row, column=c, value=t)
        cell.font = BOLD
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def widths(ws: Worksheet, cols: Iterable[int]) -> None:
    for i, w in enumerate(cols, 1):
        ws.column_dimensions[get_column_letter(i)].width = w


def put(ws: Worksheet, row: int, values: Sequence[Any], formats: Sequence[str | None] | None = None) -> None:
    for c, v in enumerate(values, 1):
        cell = ws.cell(row=row, column=c, value=v)
        if formats and c <= len(formats) and formats[c - 1] and isinstance(v, int | float):
            cell.number_format = formats[c - 1]


def to_bytes(wb: Workbook) -> bytes:
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def quarterly_xlsx(r: QuarterlyReport) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tổng hợp"
    ws["A1"] = f"Báo cáo quý {r.period.quarter}/{r.period.year}: Chỉ số chuyển đổi số {r.province}"
    ws["A1"].font = TITLE
    ws["A2"] = f"Bộ chỉ số: {r.framework_name}"
    ws["A3"] = (
        f"Số liệu luỹ kế từ đầu năm đến ngày {fmt_date(r.as_of)}; số liệu mới nhất ngày {fmt_date(r.data_through)}"
    )
    ws["A4"] = f"Phiên bản quy tắc {r.rules_version}; so sánh với cuối kỳ {r.previous_period.id}"
    header(ws, 6, ["Hạng mục", "Giá trị", "Kỳ trước", "Thay đổi", "Điểm", "Trên tổng", "Trạng thái"])
    row = 7
    put(
        ws,
        row,
        [
            "Chỉ số DTI",
            r.index.value,
            r.index.previous,
            r.index.change,
            r.index.points,
            r.index.max_points,
            status_vi(r.index.status),
        ],
        [None, INDEX_FMT, INDEX_FMT, INDEX_FMT, POINTS_FMT, POINTS_FMT],
    )
    ws.cell(row=row, column=1).font = BOLD
    if r.goal_value is not None:
        row += 1
        put(ws, row, [f"Mục tiêu năm {r.goal_year}", r.goal_value], [None, INDEX_FMT])
        ws.cell(row=row, column=7, value=r.goal_note)
    if r.goal_expected is not None:
        row += 1
        put(ws, row, [f"Cần đạt theo lộ trình đến {fmt_date(r.as_of)}", r.goal_expected], [None, INDEX_FMT])
        if r.index.value is not None:
            ws.cell(row=row, column=7, value="Đúng lộ trình" if r.index.value >= r.goal_expected else "Chậm lộ trình")
    for p in r.pillars:
        row += 1
        put(
            ws,
            row,
            [f"Trụ cột: {p.name}", p.value, p.previous, p.change, None, None, status_vi(p.status)],
            [None, INDEX_FMT, INDEX_FMT, INDEX_FMT],
        )
    row += 2
    ws.cell(row=row, column=1, value="Thay đổi so với quý trước").font = BOLD
    for s in r.changes:
        row += 1
        ws.cell(row=row, column=1, value=s)
    widths(ws, [48, 12, 12, 12, 12, 12, 40])

    ws = wb.create_sheet("Chỉ số")
    header(
        ws,
        1,
        [
            "Chỉ số",
            "Mã",
            "Thuộc chỉ số chính",
            "Đơn vị phụ trách",
            "Giá trị",
            "Mục tiêu",
            "Cần đạt theo lộ trình",
            "Lộ trình",
            "Điểm số (0–1)",
            "Điểm đạt",
            "Điểm tối đa",
            "Trạng thái",
            "Giá trị kỳ trước",
            "Điểm số kỳ trước",
            "Ghi chú",
        ],
    )
    row = 1
    for m in r.mains:
        row += 1
        put(
            ws,
            row,
            [
                m.name,
                m.code,
                "",
                m.owner,
                m.value,
                None,
                None,
                None,
                None,
                m.points,
                m.max_points,
                status_vi(m.status),
                m.previous,
            ],
            [None, None, None, None, INDEX_FMT, None, None, None, None, POINTS_FMT, POINTS_FMT, None, INDEX_FMT],
        )
        for c in range(1, 16):
            ws.cell(row=row, column=c).font = BOLD
        for i in r.indicators:
            if i.main != m.name:
                continue
            row += 1
            f = number_format(i.unit)
            note = i.reason or ("" if i.official else "chỉ số thành phần do tỉnh tự xây dựng")
            put(
                ws,
                row,
                [
                    i.name,
                    i.code,
                    i.main,
                    i.owner,
                    i.value,
                    i.target,
                    i.expected,
                    status_vi(i.trajectory) if i.trajectory else "",
                    i.score,
                    i.earned,
                    i.points,
                    status_vi(i.status),
                    i.previous_value,
                    i.previous_score,
                    note,
                ],
                [None, None, None, None, f, f, f, None, "0.00", POINTS_FMT, POINTS_FMT, None, f, "0.00"],
            )
            ws.cell(row=row, column=12).fill = FILLS[_tone(i.status)]
    widths(ws, [60, 10, 24, 30, 12, 12, 12, 16, 10, 10, 10, 16, 12, 12, 40])
    ws.freeze_panes = "B2"

    ws = wb.create_sheet("Sở ngành")
    header(ws, 1, ["Sở, ngành", "Điểm DTI có thể tăng thêm", "Số chỉ số chưa đạt tối đa", "Các chỉ số"])
    for n, dg in enumerate(r.departments, 2):
        put(ws, n, [dg.name, dg.gain_points, len(dg.indicators), "; ".join(dg.indicators)], [None, POINTS_FMT])
    widths(ws, [40, 16, 14, 100])

    ws = wb.create_sheet("Xếp hạng đơn vị")
    row = 0
    for level, ranks in r.rankings.items():
        row += 1
        ws.cell(row=row, column=1, value=f"Cấp {level.lower()}").font = BOLD
        row += 1
        header(ws, row, ["Hạng", "Đơn vị", "Chỉ số DTI", "Kỳ trước", "Thay đổi", "Trạng thái"])
        for u in ranks:
            row += 1
            change = None if u.value is None or u.previous is None else u.value - u.previous
            put(
                ws,
                row,
                [u.rank, u.name, u.value, u.previous, change, status_vi(u.status)],
                [None, None, INDEX_FMT, INDEX_FMT, INDEX_FMT],
            )
        row += 1
    widths(ws, [8, 34, 12, 12, 12, 24])

    ws = wb.create_sheet("Báo cáo thiếu, muộn")
    header(ws, 1, ["Chỉ số", "Đơn vị phụ trách", "Tần suất báo cáo", "Hạn nộp", "Tình trạng", "Chi tiết"])
    if not r.due:
        ws.cell(row=2, column=1, value="Không có báo cáo thiếu hoặc nộp muộn trong kỳ.")
    for n, d in enumerate(r.due, 2):
        put(
            ws,
            n,
            [
                d.indicator,
                d.owner,
                FREQUENCY_VI.get(d.frequency, d.frequency),
                d.deadline,
                "Thiếu" if d.state == "missing" else "Nộp muộn",
                d.detail,
            ],
        )
        ws.cell(row=n, column=4).number_format = "DD/MM/YYYY"
    widths(ws, [60, 30, 16, 12, 12, 50])
    wb.properties.title = f"Báo cáo DTI quý {r.period.id}"
    wb.properties.creator = "DTI Monitor"
    return to_bytes(wb)


def _tone(status: str) -> str:
    return {"met": "good", "below_target": "bad", "on_track": "good", "at_risk": "warn", "off_track": "bad"}.get(
        status, "none"
    )


def assessment_xlsx(a: AssessmentWorkbook) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tự đánh giá"
    ws["A1"] = f"Hồ sơ tự đánh giá Chỉ số chuyển đổi số năm {a.year}: {a.province}"
    ws["A1"].font = TITLE
    ws["A2"] = f"Bộ chỉ số: {a.framework_name}"
    ws["A3"] = f"Số liệu đến ngày {fmt_date(a.as_of)}; phiên bản quy tắc {a.rules_version}"
    ws["A4"] = "Chỉ số DTI"
    ws["B4"] = a.index
    ws["B4"].number_format = INDEX_FMT
    ws["C4"] = a.points
    ws["C4"].number_format = POINTS_FMT
    ws["D4"] = f"trên {a.scale:g} điểm"
    titles = [
        "Chỉ số chính",
        "Mã",
        "Chỉ số",
        "Chính thức",
        "Đơn vị phụ trách",
        "Giá trị",
        "Mục tiêu",
        "Điểm số (0–1)",
        "Điểm đạt",
        "Điểm tối đa",
        "Trạng thái",
        "Tần suất báo cáo",
        "Minh chứng",
        "Người báo cáo",
        "Còn thiếu",
    ]
    header(ws, 6, titles)
    for n, ln in enumerate(a.lines, 7):
        f = number_format(ln.unit)
        urls = "\n".join(f"{e.period}: {e.url}" for e in ln.evidence if e.url)
        who = "\n".join(sorted({e.reported_by for e in ln.evidence if e.reported_by}))
        put(
            ws,
            n,
            [
                ln.main,
                ln.code,
                ln.name,
                "Có" if ln.official else "Không (tỉnh tự xây dựng)",
                ln.owner,
                ln.value,
                ln.target,
                ln.score,
                ln.earned,
                ln.points,
                status_vi(ln.status),
                FREQUENCY_VI.get(ln.frequency, ln.frequency),
                urls,
                who,
                "\n".join(ln.missing),
            ],
            [None, None, None, None, None, f, f, "0.00", POINTS_FMT, POINTS_FMT],
        )
        ws.cell(row=n, column=11).fill = FILLS[_tone(ln.status)]
        for c in (3, 13, 14, 15):
            ws.cell(row=n, column=c).alignment = Alignment(wrap_text=True, vertical="top")
    widths(ws, [22, 9, 60, 12, 28, 12, 12, 10, 10, 10, 16, 12, 50, 24, 50])
    ws.freeze_panes = "D7"
    ws.auto_filter.ref = f"A6:O{6 + len(a.lines)}"

    ws = wb.create_sheet("Minh chứng")
    header(ws, 1, ["Đơn vị", "Chỉ tiêu", "Kỳ", "Giá trị", "Minh chứng", "Người báo cáo", "Ngày nhận"])
    for n, e in enumerate(a.evidence, 2):
        put(ws, n, [e.unit, e.metric, e.period, e.value, e.url, e.reported_by, e.received])
        ws.cell(row=n, column=7).number_format = "DD/MM/YYYY"
    if not a.evidence:
        ws.cell(row=2, column=1, value="Chưa có số liệu nào do sở, ngành gửi kèm minh chứng trong năm.")
    widths(ws, [28, 40, 10, 12, 50, 24, 12])
    wb.properties.title = f"Tự đánh giá DTI {a.year}"
    wb.properties.creator = "DTI Monitor"
    return to_bytes(wb)


LIGHT_FILL = {"green": FILLS["good"], "amber": FILLS["warn"], "red": FILLS["bad"], "grey": FILLS["none"]}


def scorecard_xlsx(s: Scorecard) -> bytes:
    """Units × indicators; each cell the value, coloured by its traffic light, the score in the cell's note
    column pair of the 'Điểm số' sheet."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Bảng điểm"
    ws["A1"] = f"Bảng điểm {s.level_name.lower()}: {s.framework_name}, kỳ {s.period.id}"
    ws["A1"].font = TITLE
    ws["A2"] = "Màu: xanh = đạt mục tiêu; vàng = đạt từ một nửa; đỏ = dưới một nửa; xám = chưa có số liệu"
    titles = ["Đơn vị", "Chỉ số DTI"] + [f"{c.name} ({c.code})" for c in s.columns]
    header(ws, 4, titles)
    ws.row_dimensions[4].height = 90
    scores = wb.create_sheet("Điểm số")
    header(scores, 1, ["Đơn vị", "Chỉ số DTI"] + [f"{c.name} ({c.code})" for c in s.columns])
    for n, r in enumerate(s.rows, 5):
        put(ws, n, [r.name, r.index], [None, INDEX_FMT])
        put(scores, n - 3, [r.name, r.index], [None, INDEX_FMT])
        for k, (v, sc, lt) in enumerate(r.cells):
            cell = ws.cell(row=n, column=3 + k, value=v)
            cell.number_format = number_format(s.columns[k].unit)
            cell.fill = LIGHT_FILL[lt]
            sc_cell = scores.cell(row=n - 3, column=3 + k, value=sc)
            sc_cell.number_format = "0.00"
            sc_cell.fill = LIGHT_FILL[lt]
    widths(ws, [30, 11] + [14] * len(s.columns))
    widths(scores, [30, 11] + [14] * len(s.columns))
    ws.freeze_panes = "C5"
    wb.properties.title = f"Bảng điểm {s.period.id}"
    return to_bytes(wb)
