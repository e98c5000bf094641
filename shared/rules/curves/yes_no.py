"""`{type: yes_no}`: 1 when the value is yes (≥ 1) on a higher-is-better indicator, or no on a lower one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared import bilingual
from shared.rules.curves.base import Curve, Direction, curve_kind
from shared.rules.fields import check_keys
from shared.rules.problems import Problems
from shared.rules.source import Node


@curve_kind
@dataclass(frozen=True, slots=True)
class YesNo(Curve):
    kind: ClassVar[str] = "yes_no"

    @classmethod
    def parse(cls, node: Node, problems: Problems, percent: bool, direction: Direction) -> Curve | None:
        check_keys(node, {"type"}, problems, "yes/no curve")
        return cls()

    def score(self, value: float, target: float, direction: Direction) -> float:
        yes = value >= 1.0
        return 1.0 if yes == (direction == "higher") else 0.0

    def describe(self, unit: str) -> str:
        return bilingual.join("có-không", "yes/no")
