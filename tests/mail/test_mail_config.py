"""`sources.yml mailboxes:` as the loader reads it: typed, every mistake with its file and line, and the
password never accepted in the system map itself."""

from __future__ import annotations

import pytest

from opsys.config.loader import load_system_map
from opsys.config.problems import ConfigError

GOOD = """
mailboxes:
  - name: hello
    host: imap.fastmail.com
    user: hello@brightside.example
    password_env: OPSYS_HELLO_PASSWORD
    sent_folder: Sent
  - name: local
    kind: maildir
    path: ~/Mail/leads
"""


def _load(ws, block: str):
    path = ws.system_map / "sources.yml"
    path.write_text(path.read_text() + block)
    return load_system_map(ws.system_map)


def _problems(ws, block: str) -> list[str]:
    with pytest.raises(ConfigError) as e:
        _load(ws, block)
    return [str(p) for p in e.value.problems]


def test_mailboxes_load_typed_with_defaults(workspace):
    m = _load(workspace, GOOD)
    hello, local = m.sources.mailboxes
    assert (hello.kind, hello.tls, hello.port_or_default, hello.folders, hello.idle) == ("imap", "ssl", 993, ["INBOX"], True)
    assert hello.all_folders == ["INBOX", "Sent"]
    assert hello.where() == "hello (hello@brightside.example@imap.fastmail.com:993)"
    assert local.kind == "maildir" and local.all_folders == ["INBOX"]


def test_a_literal_password_is_refused_with_its_line(workspace):
    before = len((workspace.system_map / "sources.yml").read_text().splitlines())
    out = _problems(workspace, "\nmailboxes:\n  - name: hello\n    host: imap.example.org\n    user: u\n"
                               "    password: hunter2-secret\n")
    assert len(out) == 1
    assert f"sources.yml:{before + 6}: mailboxes[0].password: never write the password" in out[0]
    assert "password_env" in out[0] and "hunter2-secret" not in out[0]


@pytest.mark.parametrize("block, expected", [
    ("  - name: a\n    host: h\n    user: u\n", "mailboxes[0].password_env: an imap mailbox needs"),
    ("  - name: a\n    user: u\n    password_env: X\n", "mailboxes[0].host: an imap mailbox needs `host`"),
    ("  - name: a\n    host: h\n    user: u\n    password_env: X\n    password_file: /p\n",
     "give either password_env or password_file"),
    ("  - name: a\n    host: h\n    user: u\n    password_env: 'hunter2!'\n", "name of an environment variable"),
    ("  - name: a\n    kind: maildir\n    path: /m\n    host: h\n", "mailboxes[0].host: `host` is for imap"),
    ("  - name: Hello Box\n    kind: maildir\n    path: /m\n", "mailboxes[0].name: use lowercase"),
    ("  - name: a\n    kind: maildir\n    path: /m\n  - name: a\n    kind: maildir\n    path: /n\n",
     "mailboxes[1].name: mailbox name 'a' is used twice"),
    ("  - name: a\n    kind: maildir\n    path: /m\n    sent_folder: INBOX\n", "both an inbound folder and the sent"),
    ("  - name: a\n    kind: maildir\n    path: /m\n    poll_seconds: 1\n", "mailboxes[0].poll_seconds"),
])
def test_mistakes_name_the_field(workspace, block, expected):
    out = _problems(workspace, "\nmailboxes:\n" + block)
    assert any(expected in p and "sources.yml:" in p for p in out), out
