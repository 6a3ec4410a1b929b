"""The coordinator pages' routes: sign in and out, the board, one audit (where the learning
hub reviews actions' evidence), the theme view.

Only coordinators and learning hub members sign in (``oscp user password`` gives them a
password); agencies act by link and have no way in here. Every page asks for the session
first and sends anyone without one to the sign-in page, before any audit is looked up, so
an unknown reference and a real one look the same from outside. Sign-in and sign-out are
POST forms behind the same CSRF guard as the link forms; sign-in has its own rate limit per
address, and wrong passwords slow down the (account, address) pair they come from
(``states.services.sign_ins``), never the owner elsewhere. Sessions live on the server
(``oscp_flow.web.session``): signing out ends them for every copy of the cookie.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar, cast

from fastapi import APIRouter
from slowapi import Limiter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from oscp_flow.web import action_forms, people_pages
from oscp_flow.web import coordinator_views as views
from oscp_flow.web.context import WebContext
from oscp_flow.web.csrf import COOKIE as FORM_COOKIE
from oscp_flow.web.csrf import FormToken
from oscp_flow.web.cycle import work
from oscp_flow.web.cycle.routes import add_cycle_routes
from oscp_flow.web.directory_routes import DirectoryRoutes
from oscp_flow.web.return_form import ErrorLink
from oscp_flow.web.session import Sessions
from states.errors import HashingBusy, NotFound, TooSoon, WeakPassword
from states.rules.passwords import HashingSlots
from states.services import credentials, sign_ins, web_sessions
from states.services.web_sessions import Viewer

if TYPE_CHECKING:
    from oscp_flow.web.oidc import ProviderLink

Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Response]])
log = logging.getLogger("oscp_flow.web.coordinator")
SIGN_IN_FORM_BYTES = 4_000
WRONG_CURRENT = (
    "That is not your current password. "
    "After a few wrong tries, each further try from here has to wait a little longer."
)
REVIEW_FORM_BYTES = 20_000  # a reason of up to 4,000 characters, encoded
# Where sign-in may send a person back to: only these pages, never another site.
NEXT = re.compile(
    r"/(board|themes|work|audits/[A-Za-z0-9_-]{1,40}(/(?!do/|actions/)[a-z-]{1,20}(/[A-Za-z0-9_-]{1,40})?)?"
    r"|people(/[0-9]{1,9})?"
    r"|directory(/(agencies|settings|bodies|log|import))?)"
)
REFUSED = (
    "The e-mail address and password do not match an account that can sign in here. "
    "After a few wrong tries, each further try from here has to wait a little longer."
)
# Said whether or not the address has an account: any typed address is held back alike.
TOO_SOON = (
    "Several wrong passwords have been tried for this e-mail address from here. "
    "Wait a moment before trying again."
)
BUSY = "Signing in is busy just now, with many people trying at once; try again in a minute."
BUSY_RETRY_SECONDS = 60


def build_coordinator_router(
    ctx: WebContext,
    limiter: Limiter,
    *,
    secure_cookies: bool,
    hashing: HashingSlots,
    providers: Sequence[ProviderLink] = (),
) -> APIRouter:
    pages = CoordinatorPages(
        ctx, secure_cookies=secure_cookies, hashing=hashing, providers=providers
    )
    limit = cast(
        Callable[[Endpoint], Endpoint],
        limiter.shared_limit(ctx.config.signin_rate_limit, scope="signin"),
    )
    router = APIRouter()
    reading = ["GET", "HEAD"]
    router.add_api_route("/signin", pages.sign_in_page, methods=reading)
    router.add_api_route("/signin", limit(pages.sign_in), methods=["POST"])
    router.add_api_route("/signout", pages.sign_out, methods=["POST"])
    router.add_api_route("/board", pages.board, methods=reading)
    add_cycle_routes(router, ctx, pages.signed_in)
    router.add_api_route("/audits/{reference}", pages.audit, methods=reading)
    router.add_api_route(
        "/audits/{reference}/actions/{number}/review", pages.review, methods=["POST"]
    )
    router.add_api_route("/audits/{reference}/actions/new", pages.add_action, methods=["POST"])
    router.add_api_route("/themes", pages.themes, methods=reading)
    DirectoryRoutes(ctx, pages.signed_in).add_to(router)
    router.add_api_route("/people/{person}", pages.person, methods=reading)
    router.add_api_route("/people/{person}", pages.change_person, methods=["POST"])
    router.add_api_route("/account/password", pages.password_page, methods=reading)
    router.add_api_route("/account/password", limit(pages.change_password), methods=["POST"])
    return router


class CoordinatorPages:
    def __init__(
        self,
        ctx: WebContext,
        *,
        secure_cookies: bool,
        hashing: HashingSlots,
        providers: Sequence[ProviderLink] = (),
    ) -> None:
        self.ctx = ctx
        self.links = views.Links(ctx.pages.paths.prefix)
        self.hashing = hashing
        # Organisations' identity providers, shown above the password form (``oidc``).
        self.providers = providers
        self.sessions = Sessions(
            ctx.config.session_secret.get_secret_value(),
            deps=ctx.deps,
            lifetime=timedelta(seconds=ctx.config.session_lifetime_seconds),
            secure=secure_cookies,
            path=f"{self.links.prefix}/",
        )

    def _who(self, request: Request) -> Viewer | None:
        session_id = self.sessions.read(request)
        if session_id is None:
            return None
        return web_sessions.viewer(self.ctx.deps, session_id=session_id)

    async def signed_in(self, request: Request, show: Callable[[Viewer], Response]) -> Response:
        """The page for a signed-in person; for anyone else, the way to sign in."""
        viewer = await run_in_threadpool(self._who, request)
        if viewer is not None:
            return await run_in_threadpool(show, viewer)
        path = request.url.path.removeprefix(self.links.prefix)
        target = self.links.signin + (f"?next={path}" if NEXT.fullmatch(path) else "")
        return RedirectResponse(target, status_code=303)

    async def board(self, request: Request) -> Response:
        return await self.signed_in(request, lambda v: views.board_page(self.ctx, v))

    async def audit(self, request: Request, reference: str) -> Response:
        done = _done(request)
        return await self.signed_in(
            request, lambda v: views.audit_page(self.ctx, v, reference, done=done)
        )

    async def review(self, request: Request, reference: str, number: str) -> Response:
        form = await self.ctx.guard.checked_form(request, max_bytes=REVIEW_FORM_BYTES)
        if not number.isdigit() or len(number) > 5:
            raise NotFound("action", f"{reference} #{number[:8]}")
        return await self.signed_in(
            request, lambda v: action_forms.review_action(self.ctx, v, reference, int(number), form)
        )

    async def add_action(self, request: Request, reference: str) -> Response:
        form = await self.ctx.guard.checked_form(request, max_bytes=REVIEW_FORM_BYTES)
        return await self.signed_in(
            request, lambda v: action_forms.add_action(self.ctx, v, reference, form)
        )

    async def themes(self, request: Request) -> Response:
        return await self.signed_in(request, lambda v: views.themes_page(self.ctx, v))

    async def person(self, request: Request, person: str) -> Response:
        person_id = _person_id(person)
        done = people_pages.done_from(request.query_params)
        return await self.signed_in(
            request, lambda v: people_pages.person_page(self.ctx, v, person_id, done=done)
        )

    async def change_person(self, request: Request, person: str) -> Response:
        form = await self.ctx.guard.checked_form(request, max_bytes=people_pages.FORM_BYTES)
        person_id = _person_id(person)
        return await self.signed_in(
            request, lambda v: people_pages.change(self.ctx, v, person_id, form)
        )

    async def password_page(self, request: Request) -> Response:
        changed = request.query_params.get("changed") == "1"
        return await self.signed_in(
            request, lambda v: views.password_page(self.ctx, v, changed=changed)
        )

    async def change_password(self, request: Request) -> Response:
        """The current password, then the new one twice. Success ends every other session of
        the person on the server and keeps this one."""
        form = await self.ctx.guard.checked_form(request, max_bytes=SIGN_IN_FORM_BYTES)
        viewer = await run_in_threadpool(self._who, request)
        if viewer is None:
            return RedirectResponse(self.links.signin, status_code=303)
        current, new = str(form.get("current", "")), str(form.get("new", ""))
        errors = _password_problems(current, new, str(form.get("again", "")))
        if errors:
            return await run_in_threadpool(views.password_page, self.ctx, viewer, errors=errors)
        try:
            changed = await run_in_threadpool(
                credentials.change_password,
                self.ctx.deps,
                viewer=viewer,
                current=current,
                new=new,
                address=_address(request),
                slots=self.hashing,
            )
        except WeakPassword as weak:
            errors = {"new": str(weak)}
        except (TooSoon, HashingBusy) as held:
            page = await run_in_threadpool(
                views.password_page, self.ctx, viewer, errors={"current": _held_message(held)}
            )
            return _held(page, held)
        else:
            if not changed:
                errors = {"current": WRONG_CURRENT}
        if errors:
            return await run_in_threadpool(views.password_page, self.ctx, viewer, errors=errors)
        log.info("person %d changed their password", viewer.id)
        return RedirectResponse(f"{self.links.password}?changed=1", status_code=303)

    async def sign_in_page(self, request: Request) -> Response:
        if await run_in_threadpool(self._who, request) is not None:
            return RedirectResponse(self.links.board, status_code=303)
        # The browser sends back only a cookie scoped to /signin, never a link's.
        form_token = self.ctx.guard.for_page(request.cookies.get(FORM_COOKIE))
        return _sign_in_form(
            self.ctx,
            self.links,
            form_token,
            _next(request.query_params.get("next")),
            signed_out=request.query_params.get("signed_out") == "1",
            providers=self.providers,
        )

    async def sign_in(self, request: Request) -> Response:
        form = await self.ctx.guard.checked_form(request, max_bytes=SIGN_IN_FORM_BYTES)
        email, password = str(form.get("email", "")), str(form.get("password", ""))
        next_page = _next(form.get("next"))
        errors = _missing(email, password)
        found = None
        refusal = {"email": REFUSED}
        held: TooSoon | HashingBusy | None = None
        if not errors:
            try:
                found = await run_in_threadpool(
                    sign_ins.authenticate,
                    self.ctx.deps,
                    email=email,
                    password=password,
                    address=_address(request),
                    slots=self.hashing,
                )
            except (TooSoon, HashingBusy) as refused:
                held, refusal = refused, {"email": _held_message(refused)}
        if found is None:
            log.info("sign-in refused")
            page = _sign_in_form(
                self.ctx,
                self.links,
                FormToken.posted(form),
                next_page,
                email=email,
                errors=errors or refusal,
                providers=self.providers,
            )
            return page if held is None else _held(page, held)
        log.info("person %d signed in", found.person_id)
        target = (
            f"{self.links.prefix}{next_page}"
            if next_page
            else await run_in_threadpool(work.landing, self.ctx, found.person_id)
        )
        response = RedirectResponse(target, status_code=303)
        await run_in_threadpool(self.sessions.start, request, response, found.person_id)
        return response

    async def sign_out(self, request: Request) -> Response:
        """Ends the session on the server, so a copy of the cookie is worth nothing."""
        await self.ctx.guard.checked_form(request, max_bytes=SIGN_IN_FORM_BYTES)
        response = RedirectResponse(f"{self.links.signin}?signed_out=1", status_code=303)
        person_id = await run_in_threadpool(self.sessions.end, request, response)
        if person_id is not None:
            log.info("person %d signed out", person_id)
        return response


def _address(request: Request) -> str:
    """The client's network address, as the server (and any trusted proxy) saw it."""
    return request.client.host if request.client is not None else "unknown"


