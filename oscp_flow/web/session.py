"""The signed-in session of a coordinator or learning hub member: a cookie naming a session
kept on the server.

The cookie holds only a random session id (256 bits), signed with
``OSCP_WEB_SESSION_SECRET``; the server keeps its SHA-256 in ``web_session`` with the person,
its expiry and whether it has ended (``states.services.web_sessions``), and each request
looks it up, so signing out — or a password change, losing the role, deactivation — ends
it for every copy of the cookie at once. The signature is a second lock: a guessed or
made-up cookie is refused before the database is asked. It is HttpOnly and SameSite=Strict:
no script reads it and no other site's page can send it, and it is Secure whenever the base
URL is https. A link cookie (the CSRF half of an agency's form) is a different cookie and
grants nothing here.
"""

from __future__ import annotations

from datetime import timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

from states.services import web_sessions
from states.services.deps import Deps

COOKIE = "oscp_session"
SALT = "oscp-coordinator-session"


class Sessions:
    def __init__(
        self, secret: str, *, deps: Deps, lifetime: timedelta, secure: bool, path: str
    ) -> None:
        self._signer = URLSafeSerializer(secret, salt=SALT)
        self._deps = deps
        self._lifetime = lifetime
        self._secure = secure
        self._path = path

    def start(self, request: Request, response: Response, person_id: int) -> None:
        """A new session on the server, and its cookie on ``response``. A session the browser
        already had ends: the cookie is overwritten, and a copy of it must not live on."""
        earlier = self.read(request)
        if earlier is not None:
            web_sessions.end(self._deps, session_id=earlier, why="signed_in_again")
        session_id = web_sessions.start(self._deps, person_id=person_id, lifetime=self._lifetime)
        response.set_cookie(
            COOKIE,
            self._signer.dumps(session_id),
            max_age=int(self._lifetime.total_seconds()),
            path=self._path,
            secure=self._secure,
            httponly=True,
            samesite="strict",
        )

    def end(self, request: Request, response: Response) -> int | None:
        """End the request's session on the server and drop its cookie; returns the person
        it was for, if it was still going."""
        session_id = self.read(request)
        ended = None
        if session_id is not None:
            ended = web_sessions.end(self._deps, session_id=session_id, why="signed_out")
        response.delete_cookie(
            COOKIE, path=self._path, secure=self._secure, httponly=True, samesite="strict"
        )
        return ended

    def read(self, request: Request) -> str | None:
        """The session id the request's cookie carries, if its signature holds; whether the
        session is still going is the server's to say (``web_sessions.viewer``)."""
        value = request.cookies.get(COOKIE)
        if not value:
            return None
        try:
            session_id = self._signer.loads(value)
        except (BadSignature, TypeError, ValueError):
            return None
        return session_id if isinstance(session_id, str) else None
