"""Alert evaluation core: conditions, lifecycle, grouping and rendering over the rules in `alerts.yaml`.

Pure Python with the clock injected; delivery, persistence and HTTP live in the services. The layers run one
way: `shared.rules` (including the alert rule model `shared.rules.alert_model` and its parser
`shared.rules.alerts_file`) knows nothing of this package, which builds on it.

The names below are the package's public API; its modules are its own business (the services import from
here, tests/services/test_public_surface.py checks).
"""

from shared.alerts.alertmanager import api_v2_alerts, for_alertmanager, webhook_payload
from shared.alerts.engine import AlertEngine, RoundResult
from shared.alerts.facts import period_id, score_scope
from shared.alerts.notify import Notification
from shared.alerts.state import Alert, AlertBook, AlertState, Matcher, Silence

__all__ = [
    "Alert",
    "AlertBook",
    "AlertEngine",
    "AlertState",
    "Matcher",
    "Notification",
    "RoundResult",
    "Silence",
    "api_v2_alerts",
    "for_alertmanager",
    "period_id",
    "score_scope",
    "webhook_payload",
]
