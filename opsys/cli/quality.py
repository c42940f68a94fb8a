"""`opsys eval` and `opsys scoring fit`: measured quality on the firm's labels, and scoring fitted to them."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated

import typer

from opsys.cli.output import JsonOpt, fail, print_json
from opsys.cli.workspace import workspace

scoring_app = typer.Typer(help="Scoring fitted to the firm's labeled leads.", no_args_is_help=True)


inquiry_app = typer.Typer(help="One stored inquiry.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("eval")(evaluate)
    app.add_typer(scoring_app, name="scoring")
    app.add_typer(inquiry_app, name="inquiry")


@inquiry_app.command("relabel")
def relabel_cmd(
    inquiry_id: Annotated[int, typer.Argument(help="The inquiry's id (`opsys leads --all`).")],
    label: Annotated[str, typer.Argument(help="not_spam | lead | not_lead | urgent | routine | faq | spam")],
    by: Annotated[str, typer.Option("--by", help="Who decides (a team.yml id or a name).")] = "founder",
    as_json: JsonOpt = False,
) -> None:
    """Settle an inquiry's label: it is re-routed (audited) and the correction teaches the classifier."""
    from dataclasses import asdict

    from opsys.cli.workspace import open_app_or_exit
    from opsys.intake.relabel import RelabelError, relabel

    app = open_app_or_exit()
    try:
        done = relabel(app.db, app.map, app.ws.var, inquiry_id, label, app.clock(), by)
    except RelabelError as e:
        fail(str(e), 2)
    finally:
        app.close()
    if as_json:
        print_json(asdict(done))
        return
    typer.echo(done.summary())


def _map(ws):
    from opsys.config.loader import ConfigError, load_system_map

    try:
        return load_system_map(ws.system_map)
    except ConfigError as e:
        fail(f"the system map is invalid (run `opsys check`): {str(e).splitlines()[0]}", 2)


def evaluate(
    queries: Annotated[list[Path] | None, typer.Option("--queries", help="Search query file(s); default: "
                       "bench/search_queries.yml and bench/search_queries_heldout.yml in the workspace.")] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Embedding labels only (faster).")] = False,
    misses: Annotated[int, typer.Option(help="How many wrong examples to list.")] = 15,
    as_json: JsonOpt = False,
) -> None:
    """Cross-validated quality on system_map/examples: urgent recall, per-class figures, hot leads, budgets, search."""
    from opsys.ai.errors import ModelUnavailable
    from opsys.app import system_clock
    from opsys.views.quality_report import build_report, render

    ws = workspace()
    m = _map(ws)
    files = queries or [p for p in (ws.root / "bench" / "search_queries.yml",
                                    ws.root / "bench" / "search_queries_heldout.yml") if p.is_file()]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        fail(f"query file not found: {', '.join(missing)}", 2)
    try:
        report = build_report(m, system_clock(), queries=files, sops=ws.sops, llm=not no_llm,
                              realdata=ws.root.parent / "shared" / "realdata")
    except (ModelUnavailable, ValueError) as e:
        fail(str(e), 2)
    if as_json:
        print_json(report.as_dict())
        return
    typer.echo(render(report, misses))


@scoring_app.command("fit")
def fit(
    target_recall: Annotated[float | None, typer.Option("--target-recall", min=0.05, max=1.0,
                             help="Hot recall to aim for (default: scoring.yml target_recall).")] = None,
    write: Annotated[bool, typer.Option("--write", help="Write the proposal into system_map/ (review it in git).")]
    = False,
    as_json: JsonOpt = False,
) -> None:
    """Learn scoring points and the hot threshold from the `hot:` labels; print the change as a diff."""
    from opsys.app import system_clock
    from opsys.rules import scoring_fit as sf
    from opsys.rules.scoring_yaml import proposed_texts

    ws = workspace()
    m = _map(ws)
    proposal = sf.propose(m, system_clock(), target_recall, _outcomes(ws))
    if proposal is None:
        fail("fewer than 10 labeled leads with `hot: true/false` (and at least 3 of each) in system_map/examples: "
             "label more leads first", 2)
    texts = {name: (ws.system_map / name).read_text(encoding="utf-8") for name in ("scoring.yml", "sources.yml")}
    new = proposed_texts(m, proposal.fitted, texts)
    diff = "".join(
        "".join(difflib.unified_diff(texts[n].splitlines(True), new[n].splitlines(True),
                                     f"a/system_map/{n}", f"b/system_map/{n}")) for n in texts)
    if write:
        for name, text in new.items():
            if text != texts[name]:
                tmp = ws.system_map / f".{name}.tmp"
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(ws.system_map / name)
    if as_json:
        print_json({**proposal.as_dict(), "diff": diff, "written": write})
        return
    typer.echo(proposal.summary())
    typer.echo(diff or "(no change: scoring.yml already holds these points)")
    if write and diff:
        typer.echo("written: review with `git diff system_map/` and commit")


def _outcomes(ws) -> list:
    """Won/lost deals linked to leads in this workspace's store (none without a store yet)."""
    import json
    from datetime import datetime

    from opsys.rules.scoring_fit import outcome_lead

    if not ws.db_path.is_file():
        return []
    from opsys.store.db import connect
    from opsys.store.outcomes import lead_outcomes

    db = connect(ws.db_path)
    try:
        return [(outcome_lead(o.channel, o.subject, o.body, json.loads(o.fields_json or "{}"),
                              datetime.fromisoformat(o.received_at)), o.won) for o in lead_outcomes(db)]
    finally:
        db.close()
