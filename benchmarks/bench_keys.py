"""Source-key checks in embedded mode: how long a revoked key keeps working, and what a check costs.

`dti keys revoke` and the server share `<data-dir>/keys.sqlite` through two SQLite connections; here two
KeyStore instances on one file play them (the CLI revokes through one, the server checks through the
other), which is what the processes do.

- revocation lag: a key is checked in a tight loop by the "server" store; at a random moment (so every phase
  of any cache is sampled) the "CLI" store revokes it; the lag is the time from `revoke()` returning to the
  first refusal, and `accepted_after` counts the checks that still passed in that window;
- cost of one check of a valid key (the per-request price paid for seeing revocations at once).

Run: .venv/bin/python -m benchmarks.bench_keys [--trials 20] [--calls 200000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from services.ingest.keys import KeyStore


def revocation_lag(trials: int, seed: int = 7) -> dict[str, float]:
    rnd = random.Random(seed)
    lags: list[float] = []
    accepted_after: list[int] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "keys.sqlite"
        cli, server = KeyStore(path), KeyStore(path)
        try:
            for _ in range(trials):
                info, key = cli.create("lgsp")
                deadline = time.monotonic() + 5.0
                while server.source_of(key) is None:  # the new key reaches the server first
                    if time.monotonic() > deadline:
                        raise RuntimeError("a new key never reached the server")
                wait_until = time.monotonic() + rnd.uniform(0.0, 2.5)
                while time.monotonic() < wait_until:
                    server.source_of(key)
                assert cli.revoke(info.id)
                revoked = time.monotonic()
                passed = 0
                while server.source_of(key) is not None:
                    passed += 1
                lags.append(time.monotonic() - revoked)
                accepted_after.append(passed)
        finally:
            cli.close()
            server.close()
    return {
        "trials": trials,
        "lag_ms_max": max(lags) * 1000,
        "lag_ms_median": statistics.median(lags) * 1000,
        "checks_accepted_after_revoke_max": max(accepted_after),
    }


def check_cost(calls: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = KeyStore(Path(tmp) / "keys.sqlite")
        try:
            _info, key = store.create("lgsp")
            assert store.source_of(key) == "lgsp"
            t0 = time.perf_counter()
            for _ in range(calls):
                store.source_of(key)
            elapsed = time.perf_counter() - t0
        finally:
            store.close()
    return {"calls": calls, "us_per_check": elapsed / calls * 1e6}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    out = {"revocation": revocation_lag(args.trials), "check": check_cost(args.calls)}
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
