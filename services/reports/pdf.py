"""The quarterly report as a printable PDF (A4, Vietnamese), with fpdf2.

fpdf2 is pure Python (no system library, unlike WeasyPrint's Pango or a headless Chromium) and embeds a TrueType
font subset, so Vietnamese letters print on any machine. The font is Roboto, which covers Vietnamese and comes
as a wheel (font-roboto) with the project's other dependencies: `./scripts/up` on a fresh machine needs no
system font. `DTI_PDF_FONT_DIR` may name another directory with `<Family>-Regular.ttf` and `-Bold.ttf`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from services.reports.labels import FREQUENCY_VI, status_vi
from services.reports.quarterly import QuarterlyReport, fmt_date, fmt_index, fmt_num, fmt_value
from shared.errors import Unavailable

FAMILY = "Report"
HEAD = FontFace(emphasis="BOLD", fill_color=(221, 231, 243))
TONE = {
    "met": (200, 230, 201),
    "on_track": (200, 230, 201),
    "at_risk": (255, 243, 176),
    "below_target": (248, 199, 195),
    "off_track": (248, 199, 195),
}


class FontMissing(Unavailable):
    """No TrueType font with Vietnamese letters could be found (503; `vi` and `en` say what to install)."""


def font_files() -> tuple[Path, Path]:
    """Regular and bold TTF files: DTI_PDF_FONT_DIR, else Roboto from the font-roboto wheel, else DejaVu Sans
    (Debian's fonts-dejavu-core)."""
    candidates: list[tuple[Path, Path]] = []
    from shared.settings import get_settings

    env = get_settings().pdf_font_dir
    if env:
        d = Path(env)
        found = sorted(d.glob("*-Regular.ttf"))
        if found:
            candidates.append((found[0], found[0].with_name(found[0].name.replace("-Regular", "-Bold"))))
    try:
        import font_roboto  # type: ignore[import-untyped]

        d = Path(font_roboto.font_directory)
        candidates.append((d / "Roboto-Regular.ttf", d / "Roboto-Bold.ttf"))
    except ImportError:
        pass
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    candidates.append((dejavu / "DejaVuSans.ttf", dejavu / "DejaVuSans-Bold.ttf"))
    for regular, bold in candidates:
        if regular.is_file():
            return regular, bold if bold.is_file() else regular
    raise FontMissing(
        "no TrueType font with Vietnamese letters for the PDF (install font-roboto or fonts-dejavu-core)",
        "không tìm thấy phông chữ tiếng Việt cho PDF (cài gói font-roboto hoặc fonts-dejavu-core)",
    )


class _Doc(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=7.5)
        self.set_text_color(100, 100, 100)
        self.cell(0, 5, f"{self.footer_text} — trang {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)


def _doc(title: str, footer: str) -> _Doc:
    regular, bold = font_files()
    pdf = _Doc(orientation="portrait", unit="mm", format="A4")
    pdf.footer_text = footer
    pdf.set_title(title)
    pdf.set_author("DTI Monitor")
    pdf.set_lang("vi")
    pdf.add_font(FAMILY, "", str(regular))
    pdf.add_font(FAMILY, "B", str(bold))
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    return pdf


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > pdf.h - 50:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(FAMILY, "B", 11.5)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=8.5)


def _table(
    pdf: FPDF,
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    aligns: Sequence[str] | None = None,
    tones: Sequence[tuple[int, str | None]] | None = None,
    bold_rows: set[int] | None = None,
) -> None:
    """A table with repeated headings; `tones` colours a column of each row by a status."""
    pdf.set_font(FAMILY, size=8)
    aligns = aligns or ["LEFT"] * len(head)
    with pdf.table(
        col_widths=widths,
        headings_style=HEAD,
        line_height=4.2,
        text_align=tuple(aligns),
        padding=0.8,
        repeat_headings=1,
    ) as t:
        hr = t.row()
        for h in head:
            hr.cell(h)
        for n, values in enumerate(rows):
            r = t.row()
            tone_col, tone = tones[n] if tones else (-1, None)
            for c, v in enumerate(values):
                style = None
                if bold_rows and n in bold_rows:
                    style = FontFace(emphasis="BOLD", fill_color=(242, 242, 242))
                if c == tone_col and tone in TONE:
                    style = FontFace(fill_color=TONE[tone])
                r.cell(v, style=style)
    pdf.ln(1)


def quarterly_pdf(r: QuarterlyReport) -> bytes:
    title = f"Báo cáo quý {r.period.quarter}/{r.period.year} về Chỉ số chuyển đổi số {r.province}"
    pdf = _doc(title, f"DTI Monitor · {r.province} · quý {r.period.quarter}/{r.period.year}")
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(0, 5, f"{r.province.upper()} — SỞ KHOA HỌC VÀ CÔNG NGHỆ", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FAMILY, "B", 15)
    pdf.multi_cell(0, 7, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=9)
    pdf.multi_cell(
        0,
        4.6,
        f"Kính gửi: Ủy ban nhân dân tỉnh. Bộ chỉ số: {r.framework_name}. Số liệu luỹ kế từ đầu năm đến ngày "
        f"{fmt_date(r.as_of)} (số liệu mới nhất ngày {fmt_date(r.data_through)}); so sánh với cuối "
        f"kỳ {r.previous_period.id}. Phiên bản quy tắc {r.rules_version}.",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )

    _heading(pdf, "1. Chỉ số DTI và các trụ cột")
    rows = [
        [
            "Chỉ số DTI",
            fmt_index(r.index.value),
            f"{fmt_num(r.index.points)} / {fmt_num(r.index.max_points, 0)}",
            fmt_index(r.index.previous),
            _signed(r.index.change),
            status_vi(r.index.status),
        ]
    ]
    tones: list[tuple[int, str | None]] = [(-1, None)]
    if r.goal_value is not None:
        rows.append([f"Mục tiêu năm {r.goal_year}", fmt_index(r.goal_value), "", "", "", ""])
        tones.append((-1, None))
    if r.goal_expected is not None:
        on = r.index.value is not None and r.index.value >= r.goal_expected
        rows.append(
            [
                f"Cần đạt theo lộ trình đến {fmt_date(r.as_of)}",
                fmt_index(r.goal_expected),
                "",
                "",
                "",
                "Đúng lộ trình" if on else "Chậm lộ trình",
            ]
        )
        tones.append((5, "on_track" if on else "off_track"))
    for p in r.pillars:
        rows.append(
            [
                f"Trụ cột: {p.name}",
                fmt_index(p.value),
                "",
                fmt_index(p.previous),
                _signed(p.change),
                status_vi(p.status),
            ]
        )
        tones.append((-1, None))
    _table(
        pdf,
        ["Hạng mục", "Giá trị", "Điểm", f"Cuối {r.previous_period.id}", "Thay đổi", "Trạng thái"],
        rows,
        [62, 20, 26, 22, 18, 34],
        ["LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "LEFT"],
        tones,
        {0},
    )

    if r.goal_note:
        pdf.set_font(FAMILY, size=7.5)
        pdf.multi_cell(0, 3.8, f"Mục tiêu: {r.goal_note}", new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "2. Thay đổi so với quý trước")
    pdf.set_font(FAMILY, size=9)
    for s in r.changes:
        pdf.multi_cell(0, 4.6, f"•  {s}", new_x="LMARGIN", new_y="NEXT")

    _heading(pdf, "3. Chỉ số chính và chỉ số thành phần so với mục tiêu")
    rows, tones, bold = [], [], set()
    for m in r.mains:
        bold.add(len(rows))
        rows.append(
            [
                m.name,
                m.owner,
                fmt_index(m.value),
                "",
                f"{fmt_num(m.points)} / {fmt_num(m.max_points, 0)}",
                status_vi(m.status),
            ]
        )
        tones.append((-1, None))
        for i in r.indicators:
            if i.main != m.name:
                continue
            traj = f" (lộ trình: {fmt_value(i.expected, i.unit)})" if i.expected is not None else ""
            rows.append(
                [
                    f"{i.name} ({i.code})",
                    i.owner,
                    fmt_value(i.value, i.unit),
                    fmt_value(i.target, i.unit) + traj,
                    f"{fmt_num(i.earned)} / {fmt_num(i.points, 0)}",
                    (i.reason[:1].upper() + i.reason[1:]) if i.reason else status_vi(i.status),
                ]
            )
            tones.append((5, i.status))
    _table(
        pdf,
        ["Chỉ số", "Đơn vị phụ trách", "Giá trị", "Mục tiêu", "Điểm", "Trạng thái"],
        rows,
        [60, 28, 16, 24, 18, 36],
        ["LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "LEFT"],
        tones,
        bold,
    )

    _heading(pdf, "4. Điểm DTI mỗi sở, ngành có thể tăng thêm khi đạt mục tiêu")
    rows = [
        [
            d.name,
            fmt_num(d.gain_points),
            str(len(d.indicators)),
            "; ".join(d.indicators[:3])
            + (f"; và {len(d.indicators) - 3} chỉ số khác" if len(d.indicators) > 3 else ""),
        ]
        for d in r.departments
    ]
    if rows:
        _table(
            pdf,
            ["Sở, ngành", "Điểm", "Số chỉ số", "Chỉ số tăng nhiều nhất"],
            rows,
            [44, 16, 16, 106],
            ["LEFT", "RIGHT", "RIGHT", "LEFT"],
        )
    else:
        pdf.cell(0, 5, "Mọi chỉ số đã đạt điểm tối đa.", new_x="LMARGIN", new_y="NEXT")

    _heading(pdf, "5. Xếp hạng các đơn vị theo Chỉ số DTI")
    for level, ranks in r.rankings.items():
        pdf.set_font(FAMILY, "B", 9)
        pdf.cell(0, 5, f"Cấp {level.lower()} ({len(ranks)} đơn vị)", new_x="LMARGIN", new_y="NEXT")
        rows = [
            [
                str(u.rank),
                u.name,
                fmt_index(u.value),
                fmt_index(u.previous),
                _signed(None if u.value is None or u.previous is None else u.value - u.previous),
            ]
            for u in ranks
        ]
        _table(
            pdf,
            ["Hạng", "Đơn vị", "Chỉ số DTI", f"Cuối {r.previous_period.id}", "Thay đổi"],
            rows,
            [14, 80, 30, 30, 28],
            ["RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT"],
        )

    _heading(pdf, "6. Báo cáo còn thiếu hoặc nộp muộn")
    if r.due:
        rows = [
            [d.indicator, d.owner, FREQUENCY_VI.get(d.frequency, d.frequency), fmt_date(d.deadline), d.detail]
            for d in r.due
        ]
        _table(pdf, ["Chỉ số", "Đơn vị phụ trách", "Tần suất", "Hạn nộp", "Tình trạng"], rows, [70, 36, 18, 20, 38])
    else:
        pdf.set_font(FAMILY, size=9)
        pdf.cell(0, 5, "Không có báo cáo thiếu hoặc nộp muộn trong kỳ.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FAMILY, size=7.5)
    pdf.multi_cell(
        0,
        3.8,
        "Ghi chú: chỉ số chính và công thức theo quyết định của Bộ; chỉ số thành phần do tỉnh tự xây dựng khi "
        "danh mục chính thức chưa công bố. Giá trị luỹ kế từ đầu năm. Điểm = điểm số (0–1) × điểm tối đa.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def _signed(x: float | None) -> str:
    if x is None:
        return "—"
    return ("+" if x > 0 else "") + fmt_num(x, 4)
