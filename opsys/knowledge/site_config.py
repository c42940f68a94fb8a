"""`opsys check` for mkdocs.yml: no YAML tag that makes MkDocs construct Python objects.

MkDocs reads mkdocs.yml (and any file it INHERITs) with PyYAML's full `yaml.Loader`, which honours
`!!python/object/apply:os.system [...]` and friends: a pull request that edits mkdocs.yml runs code
on whoever builds the site. This module only *composes* the YAML (parses it into nodes without
constructing anything) and flags every `python/` tag that imports or calls something, except the
few names Material's own extensions are documented to need.
"""

from __future__ import annotations

from pathlib import Path

from opsys.knowledge.checks import Finding

PY_TAG = "tag:yaml.org,2002:python/"
# `!!python/name:` tags Material for MkDocs documents for its extensions: they import a formatter or
# slug function of Material, Python-Markdown or PyMdown Extensions and call nothing while loading.
ALLOWED_NAMES = frozenset({
    "material.extensions.emoji.twemoji", "material.extensions.emoji.to_svg",
    "pymdownx.superfences.fence_code_format", "pymdownx.superfences.fence_div_format",
    "pymdownx.emoji.twemoji", "pymdownx.emoji.emojione", "pymdownx.emoji.gemoji",
    "pymdownx.emoji.to_svg", "pymdownx.emoji.to_png", "pymdownx.emoji.to_alt",
    "pymdownx.arithmatex.arithmatex_inline_format", "pymdownx.arithmatex.arithmatex_fenced_format",
    "pymdownx.slugs.uslugify", "pymdownx.slugs.uslugify_cased", "pymdownx.slugs.gfm",
    "pymdownx.slugs.gfm_cased", "markdown.extensions.toc.slugify", "markdown.extensions.toc.slugify_unicode",
})
# `!!python/object/apply:` Material documents for the table of contents (`slugify` with `kwds: {case: lower}`).
ALLOWED_CALLS = frozenset({"pymdownx.slugs.slugify"})
# Tags that build plain values (tuples, strings, numbers): nothing is imported or called.
PLAIN = frozenset({"none", "bool", "str", "unicode", "bytes", "int", "long", "float", "complex",
                   "list", "tuple", "dict"})


def check_site_config(path: Path) -> list[Finding]:
    """Every object-constructing tag in mkdocs.yml and the files it INHERITs, as file:line errors."""
    return _check(path, seen=set())


def _check(path: Path, seen: set[Path]) -> list[Finding]:
    import yaml

    if path.resolve() in seen or not path.is_file():
        return []
    seen.add(path.resolve())
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        return [Finding(path, mark.line + 1 if mark else None, "error",
                        f"not valid YAML, MkDocs cannot read it: {getattr(e, 'problem', None) or e}")]
    except (OSError, UnicodeDecodeError) as e:
        return [Finding(path, None, "error", f"cannot be read: {e}")]
    out = [f for node in _nodes(root) if (f := _tag_problem(path, node))]
    parent = _inherit(root)
    if parent:
        out += _check(path.parent / parent, seen)
    return out


def _nodes(root):
    """Every node under `root` once (aliases may point back up the tree)."""
    import yaml

    stack, visited = [root] if root is not None else [], set()
    while stack:
        node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        yield node
        if isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            for k, v in reversed(node.value):
                stack.extend((v, k))


def _tag_problem(path: Path, node) -> Finding | None:
    tag = node.tag or ""
    if not tag.startswith(PY_TAG):
        return None
    rest = tag[len(PY_TAG):]
    kind, _, target = rest.partition(":")
    if kind in PLAIN:
        return None
    if kind == "name" and target in ALLOWED_NAMES:
        return None
    if kind == "object/apply" and target in ALLOWED_CALLS:
        return None
    does = {"name": "import", "module": "import"}.get(kind, "call")
    return Finding(path, node.start_mark.line + 1, "error",
                   f"`!!python/{rest}` makes MkDocs {does} {target or 'a Python object'} while it loads this "
                   "file, so whoever edits it runs code on every machine that builds the site: remove the "
                   "tag. Only the `!!python/name:` tags Material's extensions need are allowed (e.g. "
                   "pymdownx.superfences.fence_code_format, material.extensions.emoji.twemoji)")


def _inherit(root) -> str | None:
    """The INHERIT: file named at the top of mkdocs.yml, if any (MkDocs loads it with the same loader)."""
    import yaml

    if isinstance(root, yaml.MappingNode):
        for k, v in root.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "INHERIT" and isinstance(v, yaml.ScalarNode):
                return v.value
    return None


def site_url(mkdocs_yml: Path) -> str:
    """Base URL of the team site: mkdocs.yml site_url, else the local `opsys serve` address.
    Read without constructing any tag (mkdocs.yml may hold !ENV and !!python/name)."""
    import yaml

    try:
        node = yaml.compose(mkdocs_yml.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        node = None
    url = ""
    if isinstance(node, yaml.MappingNode):
        url = next((v.value for k, v in node.value if k.value == "site_url" and isinstance(v, yaml.ScalarNode)), "")
    url = url or "http://127.0.0.1:8000/"
    return url if url.endswith("/") else url + "/"
