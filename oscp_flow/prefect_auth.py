"""The login of Prefect's server: one user and password for its API and its UI.

Prefect's open-source server has no accounts; it takes one basic-auth string, "user:password"
(``PREFECT_SERVER_API_AUTH_STRING``), and its clients send the same (``PREFECT_API_AUTH_STRING``);
its UI asks for that string on a login page. An operator may give their own
(``OSCP_PREFECT_AUTH_STRING``, e.g. from a secret store, the same on every machine of a
scale-out); otherwise the first process that needs it makes a random one and keeps it in
``$OSCP_HOME/secrets/prefect-login``, readable by its owner only, where every later process
of the same home finds it. It is never printed or logged: ``oscp up`` says where it is.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from oscp_flow.settings import Settings
from states.errors import InvalidInput

LOGIN_USER = "oscp"
MIN_PASSWORD = 16
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


# Where the login travels; processes that never call Prefect (the web app) are started without.
LOGIN_VARIABLES = (
    "PREFECT_SERVER_API_AUTH_STRING",
    "PREFECT_API_AUTH_STRING",
    "OSCP_PREFECT_AUTH_STRING",
)


def login_file(settings: Settings) -> Path:
    return settings.home.resolve() / "secrets" / "prefect-login"


def sign_in_hint(settings: Settings) -> str:
    """How to sign in to the UI, which asks for "user:password" in one field: where the
    login is, never the login itself (this goes to the terminal, and may go to a log)."""
    if settings.prefect_auth_string is not None:
        return "enter the login set in OSCP_PREFECT_AUTH_STRING (user:password)"
    return f"user {LOGIN_USER}; enter the whole line of {login_file(settings)} ({LOGIN_USER}:…)"


def prefect_login(settings: Settings) -> str:
    """The server's "user:password": the operator's own, or the one kept in OSCP_HOME."""
    if settings.prefect_auth_string is not None:
        return _checked(settings.prefect_auth_string.get_secret_value(), "OSCP_PREFECT_AUTH_STRING")
    path = login_file(settings)
    with contextlib.suppress(FileNotFoundError):
        return _read(path)
    return _make(path)


def _checked(login: str, where: str) -> str:
    user, colon, password = login.strip().partition(":")
    if not (user and colon and len(password) >= MIN_PASSWORD):
        raise InvalidInput(
            f"The Prefect login in {where} must read user:password, with a password of at "
            f"least {MIN_PASSWORD} characters; correct it, or remove it to have one made."
        )
    return login.strip()


def _read(path: Path) -> str:
    if path.stat().st_mode & 0o077:  # copied in with a looser mode: others must not read it
        path.chmod(PRIVATE_FILE)
    return _checked(path.read_text(encoding="utf-8"), str(path))


def _make(path: Path) -> str:
    """Written whole to a private temporary file, then linked into place: a process that
    starts at the same moment either finds the complete file or keeps its own out of it."""
    for folder in (path.parent.parent, path.parent):  # OSCP_HOME, then its secrets
        folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    path.parent.chmod(PRIVATE_FOLDER)
    login = f"{LOGIN_USER}:{secrets.token_urlsafe(32)}"
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as sink:
        sink.write(login + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        return _read(path)
    finally:
        draft.unlink()
    return login
