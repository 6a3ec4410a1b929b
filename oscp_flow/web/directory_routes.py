"""The directory's routes on the coordinator pages, behind the same session and CSRF guard.

Thin, as every route here: check the form (size, then token), find the session, then run the
page's blocking work in the thread pool. An upload too large for a directory is answered with
the upload page saying the limit, before any of it is read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from oscp_flow.excel.directory_writer import template
from oscp_flow.web import (
    directory_edits,
    directory_forms,
    directory_import,
    directory_pages,
    directory_uploads,
)
from oscp_flow.web.context import WebContext
from oscp_flow.web.csrf import FormTooLarge
from oscp_flow.web.directory_links import DirectoryLinks
from states.errors import NotFound
from states.rules.directory import Part
from states.services import directory
from states.services.web_sessions import Viewer

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOO_BIG = (
    f"The file is larger than {directory_import.LIMIT_TEXT}, the most a directory file may be; "
    "nothing was read or stored. A directory is far smaller: check it is the right file."
)
# Parts with a page of their own per entry; people have theirs at /people/ID.
ENTRY_PARTS = {p.value: p for p in (Part.AGENCIES, Part.SETTINGS, Part.BODIES)}

SignedIn = Callable[[Request, Callable[[Viewer], Response]], Awaitable[Response]]


class DirectoryRoutes:
    def __init__(self, ctx: WebContext, signed_in: SignedIn) -> None:
        self.ctx = ctx
        self.signed_in = signed_in
        self.links = DirectoryLinks(ctx.pages.paths.prefix)

    def add_to(self, router: APIRouter) -> None:
        reading = ["GET", "HEAD"]
        router.add_api_route("/directory", self.overview, methods=reading)
        router.add_api_route("/directory/log", self.log, methods=reading)
        router.add_api_route("/directory/template.xlsx", self.template, methods=reading)
        router.add_api_route("/directory/import", self.upload_page, methods=reading)
        router.add_api_route("/directory/import", self.upload, methods=["POST"])
        router.add_api_route("/directory/import/confirm", self.confirm, methods=["POST"])
        router.add_api_route("/directory/import/done", self.done, methods=reading)
        # Before the entries' own addresses, which would take "add" for a part.
        router.add_api_route("/directory/add/{part}", self.add_page, methods=reading)
        router.add_api_route("/directory/add/{part}", self.add, methods=["POST"])
        router.add_api_route("/directory/change/{part}/{key}", self.change_page, methods=reading)
        router.add_api_route("/directory/change/{part}/{key}", self.change_entry, methods=["POST"])
        router.add_api_route("/people/change/{person}", self.person_page, methods=reading)
        router.add_api_route("/people/change/{person}", self.change_person, methods=["POST"])
        router.add_api_route("/directory/{part}", self.part, methods=reading)
        router.add_api_route("/directory/{part}/{key}", self.entry, methods=reading)
        router.add_api_route("/directory/{part}/{key}", self.change, methods=["POST"])
        router.add_api_route("/directory/bodies/{key}/members", self.members, methods=["POST"])
        router.add_api_route("/people", self.people, methods=reading)

    async def _show(self, request: Request, show: Callable[[Viewer], Response]) -> Response:
        return await self.signed_in(request, show)

    async def overview(self, request: Request) -> Response:
        return await self._show(request, lambda v: directory_pages.overview(self.ctx, v))

    async def log(self, request: Request) -> Response:
        return await self._show(request, lambda v: directory_pages.log_page(self.ctx, v))

    async def people(self, request: Request) -> Response:
        query = dict(request.query_params)
        return await self._show(
            request, lambda v: directory_pages.part_page(self.ctx, v, Part.PEOPLE, query)
        )

    async def part(self, request: Request, part: str) -> Response:
        if part == Part.PEOPLE:
            return RedirectResponse(self.links.part(Part.PEOPLE), status_code=303)
        found = ENTRY_PARTS.get(part)
        if found is None:
            raise NotFound("part of the directory", part[:20])
        query = dict(request.query_params)
        return await self._show(
            request, lambda v: directory_pages.part_page(self.ctx, v, found, query)
        )

    async def entry(self, request: Request, part: str, key: str) -> Response:
        found = _entry_part(part)
        done = request.query_params.get("done")
        return await self._show(
            request, lambda v: directory_pages.entry_page(self.ctx, v, found, key, done=done)
        )

    async def change(self, request: Request, part: str, key: str) -> Response:
        form = await self.ctx.guard.checked_form(request, max_bytes=directory_pages.FORM_BYTES)
        found = _entry_part(part)
        return await self._show(
            request, lambda v: directory_pages.set_active(self.ctx, v, found, key, form)
        )

    async def members(self, request: Request, key: str) -> Response:
        form = await self.ctx.guard.checked_form(request, max_bytes=directory_pages.FORM_BYTES)
        return await self._show(
            request, lambda v: directory_pages.membership(self.ctx, v, key, form)
        )

    async def add_page(self, request: Request, part: str) -> Response:
        found = _added_part(part)
        return await self._show(request, lambda v: directory_edits.add_page(self.ctx, v, found))

    async def add(self, request: Request, part: str) -> Response:
        form = await self.ctx.guard.checked_form(request, max_bytes=directory_forms.FORM_BYTES)
        found = _added_part(part)
        return await self._show(request, lambda v: directory_edits.add(self.ctx, v, found, form))

    async def change_page(self, request: Request, part: str, key: str) -> Response:
        found = _entry_part(part)
        return await self._show(
            request, lambda v: directory_edits.change_page(self.ctx, v, found, key)
        )

    async def change_entry(self, request: Request, part: str, key: str) -> Response:
        form = await self.ctx.guard.checked_form(request, max_bytes=directory_forms.FORM_BYTES)
        found = _entry_part(part)
        return await self._show(
            request, lambda v: directory_edits.change(self.ctx, v, found, key, form)
        )

    async def person_page(self, request: Request, person: str) -> Response:
        person_id = _person_id(person)
        return await self._show(
            request,
            lambda v: directory_edits.change_page(self.ctx, v, Part.PEOPLE, "", person_id),
        )

    async def change_person(self, request: Request, person: str) -> Response:
        form = await self.ctx.guard.checked_form(request, max_bytes=directory_forms.FORM_BYTES)
        person_id = _person_id(person)
        return await self._show(
            request,
            lambda v: directory_edits.change(
                self.ctx, v, Part.PEOPLE, "", form, person_id=person_id
            ),
        )

    async def template(self, request: Request) -> Response:
        def download(viewer: Viewer) -> Response:
            directory.snapshot(self.ctx.deps, viewer=viewer.id)  # coordinators only
            disposition = 'attachment; filename="directory-template.xlsx"'
            return Response(
                template(), media_type=XLSX_TYPE, headers={"Content-Disposition": disposition}
            )

        return await self._show(request, download)

    async def upload_page(self, request: Request) -> Response:
        return await self._show(request, lambda v: directory_import.upload_page(self.ctx, v))

    async def upload(self, request: Request) -> Response:
        try:
            form = await self.ctx.guard.checked_form(
                request, max_bytes=directory_import.UPLOAD_BYTES
            )
        except FormTooLarge:
            return await self._show(
                request,
                lambda v: directory_import.upload_page(self.ctx, v, problems=[TOO_BIG], status=413),
            )
        given = [
            directory_uploads.Given(item.filename or "", await item.read())
            for item in form.getlist("file")
            if isinstance(item, UploadFile) and (item.filename or item.size)
        ]
        return await self._show(request, lambda v: directory_import.dry_run(self.ctx, v, given))

    async def confirm(self, request: Request) -> Response:
        form = await self.ctx.guard.checked_form(request, max_bytes=directory_import.CONFIRM_BYTES)
        return await self._show(request, lambda v: directory_import.confirm(self.ctx, v, form))

    async def done(self, request: Request) -> Response:
        query = dict(request.query_params)
        return await self._show(request, lambda v: directory_import.done_page(self.ctx, v, query))


def _entry_part(part: str) -> Part:
    found = ENTRY_PARTS.get(part)
    if found is None:
        raise NotFound("part of the directory", part[:20])
    return found


def _added_part(part: str) -> Part:
    if part not in set(Part):
        raise NotFound("part of the directory", part[:20])
    return Part(part)


def _person_id(person: str) -> int:
    if not person.isdigit() or len(person) > 9:
        raise NotFound("person", person[:12])
    return int(person)
