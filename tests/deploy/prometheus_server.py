"""A real Prometheus (Debian's binary) for the tests, started from one of the project's own configs with
the targets pointed at processes the test started and every interval set to 1 s."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.deploy.tools import DEPLOY
from tests.e2e.server import free_port

PROM_DIR = DEPLOY / "prometheus"


def scrape_config(source: str, targets: dict[str, list[str]]) -> dict[str, Any]:
    """deploy/prometheus/<source> with each job's targets replaced (jobs not named are dropped), 1 s
    intervals, the project's rules, and no Alertmanager (the rules are evaluated all the same)."""
    config = yaml.safe_load((PROM_DIR / source).read_text(encoding="utf-8"))
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert set(targets) <= set(jobs), f"{source} has no job {set(targets) - set(jobs)}"
    config["scrape_configs"] = []
    for name, hosts in targets.items():
        job = {k: v for k, v in jobs[name].items() if not k.endswith("_sd_configs") and k != "static_configs"}
        config["scrape_configs"].append({**job, "static_configs": [{"targets": hosts}]})
    config["rule_files"] = [str(PROM_DIR / "rules" / "*.yml")]
    config.pop("alerting")
    return config  # type: ignore[no-any-return]


class Prometheus:
    def __init__(self, workdir: Path, config: dict[str, Any]) -> None:
        binary = shutil.which("prometheus")
        assert binary, "prometheus is missing: scripts/system-deps installs Debian's prometheus package"
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.log = (workdir / "prometheus.log").open("wb")
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 30.0) -> Prometheus:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.workdir / "prometheus.log").read_text()
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("prometheus not ready")

    def api(self, path: str, **params: str) -> Any:
        r = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10.0)
        body = r.json()
        assert r.status_code == 200 and body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = self.api("query", query=expr)
        assert data["resultType"] == "vector", data
        return data["result"]  # type: ignore[no-any-return]

    def rules_health(self) -> dict[str, str | None] | None:
        """Each rule's last error once every rule has been evaluated (None until then)."""
        rules = [r for g in self.api("rules")["groups"] for r in g["rules"]]
        if not rules or not all(r["lastEvaluation"] > "2000" for r in rules):
            return None
        return {r["name"]: r.get("lastError") for r in rules if r["health"] != "ok"}

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
