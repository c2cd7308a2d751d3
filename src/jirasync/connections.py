"""Connections: a name, a site, an auth method and encrypted secrets — stored, verified, opened.

Library front (the CLI calls exactly these)::

    conns = Connections.open()                      # JIRASYNC_HOME / JIRASYNC_DB
    conn, report = await conns.add("acme", "https://acme.atlassian.net",
                                   Credentials.api_token("me@acme.com", Secret(token)))
    async with conns.client("acme") as jira:
        me = await jira.get("/rest/api/3/myself")

The HTTP side (httpx, the auth flows, the connection check, the client) is imported where it is
used, so commands that only read the store (``jirasync connections list``) do not load it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from jirasync.auth import AuthMethod
from jirasync.exceptions import ConfigError, ConnectionNotFound
from jirasync.settings import Settings
from jirasync.site import normalize_site_url
from jirasync.store import ConnectionRow, Store
from jirasync.vault import Secret, Vault, load_key

if TYPE_CHECKING:
    import httpx

    from jirasync.auth.oauth1 import OAuth1Consumer
    from jirasync.auth.oauth2 import OAuth2App, OAuth2Tokens
    from jirasync.check import CheckReport, Features
    from jirasync.client import ClientOptions, JiraClient

NAME_RULE = "letters, digits, '-', '_' and '.', up to 100 characters"
DATE_FILTERS = frozenset({"created_after", "created_before", "updated_after", "updated_before"})
FILTER_KEYS = frozenset({"projects", "exclude_projects", "paused", "jql"}) | DATE_FILTERS


@dataclass(frozen=True)
class Credentials:
    """What a user brings. Secrets are ``Secret`` values; nothing here is ever printed."""

    method: AuthMethod
    login: str | None = None  # email (api-token) or username (basic)
    secret: Secret | None = None  # API token, PAT or password
    # OAuth 2.0 (3LO)
    oauth2_app: OAuth2App | None = None
    oauth2_tokens: OAuth2Tokens | None = None
    cloud_id: str | None = None
    # OAuth 1.0a
    oauth1_consumer: OAuth1Consumer | None = None
    oauth1_token: Secret | None = None
    oauth1_token_secret: Secret | None = None

    @classmethod
    def api_token(cls, email: str, token: Secret) -> Credentials:
        return cls(AuthMethod.API_TOKEN, email, token)

    @classmethod
    def pat(cls, token: Secret) -> Credentials:
        return cls(AuthMethod.PAT, None, token)

    @classmethod
    def basic(cls, username: str, password: Secret) -> Credentials:
        return cls(AuthMethod.BASIC, username, password)

    def validate(self) -> None:
        m = self.method
        if m is AuthMethod.API_TOKEN and not (self.login and "@" in self.login):
            raise ConfigError("email", "an API token is used with the Atlassian account's email", fix="pass --email you@example.com")
        if m is AuthMethod.BASIC and not self.login:
            raise ConfigError("username", "username + password needs the username", fix="pass --username NAME")
        if m in (AuthMethod.API_TOKEN, AuthMethod.PAT, AuthMethod.BASIC) and not self.secret:
            raise ConfigError("secret", "the secret is empty", fix="set it in the environment variable named by --secret-env, or use --secret-stdin")
        if m is AuthMethod.OAUTH2 and (self.oauth2_app is None or self.oauth2_tokens is None):
            raise ConfigError("oauth2", "OAuth 2.0 needs an app and a completed authorization", fix="run `jirasync connect NAME --auth oauth2 --client-id ID`")
        if m is AuthMethod.OAUTH1 and (self.oauth1_consumer is None or self.oauth1_token is None):
            raise ConfigError("oauth1", "OAuth 1.0a needs a consumer key, private key and access token", fix="see docs/connecting.md, OAuth 1.0a")

    def __repr__(self) -> str:
        return f"Credentials(method={self.method.value!r}, login={self.login!r}, secrets=**********)"

    # -- storage form (encrypted as a whole) --------------------------------------------------------
    def secret_blob(self) -> dict[str, Any]:
        blob: dict[str, Any] = {}
        if self.secret is not None:
            blob["secret"] = self.secret.reveal()
        if self.oauth2_app is not None:
            app = self.oauth2_app
            blob["oauth2"] = {
                "client_id": app.client_id,
                "client_secret": app.client_secret.reveal(),
                "redirect_uri": app.redirect_uri,
                "scopes": list(app.scopes),
                "auth_base": app.auth_base,
                "api_base": app.api_base,
                "tokens": self.oauth2_tokens.to_dict() if self.oauth2_tokens else None,
            }
        if self.oauth1_consumer is not None:
            blob["oauth1"] = {
                "consumer_key": self.oauth1_consumer.consumer_key,
                "private_key": self.oauth1_consumer.private_key_pem.reveal(),
                "token": self.oauth1_token.reveal() if self.oauth1_token else None,
                "token_secret": self.oauth1_token_secret.reveal() if self.oauth1_token_secret else None,
            }
        return blob

    @classmethod
    def from_blob(cls, method: AuthMethod, login: str | None, cloud_id: str | None, blob: dict[str, Any]) -> Credentials:
        from jirasync.auth.oauth1 import OAuth1Consumer
        from jirasync.auth.oauth2 import OAuth2App, OAuth2Tokens

        secret = Secret(blob["secret"]) if blob.get("secret") else None
        app = tokens = consumer = token = token_secret = None
        if "oauth2" in blob:
            o = blob["oauth2"]
            app = OAuth2App(o["client_id"], Secret(o["client_secret"]), o["redirect_uri"], tuple(o["scopes"]), o["auth_base"], o["api_base"])
            tokens = OAuth2Tokens.from_dict(o["tokens"]) if o.get("tokens") else None
        if "oauth1" in blob:
            o = blob["oauth1"]
            consumer = OAuth1Consumer(o["consumer_key"], Secret(o["private_key"]))
            token = Secret(o["token"]) if o.get("token") else None
            token_secret = Secret(o["token_secret"]) if o.get("token_secret") else None
        return cls(method, login, secret, app, tokens, cloud_id, consumer, token, token_secret)


@dataclass(frozen=True)
class Connection:
    name: str
    url: str
    deployment: str  # Cloud | Server | DataCenter
    server_version: str | None
    auth_method: AuthMethod
    login: str | None
    token_expires_on: date | None
    account_id: str | None
    display_name: str | None
    time_zone: str | None
    email_visible: bool | None
    cloud_id: str | None
    options: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_cloud(self) -> bool:
        return self.deployment == "Cloud"

    @property
    def api_version(self) -> int:
        return 3 if self.is_cloud else 2

    def days_to_expiry(self, today: date | None = None) -> int | None:
        if self.token_expires_on is None:
            return None
        return (self.token_expires_on - (today or datetime.now(UTC).date())).days

    @classmethod
    def from_row(cls, row: ConnectionRow) -> Connection:
        return cls(
            row.name, row.url, row.deployment, row.server_version, AuthMethod(row.auth_method), row.login,
            row.token_expires_on, row.account_id, row.display_name, row.time_zone, row.email_visible,
            row.cloud_id, dict(row.options or {}), row.created_at, row.updated_at,
        )


def check_name(name: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name or ""):
        raise ConfigError("name", f"{name!r} is not a valid connection name", fix=f"use {NAME_RULE}")
    return name


def build_auth(creds: Credentials, on_rotate: Any = None) -> httpx.Auth:
    from jirasync.auth.basic import ApiTokenAuth, PasswordAuth, PatAuth
    from jirasync.auth.oauth1 import OAuth1Auth
    from jirasync.auth.oauth2 import OAuth2Auth

    m = creds.method
    if m is AuthMethod.API_TOKEN:
        assert creds.login and creds.secret
        return ApiTokenAuth(creds.login, creds.secret)
    if m is AuthMethod.BASIC:
        assert creds.login and creds.secret
        return PasswordAuth(creds.login, creds.secret)
    if m is AuthMethod.PAT:
        assert creds.secret
        return PatAuth(creds.secret)
    if m is AuthMethod.OAUTH2:
        assert creds.oauth2_app and creds.oauth2_tokens
        store = on_rotate if on_rotate is not None else _MemoryTokens(creds.oauth2_tokens)
        return OAuth2Auth(creds.oauth2_app, store)
    assert creds.oauth1_consumer and creds.oauth1_token
    return OAuth1Auth(creds.oauth1_consumer, creds.oauth1_token, creds.oauth1_token_secret)


def api_base_url(url: str, creds: Credentials) -> str:
    """OAuth 2.0 calls go through the gateway ``/ex/jira/{cloudId}``; everything else to the site."""
    if creds.method is AuthMethod.OAUTH2 and creds.oauth2_app is not None and creds.cloud_id:
        return creds.oauth2_app.gateway_url(creds.cloud_id)
    return url


@dataclass
class _MemoryTokens:
    tokens: OAuth2Tokens

    async def load(self) -> OAuth2Tokens:
        return self.tokens

    async def save(self, tokens: OAuth2Tokens) -> None:
        self.tokens = tokens


class StoredTokens:
    """An OAuth 2.0 connection's tokens in the store; ``save`` re-encrypts in one transaction."""

    def __init__(self, conns: Connections, name: str) -> None:
        self.conns = conns
        self.name = name

    async def load(self) -> OAuth2Tokens:
        creds = self.conns.credentials(self.name)
        assert creds.oauth2_tokens is not None
        return creds.oauth2_tokens

    async def save(self, tokens: OAuth2Tokens) -> None:
        self.conns._update_credentials(self.name, lambda c: replace(c, oauth2_tokens=tokens))


