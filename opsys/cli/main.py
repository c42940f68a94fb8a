"""Entry point. Keep imports here light: `opsys --help` must answer in well under half a second."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from opsys.cli import crm, intake, knowledge, operations, replay, setup, tasks
from opsys.cli import followup as followup_cli
from opsys.cli import founder as founder_cli
from opsys.cli import mail as mail_cli
from opsys.cli import quality as quality_cli
from opsys.cli import drafts as drafts_cli
from opsys.cli import documents as documents_cli
from opsys.cli.workspace import WorkspaceOpt, state

app = typer.Typer(
    name="opsys",
    help="Local-first operations layer for agencies: lead intake, routing, follow-up and the founder's page.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    workspace: WorkspaceOpt = None,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what happens."),
) -> None:
    state["workspace"] = Path(workspace) if workspace else None
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


setup.register(app)
intake.register(app)
crm.register(app)
knowledge.register(app)
operations.register(app)
tasks.register(app)
replay.register(app)
followup_cli.register(app)
founder_cli.register(app)
mail_cli.register(app)
quality_cli.register(app)
drafts_cli.register(app)
documents_cli.register(app)


def run() -> None:
    app()
