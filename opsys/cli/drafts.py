"""`opsys drafts [show|approve|edit|reject ID]` (the approval gate) and `opsys outbox` (every mail, its status)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opsys.cli.output import ByOpt, JsonOpt, acting_person, clean, fail, print_json
from opsys.cli.workspace import open_app_or_exit

if TYPE_CHECKING:
    from opsys.store.outbox import OutboxMail

drafts_app = typer.Typer(help="Drafts waiting for approval: show, approve, edit or reject them.",
                         invoke_without_command=True)
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why, for the audit log.")]


def register(app: typer.Typer) -> None:
    app.add_typer(drafts_app, name="drafts")
    drafts_app.command("show")(show)
    drafts_app.command("approve")(approve)
    drafts_app.command("edit")(edit)
    drafts_app.command("reject")(reject)
    app.command("outbox")(outbox)


def _line(mail: "OutboxMail") -> str:
    when = mail.sent_at or mail.next_attempt_at or mail.not_before or mail.created_at
    how = ""
    if mail.draft is not None:
        how = " llm" if mail.draft.get("used_llm") else " template"
    return clean(f"#{mail.id:<5} {mail.status:16} {when:%Y-%m-%d %H:%M} {mail.to[:32]:32} {mail.subject[:50]}{how}")


@drafts_app.callback()
def drafts(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Drafts waiting for approval (`approval: required`): nothing among them is sent until approved."""
    if ctx.invoked_subcommand is not None:
        return
    from opsys.store.outbox import list_mail

    app = open_app_or_exit()
    waiting = list_mail(app.db, ("waiting_approval",))
    if as_json:
        print_json([d.as_dict() for d in waiting])
        return
    if not waiting:
        typer.echo("no drafts waiting for approval")
    for d in waiting:
        typer.echo(_line(d))
    if waiting:
        typer.echo("`opsys drafts show ID` reads one; then approve, edit or reject it")


def _get(mail_id: int) -> "tuple[object, OutboxMail]":
    from opsys.store.outbox import get_mail

    app = open_app_or_exit()
    mail = get_mail(app.db, mail_id)
    if mail is None:
        fail(f"no mail #{mail_id}; `opsys drafts` lists the drafts waiting, `opsys outbox` every mail")
    return app, mail


def show(mail_id: int, as_json: JsonOpt = False) -> None:
    """One draft (or any outbox mail): the text, to whom, and how it was drafted (model, guards)."""
    _, mail = _get(mail_id)
    if as_json:
        print_json(mail.as_dict())
        return
    typer.echo(clean(f"#{mail.id} {mail.status} (approval {mail.approval}), asked by {mail.rule}"))
    typer.echo(clean(f"To:      {mail.to}\nSubject: {mail.subject}\nMessage-ID: {mail.message_id}"))
    if mail.last_error:
        typer.echo(clean(f"Note:    {mail.last_error}"))
    typer.echo("")
    typer.echo(clean(mail.body))
    d = mail.draft
    if d:
        typer.echo("")
        typer.echo(clean(f"drafted by {'the LLM ' + str(d.get('model')) if d.get('used_llm') else 'the plain template'}"
                         f"; prompt {str(d.get('prompt_hash') or '-')[:12]}"))
        if d.get("fallback_reason"):
            typer.echo(clean(f"why the template: {d['fallback_reason']}"))
        for name, passed, detail in d.get("guards") or []:
            typer.echo(clean(f"  {'pass' if passed else 'FAIL'} {name:12} {detail}"))


def _act(fn, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    from opsys.work.mail import OutboxError

    try:
        mail = fn(*args, **kwargs)
    except OutboxError as e:
        fail(str(e))
    typer.echo(_line(mail))


def approve(mail_id: int, note: NoteOpt = None, by: ByOpt = None) -> None:
    """Let a draft go: it is sent in the next sending window."""
    from opsys.work.mail import approve_draft

    app = open_app_or_exit()
    _act(approve_draft, app.db, app.clock(), mail_id, by=acting_person(by), note=note)


def reject(mail_id: int, note: NoteOpt = None, by: ByOpt = None) -> None:
    """Stop a draft: it is never sent."""
    from opsys.work.mail import reject_draft

    app = open_app_or_exit()
    _act(reject_draft, app.db, app.clock(), mail_id, by=acting_person(by), note=note)


def edit(mail_id: int,
         body_file: Annotated[Path | None, typer.Option("--body-file", help="Take the new text from this file "
                                                         "instead of opening $EDITOR.")] = None,
         by: ByOpt = None) -> None:
    """Rewrite a waiting draft in $EDITOR (or from --body-file); it still waits for approval."""
    from opsys.work.mail import edit_draft

    app, mail = _get(mail_id)
    if body_file is not None:
        try:
            body = body_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            fail(f"{body_file}: cannot read the new text ({e})")
    else:
        body = _in_editor(mail.body)
        if body.strip() == mail.body.strip():
            typer.echo(f"#{mail_id}: text unchanged, nothing saved")
            return
    _act(edit_draft, app.db, app.clock(), mail_id, body, by=acting_person(by))


def _in_editor(text: str) -> str:
    """The text after a person edited it in $VISUAL / $EDITOR (vi when neither is set)."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        fh.write(text)
        path = Path(fh.name)
    try:
        if subprocess.call([*shlex.split(editor), str(path)]) != 0:
            fail(f"the editor ({editor}) exited with an error; nothing saved")
        return path.read_text(encoding="utf-8")
    finally:
        path.unlink(missing_ok=True)


def outbox(show_all: Annotated[bool, typer.Option("--all", help="Every mail, not only the last 50.")] = False,
           as_json: JsonOpt = False) -> None:
    """Every mail opsys sends or wrote for a person to send, newest first, with its status."""
    from opsys.store.outbox import list_mail, outbox_counts

    app = open_app_or_exit()
    mails = list_mail(app.db, limit=None if show_all else 50)
    if as_json:
        print_json([d.as_dict() for d in mails])
        return
    counts = outbox_counts(app.db)
    typer.echo(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "the outbox is empty")
    if app.map.sources.outbound.smtp is None and counts.get("written"):
        typer.echo(f"no SMTP configured: written mails are .eml files in {app.ws.outbox / 'mail'} for a person "
                   "to send (sources.yml outbound.smtp sends them itself)")
    for d in mails:
        typer.echo(_line(d) + (clean(f"  ({d.last_error})") if d.status in ("failed", "rejected", "queued")
                               and d.last_error else ""))
