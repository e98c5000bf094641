"""The OpenAPI document, made to say what the server really answers.

FastAPI's generated document is taken as the base and corrected in one pass:
- every 4xx/5xx is `ErrorBody` (`{"detail": {"message", "message_vi", "message_en", "errors": [...]}}`), not
  FastAPI's `HTTPValidationError`, and every status a route can answer is listed: those its parameters and
  security imply (422, 401, 503 for key checks, 404 for path parameters) and the route's own (`_STATUSES`);
- the Bearer schemes: `sourceKey` on the ingest routes, `adminToken` on the admin routes (found from the
  routes' dependencies, so a new admin route is documented by depending on `AdminDep`);
- typed answers of the read routes (services/common/models.py), `/metrics` as Prometheus text;
- request schemas that admit what validation accepts: org-unit, metric, source, framework, level and
  indicator codes as enums from the rules in force, periods as a pattern over the rules' years. The document
  is rebuilt when the rules version changes.
What JSON Schema cannot say (an event's `occurred_at` within the rules' years and not in the future, a counter
never negative, a period already started) stays a 422 described in words.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from services.common import models as m
from services.common.auth import require_admin, source_of_key
from shared import clock
from shared.events import years_covered
from shared.rules import Latest, RuleSet

_SCHEMAS = "#/components/schemas/"
_ERROR = {"$ref": _SCHEMAS + "ErrorBody"}

SECURITY_SCHEMES: dict[str, Any] = {
    "sourceKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A source key (`dti keys create --source NAME`), one per provincial system: it decides the "
        "source of what is sent. Revoked keys are refused at once (`dti up`) or within "
        "DTI_KAFKA_KEYS_MAX_LAG_SECONDS (Kafka mode).",
    },
    "adminToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The admin token: DTI_ADMIN_TOKEN, or the one generated into <data-dir>/admin-token.",
    },
}

_OK: dict[tuple[str, str], type[BaseModel]] = {
    ("post", "/v1/events"): m.AcceptedOut,
    ("post", "/v1/observations"): m.AcceptedOut,
    ("get", "/v1/scores"): m.ScoreTree,
    ("get", "/v1/scores/units"): m.UnitScores,
    ("get", "/v1/gaps"): m.Gaps,
    ("get", "/v1/data"): m.MetricValues,
    ("get", "/v1/org-units"): m.OrgUnits,
    ("get", "/v1/rules"): m.RulesInfo,
    ("post", "/v1/rules/reload"): m.Reloaded,
    ("get", "/v1/catalog"): m.Catalog,
    ("get", "/healthz"): m.Health,
    ("get", "/readyz"): m.Readiness,
}

_INGEST = {
    403: "the event's source is not the key's, or the source may not send the metric (each item listed); "
    "nothing stored",
    413: "over DTI_MAX_BODY_BYTES or DTI_MAX_BATCH_EVENTS (`limit_bytes`, `limit_events`)",
    415: "another content type",
    422: "invalid items, each listed with its pointer; nothing from the request is stored. Besides the "
    "schema: `occurred_at` must fall within the rules' years and not in the future, a counter's value "
    "cannot be negative, an observation's period must have started",
    503: "storage or broker unavailable: resend the same request (ids make it safe)",
}
_STATUSES: dict[tuple[str, str], dict[int, str]] = {
    ("post", "/v1/events"): _INGEST,
    ("post", "/v1/observations"): {
        **_INGEST,
        400: "a multipart body that cannot be parsed",
        415: "another content type, or an uploaded file that is not .xlsx or .csv",
        422: _INGEST[422] + "; sheet errors name the row and column",
    },
    ("post", "/v1/rules/reload"): {422: "the rules files are invalid (`problems`); the last good rules stay in force"},
    ("get", "/readyz"): {503: "starting: state not yet recovered or the broker not reached"},
    ("get", "/v1/alerts/{fingerprint}"): {404: "no such alert"},
    ("post", "/v1/years/{year}/reopen"): {
        409: "the year is still open, or already reopened",
        501: "Kafka mode keeps no ledger of reopened years (yet)",
    },
    ("post", "/v1/years/{year}/close"): {
        409: "the year is open by the calendar, or not reopened",
        501: "Kafka mode keeps no ledger of reopened years (yet)",
    },
    ("post", "/v1/alerts/{fingerprint}/ack"): {404: "no such alert", 409: "this alert cannot be acknowledged"},
    ("delete", "/v1/alerts/{fingerprint}/ack"): {404: "no such alert"},
    ("delete", "/v1/silences/{silence_id}"): {404: "no such silence"},
}
_SOURCE_KEY = {
    401: "missing, malformed, unknown or revoked key",
    503: "the keys cannot be checked just now (Kafka mode: not confirmed within DTI_KAFKA_KEYS_MAX_LAG_SECONDS); retry",
}
_ADMIN = {401: "missing or wrong admin token"}


def install_openapi(app: FastAPI) -> None:
    """Replace `app.openapi` by the corrected document, rebuilt whenever the rules version changes."""
    cache: dict[str | None, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        rules = _rules_in_force(app)
        version = None if rules is None else rules.version
        if version not in cache:
            cache.clear()
            cache[version] = build(app, rules)
        return cache[version]

    app.openapi = openapi  # type: ignore[method-assign]


def _rules_in_force(app: FastAPI) -> RuleSet | None:
    backend = getattr(app.state, "backend", None)
    holder = getattr(backend, "rules", None)
    current = getattr(holder, "current", None)
    return current if isinstance(current, RuleSet) else None


def build(app: FastAPI, rules: RuleSet | None) -> dict[str, Any]:
    spec = copy.deepcopy(
        get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    )
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    models: list[type[BaseModel]] = [m.ErrorBody, *_OK.values()]
    for model in models:
        _add_model(schemas, model)
    components["securitySchemes"] = SECURITY_SCHEMES
    for route in _api_routes(app):
        if route.include_in_schema:
            for method in route.methods or ():
                op = spec["paths"].get(route.path_format, {}).get(method.lower())
                if op is not None:
                    _fix_operation(op, method.lower(), route)
    if rules is not None:
        _constrain(spec, rules)
    return spec


def _api_routes(app: FastAPI) -> list[Any]:
    """The app's API routes with their effective paths and dependencies, through included routers (FastAPI
    0.16x keeps included routers nested and resolves them lazily, as its own document generator does)."""
    iter_contexts = getattr(fastapi_routing, "iter_route_contexts", None)
    if iter_contexts is None:  # older FastAPI: included routes are copied onto the app
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return [ctx for ctx in iter_contexts(app.routes) if isinstance(ctx.original_route, APIRoute)]


def _add_model(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    schema = model.model_json_schema(ref_template=_SCHEMAS + "{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def _fix_operation(op: dict[str, Any], method: str, route: Any) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    calls = set(_calls(route.dependant))
    extra: dict[int, str] = {}
    if route.dependant.query_params or route.dependant.path_params or route.dependant.body_params:
        extra[422] = "invalid parameters, each listed with its pointer"
    if route.dependant.body_params:
        extra[400] = "a body that cannot be parsed"
    if source_of_key in calls:
        op["security"] = [{"sourceKey": []}]
        extra.update(_SOURCE_KEY)
    elif require_admin in calls:
        op["security"] = [{"adminToken": []}]
        extra.update(_ADMIN)
    extra.update(_STATUSES.get((method, route.path_format), {}))
    for code, why in extra.items():
        entry = responses.setdefault(str(code), {})
        if entry.get("description") in (None, "", "Validation Error"):
            entry["description"] = why
    for status, entry in responses.items():
        code = int(status) if status.isdigit() else 0
        if code >= 400:
            entry["content"] = {"application/json": {"schema": _ERROR}}
            if code == 401:
                entry["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}}
            if code == 503 and route.path_format != "/readyz":
                entry["headers"] = {"Retry-After": {"schema": {"type": "string"}, "description": "seconds"}}
    ok_model = _OK.get((method, route.path_format))
    ok_status = str(route.status_code or 200)
    if ok_model is not None:
        responses.setdefault(ok_status, {"description": "OK"})["content"] = {
            "application/json": {"schema": {"$ref": _SCHEMAS + ok_model.__name__}}
        }
    if route.path_format == "/readyz":
        responses["503"]["content"] = {"application/json": {"schema": {"$ref": _SCHEMAS + "Readiness"}}}
    if route.path_format == "/metrics":
        responses["200"] = {
            "description": "Prometheus text exposition format",
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
        }


# --- codes from the rules in force -------------------------------------------------------------------------


def _constrain(spec: dict[str, Any], rules: RuleSet) -> None:
    first, last = years_covered(rules)
    years = "|".join(str(y) for y in range(first, last + 1))
    direct = sorted(
        {c for fw in rules.frameworks.values() for c, ind in fw.indicators.items() if isinstance(ind.formula, Latest)}
    )
    strings: dict[str, dict[str, Any]] = {
        "org_unit": {"enum": [u.code for u in rules.org_tree.units]},
        "metric": {"enum": sorted(rules.catalog.metrics)},
        "source": {"enum": sorted(rules.catalog.sources)},
        "framework": {"enum": list(rules.frameworks)},
        "level": {"enum": list(rules.org_tree.levels)},
        "indicator": {"enum": direct},
        "period": {"pattern": f"^({years})(-Q[1-4])?$"},
    }
    example = _example_event(rules)
    for path, ops in spec["paths"].items():
        for op in ops.values():
            for param in op.get("parameters", []):
                if (
                    param.get("in") == "query"
                    and param["name"] in strings
                    and path not in _FREE_FILTERS
                    and not _constrained(param["schema"])
                ):
                    _constrain_string(param["schema"], _or_empty(strings[param["name"]]))
            for media in op.get("requestBody", {}).get("content", {}).values():
                _walk(media.get("schema", {}), strings, example)


# Filters over alerts, which outlive the rules that raised them (an indicator renamed or a framework dropped
# still has its resolved alerts): any text is a valid filter, and one that matches nothing lists nothing.
_FREE_FILTERS = {"/v1/alerts"}


def _constrained(schema: dict[str, Any]) -> bool:
    """A parameter whose route states its own pattern or values (a report's quarter) keeps them."""
    return "pattern" in schema or "enum" in schema


def _or_empty(constraint: dict[str, Any]) -> dict[str, Any]:
    """Query parameters: an empty value (`?period=`) means the default, as leaving it out does."""
    if "enum" in constraint:
        return {"enum": ["", *constraint["enum"]]}
    return {"pattern": f"^({constraint['pattern'][1:-1]})?$"}


def _example_event(rules: RuleSet) -> dict[str, Any]:
    """An event the rules in force accept from its source (the static example named Lai Châu's units)."""
    source, allowed = min(rules.catalog.sources.items())
    metric = min(allowed) if allowed else min(rules.catalog.metrics)
    bottom = rules.org_tree.levels[-1]
    unit = next((u.code for u in rules.org_tree.units if u.level == bottom), rules.org_tree.units[0].code)
    first, last = years_covered(rules)
    yesterday = clock.now() - timedelta(days=1)  # in the past, and most likely in an open year
    day = yesterday.date().replace(year=min(max(yesterday.year, first), last))
    return {
        "event_id": f"{source}-000123",
        "source": source,
        "org_unit": unit,
        "metric": metric,
        "value": 1,
        "occurred_at": f"{day.isoformat()}T09:30:00+07:00",
    }


def _walk(schema: Any, strings: dict[str, dict[str, Any]], example: dict[str, Any]) -> None:
    if isinstance(schema, list):
        for item in schema:
            _walk(item, strings, example)
        return
    if not isinstance(schema, dict):
        return
    props = schema.get("properties") or {}
    for name, prop in props.items():
        if name in strings:
            _constrain_string(prop, strings[name])
        _walk(prop, strings, example)
    if "examples" in schema and {"event_id", "org_unit", "occurred_at"} <= set(props):
        schema["examples"] = [example]
    for key, value in schema.items():
        if key not in ("properties", "examples") and isinstance(value, dict | list):
            _walk(value, strings, example)


def _constrain_string(schema: dict[str, Any], constraint: dict[str, Any]) -> None:
    """Add the constraint to a string schema, or to the string branch of `anyOf: [string, null]`."""
    if schema.get("type") == "string":
        schema.update(constraint)
        schema.pop("examples", None)
        schema.pop("example", None)
    for branch in schema.get("anyOf", []):
        if isinstance(branch, dict) and branch.get("type") == "string":
            branch.update(constraint)
