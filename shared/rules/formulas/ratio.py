"""`{ratio: {numerator: M1, denominator: M2}}`: ΣM1 / ΣM2 over the unit's subtree; no data when M2 is 0."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from shared import bilingual
from shared.rules.fields import check_keys, expect_map, req
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
class Ratio(Formula):
    key: ClassVar[str] = "ratio"
    order: ClassVar[int] = 0
    numerator: str
    denominator: str
    scale: float = 1.0

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.numerator, self.denominator)

    @classmethod
    def parse(cls, body: Node, ctx: ParseContext, scale: float) -> Formula | None:
        p = ctx.p
        if not expect_map(body, p, "ratio"):
            return None
        check_keys(body, {"numerator", "denominator"}, p, "ratio")
        num = ctx.metric(req(body, "numerator", p, "ratio"), "numerator")
        dnode = req(body, "denominator", p, "ratio")
        den = ctx.metric(dnode, "denominator")
        if num is not None and num == den and dnode is not None:
            p.add(
                dnode.loc,
                f"ratio of '{num}' to itself is always 1: the denominator is the total the numerator is part of",
            )
            return None
        return cls(num, den, scale) if num and den else None

    def value(
        self, code: str, store: MetricStore, tree: OrgTree, unit: int, year: int, quarter: int, share: ShareCounts
    ) -> Value:
        den = store.value(self.denominator, unit, year, quarter)
        if den is None:
            return None, no_data(self.denominator)
        if den == 0:
            return None, bilingual.join("mẫu số bằng 0", f"{self.denominator} is zero")
        num = store.value(self.numerator, unit, year, quarter)
        if num is None:
            if store.metrics[self.numerator].type == "gauge":
                return None, no_data(self.numerator)
            num = 0.0  # no counted event against a reported denominator really is zero
        return num / den * self.scale, None

    def compile(self, code: str, tree: OrgTree, finish: Finish) -> Evaluator:
        num_m, den_m, scale = self.numerator, self.denominator, self.scale
        no_den = no_data(den_m)
        zero_den = bilingual.join("mẫu số bằng 0", f"{den_m} is zero")
        no_num = no_data(num_m)

        def ratio(store: MetricStore, unit: int, year: int, quarter: int, share: ShareCounts) -> IndicatorResult:
            den = store.value(den_m, unit, year, quarter)
            if den is None:
                return finish(None, no_den, year)
            if den == 0:
                return finish(None, zero_den, year)
            num = store.value(num_m, unit, year, quarter)
            if num is None:
                if store.metrics[num_m].type == "gauge":
                    return finish(None, no_num, year)
                num = 0.0  # no counted event against a reported denominator really is zero
            return finish(num / den * scale, None, year)

        return ratio

    def notation(self) -> str:
        return f"{self.numerator} / {self.denominator}"

    def reads(self, metric: str, value: float) -> Reads:
        if metric == self.denominator:
            return Reads("size")
        return Reads("share_of", min(1.0, value / self.scale), self.denominator)
