"""Candidates are built lazily (labels, receivers and reading on demand): what they give is what an eager
build gives, and their fingerprint is the hash of their identifying labels."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from shared.alerts.facts import IDENTITY, CandidateBuilder, fingerprint
from shared.alerts.state import SeriesHistory
from shared.rules.model import RuleSet
from tests.shared.alerts.helpers import BASE, T0, golden_scenario


def test_fingerprint_hashes_the_identifying_labels() -> None:
    labels = {"alertname": "a", "framework": "f", "indicator": "i", "org_unit": "u", "period": "2025", "x": "y"}
    ident = "\0".join(f"{k}={labels.get(k, '')}" for k in IDENTITY)
    assert fingerprint(labels) == hashlib.sha256(ident.encode("utf-8")).hexdigest()[:16]
    assert fingerprint({}) == hashlib.sha256("\0".join(f"{k}=" for k in IDENTITY).encode()).hexdigest()[:16]


def test_candidates_of_a_round(mini_rules: RuleSet) -> None:
    rules = mini_rules
    assert rules.alerts is not None
    scoring = golden_scenario(rules)
    builder = CandidateBuilder(rules, rules.alerts, BASE)
    last = {(m, u.code): T0 - timedelta(days=30) for m in rules.catalog.metrics for u in rules.org_tree.units}
    built = builder.build(list(scoring.results.values()), T0, SeriesHistory(), last)
    assert built.candidates
    kinds = set()
    for c in built.candidates:
        labels = c.labels
        kinds.add(labels["kind"])
        assert c.fingerprint == fingerprint(labels)
        assert labels["alertname"] == c.rule.name and labels["org_unit"] == c.reading.org_unit
        assert c.receivers[0] == labels["department"]
        assert c.fact.id == c.fingerprint and c.fact.fields.keys() == c.fields.keys()
        assert c.reading.link.startswith(f"{BASE}/?unit=")
    assert len({c.fingerprint for c in built.candidates}) == len(built.candidates)
    assert {"below_target", "stale"} <= kinds
