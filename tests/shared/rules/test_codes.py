"""Codes typed with Vietnamese letters resolve to the rules' ASCII codes; nothing else does."""

from __future__ import annotations

from shared.rules.codes import fold_code, resolve_code


def test_fold_code() -> None:
    assert fold_code("HĐCQS.01") == "HDCQS.01"
    assert fold_code(" hđkts.02 ") == "HDKTS.02"
    assert fold_code("NT.01") == "NT.01"
    assert fold_code("Hđxhs") == "HDXHS"


def test_resolve_code() -> None:
    known = ["HDCQS.01", "HDCQS.10", "NT.01", "A1"]
    assert resolve_code("HĐCQS.01", known) == "HDCQS.01"
    assert resolve_code("hđcqs.10", known) == "HDCQS.10"
    assert resolve_code("a1", known) == "A1"
    assert resolve_code("NT.01", known) == "NT.01"
    assert resolve_code("HĐCQS.02", known) is None
    assert resolve_code("HDCQS.1", known) is None  # no guessing beyond letters and case
