"""`opsys documents [show|resolve|confirm ID]`: documents that disagree, and LLM readings to check."""

from __future__ import annotations

from typing import Annotated

import typer

from opsys.cli.output import ByOpt, JsonOpt, acting_person, clean, fail, print_json
from opsys.cli.workspace import open_app_or_exit

documents_app = typer.Typer(help="Invoices that disagree with themselves or their timesheets and take-offs.",
                            invoke_without_command=True)
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why, for the audit log.")]


def register(app: typer.Typer) -> None:
    app.add_typer(documents_app, name="documents")
    documents_app.command("show")(show)
    documents_app.command("resolve")(resolve)
    documents_app.command("confirm")(confirm)


@documents_app.callback()
def documents(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Open mismatches (money at stake first) and documents the LLM read that wait for a check."""
    if ctx.invoked_subcommand is not None:
        return
    from opsys.store.documents import documents_to_check, open_mismatches

    app = open_app_or_exit()
    mismatches, checks = open_mismatches(app.db), documents_to_check(app.db)
    if as_json:
        print_json({"mismatches": [m.as_dict() for m in mismatches],
                    "to_check": [{"id": d.id, "file": d.file_name, "confidence": d.confidence, "note": d.check_note}
                                 for d in checks]})
        return
    for m in mismatches:
        typer.echo(clean(f"#{m.id:<4} {m.severity:6} {m.kind:12} {m.explanation}"))
    for d in checks:
        typer.echo(clean(f"doc {d.id:<4} please check {d.file_name} (LLM, confidence {d.confidence:.2f}): "
                         f"{d.check_note or ''}"))
    typer.echo(f"{len(mismatches)} open mismatches, {len(checks)} documents to check")


def show(doc_id: Annotated[int, typer.Argument(help="A document id (from `opsys documents` or the founder page).")],
         as_json: JsonOpt = False) -> None:
    """One stored document: where it came from, how it was read, its lines."""
    from opsys.store.documents import get_document

    app = open_app_or_exit()
    d = get_document(app.db, doc_id)
    if d is None:
        fail(f"document {doc_id} is not stored; `opsys documents` lists what is")
    if as_json:
        print_json({"id": d.id, "kind": d.kind, "layout": d.layout, "file": d.file_name, "stored": d.stored_path,
                    "number": d.number, "job": d.job, "client": d.client, "extraction": d.extraction,
                    "confidence": d.confidence, "check": d.check_status, "header": d.header, "lines": d.lines,
                    "superseded_by": d.superseded_by})
        return
    typer.echo(clean(d.describe()))
    typer.echo(clean(f"read by {d.extraction} (confidence {d.confidence:.2f}), check: {d.check_status}"
                     + (f", replaced by document {d.superseded_by}" if d.superseded_by else "")))
    for ln in d.lines:
        typer.echo(clean("  " + ", ".join(f"{k}={v}" for k, v in ln.items() if v not in (None, "", [])
                                          and k not in ("source", "layout"))))


def resolve(mismatch_id: Annotated[int, typer.Argument(help="A mismatch id.")], note: NoteOpt = None,
            by: ByOpt = None) -> None:
    """Accept a difference (an agreed extra, rounding the client accepted); it leaves the founder page."""
    from opsys.intake.documents import NothingToDo, resolve_by_person

    app = open_app_or_exit()
    try:
        resolve_by_person(app.db, mismatch_id, app.clock(), acting_person(by), note)
    except NothingToDo as e:
        fail(str(e))
    typer.echo(f"mismatch {mismatch_id} resolved")


def confirm(doc_id: Annotated[int, typer.Argument(help="A document id waiting for a check.")], note: NoteOpt = None,
            by: ByOpt = None) -> None:
    """The LLM's reading is right: it is checked against its timesheets and take-offs like any other."""
    from opsys.intake.documents import DocumentIntake, NothingToDo, confirm_reading

    app = open_app_or_exit()
    try:
        r = confirm_reading(DocumentIntake(app.map, app.db, app.clock, extractor=None), doc_id, acting_person(by), note)
    except NothingToDo as e:
        fail(str(e))
    typer.echo(f"document {doc_id} confirmed; {len(r.opened)} mismatch(es) opened, {len(r.resolved)} resolved")
