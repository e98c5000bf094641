"""Alert evaluation core: rules from `alerts.yaml`, conditions, lifecycle, grouping and rendering.

Pure Python with the clock injected; delivery, persistence and HTTP live in the services. This package
imports nothing at import time so `shared.rules.model` can refer to its types without a cycle.
"""
