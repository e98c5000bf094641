"""Problems found in rules files, each pinned to FILE:LINE:COL so an analyst can jump straight to the typo."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.errors import Invalid


@dataclass(frozen=True, slots=True, order=True)
class Location:
    file: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass(slots=True)
class Problems:
    """Collects every problem instead of stopping at the first, so one check run lists them all."""

    items: list[Problem] = field(default_factory=list)

    def add(self, location: Location, message: str) -> None:
        self.items.append(Problem(location, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def sorted(self) -> list[Problem]:
        return sorted(set(self.items))


class RulesInvalid(Invalid):
    """Raised when a rule set cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            "\n".join(str(p) for p in problems), "bộ quy tắc không hợp lệ:\n" + "\n".join(str(p) for p in problems)
        )
