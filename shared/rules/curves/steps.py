"""`{type: steps, bands: [{min: 4, score: 1}, {min: 3, score: 0.75}]}`: the score of the first band the value
reaches (`min:` bands, higher is better, listed from the highest down; `max:` bands, lower is better, from the
lowest up), else 0."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from shared import bilingual
from shared.rules.curves.base import Curve, Direction, curve_kind
from shared.rules.fields import as_number, as_quantity, check_keys, expect_list, expect_map, req
from shared.rules.problems import Problems
from shared.rules.quantities import fmt_number, fmt_value, show_quantity
from shared.rules.source import Node


@curve_kind
@dataclass(frozen=True, slots=True)
class Steps(Curve):
    kind: ClassVar[str] = "steps"
    bands: tuple[tuple[float, float], ...]  # (bound, score); min bounds high to low, or max bounds low to high
    upper_bounds: bool  # True: bands use `max:` (lower is better)

    @classmethod
    def parse(cls, node: Node, problems: Problems, percent: bool, direction: Direction) -> Curve | None:
        p = problems
        check_keys(node, {"type", "bands"}, p, "steps curve")
        bnode = req(node, "bands", p, "steps curve")
        if not expect_list(bnode, p, "bands"):
            return None
        assert bnode is not None
        bands: list[tuple[float, float, Node]] = []
        kinds: set[str] = set()
        for el in bnode.elements():
            if not expect_map(el, p, "band"):
                continue
            check_keys(el, {"min", "max", "score"}, p, "band")
            bound_key = "min" if el.has("min") else "max" if el.has("max") else None
            if bound_key is None:
                p.add(el.loc, "band needs 'min' (higher is better) or 'max' (lower is better)")
                continue
            kinds.add(bound_key)
            bound = as_quantity(el.get(bound_key), percent, p, bound_key)
            snode = req(el, "score", p, "band")
            score = as_number(snode, p, "score")
            if score is not None and snode is not None and not 0.0 <= score <= 1.0:
                p.add(snode.loc, "band score must lie between 0 and 1")
                continue
            if bound is not None and score is not None:
                bands.append((bound, score, el))
        if len(kinds) > 1:
            p.add(bnode.loc, "bands must all use 'min' or all use 'max'")
            return None
        if not bands:
            p.add(bnode.loc, "steps curve needs at least one band")
            return None
        upper = kinds == {"max"}
        want = "lower" if upper else "higher"
        if direction != want:
            key, other = ("max", "min") if upper else ("min", "max")
            p.add(
                bnode.loc,
                f"bands with '{key}:' score a {want}-is-better value, but the indicator is {direction}-is-better: "
                f"write the bands with '{other}:' (or set `direction: {want}`)",
            )
            return None
        if not _bands_in_order(bands, upper, percent, p):
            return None
        return cls(tuple((b, sc) for b, sc, _ in bands), upper)

    def score(self, value: float, target: float, direction: Direction) -> float:
        for bound, s in self.bands:
            if (value <= bound) if self.upper_bounds else (value >= bound):
                return s
        return 0.0

    def describe(self, unit: str) -> str:
        word = "≤" if self.upper_bounds else "≥"
        bands = ", ".join(f"{word} {fmt_value(b, unit)} → {s:g}" for b, s in self.bands)
        return f"{bilingual.join('bậc thang', 'steps')}: {bands}"


def _bands_in_order(bands: list[tuple[float, float, Node]], upper: bool, percent: bool, p: Problems) -> bool:
    """Bands are read from the best down, as written: a listed order that differs, or a better value that
    scores less, is a slip the analyst must see (sorting them silently would hide it)."""
    key = "max" if upper else "min"
    ok = True
    for (b0, s0, _n0), (b1, s1, n1) in zip(bands, bands[1:], strict=False):
        if b1 == b0:
            p.add(n1.loc, f"two bands share {key} {show_quantity(b1, percent)}: each band needs its own bound")
            ok = False
        elif (b1 < b0) == upper:
            order = "lowest up" if upper else "highest down"
            p.add(
                n1.loc,
                f"band {{{key}: {show_quantity(b1, percent)}}} is listed after {{{key}: {show_quantity(b0, percent)}}}"
                f": list '{key}' bands from the {order}, the best band first",
            )
            ok = False
        elif s1 > s0:
            worse = "higher" if upper else "lower"
            p.add(
                n1.loc,
                f"band {{{key}: {show_quantity(b1, percent)}}} scores {fmt_number(s1)}, more than the better band "
                f"{{{key}: {show_quantity(b0, percent)}}} ({fmt_number(s0)}): a {worse} value cannot score more on a "
                f"{'lower' if upper else 'higher'}-is-better indicator; swap the scores",
            )
            ok = False
    return ok
