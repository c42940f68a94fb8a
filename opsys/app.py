"""The composition root: config, database and models are built once here and passed in.

Everything long-lived that a command or the watcher needs hangs off one `App`. Collaborators are
arguments, so a test passes a classifier (or a clock) in instead of patching attributes; heavy
ones are built on first use, so `opsys log` never imports torch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from opsys.config.loader import load_system_map
from opsys.config.models import SystemMap
from opsys.workspace import Workspace

if TYPE_CHECKING:
    from opsys.intake.crm_import import CrmImporter
    from opsys.intake.leads import Classifier, LeadIntake
    from opsys.jobs import Jobs

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real clock, the default; `opsys tick --now` and tests pass their own."""
    return datetime.now(UTC)


class App:
    """One workspace, opened: its system map, its store, and the pipelines and jobs built on them."""

    def __init__(self, ws: Workspace, system_map: SystemMap, db: sqlite3.Connection, *,
                 classifier: "Classifier | None" = None, clock: Clock = system_clock):
        self.ws, self.map, self.db, self.clock = ws, system_map, db, clock
        self._classifier = classifier

    @property
    def classifier(self) -> "Classifier":
        """The message classifier; loading it imports torch, so only commands that classify pay."""
        if self._classifier is None:
            from opsys.ai.message_classifier import MessageClassifier

            # the fit on the labeled examples is cached in var/ (keyed by examples, model and settings):
            # a one-file `opsys ingest` should not refit 255 examples
            from opsys.ai.corrections import corrections_path, read_corrections

            # people's corrections (`opsys inquiry relabel`) are examples too; they change the cache key
            examples = self.map.examples + read_corrections(corrections_path(self.ws.var))
            self._classifier = MessageClassifier(self.map.classifier, examples,
                                                 self.ws.var / "cache" / "classifier.pickle", firm=self.map.team.firm)
        return self._classifier

    @property
    def classifier_loaded(self) -> bool:
        """Whether anything needed the models yet (CRM sync and pages never do)."""
        return self._classifier is not None

    @cached_property
    def intake(self) -> "LeadIntake":
        from opsys.intake.leads import LeadIntake

        return LeadIntake(self.ws, self.map, self.db, self.classifier, self.clock)

    @cached_property
    def crm(self) -> "CrmImporter":
        from opsys.intake.crm_import import CrmImporter

        return CrmImporter(self.ws, self.map, self.db, self.clock)

    @cached_property
    def jobs(self) -> "Jobs":
        from opsys.jobs import Jobs

        return Jobs(self)

    def reload_map(self, system_map: SystemMap) -> None:
        """Switch a running app to an edited, already validated map: the pipelines are rebuilt on next
        use; the models only when what they were fitted on (classifier settings, examples) changed."""
        old, self.map = self.map, system_map
        for built in ("intake", "crm", "jobs"):
            self.__dict__.pop(built, None)
        if (old.classifier, old.examples, old.team.firm) != (system_map.classifier, system_map.examples,
                                                             system_map.team.firm):
            self._classifier = None

    def close(self) -> None:
        self.db.close()


def open_app(ws: Workspace, *, classifier: "Classifier | None" = None, clock: Clock = system_clock) -> App:
    """Validate the system map first: an invalid map stops everything before any file is touched."""
    from opsys.store.db import connect

    ws.require_system_map()
    system_map = load_system_map(ws.system_map)
    ws.ensure_dirs()
    return App(ws, system_map, connect(ws.db_path), classifier=classifier, clock=clock)
