"""What parsing one framework file needs at every step: where problems go and what the other files define.

Formula and curve kinds parse themselves with it (shared/rules/formulas, shared/rules/curves)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.rules.fields import as_str
from shared.rules.problems import Problems
from shared.rules.source import Node

if TYPE_CHECKING:
    from shared.rules.model import Catalog, OrgTree


class ParseContext:
    def __init__(self, problems: Problems, catalog: Catalog | None, tree: OrgTree | None) -> None:
        self.p = problems
        self.catalog = catalog
        self.tree = tree
        self.years: tuple[int, int] | None = None  # the framework's `years`, once read

    def metric(self, node: Node | None, what: str) -> str | None:
        code = as_str(node, self.p, what)
        if code is None or node is None:
            return None
        if self.catalog is not None and code not in self.catalog.metrics:
            self.p.add(node.loc, f"{what}: unknown metric '{code}'")
        return code

    def department(self, node: Node | None, what: str) -> str | None:
        code = as_str(node, self.p, what)
        if code is None or node is None:
            return None
        if self.catalog is not None and code not in self.catalog.departments:
            self.p.add(node.loc, f"{what}: unknown department '{code}'")
        return code

    def former(self, lv: str) -> bool:
        """A level the org tree lists as removed by a reform: named by older frameworks, silently skipped."""
        return self.tree is not None and lv in self.tree.former_levels

    def level(self, node: Node | None, what: str) -> str | None:
        lv = as_str(node, self.p, what)
        if lv is None or node is None or self.former(lv):
            return None
        if self.tree is not None and lv not in self.tree.levels:
            self.p.add(node.loc, f"{what}: unknown level '{lv}' (levels: {', '.join(self.tree.levels)})")
            return None
        return lv
