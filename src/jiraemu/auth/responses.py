"""Handlers of the OAuth endpoints (3LO on Cloud, 1.0a on DC) and of /me."""

from __future__ import annotations

import base64
import binascii
import html
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.responses import HTMLResponse

from jiraemu.auth.errors import OAuth1Problem
from jiraemu.auth.oauth1 import callback_url
from jiraemu.auth.oauth2 import AuthorizeError, TokenError
from jiraemu.http import JiraRequest, Reply

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _service(req: JiraRequest) -> Any:
    return req.backend.auth


# -- OAuth 2.0 (3LO) -----------------------------------------------------------------------------
def authorize(req: JiraRequest) -> Any:
    try:
        location = _service(req).oauth2.authorize(dict(req.raw.query_params))
    except AuthorizeError as err:
        return HTMLResponse(_page("Something went wrong", html.escape(err.message)), status_code=400)
    return Reply(None, 302, {"Location": location})


def token(req: JiraRequest) -> Any:
    params = _token_params(req)
    try:
        return Reply(_service(req).oauth2.token(params), 200, dict(NO_STORE))
    except TokenError as err:
        return Reply(err.body(), err.status, dict(NO_STORE))


def _token_params(req: JiraRequest) -> dict[str, str]:
    """JSON (as Atlassian documents) or form (what most OAuth libraries send); client credentials
    may also come as HTTP Basic (client_secret_basic)."""
    params: dict[str, str] = {}
    ctype = req.header("content-type", "") or ""
    if "json" in ctype:
        try:
            data = orjson.loads(req.body or b"{}")
        except orjson.JSONDecodeError:
            data = {}
        if isinstance(data, dict):
            params = {k: str(v) for k, v in data.items() if v is not None}
    else:
        params = dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))
    scheme, _, value = (req.header("authorization", "") or "").partition(" ")
    if scheme.lower() == "basic" and "client_id" not in params:
        try:
            cid, _, secret = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            cid, secret = "", ""
        params.setdefault("client_id", cid)
        params.setdefault("client_secret", secret)
    return params


def accessible_resources(req: JiraRequest) -> Any:
    found = _service(req).oauth2.resolve(_bearer(req))
    if found is None:  # authenticate() already refused it; kept for safety
        return Reply({"code": 401, "message": "Unauthorized"}, 401)
    _, grant = found
    return _service(req).oauth2.accessible_resources(grant)


def me(req: JiraRequest) -> dict[str, Any]:
    user = req.user
    return {
        "account_type": user.account_type,
        "account_id": user.account_id,
        "email": user.email,
        "name": user.display_name,
        "picture": f"https://avatar-management.services.atlassian.com/default/{user.account_id}/48",
        "account_status": "active" if user.active else "inactive",
        "nickname": user.display_name.split(" ")[0],
        "zoneinfo": user.time_zone,
        "locale": user.locale.replace("_", "-"),
        "extended_profile": {},
    }


def _bearer(req: JiraRequest) -> str:
    return (req.header("authorization", "") or "").partition(" ")[2].strip()


# -- OAuth 1.0a (DC) -----------------------------------------------------------------------------
FORM = "application/x-www-form-urlencoded"


def request_token(req: JiraRequest) -> Any:
    try:
        return Reply(_service(req).oauth1.request_token(req.raw, req.body), content_type=FORM)
    except OAuth1Problem as problem:
        return problem.response(req.base_url)


def oauth1_authorize(req: JiraRequest) -> Any:
    try:
        token = _service(req).oauth1.authorize(dict(req.raw.query_params))
    except OAuth1Problem as problem:
        return problem.response(req.base_url)
    target = callback_url(token)
    if target is not None:
        return Reply(None, 302, {"Location": target})
    # out-of-band clients: Jira shows the verification code for the user to copy
    return HTMLResponse(
        _page("Access Approved", f'Your verification code is <span id="oauth-verifier">{html.escape(token.verifier or "")}</span>.')
    )


def access_token(req: JiraRequest) -> Any:
    try:
        return Reply(_service(req).oauth1.access_token(req.raw, req.body), content_type=FORM)
    except OAuth1Problem as problem:
        return problem.response(req.base_url)


def _page(title: str, message: str) -> str:
    return (
        f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{message}</p></body></html>"
    )
