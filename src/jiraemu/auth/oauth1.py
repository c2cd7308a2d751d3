"""OAuth 1.0a (RSA-SHA1) as Jira Data Center runs it for incoming application links.

The dance: POST /plugins/servlet/oauth/request-token (signed by the consumer), GET
/plugins/servlet/oauth/authorize?oauth_token=... (emulator-only: approves at once as the admin, or
as the user named by the ``emulator_user`` query parameter — a username, user key or accountId),
then POST /plugins/servlet/oauth/access-token with the verifier. REST calls carry an
``Authorization: OAuth ...`` header; the signature, the timestamp window (±5 minutes), nonce reuse
and the token are all checked, and failures answer 401 with an ``oauth_problem``.

The consumer ``config.oauth1_consumer_key`` uses the key pair shipped in ``jiraemu/data``
(``oauth1-test-consumer.key.pem``): it is a published test key, NOT a secret. Register your own
consumer and public key with ``POST /_emulator/oauth1/consumers {consumer_key, public_key_pem}``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from oauthlib.oauth1.rfc5849 import signature, utils
from starlette.requests import Request

from jiraemu.auth.errors import OAuth1Problem
from jiraemu.state import User

if TYPE_CHECKING:
    from jiraemu.backend import Backend

DATA = Path(__file__).resolve().parent.parent / "data"
TEST_PRIVATE_KEY_PATH = DATA / "oauth1-test-consumer.key.pem"
TEST_PUBLIC_KEY_PATH = DATA / "oauth1-test-consumer.pub.pem"

TIMESTAMP_WINDOW_S = 300
REQUEST_TOKEN_TTL_MS = 10 * 60_000
ACCESS_TOKEN_TTL_S = 5 * 365 * 24 * 3600  # Jira's default: five years
SESSION_TTL_S = 5 * 365 * 24 * 3600 + 30 * 24 * 3600


@dataclass
class Consumer:
    key: str
    public_key_pem: str
    name: str = "jiraemu consumer"


@dataclass
class RequestToken:
    token: str
    secret: str
    consumer_key: str
    callback: str
    issued_ms: int
    verifier: str | None = None
    account_id: str | None = None


@dataclass
class AccessToken:
    token: str
    secret: str
    consumer_key: str
    account_id: str
    expires_ms: int


@dataclass
class Signed:
    """A verified request: its consumer and all its OAuth parameters."""

    consumer: Consumer
    params: dict[str, str]


class OAuth1Provider:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        key = backend.config.oauth1_consumer_key
        self.consumers: dict[str, Consumer] = {key: Consumer(key, TEST_PUBLIC_KEY_PATH.read_text(), "jiraemu test consumer")}
        self.request_tokens: dict[str, RequestToken] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self._nonces: dict[tuple[str, str, str], int] = {}  # (consumer, token, nonce) -> timestamp s

    def now(self) -> int:
        return self.backend.clock.now_ms()

    def register_consumer(self, key: str, public_key_pem: str, name: str = "jiraemu consumer") -> Consumer:
        if not key or "BEGIN PUBLIC KEY" not in public_key_pem:
            raise ValueError("consumer_key and a PEM public key (-----BEGIN PUBLIC KEY-----) are required")
        consumer = Consumer(key, public_key_pem, name)
        self.consumers[key] = consumer
        return consumer

    # -- signature checking ----------------------------------------------------------------------
    def verify(self, request: Request, body: bytes) -> Signed:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("oauth "):
            raise OAuth1Problem("parameter_absent", oauth_parameters_absent="oauth_signature")
        try:
            oauth = {k: utils.unescape(v) for k, v in utils.parse_authorization_header(header)}
        except ValueError:
            raise OAuth1Problem("parameter_rejected") from None
        for name in ("oauth_consumer_key", "oauth_signature_method", "oauth_signature", "oauth_timestamp", "oauth_nonce"):
            if not oauth.get(name):
                raise OAuth1Problem("parameter_absent", oauth_parameters_absent=name)
        consumer = self.consumers.get(oauth["oauth_consumer_key"])
        if consumer is None:
            raise OAuth1Problem("consumer_key_unknown")
        if oauth["oauth_signature_method"] != "RSA-SHA1":
            raise OAuth1Problem("signature_method_rejected", oauth_acceptable_signature_methods="RSA-SHA1")
        now_s = self.now() // 1000
        try:
            ts = int(oauth["oauth_timestamp"])
        except ValueError:
            raise OAuth1Problem("timestamp_refused") from None
        if abs(now_s - ts) > TIMESTAMP_WINDOW_S:
            raise OAuth1Problem(
                "timestamp_refused",
                oauth_acceptable_timestamps=f"{now_s - TIMESTAMP_WINDOW_S}-{now_s + TIMESTAMP_WINDOW_S}",
            )
        content_type = request.headers.get("content-type", "")
        form_body = body.decode("utf-8", "replace") if content_type.startswith("application/x-www-form-urlencoded") else None
        params = signature.collect_parameters(
            uri_query=request.url.query,
            body=form_body,
            headers={"Authorization": header},
            exclude_oauth_signature=True,
            with_realm=False,
        )
        if not any(self._signature_ok(request, uri, params, oauth["oauth_signature"], consumer) for uri in self._uris(request)):
            raise OAuth1Problem("signature_invalid")
        nonce_key = (consumer.key, oauth.get("oauth_token", ""), oauth["oauth_nonce"])
        if nonce_key in self._nonces:
            raise OAuth1Problem("nonce_used")
        self._forget_old_nonces(now_s)
        self._nonces[nonce_key] = ts
        return Signed(consumer, {k: v for k, v in params if k.startswith("oauth_")})

    def _uris(self, request: Request) -> list[str]:
        """The URL the client signed: the original path (before the context path was stripped)."""
        original = request.scope.get("jiraemu.original_path", request.url.path)
        base = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
        query = f"?{request.url.query}" if request.url.query else ""
        uris = [base + original + query]
        if original != request.url.path:
            uris.append(base + request.url.path + query)
        return uris

    @staticmethod
    def _signature_ok(request: Request, uri: str, params: list[tuple[str, str]], sig: str, consumer: Consumer) -> bool:
        signed = SimpleNamespace(uri=uri, http_method=request.method, params=params, signature=sig)
        try:
            return bool(signature.verify_rsa_sha1(signed, consumer.public_key_pem))
        except (ValueError, TypeError):
            return False

    def _forget_old_nonces(self, now_s: int) -> None:
        if len(self._nonces) < 10_000:
            return
        horizon = now_s - 2 * TIMESTAMP_WINDOW_S
        self._nonces = {k: ts for k, ts in self._nonces.items() if ts >= horizon}

    # -- the dance -------------------------------------------------------------------------------
    def request_token(self, request: Request, body: bytes) -> str:
        signed = self.verify(request, body)
        if signed.params.get("oauth_token"):
            raise OAuth1Problem("token_rejected")
        callback = signed.params.get("oauth_callback", "oob")
        token = RequestToken(secrets.token_urlsafe(24), secrets.token_urlsafe(24), signed.consumer.key, callback, self.now())
        self.request_tokens[token.token] = token
        return urlencode(
            {"oauth_token": token.token, "oauth_token_secret": token.secret, "oauth_callback_confirmed": "true"}
        )

    def authorize(self, params: Mapping[str, str]) -> RequestToken:
        token = self.request_tokens.get(params.get("oauth_token", ""))
        if token is None or self.now() - token.issued_ms > REQUEST_TOKEN_TTL_MS:
            raise OAuth1Problem("token_rejected")
        user = self._approving_user(params.get("emulator_user"))
        if user is None or not user.active:
            raise OAuth1Problem("permission_denied")
        token.verifier = secrets.token_urlsafe(12)
        token.account_id = user.account_id
        return token

    def _approving_user(self, wanted: str | None) -> User | None:
        state = self.backend.state
        if wanted:
            return state.users.get(wanted) or state.user_by_name(wanted)
        return state.user_by_name(self.backend.config.dc_admin_user)

    def access_token(self, request: Request, body: bytes) -> str:
        signed = self.verify(request, body)
        token = self.request_tokens.get(signed.params.get("oauth_token", ""))
        if token is None or token.consumer_key != signed.consumer.key:
            raise OAuth1Problem("token_rejected")
        if self.now() - token.issued_ms > REQUEST_TOKEN_TTL_MS:
            raise OAuth1Problem("token_expired")
        if token.verifier is None or token.account_id is None:
            raise OAuth1Problem("permission_unknown")
        if not secrets.compare_digest(token.verifier, signed.params.get("oauth_verifier", "")):
            raise OAuth1Problem("token_rejected")
        del self.request_tokens[token.token]
        access = AccessToken(
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(24),
            token.consumer_key,
            token.account_id,
            self.now() + ACCESS_TOKEN_TTL_S * 1000,
        )
        self.access_tokens[access.token] = access
        return urlencode(
            {
                "oauth_token": access.token,
                "oauth_token_secret": access.secret,
                "oauth_expires_in": str(ACCESS_TOKEN_TTL_S),
                "oauth_session_handle": secrets.token_urlsafe(16),
                "oauth_authorization_expires_in": str(SESSION_TTL_S),
            }
        )

    def authenticate(self, request: Request, body: bytes) -> tuple[User, str]:
        """A signed REST request: the user behind its access token and the consumer key."""
        signed = self.verify(request, body)
        token = self.access_tokens.get(signed.params.get("oauth_token", ""))
        if token is None or token.consumer_key != signed.consumer.key:
            raise OAuth1Problem("token_rejected")
        if self.now() >= token.expires_ms:
            raise OAuth1Problem("token_expired")
        user = self.backend.state.users.get(token.account_id)
        if user is None or not user.active:
            raise OAuth1Problem("permission_denied")
        return user, signed.consumer.key


def callback_url(token: RequestToken) -> str | None:
    """Where /authorize sends the browser, or None for out-of-band clients."""
    if token.callback in ("", "oob"):
        return None
    sep = "&" if "?" in token.callback else "?"
    return token.callback + sep + urlencode({"oauth_token": token.token, "oauth_verifier": token.verifier or ""})


def parse_form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
