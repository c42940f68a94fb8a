"""What git knows about each page: last change (date, author, commit) and what changed since a commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageChange:
    date: str        # ISO date of the commit
    author: str
    commit: str      # full hexsha
    subject: str = ""


def _repo(path: Path):
    try:
        import git

        return git.Repo(path, search_parent_directories=True)
    except Exception:  # not a repository, or git missing: history is simply unknown
        return None


def page_histories(folder: Path, per_page: int = 20) -> dict[str, list[PageChange]]:
    """Commits per file under `folder`, newest first, at most `per_page` each (keys: posix paths
    relative to `folder`), from one `git log` call."""
    repo = _repo(folder)
    if repo is None or repo.bare:
        return {}
    top = Path(repo.working_tree_dir).resolve()
    folder = folder.resolve()
    try:
        out = repo.git.log("--format=\x1e%H\x1f%aI\x1f%an\x1f%s", "--name-only", "--no-renames", "--",
                           str(folder))
    except Exception as e:
        log.info("git log failed in %s: %s", folder, e)
        return {}
    histories: dict[str, list[PageChange]] = {}
    for record in out.split("\x1e"):
        if not record.strip():
            continue
        head, _, names = record.partition("\n")
        sha, when, author, subject = head.split("\x1f", 3)
        change = PageChange(when[:10], author, sha, subject)
        for name in names.split("\n"):
            name = name.strip()
            if not name:
                continue
            try:
                rel = (top / name).relative_to(folder).as_posix()
            except ValueError:
                continue
            seen = histories.setdefault(rel, [])
            if len(seen) < per_page:
                seen.append(change)
    return histories


def last_changes(folder: Path) -> dict[str, PageChange]:
    """Last commit per file under `folder` (keys: posix paths relative to `folder`)."""
    return {rel: changes[0] for rel, changes in page_histories(folder, per_page=1).items()}


def head_commit(folder: Path) -> str | None:
    repo = _repo(folder)
    try:
        return repo.head.commit.hexsha if repo is not None else None
    except Exception:  # a repository with no commit yet
        return None


def changed_since(folder: Path, commit: str) -> set[str] | None:
    """Files under `folder` changed since `commit` (committed, staged, unstaged or untracked); None if unknown."""
    repo = _repo(folder)
    if repo is None:
        return None
    top = Path(repo.working_tree_dir).resolve()
    folder = folder.resolve()
    try:
        names = repo.git.diff("--name-only", "--no-renames", commit, "--", str(folder)).splitlines()
        names += repo.git.ls_files("--others", "--exclude-standard", "--", str(folder)).splitlines()
    except Exception:
        return None
    out = set()
    for n in names:
        try:
            out.add((top / n.strip()).relative_to(folder).as_posix())
        except ValueError:
            continue
    return out


def repo_prefix(folder: Path) -> str | None:
    """`folder`'s path inside its git repository ('' at the top), or None outside any repository."""
    repo = _repo(folder)
    if repo is None or repo.working_tree_dir is None:
        return None
    rel = folder.resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
    return "" if rel == "." else rel + "/"
