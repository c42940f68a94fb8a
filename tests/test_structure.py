"""The house rules of the code, checked: data flows one way, SQL stays in store/, the audit
vocabulary is one documented list, and no firm is hard-coded in the package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "opsys"
README = PACKAGE.parent / "README.md"

# Floors, lowest first: a module may import its own package and anything on a lower floor, never up.
FLOORS: list[set[str]] = [
    {"records", "workspace"},
    {"config"},
    {"sources"},
    {"ai"},
    {"rules"},
    {"store"},
    {"knowledge"},
    {"notify"},
    {"work"},
    {"followup"},
    {"founder"},
    {"intake"},
    {"views"},
    {"backup", "service_unit"},
    {"app", "jobs", "check", "demo", "status"},
    {"daemon"},
    {"cli", "__main__"},
]
FLOOR = {pkg: i for i, floor in enumerate(FLOORS) for pkg in floor}


def _modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "sample" not in p.parts and "templates" not in p.parts]


def _package_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _opsys_imports(path: Path) -> list[tuple[int, str]]:
    """(line, first package under opsys) for every `import opsys.X` / `from opsys.X import …`, lazy ones too."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "opsys" and len(parts) > 1:
                out.append((node.lineno, parts[1]))
    return out


def test_every_package_has_a_floor():
    missing = {_package_of(p) for p in _modules()} - set(FLOOR) - {"__init__"}
    assert not missing, f"add {missing} to FLOORS (and to README 'How it fits together')"


def test_imports_never_run_up_the_floors():
    ups = []
    for path in _modules():
        here = _package_of(path)
        if here == "__init__":
            continue
        for line, there in _opsys_imports(path):
            if there != here and FLOOR.get(there, -1) > FLOOR[here]:
                ups.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {here} imports {there}")
    assert not ups, "imports that run up the floors:\n" + "\n".join(ups)


_SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b", re.I)


def test_sql_lives_in_store_only():
    found = []
    for path in _modules():
        if _package_of(path) == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.search(node.value):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not found, "SQL outside opsys/store/: " + ", ".join(found)


def test_no_hidden_clock_in_rules():
    calls = [f"{p.name}:{i}" for p in (PACKAGE / "rules").rglob("*.py")
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"\b(datetime\.now|date\.today|time\.time)\(", line)]
    assert not calls, f"rules read the clock (pass `now` in): {calls}"


def test_no_firm_name_in_the_package():
    sample_firm = "Brightside"
    hits = [str(p.relative_to(PACKAGE.parent)) for p in _modules() if sample_firm in p.read_text(encoding="utf-8")]
    assert not hits, f"the sample firm is named in code (it belongs in system_map/): {hits}"


def test_every_event_kind_is_documented_in_the_readme():
    from opsys.records.events import Decider, EventKind

    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Audit log"):]
    section = section[:section.find("\n## ", 4)]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))
    kinds = {k.value for k in EventKind}
    assert kinds - documented == set(), f"undocumented event kinds: {sorted(kinds - documented)}"
    assert documented - kinds - {d.value for d in Decider} == set(), "README lists kinds that do not exist"
    for d in Decider:
        assert f"`{d.value}`" in section, f"decider {d.value} missing from the README's audit-log section"


def test_record_event_refuses_a_kind_outside_the_list(tmp_path):
    import pytest

    from opsys.store.db import connect, write_transaction
    from opsys.store.events import record_event

    db = connect(tmp_path / "s.sqlite3")
    with pytest.raises(ValueError), write_transaction(db):
        record_event(db, "leed_routed", decided_by="intake")
    with pytest.raises(ValueError), write_transaction(db):
        record_event(db, "routed", decided_by="somebody")
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
