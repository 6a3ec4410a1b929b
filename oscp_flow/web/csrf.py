"""CSRF protection for the forms behind links: a signed double submit, on itsdangerous.

The signed half goes in a cookie scoped to the link's own path, the plain half in the form;
a POST must bring both, the cookie's signature must be good and younger than the lifetime, and
its value must equal the form's. Scoping the cookie to one link's path lets a person keep two
links open in two tabs without one form invalidating the other.

Its own code rather than fastapi-csrf-protect's: reusing a cookie for a second tab needs the
token read back out of the cookie, which that library does only inside ``validate_csrf``, and
its check reads the form from the request's private cache. The scheme is the one it used.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "oscp_form"
FIELD = "csrf_token"
# The salt cookies have been signed with since fastapi-csrf-protect signed them: kept, so a
# form opened before an upgrade still posts after it.
SALT = "fastapi-csrf-token"


@dataclass(frozen=True)
class FormToken:
    """The value a page's form carries, and the signed cookie to set with it when new."""

    value: str
    cookie: str | None = None

    @classmethod
    def posted(cls, form: FormData) -> FormToken:
        """The token a POST brought (already checked): a page shown again keeps it."""
        value = form.get(FIELD)
        return cls(value if isinstance(value, str) else "")


class CsrfRefused(Exception):
    """The form did not come from a page this app served (or was open too long)."""


class FormTooLarge(Exception):
    """More was posted than any form here can hold."""


class LengthRequired(Exception):
    """A POST without Content-Length: browsers always send one for a form, and without it
    the body's size could only be found by reading it all."""


class FormGuard:
    def __init__(self, secret: str, *, secure_cookie: bool, lifetime_seconds: int) -> None:
        self._signer = URLSafeTimedSerializer(secret, salt=SALT)
        self._secure = secure_cookie
        self._lifetime = lifetime_seconds

    def for_page(self, cookie: str | None) -> FormToken:
        """The token for a page's form. A fresh enough cookie already in the browser is
        reused, so opening the same link in a second tab does not break the first tab's form;
        otherwise a new pair, whose signed half the response sets as the cookie."""
        if cookie:
            value = self._read(cookie, max_age=self._lifetime // 2)
            if value is not None:
                return FormToken(value)
        value = secrets.token_hex(20)
        return FormToken(value, self._signer.dumps(value))

    def _read(self, cookie: str, *, max_age: int) -> str | None:
        try:
            value = self._signer.loads(cookie, max_age=max_age)
        except BadData:
            return None
        return value if isinstance(value, str) else None

    def attach(self, response: Response, signed: str, path: str) -> None:
        response.set_cookie(
            COOKIE,
            signed,
            max_age=self._lifetime,
            path=path,
            secure=self._secure,
            httponly=True,
            # Lax, not Strict: a click from webmail is a cross-site navigation, and a Strict
            # cookie would not come with it, so every click would replace the cookie and
            # break a form already open in another tab. Lax still stays home on a
            # cross-site POST, which is what CSRF needs.
            samesite="lax",
        )

    async def checked_form(self, request: Request, *, max_bytes: int) -> FormData:
        """The posted form, once its CSRF token matches the cookie; else CsrfRefused."""
        declared = request.headers.get("content-length", "")
        if not declared.isdigit():
            raise LengthRequired()
        if int(declared) > max_bytes:
            raise FormTooLarge()
        form = await request.form(max_fields=2_000, max_part_size=max_bytes)
        self._check(request.cookies.get(COOKIE), form.get(FIELD))
        return form

    def _check(self, cookie: str | None, posted: object) -> None:
        if cookie is None:
            raise CsrfRefused("no form cookie")
        if not isinstance(posted, str) or not posted:
            raise CsrfRefused("no token in the form")
        try:
            value = self._signer.loads(cookie, max_age=self._lifetime)
        except SignatureExpired:
            raise CsrfRefused("the form cookie has expired") from None
        except BadData:
            raise CsrfRefused("the form cookie is not ours") from None
        # As bytes: compare_digest refuses a str that is not ASCII, and a form may send one.
        if not (isinstance(value, str) and hmac.compare_digest(value.encode(), posted.encode())):
            raise CsrfRefused("the form's token does not match its cookie")
