"""PromQL as the dashboards and rules use it: the metric names an expression reads, through recording rules
down to the names a service exports, and the names a /metrics page declares. Parsed with a real PromQL
parser (promql-parser), not with regular expressions, so functions, label names in `by (...)`, strings and
durations are never mistaken for metrics."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import promql_parser
import yaml

# Series Prometheus makes itself: from every scrape (up) and from alerting rules (ALERTS).
SYNTHETIC = frozenset({"up", "ALERTS", "ALERTS_FOR_STATE"})

_GRAFANA_VAR = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")
_INTERVALS = {"__rate_interval", "__interval", "__range", "__range_s"}


def grafana_variables(expr: str) -> set[str]:
    return {next(g for g in m.groups() if g) for m in _GRAFANA_VAR.finditer(expr)}


def substitute(expr: str) -> str:
    """Grafana's variables replaced by what they stand for, so the query parses as Prometheus would see it."""

    def repl(m: re.Match[str]) -> str:
        name = next(g for g in m.groups() if g)
        return "5m" if name in _INTERVALS else "x"

    return _GRAFANA_VAR.sub(repl, expr)


def parse(expr: str) -> Any:
    return promql_parser.parse(substitute(expr))


def selected_names(expr: str) -> set[str]:
    """Metric names of every vector selector in the expression (fails on a selector without a fixed name)."""
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
                return
            fixed = [m for m in node.matchers.matchers if m.name == "__name__" and str(m.op) == "MatchOp.Equal"]
            assert fixed, f"selector without a fixed metric name in {expr!r}"
            names.add(fixed[0].value)

    promql_parser.walk(parse(expr), visit)
    return names


def recording_rules(files: Iterable[Path]) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in files:
        for group in yaml.safe_load(f.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    assert rule["record"] not in out, f"recording rule {rule['record']} defined twice"
                    out[rule["record"]] = rule["expr"]
    return out


def alerting_exprs(files: Iterable[Path]) -> dict[str, str]:
    return {
        r["alert"]: r["expr"]
        for f in files
        for g in yaml.safe_load(f.read_text(encoding="utf-8"))["groups"]
        for r in g["rules"]
        if "alert" in r
    }


def exported_names(expr: str, recording: Mapping[str, str], _seen: frozenset[str] = frozenset()) -> set[str]:
    """The names a service must export for the expression to have data: recording rules are expanded."""
    out: set[str] = set()
    for name in selected_names(expr):
        if name in recording:
            assert name not in _seen, f"recording rule {name} refers to itself"
            out |= exported_names(recording[name], recording, _seen | {name})
        else:
            out.add(name)
    return out


def names_on_metrics_page(text: str) -> set[str]:
    """Every series name a /metrics page declares or has samples for (histograms: _bucket, _sum, _count)."""
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            names.add(name)
            if kind in ("histogram", "gaugehistogram"):
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
            elif kind == "summary":
                names |= {f"{name}_sum", f"{name}_count"}
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return names


def dashboard_exprs(dashboard: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(where, expr) for every query of every panel (rows' nested panels included) and template variable."""
    out: list[tuple[str, str]] = []

    def panels(ps: Iterable[Mapping[str, Any]]) -> None:
        for p in ps:
            for t in p.get("targets", []):
                out.append((f"panel {p['id']} {p.get('title', '')!r} {t.get('refId')}", t["expr"]))
            panels(p.get("panels", []))

    panels(dashboard.get("panels", []))
    for v in dashboard.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            m = re.fullmatch(r"label_values\((.*),\s*\w+\)", q.strip(), re.S)
            out.append((f"variable {v['name']}", m.group(1) if m else q))
    return out
