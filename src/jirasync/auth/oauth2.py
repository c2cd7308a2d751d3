"""OAuth 2.0 (3LO) for Jira Cloud: the authorization-code flow and rotating refresh tokens.

Protocol pieces (authorization URL, token request bodies, callback parsing and its ``state`` check)
come from Authlib; the I/O is plain httpx so errors are translated in one place.

Rotation rules (Atlassian): each refresh returns a new refresh token and retires the old one after
a 10-minute reuse leeway; presenting a retired token later revokes the whole grant. So:

* the new pair is persisted (``TokenStore.save``, atomic) **before** the new access token is used;
* one refresh at a time per connection (an ``asyncio.Lock``); a request that waited on the lock
  re-reads the tokens and does not refresh again;
* when a refresh is refused, the stored tokens are re-read first — another process may have
  rotated them — and only then is the grant declared gone (``ReauthorizeRequired``).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from jirasync.auth.defaults import DEFAULT_API_BASE as DEFAULT_API_BASE
from jirasync.auth.defaults import DEFAULT_AUTH_BASE as DEFAULT_AUTH_BASE
from jirasync.auth.defaults import DEFAULT_SCOPES as DEFAULT_SCOPES
from jirasync.exceptions import AuthenticationError, ConfigError, NetworkError, ReauthorizeRequired
from jirasync.vault import Secret

REAUTHORIZE_FIX = "run `jirasync connections rotate NAME` to authorize the app again"


@dataclass(frozen=True)
class OAuth2App:
    """An OAuth 2.0 (3LO) app from developer.atlassian.com (or jiraemu: both bases point at it)."""

    client_id: str
    client_secret: Secret
    redirect_uri: str = "http://127.0.0.1:8765/callback"
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    auth_base: str = DEFAULT_AUTH_BASE
    api_base: str = DEFAULT_API_BASE

    @property
    def token_url(self) -> str:
        return f"{self.auth_base.rstrip('/')}/oauth/token"

    def gateway_url(self, cloud_id: str) -> str:
        """Where API calls go: ``https://api.atlassian.com/ex/jira/{cloudId}``."""
        return f"{self.api_base.rstrip('/')}/ex/jira/{cloud_id}"


@dataclass(frozen=True)
class OAuth2Tokens:
    access_token: Secret
    refresh_token: Secret | None
    expires_at: float  # epoch seconds
    scope: str = ""

    def expiring(self, leeway_s: float, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) >= self.expires_at - leeway_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token.reveal(),
            "refresh_token": self.refresh_token.reveal() if self.refresh_token else None,
            "expires_at": self.expires_at,
            "scope": self.scope,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OAuth2Tokens:
        refresh = data.get("refresh_token")
        return cls(Secret(data["access_token"]), Secret(refresh) if refresh else None, float(data["expires_at"]), data.get("scope", ""))

    @classmethod
    def from_response(cls, body: dict[str, Any], previous: OAuth2Tokens | None = None) -> OAuth2Tokens:
        refresh = body.get("refresh_token")
        return cls(
            Secret(str(body["access_token"])),
            Secret(str(refresh)) if refresh else (previous.refresh_token if previous else None),
            time.time() + float(body.get("expires_in", 3600)),
            str(body.get("scope", previous.scope if previous else "")),
        )

    def __repr__(self) -> str:
        return f"OAuth2Tokens(expires_at={self.expires_at:.0f}, scope={self.scope!r}, tokens=**********)"


class TokenStore(Protocol):
    """Where a connection's tokens live. ``save`` must be atomic and durable before it returns."""

    async def load(self) -> OAuth2Tokens: ...

    async def save(self, tokens: OAuth2Tokens) -> None: ...


@dataclass
class MemoryTokenStore:
    tokens: OAuth2Tokens
    saves: int = 0

    async def load(self) -> OAuth2Tokens:
        return self.tokens

    async def save(self, tokens: OAuth2Tokens) -> None:
        self.tokens = tokens
        self.saves += 1


