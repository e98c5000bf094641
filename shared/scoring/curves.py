"""Scoring curves: map an indicator's value to a score in 0..1, given its target and direction."""

from __future__ import annotations

from shared.rules.model import Curve, Direction, Linear, RatioToTarget, Steps, YesNo


def _clamp(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def score(curve: Curve, value: float, target: float, direction: Direction) -> float:
    higher = direction == "higher"
    if isinstance(curve, Linear):
        span = (target - curve.floor) if higher else (curve.floor - target)
        if span <= 0:
            return 1.0 if meets(value, target, direction) else 0.0
        return _clamp((value - curve.floor) / span if higher else (curve.floor - value) / span)
    if isinstance(curve, RatioToTarget):
        if higher:
            return 1.0 if target <= 0 else _clamp(value / target)
        return 1.0 if value <= target else _clamp(target / value)
    if isinstance(curve, Steps):
        for bound, s in curve.bands:
            if (value <= bound) if curve.upper_bounds else (value >= bound):
                return s
        return 0.0
    assert isinstance(curve, YesNo)
    yes = value >= 1.0
    return 1.0 if yes == higher else 0.0


def meets(value: float, target: float, direction: Direction) -> bool:
    """Whether a value reaches its target (with a hair of tolerance for float sums such as 0.1 + 0.2)."""
    eps = 1e-9 * max(1.0, abs(target))
    return value >= target - eps if direction == "higher" else value <= target + eps
