"""DTI Monitor's domain core: what the provincial DTI is and how it is scored and watched, without I/O.

The rules (frameworks, indicators, formulas, targets, org units, alert rules) are read and checked by
`shared.rules`; `shared.scoring` turns metric events into unit scores and read models; `shared.alerts` turns
scores into alerts and notifications. Beside them, small modules the services share: `bilingual` (the one
order of a text in Vietnamese and English), `errors` (the exception tree), `events` (an ingested event and
its checks), `periods`, `clock`, `years` (assessment years), `crosswalk` (the reform's unit changes),
`settings` and `logging`.

The services (services/) stand on this package and never the other way round. They import each subpackage
through its public API, the names in its `__all__` (`from shared.rules import RuleSet`), not its modules
(tests/services/test_public_surface.py checks both).
"""

__all__ = [
    "alerts",
    "bilingual",
    "clock",
    "crosswalk",
    "errors",
    "events",
    "logging",
    "periods",
    "rules",
    "scoring",
    "settings",
    "years",
]
