"""`{type: linear, floor: F}`: 0 at the floor, 1 at the target, in a straight line between (clamped)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared import bilingual
from shared.rules.curves.base import Curve, Direction, clamp, curve_kind
from shared.rules.fields import as_quantity, check_keys, req
from shared.rules.problems import Problems
from shared.rules.quantities import fmt_value, show_quantity
from shared.rules.source import Node


def meets(value: float, target: float, direction: Direction) -> bool:
    """Whether a value reaches its target (with a hair of tolerance for float sums such as 0.1 + 0.2)."""
    eps = 1e-9 * max(1.0, abs(target))
    return value >= target - eps if direction == "higher" else value <= target + eps


@curve_kind
@dataclass(frozen=True, slots=True)
class Linear(Curve):
    """The compiled scoring path (shared/scoring/evaluate.py) inlines this curve's arithmetic: the same
    expressions, so the same floats; a change here is a change there."""

    kind: ClassVar[str] = "linear"
    floor: float

    @classmethod
    def parse(cls, node: Node, problems: Problems, percent: bool, direction: Direction) -> Curve | None:
        check_keys(node, {"type", "floor"}, problems, "linear curve")
        floor = as_quantity(req(node, "floor", problems, "linear curve"), percent, problems, "floor")
        return None if floor is None else cls(floor)

    def score(self, value: float, target: float, direction: Direction) -> float:
        higher = direction == "higher"
        span = (target - self.floor) if higher else (self.floor - target)
        if span <= 0:
            return 1.0 if meets(value, target, direction) else 0.0
        return clamp((value - self.floor) / span if higher else (self.floor - value) / span)

    def describe(self, unit: str) -> str:
        floor = fmt_value(self.floor, unit)
        return bilingual.join(
            f"tuyến tính từ {floor} (0 điểm) đến chỉ tiêu (1 điểm)",
            f"linear from {floor} (score 0) to the target (score 1)",
        )

    def check_targets(
        self, node: Node, targets: list[float], direction: Direction, percent: bool, problems: Problems
    ) -> None:
        fnode = node.get("floor")
        if fnode is None:
            return
        floor = self.floor
        if direction == "higher" and floor >= min(targets):
            low = show_quantity(min(targets), percent)
            problems.add(
                fnode.loc,
                f"floor {show_quantity(floor, percent)} is not below the lowest target {low}: the floor is the value "
                f"that scores 0 and the target the one that scores 1; write a floor below {low}",
            )
        elif direction == "lower" and floor <= max(targets):
            high = show_quantity(max(targets), percent)
            problems.add(
                fnode.loc,
                f"floor {show_quantity(floor, percent)} is not above the highest target {high}: on a "
                f"lower-is-better indicator the floor is the value that scores 0 (the worst); write a floor above "
                f"{high}",
            )
