"""ConditionEvaluator on durable-rules — the only module that imports the library.

durable-rules 2.0.28 (last release 2020) has traps, each handled here and pinned by
tests/shared/alerts/test_durable_evaluator.py:
- `Host()` starts two timer threads that dispatch actions in the background; the library is not
  thread-safe, so `_OneThreadHost` does not start them and every action runs synchronously inside
  `assert_fact`, on the caller's thread. The evaluator refuses calls from a second thread.
- Asserting a batch in which one fact matches no rule raises MessageNotHandledException before any action
  runs, and a batch with a catch-all rule was seen to hang; facts are asserted one at a time, and
  MessageNotHandledException simply means "no condition holds for this fact".
- Asserting the same fact twice raises MessageObservedException: fact ids are unique per round, and every
  fact is retracted at the end of the round so the next round can assert it again.
- Exceptions inside actions are swallowed (written into the session state): the action catches and
  records them itself, and a leftover `exception` in the state is collected and cleared after each round.
- Its JSON parser rejects numbers such as `1e-05` or `1e+20` (an exponent without a decimal point), which
  Python writes for small and large floats: facts move them by one unit in the last place
  (conditions.plain_float). Integers beyond 64 bits are compared wrongly, without an error.
- Rulesets cannot be unloaded and memory grows with their number: one ruleset is built per set of
  conditions (per alerts-file version) and reused for every round; retracted facts leave memory flat.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from durable import engine
from durable.lang import m

from shared.alerts.conditions import Clause, Condition, Fact, Field, Matches, compare

_SID = "0"  # every fact lives in durable's default session


class _OneThreadHost(engine.Host):  # type: ignore[misc]  # durable-rules ships no type hints
    """A Host without the background dispatch threads: actions run inside assert_fact, on our thread."""

    def _run(self) -> None:
        return None


def _operand(value: float | Field) -> Any:
    return getattr(m, value.name) if isinstance(value, Field) else value


def _clause(cl: Clause) -> Any:
    left = getattr(m, cl.field)
    return compare(cl.op, left, _operand(cl.operand))


def _expression(cond: Condition) -> Any:
    expr = m.rule == cond.rule
    for cl in cond.clauses:
        expr = expr & _clause(cl)
    return expr


class DurableEvaluator:
    """Evaluates alert conditions with durable-rules, one ruleset for the lifetime of the evaluator."""

    def __init__(self, conditions: Sequence[Condition], name: str = "dti_alerts") -> None:
        self._name = name
        self._owner: int | None = None
        self._hits: list[str] = []
        self._errors: list[str] = []
        self._host: Any = None
        if conditions:
            definition = {
                f"r_{i}": {"all": [{"m": _expression(c).define()}], "run": self._on_match}
                for i, c in enumerate(conditions)
            }
            self._host = _OneThreadHost()
            self._host.register_rulesets({name: definition})

    def evaluate(self, facts: Sequence[Fact]) -> Matches:
        self._check_thread()
        if self._host is None:
            return Matches(frozenset())
        self._hits = []
        self._errors = []
        asserted: list[dict[str, Any]] = []
        try:
            for fact in facts:
                doc: dict[str, Any] = {"id": fact.id, "rule": fact.rule, **fact.fields}
                try:
                    self._host.assert_fact(self._name, doc)
                except engine.MessageNotHandledException:
                    continue  # no rule's condition holds for it: nothing is stored, nothing to retract
                except engine.MessageObservedException:
                    self._errors.append(f"fact {fact.id} was asserted twice in one round")
                    continue
                except Exception as exc:  # the C engine's own errors: record, carry on with the others
                    self._errors.append(f"asserting fact {fact.id}: {exc!r}")
                    continue
                asserted.append(doc)
        finally:
            if asserted:  # actions ran only for these; without any, durable has no session state to read
                self._retract(asserted)
                self._collect_swallowed()
        return Matches(frozenset(self._hits), tuple(self._errors))

    def facts_held(self) -> int:
        """How many facts durable-rules still holds (0 between rounds); for tests and health checks."""
        return 0 if self._host is None else len(self._host.get_facts(self._name))

    # ------------------------------------------------------------------ internals
    def _on_match(self, c: Any) -> None:
        """The action of every rule. It must never raise: durable-rules would swallow the exception."""
        try:
            self._record(str(c.m.id))
        except Exception as exc:
            self._errors.append(f"alert action failed: {exc!r}")

    def _record(self, fact_id: str) -> None:
        self._hits.append(fact_id)

    def _retract(self, docs: list[dict[str, Any]]) -> None:
        for doc in docs:
            try:
                self._host.retract_fact(self._name, doc)
            except Exception as exc:
                self._errors.append(f"retracting fact {doc['id']}: {exc!r}")

    def _collect_swallowed(self) -> None:
        state = self._host.get_state(self._name, _SID)
        if isinstance(state, dict) and "exception" in state:
            self._errors.append(f"durable-rules swallowed: {state['exception']}")
            self._host.update_state(self._name, {k: v for k, v in state.items() if k != "exception"})

    def _check_thread(self) -> None:
        me = threading.get_ident()
        if self._owner is None:
            self._owner = me
        elif self._owner != me:
            raise RuntimeError("durable-rules is not thread-safe: drive a DurableEvaluator from one thread only")
