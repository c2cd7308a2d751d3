"""The one place where httpx outcomes become jirasync errors.

``classify(response)`` maps a Jira response to ``None`` (success) or the error to raise;
``network_error(exc)`` maps an httpx transport exception. Messages carry method, path (never the
query, which may hold user data, and never headers), Jira's own messages and request id, and a fix.
"""

from __future__ import annotations

import email.utils
import time
from datetime import datetime
from typing import Any

import httpx

from jirasync.exceptions import (
    AuthenticationError,
    BadRequest,
    FatalError,
    Gone,
    JiraError,
    NetworkError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
)

AUTH_FIXES = {
    "api-token": "check the email/API token pair: the token must belong to this email and this site "
    "(create one at https://id.atlassian.com/manage-profile/security/api-tokens); for a stored "
    "connection, `jirasync connections rotate NAME`",
    "pat": "the personal access token is wrong, expired or revoked: create a new one in Jira "
    "(Profile → Personal Access Tokens); for a stored connection, `jirasync connections rotate NAME`",
    "basic": "check the username and password (Jira Cloud does not accept passwords: use an API token)",
    "oauth2": "the OAuth 2.0 authorization is no longer valid: `jirasync connections rotate NAME`",
    "oauth1": "the OAuth 1.0a access token was rejected: check the application link, then "
    "`jirasync connections rotate NAME`",
}


def request_id(response: httpx.Response) -> str | None:
    return response.headers.get("X-AREQUESTID") or response.headers.get("atl-traceid")


def jira_messages(response: httpx.Response) -> tuple[list[str], dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return ([text[:300]] if text and "<html" not in text.lower() else []), {}
    if isinstance(body, dict):
        messages = [str(m) for m in body.get("errorMessages") or []]
        if not messages and body.get("message"):
            messages = [str(body["message"])]
        errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
        return messages, dict(errors or {})
    return [], {}


def parse_retry_after(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds to wait: ``Retry-After`` (seconds or HTTP date), else ``X-RateLimit-Reset`` (ISO)."""
    now = time.time() if now is None else now
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - now)
    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            return max(0.0, datetime.fromisoformat(reset.replace("Z", "+00:00")).timestamp() - now)
        except ValueError:
            return None
    return None


def classify(response: httpx.Response, method: str, path: str, auth_kind: str = "") -> JiraError | None:
    status = response.status_code
    if status < 400:
        return None
    messages, errors = jira_messages(response)
    rid = request_id(response)
    detail = "; ".join(messages + [f"{k}: {v}" for k, v in errors.items()])[:500]
    where = f"{method} {path}"
    common: dict[str, Any] = {"status": status, "method": method, "path": path, "messages": messages, "errors": errors, "request_id": rid}
    if status == 429:
        reason = response.headers.get("RateLimit-Reason")
        return RateLimited(
            f"Jira rate-limited {where} ({reason or 'no reason given'})",
            retry_after=parse_retry_after(response),
            reason=reason,
            fix="lower the connection's budget or concurrency",
            **common,
        )
    if status >= 500:
        return ServerError(
            f"Jira answered {status} to {where}", retry_after=parse_retry_after(response) if "Retry-After" in response.headers else None, **common
        )
    if status == 401:
        seraph = response.headers.get("X-Seraph-LoginReason", "")
        if "AUTHENTICATION_DENIED" in seraph:
            fix = "Jira requires a CAPTCHA after failed logins: log in once in a browser, then retry"
        else:
            fix = AUTH_FIXES.get(auth_kind, "check the credentials")
        return AuthenticationError(f"Jira refused the credentials (401) for {where}", fix=fix, **common)
    if status == 403:
        return PermissionDenied(
            f"the Jira user may not do {where} (403){': ' + detail if detail else ''}",
            fix="grant the permission to the connection's Jira user (see `jirasync connections test NAME`)",
            **common,
        )
    if status == 404:
        return NotFound(f"{where}: not found, or not visible to this user{': ' + detail if detail else ''}", **common)
    if status == 410:
        return Gone(f"{where} was removed from Jira's API: {detail or 'Gone'}", fix="upgrade jirasync", **common)
    if status == 400:
        return BadRequest(f"Jira rejected {where}: {detail or 'Bad Request'}", **common)
    if status == 413:
        return BadRequest(f"Jira refused {where} as too large: {detail or 'Payload Too Large'}", **common)
    return FatalError(f"Jira answered {status} to {where}{': ' + detail if detail else ''}", **common)


def network_error(exc: httpx.HTTPError, method: str, path: str) -> NetworkError:
    kind = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        text = f"{method} {path} timed out ({kind})"
    elif isinstance(exc, httpx.ConnectError):
        text = f"cannot connect for {method} {path} ({kind}: {exc})"
    else:
        text = f"the connection broke during {method} {path} ({kind})"
    return NetworkError(text, method=method, path=path, fix="check the URL and the network; retried automatically where safe")


def body_cut(method: str, path: str) -> NetworkError:
    return NetworkError(f"the response to {method} {path} is not complete JSON (cut off)", method=method, path=path)
