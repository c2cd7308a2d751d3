"""OAuth 2.0 (3LO) as auth.atlassian.com and api.atlassian.com run it, served on the emulator's host.

Rules (jira-api-facts §6): codes live 10 minutes and work once; access tokens live 1 hour; a
refresh token is issued only with ``offline_access`` and ROTATES on every use. The token it replaced
stays usable for a 10-minute reuse leeway counted from its first rotation; presenting it after that
revokes the whole grant (every access and refresh token of that consent), so the app must send the
user through /authorize again. Refresh tokens also expire after 90 days unused and 365 days after
consent. All times come from ``backend.clock``.

Emulator-only: /authorize consents at once, as the admin or as the user whose accountId is given in
the ``emulator_user`` query parameter. The default app (``config.oauth_client_id`` /
``oauth_client_secret``) accepts any loopback redirect_uri; more apps can be registered through the
control plane (``POST /_emulator/oauth2/apps``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import jwt

from jiraemu.state import User

if TYPE_CHECKING:
    from jiraemu.backend import Backend

MINUTE_MS = 60_000
DAY_MS = 24 * 60 * MINUTE_MS
CODE_TTL_MS = 10 * MINUTE_MS
ACCESS_TTL_S = 3600
REUSE_LEEWAY_MS = 10 * MINUTE_MS
INACTIVITY_MS = 90 * DAY_MS
ABSOLUTE_MS = 365 * DAY_MS
AUDIENCE = "api.atlassian.com"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
SITE_AVATAR = "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/site.png"


class TokenError(Exception):
    """An error of the token endpoint: ``{"error", "error_description"}`` with auth0's status codes."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class AuthorizeError(Exception):
    """/authorize cannot redirect back (unknown client, bad redirect_uri): an error page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def invalid_refresh() -> TokenError:
    return TokenError(403, "invalid_grant", "Unknown or invalid refresh token.")


@dataclass
class OAuthApp:
    client_id: str
    client_secret: str
    name: str = "jiraemu app"
    redirect_uris: tuple[str, ...] = ()
    loopback: bool = True  # any http(s)://127.0.0.1|localhost|[::1] redirect is accepted

    def allows(self, redirect_uri: str) -> bool:
        if redirect_uri in self.redirect_uris:
            return True
        if not self.loopback:
            return False
        parts = urlsplit(redirect_uri)
        return parts.scheme in ("http", "https") and (parts.hostname or "") in LOOPBACK_HOSTS


@dataclass
class AuthCode:
    code: str
    client_id: str
    account_id: str
    scopes: tuple[str, ...]
    redirect_uri: str
    issued_ms: int
    used: bool = False


@dataclass
class Grant:
    """One consent: the family of every token issued from it."""

    id: str
    client_id: str
    account_id: str
    scopes: tuple[str, ...]
    created_ms: int
    revoked: bool = False
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)


@dataclass
class AccessToken:
    token: str
    grant_id: str
    expires_ms: int


@dataclass
class RefreshToken:
    token: str
    grant_id: str
    issued_ms: int
    rotated_ms: int | None = None  # when it was first exchanged for a successor


class OAuth2Provider:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        cfg = backend.config
        self.apps: dict[str, OAuthApp] = {cfg.oauth_client_id: OAuthApp(cfg.oauth_client_id, cfg.oauth_client_secret)}
        self.codes: dict[str, AuthCode] = {}
        self.grants: dict[str, Grant] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self._signing_key = secrets.token_bytes(32)

    def now(self) -> int:
        return self.backend.clock.now_ms()

    # -- apps ------------------------------------------------------------------------------------
    def register_app(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        name: str = "jiraemu app",
        redirect_uris: list[str] | None = None,
        loopback: bool = True,
    ) -> OAuthApp:
        app = OAuthApp(
            client_id or secrets.token_urlsafe(24),
            client_secret or secrets.token_urlsafe(48),
            name,
            tuple(redirect_uris or ()),
            loopback,
        )
        self.apps[app.client_id] = app
        return app

    # -- /authorize ------------------------------------------------------------------------------
    def authorize(self, params: Mapping[str, str]) -> str:
        """Consent at once; returns the URL to redirect the browser to."""
        app = self.apps.get(params.get("client_id", ""))
        if app is None:
            raise AuthorizeError("Invalid client_id: the app does not exist or is not an OAuth 2.0 (3LO) app.")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri or not app.allows(redirect_uri):
            raise AuthorizeError("The redirect_uri does not match the callback URL configured for this app.")
        state = params.get("state")

        def back(**query: str) -> str:
            if state is not None:
                query["state"] = state
            sep = "&" if "?" in redirect_uri else "?"
            return redirect_uri + sep + urlencode(query)

        if params.get("response_type") != "code":
            return back(error="unsupported_response_type", error_description="response_type must be code")
        if params.get("audience") != AUDIENCE:
            return back(error="invalid_request", error_description=f"audience must be {AUDIENCE}")
        scopes = tuple(s for s in params.get("scope", "").split() if s)
        if not scopes:
            return back(error="invalid_scope", error_description="At least one scope is required")
        user = self._consenting_user(params.get("emulator_user"))
        if user is None or not user.active:
            return back(error="access_denied", error_description="The user did not grant access")
        code = secrets.token_urlsafe(32)
        self.codes[code] = AuthCode(code, app.client_id, user.account_id, scopes, redirect_uri, self.now())
        return back(code=code)

    def _consenting_user(self, wanted: str | None) -> User | None:
        state = self.backend.state
        if wanted:
            return state.users.get(wanted) or state.user_by_name(wanted)
        for user in state.users.values():
            if user.email.lower() == self.backend.config.admin_email.lower():
                return user
        return next(iter(state.users.values()), None)

    # -- /oauth/token ----------------------------------------------------------------------------
    def token(self, params: Mapping[str, str]) -> dict[str, Any]:
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(params)
        if grant_type == "refresh_token":
            return self._refresh(params)
        if not grant_type:
            raise TokenError(400, "invalid_request", "Missing required parameter: grant_type")
        raise TokenError(403, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")

    def _client(self, params: Mapping[str, str]) -> OAuthApp:
        app = self.apps.get(params.get("client_id", ""))
        if app is None or not secrets.compare_digest(app.client_secret, params.get("client_secret", "")):
            raise TokenError(401, "access_denied", "Unauthorized")
        return app

    def _exchange_code(self, params: Mapping[str, str]) -> dict[str, Any]:
        for name in ("client_id", "client_secret", "code", "redirect_uri"):
            if not params.get(name):
                raise TokenError(400, "invalid_request", f"Missing required parameter: {name}")
        app = self._client(params)
        code = self.codes.get(params["code"])
        now = self.now()
        if code is None or code.used or code.client_id != app.client_id or now - code.issued_ms > CODE_TTL_MS:
            raise TokenError(403, "invalid_grant", "Invalid authorization code")
        if code.redirect_uri != params["redirect_uri"]:
            raise TokenError(403, "invalid_grant", "Invalid redirect_uri")
        code.used = True
        grant = Grant(secrets.token_hex(8), app.client_id, code.account_id, code.scopes, now)
        self.grants[grant.id] = grant
        return self._issue(grant, with_refresh="offline_access" in grant.scopes)

    def _refresh(self, params: Mapping[str, str]) -> dict[str, Any]:
        for name in ("client_id", "client_secret", "refresh_token"):
            if not params.get(name):
                raise TokenError(400, "invalid_request", f"Missing required parameter: {name}")
        app = self._client(params)
        rt = self.refresh_tokens.get(params["refresh_token"])
        if rt is None:
            raise invalid_refresh()
        grant = self.grants[rt.grant_id]
        now = self.now()
        if grant.revoked or grant.client_id != app.client_id:
            raise invalid_refresh()
        if now - grant.created_ms > ABSOLUTE_MS or now - rt.issued_ms > INACTIVITY_MS:
            raise invalid_refresh()
        if rt.rotated_ms is not None and now - rt.rotated_ms > REUSE_LEEWAY_MS:
            # reuse after the leeway looks like a stolen token: the whole family goes
            self.revoke(grant)
            raise invalid_refresh()
        user = self.backend.state.users.get(grant.account_id)
        if user is None or not user.active:
            raise invalid_refresh()
        if rt.rotated_ms is None:
            rt.rotated_ms = now
        return self._issue(grant, with_refresh=True)

    def _issue(self, grant: Grant, with_refresh: bool) -> dict[str, Any]:
        now = self.now()
        claims = {
            "iss": "https://auth.atlassian.com",
            "sub": grant.account_id,
            "aud": AUDIENCE,
            "iat": now // 1000,
            "exp": now // 1000 + ACCESS_TTL_S,
            "jti": secrets.token_hex(16),
            "client_id": grant.client_id,
            "scope": " ".join(grant.scopes),
        }
        access = jwt.encode(claims, self._signing_key, algorithm="HS256")
        self.access_tokens[access] = AccessToken(access, grant.id, now + ACCESS_TTL_S * 1000)
        grant.access_tokens.add(access)
        out: dict[str, Any] = {
            "access_token": access,
            "expires_in": ACCESS_TTL_S,
            "token_type": "Bearer",
            "scope": " ".join(grant.scopes),
        }
        if with_refresh:
            refresh = secrets.token_urlsafe(48)
            self.refresh_tokens[refresh] = RefreshToken(refresh, grant.id, now)
            grant.refresh_tokens.add(refresh)
            out["refresh_token"] = refresh
        return out

    def revoke(self, grant: Grant) -> None:
        grant.revoked = True
        for token in grant.access_tokens:
            self.access_tokens.pop(token, None)
        for token in grant.refresh_tokens:
            self.refresh_tokens.pop(token, None)

    # -- resource access -------------------------------------------------------------------------
    def resolve(self, token: str) -> tuple[User, Grant] | None:
        """The user and grant behind a live access token, or None (unknown, expired, revoked)."""
        at = self.access_tokens.get(token)
        if at is None:
            return None
        if self.now() >= at.expires_ms:
            del self.access_tokens[token]
            return None
        grant = self.grants.get(at.grant_id)
        if grant is None or grant.revoked:
            return None
        user = self.backend.state.users.get(grant.account_id)
        if user is None or not user.active:
            return None
        return user, grant

    def accessible_resources(self, grant: Grant) -> list[dict[str, Any]]:
        scopes = [s for s in grant.scopes if s != "offline_access"]
        site = self.backend.state.site
        own = {
            "id": site.cloud_id,
            "name": site.title,
            "url": self.backend.base_url,
            "scopes": scopes,
            "avatarUrl": SITE_AVATAR,
        }
        extra = [
            {
                "id": s.get("id", ""),
                "name": s.get("name", ""),
                "url": s.get("url", ""),
                "scopes": scopes,
                "avatarUrl": s.get("avatarUrl", SITE_AVATAR),
            }
            for s in self.backend.config.oauth_extra_sites
        ]
        return [*extra, own]  # the order means nothing; own site last so clients must not take [0]
