"""What every formula kind is: a key the rules name (`formula: {ratio: …}`), that reads and checks itself from
the rules file (each problem at its line), computes an indicator's value for a unit and period from the
metric store (and compiles that computation once per indicator and level for the scoring path), says what it
computes, and tells the simulator what its metrics must read for it to give a value. `FORMULAS` maps each
key to its class."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from shared import bilingual
from shared.rules.parse_context import ParseContext
from shared.rules.source import Node

if TYPE_CHECKING:
    from shared.rules.model import OrgTree
    from shared.scoring.results import IndicatorResult
    from shared.scoring.store import MetricStore

    # (formula, indicator code, unit, year, quarter) -> (units meeting its condition, units with data)
    ShareCounts = Callable[[Any, str, int, int, int], tuple[int, int]]
    # (value or None, reason when None, year) -> the indicator's result: the curve and target, bound once
    Finish = Callable[[float | None, str | None, int], IndicatorResult]
    Evaluator = Callable[[MetricStore, int, int, int, ShareCounts], IndicatorResult]

Value = tuple[float | None, str | None]  # the value, or None and why (shared.bilingual.join: Vietnamese, English)


@dataclass(frozen=True, slots=True)
class Reads:
    """What one metric a formula reads must show for the formula to give a value: the formula inverted, which
    the simulator uses to model a metric it has no profile for.

    shape: `level` (the metric itself reaches `high`), `size` (a total other metrics are shares of),
    `share_of` (a part of the metric `of`, at share `high`), `per_head` (`high` per head of `of`: population
    or households), `flag` (a yes/no each unit reports)."""

    shape: Literal["level", "size", "share_of", "per_head", "flag"]
    high: float = 0.0
    of: str = ""


def no_data(metric: str) -> str:
    return bilingual.join(f"chưa có số liệu {metric}", f"no data for {metric}")


class Formula:
    """One kind of formula. Subclasses are frozen dataclasses with a `scale` field, registered with
    `@formula_kind`."""

    __slots__ = ()
    key: ClassVar[str]  # its key under `formula:` in the rules
    order: ClassVar[int]  # where it stands in messages listing the kinds
    scale: float

    @property
    def metrics(self) -> tuple[str, ...]:
        raise NotImplementedError

    @classmethod
    def parse(cls, body: Node, ctx: ParseContext, scale: float) -> Formula | None:
        """The formula from the node under its key, or None after adding the problems."""
        raise NotImplementedError

    def value(
        self, code: str, store: MetricStore, tree: OrgTree, unit: int, year: int, quarter: int, share: ShareCounts
    ) -> Value:
        raise NotImplementedError

    def compile(self, code: str, tree: OrgTree, finish: Finish) -> Evaluator:
        """The indicator's evaluation at one level with the dispatch resolved once; kinds on the hot path
        (ratio, latest) override this with their arithmetic inlined, the same expressions as `value`."""
        value = self.value

        def evaluate(store: MetricStore, unit: int, year: int, quarter: int, share: ShareCounts) -> IndicatorResult:
            v, reason = value(code, store, tree, unit, year, quarter, share)
            return finish(v, reason, year)

        return evaluate

    def notation(self) -> str:
        """What it computes, before its scale (English; metric codes are the same in both languages)."""
        raise NotImplementedError

    def describe(self) -> str:
        s = self.notation()
        return s if self.scale == 1.0 else f"({s}) × {self.scale:g}"

    def check_levels(self, what: str, levels: frozenset[str], ctx: ParseContext, node: Node) -> None:
        """What only the indicator's levels reveal about the formula (a share of units below them)."""

    def reads(self, metric: str, value: float) -> Reads:
        """What `metric` must show for the formula to give `value` (see `Reads`)."""
        raise NotImplementedError


FORMULAS: dict[str, type[Formula]] = {}
F = TypeVar("F", bound=type[Formula])


def formula_kind(cls: F) -> F:
    """Registers a formula class under its `key`: adding a formula is one module in this package."""
    if cls.key in FORMULAS:
        raise ValueError(f"two formula kinds named '{cls.key}'")
    FORMULAS[cls.key] = cls
    return cls


def formula_keys() -> tuple[str, ...]:
    return tuple(sorted(FORMULAS, key=lambda k: FORMULAS[k].order))
