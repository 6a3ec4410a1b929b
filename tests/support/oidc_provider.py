"""A real OpenID Connect provider on loopback for the sign-in tests: oidc-provider-mock (a
Flask app on Authlib's server) served by werkzeug in a thread, wrapped so that it also

- enforces PKCE as a real provider does (the mock ignores it): the token endpoint refuses a
  code whose verifier does not hash to the challenge the authorization request carried;
- can misbehave on purpose, to prove the relying party's checks: an ID token for another
  audience, one already expired, or one re-signed unchanged (the control: the same path
  must succeed), each signed with a key of its own that the provider then publishes as its
  only key (a key rollover); or the provider's own token with its signature altered.

Everything else (discovery, the sign-in form, codes, tokens, keys) is the mock's own.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
from joserfc import jwt
from joserfc.jwk import RSAKey
from oidc_provider_mock import User, app
from pydantic import SecretStr
from werkzeug.serving import WSGIRequestHandler, make_server

from oscp_flow.settings import IdentityProvider

CLIENT_ID = "oscp-test-client"
CLIENT_SECRET = "not-a-real-secret"  # a test client's, known to the mock only
ROGUE_KID = "misbehaving-on-purpose"
Environ = dict[str, Any]
StartResponse = Callable[..., Any]


class Misbehaviour(StrEnum):
    NONE = "none"
    RESIGNED = "resigned"  # the control: claims unchanged, signed with the new key
    WRONG_AUDIENCE = "wrong_audience"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_NONCE = "wrong_nonce"
    EXPIRED = "expired"
    TAMPERED = "tampered"


@dataclass
class Captured:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class LoopbackProvider:
    """The provider's address and what the test may change or read while it runs."""

    issuer: str = ""
    misbehaviour: Misbehaviour = Misbehaviour.NONE
    rogue: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, {"kid": ROGUE_KID}, private=True)
    )
    challenges: dict[str, str] = field(default_factory=dict)
    token_requests: int = 0
    pkce_refusals: int = 0

    def entry(self, name: str = "northvale", label: str = "Northvale Council") -> IdentityProvider:
        """Its ``OSCP_OIDC_PROVIDERS`` entry."""
        return IdentityProvider(
            name=name,
            label=label,
            issuer=self.issuer,
            client_id=CLIENT_ID,
            client_secret=SecretStr(CLIENT_SECRET),
        )

    def __call__(self, inner: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        def wrapped(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            if path == "/oauth2/token":
                return self.token(inner, environ, start_response)
            if path == "/jwks" and self.misbehaviour in RESIGNING:
                return _json(start_response, {"keys": [self.rogue.as_dict(private=False)]})
            captured = _call(inner, environ)
            if path == "/oauth2/authorize":
                self.remember_challenge(environ, captured)
            start_response(captured.status, captured.headers)
            return [captured.body]

        return wrapped

    def remember_challenge(self, environ: Environ, captured: Captured) -> None:
        location = dict(captured.headers).get("Location", "")
        code = parse_qs(urlsplit(location).query).get("code")
        asked = parse_qs(environ.get("QUERY_STRING", ""))
        if code and asked.get("code_challenge_method") == ["S256"]:
            self.challenges[code[0]] = asked.get("code_challenge", [""])[0]

    def token(self, inner: Any, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        self.token_requests += 1
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        form = parse_qs(body.decode())
        code, verifier = form.get("code", [""])[0], form.get("code_verifier", [""])[0]
        if _s256(verifier) != self.challenges.pop(code, None):
            self.pkce_refusals += 1
            return _json(start_response, {"error": "invalid_grant"}, "400 Bad Request")
        environ["wsgi.input"] = io.BytesIO(body)
        captured = _call(inner, environ)
        answer = json.loads(captured.body)
        if "id_token" in answer:
            answer["id_token"] = self.altered(answer["id_token"])
        return _json(start_response, answer, captured.status)

    def altered(self, id_token: str) -> str:
        if self.misbehaviour is Misbehaviour.NONE:
            return id_token
        if self.misbehaviour is Misbehaviour.TAMPERED:
            head, payload, signature = id_token.split(".")
            middle = len(signature) // 2
            flipped = "A" if signature[middle] != "A" else "B"
            return f"{head}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"
        claims = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))
        if self.misbehaviour is Misbehaviour.WRONG_AUDIENCE:
            claims["aud"] = ["someone-elses-client"]
        elif self.misbehaviour is Misbehaviour.WRONG_ISSUER:
            claims["iss"] = "https://issuer.example.net"
        elif self.misbehaviour is Misbehaviour.WRONG_NONCE:
            claims["nonce"] = "a-nonce-from-another-sign-in"
        elif self.misbehaviour is Misbehaviour.EXPIRED:
            # An hour before it was issued: its own times, so no clock is read here.
            claims["iat"], claims["exp"] = claims["iat"] - 7200, claims["iat"] - 3600
        header = {"alg": "RS256", "kid": ROGUE_KID}
        return jwt.encode(header, claims, self.rogue)


# Every misbehaviour but tampering signs its token anew, with the key published instead.
RESIGNING = frozenset(set(Misbehaviour) - {Misbehaviour.NONE, Misbehaviour.TAMPERED})


class _Quiet(WSGIRequestHandler):
    """No request lines on the test's output (they would carry codes and states)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


@contextmanager
def oidc_provider(users: Sequence[User], *, host: str = "127.0.0.1") -> Iterator[LoopbackProvider]:
    """The provider on a free port of 127.0.0.1, named ``host`` in its issuer (``localhost``
    puts it on another site than an app on 127.0.0.1, as a real provider is)."""
    provider = LoopbackProvider()
    served = provider(app(require_nonce=True, user_claims=users))
    server = make_server("127.0.0.1", 0, served, threaded=True, request_handler=_Quiet)
    provider.issuer = f"http://{host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


def sign_in_at_provider(authorize_url: str, sub: str) -> str:
    """What the person's browser does at the provider: choose who signs in. Returns the
    address the provider sends the browser back to (the callback, with code and state)."""
    answer = httpx2.post(authorize_url, data={"sub": sub}, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def deny_at_provider(authorize_url: str) -> str:
    """The person presses Deny at the provider: the way back carries an error, no code."""
    answer = httpx2.post(authorize_url, data={"action": "deny"}, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    return answer.headers["Location"]


def person(sub: str, email: str, *, verified: bool | None = True) -> User:
    claims: dict[str, object] = {"email": email}
    if verified is not None:
        claims["email_verified"] = verified
    return User(sub=sub, claims=claims)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _call(inner: Callable[..., Iterable[bytes]], environ: Environ) -> Captured:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        seen["status"], seen["headers"] = status, headers

    body = b"".join(inner(environ, start_response))
    return Captured(seen["status"], seen["headers"], body)


def _json(
    start_response: StartResponse, content: object, status: str = "200 OK"
) -> Iterable[bytes]:
    body = json.dumps(content).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
