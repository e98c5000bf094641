"""Published results as data: the province's DTI and rank by year (`history`), and the last published table
of every province's DTI (`peers`), each figure with its source. Nothing here is computed or guessed: a value
nobody published is left out, and the rules say so in a note.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.rules.fields import as_int, as_number, as_str, check_keys, expect_list, expect_map, req
from shared.rules.problems import Problems
from shared.rules.source import Node


@dataclass(frozen=True, slots=True)
class Published:
    """One year of the province's published record: its DTI, its rank among `of` provinces, and the
    provinces' average that year (any may be unknown), with where each figure comes from."""

    year: int
    value: float | None
    rank: int | None
    of: int | None
    average: float | None
    source: str


@dataclass(frozen=True, slots=True)
class Peers:
    """The last published table of provinces' DTI values (year, province -> value, source)."""

    year: int
    values: dict[str, float]
    source: str
    own: str | None = None  # the province's own row in the table (`province:`), replaced by today's value

    def estimated_rank(self, value: float) -> tuple[int, int]:
        """Where `value` would stand among the other provinces of this table: (1 + those above it, their
        number + 1). Ties rank together (the ministry's tables rank equal values alike)."""
        others = [v for k, v in self.values.items() if k != self.own]
        return 1 + sum(1 for v in others if v > value), len(others) + 1


def parse_history(root: Node, problems: Problems) -> tuple[Published, ...]:
    check_keys(root, {"kind", "province", "note", "years"}, problems, "history file")
    node = req(root, "years", problems, "history file")
    out: list[Published] = []
    if node is None or not expect_list(node, problems, "years"):
        return ()
    seen: set[int] = set()
    for el in node.elements():
        if not expect_map(el, problems, "history year"):
            continue
        check_keys(el, {"year", "value", "rank", "of", "average", "source", "note"}, problems, "history year")
        ynode = req(el, "year", problems, "history year")
        year = as_int(ynode, problems, "year")
        source = as_str(req(el, "source", problems, "history year"), problems, "source")
        value = _share(el.get("value"), problems, "value")
        average = _share(el.get("average"), problems, "average")
        rank = as_int(el.get("rank"), problems, "rank")
        of = as_int(el.get("of"), problems, "of")
        if rank is not None and of is None:
            problems.add(el.loc, "a rank needs 'of' (the number of provinces ranked, e.g. 63 or 34)")
        if rank is not None and of is not None and not 1 <= rank <= of:
            problems.add(el.loc, f"rank {rank} is not between 1 and {of}")
        if year is None or source is None or ynode is None:
            continue
        if year in seen:
            problems.add(ynode.loc, f"year {year} is listed twice")
        seen.add(year)
        out.append(Published(year, value, rank, of, average, source))
    return tuple(sorted(out, key=lambda p: p.year))


def parse_peers(root: Node, problems: Problems) -> Peers | None:
    check_keys(root, {"kind", "year", "source", "note", "province", "provinces"}, problems, "peers file")
    own = as_str(root.get("province"), problems, "province")
    year = as_int(req(root, "year", problems, "peers file"), problems, "year")
    source = as_str(req(root, "source", problems, "peers file"), problems, "source")
    node = req(root, "provinces", problems, "peers file")
    values: dict[str, float] = {}
    if node is not None and expect_map(node, problems, "provinces"):
        for key, vnode in node.items():
            v = _share(vnode, problems, f"DTI of {key}")
            if v is not None:
                values[str(key)] = v
    if year is None or source is None or not values:
        return None
    if own is not None and own not in values and root.get("province") is not None:
        problems.add(root.get("province").loc, f"province '{own}' is not a row of the table")  # type: ignore[union-attr]
    return Peers(year, values, source, own)


def _share(node: Node | None, problems: Problems, what: str) -> float | None:
    v = as_number(node, problems, what)
    if v is not None and node is not None and not 0.0 <= v <= 1.0:
        problems.add(node.loc, f"{what} is a DTI value and must lie between 0 and 1")
        return None
    return v
