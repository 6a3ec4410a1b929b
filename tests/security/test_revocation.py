"""Finding 5: a person or a role can be removed, and what they held stops working at once.

A coordinator removes a person (deactivation) or one of their roles, with a reason. Their
unused links are withdrawn (all of them for a person; for a role, those the role made valid),
their signed-in sessions end, and what they still owed is listed for reassigning. Every link
also re-checks its holder on every read and write, so a person changed some other way (an
agency moved, a role taken away directly) is refused too, on either store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner, Result

from oscp_flow.cli import app as cli
from oscp_flow.settings import Settings
from states.clock import FakeClock
from states.errors import InvalidInput, PermissionDenied, TokenRevoked
from states.persistence import tables as t
from states.persistence import tokens
from states.persistence.uow import UnitOfWorkFactory
from states.persistence.vocabulary import LinkPurpose
from states.rules.catalogue import Catalogue
from states.services import (
    action_links,
    audits,
    bodies,
    credentials,
    letters,
    links,
    minting,
    people,
    sign_ins,
    work,
)
from states.services.deps import Deps
from states.services.partnership import add_person
from tests.oscp_flow.web.support import action_link, csrf_of, mint, person
from tests.support.accessibility import axe_violations
from tests.support.browser import chromium, follow, serving
from tests.support.browser import sign_in as browser_sign_in
from tests.support.driver import drive
from tests.support.partnership import (
    agency_name,
    email,
    give_passwords,
    person_name,
    seed_partnership,
)
from tests.support.ports import bound, port_of
from tests.support.reporting import letters_of, s175_with_letters
from tests.support.web import PASSWORD, sign_in, signed_in
from tests.support.web_clients import Clients

REASON = "Left the partnership at the end of March"
COORDINATOR = email("coordinator")


@dataclass(frozen=True)
class Held:
    """A link someone holds, and how the page behind it is read and how it is acted on."""

    holder: str
    token: str
    read: Callable[[], object]
    act: Callable[[], object]


def _return(deps: Deps) -> Held:
    reference = drive(deps, "section_11", to="returns_open").reference
    token = mint(deps, LinkPurpose.RETURN, reference, "lead.police")
    return Held(
        "lead.police",
        token,
        lambda: links.link_page_returns(deps, token),
        lambda: links.save_return(deps, token, case=None, answers={}, submit=False),
    )


def _sign_off(deps: Deps) -> Held:
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    token = mint(deps, LinkPurpose.SIGN_OFF, reference, "lhm")
    return Held(
        "lhm",
        token,
        lambda: links.open_link(deps, token, purpose=LinkPurpose.SIGN_OFF),
        lambda: links.decide_sign_off(deps, token, decision="approve", comment=None),
    )


def _assurance(deps: Deps) -> Held:
    reference = drive(deps, "mace", to="returns_open").reference
    concern = work.raise_immediate_risk(
        deps, audit=reference, actor=email("auditor.two"), agency="police", concern="Concern."
    )
    token = mint(deps, LinkPurpose.ASSURANCE, reference, "lsp.police", escalation_id=concern)
    return Held(
        "lsp.police",
        token,
        lambda: links.open_link(deps, token, purpose=LinkPurpose.ASSURANCE),
        lambda: links.give_assurance(deps, token, assurance="A strategy meeting was held."),
    )


def _action(deps: Deps) -> Held:
    _, token = action_link(deps)
    return Held(
        "lead.police",
        token,
        lambda: action_links.open_action_link(deps, token),
        lambda: action_links.start_by_link(deps, token),
    )


def _letter(deps: Deps) -> Held:
    reference = s175_with_letters(deps)
    local = {"police": "lead.police", "csc": "lead.csc", "community_health": "lead.health"}
    code, report_id = sorted(letters_of(deps, reference).items())[0]
    token = mint(deps, LinkPurpose.LETTER, reference, local[code], report_id=report_id)
    return Held(
        local[code],
        token,
        lambda: letters.open_letter(deps, token),
        lambda: letters.letter_file(deps, token),
    )


KINDS: dict[str, Callable[[Deps], Held]] = {
    "return": _return,
    "sign_off": _sign_off,
    "assurance": _assurance,
    "action": _action,
    "letter": _letter,
}


def _refused(held: Held) -> None:
    with pytest.raises(TokenRevoked):
        held.read()
    with pytest.raises(TokenRevoked):
        held.act()


def _revoked_at(deps: Deps, token: str) -> object:
    with deps.uow(readonly=True) as uow:
        return uow.connection.execute(
            select(t.token.c.revoked_at).where(t.token.c.token_hash == tokens.digest(token))
        ).scalar_one()


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_removed_persons_links_are_all_refused(partnership: Deps, kind: str) -> None:
    deps = partnership
    held = KINDS[kind](deps)
    held.read()  # works until the person is removed
    removed = people.deactivate_person(
        deps, person=email(held.holder), actor=COORDINATOR, reason=REASON
    )
    assert removed.links_revoked >= 1
    assert _revoked_at(deps, held.token) is not None
    _refused(held)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_link_rechecks_its_holder_on_read_and_write(partnership: Deps, kind: str) -> None:
    """Roles and seats on bodies taken away outside the service (no link withdrawn): the
    link still refuses."""
    deps = partnership
    held = KINDS[kind](deps)
    held.read()
    holder = person(deps, held.holder)
    with deps.uow() as uow:
        uow.connection.execute(delete(t.role).where(t.role.c.person_id == holder))
        uow.connection.execute(delete(t.body_member).where(t.body_member.c.person_id == holder))
        uow.commit()
    assert _revoked_at(deps, held.token) is None
    _refused(held)


def test_a_link_is_refused_once_its_holder_moves_agency(partnership: Deps) -> None:
    deps = partnership
    held = _action(deps)
    with deps.uow() as uow:
        csc = uow.connection.execute(select(t.agency.c.id).where(t.agency.c.code == "csc"))
        uow.connection.execute(
            update(t.person)
            .where(t.person.c.id == person(deps, "lead.police"))
            .values(agency_id=csc.scalar_one())
        )
        uow.commit()
    _refused(held)


def test_a_deactivated_person_is_never_sent_a_new_link(partnership: Deps) -> None:
    deps = partnership
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    people.deactivate_person(deps, person=email("lhm"), actor=COORDINATOR, reason=REASON)
    with deps.uow(readonly=True) as uow:
        audit = uow.connection.execute(
            select(t.audit.c.id).where(t.audit.c.reference == reference)
        ).scalar_one()
    minted = minting.mint_link(
        deps, purpose=LinkPurpose.SIGN_OFF, audit_id=int(audit), person_id=person(deps, "lhm")
    )
    assert minted.token is None and minted.why_not is not None


def test_removing_a_role_refuses_only_the_links_that_role_made_valid(partnership: Deps) -> None:
    """The police's statutory partner is also its strategic lead: losing the role of
    strategic lead ends the assurance link, and the sign-off link, which their seat on the
    statutory partners body makes valid, still works."""
    deps = partnership
    assurance = _assurance(deps)
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    sign_off = mint(deps, LinkPurpose.SIGN_OFF, reference, "lsp.police")
    removed = people.remove_role(
        deps,
        person=email("lsp.police"),
        role="strategic_lead",
        actor=COORDINATOR,
        reason="No longer the police's strategic lead",
    )
    assert removed.links_revoked == 1
    _refused(assurance)
    links.open_link(deps, sign_off, purpose=LinkPurpose.SIGN_OFF)
    links.decide_sign_off(deps, sign_off, decision="approve", comment=None)


def test_leaving_the_body_withdraws_only_its_sign_off_links(partnership: Deps) -> None:
    """Off the statutory partners body, the police's lead can no longer sign off: the
    sign-off link is withdrawn at once; the assurance link, which their role makes valid,
    still works."""
    deps = partnership
    reference = drive(deps, "mace", to="awaiting_sign_off").reference
    sign_off = mint(deps, LinkPurpose.SIGN_OFF, reference, "lsp.police")
    assurance = _assurance(deps)
    bodies.remove_member(
        deps, body="nv_lsp", person=email("lsp.police"), actor=COORDINATOR, reason=REASON
    )
    assert _revoked_at(deps, sign_off) is not None
    with pytest.raises(TokenRevoked):
        links.open_link(deps, sign_off, purpose=LinkPurpose.SIGN_OFF)
    with pytest.raises(TokenRevoked):
        links.decide_sign_off(deps, sign_off, decision="approve", comment=None)
    assurance.read()
    assurance.act()


def test_only_a_coordinator_removes_and_always_with_a_reason(partnership: Deps) -> None:
    deps = partnership
    held = _action(deps)
    for actor in (email("chair"), email("lhm"), email("lead.police")):
        with pytest.raises(PermissionDenied):
            people.deactivate_person(deps, person=email("lead.police"), actor=actor, reason=REASON)
        with pytest.raises(PermissionDenied):
            people.remove_role(
                deps, person=email("lead.police"), role="agency_lead", actor=actor, reason=REASON
            )
    with pytest.raises(InvalidInput, match="reason"):
        people.deactivate_person(deps, person=email("lead.police"), actor=COORDINATOR, reason=" ")
    with pytest.raises(InvalidInput, match="does not hold"):
        people.remove_role(
            deps, person=email("lead.police"), role="auditor", actor=COORDINATOR, reason=REASON
        )
    held.read()  # nothing was withdrawn by the refusals


def test_a_removed_coordinator_cannot_remove_anyone(partnership: Deps) -> None:
    deps = partnership
    second = add_person(
        deps, name="Quinn Royton", email="coordinator.two@example.org", roles=["coordinator"]
    )
    people.deactivate_person(deps, person=second, actor=COORDINATOR, reason=REASON)
    with pytest.raises(PermissionDenied):
        people.deactivate_person(
            deps, person=email("lead.police"), actor="coordinator.two@example.org", reason=REASON
        )


def test_removal_lists_what_the_person_still_owed(partnership: Deps) -> None:
    deps = partnership
    returns_reference = drive(deps, "section_11", to="returns_open").reference
    actions_reference, _ = action_link(deps)
    removed = people.deactivate_person(
        deps, person=email("lead.police"), actor=COORDINATOR, reason=REASON
    )
    owed = {(duty.kind, duty.audit) for duty in removed.duties}
    assert ("return", returns_reference) in owed
    assert ("action", actions_reference) in owed
    chair = people.deactivate_person(deps, person=email("chair"), actor=COORDINATOR, reason=REASON)
    assert {("chair", returns_reference), ("chair", actions_reference)} <= {
        (duty.kind, duty.audit) for duty in chair.duties
    }


def test_removing_twice_is_refused_plainly(partnership: Deps) -> None:
    deps = partnership
    people.deactivate_person(deps, person=email("lead.police"), actor=COORDINATOR, reason=REASON)
    with pytest.raises(InvalidInput, match="already"):
        people.deactivate_person(
            deps, person=email("lead.police"), actor=COORDINATOR, reason=REASON
        )


# --- sessions and sign-in ---------------------------------------------------------------------


@pytest.fixture
def clients(partnership: Deps, tmp_path: Path) -> Iterator[Clients]:
    give_passwords(partnership, PASSWORD)
    credentials.set_password(partnership, email=email("lhm"), password=PASSWORD)
    with Clients(partnership, tmp_path) as made:
        yield made


def test_a_removed_person_is_signed_out_and_cannot_sign_in(
    partnership: Deps, clients: Clients
) -> None:
    browser = clients()
    assert sign_in(browser, email("lhm")).status_code == 303
    assert signed_in(browser)
    removed = people.deactivate_person(
        partnership, person=email("lhm"), actor=COORDINATOR, reason=REASON
    )
    assert removed.sessions_ended == 1
    assert not signed_in(browser)
    assert sign_in(browser, email("lhm")).status_code == 400
    assert (
        sign_ins.authenticate(
            partnership, email=email("lhm"), password=PASSWORD, address="192.0.2.10"
        )
        is None
    )


def test_losing_the_sign_in_role_ends_the_session(partnership: Deps, clients: Clients) -> None:
    browser = clients()
    sign_in(browser, email("lhm"))
    people.remove_role(
        partnership,
        person=email("lhm"),
        role="learning_hub_member",
        actor=COORDINATOR,
        reason="Stepped down from the learning hub",
    )
    assert not signed_in(browser)


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def run(partnership: Deps, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:

    monkeypatch.setattr("oscp_flow.cli.common.build_deps", lambda: partnership)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args))


def test_oscp_user_remove_and_role_remove(partnership: Deps, run: Callable[..., Result]) -> None:
    deps = partnership
    held = _action(deps)
    refused = run(
        "user", "remove", email("lead.police"), "--reason", REASON, "--as", email("chair")
    )
    assert refused.exit_code == 4  # PermissionDenied: not theirs to do, its own exit code
    assert "coordinator" in refused.stderr and "Traceback" not in refused.stderr
    held.read()

    role = run(
        "user", "role", "remove", email("lead.police"), "agency_lead",
        "--reason", "Handed over to a colleague", "--as", COORDINATOR,
    )  # fmt: skip
    assert role.exit_code == 0, role.stderr
    assert "1 link withdrawn" in role.stdout
    with pytest.raises(TokenRevoked):
        held.read()

    gone = run("user", "remove", email("lead.police"), "--reason", REASON, "--as", COORDINATOR)
    assert gone.exit_code == 0, gone.stderr
    assert "removed" in gone.stdout
    missing = run("user", "remove", email("lead.police"), "--as", COORDINATOR)
    assert missing.exit_code != 0  # --reason is required


def test_oscp_user_links_revoke(partnership: Deps, run: Callable[..., Result]) -> None:
    deps = partnership
    held = _action(deps)
    done = run(
        "user", "links", "revoke", email("lead.police"),
        "--reason", "Phone lost with the e-mails on it", "--as", COORDINATOR,
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    assert "1 link withdrawn" in done.stdout
    with pytest.raises(TokenRevoked):
        held.read()
    # The person stays in the directory: a new link works.
    _, token = action_link(deps)
    action_links.open_action_link(deps, token)


# --- the coordinator's People page ------------------------------------------------------------


def _page_form(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def test_the_people_page_removes_a_role_and_a_person(partnership: Deps, clients: Clients) -> None:
    deps = partnership
    held = _action(deps)
    browser = clients()
    sign_in(browser, COORDINATOR)
    listing = browser.get("/people")
    assert listing.status_code == 200
    assert person_name("lead.police") in listing.text and "Agency lead" in listing.text
    target = person(deps, "lead.police")
    path = f"/people/{target}"
    assert agency_name("police") in browser.get(path).text

    blank = browser.post(
        path, data={"csrf_token": _page_form(browser, path), "change": "remove", "reason": ""}
    )
    assert blank.status_code == 400 and 'href="#reason"' in blank.text
    held.read()

    done = browser.post(
        path,
        data={"csrf_token": _page_form(browser, path), "change": "remove", "reason": REASON},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = browser.get(done.headers["location"])
    assert "removed" in shown.text and "1 unused link withdrawn" in shown.text
    with pytest.raises(TokenRevoked):
        held.read()
    assert "Removed" in browser.get("/people").text


def test_the_people_page_is_for_coordinators_only(partnership: Deps, clients: Clients) -> None:
    deps = partnership
    held = _action(deps)
    target = f"/people/{person(deps, 'lead.police')}"
    member = clients()
    sign_in(member, email("lhm"))
    assert member.get("/people").status_code == 403
    assert member.get(target).status_code == 403
    csrf = csrf_of(member.get("/board").text)
    posted = member.post(target, data={"csrf_token": csrf, "change": "remove", "reason": REASON})
    assert posted.status_code == 403

    coordinator = clients("198.51.100.20")
    sign_in(coordinator, COORDINATOR)
    forged = coordinator.post(target, data={"change": "remove", "reason": REASON})
    assert forged.status_code == 403
    held.read()  # nothing was withdrawn


# --- in a real browser ------------------------------------------------------------------------


@pytest.mark.slow
def test_the_people_pages_in_chromium_pass_axe(
    sqlite_engine: Engine, catalogue: Catalogue, clock: FakeClock, tmp_path: Path
) -> None:
    """Listing, one person, the form refused, and a role taken away: each page as Chromium
    shows it reports no axe-core (WCAG 2.x A and AA) violation."""
    deps = Deps(uow=UnitOfWorkFactory(sqlite_engine), catalogue=catalogue, clock=clock)
    seed_partnership(deps)
    give_passwords(deps, PASSWORD)
    action_link(deps)  # the police owe an action: something to reassign
    web = bound()
    port = port_of(web)
    base = f"http://127.0.0.1:{port}"
    with serving(deps, Settings(home=tmp_path, base_url=base), web), chromium() as browser:
        page = browser.new_page()
        browser_sign_in(page, f"{base}/people")
        assert page.url == f"{base}/people"
        checked = [axe_violations(page)]
        follow(page, page.get_by_role("link", name=person_name("lead.police")))
        assert "Their agency owns action 1" in page.content()
        checked.append(axe_violations(page))
        follow(page, page.get_by_role("button", name="Make the change"))  # nothing chosen
        assert page.locator(".error-summary a[href='#change']").count() == 1
        checked.append(axe_violations(page))
        page.get_by_label("Take away the role agency lead").check()
        page.get_by_label("Reason").fill("Handed the audit lead role to a colleague")
        follow(page, page.get_by_role("button", name="Make the change"))
        assert "The role is taken away" in page.locator("#done").inner_text()
        page.screenshot(path=str(tmp_path / "person.png"), full_page=True)
        checked.append(axe_violations(page))
    assert checked == [[], [], [], []]


@pytest.mark.parametrize(
    "statement", ["UPDATE directory_change SET reason = 'x'", "DELETE FROM directory_change"]
)
def test_the_directory_log_is_append_only(
    partnership: Deps, engine: Engine, statement: str
) -> None:
    people.deactivate_person(
        partnership, person=email("lead.police"), actor=COORDINATOR, reason=REASON
    )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with engine.connect() as connection:
        kept = connection.execute(
            select(t.directory_change.c.change, t.directory_change.c.reason)
        ).all()
    assert [tuple(row) for row in kept] == [("deactivated", REASON)]


def test_a_removed_person_cannot_be_made_an_audits_lead(partnership: Deps) -> None:
    people.deactivate_person(partnership, person=email("chair"), actor=COORDINATOR, reason=REASON)
    with pytest.raises(InvalidInput, match="removed from the directory"):
        audits.start_audit(
            partnership,
            audit_type="mace",
            theme="Neglect",
            lead=email("chair"),
            actor=COORDINATOR,
            agencies=["police"],
        )
