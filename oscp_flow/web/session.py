"""The signed-in session of a coordinator or learning hub member: one signed cookie.

The cookie holds the person's id, the stamp of the password they signed in with and when
they did, signed with ``OSCP_WEB_SESSION_SECRET``; nothing is stored server-side. Its age is
checked against the engine's clock (not the signer's own timestamp, which reads the system
time), so tests can move time on. It is HttpOnly and SameSite=Strict: no script reads it and
no other site's page can send it, and it is Secure whenever the base URL is https. A link
cookie (the CSRF half of an agency's form) is a different cookie and grants nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

from oscp_flow.accounts import SignedIn
from states.clock import Clock

COOKIE = "oscp_session"
SALT = "oscp-coordinator-session"
# A little tolerance for clocks on two servers behind one address disagreeing.
SKEW = timedelta(minutes=1)


@dataclass(frozen=True)
class Session:
    person_id: int
    stamp: str
    signed_in_at: datetime


class Sessions:
    def __init__(
        self, secret: str, *, clock: Clock, lifetime: timedelta, secure: bool, path: str
    ) -> None:
        self._signer = URLSafeSerializer(secret, salt=SALT)
        self._clock = clock
        self._lifetime = lifetime
        self._secure = secure
        self._path = path

    def start(self, response: Response, signed_in: SignedIn) -> None:
        issued = int(self._clock.now().timestamp())
        value = self._signer.dumps([signed_in.person_id, signed_in.stamp, issued])
        response.set_cookie(
            COOKIE,
            value,
            max_age=int(self._lifetime.total_seconds()),
            path=self._path,
            secure=self._secure,
            httponly=True,
            samesite="strict",
        )

    def end(self, response: Response) -> None:
        response.delete_cookie(
            COOKIE, path=self._path, secure=self._secure, httponly=True, samesite="strict"
        )

    def read(self, request: Request) -> Session | None:
        """The request's session, if its signature holds and it is not too old."""
        value = request.cookies.get(COOKIE)
        if not value:
            return None
        try:
            person_id, stamp, issued = self._signer.loads(value)
        except (BadSignature, TypeError, ValueError):
            return None
        if not (isinstance(person_id, int) and isinstance(stamp, str) and isinstance(issued, int)):
            return None
        now = self._clock.now()
        signed_in_at = datetime.fromtimestamp(issued, now.tzinfo)
        if not now - self._lifetime < signed_in_at <= now + SKEW:
            return None
        return Session(person_id, stamp, signed_in_at)
