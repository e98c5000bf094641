"""Error responses a person can act on: which field, why, in Vietnamese then English."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException

from shared.events import FieldError

# pydantic error types -> Vietnamese; the English text is pydantic's own message
_VI = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được phép",
    "string_type": "phải là chuỗi ký tự",
    "string_too_short": "không được để trống",
    "string_too_long": "quá dài",
    "float_type": "phải là số JSON (không phải chuỗi ký tự hay true/false)",
    "float_parsing": "phải là số",
    "finite_number": "phải là số hữu hạn",
    "datetime_type": "phải là chuỗi thời điểm ISO 8601 có múi giờ, ví dụ 2025-03-14T09:30:00+07:00",
    "datetime_parsing": "không phải thời điểm ISO 8601 hợp lệ, ví dụ 2025-03-14T09:30:00+07:00",
    "datetime_from_date_parsing": "không phải thời điểm ISO 8601 hợp lệ, ví dụ 2025-03-14T09:30:00+07:00",
    "dict_type": "phải là đối tượng JSON",
    "model_type": "phải là đối tượng JSON",
    "list_type": "phải là danh sách",
    "url_parsing": "không phải địa chỉ URL hợp lệ",
    "url_scheme": "địa chỉ phải bắt đầu bằng http:// hoặc https://",
}


# where pydantic's English says too little for a person fixing a sender
_EN = {"float_type": "must be a JSON number, not text or true/false"}


def vi_for(error_type: str) -> str:
    return _VI.get(error_type, "giá trị không hợp lệ")


def en_for(error_type: str, pydantic_message: str) -> str:
    return _EN.get(error_type, pydantic_message)


def pointer(prefix: str, loc: Sequence[Any]) -> str:
    return prefix + "".join(f"/{str(p).replace('~', '~0').replace('/', '~1')}" for p in loc)


def fail(status: int, vi: str, en: str, field_errors: Sequence[FieldError] = (), **extra: Any) -> HTTPException:
    detail: dict[str, Any] = {"message": f"{vi} / {en}", "message_vi": vi, "message_en": en}
    if field_errors:
        detail["errors"] = [e.as_dict() for e in field_errors]
    detail.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {"Retry-After": "1"} if status == 503 else None
    return HTTPException(status_code=status, detail=detail, headers=headers)
