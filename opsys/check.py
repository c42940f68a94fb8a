"""`opsys check`: the system map and the SOP library validated together, with every problem found.

Errors (a map that does not load, an SOP that breaks the schema) stop the firm's pull request;
warnings (an overdue review, a model path that does not exist) only say what degrades.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from opsys.config.loader import ConfigError, ConfigProblem, load_system_map
from opsys.config.models import SystemMap
from opsys.founder.checks import founder_findings
from opsys.notify.mail_settings import outbound_findings
from opsys.knowledge.checks import Finding, check_workspace_library
from opsys.knowledge.template_names import template_name_findings
from opsys.workspace import REPO_ROOT, Workspace


@dataclass
class CheckReport:
    problems: list[ConfigProblem] = field(default_factory=list)  # the system map's
    findings: list[Finding] = field(default_factory=list)  # the library's and the models', errors and warnings
    map: SystemMap | None = None
    sop_pages: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.errors

    def as_dict(self) -> dict[str, Any]:
        """The `--json` shape: errors with file, line, field and message; warnings the same."""
        warnings = [f.as_dict() for f in self.warnings]
        if not self.ok:
            return {"ok": False, "errors": [
                {"file": str(p.file), "line": p.line, "field": p.field, "message": p.message} for p in self.problems]
                + [{**f.as_dict(), "field": ""} for f in self.errors], "warnings": warnings}
        m = self.map
        return {"ok": True, "people": len(m.team.people), "routing_rules": len(m.routing.rules),
                "clients": len(m.clients.clients), "examples": len(m.examples),
                "workflows": len(m.workflows.workflows), "sop_pages": self.sop_pages, "warnings": warnings}


def check_workspace(ws: Workspace, today: date | None = None) -> CheckReport:
    """Everything `opsys check` reports, collected (never stopping at the first problem)."""
    ws.require_system_map()
    report = CheckReport()
    try:
        report.map = load_system_map(ws.system_map)
    except ConfigError as e:
        report.problems = e.problems
    report.findings = check_workspace_library(ws.sops, ws.system_map, report.map, today)
    if report.map is not None:
        report.findings += (model_path_warnings(ws, report.map) + notify_url_findings(report.map)
                            + task_sop_findings(ws, report.map) + workflow_step_sop_findings(ws, report.map)
                            + founder_findings(report.map) + mailbox_findings(ws, report.map)
                            + outbound_findings(ws.root, report.map)
                            + template_name_findings(ws.root, REPO_ROOT, report.map.team.firm.name))
    report.sop_pages = len(list(ws.sops.rglob("*.md"))) if ws.sops.is_dir() else 0
    return report


def mailbox_findings(ws: Workspace, m: SystemMap, environ: dict[str, str] | None = None) -> list[Finding]:
    """Each mailbox's password is where its settings say (said without the password); a warning, as for
    notify secrets: the watcher's environment may have what this shell lacks."""
    from opsys.sources.mailbox import MailboxError
    from opsys.sources.mailbox.credentials import loose_permissions, read_password

    out = []
    for i, box in enumerate(m.sources.mailboxes):
        key = "password_env" if box.password_env else "password_file"
        where = (m.lines.path("sources.yml"), m.lines.line("sources.yml", "mailboxes", i, key))
        try:
            read_password(box, ws.root, environ)
        except MailboxError as e:
            out.append(Finding(*where, "warning", f"mailboxes[{i}].{key}: {e}"))
            continue
        loose = loose_permissions(box, ws.root)
        if loose:
            out.append(Finding(*where, "warning", f"mailboxes[{i}].{key}: {loose}"))
    return out


def task_sop_findings(ws: Workspace, m: SystemMap) -> list[Finding]:
    """A task kind's `sop: id#section` must name an SOP of the library and a heading in it: the
    context pack sends people there."""
    from opsys.knowledge.sop import load_library

    if not ws.sops.is_dir():
        return []  # the library check already says the folder is missing
    by_id = {s.sop_id: s for s in load_library(ws.sops)}
    out = []
    for name, kind in m.tasks.kinds.items():
        if not kind.sop:
            continue
        where = (m.lines.path("tasks.yml"), m.lines.line("tasks.yml", "kinds", name, "sop"))
        sop = by_id.get(kind.sop_id or "")
        if sop is None:
            out.append(Finding(*where, "error", f"kinds.{name}.sop: no SOP in {ws.sops.name}/ has id "
                                                f"{kind.sop_id!r}; known: {', '.join(sorted(by_id))}"))
        elif kind.sop_section and kind.sop_section not in sop.anchors:
            out.append(Finding(*where, "error", f"kinds.{name}.sop: {sop.rel} has no heading with anchor "
                                                f"#{kind.sop_section}; it has {', '.join(sorted(sop.anchors))}"))
    return out


def workflow_step_sop_findings(ws: Workspace, m: SystemMap) -> list[Finding]:
    """An automated workflow step's `sop: id#section` must name an SOP and a heading in it, like a task kind's."""
    from opsys.knowledge.sop import load_library

    if not ws.sops.is_dir():
        return []
    by_id = {s.sop_id: s for s in load_library(ws.sops)}
    out = []
    for i, w in enumerate(m.workflows.workflows):
        for j, step in enumerate(w.steps):
            if not step.sop:
                continue
            where = (m.lines.path("workflows.yml"), m.lines.line("workflows.yml", "workflows", i, "steps", j, "sop"))
            sid, _, section = step.sop.partition("#")
            sop, field = by_id.get(sid), f"workflows[{i}].steps[{j}].sop"
            if sop is None:
                out.append(Finding(*where, "error", f"{field}: no SOP in {ws.sops.name}/ has id {sid!r}; known: "
                                                    f"{', '.join(sorted(by_id))}"))
            elif section and section not in sop.anchors:
                out.append(Finding(*where, "error", f"{field}: {sop.rel} has no heading with anchor #{section}; "
                                                    f"it has {', '.join(sorted(sop.anchors))}"))
    return out


def model_path_warnings(ws: Workspace, m: SystemMap) -> list[Finding]:
    """A model path that does not exist only degrades classification (keyword rules, no LLM): warn."""
    out = []
    for name, value in (("embedding.model", m.classifier.embedding.model),
                        ("llm.model_path", m.classifier.llm.model_path)):
        if value != "bundled" and not Path(value).exists():
            out.append(Finding(ws.system_map / "classifier.yml", None, "warning",
                               f"{name}: {value} does not exist; classification runs without it "
                               "(fix the path, relative to the workspace, or use `bundled`)"))
    return out


def notify_url_findings(m: SystemMap) -> list[Finding]:
    """A notify URL Apprise cannot parse would fail only when a hot lead arrives: an error now.
    An unset ${SECRET} is a warning (the watcher's environment may have it)."""
    from opsys.notify.urls import MissingSecret, redact, resolve, unparseable

    out = []
    for i, person in enumerate(m.team.people):
        for j, url in enumerate(person.notify):
            where = (m.lines.path("team.yml"), m.lines.line("team.yml", "people", i, "notify", j))
            problem = unparseable(url)
            if problem:
                out.append(Finding(*where, "error", f"people[{i}].notify[{j}]: {problem}; see "
                                   "https://github.com/caronc/apprise/wiki for the URL forms"))
                continue
            try:
                resolve(url)
            except MissingSecret as e:
                out.append(Finding(*where, "warning", f"people[{i}].notify[{j}] ({redact(url)}): {e}"))
    return out
