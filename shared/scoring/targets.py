"""Targets by year and trajectories by date, both read off straight lines between declared points.

A target year's value stands at 31 December of that year; the baseline's at 31 December of its year.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from shared.periods import year_fraction
from shared.rules.model import Direction, Indicator

TrajectoryStatus = Literal["on_track", "at_risk", "off_track"]


def _interpolate(points: list[tuple[float, float]], x: float) -> float:
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


def _path(ind: Indicator, level: str) -> list[tuple[float, float]] | None:
    series = ind.targets.get(level)
    if not series:
        return None
    pts = [(float(y), t) for y, t in series]
    b = ind.baseline
    if b is not None and level in b.by_level and b.year < series[0][0]:
        pts.insert(0, (float(b.year), b.by_level[level]))
    return pts


def target_for(ind: Indicator, level: str, year: int) -> float | None:
    """The target of a year: on the line between the surrounding target years (or baseline and first target)."""
    pts = _path(ind, level)
    return None if pts is None else _interpolate(pts, float(year))


def expected_at(ind: Indicator, level: str, when: date) -> float | None:
    """Where the trajectory from the baseline to the targets says the value should be at a date.

    Without a baseline there is no path to be on, so there is no expectation (None).
    """
    if ind.baseline is None or level not in ind.baseline.by_level:
        return None
    pts = _path(ind, level)
    if pts is None:
        return None
    # a year's point stands at its end: fractional year Y + 1.0
    return _interpolate([(y + 1.0, v) for y, v in pts], year_fraction(when))


def trajectory_status(value: float, expected: float, tolerance: float, direction: Direction) -> TrajectoryStatus:
    """On track at or beyond the path; at risk within `tolerance` (relative) short of it; off track beyond."""
    slack = tolerance * abs(expected)
    if direction == "higher":
        if value >= expected - 1e-12:
            return "on_track"
        return "at_risk" if value >= expected - slack else "off_track"
    if value <= expected + 1e-12:
        return "on_track"
    return "at_risk" if value <= expected + slack else "off_track"
