"""The rules: read, checked and modelled. `load_ruleset(manifest)` gives a `RuleSet` (catalogue, org-unit
tree, frameworks with their indicators, alert rules) or raises `RulesInvalid` naming every problem.

The names below are the package's public API; its modules are its own business (the services import from
here, tests/services/test_public_surface.py checks). `INDEX` is the one code of the index itself.
"""

from shared.rules.alert_model import AlertRules, GoalAtRisk
from shared.rules.catalog_view import catalog_view
from shared.rules.codes import INDEX, fold_code, resolve_code
from shared.rules.explain import explain_indicator
from shared.rules.formulas import Reads
from shared.rules.loader import check_files, load_ruleset, resolve_manifest
from shared.rules.model import (
    Catalog,
    Department,
    Framework,
    Indicator,
    Latest,
    Metric,
    OrgTree,
    OrgUnit,
    RuleSet,
    ShareOfUnits,
)
from shared.rules.problems import RulesInvalid

__all__ = [
    "INDEX",
    "AlertRules",
    "Catalog",
    "Department",
    "Framework",
    "GoalAtRisk",
    "Indicator",
    "Latest",
    "Metric",
    "OrgTree",
    "OrgUnit",
    "Reads",
    "RuleSet",
    "RulesInvalid",
    "ShareOfUnits",
    "catalog_view",
    "check_files",
    "explain_indicator",
    "fold_code",
    "load_ruleset",
    "resolve_code",
    "resolve_manifest",
]
