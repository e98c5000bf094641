"""The one shape every benchmark reports in, so `dti bench` can print and write them all alike.

A figure is a measured value beside its ceiling (what the same work costs with nothing of ours in the way,
measured in the same run) and the ratio of the two; `goal` says in words what counts as good and `met`
whether this run reached it (None when the figure has no goal of its own).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Figure:
    name: str  # stable key, e.g. "scoring.incremental_us.10000"
    value: float
    unit: str  # "events/s", "ms", "µs/event", "s", "MB", "×"
    ceiling: float | None = None  # the same work without us, measured in the same run
    ratio: float | None = None  # value / ceiling, or the ratio the goal is stated in
    goal: str = ""  # e.g. "≥ 0.50 of the ceiling", "p99 < 250 ms"
    met: bool | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        del d["name"]
        return d


def ratio(value: float, ceiling: float | None) -> float | None:
    return None if not ceiling else value / ceiling


def load_figure(name: str, achieved: float, rate: float = 1000) -> Figure:
    """The background rate a latency was measured under: the latency counts only if this is met."""
    return Figure(
        name,
        achieved,
        "events/s",
        goal=f"{rate:,.0f} ± 5% (the load the latency is measured under)",
        met=abs(achieved - rate) <= 0.05 * rate,
    )
