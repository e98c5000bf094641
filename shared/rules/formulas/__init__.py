"""The formulas the rules can name, one module each; `FORMULAS` maps each key under `formula:` to its class.

Adding a formula is one module here (a frozen dataclass subclassing `Formula`, decorated with
`@formula_kind`) and its test: every module of this package is imported below, so the registry finds it."""

from __future__ import annotations

import importlib
import pkgutil

from shared.rules.formulas.base import FORMULAS, Formula, Reads, formula_keys, formula_kind
from shared.rules.formulas.latest import Latest
from shared.rules.formulas.per_capita import PerCapita
from shared.rules.formulas.ratio import Ratio
from shared.rules.formulas.share_of_units import ShareOfUnits
from shared.rules.formulas.sum import Sum

for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")

__all__ = [
    "FORMULAS",
    "Formula",
    "Latest",
    "PerCapita",
    "Ratio",
    "Reads",
    "ShareOfUnits",
    "Sum",
    "formula_keys",
    "formula_kind",
]
