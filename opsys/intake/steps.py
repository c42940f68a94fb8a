"""The one loop every pipeline runs its steps with (paperless-ngx's consume task is the model).

A pipeline is a visible, ordered tuple of step functions. Each takes the item it works on and
returns a short result that is logged, or None, and raises to stop the item: an expected error (a
user-fixable problem) as itself, anything else as StepFailed naming the step it was in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
Step = Callable[[T], "str | None"]


class StepFailed(Exception):
    """A step raised something unexpected; `step` names it, the cause is chained."""

    def __init__(self, step: str, err: BaseException):
        self.step, self.err = step, err
        super().__init__(f"{step}: {type(err).__name__}: {err}")


def run_steps(pipeline: str, steps: Sequence[Step[T]], item: T, label: str,
              expected: tuple[type[Exception], ...] = ()) -> None:
    """Run `steps` in order on `item`, logging each result. The `expected` errors (a user-fixable
    problem such as a quarantine reason) pass through; anything else is our bug and comes out as
    StepFailed naming the step."""
    for step in steps:
        name = step.__name__.lstrip("_")
        try:
            result = step(item)
        except expected:
            log.info("%s %s: %s refused it", pipeline, label, name)
            raise
        except Exception as err:
            raise StepFailed(name, err) from err
        log.debug("%s %s: %s %s", pipeline, label, name, result or "ok")
