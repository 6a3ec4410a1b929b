"""A new partnership for end-to-end journeys, used only as its people use it.

``partnership`` runs ``oscp init`` unattended in an empty home, imports Northdale's directory
from a workbook and loads the programme, all with the ``oscp`` command; then everything is done
by typing ``oscp ... --as person`` (``Partnership.oscp``), relaying the outbox to a real SMTP
server (``send_mail``), reading the e-mails people receive (``links_for``) and following their
links in a browser that fills each form from what the page itself offers (``Browser``).

The command runs in this process, as ``tests.support.cli`` explains, and its dependencies are
built once per partnership by the product's own wiring from the home's settings (each command
would otherwise load every definition again); the web app is built from the same settings.
Nothing here reaches past the command and the links into the engine.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import date
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from unittest.mock import patch

import httpx2
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.core import TyperGroup
from typer.main import get_command
from typer.testing import CliRunner

from oscp_flow.cli import app, common
from oscp_flow.excel.directory_writer import directory_workbook
from oscp_flow.settings import Settings
from oscp_flow.web import WebConfig, create_app
from oscp_flow.wiring import build
from states.clock import LONDON, SystemClock
from tests.support import northdale
from tests.support.forms import Form, read_forms
from tests.support.smtp import Recorder, smtp_server, text_of

REFERENCE = re.compile(r"AUD-[0-9A-Z]{8}")
STATE = re.compile(r"State: .* \((\w+)\), version \d+")
# Wide enough that no line a journey reads is wrapped.
COLUMNS = "200"


def at(local: str) -> str:
    """A Northdale person's e-mail address: ``at("lead.a01")``."""
    return f"{local}@{northdale.DOMAIN}"


class Browser:
    """A person's browser on the links' web app: opens a link, fills in a form, sends it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def open(self, link: str) -> str:
        page = self.client.get(link)
        assert page.status_code == 200, page.text
        return page.text

    def submit(
        self,
        link: str,
        *,
        which: Mapping[str, str] | None = None,
        answers: Mapping[str, str] | None = None,
        press: str | None = None,
        pick: int = 0,
    ) -> httpx2.Response:
        """Open ``link``, take its first form whose hidden fields match ``which``, answer
        every question (``answers`` first, else option ``pick`` of each choice), press the
        button whose value is ``press`` and send it."""
        forms, notes = read_forms(self.open(link))
        form = next((f for f in forms if f.matches(which or {})), None)
        assert form is not None, f"no form {which} at {link}: {[f.hidden for f in forms]}"
        data = form.filled(notes, answers or {}, pick) | _pressed(form, press)
        return self.client.post(form.action, data=data)

    def return_all(self, link: str, *, pick: int = 0) -> str:
        """Submit every return the link's page asks for (one per case on an audit of
        cases), as a lead works down the page; the last page, which says it is done."""
        for _ in range(100):
            forms, _notes = read_forms(self.open(link))
            if not forms:
                break
            sent = self.submit(link, press="submit", pick=pick)
            assert sent.status_code == 200, sent.text
            if "Return submitted" in sent.text:
                return sent.text
        raise AssertionError(f"the returns at {link} were not all submitted")


def _pressed(form: Form, value: str | None) -> dict[str, str]:
    if value is None:
        return {}
    named = [name for name, values in form.buttons.items() if value in values]
    assert named, f"no button '{value}' on the form"
    return {named[0]: value}


class Partnership:
    """Northdale, set up from nothing: its people type ``oscp`` and follow e-mailed links."""

    def __init__(
        self,
        folder: Path,
        env: dict[str, str | None],
        recorder: Recorder,
        base_url: str = northdale.BASE,
    ) -> None:
        self.folder = folder
        self.env = env
        self.recorder = recorder
        self.base_url = base_url
        self.settings = _settings(folder / "home")
        self.deps = build(self.settings)
        self.web_config = WebConfig(
            csrf_secret=SecretStr("not-for-production"), rate_limit_enabled=False
        )
        web = TestClient(self.app(), base_url=base_url)
        self._link = re.compile(re.escape(base_url) + r"/act/[A-Za-z0-9_-]+")
        self._open = ExitStack()
        self.web = Browser(self._open.enter_context(web))

    def app(self) -> FastAPI:
        """The partnership's web app, as ``oscp web`` serves it (rate limit off)."""
        return create_app(self.deps, self.settings, self.web_config)

    def close(self) -> None:
        self._open.close()
        self.deps.uow.engine.dispose()

    def oscp(
        self, *args: str, as_: str | None = None, code: int = 0, answers: str | None = None
    ) -> str:
        """The command as typed by ``as_`` (``answers``: what is typed at its prompts); its
        output (errors included), having checked that it ended with ``code``."""
        typed = [*args, "--as", as_] if as_ else list(args)
        with patch.object(common, "build_deps", lambda: self.deps):
            ended, output = _run(typed, self.env, answers)
        assert ended == code, f"oscp {' '.join(typed)}: {output}"
        return output

    def start(self, *args: str, as_: str = northdale.COORDINATOR) -> str:
        """``oscp audit start ...`` or ``oscp programme start ...``: the new reference."""
        found = REFERENCE.search(self.oscp(*args, as_=as_))
        assert found is not None
        return found[0]

    def state(self, audit: str, as_: str = northdale.COORDINATOR) -> str:
        """Where the audit is, as ``oscp audit show`` says it."""
        found = STATE.search(self.oscp("audit", "show", audit, as_=as_))
        assert found is not None
        return found[1]

    def fire(self, audit: str, *triggers: str, as_: str = northdale.COORDINATOR) -> None:
        for trigger in triggers:
            self.oscp("audit", "fire", audit, trigger, as_=as_)

    def to_share(self, audit: str) -> dict[str, str]:
        """What ``oscp audit show`` says the audit must share and has not yet: each item
        with the first channel it may go by."""
        shown = self.oscp("audit", "show", audit, as_=northdale.COORDINATOR)
        table = shown.split("What the audit must share", 1)[-1]
        rows = [line.split("│")[1:-1] for line in table.splitlines() if line.startswith("│")]
        cells = [[cell.strip() for cell in row] for row in rows if len(row) == 4]
        return {c[0]: c[2].split(",")[0] for c in cells if c[0] and c[3] == "not yet"}

    def share_everything(self, audit: str, *, as_: str = northdale.COORDINATOR) -> list[str]:
        """``oscp audit shared`` for each item still to share, by its first channel, today."""
        waiting = self.to_share(audit)
        for item, channel in waiting.items():
            day = self.today().isoformat()
            self.oscp("audit", "shared", audit, item, "--channel", channel, "--on", day, as_=as_)
        assert not self.to_share(audit)
        return list(waiting)

    def send_mail(self) -> None:
        """``oscp outbox send``: what the worker's relay would send next, sent now."""
        sent = self.oscp("outbox", "send", "--batch", "1000")
        assert "failed 0" in sent, sent

    def mail(self, to: str, *, audit: str, subject: str = "") -> list[EmailMessage]:
        """What ``to`` received about ``audit`` whose subject starts with ``subject``."""
        return [
            m
            for m in self.recorder.received
            if str(m["To"]).endswith(f"<{to}>")
            and audit in str(m["Subject"])
            and str(m["Subject"]).startswith(subject)
        ]

    def links_for(self, to: str, *, audit: str, subject: str = "") -> list[str]:
        """The links in those e-mails, oldest first."""
        found = (self._link.search(text_of(m)) for m in self.mail(to, audit=audit, subject=subject))
        return [link[0] for link in found if link is not None]

    def link(self, to: str, *, audit: str, subject: str) -> str:
        """The newest such link: the one a person opens."""
        links = self.links_for(to, audit=audit, subject=subject)
        assert links, f"{to} has no '{subject}' e-mail about {audit}"
        return links[-1]

    def file(self, name: str, text: str) -> Path:
        """A file a person saved, to give to a command."""
        path = self.folder / "files" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def today(self) -> date:
        return SystemClock().now().astimezone(LONDON).date()


