"""`{type: piecewise, points: [[20%, 0], [50%, 0.6], [80%, 1]]}`: the score runs in straight lines through
the given (value, score) points, as composite-index analysts (OECD/JRC handbook, COINr) draw a value function:
the first point's score below the first value, the last point's above the last. Values are in the
indicator's unit and strictly increasing; scores lie in 0..1 and rise with the values on a higher-is-better
indicator, fall on a lower-is-better one. The target does not enter the score (it still decides "met")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared import bilingual
from shared.rules.curves.base import Curve, Direction, curve_kind
from shared.rules.fields import as_number, as_quantity, check_keys, expect_list, req
from shared.rules.problems import Problems
from shared.rules.quantities import fmt_number, fmt_value, show_quantity
from shared.rules.source import Node


@curve_kind
@dataclass(frozen=True, slots=True)
class Piecewise(Curve):
    kind: ClassVar[str] = "piecewise"
    points: tuple[tuple[float, float], ...]  # (value, score), values strictly increasing

    @classmethod
    def parse(cls, node: Node, problems: Problems, percent: bool, direction: Direction) -> Curve | None:
        p = problems
        check_keys(node, {"type", "points"}, p, "piecewise curve")
        pnode = req(node, "points", p, "piecewise curve")
        if not expect_list(pnode, p, "points"):
            return None
        assert pnode is not None
        points: list[tuple[float, float, Node]] = []
        ok = True
        for el in pnode.elements():
            pair = list(el.elements()) if el.is_list else []
            if len(pair) != 2:
                p.add(el.loc, "a point is [value, score], e.g. [50%, 0.6]")
                ok = False
                continue
            x = as_quantity(pair[0], percent, p, "point value")
            s = as_number(pair[1], p, "point score")
            if s is not None and not 0.0 <= s <= 1.0:
                p.add(pair[1].loc, f"point score {fmt_number(s)} must lie between 0 and 1")
                s = None
            if x is None or s is None:
                ok = False
                continue
            points.append((x, s, el))
        if not ok:
            return None
        if len(points) < 2:
            p.add(pnode.loc, "a piecewise curve needs at least two points, e.g. [[20%, 0], [80%, 1]]")
            return None
        higher = direction == "higher"
        for (x0, s0, _n0), (x1, s1, n1) in zip(points, points[1:], strict=False):
            if x1 <= x0:
                p.add(
                    n1.loc,
                    f"point value {show_quantity(x1, percent)} is not above the previous {show_quantity(x0, percent)}:"
                    f" list the points with values strictly increasing",
                )
                ok = False
            elif (s1 < s0) if higher else (s1 > s0):
                verb = "falls" if higher else "rises"
                p.add(
                    n1.loc,
                    f"point score {fmt_number(s1)} {verb} from {fmt_number(s0)} at a higher value on a "
                    f"{direction}-is-better indicator: scores must {'rise' if higher else 'fall'} (or stay level) "
                    f"as the value grows",
                )
                ok = False
        return cls(tuple((x, s) for x, s, _ in points)) if ok else None

    def score(self, value: float, target: float, direction: Direction) -> float:
        pts = self.points
        x0, s0 = pts[0]
        if value <= x0:
            return s0
        for x1, s1 in pts[1:]:
            if value <= x1:
                return s0 + (s1 - s0) * (value - x0) / (x1 - x0)
            x0, s0 = x1, s1
        return s0

    def describe(self, unit: str) -> str:
        pts = ", ".join(f"{fmt_value(x, unit)} → {s:g}" for x, s in self.points)
        return f"{bilingual.join('tuyến tính từng đoạn qua', 'piecewise linear through')}: {pts}"
