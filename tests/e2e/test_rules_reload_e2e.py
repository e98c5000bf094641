"""Hot reload against a real `dti up`: a good edit re-scores under the new version, a bad one is refused
with FILE:LINE:COL and the last good rules stay in force."""

from __future__ import annotations

import httpx

from tests.e2e.helpers import ev, eventually, indicator
from tests.e2e.server import DtiServer


def test_hot_reload_good_then_bad_edit(server: DtiServer, lgsp_key: str) -> None:
    fw_file = server.rules / "mini.yaml"
    original = fw_file.read_text(encoding="utf-8")
    v1 = server.get("/v1/rules")["version"]
    with server.client(lgsp_key) as c:
        assert c.post("/v1/events", json=ev("P", "lgsp.systems_connected", 6)).status_code == 202
    eventually(lambda: indicator(server, "P", "2025", "B2")["value"] == 6)
    # steps: 6 >= 5 -> 0.5; target 10
    assert indicator(server, "P", "2025", "B2")["target"] == 10
    try:
        fw_file.write_text(original.replace("targets: {2025: 10}", "targets: {2025: 6}"), encoding="utf-8")
        v2 = eventually(lambda: (v := server.get("/v1/rules")["version"]) != v1 and v)
        b2 = indicator(server, "P", "2025", "B2")
        assert (b2["target"], b2["status"]) == (6, "met")
        assert server.get("/v1/scores", org_unit="P", period="2025")["rules_version"] == v2

        broken = original.replace("targets: {2025: 10}", "targets: {2025: 6}").replace(
            "curve: {type: ratio}", "curve: {type: sigmoid}"
        )
        fw_file.write_text(broken, encoding="utf-8")
        line = next(i for i, s in enumerate(broken.splitlines(), 1) if "sigmoid" in s)
        col = broken.splitlines()[line - 1].index("sigmoid") + 1
        err = eventually(lambda: server.get("/v1/rules")["last_error"])
        assert (
            f"{fw_file}:{line}:{col}: unknown curve type 'sigmoid' (known: linear, piecewise, ratio, steps, yes_no)"
            in err["problems"]
        )
        assert server.get("/v1/rules")["version"] == v2  # the last good rules stay in force
        with server.client(lgsp_key) as c:  # and scoring carries on
            assert c.post("/v1/events", json=ev("P", "lgsp.systems_connected", 9)).status_code == 202
        eventually(lambda: indicator(server, "P", "2025", "B2")["value"] == 9)
        # the admin endpoint says the same; it needs the admin token
        assert httpx.post(f"{server.url}/v1/rules/reload").status_code == 401
        assert (
            httpx.post(f"{server.url}/v1/rules/reload", headers={"Authorization": f"Bearer {lgsp_key}"}).status_code
            == 401
        )
        r = httpx.post(f"{server.url}/v1/rules/reload", headers={"Authorization": "Bearer test-admin-token"})
        assert r.status_code == 422 and any("sigmoid" in p for p in r.json()["detail"]["problems"])
    finally:
        fw_file.write_text(original, encoding="utf-8")
    eventually(lambda: server.get("/v1/rules")["version"] == v1 and server.get("/v1/rules")["last_error"] is None)
    r = httpx.post(f"{server.url}/v1/rules/reload", headers={"Authorization": "Bearer test-admin-token"})
    assert r.status_code == 200 and r.json()["version"] == v1
