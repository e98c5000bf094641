"""`{type: ratio}`: value ÷ target, capped at 1 (target ÷ value when lower is better)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared import bilingual
from shared.rules.curves.base import Curve, Direction, clamp, curve_kind
from shared.rules.fields import check_keys
from shared.rules.problems import Problems
from shared.rules.source import Node


@curve_kind
@dataclass(frozen=True, slots=True)
class RatioToTarget(Curve):
    kind: ClassVar[str] = "ratio"

    @classmethod
    def parse(cls, node: Node, problems: Problems, percent: bool, direction: Direction) -> Curve | None:
        check_keys(node, {"type"}, problems, "ratio curve")
        return cls()

    def score(self, value: float, target: float, direction: Direction) -> float:
        if direction == "higher":
            return 1.0 if target <= 0 else clamp(value / target)
        return 1.0 if value <= target else clamp(target / value)

    def describe(self, unit: str) -> str:
        return bilingual.join("tỷ lệ so với chỉ tiêu", "value ÷ target, capped at 1")
