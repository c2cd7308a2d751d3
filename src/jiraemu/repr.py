"""JSON representations shared by every area (users, statuses, projects, ...), per flavour.

Cloud users are keyed by ``accountId``; DC users by ``name``/``key``. Hidden emails are absent,
except to the user themselves. Areas build bigger shapes (issues, boards) from these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jiraemu.state import (
    Component,
    IssueType,
    Priority,
    Project,
    Resolution,
    Status,
    StatusCategory,
    User,
    Version,
)
from jiraemu.timefmt import fmt_ts

if TYPE_CHECKING:
    from jiraemu.http import View as JiraRequest


def ts(req: JiraRequest, epoch_ms: int | None) -> str | None:
    """A timestamp in Jira's response form, in the site zone."""
    if epoch_ms is None:
        return None
    return fmt_ts(epoch_ms, req.state.site.site_timezone)


def avatar_urls(req: JiraRequest, kind: str, ident: str) -> dict[str, str]:
    base = f"{req.backend.base_url}/secure/{kind}avatar?avatarId={ident}"
    return {size: f"{base}&size={px}" for size, px in (("48x48", 48), ("24x24", 24), ("16x16", 16), ("32x32", 32))}


def user_ref(req: JiraRequest, user: User | None, *, full: bool = False) -> dict[str, Any] | None:
    """A user as embedded in issues, comments and lists."""
    if user is None:
        return None
    viewer = req.caller.user
    show_email = user.email_visible or (viewer is not None and viewer.account_id == user.account_id)
    if req.is_cloud:
        out: dict[str, Any] = {
            "self": f"{req.rest('user')}?accountId={user.account_id}",
            "accountId": user.account_id,
        }
        if show_email:
            out["emailAddress"] = user.email
        out.update(
            avatarUrls=avatar_urls(req, "user", user.account_id[-6:]),
            displayName=user.display_name,
            active=user.active,
            timeZone=user.time_zone,
            accountType=user.account_type,
        )
    else:
        out = {"self": f"{req.rest('user')}?username={user.name}", "name": user.name, "key": user.key}
        if show_email:
            out["emailAddress"] = user.email
        out.update(
            avatarUrls=avatar_urls(req, "user", user.key),
            displayName=user.display_name,
            active=user.active,
            timeZone=user.time_zone,
        )
    if full:
        out["locale"] = user.locale
    return out


def user_by_id(req: JiraRequest, account_id: str | None) -> dict[str, Any] | None:
    if account_id is None:
        return None
    return user_ref(req, req.state.users.get(account_id))


def status_category(req: JiraRequest, cat: StatusCategory) -> dict[str, Any]:
    return {
        "self": req.rest(f"statuscategory/{cat.id}"),
        "id": cat.id,
        "key": cat.key,
        "colorName": cat.color_name,
        "name": cat.name,
    }


def status(req: JiraRequest, st: Status) -> dict[str, Any]:
    out: dict[str, Any] = {
        "self": req.rest(f"status/{st.id}"),
        "description": st.description,
        "iconUrl": f"{req.backend.base_url}/images/icons/statuses/generic.png",
        "name": st.name,
        "id": st.id,
        "statusCategory": status_category(req, req.state.status_categories[st.category_id]),
    }
    return out


def issue_type(req: JiraRequest, it: IssueType) -> dict[str, Any]:
    out: dict[str, Any] = {
        "self": req.rest(f"issuetype/{it.id}"),
        "id": it.id,
        "description": it.description,
        "iconUrl": f"{req.backend.base_url}/images/icons/issuetypes/{it.name.lower().replace(' ', '-')}.svg",
        "name": it.name,
        "subtask": it.subtask,
    }
    if req.is_cloud:
        out["avatarId"] = 10300 + int(it.id) % 100
        out["hierarchyLevel"] = it.hierarchy_level
        if it.project_id is not None:
            out["entityId"] = f"00000000-0000-4000-8000-{it.project_id:012d}"
            out["scope"] = {"type": "PROJECT", "project": {"id": str(it.project_id)}}
    else:
        out["avatarId"] = 10300 + int(it.id) % 100
    return out


def priority(req: JiraRequest, pr: Priority) -> dict[str, Any]:
    return {
        "self": req.rest(f"priority/{pr.id}"),
        "iconUrl": f"{req.backend.base_url}/images/icons/priorities/{pr.name.lower()}.svg",
        "name": pr.name,
        "id": pr.id,
    }


def resolution(req: JiraRequest, res: Resolution) -> dict[str, Any]:
    return {"self": req.rest(f"resolution/{res.id}"), "id": res.id, "description": res.description, "name": res.name}


def project_ref(req: JiraRequest, project: Project) -> dict[str, Any]:
    """The short project shape embedded in issues (``fields.project``)."""
    out: dict[str, Any] = {
        "self": req.rest(f"project/{project.id}"),
        "id": str(project.id),
        "key": project.key,
        "name": project.name,
        "projectTypeKey": project.project_type_key,
        "avatarUrls": avatar_urls(req, "project", str(project.id)),
    }
    if req.is_cloud:
        out["simplified"] = project.style == "next-gen"
    return out


def component(req: JiraRequest, comp: Component) -> dict[str, Any]:
    return {"self": req.rest(f"component/{comp.id}"), "id": comp.id, "name": comp.name, "description": comp.description}


def version(req: JiraRequest, ver: Version, project_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "self": req.rest(f"version/{ver.id}"),
        "id": ver.id,
        "name": ver.name,
        "archived": ver.archived,
        "released": ver.released,
        "projectId": project_id,
    }
    if ver.release_date:
        out["releaseDate"] = ver.release_date
    return out
