"""The one error a user's file can cause while being read, saying what to fix."""

from __future__ import annotations


class SourceError(Exception):
    """A file we cannot read as a record; names the file, the field, and the fix."""

    def __init__(self, file: str, problem: str, fix: str, field: str | None = None) -> None:
        super().__init__(file, problem, fix, field)
        self.file = file
        self.field = field
        self.problem = problem.rstrip(". ")
        self.fix = fix

    def __str__(self) -> str:
        where = f"{self.file}: field '{self.field}'" if self.field else self.file
        return f"{where}: {self.problem}. Fix: {self.fix}"
