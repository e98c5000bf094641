"""The one order of a text for people in two languages: Vietnamese, then English, joined by " / ".

Officials read Vietnamese first (the project's rule); operators and integrators find the English alongside.
Everything that joins a Vietnamese and an English text into one, or splits such a text again, goes through
`join` and `split`, so the order is decided here and nowhere else (tests/shared/test_bilingual.py checks that
no other module hand-joins or splits one). Where an answer can carry the halves apart it gives them as
`*_vi` and `*_en` fields beside the joined one (`message_vi`, `summary_en`, `reason_vi`), and a client such as
the web page picks a half from those instead of splitting.
"""

from __future__ import annotations

__all__ = ["SEP", "join", "split"]

SEP = " / "


def join(vi: str, en: str) -> str:
    """`vi / en`; one text when both are the same or one is empty."""
    return vi if not en or vi == en else en if not vi else f"{vi}{SEP}{en}"


def split(text: str) -> tuple[str, str]:
    """(vi, en) of a text `join` wrote; a text without the separator is both halves. Only the first separator
    splits, so an English half may itself contain " / " (a Vietnamese half written by `join` may not)."""
    vi, sep, en = text.partition(SEP)
    return (vi, en) if sep else (text, text)
