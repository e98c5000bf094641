"""Every report endpoint answers with the media type its format says, a body of that kind (the file's magic
bytes), and a file name for downloads; the contents are checked in the other tests of this package."""

from __future__ import annotations

import json

import pytest

from tests.services.reports.conftest import YEAR, Client

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    ("path", "params", "media", "magic", "extension"),
    [
        ("/v1/reports/quarterly", {"format": "xlsx"}, XLSX, b"PK\x03\x04", ".xlsx"),
        ("/v1/reports/quarterly", {"format": "pdf"}, "application/pdf", b"%PDF-", ".pdf"),
        ("/v1/reports/assessment", {"format": "xlsx"}, XLSX, b"PK\x03\x04", ".xlsx"),
        ("/v1/reports/scorecard", {"format": "xlsx"}, XLSX, b"PK\x03\x04", ".xlsx"),
        ("/v1/reports/scorecard", {"format": "csv"}, "text/csv", None, ".csv"),
    ],
)
def test_downloads(
    app_client: Client, path: str, params: dict[str, str], media: str, magic: bytes | None, extension: str
) -> None:
    period = f"{YEAR}-Q4" if path.endswith("quarterly") else str(YEAR)
    key = "year" if path.endswith("assessment") else "period"
    r = app_client.get(path, framework="mini", **{key: period}, **params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == media
    if magic is not None:
        assert r.content.startswith(magic)
    else:
        r.content.decode("utf-8")  # CSV is UTF-8 text (Vietnamese names)
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f'{extension}"' in disposition  # the plain filename= for old clients, besides filename*=UTF-8''


@pytest.mark.parametrize(("path", "params"), [("/v1/reports/scorecard", {"format": "json"}), ("/v1/changes", {})])
def test_json_answers(app_client: Client, path: str, params: dict[str, str]) -> None:
    r = app_client.get(path, framework="mini", period=str(YEAR), **params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].split(";")[0] == "application/json"
    assert isinstance(json.loads(r.content), dict)
