"""The request layer shared by every area: routes as declarations, one endpoint wrapper.

Each area's ``urls.py`` lists ``Route`` objects; handlers (in ``responses.py``) are plain
synchronous functions ``handler(req: JiraRequest) -> data | Reply | Response`` that read the
request, call the model and return data to serialize. Handlers run on the event loop thread, so
state needs no locks. ``JiraError`` raised anywhere becomes Jira's ErrorCollection body.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from jiraemu.errors import JiraError, bad_request, unauthorized
from jiraemu.state import User

if TYPE_CHECKING:
    from jiraemu.backend import Backend


@dataclass(frozen=True)
class Caller:
    """Who is calling. ``user`` is None for anonymous requests."""

    user: User | None
    auth: str = "anonymous"  # anonymous | basic | pat | oauth2 | oauth1
    scopes: frozenset[str] = frozenset()
    client_id: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.user is None


ANONYMOUS = Caller(None)


@dataclass
class Reply:
    """A handler result with an explicit status and headers (``body=None`` means no content)."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json;charset=UTF-8"


Handler = Callable[["JiraRequest"], Any]


@dataclass
class Route:
    """One Jira endpoint. ``path`` uses the spec's template and parameter names; ``{v}`` expands to
    the REST API versions the flavour serves (Cloud: 2 and 3, DC: 2)."""

    method: str
    path: str
    handler: Handler
    flavors: tuple[str, ...] = ("cloud", "datacenter")
    versions: tuple[int, ...] = (2, 3)
    anonymous: bool = False
    status: int = 200
    raw: bool = False  # handler needs the parsed multipart form (attachments)


def json_dumps(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json_dumps(data), status_code=status, headers=headers, media_type="application/json;charset=UTF-8"
    )


def error_response(err: JiraError) -> Response:
    if isinstance(err.body, Response):  # a non-JSON error page (e.g. Jira's 401 for bad credentials)
        return err.body
    return json_response(err.to_body(), err.status, err.headers)


class View:
    """How a representation is rendered: for whom, in which API version, with which base URL.

    Serializers take a View so they work inside a request (``JiraRequest`` is a View) and outside
    one (webhook payloads, the ground-truth dump): ``View(backend, caller, api_version=2)``.
    """

    def __init__(self, backend: Backend, caller: Caller, api_version: int | None, base_url: str | None = None) -> None:
        self.backend = backend
        self.caller = caller
        self.api_version = api_version
        self._base_url = base_url

    @property
    def state(self):  # type: ignore[no-untyped-def]
        return self.backend.state

    @property
    def config(self):  # type: ignore[no-untyped-def]
        return self.backend.config

    @property
    def is_cloud(self) -> bool:
        return bool(self.backend.config.is_cloud)

    @property
    def v3(self) -> bool:
        """True when the response must use ADF (Cloud REST v3)."""
        return self.api_version == 3

    @property
    def base_url(self) -> str:
        return self._base_url or self.backend.base_url

    def rest(self, path: str, version: int | None = None) -> str:
        v = version or self.api_version or 2
        return f"{self.base_url}/rest/api/{v}/{path.lstrip('/')}"


class JiraRequest(View):
    """What a handler sees: the caller, the API version, parsed query and body, and the backend."""

    def __init__(
        self,
        backend: Backend,
        raw: Request,
        body: bytes,
        caller: Caller,
        api_version: int | None,
        route: Route,
        form: Any = None,
    ) -> None:
        gateway = raw.scope.get("jiraemu.gateway_base")
        super().__init__(backend, caller, api_version, str(gateway) if gateway else None)
        self.raw = raw
        self.body = body
        self.route = route
        self.form = form
        self.path_params: dict[str, str] = dict(raw.path_params)
        self._json: Any = None
        self._json_read = False

    @property
    def user(self) -> User:
        """The authenticated user (routes that allow anonymous access must not call this)."""
        if self.caller.user is None:
            raise unauthorized()
        return self.caller.user

    def p(self, name: str) -> str:
        return self.path_params[name]

    # -- query parameters ------------------------------------------------------------------------
    def q(self, name: str, default: str | None = None) -> str | None:
        return self.raw.query_params.get(name, default)

    def q_int(self, name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
        raw = self.raw.query_params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad_request(f"The value '{raw}' is invalid for parameter '{name}'.") from None
        if minimum is not None and value < minimum:
            value = minimum
        if maximum is not None and value > maximum:
            value = maximum
        return value

    def q_bool(self, name: str, default: bool = False) -> bool:
        raw = self.raw.query_params.get(name)
        if raw is None or raw == "":
            return default
        return raw.lower() in ("true", "1", "yes")

    def q_list(self, name: str) -> list[str]:
        """Repeated and comma-separated values alike (``fields=a,b&fields=c``)."""
        out: list[str] = []
        for raw in self.raw.query_params.getlist(name):
            out.extend(part.strip() for part in raw.split(",") if part.strip())
        return out

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.raw.headers.get(name, default)

    # -- body ------------------------------------------------------------------------------------
    def json(self, required: bool = True) -> Any:
        if not self._json_read:
            self._json_read = True
            if not self.body.strip():
                if required:
                    raise bad_request("No content to map to Object due to end of input")
                self._json = None
            else:
                try:
                    self._json = orjson.loads(self.body)
                except orjson.JSONDecodeError:
                    raise bad_request(
                        "Unexpected character in the request body: it is not valid JSON."
                    ) from None
        return self._json

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise bad_request("The request body must be a JSON object.")
        return data


def to_response(result: Any, route: Route) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, Reply):
        if result.body is None:
            return Response(status_code=result.status, headers=result.headers)
        if isinstance(result.body, bytes | str):
            return Response(
                result.body, status_code=result.status, headers=result.headers, media_type=result.content_type
            )
        return json_response(result.body, result.status, result.headers)
    if result is None:
        return Response(status_code=204 if route.status == 200 else route.status)
    return json_response(result, route.status)


def make_endpoint(backend: Backend, route: Route, api_version: int | None, template: str) -> Callable[..., Any]:
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        body = await request.body()
        form = await request.form() if route.raw else None
        caller: Caller | None = None
        try:
            caller = backend.auth.authenticate(request, body)
            early = backend.traffic.before(request, caller, template)
            if early is not None:
                response = early
            else:
                if caller.anonymous and not route.anonymous:
                    raise unauthorized()
                jreq = JiraRequest(backend, request, body, caller, api_version, route, form)
                response = to_response(route.handler(jreq), route)
        except JiraError as err:
            response = error_response(err)
        # traffic.after may swap in a faulty response (latency, truncation, reset); the observers see
        # what the handler produced
        replaced = backend.traffic.after(request, caller, template, response)
        backend.observe(request, template, api_version, body, response, started, caller)
        return replaced or response

    endpoint.__name__ = getattr(route.handler, "__name__", "endpoint")
    return endpoint
