"""Alert evaluation core: conditions, lifecycle, grouping and rendering over the rules in `alerts.yaml`.

Pure Python with the clock injected; delivery, persistence and HTTP live in the services. The layers run one
way: `shared.rules` (including the alert rule model `shared.rules.alert_model` and its parser
`shared.rules.alerts_file`) knows nothing of this package, which builds on it.
"""
