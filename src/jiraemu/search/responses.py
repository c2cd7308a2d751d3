"""Search handlers: Cloud enhanced search (token paging), approximate count, the legacy/DC
startAt search (410 on Cloud unless ``--legacy-search``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jiraemu.errors import JiraError, bad_request
from jiraemu.http import JiraRequest, Reply
from jiraemu.issues.serialize import parse_fields, serialize_issue
from jiraemu.search import models, structure
from jiraemu.state import Issue

REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


@dataclass
class SearchParams:
    jql: str = ""
    next_page_token: str | None = None
    start_at: int = 0
    max_results: int = 50
    fields: list[str] | None = None
    expand: set[str] | None = None
    properties: list[str] | None = None
    fields_by_keys: bool = False
    reconcile: list[int] | None = None
    validate: bool = True  # DC validateQuery (true|false), Cloud legacy (strict|warn|none)


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        out.extend(part.strip() for part in str(item).split(",") if part.strip())
    return out


def _ints(values: list[str], name: str) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        raise bad_request(f"The value for parameter '{name}' is invalid.") from None


def _int(value: Any, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise bad_request(f"The value '{value}' is invalid for parameter '{name}'.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"The value '{value}' is invalid for parameter '{name}'.") from None


def _validate(value: Any) -> bool:
    return value is None or str(value).lower() not in ("false", "none", "warn")


def read_params(req: JiraRequest) -> SearchParams:
    """The same parameters from a GET query string or a POST body."""
    if req.raw.method == "POST":
        body = req.json(required=False) or {}
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        reconcile = body.get("reconcileIssues")
        return SearchParams(
            jql=str(body.get("jql") or ""),
            next_page_token=body.get("nextPageToken") or None,
            start_at=_int(body.get("startAt"), "startAt", 0),
            max_results=_int(body.get("maxResults"), "maxResults", 50),
            fields=_strings(body["fields"]) if "fields" in body and body["fields"] is not None else None,
            expand=set(_strings(body.get("expand"))),
            properties=_strings(body.get("properties")) or None,
            fields_by_keys=bool(body.get("fieldsByKeys", False)),
            reconcile=_ints([str(v) for v in reconcile], "reconcileIssues") if reconcile else None,
            validate=_validate(body.get("validateQuery")),
        )
    fields = req.q_list("fields") if "fields" in req.raw.query_params else None
    return SearchParams(
        jql=req.q("jql") or "",
        next_page_token=req.q("nextPageToken") or None,
        start_at=req.q_int("startAt", 0),
        max_results=req.q_int("maxResults", 50),
        fields=fields,
        expand=set(req.q_list("expand")),
        properties=req.q_list("properties") or None,
        fields_by_keys=req.q_bool("fieldsByKeys"),
        reconcile=_ints(req.q_list("reconcileIssues"), "reconcileIssues") or None,
        validate=_validate(req.q("validateQuery")),
    )


def _render(req: JiraRequest, issues: list[Issue], params: SearchParams, default_fields: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    sel = parse_fields(params.fields, default=default_fields)
    expand = frozenset(params.expand or ())
    rendered = [
        serialize_issue(req, issue, sel, expand, params.properties, params.fields_by_keys) for issue in issues
    ]
    extra: dict[str, Any] = {}
    if "names" in expand or "schema" in expand:
        ids: dict[str, None] = {}
        for item in rendered:
            ids.update(dict.fromkeys(item.get("fields", {})))
        defs = [req.state.fields[f] for f in ids if f in req.state.fields]
        if "names" in expand:
            extra["names"] = {f.id: f.name for f in defs}
        if "schema" in expand:
            extra["schema"] = {f.id: f.schema for f in defs}
    return rendered, extra


# -- Cloud enhanced search -------------------------------------------------------------------------
def search_jql(req: JiraRequest) -> dict[str, Any]:
    params = read_params(req)
    svc = models.service(req.backend)
    user = req.user
    reconcile = models.check_reconcile(params.reconcile or [])
    plan = svc.bounded_plan(params.jql, user)
    sel = parse_fields(params.fields, default="id")
    limit = max(1, min(params.max_results, models.page_cap(sel.id_only)))
    result = svc.result(params.jql, plan, user, reconcile)
    page = svc.page_after(result, svc.fingerprint(params.jql, user), params.next_page_token, limit)
    issues, extra = _render(req, page.issues, params, "id")
    out: dict[str, Any] = {"issues": issues}
    if page.next_token is not None:
        out["nextPageToken"] = page.next_token
    out["isLast"] = page.is_last
    out.update(extra)
    return out


def approximate_count(req: JiraRequest) -> dict[str, Any]:
    body = req.json_object()
    jql = body.get("jql")
    if not isinstance(jql, str):
        jql = ""
    svc = models.service(req.backend)
    plan = svc.bounded_plan(jql, req.user)
    return {"count": svc.count(jql, plan, req.user)}


# -- startAt search: DC, and Cloud's removed API -------------------------------------------------
def search_start_at(req: JiraRequest) -> Any:
    if req.is_cloud and not req.config.legacy_search:
        return Reply({"errorMessages": [REMOVED], "errors": {}}, status=410)
    params = read_params(req)
    if params.start_at < 0:
        raise bad_request("The value for startAt must be non-negative.")
    svc = models.service(req.backend)
    user = req.user
    warnings: list[str] = []
    if params.validate:
        plan = svc.compile(params.jql, user)
    else:  # validateQuery=false: bad values become warnings, bad syntax is still a 400
        try:
            plan = svc.compile(params.jql, user)
        except JiraError as err:
            plan = svc.compile(params.jql, user, validate=False)
            warnings = err.messages
    result = svc.result(params.jql, plan, user)
    cap = int(req.config.dc_search_cap) if not req.is_cloud else models.FULL_CAP
    limit = max(0, min(params.max_results, cap))
    stop = params.start_at + limit
    issues, extra = _render(req, result.issues(params.start_at, stop), params, "*navigable")
    out: dict[str, Any] = {
        "expand": "schema,names",
        "startAt": params.start_at,
        "maxResults": limit,
        "total": len(result),
        "issues": issues,
    }
    if warnings:
        out["warningMessages"] = warnings
    out.update(extra)
    return out


# -- JQL parsing -----------------------------------------------------------------------------------
def parse_jql(req: JiraRequest) -> dict[str, Any]:
    validation = req.q("validation") or "strict"
    if validation not in ("strict", "warn", "none"):
        raise bad_request(f"The value '{validation}' is invalid for parameter 'validation'.")
    queries = req.json_object().get("queries")
    if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
        raise bad_request("The queries field must be a list of JQL strings.")
    svc = models.service(req.backend)
    user = req.user

    def check(text: str) -> None:
        svc.compile_raw(text, user)

    return {"queries": [structure.parse_one(q, validation, check) for q in queries]}
