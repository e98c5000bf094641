"""`{share_of_units: {level: commune, metric: M, op: ">=", threshold: 1}}`: the share of the unit's
descendants at that level whose value of M meets the condition; units without data count as not meeting it.
The counts come from the scoring engine (`share`), which keeps them up to date as events arrive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from shared import bilingual
from shared.rules.fields import as_choice, as_number, check_keys, expect_map, req
from shared.rules.formulas.base import Formula, Reads, Value, formula_kind
from shared.rules.parse_context import ParseContext
from shared.rules.source import Node

if TYPE_CHECKING:
    from shared.rules.formulas.base import ShareCounts
    from shared.rules.model import OrgTree
    from shared.scoring.store import MetricStore


@formula_kind
@dataclass(frozen=True, slots=True)
class ShareOfUnits(Formula):
    key: ClassVar[str] = "share_of_units"
    order: ClassVar[int] = 4
    level: str
    metric: str
    op: Literal[">=", ">", "<=", "<", "=="]
    threshold: float
    scale: float = 1.0

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.metric,)

    def meets(self, value: float) -> bool:
        t = self.threshold
        match self.op:
            case ">=":
                return value >= t
            case ">":
                return value > t
            case "<=":
                return value <= t
            case "<":
                return value < t
            case _:
                return value == t

    @classmethod
    def parse(cls, body: Node, ctx: ParseContext, scale: float) -> Formula | None:
        p = ctx.p
        if not expect_map(body, p, "share_of_units"):
            return None
        check_keys(body, {"level", "metric", "op", "threshold"}, p, "share_of_units")
        lv = ctx.level(req(body, "level", p, "share_of_units"), "level")
        m = ctx.metric(req(body, "metric", p, "share_of_units"), "metric")
        op = as_choice(body.get("op"), (">=", ">", "<=", "<", "=="), p, "op") or ">="
        thr = as_number(req(body, "threshold", p, "share_of_units"), p, "threshold")
        if lv is None or m is None or thr is None:
            return None
        return cls(lv, m, op, thr, scale)  # type: ignore[arg-type]

    def value(
        self, code: str, store: MetricStore, tree: OrgTree, unit: int, year: int, quarter: int, share: ShareCounts
    ) -> Value:
        total = tree.descendants_at_level.get((unit, self.level), 0)
        if total == 0:
            return None, bilingual.join(f"không có đơn vị cấp {self.level}", f"no {self.level} units below")
        meet, with_data = share(self, code, unit, year, quarter)
        if with_data == 0:
            return None, bilingual.join("chưa đơn vị nào báo cáo", f"no {self.level} unit has reported {self.metric}")
        return meet / total * self.scale, None

    def notation(self) -> str:
        return f"share of {self.level} units with {self.metric} {self.op} {self.threshold:g}"

    def check_levels(self, what: str, levels: frozenset[str], ctx: ParseContext, node: Node) -> None:
        if ctx.tree is None:
            return
        order = ctx.tree.levels
        for lv in levels:
            if order.index(lv) >= order.index(self.level):
                ctx.p.add(node.loc, f"{what}: a share of '{self.level}' units cannot be scored at level '{lv}'")

    def reads(self, metric: str, value: float) -> Reads:
        return Reads("flag")
