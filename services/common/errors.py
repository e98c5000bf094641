"""Error responses a person can act on: which field, why, in Vietnamese then English.

Every error any service answers has one shape, `{"detail": {"message", "message_vi", "message_en",
"errors": [...]}}` (services/common/openapi.py documents it as `ErrorBody`): `fail()` builds it, and
`install_error_handlers()` makes FastAPI's own refusals (a query parameter of the wrong type, an unknown path)
answer in it too, so an integrator parses one thing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.requests import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared import bilingual
from shared.errors import DTIError
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
    detail: dict[str, Any] = {"message": bilingual.join(vi, en), "message_vi": vi, "message_en": en}
    if field_errors:
        detail["errors"] = [e.as_dict() for e in field_errors]
    detail.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {"Retry-After": "1"} if status == 503 else None
    return HTTPException(status_code=status, detail=detail, headers=headers)


_STATUS_VI = {
    400: "yêu cầu không hợp lệ",
    404: "không tìm thấy",
    405: "phương thức không được hỗ trợ",
    406: "không có định dạng trả về phù hợp",
}


async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """A request FastAPI could not parse or validate: 422 with one entry per field (a JSON pointer, the
    code, Vietnamese and English), the shape of every other refusal."""
    errors = []
    for e in exc.errors():
        loc = list(e.get("loc", ()))
        where = loc[0] if loc else "body"
        kind = str(e.get("type"))
        vi, en = vi_for(kind), en_for(kind, str(e.get("msg")))
        errors.append(
            {
                "pointer": pointer(f"/{where}", loc[1:]),
                "code": kind,
                "message": bilingual.join(vi, en),
                "message_vi": vi,
                "message_en": en,
            }
        )
    vi, en = "tham số không hợp lệ", "invalid request"
    body = {"detail": {"message": bilingual.join(vi, en), "message_vi": vi, "message_en": en, "errors": errors}}
    return JSONResponse(body, status_code=422)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """`fail()`'s details pass through; Starlette's own (404 for an unknown path, 405) get the same shape."""
    if isinstance(exc.detail, dict):
        detail: dict[str, Any] = exc.detail
    else:
        en = str(exc.detail)
        vi = _STATUS_VI.get(exc.status_code, "yêu cầu bị từ chối")
        detail = {"message": bilingual.join(vi, en), "message_vi": vi, "message_en": en}
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        # Starlette names only the first route that matched the path; a path served by two routes (POST and
        # DELETE of /v1/alerts/{fingerprint}/ack) allows both
        headers["Allow"] = ", ".join(_allowed_methods(request)) or headers.get("Allow", "")
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers or None)


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for template, ops in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), request.scope["path"]):
            methods.update(m.upper() for m in ops)
    return sorted(methods)


async def _dti_error(_request: Request, exc: DTIError) -> JSONResponse:
    """Any `shared.errors.DTIError` a route lets through: its class's `status`, its own Vietnamese and English."""
    e = fail(exc.status, exc.vi, exc.en)
    return JSONResponse({"detail": e.detail}, status_code=e.status_code, headers=e.headers)


def install_error_handlers(app: FastAPI) -> None:
    """The one place the project's refusals become HTTP answers, for `dti up` and the Kafka services alike."""
    app.add_exception_handler(DTIError, _dti_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
