"""The system map as site pages: tools and data flows, workflows, routing — drawn from the YAML that runs the engine."""

from __future__ import annotations

from opsys.config.models import SystemMap
from opsys.views.escape import md_cell

PREFIX = "system-map/"


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
    lines = ["```mermaid", "flowchart LR"]
    lines.append(f'  {_node_id("opsys")}(["{mermaid_label("opsys")}"])')
    for key, tool in m.tools.tools.items():
        lines.append(f'  {_node_id(key)}["{mermaid_label(tool.name)}"]')
    for f in m.tools.flows:
        lines.append(f'  {_node_id(f.source)} -->|"{mermaid_label(f.data, 50)}"| {_node_id(f.target)}')
    lines.append("```")
    return "\n".join(lines)


def workflow_diagram(steps: list[str], trigger: str) -> str:
    lines = ["```mermaid", "flowchart TD", f'  t(["{mermaid_label(trigger)}"])']
    prev = "t"
    for i, step in enumerate(steps):
        lines.append(f'  s{i}["{mermaid_label(step)}"]')
        lines.append(f"  {prev} --> s{i}")
        prev = f"s{i}"
    lines.append("```")
    return "\n".join(lines)


def workflows_overview_diagram(m: SystemMap) -> str:
    lines = ["```mermaid", "flowchart LR"]
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
           "procedures that document it and the rules that execute it.\n",
           workflows_overview_diagram(m) + "\n"]
    names = {k: t.name for k, t in m.tools.tools.items()} | {"opsys": "opsys"}
    for w in m.workflows.workflows:
        out.append(f"## {md_cell(w.name)} {{#{w.id}}}\n")
        out.append(f"**Trigger:** {md_cell(w.trigger, 300)}\n")
        out.append(workflow_diagram(w.steps, w.trigger) + "\n")
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
