"""The system map as site pages: tools and data flows, workflows, routing — drawn from the YAML that runs the engine."""

from __future__ import annotations

from opsys.config.models import SystemMap
from opsys.config.workflow_models import Step, Workflow
from opsys.views.escape import md_cell

PREFIX = "system-map/"
# Drawn at their natural size with 16 px labels (the column scrolls sideways when a graph is wide):
# scaled to fit a 720 px column, the labels of a wide graph shrank to ~6 px.
MERMAID_INIT = '%%{init: {"flowchart": {"useMaxWidth": false}, "themeVariables": {"fontSize": "16px"}}}%%'


def mermaid_label(text: object, limit: int = 80) -> str:
    """Text inside a quoted Mermaid label: entity-coded so quotes, brackets and HTML stay inert."""
    s = " ".join(str(text or "").split())
    if len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    for ch, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("&", "#amp;"),
                     ("[", "#91;"), ("]", "#93;"), ("{", "#123;"), ("}", "#125;"), ("|", "#124;"),
                     ("`", "#96;")):
        s = s.replace(ch, code) if ch != "#" else s.replace("#", "\0")
    return s.replace("\0", "#35;")


def _node_id(key: str) -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in key)


def data_flow_diagram(m: SystemMap) -> str:
    """Top to bottom: sources above opsys, where it writes below — a firm's dozen tools side by side
    would not fit the column at a legible size."""
    lines = ["```mermaid", MERMAID_INIT, "flowchart TD"]
    lines.append(f'  {_node_id("opsys")}(["{mermaid_label("opsys")}"])')
    for key, tool in m.tools.tools.items():
        lines.append(f'  {_node_id(key)}["{mermaid_label(tool.name)}"]')
    for f in m.tools.flows:
        lines.append(f'  {_node_id(f.source)} -->|"{mermaid_label(f.data, 50)}"| {_node_id(f.target)}')
    lines.append("```")
    return "\n".join(lines)


def workflow_diagram(steps: list[Step], trigger: str) -> str:
    """Steps top to bottom; an automated step is a rounded node marked `auto`, its event on the arrow
    into it (a `task_done` arrow comes from the step it waits for), styled by the `automated` class."""
    lines = ["```mermaid", MERMAID_INIT, "flowchart TD", f'  t(["{mermaid_label(trigger)}"])']
    ids = {s.id: i for i, s in enumerate(steps) if s.id}
    prev = "t"
    auto: list[str] = []
    for i, step in enumerate(steps):
        if step.automated:
            extra = f" · {step.task_kind}" + (f" · {step.role}" if step.role else "") + (
                f" · due {step.due}" if step.due else "")
            lines.append(f'  s{i}("{mermaid_label(f"auto: {step.text}{extra}", 140)}")')
            auto.append(f"s{i}")
            head, arg = step.trigger
            source = f"s{ids[arg]}" if head == "task_done" and arg in ids else prev
            event = "done" if head == "task_done" else step.when
            lines.append(f'  {source} -->|"{mermaid_label(event, 40)}"| s{i}')
            if source != prev:
                lines.append(f"  {prev} -.-> s{i}")
        else:
            lines.append(f'  s{i}["{mermaid_label(step.text)}"]')
            lines.append(f"  {prev} --> s{i}")
        prev = f"s{i}"
    if auto:
        lines.append("  classDef automated fill:#e3f2fd,stroke:#1565c0,stroke-width:2px")
        lines.append(f"  class {','.join(auto)} automated")
    lines.append("```")
    return "\n".join(lines)


def steps_table(w: Workflow, sops: dict[str, tuple[str, str]]) -> list[str]:
    """Which steps opsys runs by itself: the event, the task, who, when due, the SOP."""
    rows = [s for s in w.steps if s.automated]
    if not rows:
        return []
    out = ["**Automated steps** (opsys opens the task by itself, once per deal, inquiry or client):\n",
           "| step | when | task | who | due | effort | SOP |", "|---|---|---|---|---|---|---|"]
    for s in rows:
        sop = s.sop or ""
        title, rel = sops.get(sop.partition("#")[0], (sop, ""))
        anchor = f"#{sop.partition('#')[2]}" if "#" in sop else ""
        link = f"[{md_cell(title)}](../{rel}{anchor})" if rel else (md_cell(sop) or "the kind's")
        out.append(f"| `{md_cell(s.id)}` {md_cell(s.text, 120)} | `{md_cell(s.when)}` | {md_cell(s.task_kind)} | "
                   f"{md_cell(s.role or 'routing.yml')} | {md_cell(s.due or 'the kind’s respond-within')} | "
                   f"{f'{s.effort_hours:g} h' if s.effort_hours else 'the kind’s'} | {link} |")
    return out + [""]


def workflows_overview_diagram(m: SystemMap) -> str:
    lines = ["```mermaid", MERMAID_INIT, "flowchart TD"]  # a chain of workflows stays in the column
    for w in m.workflows.workflows:
        lines.append(f'  {_node_id(w.id)}["{mermaid_label(w.name)}"]')
    for w in m.workflows.workflows:
        for n in w.next:
            lines.append(f"  {_node_id(w.id)} --> {_node_id(n)}")
    lines.append("```")
    return "\n".join(lines)


