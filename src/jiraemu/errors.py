"""Errors that carry Jira's status code and ErrorCollection body.

Models raise these; the request layer turns them into ``{"errorMessages": [...], "errors": {...}}``.
"""

from __future__ import annotations

from typing import Any


class JiraError(Exception):
    def __init__(
        self,
        status: int,
        messages: list[str] | str | None = None,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        if isinstance(messages, str):
            messages = [messages]
        self.status = status
        self.messages = list(messages or [])
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        self.body = body  # overrides the ErrorCollection when set
        super().__init__(f"{status}: {self.messages or self.errors}")

    def to_body(self) -> Any:
        if self.body is not None:
            return self.body
        return {"errorMessages": self.messages, "errors": self.errors}


def bad_request(message: str | None = None, **errors: str) -> JiraError:
    return JiraError(400, [message] if message else [], errors)


def unauthorized(message: str = "You are not authenticated. Authentication required to perform this operation.") -> JiraError:
    return JiraError(401, [message])


def forbidden(message: str) -> JiraError:
    return JiraError(403, [message])


def issue_not_found() -> JiraError:
    return JiraError(404, ["Issue does not exist or you do not have permission to see it."])


def not_found(message: str) -> JiraError:
    return JiraError(404, [message])
