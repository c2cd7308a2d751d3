"""Static credentials: Cloud email + API token (Basic), DC username + password (Basic), DC PAT (Bearer)."""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx

from jirasync.vault import Secret


class ApiTokenAuth(httpx.Auth):
    """Jira Cloud: ``Authorization: Basic base64(email:api_token)``."""

    def __init__(self, email: str, token: Secret) -> None:
        self.email = email
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raw = f"{self.email}:{self._token.reveal()}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        yield request

    def __repr__(self) -> str:
        return f"ApiTokenAuth(email={self.email!r}, token=**********)"


class PasswordAuth(ApiTokenAuth):
    """Server/Data Center username + password (the least secure method: prefer a PAT)."""

    def __repr__(self) -> str:
        return f"PasswordAuth(username={self.email!r}, password=**********)"


class PatAuth(httpx.Auth):
    """Server/Data Center personal access token: ``Authorization: Bearer <pat>``."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request

    def __repr__(self) -> str:
        return "PatAuth(token=**********)"
