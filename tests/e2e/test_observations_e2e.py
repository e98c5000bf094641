"""Departments' periodic figures: JSON, corrections, and sheet uploads whose errors name row and column."""

from __future__ import annotations

import io

import httpx
from openpyxl import Workbook

from tests.e2e.helpers import data, eventually
from tests.e2e.server import DtiServer

EVIDENCE = "https://laichau.gov.vn/bao-cao/2025-q2.pdf"


def obs(unit: str, metric: str, value: float, period: str = "2025-Q2") -> dict[str, object]:
    return {
        "org_unit": unit,
        "metric": metric,
        "period": period,
        "value": value,
        "evidence_url": EVIDENCE,
        "reported_by": "Nguyễn Văn A",
    }


def test_json_observation_then_correction(server: DtiServer, department_key: str) -> None:
    with server.client(department_key) as c:
        r = c.post("/v1/observations", json={"observations": [obs("P.T8", "population.epayment_accounts", 400)]})
        assert r.status_code == 202 and r.json() == {"accepted": 1, "duplicates": 0}
        eventually(lambda: data(server, "P.T8", "2025").get("population.epayment_accounts") == 400)
        # the same figure again is a duplicate; a new figure replaces the old one (a correction, not a sum)
        assert (
            c.post(
                "/v1/observations", json={"observations": [obs("P.T8", "population.epayment_accounts", 400)]}
            ).json()["duplicates"]
            == 1
        )
        assert (
            c.post(
                "/v1/observations", json={"observations": [obs("P.T8", "population.epayment_accounts", 450)]}
            ).status_code
            == 202
        )
        eventually(lambda: data(server, "P.T8", "2025").get("population.epayment_accounts") == 450)
        # the figure belongs to Q2: not in Q1's year-to-date values
        assert "population.epayment_accounts" not in data(server, "P.T8", "2025-Q1")


def test_observation_errors_name_the_field(server: DtiServer, department_key: str, lgsp_key: str) -> None:
    with server.client(department_key) as c:
        bad = {**obs("P.T8", "population.epayment_accounts", 1), "evidence_url": "not a url", "period": "2025-Q7"}
        r = c.post("/v1/observations", json={"observations": [bad]})
        assert r.status_code == 422
        pointers = {e["pointer"] for e in r.json()["detail"]["errors"]}
        assert pointers == {"/observations/0/evidence_url"}
        r = c.post(
            "/v1/observations",
            json={"observations": [obs("P.T8", "population.epayment_accounts", 1, period="2025-Q7")]},
        )
        assert [e["pointer"] for e in r.json()["detail"]["errors"]] == ["/observations/0/period"]
        # JSON is strict: a number sent as text (or true) is the sender's bug (sheets' text cells are converted)
        for value in ("400", True):
            r = c.post("/v1/observations", json={"observations": [obs("P.T8", "population.epayment_accounts", value)]})  # type: ignore[arg-type]
            assert r.status_code == 422, r.text
            (err,) = r.json()["detail"]["errors"]
            assert (err["pointer"], err["code"]) == ("/observations/0/value", "float_type")
            assert err["message_vi"] == "phải là số JSON (không phải chuỗi ký tự hay true/false)"
            assert err["message_en"] == "must be a JSON number, not text or true/false"
    with server.client(lgsp_key) as c:  # lgsp may not report this metric
        r = c.post("/v1/observations", json={"observations": [obs("P.T8", "population.epayment_accounts", 1)]})
        assert r.status_code == 403


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_upload_with_a_bad_row_names_row_and_column(server: DtiServer, department_key: str) -> None:
    header = ["Đơn vị", "Chỉ tiêu", "Kỳ", "Giá trị", "Minh chứng", "Người báo cáo"]
    rows = [
        header,
        ["P.T8.C1", "population.epayment_accounts", "2025-Q3", 120, EVIDENCE, "Lò Văn B"],
        ["P.T8.C2", "population.epayment_accounts", "2025-Q3", "một trăm", EVIDENCE, "Lò Văn B"],
    ]
    r = httpx.post(
        f"{server.url}/v1/observations",
        headers={"Authorization": f"Bearer {department_key}"},
        files={"file": ("bao-cao.xlsx", _xlsx(rows), "application/vnd.ms-excel")},
    )
    assert r.status_code == 422, r.text
    errs = r.json()["detail"]["errors"]
    assert [(e["row"], e["column"], e["field"]) for e in errs] == [(3, "D", "value")]
    assert errs[0]["message"].startswith("dòng 3, cột D:")
    assert "population.epayment_accounts" not in data(server, "P.T8.C1", "2025")  # atomic: row 2 not stored
    rows[2][3] = 80
    r = httpx.post(
        f"{server.url}/v1/observations",
        headers={"Authorization": f"Bearer {department_key}"},
        files={"file": ("bao-cao.xlsx", _xlsx(rows), "application/vnd.ms-excel")},
    )
    assert r.status_code == 202 and r.json() == {"accepted": 2, "duplicates": 0}
    eventually(lambda: data(server, "P.T8.C1", "2025").get("population.epayment_accounts") == 120)


def test_csv_upload(server: DtiServer, department_key: str) -> None:
    csv = (
        f"org_unit,metric,period,value,evidence_url,reported_by\nP.T8.C2,infra.network,2025,1,{EVIDENCE},Lò Văn C\n"
    ).encode()
    r = httpx.post(
        f"{server.url}/v1/observations",
        headers={"Authorization": f"Bearer {department_key}"},
        files={"file": ("bao-cao.csv", csv, "text/csv")},
    )
    assert r.status_code == 202, r.text
    eventually(lambda: data(server, "P.T8.C2", "2025").get("infra.network") == 1)
    r = httpx.post(
        f"{server.url}/v1/observations",
        headers={"Authorization": f"Bearer {department_key}"},
        files={"file": ("bao-cao.pdf", b"%PDF", "application/pdf")},
    )
    assert r.status_code == 415
