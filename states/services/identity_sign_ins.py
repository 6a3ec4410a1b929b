"""Signing in with an organisation's account (OpenID Connect), the engine's side of it.

The web speaks to the provider; the engine keeps what must survive the trip there and back
and decides who the person is. ``begin`` makes an attempt: a fresh state, nonce and PKCE
code verifier, kept in ``sign_in_attempt`` with only the state's SHA-256. ``take`` finds it
again when the provider sends the browser back, once: one UPDATE sets ``used_at`` where it is
still unset and younger than ``ATTEMPT_LIFETIME`` on the engine's clock, so of two callbacks
with the same state (a replay, or two at once) exactly one gets it. The browser must also
bring the state in its own cookie (``bound``), so a callback address opened in another
browser (a forced sign-in, "login CSRF") is refused before the attempt is spent.

``sign_in`` takes what the web verified in the ID token and finds the person as password
sign-in does (``sign_ins.person``: the address case-insensitively, only while active, roles
against ``Permission.SIGN_IN``); the session is then started exactly as after a password, so
signing out, role loss and removal end it. Logs name the provider and a person's id, never an
address, a token or a code.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, insert, update

from states.errors import EmailNotVerified, NotInDirectory, SignInAttemptInvalid
from states.persistence import tables as t
from states.rules.policy import Permission, allows
from states.services import sign_ins
from states.services.deps import Deps
from states.services.sign_ins import SignedIn

# Long enough to sign in at the provider (a password, a second factor), short enough that a
# state or code seen over someone's shoulder is soon worth nothing.
ATTEMPT_LIFETIME = timedelta(minutes=10)
# Attempts, used or not, are cleared after this: they are worth nothing after ten minutes and
# a day is enough to see what happened.
KEPT_FOR = timedelta(days=1)
log = logging.getLogger("states.services.identity_sign_ins")
a = t.sign_in_attempt


@dataclass(frozen=True)
class Attempt:
    """What the web needs to send the person to their provider, and to check what comes back."""

    provider: str
    state: str
    nonce: str
    code_verifier: str
    next_page: str


@dataclass(frozen=True)
class VerifiedIdentity:
    """Claims of an ID token whose signature, issuer, audience, expiry and nonce held."""

    email: str
    email_verified: bool


def digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def begin(deps: Deps, *, provider: str, next_page: str = "") -> Attempt:
    """A new attempt with ``provider``; old ones are cleared on the way."""
    attempt = Attempt(
        provider=provider,
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        # RFC 7636: 43 to 128 characters; 64 here, 384 random bits.
        code_verifier=secrets.token_urlsafe(48),
        next_page=next_page,
    )
    now = deps.clock.now()
    with deps.uow() as uow:
        uow.connection.execute(delete(a).where(a.c.created_at < now - KEPT_FOR))
        uow.connection.execute(
            insert(a).values(
                state_hash=digest(attempt.state),
                provider=provider,
                nonce=attempt.nonce,
                code_verifier=attempt.code_verifier,
                next_page=next_page,
                created_at=now,
            )
        )
        uow.commit()
    log.info("sign-in through %s begun", provider)
    return attempt


def take(deps: Deps, *, provider: str, state: str, bound: str | None) -> Attempt:
    """The attempt ``state`` names, spent; ``bound`` is the state the browser's own cookie
    carries. Refused alike when unknown, used, too old, for another provider or browser."""
    # As bytes: compare_digest refuses a str that is not ASCII, and a query may carry one.
    if not (state and bound and hmac.compare_digest(state.encode(), bound.encode())):
        log.info("sign-in through %s refused: not begun in this browser", provider)
        raise SignInAttemptInvalid()
    now = deps.clock.now()
    with deps.uow() as uow:
        row = uow.connection.execute(
            update(a)
            .where(
                a.c.state_hash == digest(state),
                a.c.provider == provider,
                a.c.used_at.is_(None),
                a.c.created_at > now - ATTEMPT_LIFETIME,
            )
            .values(used_at=now)
            .returning(a.c.nonce, a.c.code_verifier, a.c.next_page)
        ).first()
        uow.commit()
    if row is None:
        log.info("sign-in through %s refused: unknown, used or expired", provider)
        raise SignInAttemptInvalid()
    return Attempt(provider, state, row.nonce, row.code_verifier, row.next_page)


def sign_in(deps: Deps, *, provider: str, identity: VerifiedIdentity) -> SignedIn:
    """The person the verified address belongs to, if they may sign in now."""
    if not identity.email_verified:
        log.info("sign-in through %s refused: e-mail address not verified", provider)
        raise EmailNotVerified()
    with deps.uow(readonly=True) as uow:
        person_id, roles = sign_ins.person(uow.connection, identity.email)
    if person_id is None or not allows(roles, Permission.SIGN_IN):
        # Unknown, removed and role-less alike, as the password form refuses them alike.
        log.info("sign-in through %s refused: no one here who may sign in", provider)
        raise NotInDirectory()
    log.info("person %d signed in through %s", person_id, provider)
    return SignedIn(person_id)
