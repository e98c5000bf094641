"""What every scoring curve is: a kind the rules name (`curve: {type: …}`), that reads and checks itself from
the rules file (each problem at its line), maps an indicator's value to a score in 0..1 given its target and
direction, and says in Vietnamese and English what it does. `CURVES` maps each `type:` to its class."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

from shared.rules.problems import Problems
from shared.rules.source import Node

Direction = str  # "higher" | "lower" (shared.rules.model.Direction)


def clamp(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


class Curve:
    """One kind of scoring curve. Subclasses are frozen dataclasses, registered with `@curve_kind`."""

    __slots__ = ()
    kind: ClassVar[str]  # its `type:` in the rules

    @classmethod
    def parse(cls, node: Node, problems: Problems, percent: bool, direction: Direction) -> Curve | None:
        """The curve from its mapping (whose `type:` names this kind), or None after adding the problems."""
        raise NotImplementedError

    def score(self, value: float, target: float, direction: Direction) -> float:
        raise NotImplementedError

    def describe(self, unit: str) -> str:
        """What it does, in Vietnamese and English (shared.bilingual.join), for `dti rules explain`."""
        raise NotImplementedError

    def check_targets(
        self, node: Node, targets: list[float], direction: Direction, percent: bool, problems: Problems
    ) -> None:
        """What only the indicator's targets reveal about the curve (e.g. a linear floor they do not clear)."""


CURVES: dict[str, type[Curve]] = {}
C = TypeVar("C", bound=type[Curve])


def curve_kind(cls: C) -> C:
    """Registers a curve class under its `kind`: adding a curve is one module in this package."""
    if cls.kind in CURVES:
        raise ValueError(f"two curve kinds named '{cls.kind}'")
    CURVES[cls.kind] = cls
    return cls


ScoreFn = Callable[[float, float, Direction], float]
