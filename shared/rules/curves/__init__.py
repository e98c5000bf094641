"""The scoring curves the rules can name, one module each; `CURVES` maps each `curve: {type: …}` to its class.

Adding a curve is one module here (a frozen dataclass subclassing `Curve`, decorated with `@curve_kind`) and
its test: every module of this package is imported below, so the registry finds it."""

from __future__ import annotations

import importlib
import pkgutil

from shared.rules.curves.base import CURVES, Curve, curve_kind
from shared.rules.curves.linear import Linear, meets
from shared.rules.curves.piecewise import Piecewise
from shared.rules.curves.ratio import RatioToTarget
from shared.rules.curves.steps import Steps
from shared.rules.curves.yes_no import YesNo

for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")

__all__ = ["CURVES", "Curve", "Linear", "Piecewise", "RatioToTarget", "Steps", "YesNo", "curve_kind", "meets"]
