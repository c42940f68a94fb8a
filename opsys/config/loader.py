"""Load and validate `system_map/` once; every error names the file, line, field and bad value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from opsys.config.models import (
    ClassifierSettings,
    Clients,
    Example,
    Routing,
    Scoring,
    Sources,
    SystemMap,
    Team,
    Tools,
)
from opsys.config.pipeline_models import PipelineSettings
from opsys.config.workflow_models import Workflows

FILES: dict[str, type[BaseModel]] = {
    "team.yml": Team,
    "sources.yml": Sources,
    "scoring.yml": Scoring,
    "routing.yml": Routing,
    "clients.yml": Clients,
    "classifier.yml": ClassifierSettings,
    "tools.yml": Tools,
    "workflows.yml": Workflows,
    "pipeline.yml": PipelineSettings,
}
EXAMPLES_DIR = "examples"


@dataclass(frozen=True)
class ConfigProblem:
    file: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ConfigError(Exception):
    """The system map is invalid; nothing should be processed until it is fixed."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (YAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is written twice in the same block; keep one", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(path, None, "", "file is missing (run `opsys init` for a template)")])
    except UnicodeDecodeError as e:
        raise ConfigError([ConfigProblem(path, None, "", f"not UTF-8 text ({e.reason} at byte {e.start})")])
    try:
        return yaml.load(text, Loader=_StrictLoader), yaml.compose(text)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ConfigError([ConfigProblem(path, line, "", f"YAML syntax: {getattr(e, 'problem', e)}")])


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to a line number."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(key):
                    node, line = v, k.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _problems(path: Path, node: yaml.Node | None, err: ValidationError, prefix: tuple = ()) -> list[ConfigProblem]:
    out = []
    for e in err.errors():
        loc = prefix + _data_keys(node, prefix, e["loc"])
        field = ".".join(f"[{x}]" if isinstance(x, int) else str(x) for x in loc).replace(".[", "[")
        bad = e.get("input")
        shown = "" if isinstance(bad, (dict, list)) or bad is None else f" (got {bad!r})"
        out.append(ConfigProblem(path, _line_of(node, loc), field, f"{e['msg']}{shown}"))
    return out


def _data_keys(node: yaml.Node | None, prefix: tuple, loc: tuple) -> tuple:
    """pydantic puts model and validator names (`Person`, `function-after[...]`) in an error's loc
    between the data keys; keep what the YAML has as keys (`SEO` in services is data), drop the rest."""
    for key in prefix:  # walk to where the validated part starts
        node = _child(node, key)
    out: list = []
    for x in loc:
        child = _child(node, x)
        if child is not None or isinstance(x, int) or not (str(x)[:1].isupper() or "[" in str(x)):
            out.append(x)
            node = child
    return tuple(out)


def _child(node: yaml.Node | None, key) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == str(key)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def _validate(path: Path, model: type[BaseModel]) -> BaseModel:
    data, node = _read_yaml(path)
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as err:
        raise ConfigError(_problems(path, node, err))


def _load_examples(folder: Path) -> list[Example]:
    if not folder.is_dir():
        raise ConfigError([ConfigProblem(folder, None, "", "folder of labeled examples is missing")])
    examples: list[Example] = []
    problems: list[ConfigProblem] = []
    for path in sorted(folder.glob("*.yml")):
        data, node = _read_yaml(path)
        if not isinstance(data, list):
            problems.append(ConfigProblem(path, 1, "", "expected a list of {text, category, is_lead}"))
            continue
        for i, item in enumerate(data):
            try:
                examples.append(Example.model_validate(item))
            except ValidationError as err:
                problems.extend(_problems(path, node, err, prefix=(i,)))
    if problems:
        raise ConfigError(problems)
    if not examples:
        raise ConfigError([ConfigProblem(folder, None, "", "no labeled examples (*.yml) found")])
    return examples


