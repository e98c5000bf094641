"""Reading departments' observation sheets (.xlsx or .csv) into rows, naming the row and column of each problem.

Headers may be the English field names or their Vietnamese equivalents, in any order.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from shared import bilingual
from shared.errors import Invalid

FIELDS = ("org_unit", "metric", "indicator", "period", "value", "evidence_url", "reported_by")
ALIASES = {
    "don_vi": "org_unit",
    "đơn vị": "org_unit",
    "ma_don_vi": "org_unit",
    "mã đơn vị": "org_unit",
    "chi_tieu": "metric",
    "chỉ tiêu": "metric",
    "ma_chi_tieu": "metric",
    "mã chỉ tiêu": "metric",
    "chi_so": "indicator",
    "chỉ số": "indicator",
    "ma_chi_so": "indicator",
    "mã chỉ số": "indicator",
    "ky": "period",
    "kỳ": "period",
    "kỳ báo cáo": "period",
    "ky_bao_cao": "period",
    "gia_tri": "value",
    "giá trị": "value",
    "so_lieu": "value",
    "số liệu": "value",
    "minh_chung": "evidence_url",
    "minh chứng": "evidence_url",
    "đường dẫn minh chứng": "evidence_url",
    "nguoi_bao_cao": "reported_by",
    "người báo cáo": "reported_by",
}


@dataclass(frozen=True, slots=True)
class TableError:
    row: int  # 1-based, as the spreadsheet shows it
    column: str  # spreadsheet letter
    field: str
    message_vi: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "message": bilingual.join(
                f"dòng {self.row}, cột {self.column}: {self.message_vi}",
                f"row {self.row}, column {self.column}: {self.message_en}",
            ),
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }


@dataclass(frozen=True, slots=True)
class TableRow:
    row: int
    values: dict[str, Any]
    columns: dict[str, str]  # field -> column letter


class TableUnreadable(Invalid):
    """Not a table this service reads (415: the upload's type, not its rows, is the problem)."""

    status = 415


def read_table(filename: str, content: bytes) -> list[list[Any]]:
    name = filename.lower()
    if name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TableUnreadable("the CSV file must be UTF-8", "tệp CSV phải mã hóa UTF-8") from exc
        return [list(r) for r in csv.reader(io.StringIO(text))]
    if name.endswith(".xlsx"):
        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:
            raise TableUnreadable(f"not a readable .xlsx file ({exc})", f"không đọc được tệp .xlsx ({exc})") from exc
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    raise TableUnreadable("upload a .xlsx or .csv file", "chỉ nhận tệp .xlsx hoặc .csv")


def rows_of(table: list[list[Any]]) -> tuple[list[TableRow], list[TableError]]:
    """Map the header row to fields; every later non-empty row becomes a TableRow."""
    if not table:
        return [], [TableError(1, "A", "header", "tệp rỗng", "the file is empty")]
    header = table[0]
    cols: dict[str, int] = {}
    errors: list[TableError] = []
    for i, h in enumerate(header):
        key = str(h or "").strip().lower()
        field = key if key in FIELDS else ALIASES.get(key)
        if field is None:
            if key:
                errors.append(
                    TableError(
                        1,
                        get_column_letter(i + 1),
                        key,
                        f"cột '{h}' không được hỗ trợ",
                        f"unknown column '{h}' (expected: {', '.join(FIELDS)})",
                    )
                )
            continue
        cols[field] = i
    for need in ("org_unit", "period", "value", "evidence_url", "reported_by"):
        if need not in cols:
            errors.append(
                TableError(
                    1, get_column_letter(len(header) + 1), need, f"thiếu cột '{need}'", f"missing column '{need}'"
                )
            )
    if "metric" not in cols and "indicator" not in cols:
        errors.append(
            TableError(
                1,
                get_column_letter(len(header) + 1),
                "metric",
                "thiếu cột 'metric' hoặc 'indicator'",
                "missing column 'metric' or 'indicator'",
            )
        )
    if errors:
        return [], errors
    letters = {f: get_column_letter(i + 1) for f, i in cols.items()}
    out = []
    for n, raw in enumerate(table[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in raw):
            continue
        values = {f: (raw[i] if i < len(raw) else None) for f, i in cols.items()}
        out.append(TableRow(n, values, letters))
    return out, []