@dataclass
class AuthorizationRequest:
    url: str
    state: str = field(repr=False)


def _parameters() -> ModuleType:
    """Authlib's OAuth 2.0 protocol helpers, imported on first use (not by every command's start-up)."""
    from authlib.oauth2.rfc6749 import parameters

    return parameters


def authorization_request(app: OAuth2App, state: str | None = None) -> AuthorizationRequest:
    state = state or secrets.token_urlsafe(24)
    url = _parameters().prepare_grant_uri(
        f"{app.auth_base.rstrip('/')}/authorize",
        app.client_id,
        "code",
        redirect_uri=app.redirect_uri,
        scope=" ".join(app.scopes),
        state=state,
        audience="api.atlassian.com",
        prompt="consent",
    )
    return AuthorizationRequest(url, state)


def code_from_callback(callback_url: str, expected_state: str) -> str:
    """The code from the redirect; a missing or different ``state`` is refused (CSRF)."""
    query = urlsplit(callback_url).query
    if "error=" in query:
        from urllib.parse import parse_qs

        q = parse_qs(query)
        raise AuthenticationError(
            f"the authorization was refused: {q.get('error_description', q.get('error', ['?']))[0]}",
            fix="approve the consent screen, and check the app's callback URL and scopes",
        )
    parameters = _parameters()
    try:
        result = parameters.parse_authorization_code_response(callback_url, state=expected_state)
    except parameters.MismatchingStateException:
        raise AuthenticationError(
            "the callback's state does not match the one we sent", fix="start the authorization again"
        ) from None
    except parameters.MissingCodeException:
        raise AuthenticationError("the callback carries no code", fix="start the authorization again") from None
    return str(result["code"])


async def _token_request(app: OAuth2App, http: httpx.AsyncClient, grant_type: str, **params: str) -> dict[str, Any]:
    body = _parameters().prepare_token_request(
        grant_type, client_id=app.client_id, client_secret=app.client_secret.reveal(), **params
    )
    try:
        response = await http.post(
            app.token_url, content=body, headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        )
    except httpx.TransportError as exc:
        raise NetworkError(f"the token endpoint {app.token_url} is unreachable: {type(exc).__name__}") from None
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code != 200 or "access_token" not in data:
        error = str(data.get("error", response.status_code))
        if error in ("invalid_grant", "unauthorized_client", "access_denied") or response.status_code in (401, 403):
            raise ReauthorizeRequired(
                f"the OAuth 2.0 grant was refused ({error}: {data.get('error_description', '')})",
                status=response.status_code,
                fix=REAUTHORIZE_FIX,
            )
        raise AuthenticationError(
            f"the token endpoint answered {response.status_code} ({error})",
            status=response.status_code,
            fix="check the app's client id and secret",
        )
    return dict(data)


async def exchange_code(app: OAuth2App, code: str, http: httpx.AsyncClient) -> OAuth2Tokens:
    data = await _token_request(app, http, "authorization_code", code=code, redirect_uri=app.redirect_uri)
    tokens = OAuth2Tokens.from_response(data)
    if tokens.refresh_token is None:
        raise ConfigError(
            "scopes", "no refresh token was issued, so the connection would stop working within an hour",
            fix="add the offline_access scope",
        )
    return tokens


async def refresh_tokens(app: OAuth2App, tokens: OAuth2Tokens, http: httpx.AsyncClient) -> OAuth2Tokens:
    if tokens.refresh_token is None:
        raise ReauthorizeRequired("the access token expired and there is no refresh token", fix=REAUTHORIZE_FIX)
    data = await _token_request(app, http, "refresh_token", refresh_token=tokens.refresh_token.reveal())
    return OAuth2Tokens.from_response(data, tokens)


