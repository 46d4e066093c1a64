"""loket's exceptions.

BotError
 ├── DialogSpecError       a dialog folder failed to load or check; carries every Problem
 ├── StoreError            a store URL is invalid or the store cannot be opened
 ├── InboundPayloadError   a platform sent something that cannot be read
 └── DeliveryError         a reply could not be delivered to a platform
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


class BotError(Exception):
    """Root of all loket errors."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a dialog folder, with where it is and what would be valid."""

    file: str
    line: int  # 1-based; 0 when the problem is not tied to a position
    column: int  # 1-based
    message: str
    hint: str = ""
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        text = f"{where}: {self.severity}: {self.message}"
        return f"{text}\n    {self.hint}" if self.hint else text


class DialogSpecError(BotError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(
            f"{len(errors)} problem(s) in the dialogs:\n" + "\n".join(map(str, errors))
        )


class StoreError(BotError):
    pass


class InboundPayloadError(BotError):
    pass


class DeliveryError(BotError):
    pass
