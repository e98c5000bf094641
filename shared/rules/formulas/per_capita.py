"""`{per_capita: {metric: M, per: population, scale: 1000}}`: the value ÷ population (or households) × scale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from shared import bilingual
from shared.rules.fields import as_choice, as_number, check_keys, expect_map, req
from shared.rules.formulas.base import Formula, Reads, Value, formula_kind, no_data
from shared.rules.parse_context import ParseContext
from shared.rules.source import Node

if TYPE_CHECKING:
    from shared.rules.formulas.base import ShareCounts
    from shared.rules.model import OrgTree
    from shared.scoring.store import MetricStore


@formula_kind
@dataclass(frozen=True, slots=True)
class PerCapita(Formula):
    key: ClassVar[str] = "per_capita"
    order: ClassVar[int] = 3
    metric: str
    per: Literal["population", "households"]
    scale: float = 1.0

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.metric,)

    @classmethod
    def parse(cls, body: Node, ctx: ParseContext, scale: float) -> Formula | None:
        p = ctx.p
        if not expect_map(body, p, "per_capita"):
            return None
        check_keys(body, {"metric", "per", "scale"}, p, "per_capita")
        m = ctx.metric(req(body, "metric", p, "per_capita"), "metric")
        per = as_choice(req(body, "per", p, "per_capita"), ("population", "households"), p, "per")
        inner = as_number(body.get("scale"), p, "scale")
        return cls(m, per, scale * (1.0 if inner is None else inner)) if m and per else None  # type: ignore[arg-type]

    def value(
        self, code: str, store: MetricStore, tree: OrgTree, unit: int, year: int, quarter: int, share: ShareCounts
    ) -> Value:
        v = store.value(self.metric, unit, year, quarter)
        if v is None:
            return None, no_data(self.metric)
        u = tree.units[unit]
        base = u.population if self.per == "population" else u.households
        if not base:
            return None, bilingual.join("thiếu số dân hoặc số hộ", f"{u.code} has no {self.per} in the org-unit file")
        return v / base * self.scale, None

    def notation(self) -> str:
        return f"{self.metric} / {self.per}"

    def reads(self, metric: str, value: float) -> Reads:
        return Reads("per_head", value / self.scale, self.per)
