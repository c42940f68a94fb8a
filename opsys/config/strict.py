"""The base every `system_map/` model shares, and the error a model check raises to point below itself."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A block of hand-edited YAML: an unknown key is almost always a typo, so it is refused loudly."""

    model_config = ConfigDict(extra="forbid")


class AtField(ValueError):
    """A model check's problem that belongs to one place inside the model (e.g. `people[3].id`).

    pydantic puts a model validator's error at the model itself; the loader appends `loc` so the
    message names the duplicate's own field and line rather than the top of the file.
    """

    def __init__(self, message: str, *loc: int | str):
        super().__init__(message)
        self.loc: tuple[int | str, ...] = loc
