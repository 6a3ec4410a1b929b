"""A database's error that no service turned into the engine's own is still one line for a
person, with the exit code of a mistake they can put right, never a traceback."""

from __future__ import annotations

import sqlite3

import pytest
import typer
from sqlalchemy.exc import IntegrityError

from oscp_flow.cli.common import plain_errors


def test_the_cli_says_a_broken_constraint_in_one_line_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = IntegrityError("INSERT ...", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))
    with pytest.raises(typer.Exit) as stopped, plain_errors():
        raise broken
    assert stopped.value.exit_code == 1
    said = capsys.readouterr().err
    assert "would duplicate a record" in said and "Traceback" not in said