async def accessible_resources(app: OAuth2App, tokens: OAuth2Tokens, http: httpx.AsyncClient) -> list[dict[str, Any]]:
    url = f"{app.api_base.rstrip('/')}/oauth/token/accessible-resources"
    response = await http.get(url, headers={"Authorization": f"Bearer {tokens.access_token.reveal()}", "Accept": "application/json"})
    if response.status_code != 200:
        raise AuthenticationError(f"accessible-resources answered {response.status_code}", fix=REAUTHORIZE_FIX)
    return list(response.json())


def choose_site(resources: list[dict[str, Any]], wanted: str | None) -> dict[str, Any]:
    """The site a grant covers; several need ``wanted`` (a URL, name or cloud id) to pick one."""
    if not resources:
        raise ConfigError("site", "the grant covers no Jira site", fix="authorize again and pick a Jira site on the consent screen")
    if wanted:
        norm = wanted.strip().rstrip("/").lower()
        for site in resources:
            if norm in (str(site.get("url", "")).rstrip("/").lower(), str(site.get("name", "")).lower(), str(site.get("id", "")).lower()):
                return site
        names = ", ".join(str(s.get("url")) for s in resources)
        raise ConfigError("url", f"the grant does not cover {wanted}", fix=f"use one of: {names}")
    if len(resources) > 1:
        names = ", ".join(str(s.get("url")) for s in resources)
        raise ConfigError("url", "the grant covers several sites", fix=f"pass --url with one of: {names}")
    return resources[0]


class OAuth2Auth(httpx.Auth):
    """Bearer access tokens, refreshed (and rotated, and persisted) before they expire."""

    def __init__(
        self,
        app: OAuth2App,
        store: TokenStore,
        *,
        http: httpx.AsyncClient | None = None,
        leeway_s: float = 60.0,
        clock: Callable[[], float] = time.time,
        on_refresh: Callable[[OAuth2Tokens], Awaitable[None]] | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.leeway_s = leeway_s
        self.clock = clock
        self.refreshes = 0
        self._http = http
        self._tokens: OAuth2Tokens | None = None
        self._lock = asyncio.Lock()
        self._on_refresh = on_refresh

    def __repr__(self) -> str:
        return f"OAuth2Auth(client_id={self.app.client_id!r}, tokens=**********)"

    def sync_auth_flow(self, request: httpx.Request) -> Any:
        raise RuntimeError("OAuth2Auth needs an httpx.AsyncClient")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        tokens = await self.current()
        request.headers["Authorization"] = f"Bearer {tokens.access_token.reveal()}"
        response = yield request
        if response.status_code == 401:
            # revoked or expired early: refresh once (unless someone already did) and try again
            tokens = await self.current(force=True, seen=tokens)
            request.headers["Authorization"] = f"Bearer {tokens.access_token.reveal()}"
            yield request

    async def current(self, force: bool = False, seen: OAuth2Tokens | None = None) -> OAuth2Tokens:
        async with self._lock:
            if self._tokens is None:
                self._tokens = await self.store.load()
            tokens = self._tokens
            if seen is not None and tokens.access_token != seen.access_token:
                return tokens  # another request refreshed while we waited
            if not force and not tokens.expiring(self.leeway_s, self.clock()):
                return tokens
            self._tokens = await self._refresh(tokens)
            return self._tokens

    async def _refresh(self, tokens: OAuth2Tokens) -> OAuth2Tokens:
        http = self._http or httpx.AsyncClient(timeout=30)
        try:
            try:
                fresh = await refresh_tokens(self.app, tokens, http)
            except ReauthorizeRequired:
                stored = await self.store.load()  # another process may have rotated first
                if stored.refresh_token == tokens.refresh_token:
                    raise
                if not stored.expiring(self.leeway_s, self.clock()):
                    return stored
                fresh = await refresh_tokens(self.app, stored, http)
        finally:
            if self._http is None:
                await http.aclose()
        await self.store.save(fresh)  # durable before first use
        self.refreshes += 1
        if self._on_refresh is not None:
            await self._on_refresh(fresh)
        return replace(fresh)
