"""`dti simulate` against a real `dti up` on the province's rules: what the server counted is exactly what
was sent, the province's DTI starts near the 2022 baseline, and a replay is all duplicates."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from shared.periods import Period
from shared.rules.loader import load_ruleset
from shared.scoring.engine import MetricEvent, ScoringEngine
from tests.e2e.helpers import eventually
from tests.e2e.server import DtiServer, dti

pytestmark = pytest.mark.e2e


def recorded(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def counted(out: str, what: str) -> int:
    """A figure from the summary's line about events (status lines before it say the same things)."""
    line = next(line for line in out.splitlines() if line.startswith("events: "))
    m = re.search(rf"{what} ([\d,]+)", line)
    assert m, out
    return int(m.group(1).replace(",", ""))


def counter_sums(server: DtiServer, events: list[dict[str, Any]]) -> dict[str, float]:
    rules = load_ruleset(server.rules)
    sums: Counter[str] = Counter()
    for e in events:
        if rules.catalog.metrics[e["metric"]].type == "counter":
            sums[e["metric"]] += e["value"]
    return dict(sums)


def server_values(server: DtiServer, year: int) -> dict[str, float]:
    return server.get("/v1/data", org_unit="LC", period=str(year))["values"]  # type: ignore[no-any-return]


def test_simulate_then_replay(province_server: DtiServer, tmp_path: Path) -> None:
    srv = province_server
    rec = tmp_path / "run.jsonl"
    run = dti(
        "simulate", "--url", srv.url, "--data-dir", str(srv.data_dir), "--rules", str(srv.rules),
        "--year", "2025", "--seed", "11", "--rate", "300", "--duration", "5", "--record", str(rec), "--no-progress",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    events = recorded(rec)
    opening = [e for e in events if e["occurred_at"] == "2025-01-02T07:00:00+07:00"]
    assert len(opening) > 500  # every level the systems and departments hold, sent at once at the start
    assert 750 < len(events) - len(opening) <= 5 * 300 + 50, run.stdout  # then 300 a second for 5 s
    assert counted(run.stdout, "accepted") == len(events)
    assert counted(run.stdout, "rejected") == 0

    # the server holds exactly what was sent: every counter's total for the year equals the recorded sum
    sums = counter_sums(srv, events)
    assert sums["tthc.records_total"] > 0 and sums["edoc.documents_total"] > 0
    values = eventually(lambda: (v := server_values(srv, 2025)) and all(v.get(m) == s for m, s in sums.items()) and v)
    assert {m: values[m] for m in sums} == sums

    # the province's DTI: the server's equals the scoring engine's on the recorded events, and it starts near
    # 0.5032. The calibration gives 0.5032 for the opening levels with flows at their expected shares; in
    # these ~3 simulated hours of a working morning only some hundreds of records are filed (each share
    # varies by a few points), and none is resolved yet (HDCQS.03, 15 points, scores nothing): 0.04.
    engine = ScoringEngine(load_ruleset(srv.rules))
    engine.apply_many(
        [MetricEvent(e["metric"], e["org_unit"], e["value"], datetime.fromisoformat(e["occurred_at"])) for e in events]
    )
    local = engine.score("dti-2025", "LC", Period(2025, 4, True)).index.value
    assert local is not None
    scored = eventually(
        lambda: (
            (s := srv.get("/v1/scores", org_unit="LC", period="2025", framework="dti-2025")["index"]["value"])
            is not None
            and abs(s - local) < 1e-6  # the API rounds to 6 decimals
            and s
        )
    )
    assert scored == pytest.approx(0.5032, abs=0.04)
    print(f"DTI after {len(events)} simulated events: {scored:.4f}")

    # a replay of the record sends the same events: all duplicates, nothing counted twice
    again = dti(
        "simulate", "--url", srv.url, "--data-dir", str(srv.data_dir), "--rules", str(srv.rules),
        "--replay", str(rec), "--rate", "5000", "--no-progress",
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert counted(again.stdout, "accepted") == 0
    assert counted(again.stdout, "duplicates") == len(events)
    assert {m: server_values(srv, 2025)[m] for m in sums} == sums
