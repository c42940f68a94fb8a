"""Load and validate `system_map/` once; every error names the file, line, field and bad value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from opsys.config.lines import SourceLines, problems_from, read_yaml
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
from opsys.config.document_models import DocumentSettings
from opsys.config.founder_models import FounderSettings, JudgmentExample
from opsys.config.pipeline_models import PipelineSettings
from opsys.config.problems import ConfigError, ConfigProblem
from opsys.config.references import check_references
from opsys.config.sequence_models import SentimentExample, Sequences
from opsys.config.task_models import TaskKinds
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
    "tasks.yml": TaskKinds,
    "founder.yml": FounderSettings,
    "documents.yml": DocumentSettings,
    "sequences.yml": Sequences,
}
EXAMPLES_DIR = "examples"
JUDGMENT_EXAMPLES = "judgment.yml"  # examples/judgment.yml: decisions for the founder, not categories
SENTIMENT_EXAMPLES = "sentiment.yml"  # examples/sentiment.yml: replies to the close-out's satisfaction check


def _validate(path: Path, model: type[BaseModel]) -> tuple[BaseModel, yaml.Node | None]:
    data, node = read_yaml(path)
    try:
        return model.model_validate(data if data is not None else {}), node
    except ValidationError as err:
        raise ConfigError(problems_from(path, node, err))


def _load_examples(folder: Path) -> list[Example]:
    if not folder.is_dir():
        raise ConfigError([ConfigProblem(folder, None, "", "folder of labeled examples is missing")])
    examples: list[Example] = []
    problems: list[ConfigProblem] = []
    for path in sorted(folder.glob("*.yml")):
        if path.name in (JUDGMENT_EXAMPLES, SENTIMENT_EXAMPLES):
            continue
        data, node = read_yaml(path)
        if not isinstance(data, list):
            problems.append(ConfigProblem(path, 1, "", "expected a list of {text, category, is_lead}"))
            continue
        for i, item in enumerate(data):
            try:
                examples.append(Example.model_validate(item))
            except ValidationError as err:
                problems.extend(problems_from(path, node, err, prefix=(i,)))
    if problems:
        raise ConfigError(problems)
    if not examples:
        raise ConfigError([ConfigProblem(folder, None, "", "no labeled examples (*.yml) found")])
    return examples


def _load_judgment_examples(path: Path) -> list[JudgmentExample]:
    """The founder page's judgment examples; an absent file only turns that classifier off."""
    if not path.is_file():
        return []
    data, node = read_yaml(path)
    if not isinstance(data, list):
        raise ConfigError([ConfigProblem(path, 1, "", "expected a list of {text, label}")])
    out, problems = [], []
    for i, item in enumerate(data):
        try:
            out.append(JudgmentExample.model_validate(item))
        except ValidationError as err:
            problems.extend(problems_from(path, node, err, prefix=(i,)))
    if problems:
        raise ConfigError(problems)
    return out


def _load_sentiment_examples(path: Path) -> list[SentimentExample]:
    """Labeled replies for the close-out's reply classifier; an absent file leaves only the LLM and people."""
    if not path.is_file():
        return []
    data, node = read_yaml(path)
    if not isinstance(data, list):
        raise ConfigError([ConfigProblem(path, 1, "", "expected a list of {text, sentiment}")])
    out, problems = [], []
    for i, item in enumerate(data):
        try:
            out.append(SentimentExample.model_validate(item))
        except ValidationError as err:
            problems.extend(problems_from(path, node, err, prefix=(i,)))
    if problems:
        raise ConfigError(problems)
    return out


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
    nodes: dict[str, yaml.Node | None] = {}
    problems: list[ConfigProblem] = []
    for name, model in FILES.items():
        try:
            parts[name], nodes[name] = _validate(root / name, model)
        except ConfigError as e:
            problems.extend(e.problems)
    try:
        examples = _load_examples(root / EXAMPLES_DIR)
    except ConfigError as e:
        problems.extend(e.problems)
        examples = []
    try:
        judgment = _load_judgment_examples(root / EXAMPLES_DIR / JUDGMENT_EXAMPLES)
    except ConfigError as e:
        problems.extend(e.problems)
        judgment = []
    try:
        sentiment = _load_sentiment_examples(root / EXAMPLES_DIR / SENTIMENT_EXAMPLES)
    except ConfigError as e:
        problems.extend(e.problems)
        sentiment = []
    if problems:
        raise ConfigError(problems)
    parts["classifier.yml"] = _models_from_workspace(parts["classifier.yml"], root.parent)
    m = SystemMap(
        team=parts["team.yml"], sources=parts["sources.yml"], scoring=parts["scoring.yml"],
        routing=parts["routing.yml"], clients=parts["clients.yml"], classifier=parts["classifier.yml"],
        examples=examples, tools=parts["tools.yml"], workflows=parts["workflows.yml"],
        pipeline=parts["pipeline.yml"], tasks=parts["tasks.yml"], lines=SourceLines(root, nodes),
        founder=parts["founder.yml"], judgment_examples=judgment,
        documents=parts["documents.yml"],
        sequences=parts["sequences.yml"], sentiment_examples=sentiment,
    )
    problems = check_references(m)
    if problems:
        raise ConfigError(problems)
    return m
