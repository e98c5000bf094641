"""Bearer authentication: a source key for ingest, the admin token for admin endpoints."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from services.common.backend import Backend, IngestBackend, backend, ingest_backend
from services.common.errors import fail
from services.ingest.keys import KeyStoreUnavailable


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise fail(401, "thiếu khóa truy cập (Authorization: Bearer …)", "missing key (Authorization: Bearer …)")
    if scheme.lower() != "bearer" or not token.strip():
        raise fail(
            401, "tiêu đề Authorization phải có dạng 'Bearer <khóa>'", "the Authorization header must be 'Bearer <key>'"
        )
    return token.strip()


def source_of_key(request: Request, b: Annotated[IngestBackend, Depends(ingest_backend)]) -> str:
    try:
        source = b.keys.source_of(_bearer(request))
    except KeyStoreUnavailable as exc:
        raise fail(
            503, "tạm thời không kiểm tra được khóa, vui lòng gửi lại", "cannot check keys just now, retry"
        ) from exc
    if source is None:
        b.metrics.ingest_rejections.labels("unknown", "bad_key").inc()
        raise fail(401, "khóa không hợp lệ hoặc đã bị thu hồi", "invalid or revoked key")
    return source


def require_admin(request: Request, b: Annotated[Backend, Depends(backend)]) -> None:
    token = _bearer(request)
    if not hmac.compare_digest(token.encode(), b.admin_token.encode()):
        raise fail(401, "mã quản trị không hợp lệ", "invalid admin token")


SourceDep = Annotated[str, Depends(source_of_key)]
AdminDep = Annotated[None, Depends(require_admin)]
