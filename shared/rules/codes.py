"""Codes as people type them: `HĐCQS.01` (with the Vietnamese Đ the documents use) for `HDCQS.01`.

The rules spell codes in ASCII; officials copy them from documents written with Vietnamese letters, in any
case. A code is matched after folding both sides: Đ/đ to D, other letters stripped of their diacritics, case
ignored, surrounding spaces dropped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Final

INDEX: Final = "DTI"
"""The code of the index itself: the key of the whole-index composite in scores, reports, alerts and the API.

Defined here, the lowest layer, so the rules, scoring, alerts and every service name it by this constant."""


def fold_code(text: str) -> str:
    """`HĐCQS.01`, `hđcqs.01` and ` HDCQS.01 ` all fold to `HDCQS.01`."""
    s = text.strip().replace("Đ", "D").replace("đ", "d")
    s = "".join(ch for ch in unicodedata.normalize("NFD", s) if not unicodedata.combining(ch))
    return s.upper()


def resolve_code(text: str, known: Iterable[str]) -> str | None:
    """The known code `text` stands for: itself when known, else the one it folds to; None when none does."""
    known = list(known)
    if text in known:
        return text
    want = fold_code(text)
    for code in known:
        if fold_code(code) == want:
            return code
    return None
