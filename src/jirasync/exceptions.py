"""Every error jirasync raises, named by what the caller does next.

::

    JirasyncError
    ├── ConfigError            bad input from the user (a URL, an option, a file): names the field and the fix
    ├── SecretError            the secret key is missing, unreadable, or does not open a stored secret
    ├── StoreError             the store cannot be opened or migrated
    ├── RecordError            one record from Jira cannot be read (names the kind, id and field): skip it
    ├── ConnectionNotFound     no connection of that name
    └── JiraError              Jira (or the network on the way to it) refused a request
        ├── RetriableError     worth retrying later: carries ``retry_after`` (seconds) when known
        │   ├── RateLimited            429 (``reason`` is Jira's RateLimit-Reason)
        │   ├── ServerError            5xx
        │   └── NetworkError           connect failure, reset, timeout, truncated body
        └── FatalError         retrying cannot help; the message says what to fix
            ├── AuthenticationError    401: wrong or expired credentials — never retried
            │   └── ReauthorizeRequired   OAuth 2.0 grant revoked or expired: run the consent again
            ├── PermissionDenied       403: the Jira user lacks a permission
            ├── NotFound               404: missing, or not visible to this user
            ├── Gone                   410: the API was removed (Jira's message kept)
            ├── BadRequest             400: Jira rejected the request (``errors`` per field)
            └── UnsupportedJira        not a Jira, or a version we do not support

Errors from httpx are translated in exactly one place, the client's transport layer
(``jirasync.client._transport``). Messages never contain secrets.
"""

from __future__ import annotations

from typing import Any


class JirasyncError(Exception):
    """Base of every jirasync error. ``fix`` is a one-line instruction for the user, when known."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} — {self.fix}" if self.fix else self.message


class ConfigError(JirasyncError):
    """Invalid user input. ``field`` names the option or record field at fault."""

    def __init__(self, field: str, message: str, *, fix: str | None = None) -> None:
        super().__init__(f"{field}: {message}", fix=fix)
        self.field = field


class SecretError(JirasyncError):
    pass


class StoreError(JirasyncError):
    pass


class RecordError(JirasyncError):
    """A record Jira sent that we cannot read. Skippable: the sync stores it in ``skipped_records``."""

    def __init__(self, kind: str, field: str, message: str, *, remote_id: str | None = None, raw: Any = None) -> None:
        where = f"{kind} {remote_id}" if remote_id else kind
        super().__init__(f"{where}: {field}: {message}")
        self.kind = kind
        self.field = field
        self.detail = message
        self.remote_id = remote_id
        self.raw = raw  # the JSON that failed (for the dead-letter table); never printed


class ConnectionNotFound(JirasyncError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"no connection named {name!r}", fix="list them with `jirasync connections list`"
        )
        self.name = name


class JiraError(JirasyncError):
    """A request Jira (or the network) refused. ``method``/``path`` never include credentials."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str = "",
        path: str = "",
        messages: list[str] | None = None,
        errors: dict[str, Any] | None = None,
        request_id: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message, fix=fix)
        self.status = status
        self.method = method
        self.path = path
        self.messages = messages or []
        self.errors = errors or {}
        self.request_id = request_id


class RetriableError(JiraError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class RateLimited(RetriableError):
    def __init__(self, message: str, *, reason: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reason = reason


class ServerError(RetriableError):
    pass


class NetworkError(RetriableError):
    pass


class FatalError(JiraError):
    pass


class AuthenticationError(FatalError):
    pass


class ReauthorizeRequired(AuthenticationError):
    pass


class PermissionDenied(FatalError):
    pass


class NotFound(FatalError):
    pass


class Gone(FatalError):
    pass


class BadRequest(FatalError):
    pass


class UnsupportedJira(FatalError):
    pass
