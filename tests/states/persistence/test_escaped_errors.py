"""A database library's error that reaches an entry point is said in the engine's words, so
the CLI and the web need not import the library to tell a person what happened."""

from __future__ import annotations

import sqlite3

import psycopg.errors
from sqlalchemy.exc import IntegrityError, OperationalError

from states.errors import InvalidInput, StoreUnavailable
from states.persistence.db import escaped_error

POSTGRES = "postgresql+psycopg://oscp@db.example.org:5433/oscp"


def _no_url() -> str:
    raise AssertionError("the database's address was not needed")


def test_a_broken_constraint_is_one_sentence_and_needs_no_settings() -> None:
    broken = IntegrityError("INSERT ...", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))
    said = escaped_error(broken, _no_url)
    assert isinstance(said, InvalidInput)
    assert str(said).startswith("that would duplicate a record that already exists")


def test_a_store_that_cannot_be_used_says_why() -> None:
    lost = OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown("terminating"))
    said = escaped_error(lost, lambda: POSTGRES)
    assert isinstance(said, StoreUnavailable) and said.retryable


def test_anything_else_is_a_bug_and_left_as_it_is() -> None:
    assert escaped_error(ValueError("a bug"), _no_url) is None