@cache
def _command() -> TyperGroup:
    command = get_command(app)
    assert isinstance(command, TyperGroup)
    return command


def _run(typed: list[str], env: dict[str, str | None], answers: str | None) -> tuple[int, str]:
    """``CliRunner.invoke`` on a command built once: Typer builds the command from the app
    on every ``invoke``, which took most of a journey command's time. The isolation and the
    exit are ``invoke``'s own (streams, environment, ``SystemExit``)."""
    ended: object = 0
    with CliRunner().isolation(input=answers, env=env) as (_out, _err, output):
        try:
            _command().main(args=typed, prog_name="oscp")
        except SystemExit as exit_:
            ended = exit_.code or 0
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        said = output.getvalue().decode()
    return (ended if isinstance(ended, int) else 1), said


def _settings(home: Path) -> Settings:
    """The home's settings, as its commands read them."""
    with patch.dict(os.environ, {"OSCP_HOME": str(home)}):
        for key in [k for k in os.environ if k.startswith("OSCP_") and k != "OSCP_HOME"]:
            del os.environ[key]
        return Settings()


def _init(env: dict[str, str | None], port: int, database_url: str | None, base_url: str) -> None:
    options = {
        "--partnership": "Northdale Safeguarding Children Partnership",
        "--mail-from": f"Learning hub <hub@{northdale.DOMAIN}>",
        "--mail-domain": northdale.DOMAIN,
        "--base-url": f"{base_url}/",
        "--smtp-host": "127.0.0.1",
        "--smtp-port": str(port),
        "--smtp-tls": "none",
        "--coordinator-name": "Pat Fenwick",
        "--coordinator-email": northdale.COORDINATOR,
    }
    if database_url:
        options["--database-url"] = database_url
    typed = ["init", "--yes", *(part for pair in options.items() for part in pair)]
    result = CliRunner().invoke(app, typed, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output


@contextmanager
def partnership(
    folder: Path, database_url: str | None, base_url: str = northdale.BASE
) -> Iterator[Partnership]:
    """Northdale set up in ``folder`` (its database: SQLite in the home, or
    ``database_url``; its links under ``base_url``), with its directory imported and the
    programme loaded, its mail going to an SMTP server that keeps what it receives."""
    recorder = Recorder()
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("OSCP_")}
    env |= {"OSCP_HOME": str(folder / "home"), "OSCP_INIT_PASSWORD": northdale.PASSWORD}
    env |= {"COLUMNS": COLUMNS}
    with smtp_server(recorder) as port:
        _init(env, port, database_url, base_url)
        northdale_ = Partnership(folder, env, recorder, base_url)
        try:
            book = folder / "northdale.xlsx"
            book.write_bytes(directory_workbook(northdale.directory()))
            imported = ("directory", "import", str(book), "--reason", "Our directory")
            northdale_.oscp(*imported, as_=northdale.COORDINATOR)
            northdale_.oscp("programme", "load")
            yield northdale_
        finally:
            northdale_.close()