def _cross_check(root: Path, m: SystemMap) -> list[ConfigProblem]:
    """References between files: roles, people, services and tiers must exist."""
    problems: list[ConfigProblem] = []
    ids = {p.id for p in m.team.people}
    roles = m.team.roles
    routing_path = root / "routing.yml"
    _, rnode = _read_yaml(routing_path)
    if m.routing.overflow_owner not in ids:
        problems.append(
            ConfigProblem(routing_path, _line_of(rnode, ("overflow_owner",)), "overflow_owner",
                          f"unknown person {m.routing.overflow_owner!r}; known: {', '.join(sorted(ids))}")
        )
    names: set[str] = set()
    tiers = set(m.scoring.client_tier) | {"none"}
    for i, rule in enumerate(m.routing.rules):
        if rule.name in names:  # workflows.yml and the audit log name rules: a name must mean one rule
            problems.append(ConfigProblem(routing_path, _line_of(rnode, ("rules", i, "name")), f"rules[{i}].name",
                                          f"rule name {rule.name!r} is used twice; give each rule its own name"))
        names.add(rule.name)
        for tier in rule.when.client_tier or []:
            if tier not in tiers:
                problems.append(ConfigProblem(routing_path, _line_of(rnode, ("rules", i, "when", "client_tier")),
                                              f"rules[{i}].when.client_tier",
                                              f"unknown tier {tier!r}; scoring.yml client_tier has "
                                              f"{', '.join(sorted(tiers))}"))
        if rule.assign and rule.assign.role and rule.assign.role not in roles:
            problems.append(ConfigProblem(routing_path, _line_of(rnode, ("rules", i, "assign", "role")),
                                          f"rules[{i}].assign.role",
                                          f"no one in team.yml has role {rule.assign.role!r}"))
        if rule.assign and rule.assign.person and rule.assign.person not in ids:
            problems.append(ConfigProblem(routing_path, _line_of(rnode, ("rules", i, "assign", "person")),
                                          f"rules[{i}].assign.person", f"unknown person {rule.assign.person!r}"))
        for svc in rule.when.service or []:
            if svc not in m.team.firm.services:
                problems.append(ConfigProblem(routing_path, _line_of(rnode, ("rules", i, "when", "service")),
                                              f"rules[{i}].when.service",
                                              f"unknown service {svc!r}; team.yml firm.services has "
                                              f"{', '.join(sorted(m.team.firm.services))}"))
    clients_path = root / "clients.yml"
    _, cnode = _read_yaml(clients_path)
    for i, c in enumerate(m.clients.clients):
        if c.account_manager and c.account_manager not in ids:
            problems.append(ConfigProblem(clients_path, _line_of(cnode, ("clients", i, "account_manager")),
                                          f"clients[{i}].account_manager", f"unknown person {c.account_manager!r}"))
        if c.tier not in m.scoring.client_tier:
            problems.append(ConfigProblem(clients_path, _line_of(cnode, ("clients", i, "tier")),
                                          f"clients[{i}].tier",
                                          f"tier {c.tier!r} has no points in scoring.yml client_tier"))
    pipeline_path = root / "pipeline.yml"
    _, pnode = _read_yaml(pipeline_path)
    for alias, pid in m.pipeline.owners.items():
        if pid not in ids:  # a typo would silently drop that person's CRM load from the dashboard
            problems.append(ConfigProblem(pipeline_path, _line_of(pnode, ("owners", alias)), f"owners.{alias}",
                                          f"unknown person {pid!r}; team.yml has {', '.join(sorted(ids))}"))
    from opsys.sources.crm.mapped import crm_settings

    try:  # the CRM column mapping: a mistake must stop `opsys check`, not every later import
        crm_settings(m.tools, root)
    except ConfigError as e:
        problems.extend(e.problems)
    problems.extend(_cross_check_workflows(root, m))
    return problems


def _cross_check_workflows(root: Path, m: SystemMap) -> list[ConfigProblem]:
    """Workflows name systems of tools.yml and rules that must exist (SOP ids are checked by `opsys check`)."""
    problems: list[ConfigProblem] = []
    path = root / "workflows.yml"
    _, node = _read_yaml(path)
    systems = set(m.tools.tools) | {"opsys"}
    known = {"routing": {r.name for r in m.routing.rules},
             "scoring": set(type(m.scoring).model_fields),
             "sequences": set(getattr(getattr(m, "sequences", None), "sequences", None) or [])}
    for i, w in enumerate(m.workflows.workflows):
        for j, s in enumerate(w.systems):
            if s not in systems:
                problems.append(ConfigProblem(path, _line_of(node, ("workflows", i, "systems", j)),
                                              f"workflows[{i}].systems[{j}]",
                                              f"unknown system {s!r}; tools.yml has {', '.join(sorted(systems))}"))
        for j, ref in enumerate(w.rules):
            source, _, name = ref.partition(":")
            if name not in known[source]:
                problems.append(ConfigProblem(path, _line_of(node, ("workflows", i, "rules", j)),
                                              f"workflows[{i}].rules[{j}]",
                                              f"no {source} rule or signal named {name!r}"))
    return problems


def _models_from_workspace(c: Any, workspace: Path) -> Any:
    """A relative model path means one in the workspace, wherever the command is run from."""
    def where(p: str) -> str:
        return p if p == "bundled" or Path(p).expanduser().is_absolute() else str((workspace / p).resolve())

    return c.model_copy(update={"embedding": c.embedding.model_copy(update={"model": where(c.embedding.model)}),
                                "llm": c.llm.model_copy(update={"model_path": where(c.llm.model_path)})})


def load_system_map(root: Path) -> SystemMap:
    """Read every file under `root` (a `system_map/` folder); raise ConfigError listing all problems."""
    root = Path(root)
    parts: dict[str, BaseModel] = {}
    problems: list[ConfigProblem] = []
    for name, model in FILES.items():
        try:
            parts[name] = _validate(root / name, model)
        except ConfigError as e:
            problems.extend(e.problems)
    try:
        examples = _load_examples(root / EXAMPLES_DIR)
    except ConfigError as e:
        problems.extend(e.problems)
        examples = []
    if problems:
        raise ConfigError(problems)
    parts["classifier.yml"] = _models_from_workspace(parts["classifier.yml"], root.parent)
    m = SystemMap(
        team=parts["team.yml"], sources=parts["sources.yml"], scoring=parts["scoring.yml"],
        routing=parts["routing.yml"], clients=parts["clients.yml"], classifier=parts["classifier.yml"],
        examples=examples, tools=parts["tools.yml"], workflows=parts["workflows.yml"],
        pipeline=parts["pipeline.yml"],
    )
    problems = _cross_check(root, m)
    if problems:
        raise ConfigError(problems)
    return m
