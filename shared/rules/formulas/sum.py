"""`{sum: [M1, M2, …]}`: the sum of the metrics that have data; no data when none has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from shared import bilingual
from shared.rules.fields import expect_list
from shared.rules.formulas.base import Formula, Reads, Value, formula_kind
from shared.rules.parse_context import ParseContext
from shared.rules.source import Node

if TYPE_CHECKING:
    from shared.rules.formulas.base import ShareCounts
    from shared.rules.model import OrgTree
    from shared.scoring.store import MetricStore


@formula_kind
@dataclass(frozen=True, slots=True)
class Sum(Formula):
    key: ClassVar[str] = "sum"
    order: ClassVar[int] = 1
    terms: tuple[str, ...]
    scale: float = 1.0

    @property
    def metrics(self) -> tuple[str, ...]:
        return self.terms

    @classmethod
    def parse(cls, body: Node, ctx: ParseContext, scale: float) -> Formula | None:
        if not expect_list(body, ctx.p, "sum"):
            return None
        terms = [ctx.metric(el, "sum term") for el in body.elements()]
        if not terms:
            ctx.p.add(body.loc, "sum needs at least one metric")
        return cls(tuple(t for t in terms if t), scale) if terms and all(terms) else None

    def value(
        self, code: str, store: MetricStore, tree: OrgTree, unit: int, year: int, quarter: int, share: ShareCounts
    ) -> Value:
        vals = [v for m in self.terms if (v := store.value(m, unit, year, quarter)) is not None]
        if not vals:
            return None, bilingual.join("chưa có số liệu", "no data for any term")
        return sum(vals) * self.scale, None

    def notation(self) -> str:
        return " + ".join(self.terms)

    def reads(self, metric: str, value: float) -> Reads:
        return Reads("level", value / self.scale if self.scale else value)
