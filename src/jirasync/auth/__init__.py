"""Auth strategies, each an ``httpx.Auth`` flow: API token, PAT, password, OAuth 2.0 (3LO), OAuth 1.0a.

``AuthMethod`` is here; the strategies live in ``basic``, ``oauth1`` and ``oauth2`` and are imported
from this package on first use (``from jirasync.auth import OAuth2Auth`` still works), so that a
command which only needs the enum (``jirasync --help``) does not load httpx.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


_LAZY = {
    "ApiTokenAuth": "basic", "PasswordAuth": "basic", "PatAuth": "basic",
    "OAuth1Auth": "oauth1", "OAuth1Consumer": "oauth1",
    "OAuth2App": "oauth2", "OAuth2Auth": "oauth2", "OAuth2Tokens": "oauth2", "TokenStore": "oauth2",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
