"""The project's exceptions, in one tree: catch `DTIError` for anything the project itself refuses.

    DTIError                    base; `status` is the HTTP answer when one reaches a route uncaught
    ├── NotFound (KeyError)     404  a thing named by the caller does not exist (an alert, a silence)
    ├── Conflict (ValueError)   409  the thing exists but its state forbids the action (ack a resolved alert)
    ├── Invalid (ValueError)    422  the caller's input cannot be used (a bad matcher, an unreadable table)
    │   └── RulesInvalid        the rule set has problems (shared.rules.problems; carries every one)
    └── Unavailable             503  a dependency cannot answer now; retrying later may succeed
                                     (the Kafka broker, the key store, a receiver of alerts)

Each carries its message in Vietnamese and English (`vi`, `en`); `message` joins them in the one order of
shared.bilingual (Vietnamese first, as officials read them).
The services map the tree to HTTP in one place, `services.common.errors.install_error_handlers`, so a route
lets these propagate instead of translating each case. NotFound and Conflict/Invalid also derive from KeyError
and ValueError so callers written against the built-in exceptions keep working.
"""

from __future__ import annotations

from typing import ClassVar

from shared import bilingual

__all__ = ["Conflict", "DTIError", "Invalid", "NotFound", "Unavailable"]


class DTIError(Exception):
    """Something the project refuses or cannot do, with a message for people in Vietnamese and English."""

    status: ClassVar[int] = 500

    def __init__(self, en: str = "", vi: str | None = None) -> None:
        self.en = en
        self.vi = vi if vi is not None else en
        super().__init__(en)

    def __str__(self) -> str:  # KeyError's own would quote the message
        return self.en

    @property
    def message(self) -> str:
        return bilingual.join(self.vi, self.en)


class NotFound(DTIError, KeyError):
    status = 404


class Conflict(DTIError, ValueError):
    status = 409


class Invalid(DTIError, ValueError):
    status = 422


class Unavailable(DTIError):
    status = 503
