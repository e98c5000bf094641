"""`{latest: M}`: the metric's value (a gauge's latest level, a counter's year-to-date total)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from shared.rules.formulas.base import Formula, Reads, Value, formula_kind, no_data
from shared.rules.parse_context import ParseContext
from shared.rules.source import Node

if TYPE_CHECKING:
    from shared.rules.formulas.base import Evaluator, Finish, ShareCounts
    from shared.rules.model import OrgTree
    from shared.scoring.results import IndicatorResult
    from shared.scoring.store import MetricStore


@formula_kind
@dataclass(frozen=True, slots=True)
class Latest(Formula):
    key: ClassVar[str] = "latest"
    order: ClassVar[int] = 2
    metric: str
    scale: float = 1.0

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.metric,)

    @classmethod
    def parse(cls, body: Node, ctx: ParseContext, scale: float) -> Formula | None:
        m = ctx.metric(body, "latest")
        return cls(m, scale) if m else None

    def value(
        self, code: str, store: MetricStore, tree: OrgTree, unit: int, year: int, quarter: int, share: ShareCounts
    ) -> Value:
        v = store.value(self.metric, unit, year, quarter)
        return (None, no_data(self.metric)) if v is None else (v * self.scale, None)

    def compile(self, code: str, tree: OrgTree, finish: Finish) -> Evaluator:
        metric, lscale = self.metric, self.scale
        missing = no_data(metric)

        def latest(store: MetricStore, unit: int, year: int, quarter: int, share: ShareCounts) -> IndicatorResult:
            v = store.value(metric, unit, year, quarter)
            return finish(None, missing, year) if v is None else finish(v * lscale, None, year)

        return latest

    def notation(self) -> str:
        return f"latest({self.metric})"

    def reads(self, metric: str, value: float) -> Reads:
        return Reads("level", value / self.scale if self.scale else value)
