"""The watcher as a systemd *user* service, so it starts at login (or boot, with lingering) and
comes back after a crash: `opsys service install` writes the unit, a person enables it.

A user unit needs no root and runs as the person who owns the workspace and the venv. The unit
calls this venv's `opsys` by absolute path, so it never picks up another install.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from opsys.workspace import Workspace


class ServiceError(Exception):
    """The unit could not be written as asked; the message says why and how to fix it."""


@dataclass(frozen=True)
class ServiceUnit:
    name: str  # systemd unit name, opsys-<workspace>.service
    path: Path  # where it is (or would be) installed
    text: str

    def enable_commands(self) -> tuple[str, str]:
        """The two commands that start it now and at every login."""
        return ("systemctl --user daemon-reload", f"systemctl --user enable --now {self.name}")


def unit_name(ws: Workspace, name: str | None = None) -> str:
    """opsys-<name>.service, from the workspace folder's name unless given; only [A-Za-z0-9_.-]."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", name or ws.root.name).strip("-.") or "workspace"
    return f"opsys-{base}.service"


def opsys_command() -> list[str]:
    """The `opsys` of this very environment (the venv the command runs from)."""
    beside = Path(sys.executable).parent / "opsys"  # not resolved: a venv's python is a symlink
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("opsys")
    return [found] if found else [sys.executable, "-m", "opsys"]


def _quote(arg: str) -> str:
    """One ExecStart word: specifiers (%) and variables ($) escaped, quoted when it holds spaces."""
    if any(c in arg for c in "\n\r"):
        raise ServiceError(f"{arg!r}: a path with a line break cannot go into a systemd unit; rename it")
    arg = arg.replace("%", "%%").replace("$", "$$")
    if re.search(r'[\s"\'\\;]', arg):
        return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return arg


def user_unit_dir() -> Path:
    """$XDG_CONFIG_HOME/systemd/user, else ~/.config/systemd/user (where `systemctl --user` looks)."""
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def render_unit(ws: Workspace, command: list[str] | None = None, name: str | None = None) -> ServiceUnit:
    """The unit text for `opsys -w WS watch`; nothing is written."""
    root = str(ws.root.resolve())
    argv = [*(command or opsys_command()), "-w", root, "watch"]
    exec_start = " ".join(_quote(a) for a in argv)
    unit = unit_name(ws, name)
    text = f"""\
# Written by `opsys service install`; enable with:
#   systemctl --user daemon-reload && systemctl --user enable --now {unit}
# Logs: journalctl --user -u {unit}    To run without anyone logged in: loginctl enable-linger
[Unit]
Description=opsys watcher for {root.replace("%", "%%")}

[Service]
Type=simple
WorkingDirectory={root.replace("%", "%%")}
ExecStart={exec_start}
Restart=on-failure
RestartSec=10
# The models are bundled with the install; nothing is fetched from a model hub.
Environment=HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
# On stop (SIGTERM) the watcher finishes the batch in hand; files not yet read stay in var/inbox/.
TimeoutStopSec=60

[Install]
WantedBy=default.target
"""
    return ServiceUnit(unit, user_unit_dir() / unit, text)


def install_unit(unit: ServiceUnit, *, force: bool = False) -> bool:
    """Write the unit file; False when an identical one is already there. A different one is kept
    unless `force`: it may be the firm's own edit."""
    if unit.path.exists():
        if unit.path.read_text(encoding="utf-8") == unit.text:
            return False
        if not force:
            raise ServiceError(f"{unit.path} exists and differs from what opsys would write; "
                               "compare with `opsys service install --print`, then pass --force to replace it")
    unit.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = unit.path.with_name(f".{unit.path.name}.tmp")
    tmp.write_text(unit.text, encoding="utf-8")
    os.replace(tmp, unit.path)
    return True
