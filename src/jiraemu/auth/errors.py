"""The 401 answers each Jira front door gives, shaped like the real ones.

* Cloud site (``*.atlassian.net``), bad Basic credentials or a token it does not take: a plain-text
  ``Client must be authenticated to access this resource.`` with ``X-Seraph-LoginReason:
  AUTHENTICATED_FAILED`` and ``WWW-Authenticate: OAuth realm=...``. Nothing in it invites a retry.
* DC: the same Seraph headers with Jira's HTML "Unauthorized (401)" page.
* The OAuth 2.0 gateway (api.atlassian.com): ``{"code": 401, "message": "Unauthorized"}``, and
  ``"Unauthorized; scope does not match"`` when the token lacks the operation's scope (401, not
  403, on the real gateway).
* OAuth 1.0a: ``WWW-Authenticate: OAuth realm=..., oauth_problem="..."`` and a form-encoded body.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.responses import Response

from jiraemu.errors import JiraError
from jiraemu.http import json_response

CLOUD_401_TEXT = "Client must be authenticated to access this resource."

DC_401_HTML = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Unauthorized (401)</title></head>
<body id="jira" class="aui-layout aui-style-default page-type-message">
<div class="aui-page-panel"><div class="aui-page-panel-inner"><section class="aui-page-panel-content">
<header class="aui-page-header"><div class="aui-page-header-inner"><div class="aui-page-header-main">
<h1>Unauthorized (401)</h1></div></div></header>
<div class="aui-message aui-message-warning warning">
<p>Encountered a <code>&quot;401 - Unauthorized&quot;</code> error while loading this page.</p>
<p>Basic Authentication Failure - Reason : AUTHENTICATED_FAILED</p>
<p><a href="/secure/MyJiraHome.jspa">Go to Jira home</a></p>
</div></section></div></div>
</body>
</html>
"""


def realm(base_url: str) -> str:
    return f'OAuth realm="{quote(base_url, safe="")}"'


def _seraph_headers(base_url: str) -> dict[str, str]:
    return {
        "WWW-Authenticate": realm(base_url),
        "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
        "X-AUSERNAME": "anonymous",
    }


def cloud_login_failed(base_url: str) -> JiraError:
    response = Response(
        CLOUD_401_TEXT, status_code=401, headers=_seraph_headers(base_url), media_type="text/plain;charset=UTF-8"
    )
    return JiraError(401, [CLOUD_401_TEXT], body=response)


def dc_login_failed(base_url: str) -> JiraError:
    response = Response(DC_401_HTML, status_code=401, headers=_seraph_headers(base_url), media_type="text/html;charset=UTF-8")
    return JiraError(401, ["Unauthorized"], body=response)


def gateway_unauthorized(message: str = "Unauthorized") -> JiraError:
    return JiraError(401, [message], body=json_response({"code": 401, "message": message}, 401))


def scope_mismatch() -> JiraError:
    return gateway_unauthorized("Unauthorized; scope does not match")


class OAuth1Problem(Exception):
    """An OAuth 1.0a failure, reported with the problem names of the OAuth Problem Reporting extension."""

    def __init__(self, problem: str, status: int = 401, **extra: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.status = status
        self.extra = extra

    def response(self, base_url: str) -> Response:
        params = {"oauth_problem": self.problem, **self.extra}
        challenge = realm(base_url) + "".join(f', {k}="{quote(v, safe="")}"' for k, v in params.items())
        return Response(
            urlencode(params),
            status_code=self.status,
            headers={"WWW-Authenticate": challenge},
            media_type="text/plain;charset=UTF-8",
        )

    def error(self, base_url: str) -> JiraError:
        return JiraError(self.status, [self.problem], body=self.response(base_url))
