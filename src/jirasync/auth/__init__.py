"""Auth strategies, each an ``httpx.Auth`` flow: API token, PAT, password, OAuth 2.0 (3LO), OAuth 1.0a."""

from __future__ import annotations

from enum import StrEnum

from jirasync.auth.basic import ApiTokenAuth, PasswordAuth, PatAuth
from jirasync.auth.oauth1 import OAuth1Auth, OAuth1Consumer
from jirasync.auth.oauth2 import OAuth2App, OAuth2Auth, OAuth2Tokens, TokenStore


class AuthMethod(StrEnum):
    API_TOKEN = "api-token"  # Cloud: email + API token (Basic)
    PAT = "pat"  # Server/DC: personal access token (Bearer)
    BASIC = "basic"  # Server/DC: username + password (Basic) — least secure
    OAUTH2 = "oauth2"  # Cloud: OAuth 2.0 (3LO)
    OAUTH1 = "oauth1"  # Server/DC: OAuth 1.0a application link

    @property
    def cloud_only(self) -> bool:
        return self in (AuthMethod.API_TOKEN, AuthMethod.OAUTH2)

    @property
    def server_only(self) -> bool:
        return self in (AuthMethod.PAT, AuthMethod.BASIC, AuthMethod.OAUTH1)


__all__ = [
    "ApiTokenAuth",
    "AuthMethod",
    "OAuth1Auth",
    "OAuth1Consumer",
    "OAuth2App",
    "OAuth2Auth",
    "OAuth2Tokens",
    "PasswordAuth",
    "PatAuth",
    "TokenStore",
]
