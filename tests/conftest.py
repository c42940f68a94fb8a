"""Shared fixtures: real workspaces made by `opsys init`, real models loaded once per session."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata is not beside this checkout (it exists only next to dev and CI clones)")
    return REALDATA


@pytest.fixture
def workspace(tmp_path):
    """A fresh workspace built the way a user builds one: `opsys init DIR`."""
    from opsys.cli.main import app
    from opsys.workspace import Workspace

    target = tmp_path / "ws"
    result = CliRunner().invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    return Workspace(target)


@pytest.fixture(scope="session")
def shared_classifier():
    """The real embedding classifier (and GGUF when asked), built once: loading costs seconds."""
    from opsys.ai.message_classifier import MessageClassifier
    from opsys.config.loader import load_system_map

    m = load_system_map(REPO / "system_map")
    return MessageClassifier(m.classifier, m.examples, firm=m.team.firm)


@pytest.fixture
def runtime(workspace, shared_classifier):
    from opsys.app import open_app

    rt = open_app(workspace, classifier=shared_classifier)
    yield rt
    rt.db.close()


@pytest.fixture
def listener():
    from opsys.notify.listener import NotificationListener

    with NotificationListener() as lst:
        yield lst


def point_notifications_at(ws, port: int) -> None:
    """Rewrite the team's Apprise URLs to a real listener on 127.0.0.1:<port>."""
    team = ws.system_map / "team.yml"
    team.write_text(re.sub(r"json://127\.0\.0\.1:\d+/", f"json://127.0.0.1:{port}/", team.read_text()))
