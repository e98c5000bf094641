"""Logs of a real `dti up`: every line is a JSON object, each request's line carries its request id (the one
in the X-Request-Id response header, or the client's own), the level follows DTI_LOG_LEVEL, and no source
key, admin token or Authorization header value appears anywhere, whatever the requests carried."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import ev
from tests.e2e.server import ROOT, DtiServer

MINI = ROOT / "tests" / "fixtures" / "mini"
BANNER = re.compile(r"^DTI Monitor on http://127\.0\.0\.1:\d+ ")  # printed by the CLI before logging starts
ADMIN_TOKEN = "adm-" + secrets.token_urlsafe(24)


@dataclass
class Run:
    """What a server was sent, and what it logged."""

    server: DtiServer
    secrets: dict[str, str] = field(default_factory=dict)
    responses: list[tuple[str, str, int, str]] = field(default_factory=list)  # method, path, status, request id

    def lines(self) -> list[str]:
        return self.server.log_path.read_text(encoding="utf-8").splitlines()


def _start(base: Path, level: str, with_key: bool) -> tuple[DtiServer, str | None]:
    srv = DtiServer(base / "data", MINI, env={"DTI_LOG_LEVEL": level, "DTI_ADMIN_TOKEN": ADMIN_TOKEN})
    srv.data_dir.mkdir(parents=True)
    key = srv.key("lgsp") if with_key else None  # before the start: the CLI and the server share the data dir
    return srv.start(), key


def _traffic(run: Run, key: str) -> None:
    """Requests a log could leak a secret from: good and bad keys, admin calls, bodies and query strings."""
    s = run.server
    bad_key = f"dti_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
    wrong_admin = "adm-" + secrets.token_urlsafe(24)
    run.secrets |= {"source key": key, "bad key": bad_key, "admin token": ADMIN_TOKEN, "wrong admin": wrong_admin}

    def send(method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers |= kw.pop("headers", {})
        r = httpx.request(method, s.url + path, headers=headers, timeout=30.0, **kw)
        run.responses.append((method, path.split("?")[0], r.status_code, r.headers["x-request-id"]))
        return r

    good = {"events": [ev("P.D1.C1", "tthc.records_total", 2)]}
    assert send("POST", "/v1/events", key, json=good, headers={"X-Request-Id": "req-from-client-1"}).status_code == 202
    assert send("POST", "/v1/events", bad_key, json=good).status_code == 401
    # a refused batch whose attributes carry the key: the 422 must not put the body in the log
    bad = {"events": [{**ev("P.NOWHERE", "tthc.records_total"), "attributes": {"note": key}}]}
    assert send("POST", "/v1/events", key, json=bad).status_code == 422
    assert send(
        "POST", "/v1/events", key, content=b"not json", headers={"Content-Type": "application/json"}
    ).status_code in (400, 422)
    assert send("POST", "/v1/rules/reload", ADMIN_TOKEN).status_code == 200
    assert send("POST", "/v1/rules/reload", wrong_admin).status_code == 401
    assert send("POST", "/v1/rules/reload", None, headers={"Authorization": f"Basic {wrong_admin}"}).status_code == 401
    # a key pasted into a query string by mistake
    assert send("GET", f"/v1/scores?org_unit=P&period=2025&key={key}").status_code == 200
    assert send("GET", "/v1/nothing-here").status_code == 404
    # a request id that is not a plain token is replaced, not logged as sent
    r = send("GET", "/v1/org-units", headers={"X-Request-Id": "two words; and=more"})
    assert r.status_code == 200 and re.fullmatch(r"[0-9a-f]{16}", r.headers["x-request-id"])
    assert send("GET", "/healthz").status_code == 200


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Two servers started side by side: one at INFO, one at WARNING; the same traffic to both."""
    bases = {lvl: tmp_path_factory.mktemp(f"logs-{lvl.lower()}") for lvl in ("INFO", "WARNING")}
    with ThreadPoolExecutor(2) as pool:
        started = {lvl: pool.submit(_start, base, lvl, True) for lvl, base in bases.items()}
        servers = {lvl: f.result() for lvl, f in started.items()}
    out = {lvl: Run(srv) for lvl, (srv, _) in servers.items()}
    try:
        for lvl, (_, key) in servers.items():
            assert key
            _traffic(out[lvl], key)
    finally:
        for srv, _ in servers.values():
            srv.stop()  # SIGTERM: the shutdown lines are written too
    yield out


def _records(run: Run) -> list[dict[str, Any]]:
    lines = run.lines()
    assert lines, "nothing logged"
    banner = [i for i, line in enumerate(lines) if BANNER.match(line)]
    assert banner in ([], [0]), "only the CLI's banner, first, may be plain text"
    out = []
    for line in lines[len(banner) :]:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON log line: {line!r}") from None
        assert isinstance(rec, dict) and {"event", "level", "timestamp"} <= set(rec), line
        out.append(rec)
    return out


def test_every_line_is_json_and_requests_carry_their_request_id(runs: dict[str, Run]) -> None:
    run = runs["INFO"]
    records = _records(run)
    assert {r["level"] for r in records} <= {"info", "warning", "error", "critical"}
    # uvicorn's own lines are JSON too, with the logger's name
    assert any(r.get("logger") == "uvicorn.error" and "startup complete" in r["event"] for r in records)
    requests = [r for r in records if r["event"] == "request"]
    for r in requests:
        assert re.fullmatch(r"[\w\-]{1,64}", r["request_id"]), r
        assert "?" not in r["path"], r  # never the query string
    by_id = {r["request_id"]: r for r in requests}
    assert len(by_id) == len(requests), "request ids are unique"
    for method, path, status, rid in run.responses:
        if path == "/healthz":  # probes and scrapes are not logged, by design
            assert rid not in by_id
            continue
        assert rid in by_id, f"no log line for {method} {path} ({status}) with request id {rid}"
        logged = by_id[rid]
        assert (logged["method"], logged["path"], logged["status"]) == (method, path, status)
    assert by_id["req-from-client-1"]["status"] == 202  # the client's own X-Request-Id is kept
    # lines logged while serving a request (not only the access line) carry its id
    for r in records:
        if "path" in r or "method" in r:
            assert "request_id" in r, r


def test_level_follows_dti_log_level(runs: dict[str, Run]) -> None:
    info, warning = _records(runs["INFO"]), _records(runs["WARNING"])
    assert any(r["level"] == "info" for r in info)
    # the same traffic at WARNING: no request lines, no info lines at all
    assert [r for r in warning if r["level"] in ("debug", "info")] == []
    assert len(runs["WARNING"].responses) == len(runs["INFO"].responses)


def test_no_secret_in_any_line(runs: dict[str, Run]) -> None:
    for lvl, run in runs.items():
        text = "\n".join(run.lines())
        for what, secret in run.secrets.items():
            assert secret not in text, f"{lvl}: the {what} appears in the log"
            if secret.startswith("dti_"):  # nor a key's random part alone (dti_<id>_<secret>)
                assert secret.split("_", 2)[2] not in text, f"{lvl}: part of the {what} appears in the log"
        assert "Bearer" not in text and "Basic " not in text, f"{lvl}: an Authorization header value is logged"
        assert "authorization" not in text.lower(), f"{lvl}: the Authorization header is logged"
