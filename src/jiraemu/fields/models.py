"""Fields and the global metadata lists (issue types, statuses, priorities, ...): read-only views
of the state with Jira's filters and paging rules."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from jiraemu.errors import JiraError, bad_request, not_found
from jiraemu.state import FieldDef, IssueType, Status, User

if TYPE_CHECKING:
    from jiraemu.backend import Backend

T = TypeVar("T")

FIELD_ORDERS: dict[str, Callable[[FieldDef], object]] = {
    "name": lambda f: f.name.lower(),
    "contextsCount": lambda f: 1,
    "lastUsed": lambda f: 0,
    "screensCount": lambda f: 1,
}


def page(items: Sequence[T], start_at: int, max_results: int) -> tuple[list[T], bool]:
    """A slice of ``items`` and whether it is the last page."""
    if start_at < 0:
        raise bad_request("startAt must be a non-negative number.")
    if max_results < 0:
        raise bad_request("maxResults must be a non-negative number.")
    chunk = list(items[start_at : start_at + max_results])
    return chunk, start_at + len(chunk) >= len(items)


def search_fields(
    backend: Backend, types: list[str], ids: list[str], query: str | None, order_by: str | None
) -> list[FieldDef]:
    """``GET /field/search``: filter by type (custom|system), ids and a name/description query."""
    for t in types:
        if t not in ("custom", "system"):
            raise bad_request(f"Invalid type value '{t}'. Allowed values are: custom, system.")
    fields = [f for f in backend.state.fields.values() if f.schema]
    if types:
        fields = [f for f in fields if ("custom" if f.custom else "system") in types]
    if ids:
        wanted = set(ids)
        fields = [f for f in fields if f.id in wanted]
    if query:
        needle = query.lower()
        fields = [f for f in fields if needle in f.name.lower() or needle in f.id.lower()]
    if order_by:
        desc = order_by.startswith("-")
        name = order_by.lstrip("+-")
        if name not in FIELD_ORDERS:
            raise bad_request(f"Invalid orderBy value '{order_by}'.")
        fields.sort(key=FIELD_ORDERS[name], reverse=desc)  # type: ignore[arg-type]
    else:
        fields.sort(key=lambda f: (f.custom, f.name.lower()))
    return fields


def visible_issue_types(backend: Backend, user: User | None) -> list[IssueType]:
    """Global types, plus the project-scoped types of team-managed projects the user can browse."""
    state = backend.state
    out = []
    for it in state.issue_types.values():
        if it.project_id is None:
            out.append(it)
            continue
        project = state.projects.get(it.project_id)
        if project is not None and not project.deleted and backend.perms.has(user, "BROWSE_PROJECTS", project):
            out.append(it)
    return out


def issue_type(backend: Backend, user: User | None, type_id: str) -> IssueType:
    for it in visible_issue_types(backend, user):
        if it.id == type_id:
            return it
    raise not_found("No issue type with id '" + type_id + "' exists.")


def status_by_id_or_name(backend: Backend, id_or_name: str) -> Status:
    state = backend.state
    if id_or_name in state.statuses:
        return state.statuses[id_or_name]
    for st in state.statuses.values():
        if st.name.lower() == id_or_name.lower():
            return st
    raise not_found(f"The status with id '{id_or_name}' does not exist")


def one(mapping: dict[str, T], key: str, message: str) -> T:
    found = mapping.get(key)
    if found is None:
        raise JiraError(404, [message])
    return found


def labels(backend: Backend) -> list[str]:
    seen: set[str] = set()
    for issue in backend.state.issues.values():
        seen.update(issue.labels)
    return sorted(seen)
