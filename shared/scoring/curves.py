"""Scoring curves: map an indicator's value to a score in 0..1, given its target and direction.

Each curve kind scores itself (shared/rules/curves); this is the one call the scoring code makes."""

from __future__ import annotations

from shared.rules.curves import meets as meets
from shared.rules.model import Curve, Direction


def score(curve: Curve, value: float, target: float, direction: Direction) -> float:
    return curve.score(value, target, direction)
