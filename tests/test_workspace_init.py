"""`opsys init`: a git repository for SOP history, the pre-commit config and CI workflow, never
overwriting what the firm already has."""

from __future__ import annotations

from pathlib import Path

import git
from typer.testing import CliRunner

from opsys.cli.main import app

REPO = Path(__file__).resolve().parents[1]
CI_TEMPLATE = REPO / "opsys" / "templates" / "ci" / "opsys-check.yml"


def _init(*args: str) -> None:
    result = CliRunner().invoke(app, ["init", *args])
    assert result.exit_code == 0, result.output


def test_init_creates_a_repository_with_hooks_and_ci(tmp_path):
    target = tmp_path / "firm"
    _init(str(target))
    repo = git.Repo(target)
    assert Path(repo.working_tree_dir) == target.resolve()
    assert (target / ".pre-commit-config.yaml").read_bytes() == (REPO / ".pre-commit-config.yaml").read_bytes()
    assert (target / ".github" / "workflows" / "opsys-check.yml").read_bytes() == CI_TEMPLATE.read_bytes()
    assert "var/" in (target / ".gitignore").read_text().splitlines()


def test_sop_history_works_in_the_new_repository(tmp_path):
    from opsys.knowledge.history import page_histories

    target = tmp_path / "firm"
    _init(str(target))
    repo = git.Repo(target)
    repo.index.add([str(p) for p in (target / "sops").rglob("*.md")])
    repo.index.commit("our handbook", author=git.Actor("Marta Ops", "marta@example.org"),
                      committer=git.Actor("Marta Ops", "marta@example.org"))
    histories = page_histories(target / "sops")
    assert histories and all(h[0].author == "Marta Ops" for h in histories.values())
    assert not repo.is_dirty(untracked_files=False)
    assert "var" not in {Path(p).parts[0] for p in repo.untracked_files}  # var/ stays out of git


def test_init_inside_a_firms_repository_does_not_nest_one(tmp_path):
    outer = tmp_path / "company"
    git.Repo.init(outer)
    _init(str(outer / "ops"))
    assert not (outer / "ops" / ".git").exists()
    assert Path(git.Repo(outer / "ops", search_parent_directories=True).working_tree_dir) == outer.resolve()


def test_a_firms_own_hooks_and_ci_are_kept_even_with_force(tmp_path):
    target = tmp_path / "firm"
    (target / ".github" / "workflows").mkdir(parents=True)
    own_hooks = "repos: []  # ours\n"
    own_ci = "name: our own check\n"
    (target / ".pre-commit-config.yaml").write_text(own_hooks)
    (target / ".github" / "workflows" / "opsys-check.yml").write_text(own_ci)
    _init(str(target))
    _init(str(target), "--force")
    assert (target / ".pre-commit-config.yaml").read_text() == own_hooks
    assert (target / ".github" / "workflows" / "opsys-check.yml").read_text() == own_ci
    assert (target / ".git").is_dir()
