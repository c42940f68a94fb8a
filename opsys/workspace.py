"""Where a firm's files live: configuration in git, runtime data under `var/` (never in git)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "OPSYS_WORKSPACE"
# The repo a firm forks is itself the template that `opsys init` copies.
REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_ITEMS = ("system_map", "sops", "notebooks", "mkdocs.yml")
SAMPLE_INBOX = Path(__file__).resolve().parent / "sample" / "inbox"
SAMPLE_CRM = Path(__file__).resolve().parent / "sample" / "crm"  # HubSpot exports of the same firm
# Copied once and never overwritten (not even by --force): a firm's own hooks and CI are its own.
TOOLING_ITEMS = (
    (REPO_ROOT / ".pre-commit-config.yaml", Path(".pre-commit-config.yaml")),
    (Path(__file__).resolve().parent / "templates" / "ci" / "opsys-check.yml",
     Path(".github") / "workflows" / "opsys-check.yml"),
)


class WorkspaceError(Exception):
    """The workspace folder is missing or incomplete; the message says how to fix it."""


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def system_map(self) -> Path:
        return self.root / "system_map"

    @property
    def sops(self) -> Path:
        return self.root / "sops"

    @property
    def var(self) -> Path:
        return self.root / "var"

    @property
    def inbox(self) -> Path:
        return self.var / "inbox"

    @property
    def archive(self) -> Path:
        return self.var / "archive"

    @property
    def quarantine(self) -> Path:
        return self.var / "quarantine"

    @property
    def pages(self) -> Path:
        return self.var / "pages"

    @property
    def outbox(self) -> Path:
        return self.var / "outbox"

    @property
    def db_path(self) -> Path:
        return self.var / "opsys.sqlite3"

    @property
    def lock_path(self) -> Path:
        return self.var / "watch.lock"

    @property
    def send_lock(self) -> Path:
        """Held while notifications or CRM write-back files go out: one sender at a time."""
        return self.var / "send.lock"

    @property
    def crm_drop(self) -> Path:
        return self.var / "crm"

    def ensure_dirs(self) -> None:
        for d in (self.inbox, self.archive, self.quarantine, self.pages, self.outbox, self.crm_drop,
                  self.outbox / "crm"):
            d.mkdir(parents=True, exist_ok=True)

    def require_system_map(self) -> None:
        if not self.system_map.is_dir():
            raise WorkspaceError(
                f"{self.root} has no system_map/ folder. Run `opsys init {self.root}` to create a workspace, "
                f"or pass --workspace / set {ENV_VAR} to an existing one."
            )


def resolve_workspace(given: Path | None) -> Workspace:
    """--workspace wins, then $OPSYS_WORKSPACE, then the repo root (the firm's fork)."""
    if given is not None:
        return Workspace(Path(given).resolve())
    env = os.environ.get(ENV_VAR)
    if env:
        return Workspace(Path(env).resolve())
    return Workspace(REPO_ROOT)


def init_workspace(target: Path, *, force: bool = False) -> Workspace:
    """Copy the repo's own template (system map, SOPs, notebooks, mkdocs.yml), the pre-commit config
    and CI workflow, create `var/`, and `git init` unless the folder is already in a repository."""
    target = Path(target).resolve()
    target.mkdir(parents=True, exist_ok=True)
    if target == REPO_ROOT:
        ws = Workspace(target)
        ws.ensure_dirs()
        return ws
    for item in TEMPLATE_ITEMS:
        src, dst = REPO_ROOT / item, target / item
        if not src.exists():
            raise WorkspaceError(f"template item {src} is missing from the opsys checkout")
        if dst.exists():
            if not force:
                continue  # never overwrite a firm's edited configuration
            shutil.rmtree(dst) if dst.is_dir() else dst.unlink()
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    gitignore = target / ".gitignore"
    lines = gitignore.read_text(encoding="utf-8").splitlines() if gitignore.exists() else []
    if not {"var", "var/", "/var", "/var/"} & {line.strip() for line in lines}:
        with gitignore.open("a", encoding="utf-8") as f:  # a firm's own .gitignore is kept, var/ added
            f.write(("\n" if lines else "") + "# runtime data holds client personal data: never commit it\nvar/\n")
    for src, rel in TOOLING_ITEMS:
        dst = target / rel
        if not dst.exists() and src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    ensure_git_repository(target)
    ws = Workspace(target)
    ws.ensure_dirs()
    return ws


def ensure_git_repository(target: Path) -> bool:
    """SOP history and review dates come from git: `git init` a folder no repository contains.
    Returns whether a repository was created (a folder inside the firm's own repo is left alone)."""
    import git  # lazy: gitpython starts a git process on import checks

    try:
        git.Repo(target, search_parent_directories=True)
        return False
    except git.InvalidGitRepositoryError:
        pass
    except git.NoSuchPathError as e:
        raise WorkspaceError(f"{target}: folder vanished while creating the workspace") from e
    try:
        git.Repo.init(target)
    except git.GitCommandError as e:
        raise WorkspaceError(f"{target}: `git init` failed ({e.stderr.strip() or e}); install git or run "
                             f"`git init {target}` yourself, then `opsys init {target}` again") from e
    return True
