"""Read a `system_map/` YAML file once and keep its node tree, so any field can be found on its line.

`SourceLines` travels with the loaded SystemMap: cross-checks, `opsys check` and the SOP checks ask
it "which line is `workflows[2].sops[0]` on?" instead of reading the YAML again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from opsys.config.problems import ConfigError, ConfigProblem, clean_message, field_name
from opsys.config.strict import AtField

Loc = tuple[int | str, ...]


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

    def construct_yaml_timestamp(self, node):
        # PyYAML raises a bare ValueError (no line) for 2026-13-01; say where and how to write it
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as e:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a real date ({e}); write it as YYYY-MM-DD",
                node.start_mark) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """The file's data and its node tree, parsed once; ConfigError names the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(path, None, "", "file is missing (run `opsys init` for a template)")])
    except UnicodeDecodeError as e:
        raise ConfigError([ConfigProblem(path, None, "", f"not UTF-8 text ({e.reason} at byte {e.start})")])
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ConfigError([ConfigProblem(path, line, "", f"YAML syntax: {getattr(e, 'problem', e)}")])
    finally:
        loader.dispose()


def line_of(node: yaml.Node | None, loc: Loc) -> int | None:
    """Follow a field's location through a YAML node tree to its line (the nearest parent's if absent)."""
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


@dataclass(frozen=True)
class SourceLines:
    """The node trees of the system map's files, kept from loading: which line is this field on?"""

    root: Path = Path("system_map")
    nodes: dict[str, yaml.Node | None] = field(default_factory=dict)

    def path(self, file_name: str) -> Path:
        """The file as the user names it in an error (`system_map/routing.yml`)."""
        return self.root / file_name

    def line(self, file_name: str, *loc: int | str) -> int | None:
        """The line of `loc` (e.g. `"rules", 2, "name"`) in `file_name`, or of its nearest parent present."""
        return line_of(self.nodes.get(file_name), loc)

    def problem(self, file_name: str, loc: Loc, message: str) -> ConfigProblem:
        """A ConfigProblem at `loc` of `file_name`, its line looked up."""
        return ConfigProblem(self.path(file_name), self.line(file_name, *loc), field_name(loc), message)


def problems_from(path: Path, node: yaml.Node | None, err: ValidationError, prefix: Loc = ()) -> list[ConfigProblem]:
    """Each pydantic error as file:line: field: message (the value shown when it is a scalar)."""
    out = []
    for e in err.errors():
        raised = (e.get("ctx") or {}).get("error")
        below = raised.loc if isinstance(raised, AtField) else ()  # a model check naming the field it is about
        loc = prefix + _data_keys(node, prefix, e["loc"]) + below
        bad = e.get("input")
        shown = "" if isinstance(bad, (dict, list)) or bad is None or below else f" (got {bad!r})"
        out.append(ConfigProblem(path, line_of(node, loc), field_name(loc), f"{clean_message(e['msg'])}{shown}"))
    return out


def _data_keys(node: yaml.Node | None, prefix: Loc, loc: Loc) -> Loc:
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


def _child(node: yaml.Node | None, key: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == str(key)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None

