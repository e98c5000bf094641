"""The kernel both modes stand on: what `dti up` (services.embedded) and the Kafka services (services.kafka)
share, so neither imports the other (tests/services/test_layers.py holds them to it).

- rules: `RulesState`, `RulesHolder` (reload, watching the rules directory)
- ingest: `Observation`, `IngestResult` (what the ingest routes hand over and get back)
- app: `service_app`, `Runtime`, `install_error_handlers`, `validation_error`
- sqlite: `connect`
- province: `today`, `open_years_today`, `scores_for_metrics`
- reconnect: `with_reconnect` (backoff 0.2 s doubling to 5 s, tenacity)
"""

from services.common.errors import install_error_handlers, validation_error
from services.kernel.app import Runtime, service_app
from services.kernel.ingest import IngestResult, Observation
from services.kernel.province import MetricsView, open_years_today, scores_for_metrics
from services.kernel.reconnect import with_reconnect
from services.kernel.rules import OnSwap, RulesHolder, RulesState
from services.kernel.sqlite import connect
from shared.clock import today

__all__ = [
    "IngestResult",
    "MetricsView",
    "Observation",
    "OnSwap",
    "RulesHolder",
    "RulesState",
    "Runtime",
    "connect",
    "install_error_handlers",
    "open_years_today",
    "scores_for_metrics",
    "service_app",
    "today",
    "validation_error",
    "with_reconnect",
]
