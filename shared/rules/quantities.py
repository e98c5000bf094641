"""How the rules' quantities are written back to a person: in messages about the rules and in explanations."""

from __future__ import annotations


def fmt_number(x: float) -> str:
    """A number as an analyst wrote it: 3, not 3.0; 0.75."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def show_quantity(q: float, percent: bool) -> str:
    """A quantity as the rules file writes it: 50% on a percent indicator (stored as 0.5), else the number."""
    return f"{q * 100:g}%" if percent else fmt_number(q)


def fmt_value(value: float | None, unit: str) -> str:
    """A value for reading: 75%, 3, 0.5032; '—' when there is none."""
    if value is None:
        return "—"
    if unit == "percent":
        return f"{value * 100:.4g}%"
    return f"{value:.6g}"
