"""The exception tree: one base, statuses by kind, Vietnamese first, and the built-ins old callers catch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.alerts.state import AlertBook, Matcher
from shared.errors import Conflict, DTIError, Invalid, NotFound, Unavailable
from shared.rules.problems import RulesInvalid

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def test_statuses_and_built_in_bases() -> None:
    assert [c.status for c in (NotFound, Conflict, Invalid, Unavailable)] == [404, 409, 422, 503]
    assert issubclass(NotFound, KeyError) and issubclass(Conflict, ValueError) and issubclass(Invalid, ValueError)
    assert issubclass(RulesInvalid, DTIError)
    e = NotFound("no alert 'x'", "không có cảnh báo 'x'")
    assert str(e) == "no alert 'x'"  # not KeyError's quoted repr
    assert e.message == "không có cảnh báo 'x' / no alert 'x'"


def test_alert_book_raises_the_tree_not_bare_built_ins() -> None:
    book = AlertBook()
    with pytest.raises(NotFound) as nf:
        book.acknowledge("nope", "an", NOW + timedelta(hours=1), NOW)
    assert nf.value.vi == "không có cảnh báo 'nope'"
    with pytest.raises(NotFound):
        book.unacknowledge("nope")
    with pytest.raises(NotFound):
        book.expire_silence("nope", NOW)
    with pytest.raises(Invalid):
        Matcher.parse("no operator here")
    with pytest.raises(Invalid):
        book.add_silence([Matcher.parse("department=VP")], NOW, NOW - timedelta(hours=1), "an", "why")
