"""Signing in to the web app through a test client, as the sign-in form is used."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx2 import Response

from oscp_flow.web.session import COOKIE as SESSION
from tests.oscp_flow.web.support import csrf_of

PASSWORD = "a long demo passphrase"


def sign_in(client: TestClient, who: str, password: str = PASSWORD, **extra: str) -> Response:
    """A fresh sign-in (a signed-in person opening /signin is sent on to the board)."""
    client.cookies.delete(SESSION)
    token = csrf_of(client.get("/signin").text)
    form = {"csrf_token": token, "email": who, "password": password, **extra}
    return client.post("/signin", data=form, follow_redirects=False)


def signed_in(client: TestClient) -> bool:
    response = client.get("/board", follow_redirects=False)
    return response.status_code == 200
