"""``oscp init`` as a new partnership runs it: unattended, into an empty home, on SQLite and on
PostgreSQL; a second run, a missing value or a bad setting changes nothing."""

from __future__ import annotations

import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from oscp_flow.cli import app
from oscp_flow.settings import Settings
from oscp_flow.wiring import build
from states.services import sign_ins

PASSWORD = "a long pass phrase for the first coordinator"
FLAGS = [
    "init",
    "--yes",
    "--partnership",
    "Northdale Safeguarding Children Partnership",
    "--mail-from",
    "Learning hub <hub@northdale.example>",
    "--mail-domain",
    "northdale.example",
    "--base-url",
    "https://audits.northdale.example/",
    "--smtp-host",
    "127.0.0.1",
    "--smtp-port",
    "8025",
    "--smtp-tls",
    "none",
    "--coordinator-name",
    "Pat Fenwick",
    "--coordinator-email",
    "Pat.Fenwick@Northdale.example",
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None: SQLite in the new home; otherwise an empty PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield None
        return
    base = request.getfixturevalue("postgres_url")
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield f"{base}?options=-csearch_path%3D{schema}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _init(home: Path, *extra: str, password: str | None = PASSWORD) -> tuple[int, str]:
    env = {"OSCP_HOME": str(home), "OSCP_INIT_PASSWORD": password or ""}
    result = CliRunner().invoke(app, [*FLAGS, *extra], env=env)
    return result.exit_code, result.output


def test_an_unattended_init_sets_up_settings_database_and_coordinator(
    tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    extra = ["--database-url", database_url] if database_url else []
    code, output = _init(home, *extra)
    assert code == 0, output
    assert "import" in output and "directory" in output  # says what to do next

    written = home / "settings.env"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert PASSWORD not in written.read_text()
    monkeypatch.setenv("OSCP_HOME", str(home))
    settings = Settings()
    assert settings.partnership_name == "Northdale Safeguarding Children Partnership"
    assert settings.base_url == "https://audits.northdale.example"
    assert settings.prefect_operator == "pat.fenwick@northdale.example"
    assert settings.resolved_database_url == (database_url or f"sqlite:///{home / 'oscp.db'}")

    deps = build(settings)
    signed_in = sign_ins.authenticate(
        deps, email="pat.fenwick@northdale.example", password=PASSWORD, address="127.0.0.1"
    )
    assert signed_in is not None


def test_the_environment_overrides_the_home_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    assert _init(home)[0] == 0
    monkeypatch.setenv("OSCP_HOME", str(home))
    monkeypatch.setenv("OSCP_SMTP_PORT", "2525")
    assert Settings().smtp_port == 2525


def test_a_second_init_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _init(home)[0] == 0
    before = (home / "settings.env").read_bytes()
    code, output = _init(home, "--partnership", "Another")
    assert code == 1
    assert "already set up" in output
    assert (home / "settings.env").read_bytes() == before


def test_a_missing_value_names_its_flag_and_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    flags = [f for f in FLAGS if f not in ("--mail-domain", "northdale.example")]
    result = CliRunner().invoke(
        app, flags, env={"OSCP_HOME": str(home), "OSCP_INIT_PASSWORD": PASSWORD}
    )
    assert result.exit_code == 2
    assert "Mail domain" in result.output and "Traceback" not in result.output
    assert not home.exists()


@pytest.mark.parametrize(
    ("extra", "password", "said"),
    [
        ([], "short", "password"),
        (["--smtp-username", "relay-user"], PASSWORD, "OSCP_SMTP_USERNAME"),
        (["--smtp-tls", "sometimes"], PASSWORD, "OSCP_SMTP_TLS"),
    ],
)
def test_a_bad_value_is_one_sentence_and_leaves_no_home(
    tmp_path: Path, extra: list[str], password: str, said: str
) -> None:
    home = tmp_path / "home"
    code, output = _init(home, *extra, password=password)
    assert code == 1, output
    assert said in output and "Traceback" not in output
    assert not (home / "settings.env").exists()
    assert not (home / "oscp.db").exists()


def test_no_password_for_an_unattended_init_is_refused(tmp_path: Path) -> None:
    code, output = _init(tmp_path / "home", password=None)
    assert code == 2
    assert "OSCP_INIT_PASSWORD" in output
