"""CSRF protection for the forms behind links, by fastapi-csrf-protect (double submit).

The signed half goes in a cookie scoped to the link's own path, the plain half in the form;
a POST must bring both. Scoping the cookie to one link's path lets a person keep two links
open in two tabs without one form invalidating the other. Each app gets its own subclass of
``CsrfProtect``, because the library keeps its configuration on the class.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi_csrf_protect import CsrfProtect
from fastapi_csrf_protect.exceptions import CsrfProtectError
from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "oscp_form"
FIELD = "csrf_token"
# fastapi-csrf-protect's own salt (its core.py), needed to read back a cookie it signed;
# tests/oscp_flow/web pins the behaviour, so a library change that moves it fails loudly.
LIBRARY_SALT = "fastapi-csrf-token"


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
        class _LinkForms(CsrfProtect):
            pass

        _LinkForms.load_config(
            lambda: [
                ("secret_key", secret),
                ("token_location", "body"),
                ("token_key", FIELD),
                ("cookie_key", COOKIE),
                ("cookie_samesite", "lax"),
                ("cookie_secure", secure_cookie),
                ("httponly", True),
                ("max_age", lifetime_seconds),
            ]
        )
        self._protect = _LinkForms()
        self._reader = URLSafeTimedSerializer(secret, salt=LIBRARY_SALT)
        self._secure = secure_cookie
        self._lifetime = lifetime_seconds

    def for_page(self, cookie: str | None) -> FormToken:
        """The token for a page's form. A fresh enough cookie already in the browser is
        reused, so opening the same link in a second tab does not break the first tab's form;
        otherwise a new pair, whose signed half the response sets as the cookie."""
        if cookie:
            try:
                value = self._reader.loads(cookie, max_age=self._lifetime // 2)
            except BadData:
                value = None
            if isinstance(value, str):
                return FormToken(value)
        value, signed = self._protect.generate_csrf_tokens()
        return FormToken(value, signed)

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
        # Parsed first so the library finds it cached on the request (it reads ``_form``).
        form = await request.form(max_fields=2_000, max_part_size=max_bytes)
        try:
            await self._protect.validate_csrf(request)
        except CsrfProtectError as refused:
            raise CsrfRefused(type(refused).__name__) from None
        return form