def render_system_map_pages(m: SystemMap, sops: dict[str, tuple[str, str]]) -> dict[str, str]:
    """{site path: Markdown}; `sops` maps SOP id -> (title, path under the docs dir) for links."""
    return {
        PREFIX + "index.md": _index_page(m),
        PREFIX + "workflows.md": _workflows_page(m, sops),
        PREFIX + "routing.md": _routing_page(m),
    }


def render_invalid_map_page(problems: list[str]) -> dict[str, str]:
    body = "\n".join(f"- {md_cell(p, 400)}" for p in problems)
    return {PREFIX + "index.md": "# System map\n\n!!! failure \"The system map is invalid\"\n\n"
                                 "    Run `opsys check` and fix these first:\n\n"
                                 + "\n".join("    " + line for line in body.splitlines()) + "\n"}


def _index_page(m: SystemMap) -> str:
    out = [
        "---\ntitle: System map\n---\n",
        "# System map\n",
        f"How {md_cell(m.team.firm.name)} is wired: the firm's systems, what each holds, and what flows "
        "between them. Drawn from `system_map/tools.yml`, the file opsys itself reads; change it by pull "
        "request and this page follows.\n",
        "See also: [Workflows](workflows.md) · [Routing rules](routing.md)\n",
        "## Data flow\n",
        data_flow_diagram(m) + "\n",
        "## Systems\n",
        "| key | system | kind | holds | notes |\n|---|---|---|---|---|",
    ]
    for key, t in m.tools.tools.items():
        out.append(f"| `{md_cell(key)}` | {md_cell(t.name)} | {md_cell(t.kind)} | "
                   f"{md_cell(', '.join(t.holds), 240)} | {md_cell(t.notes, 240)} |")
    out += ["", "## Flows\n", "| from | to | data | how |\n|---|---|---|---|"]
    for f in m.tools.flows:
        out.append(f"| {md_cell(f.source)} | {md_cell(f.target)} | {md_cell(f.data)} | {md_cell(f.how, 240)} |")
    out += ["", "## People and roles\n", "| person | roles | capacity |\n|---|---|---|"]
    for p in m.team.people:  # notification URLs can hold secrets: never published
        out.append(f"| {md_cell(p.name)} | {md_cell(', '.join(p.roles))} | {p.capacity} |")
    return "\n".join(out) + "\n"


def _workflows_page(m: SystemMap, sops: dict[str, tuple[str, str]]) -> str:
    rules = {r.name: r for r in m.routing.rules}
    out = ["---\ntitle: Workflows\n---\n", "# Workflows\n",
           "Each workflow from `system_map/workflows.yml`: its trigger, steps, the systems it touches, the "
           "procedures that document it and the rules that execute it. Steps marked **auto** (blue, "
           "rounded) are run by opsys: the event on the arrow opens the step's task.\n",
           workflows_overview_diagram(m) + "\n"]
    names = {k: t.name for k, t in m.tools.tools.items()} | {"opsys": "opsys"}
    for w in m.workflows.workflows:
        out.append(f"## {md_cell(w.name)} {{#{w.id}}}\n")
        out.append(f"**Trigger:** {md_cell(w.trigger, 300)}\n")
        out.append(workflow_diagram(w.steps, w.trigger) + "\n")
        out += steps_table(w, sops)
        out.append("**Systems:** " + ", ".join(md_cell(names.get(s, s)) for s in w.systems) + "\n")
        if w.sops:
            links = []
            for sid in w.sops:
                title, rel = sops.get(sid, (sid, ""))
                links.append(f"[{md_cell(title)}](../{rel})" if rel else md_cell(sid))
            out.append("**Procedures:** " + " · ".join(links) + "\n")
        if w.rules:
            out.append("**Rules that execute it:**\n")
            for ref in w.rules:
                source, _, name = ref.partition(":")
                desc = rules[name].description if source == "routing" and name in rules else ""
                target = f"[{md_cell(ref)}](routing.md#{name})" if source == "routing" else f"`{md_cell(ref)}`"
                out.append(f"- {target}" + (f" — {md_cell(desc, 240)}" if desc else ""))
            out.append("")
        if w.next:
            out.append("**Next:** " + ", ".join(f"[{md_cell(n)}](#{n})" for n in w.next) + "\n")
    return "\n".join(out) + "\n"


def _routing_page(m: SystemMap) -> str:
    out = ["---\ntitle: Routing rules\n---\n", "# Routing rules\n",
           "From `system_map/routing.yml`: tried top to bottom, the first whose conditions hold decides. "
           f"When everyone eligible is at capacity, **{md_cell(m.routing.overflow_owner)}** takes the work.\n"]
    for i, r in enumerate(m.routing.rules, 1):
        conds = r.when.model_dump(exclude_none=True)
        when = "; ".join(f"{k} = {v}" for k, v in conds.items()) or "always"
        assign = ""
        if r.assign:
            assign = r.assign.person or f"role {r.assign.role}"
            if r.assign.account_manager:
                assign += " (the client's account manager first)"
        out.append(f"## {i}. {md_cell(r.name)} {{#{r.name}}}\n")
        out.append(f"{md_cell(r.description, 400)}\n")
        out.append(f"- **when:** {md_cell(when, 300)}\n- **action:** {md_cell(r.action)}"
                   + (f"\n- **assign:** {md_cell(assign)}" if assign else "") + "\n")
    return "\n".join(out) + "\n"
