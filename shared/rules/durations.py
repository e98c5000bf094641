"""Durations as analysts write them in `alerts.yaml` (`30m`, `2h`, `1d12h`, `2w`), Prometheus style."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_DURATION_RE = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(text: str) -> timedelta | None:
    """`1d12h` -> 36 hours; None when the text is not a duration (units largest first, each at most once)."""
    m = _DURATION_RE.match(text.strip())
    if m is None or not any(m.groups()):
        return None
    seconds = sum(int(g) * size for g, (_, size) in zip(m.groups(), _UNITS, strict=True) if g)
    return timedelta(seconds=seconds)


def format_duration(d: timedelta) -> str:
    """The inverse of parse_duration, used in messages and when writing state: 36 hours -> `1d12h`."""
    left = int(d.total_seconds())
    if left == 0:
        return "0s"
    parts = []
    for unit, size in _UNITS:
        n, left = divmod(left, size)
        if n:
            parts.append(f"{n}{unit}")
    return "".join(parts)


_UNITS_VI = {"w": "tuần", "d": "ngày", "h": "giờ", "m": "phút", "s": "giây"}
_UNITS_EN = {"w": "week", "d": "day", "h": "hour", "m": "minute", "s": "second"}


def duration_words(d: timedelta) -> tuple[str, str]:
    """A duration as a person reads it: `3 ngày` / `3 days`, `1 ngày 12 giờ` / `1 day 12 hours`."""
    parts = re.findall(r"(\d+)([wdhms])", format_duration(d))
    vi = " ".join(f"{n} {_UNITS_VI[u]}" for n, u in parts)
    en = " ".join(f"{n} {_UNITS_EN[u]}{'s' if n != '1' else ''}" for n, u in parts)
    return vi, en
