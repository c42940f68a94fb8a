"""What is wrong with the system map, as the user reads it: file, line, field, the problem and the fix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# pydantic's wording before our own message ("Value error, person id 'maya' is used twice"): noise to the user.
_PYDANTIC_PREFIX = re.compile(r"^(Value error|Assertion failed), ")


@dataclass(frozen=True)
class ConfigProblem:
    file: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ConfigError(Exception):
    """The system map is invalid; nothing should be processed until it is fixed."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def clean_message(msg: str) -> str:
    """A pydantic error message without the "Value error, " pydantic puts before ours."""
    return _PYDANTIC_PREFIX.sub("", msg)


def field_name(loc: tuple[int | str, ...]) -> str:
    """`("people", 3, "id")` -> `people[3].id`, as the user finds it in the YAML."""
    return ".".join(f"[{x}]" if isinstance(x, int) else str(x) for x in loc).replace(".[", "[")
