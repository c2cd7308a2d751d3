"""Projects: keys from a pool, the first N-1 company-managed and the last team-managed (with its
own issue types when N >= 3), components, versions, leads and role actors. The first project uses
the issue security scheme, the last the restricted permission scheme."""

from __future__ import annotations

import random

from jiraemu.generator import catalog, schemes
from jiraemu.generator.common import DAY_MS, Ctx, sub_rng
from jiraemu.state import Actor, Component, IssueType, Project, Version

PROJECT_POOL = (
    ("SEC", "Security"),
    ("ENG", "Engineering"),
    ("OPS", "Operations"),
    ("WEB", "Website"),
    ("DATA", "Data Platform"),
    ("MOB", "Mobile"),
    ("INFRA", "Infrastructure"),
    ("API", "Public API"),
    ("DOCS", "Documentation"),
    ("BILL", "Billing"),
    ("SRCH", "Search"),
    ("AUTH", "Identity"),
)
COMPONENT_POOL = (
    "Backend", "Frontend", "API", "Database", "Auth", "Billing", "Notifications", "Search",
    "Reporting", "Mobile", "Infrastructure", "CI/CD",
)


def project_keys(count: int) -> list[tuple[str, str]]:
    out = list(PROJECT_POOL[:count])
    for i in range(len(out), count):
        out.append((f"P{i + 1}", f"Project {i + 1}"))
    return out


def build_projects(ctx: Ctx) -> None:
    state = ctx.state
    rng = sub_rng(ctx.seed, "projects")
    count = max(1, ctx.config.projects)
    developers = ctx.special["developers"]
    regular = ctx.special["regular"]
    for index, (key, name) in enumerate(project_keys(count)):
        pid = state.ids.next("project", 10000)
        last = index == count - 1 and count > 1
        restricted = last
        lead = rng.choice(developers)
        project = Project(
            id=pid,
            key=key,
            name=name,
            lead_id=lead,
            style="next-gen" if last else "classic",
            description=f"{name}: work tracked by the {name.lower()} team.",
            workflow_name=catalog.WORKFLOW_NAME,
            permission_scheme_id=schemes.RESTRICTED_SCHEME if restricted else schemes.DEFAULT_SCHEME,
            security_scheme_id=schemes.SECURITY_SCHEME if index == 0 else None,
        )
        if last and count >= 3:
            project.issue_type_ids = _scoped_types(ctx, pid)
        else:
            project.issue_type_ids = [t.id for t in state.issue_types.values() if t.project_id is None]
        project.components = _components(ctx, rng, developers)
        project.versions = _versions(ctx, rng)
        some_devs = rng.sample(developers, min(2, len(developers)))
        project.role_actors = {
            schemes.ROLE_ADMINISTRATORS: [Actor("user", lead), Actor("group", "jira-administrators")],
            schemes.ROLE_DEVELOPERS: [Actor("group", "developers")] + [Actor("user", a) for a in some_devs],
        }
        if restricted:
            project.role_actors[schemes.ROLE_USERS] = []
            members = sorted(set(developers) | {lead})
        else:
            project.role_actors[schemes.ROLE_USERS] = [Actor("group", "jira-software-users")]
            members = list(regular)
        state.projects[pid] = project
        ctx.members[pid] = members


def _scoped_types(ctx: Ctx, project_id: int) -> list[str]:
    ids = []
    for name, level, subtask in (("Epic", 1, False), ("Task", 0, False), ("Story", 0, False),
                                 ("Bug", 0, False), ("Subtask", -1, True)):
        tid = str(ctx.state.ids.next("issuetype", 10001))
        ctx.state.issue_types[tid] = IssueType(tid, name, subtask, level, "", project_id)
        ids.append(tid)
    return ids


def _components(ctx: Ctx, rng: random.Random, developers: list[str]) -> list[Component]:
    names = rng.sample(COMPONENT_POOL, rng.randint(3, 5))
    return [
        Component(
            str(ctx.state.ids.next("component", 10000)),
            n,
            f"Everything about {n.lower()}.",
            rng.choice(developers) if rng.random() < 0.6 else None,
        )
        for n in names
    ]


def _versions(ctx: Ctx, rng: random.Random) -> list[Version]:
    count = rng.randint(2, 4)
    released = rng.randint(1, count - 1)
    out = []
    for i in range(count):
        day = ctx.now + (i - released) * 60 * DAY_MS + 30 * DAY_MS
        date = _ymd(day)
        out.append(Version(str(ctx.state.ids.next("version", 10000)), f"{1 + i // 2}.{i % 2}", i < released, False, date))
    return out


def _ymd(epoch_ms: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d")