def _held_message(held: TooSoon | HashingBusy) -> str:
    return TOO_SOON if isinstance(held, TooSoon) else BUSY


def _held(response: HTMLResponse, held: TooSoon | HashingBusy) -> Response:
    """The form again, saying when to come back: 429 for this pair's wait, 503 when hashing
    is full (a flood of sign-ins), each with ``Retry-After``."""
    if isinstance(held, TooSoon):
        response.status_code = 429
        response.headers["Retry-After"] = str(max(1, math.ceil(held.wait.total_seconds())))
    else:
        response.status_code = 503
        response.headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
    return response


def _person_id(person: str) -> int:
    if not person.isdigit() or len(person) > 9:
        raise NotFound("person", person[:12])
    return int(person)


def _missing(email: str, password: str) -> dict[str, str]:
    errors = {}
    if not email.strip():
        errors["email"] = "Enter your e-mail address."
    if not password:
        errors["password"] = "Enter your password."  # noqa: S105 (a message, not a password)
    return errors


def _done(request: Request) -> views.Done | None:
    """What the last action form did, from the address it sent the browser back to."""
    for what in ("accepted", "sent_back", "added"):
        wanted = request.query_params.get(what, "")
        if wanted.isdigit() and len(wanted) < 6:
            return views.Done(what, int(wanted))
    return None


def _password_problems(current: str, new: str, again: str) -> dict[str, str]:
    errors = {}
    if not current:
        errors["current"] = "Enter your current password."
    if not new:
        errors["new"] = "Enter a new password."
    elif new != again:
        errors["again"] = "The new password and its repeat differ; type them again."
    return errors


def _next(wanted: object) -> str:
    """A page to return to after signing in (from the query or the form): only known pages."""
    return wanted if isinstance(wanted, str) and NEXT.fullmatch(wanted) else ""


def _sign_in_form(
    ctx: WebContext,
    links: views.Links,
    form_token: FormToken,
    next_page: str,
    *,
    email: str = "",
    errors: dict[str, str] | None = None,
    signed_out: bool = False,
    providers: Sequence[ProviderLink] = (),
) -> HTMLResponse:
    response = ctx.pages.render(
        "signin.html",
        400 if errors else 200,
        title="Sign in",
        links=links,
        csrf=form_token.value,
        next_page=next_page,
        email=email,
        errors=errors or {},
        summary=[ErrorLink(f"#{name}", text) for name, text in (errors or {}).items()],
        signed_out=signed_out,
        providers=providers,
    )
    if form_token.cookie is not None:
        ctx.guard.attach(response, form_token.cookie, links.signin)
    return response