class Connections:
    def __init__(self, store: Store, vault: Vault, settings: Settings | None = None) -> None:
        self.store = store
        self.vault = vault
        self.settings = settings

    @classmethod
    def open(cls, home: str | None = None, db: str | None = None) -> Connections:
        settings = Settings.from_env(home, db)
        settings.ensure_home()
        store = Store(settings.db_url)
        store.migrate()
        return cls(store, Vault(load_key(settings.key_file)), settings)

    def __repr__(self) -> str:
        return f"Connections({self.store!r})"

    # -- reading ---------------------------------------------------------------------------------
    def list(self) -> list[Connection]:
        with self.store.session() as s:
            return [Connection.from_row(r) for r in s.scalars(select(ConnectionRow).order_by(ConnectionRow.name))]

    def get(self, name: str) -> Connection:
        with self.store.session() as s:
            row = s.scalar(select(ConnectionRow).where(ConnectionRow.name == name))
            if row is None:
                raise ConnectionNotFound(name)
            return Connection.from_row(row)

    def credentials(self, name: str) -> Credentials:
        with self.store.session() as s:
            row = s.scalar(select(ConnectionRow).where(ConnectionRow.name == name))
            if row is None:
                raise ConnectionNotFound(name)
            blob = json.loads(self.vault.decrypt(row.secrets, f"connection:{name}"))
            return Credentials.from_blob(AuthMethod(row.auth_method), row.login, row.cloud_id, blob)

    # -- writing ---------------------------------------------------------------------------------
    async def add(
        self,
        name: str,
        url: str,
        creds: Credentials,
        *,
        token_expires_on: date | None = None,
        features: Features | None = None,
        replace_existing: bool = False,
        options: ClientOptions | None = None,
    ) -> tuple[Connection | None, CheckReport]:
        """Verify, then store. Nothing is stored when the check fails."""
        from jirasync.check import Features, run_check

        check_name(name)
        creds.validate()
        site = normalize_site_url(url)
        report = await run_check(site.base, creds, features or Features(), token_expires_on=token_expires_on, options=options)
        if not report.connected:
            return None, report
        with self.store.session() as s:
            row = s.scalar(select(ConnectionRow).where(ConnectionRow.name == name))
            if row is not None and not replace_existing:
                raise ConfigError("name", f"a connection named {name!r} exists", fix="pick another name, or `jirasync connections remove NAME` first")
            if row is None:
                row = ConnectionRow(name=name, options={})
                s.add(row)
            row.url = report.url
            row.deployment = report.deployment or ""
            row.server_version = report.version
            row.auth_method = creds.method.value
            row.login = creds.login
            row.cloud_id = creds.cloud_id or report.cloud_id
            row.secrets = self.vault.encrypt(json.dumps(creds.secret_blob()), f"connection:{name}")
            row.token_expires_on = token_expires_on
            self._apply_identity(row, report)
        return self.get(name), report

    def _apply_identity(self, row: ConnectionRow, report: CheckReport) -> None:
        row.account_id = report.account_id
        row.display_name = report.display_name
        row.time_zone = report.time_zone
        row.email_visible = report.email_visible
        row.updated_at = datetime.now(UTC)

    def _update_credentials(self, name: str, change: Any) -> None:
        with self.store.session() as s:
            row = s.scalar(select(ConnectionRow).where(ConnectionRow.name == name).with_for_update())
            if row is None:
                raise ConnectionNotFound(name)
            blob = json.loads(self.vault.decrypt(row.secrets, f"connection:{name}"))
            creds = change(Credentials.from_blob(AuthMethod(row.auth_method), row.login, row.cloud_id, blob))
            row.secrets = self.vault.encrypt(json.dumps(creds.secret_blob()), f"connection:{name}")
            row.updated_at = datetime.now(UTC)

    async def test(self, name: str, features: Features | None = None, options: ClientOptions | None = None) -> CheckReport:
        from jirasync.check import Features, run_check

        conn = self.get(name)
        creds = self.credentials(name)
        token_store = StoredTokens(self, name) if creds.method is AuthMethod.OAUTH2 else None
        report = await run_check(conn.url, creds, features or Features(), token_expires_on=conn.token_expires_on,
                                 options=options, token_store=token_store)
        if report.connected:
            with self.store.session() as s:
                row = s.scalar(select(ConnectionRow).where(ConnectionRow.name == name))
                assert row is not None
                self._apply_identity(row, report)
        return report

    async def rotate(
        self, name: str, creds: Credentials, *, token_expires_on: date | None = None, options: ClientOptions | None = None
    ) -> CheckReport:
        """Replace the secret; kept only when the new one verifies."""
        from jirasync.check import Features, run_check

        conn = self.get(name)
        if creds.method is not conn.auth_method:
            raise ConfigError("auth", f"{name} uses {conn.auth_method.value}, not {creds.method.value}",
                              fix="remove the connection and connect again to change the auth method")
        creds.validate()
        report = await run_check(conn.url, creds, Features(), token_expires_on=token_expires_on, options=options)
        if report.connected:
            if conn.account_id and report.account_id and report.account_id != conn.account_id:
                report.add("same user", False, f"the new secret belongs to {report.display_name}, not {conn.display_name}",
                           "use a token of the connection's own Jira user, or connect under a new name")
                return report
            with self.store.session() as s:
                row = s.scalar(select(ConnectionRow).where(ConnectionRow.name == name))
                assert row is not None
                row.secrets = self.vault.encrypt(json.dumps(creds.secret_blob()), f"connection:{name}")
                row.login = creds.login
                row.token_expires_on = token_expires_on
                self._apply_identity(row, report)
        return report

    def configure(self, name: str, *, filters: dict[str, Any] | None = None, interval_minutes: float | None = None,
                  reset_filters: bool = False, attachment_content: bool | None = None,
                  attachment_max_bytes: int | None = None, reference_refresh_hours: float | None = None) -> Connection:
        """Change a connection's sync options: ``filters`` (merged key by key; a ``None`` value removes
        the key), the daemon's ``interval_minutes`` and ``reference_refresh_hours`` (how often groups,
        roles, permission schemes and security levels are re-read even when the audit log shows no
        change). Validated before anything is stored."""
        for key, value in (filters or {}).items():
            if key not in FILTER_KEYS:
                raise ConfigError(key, "is not a sync filter", fix=f"use one of: {', '.join(sorted(FILTER_KEYS))}")
            if key in DATE_FILTERS and value is not None:
                try:
                    date.fromisoformat(str(value))
                except ValueError:
                    raise ConfigError(key, f"{value!r} is not a date", fix="use YYYY-MM-DD") from None
        if interval_minutes is not None and interval_minutes <= 0:
            raise ConfigError("interval", "must be a positive number of minutes", fix="e.g. --interval 30")
        if reference_refresh_hours is not None and not reference_refresh_hours >= 0:
            raise ConfigError("reference-refresh-hours", "must be 0 (every run) or a positive number of hours",
                              fix="e.g. --reference-refresh-hours 6")
        with self.store.session() as s:
            row = s.scalar(select(ConnectionRow).where(ConnectionRow.name == name))
            if row is None:
                raise ConnectionNotFound(name)
            options = dict(row.options or {})
            current = {} if reset_filters else dict(options.get("filters") or {})
            for key, value in (filters or {}).items():
                if value in (None, [], ""):
                    current.pop(key, None)
                else:
                    current[key] = [v.upper() for v in value] if isinstance(value, list) else value
            options["filters"] = current
            if interval_minutes is not None:
                options["interval_minutes"] = interval_minutes
            if reference_refresh_hours is not None:
                options["reference_refresh_hours"] = reference_refresh_hours
            if attachment_content is not None or attachment_max_bytes is not None:
                attachments = dict(options.get("attachments") or {})
                if attachment_content is not None:
                    attachments["content"] = attachment_content
                if attachment_max_bytes is not None:
                    if attachment_max_bytes <= 0:
                        raise ConfigError("attachment-max-mb", "must be positive", fix="e.g. --attachment-max-mb 10")
                    attachments["max_bytes"] = attachment_max_bytes
                options["attachments"] = attachments
            row.options = options
            row.updated_at = datetime.now(UTC)
        return self.get(name)

    def remove(self, name: str) -> None:
        with self.store.session() as s:
            row = s.scalar(select(ConnectionRow).where(ConnectionRow.name == name))
            if row is None:
                raise ConnectionNotFound(name)
            s.delete(row)

    # -- using -----------------------------------------------------------------------------------
    def auth(self, name: str) -> tuple[httpx.Auth, str]:
        creds = self.credentials(name)
        conn = self.get(name)
        token_store = StoredTokens(self, name) if creds.method is AuthMethod.OAUTH2 else None
        return build_auth(creds, token_store), api_base_url(conn.url, creds)

    @asynccontextmanager
    async def client(self, name: str, options: ClientOptions | None = None) -> AsyncIterator[JiraClient]:
        from jirasync.client import JiraClient

        conn = self.get(name)
        auth, base = self.auth(name)
        async with JiraClient(base, auth, options=options, auth_kind=conn.auth_method.value) as client:
            yield client
