"""Talking to an organisation's OpenID Connect provider: Authlib's client for the protocol,
joserfc (Authlib's own JOSE library) for the ID token.

The provider's discovery document (``<issuer>/.well-known/openid-configuration``) must state
exactly the configured issuer, or nothing from it is used. The person is sent to its
authorization endpoint with a state, a nonce and a PKCE S256 challenge (Authlib's
``create_authorization_url``); the code that comes back is exchanged at the token endpoint
with the verifier and the client's secret (Authlib's ``fetch_token``); the ID token is then
checked as Authlib's own OpenID client checks it (``parse_id_token``), but on the engine's
clock: the signature against the provider's published keys (fetched again once when the token
names a key not yet seen), only asymmetric algorithms the provider announces, then issuer,
audience (the client id), expiry, issue time, nonce and access-token hash
(``authlib.oidc.core.CodeIDToken``). Every call has a timeout; discovery and keys are cached
for an hour. A failure of any kind is a refusal the sign-in pages show, never a server error.
Nothing here logs a token, a code or an address.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx2
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from oscp_flow.settings import IdentityProvider
from states.clock import Clock
from states.errors import IdentityNotProven, ProviderUnreachable
from states.services.identity_sign_ins import Attempt, VerifiedIdentity

log = logging.getLogger("oscp_flow.web.oidc")
TIMEOUT_SECONDS = 10.0
CACHED_FOR = timedelta(hours=1)
# Seconds of disagreement allowed between the provider's clock and ours.
LEEWAY_SECONDS = 60
SCOPE = "openid email"
# Never "none", never a shared-secret algorithm (HS256 signed with the client secret would
# let anyone holding the secret mint tokens): only keys the provider publishes.
ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
PROTOCOL_ERRORS = (JoseError, OAuthError, ValueError, TypeError, KeyError)


@dataclass(frozen=True)
class Metadata:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class _Cached:
    metadata: Metadata
    keys: dict[str, Any] | None
    fetched_at: datetime


class ProviderClient:
    """One configured provider, its discovery and keys cached across requests."""

    def __init__(
        self,
        provider: IdentityProvider,
        *,
        redirect_uri: str,
        clock: Clock,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        self.provider = provider
        self.redirect_uri = redirect_uri
        self.clock = clock
        self.timeout = timeout
        self.cached: _Cached | None = None
        self.lock = threading.Lock()

    def authorization_url(self, attempt: Attempt) -> str:
        """Where to send the person: the provider's sign-in, asking for this attempt."""
        metadata = self.metadata()
        with self.oauth() as client:
            url, _ = client.create_authorization_url(
                metadata.authorization_endpoint,
                state=attempt.state,
                code_verifier=attempt.code_verifier,
                nonce=attempt.nonce,
            )
        return str(url)

    def identity(self, *, code: str, attempt: Attempt) -> VerifiedIdentity:
        """Who the provider says signed in, once the code is exchanged and the ID token holds."""
        metadata = self.metadata()
        token = self.exchange(metadata, code, attempt)
        claims = self.verified(metadata, token, attempt.nonce)
        email = claims.get("email")
        verified = claims.get(self.provider.verified_claim)
        return VerifiedIdentity(
            email=email if isinstance(email, str) else "",
            email_verified=verified is True or verified == "true",
        )

    def metadata(self) -> Metadata:
        with self.lock:
            cached = self.cached
        if cached is not None and cached.fetched_at > self.clock.now() - CACHED_FOR:
            return cached.metadata
        found = self.discover()
        with self.lock:
            self.cached = _Cached(found, None, self.clock.now())
        return found

    def discover(self) -> Metadata:
        issuer = self.provider.issuer
        document = self.get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        if document.get("issuer") != issuer:
            # A misconfiguration, or someone else's document: nothing from it is trusted.
            log.warning("provider %s: its discovery names another issuer", self.provider.name)
            raise ProviderUnreachable(self.provider.label)
        try:
            offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
            return Metadata(
                authorization_endpoint=str(document["authorization_endpoint"]),
                token_endpoint=str(document["token_endpoint"]),
                jwks_uri=str(document["jwks_uri"]),
                algorithms=tuple(sorted(ASYMMETRIC.intersection(offered))),
            )
        except PROTOCOL_ERRORS:
            log.warning("provider %s: its discovery lacks an endpoint", self.provider.name)
            raise ProviderUnreachable(self.provider.label) from None

    def keys(self, metadata: Metadata, *, fresh: bool) -> KeySet:
        with self.lock:
            cached = self.cached
        if not fresh and cached is not None and cached.keys is not None:
            return KeySet.import_key_set(cached.keys)  # type: ignore[arg-type]
        found = self.get_json(metadata.jwks_uri)
        with self.lock:
            if self.cached is not None:
                self.cached = _Cached(self.cached.metadata, found, self.cached.fetched_at)
        return KeySet.import_key_set(found)  # type: ignore[arg-type]

    def exchange(self, metadata: Metadata, code: str, attempt: Attempt) -> dict[str, Any]:
        """The token response for ``code``, proving the attempt's verifier."""
        try:
            with self.oauth() as client:
                token = client.fetch_token(
                    metadata.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=attempt.code_verifier,
                )
        except httpx2.HTTPError:
            log.warning("provider %s: the token endpoint did not answer", self.provider.name)
            raise ProviderUnreachable(self.provider.label) from None
        except PROTOCOL_ERRORS:
            log.info("provider %s refused the code", self.provider.name)
            raise IdentityNotProven(self.provider.label) from None
        if not isinstance(token, dict) or not isinstance(token.get("id_token"), str):
            raise IdentityNotProven(self.provider.label)
        return token

    def verified(self, metadata: Metadata, token: dict[str, Any], nonce: str) -> CodeIDToken:
        try:
            claims = self.claims(self.decoded(metadata, token["id_token"]), token, nonce)
            claims.validate(now=int(self.clock.now().timestamp()), leeway=LEEWAY_SECONDS)
        except PROTOCOL_ERRORS as failed:
            log.info(
                "provider %s: ID token refused (%s)", self.provider.name, type(failed).__name__
            )
            raise IdentityNotProven(self.provider.label) from None
        return claims

    def claims(self, decoded: jwt.Token, token: dict[str, Any], nonce: str) -> CodeIDToken:
        """The checks an ID token from the code flow must pass, as Authlib states them, with
        the issuer and audience this provider's must have."""
        options = {
            "iss": {"essential": True, "value": self.provider.issuer},
            "aud": {"essential": True, "value": self.provider.client_id},
        }
        params = {
            "nonce": nonce,
            "client_id": self.provider.client_id,
            "access_token": token.get("access_token"),
        }
        return CodeIDToken(decoded.claims, decoded.header, options, params)

    def decoded(self, metadata: Metadata, id_token: str) -> jwt.Token:
        """The token, its signature checked; keys fetched again once for a key not yet seen
        (the provider has rolled its keys over)."""
        algorithms = list(metadata.algorithms)
        try:
            return jwt.decode(id_token, self.keys(metadata, fresh=False), algorithms=algorithms)
        except InvalidKeyIdError:
            return jwt.decode(id_token, self.keys(metadata, fresh=True), algorithms=algorithms)

    def get_json(self, url: str) -> dict[str, Any]:
        try:
            response = httpx2.get(url, timeout=self.timeout, follow_redirects=False)
            response.raise_for_status()
            found = response.json()
        except (httpx2.HTTPError, ValueError):
            log.warning("provider %s could not be reached", self.provider.name)
            raise ProviderUnreachable(self.provider.label) from None
        if not isinstance(found, dict):
            raise ProviderUnreachable(self.provider.label)
        return found

    def oauth(self) -> OAuth2Client:
        return OAuth2Client(
            self.provider.client_id,
            self.provider.client_secret.get_secret_value(),
            scope=SCOPE,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            timeout=self.timeout,
        )
