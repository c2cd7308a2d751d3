"""Authentication: maps a request's credentials to a Caller, with Jira's 401s where Jira gives them.

Cloud site routes take Basic ``email:api_token`` only. Gateway routes (``/ex/jira/{cloudId}/...``,
marked by ``scope["jiraemu.gateway"]``) and ``/oauth/token/accessible-resources`` take only OAuth 2.0
Bearer access tokens, whose scopes are checked coarsely per operation. DC takes Basic
``username:password``, Bearer personal access tokens and OAuth 1.0a RSA-SHA1 signed requests.
Inactive users cannot authenticate. The OAuth endpoints themselves (/authorize, /oauth/token, the
OAuth 1.0a servlets) read their own credentials, so any Authorization header there is ignored.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from starlette.requests import Request

from jiraemu.auth import errors
from jiraemu.auth.oauth1 import OAuth1Provider
from jiraemu.auth.oauth2 import OAuth2Provider
from jiraemu.errors import JiraError
from jiraemu.http import ANONYMOUS, Caller
from jiraemu.state import User

if TYPE_CHECKING:
    from jiraemu.backend import Backend

# endpoints that authenticate their clients themselves
SELF_AUTHENTICATED = frozenset(
    {
        "/authorize",
        "/oauth/token",
        "/plugins/servlet/oauth/request-token",
        "/plugins/servlet/oauth/authorize",
        "/plugins/servlet/oauth/access-token",
    }
)
# api.atlassian.com paths outside /ex/jira that take an OAuth 2.0 access token
OAUTH2_PLATFORM = frozenset({"/oauth/token/accessible-resources", "/me"})

# POSTs that only read (Jira documents read:jira-work for them)
READ_POSTS = (
    "/search/jql",
    "/search",
    "/search/approximate-count",
    "/issue/bulkfetch",
    "/changelog/bulkfetch",
    "/jql/parse",
    "/jql/match",
    "/expression/eval",
    "/expression/evaluate",
    "/issue/picker",
    "/user/bulk",
)
USER_SEGMENTS = ("/user", "/users", "/myself", "/group", "/groups", "/groupuserpicker")


def required_scopes(method: str, path: str) -> tuple[frozenset[str], str]:
    """The classic scopes any of which allows ``method path``, plus the granular-scope verb prefix.

    Coarse on purpose: read:jira-work for reading issues and search, write:jira-work for writes,
    read:jira-user for users and groups, manage:jira-webhook for dynamic webhooks.
    """
    rest = path.split("/rest/", 1)[-1]
    tail = "/" + rest.split("/", 2)[-1] if rest.count("/") >= 2 else "/" + rest
    reading = method in ("GET", "HEAD", "OPTIONS") or (method == "POST" and tail.rstrip("/") in READ_POSTS)
    if tail.startswith("/webhook"):
        return frozenset({"manage:jira-webhook"}), "webhook:jira"
    if reading and any(tail == s or tail.startswith(s + "/") or tail.startswith(s + "?") for s in USER_SEGMENTS):
        return frozenset({"read:jira-user"}), "read:"
    if reading:
        return frozenset({"read:jira-work"}), "read:"
    return frozenset({"write:jira-work", "manage:jira-project", "manage:jira-configuration"}), "write:"


def scopes_allow(scopes: frozenset[str], method: str, path: str) -> bool:
    needed, granular = required_scopes(method, path)
    if scopes & needed:
        return True
    # granular scopes (read:issue:jira, write:comment:jira, ...) are accepted by their verb
    if granular == "write:":
        return any(s.startswith(("write:", "delete:")) and s.endswith((":jira", ":jira-software")) for s in scopes)
    if granular == "webhook:jira":
        return any(s.endswith("webhook:jira") for s in scopes)
    return any(s.startswith(granular) and s.endswith((":jira", ":jira-software")) for s in scopes)


class AuthService:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.oauth2 = OAuth2Provider(backend)
        self.oauth1 = OAuth1Provider(backend)
        self._basic: dict[str, str] = {}  # Authorization header value -> account id (verified before)

    def authenticate(self, request: Request, body: bytes) -> Caller:
        path = request.url.path
        if path in SELF_AUTHENTICATED:
            return ANONYMOUS
        header = request.headers.get("authorization", "")
        config = self.backend.config
        if config.is_cloud and (request.scope.get("jiraemu.gateway") or path in OAUTH2_PLATFORM):
            return self._oauth2(header, request.method, path)
        if not header:
            return ANONYMOUS
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "basic":
            user = self._basic_user(header, value)
            if user is not None:
                return Caller(user, "basic")
        elif not config.is_cloud and scheme == "bearer":
            for user in self.backend.state.users.values():
                if user.pat and user.active and value == user.pat:
                    return Caller(user, "pat")
        elif not config.is_cloud and scheme == "oauth":
            try:
                user, consumer_key = self.oauth1.authenticate(request, body)
            except errors.OAuth1Problem as problem:
                raise problem.error(self.backend.base_url) from None
            return Caller(user, "oauth1", client_id=consumer_key)
        raise self._login_failed()

    def _login_failed(self) -> JiraError:
        base = self.backend.base_url
        return errors.cloud_login_failed(base) if self.backend.config.is_cloud else errors.dc_login_failed(base)

    def _basic_user(self, header: str, value: str) -> User | None:
        users = self.backend.state.users
        cached = self._basic.get(header)
        if cached is not None:
            user = users.get(cached)
            if user is not None and self._secret_ok(user, value):
                return user
            del self._basic[header]
        try:
            login, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        cloud = self.backend.config.is_cloud
        for user in users.values():
            if cloud:
                ok = user.email.lower() == login.lower() and bool(user.api_token) and secret == user.api_token
            else:
                ok = user.name == login and bool(user.password) and secret == user.password
            if ok:
                if not user.active:
                    return None
                self._basic[header] = user.account_id
                return user
        return None

    def _secret_ok(self, user: User, value: str) -> bool:
        if not user.active:
            return False
        login, _, secret = base64.b64decode(value).decode().partition(":")
        if self.backend.config.is_cloud:
            return user.email.lower() == login.lower() and bool(user.api_token) and secret == user.api_token
        return user.name == login and bool(user.password) and secret == user.password

    def _oauth2(self, header: str, method: str, path: str) -> Caller:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise errors.gateway_unauthorized()
        found = self.oauth2.resolve(token.strip())
        if found is None:
            raise errors.gateway_unauthorized()
        user, grant = found
        scopes = frozenset(grant.scopes)
        if path not in OAUTH2_PLATFORM and not scopes_allow(scopes, method, path):
            raise errors.scope_mismatch()
        return Caller(user, "oauth2", scopes, grant.client_id)
