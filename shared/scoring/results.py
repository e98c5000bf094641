"""What scoring produces for one framework, org unit and period."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.rules.codes import INDEX

IndicatorStatus = Literal["met", "below_target", "no_data"]
CompositeStatus = Literal["complete", "partial", "no_data", "not_applicable", "not_scored"]


@dataclass(frozen=True, slots=True)
class IndicatorResult:
    value: float | None
    target: float | None
    score: float | None  # 0..1
    points: float  # the most it can earn
    earned: float | None  # score × points; None when there is no data
    status: IndicatorStatus
    reason: str | None = None  # why there is no data, in English and Vietnamese


@dataclass(frozen=True, slots=True)
class CompositeResult:
    """A main indicator, a pillar or the index. For main indicators `points`/`earned` are in their points."""

    value: float | None  # 0..1
    status: CompositeStatus
    coverage: float  # share of the weight (or points) that had data
    missing: tuple[str, ...]  # parts without data
    points: float = 0.0
    earned: float = 0.0


@dataclass(slots=True, eq=False)
class UnitScore:
    framework: str
    unit: int
    year: int
    quarter: int  # values are year to date up to this quarter; 4 = the whole year
    indicators: dict[str, IndicatorResult]
    mains: dict[str, CompositeResult]
    composites: dict[str, CompositeResult]  # pillars by code, and the index under "DTI"

    @property
    def index(self) -> CompositeResult:
        return self.composites[INDEX]

    def __eq__(self, other: object) -> bool:
        # by value, whatever the class: the engine keeps some unit scores in a subclass that computes its
        # results when they are read (`shared.scoring.engine`), equal to a plain UnitScore of the same results
        if not isinstance(other, UnitScore):
            return NotImplemented
        return (
            self.framework == other.framework
            and self.unit == other.unit
            and self.year == other.year
            and self.quarter == other.quarter
            and self.indicators == other.indicators
            and self.mains == other.mains
            and self.composites == other.composites
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value (as the dataclass default was)
