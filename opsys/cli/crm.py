"""`opsys crm import FILE...`, `opsys pipeline [--json]`, `opsys tick [--now ISO]`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from opsys.cli.output import JsonOpt, clean, print_json
from opsys.cli.workspace import expand_paths, open_app_or_exit

crm_app = typer.Typer(help="CRM sync: import exports as snapshots (HubSpot, Pipedrive, Salesforce, mapped).",
                      no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(crm_app, name="crm")
    crm_app.command("import")(import_cmd)
    app.command("pipeline")(pipeline)
    app.command("tick")(tick)


def import_cmd(
    paths: Annotated[list[Path], typer.Argument(help="CRM export files (.csv) or folders of them.")],
    as_of: Annotated[datetime | None, typer.Option("--as-of", help="When the export was taken (UTC), if the "
                                                   "file name and rows cannot tell.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import CRM exports as snapshots; diff against the last one into events; rebuild the pipeline page."""
    from datetime import UTC

    app = open_app_or_exit()
    files = expand_paths(paths)
    when = as_of.replace(tzinfo=as_of.tzinfo or UTC) if as_of else None
    outcomes = app.crm.import_files(files, as_of=when)
    # an unchanged or refused export changes nothing, not even the page
    after = (app.jobs.after_crm_import().as_dict() if any(o.status == "imported" for o in outcomes)
             else {"linked": 0, "writeback": [], "page": None})
    if as_json:
        print_json({"outcomes": [o.as_dict() for o in outcomes], **after})
    else:
        for o in outcomes:
            color = {"imported": None, "unchanged": typer.colors.YELLOW}.get(o.status, typer.colors.RED)
            typer.secho(clean(f"{o.status:11} {o.path.name}: {o.detail}"), fg=color)
            for w in o.warnings[:10]:
                typer.secho(clean(f"            warning: {w}"), fg=typer.colors.YELLOW, err=True)
        for f in after["writeback"]:
            typer.echo(f"write-back  {f}")
        if after["page"]:
            typer.echo(f"pipeline page: {after['page']}")
    if any(o.status in ("quarantined", "refused") for o in outcomes):
        raise typer.Exit(1)


def pipeline(as_json: JsonOpt = False) -> None:
    """The pipeline in the terminal: stages, forecast, win rate, what needs attention, owner load."""
    from rich.console import Console
    from rich.table import Table

    from opsys.views.pipeline_page import gather

    app = open_app_or_exit()
    now = app.clock()
    metrics, snaps, fresh = gather(app.db, app.map, now)
    if as_json:
        from dataclasses import asdict

        from opsys.store.crm import lead_deals

        print_json({"as_of": fresh.as_of, "age_hours": fresh.age_hours, "stale": fresh.stale,
                    "snapshots": [s.as_dict() for s in snaps], **metrics.as_dict(),
                    "leads_with_deals": [asdict(x) for x in lead_deals(app.db)]})
        return
    cur = app.map.pipeline.currency
    console = Console()
    console.print(fresh.sentence(), style="bold red" if fresh.stale else None, markup=False)
    t = Table(title="Open deals by stage")
    for col in ("stage", "deals", "value", "prob.", "weighted"):
        t.add_column(col, justify="left" if col == "stage" else "right")
    for s in metrics.stages:
        t.add_row(s.label, str(s.count), f"{s.value:,.0f}", "—" if s.probability is None else f"{s.probability:.0%}",
                  f"{s.weighted:,.0f}")
    t.add_row("total", str(metrics.open_count), f"{metrics.open_value:,.0f}", "", f"{metrics.weighted_forecast:,.0f}",
              style="bold")
    console.print(t)
    win = "—" if metrics.win_rate is None else f"{metrics.win_rate:.0%} ({metrics.won} won / {metrics.lost} lost)"
    cycle = "—" if metrics.avg_cycle_days is None else f"{metrics.avg_cycle_days:.0f} days"
    console.print(f"win rate {win}; average cycle {cycle}; currency {cur}", markup=False)
    for title, flags in (("aging", metrics.aging), ("gone quiet", metrics.quiet),
                         ("no next action", metrics.no_next_action), ("no owner", metrics.no_owner)):
        console.print(f"{title}: {len(flags)}", markup=False)
        for f in flags[:5]:
            console.print(f"  {f.name} [{f.stage}] {f.owner or '-'}: {f.reason}", markup=False)
    if metrics.owners:
        o = Table(title="Owners: open load against capacity")
        for col in ("owner", "person", "open deals", "value", "assignments", "capacity"):
            o.add_column(col)
        for x in metrics.owners:
            o.add_row(x.owner, x.person_id or "-", str(x.open_deals), f"{x.open_value:,.0f}", str(x.open_assignments),
                      ("-" if x.capacity is None else str(x.capacity)) + (" OVER" if x.over_capacity else ""))
        console.print(o)
    for s in metrics.sources:
        console.print(f"new leads this week via {s.channel}: {s.new_leads}, {s.with_deal} with a deal "
                      f"({s.conversion:.0%})", markup=False)


def tick(
    now: Annotated[datetime | None, typer.Option("--now", help="Run the jobs as of this time (ISO; UTC unless it "
                                                 "says otherwise): replays and tests walk a clock with it.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the periodic jobs once: notifications, CRM links and write-back, the pages."""
    from datetime import UTC

    when = now.replace(tzinfo=now.tzinfo or UTC) if now else None
    app = open_app_or_exit(clock=(lambda: when) if when else None)
    report = app.jobs.run(when)
    if as_json:
        print_json(report.as_dict())
    else:
        for name, result in report.results.items():
            typer.echo(clean(f"{name:20} {result.summary()}"))
        for name, error in report.failed.items():
            typer.secho(clean(f"{name:20} FAILED: {error}"), fg=typer.colors.RED, err=True)
    if report.failed:
        raise typer.Exit(1)
