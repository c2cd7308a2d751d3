"""The emulator's state: typed records for every Jira entity, and the one container holding them.

Conventions every area follows:

* Records are plain dataclasses. **Issues are values**: a write never mutates an ``Issue`` in place,
  it builds a new one with ``dataclasses.replace`` (new tuples for changed lists) and stores it with
  ``State.put_issue``. The search index keeps references to older versions, which is how index lag
  is emulated without copying.
* Times are epoch milliseconds (UTC) internally; serializers format them in the site zone.
* Users are keyed by ``account_id`` on both flavours (on DC it is internal only; DC serializers
  expose ``name``/``key`` instead).
* Rich text is a ``Doc`` holding ADF (Cloud canonical) and/or wiki markup (DC canonical); the other
  form is derived on demand by ``jiraemu.content``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Doc:
    """Rich text. ``adf`` is an ADF document dict; ``wiki`` is wiki markup. At least one is set."""

    adf: dict[str, Any] | None = None
    wiki: str | None = None


@dataclass
class User:
    account_id: str
    name: str  # DC username
    key: str  # DC user key (JIRAUSER10100)
    display_name: str
    email: str
    email_visible: bool = True
    time_zone: str = "UTC"
    locale: str = "en_US"
    active: bool = True
    account_type: str = "atlassian"  # atlassian | app | customer
    api_token: str = ""  # Cloud API token
    password: str = ""  # DC password
    pat: str = ""  # DC personal access token


@dataclass
class Group:
    group_id: str
    name: str
    members: list[str] = field(default_factory=list)  # account ids


@dataclass
class ProjectRole:
    id: int
    name: str
    description: str = ""


@dataclass(frozen=True)
class Actor:
    """A project role actor: ``kind`` is ``user`` (value = account id) or ``group`` (value = group name)."""

    kind: str
    value: str


@dataclass
class Grant:
    id: int
    permission: str  # BROWSE_PROJECTS, CREATE_ISSUES, ...
    holder_type: str  # anyone | group | projectRole | user | reporter | assignee | projectLead | applicationRole
    holder_param: str | None = None  # group name, role id (str), account id, application key


@dataclass
class PermissionScheme:
    id: int
    name: str
    description: str = ""
    grants: list[Grant] = field(default_factory=list)


@dataclass
class SecurityLevel:
    id: str
    name: str
    description: str = ""
    members: list[tuple[str, str | None]] = field(default_factory=list)  # (holder_type, param)


@dataclass
class SecurityScheme:
    id: int
    name: str
    levels: list[SecurityLevel] = field(default_factory=list)
    default_level_id: str | None = None


@dataclass
class StatusCategory:
    id: int
    key: str  # undefined | new | indeterminate | done
    name: str
    color_name: str


@dataclass
class Status:
    id: str
    name: str
    category_id: int
    description: str = ""


@dataclass
class Transition:
    id: str
    name: str
    to_status_id: str
    from_status_ids: tuple[str, ...] = ()  # empty = global transition (from any status)
    has_screen: bool = False


@dataclass
class Workflow:
    name: str
    initial_status_id: str
    status_ids: list[str]
    transitions: list[Transition]


@dataclass
class IssueType:
    id: str
    name: str
    subtask: bool = False
    hierarchy_level: int = 0  # epic 1, standard 0, sub-task -1
    description: str = ""
    project_id: int | None = None  # set for team-managed (next-gen) project-scoped types


@dataclass
class Priority:
    id: str
    name: str
    color: str = "#000000"


@dataclass
class Resolution:
    id: str
    name: str
    description: str = ""


@dataclass
class Component:
    id: str
    name: str
    description: str = ""
    lead_id: str | None = None


@dataclass
class Version:
    id: str
    name: str
    released: bool = False
    archived: bool = False
    release_date: str | None = None  # yyyy-mm-dd


@dataclass
class Project:
    id: int
    key: str
    name: str
    lead_id: str
    style: str = "classic"  # classic (company-managed) | next-gen (team-managed)
    project_type_key: str = "software"
    description: str = ""
    issue_type_ids: list[str] = field(default_factory=list)
    workflow_name: str = "default"
    components: list[Component] = field(default_factory=list)
    versions: list[Version] = field(default_factory=list)
    permission_scheme_id: int = 0
    security_scheme_id: int | None = None
    role_actors: dict[int, list[Actor]] = field(default_factory=dict)  # role id -> actors
    archived: bool = False
    deleted: bool = False
    previous_keys: list[str] = field(default_factory=list)


@dataclass
class FieldOption:
    id: str
    value: str
    disabled: bool = False


@dataclass
class FieldDef:
    """A field as ``GET /field`` lists it. Custom fields carry their kind for value handling."""

    id: str  # "summary" | "customfield_10020"
    name: str
    custom: bool
    schema: dict[str, Any]  # {"type": ..., "system"|"custom": ..., "customId"?, "items"?}
    clause_names: list[str]
    kind: str = ""  # custom kinds: text | textarea | number | select | multiselect | userpicker | date | sprint | storypoints
    navigable: bool = True
    searchable: bool = True
    orderable: bool = True
    options: list[FieldOption] = field(default_factory=list)


@dataclass(frozen=True)
class Comment:
    id: int
    author_id: str
    body: Doc
    created: int
    updated: int
    update_author_id: str
    visibility: dict[str, str] | None = None  # {"type": "role"|"group", "value": ...}
    properties: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Worklog:
    id: int
    author_id: str
    started: int
    time_spent_seconds: int
    created: int
    updated: int
    update_author_id: str
    comment: Doc | None = None


@dataclass(frozen=True)
class Attachment:
    id: int
    filename: str
    author_id: str
    created: int
    size: int
    mime_type: str
    sha256: str  # key into State.blobs


@dataclass(frozen=True)
class ChangeItem:
    field: str
    fieldtype: str  # jira | custom
    field_id: str | None
    from_: str | None
    from_string: str | None
    to: str | None
    to_string: str | None


@dataclass(frozen=True)
class History:
    id: int
    author_id: str
    created: int
    items: tuple[ChangeItem, ...]


@dataclass(frozen=True)
class Issue:
    """One version of an issue. Never mutate: build a new version with ``dataclasses.replace``."""

    id: int
    key: str
    project_id: int
    issuetype_id: str
    summary: str
    status_id: str
    creator_id: str
    reporter_id: str | None
    assignee_id: str | None
    created: int
    updated: int
    description: Doc | None = None
    environment: Doc | None = None
    priority_id: str | None = None
    resolution_id: str | None = None
    resolution_date: int | None = None
    status_changed: int | None = None
    duedate: str | None = None  # yyyy-mm-dd
    labels: tuple[str, ...] = ()
    component_ids: tuple[str, ...] = ()
    fix_version_ids: tuple[str, ...] = ()
    affects_version_ids: tuple[str, ...] = ()
    parent_id: int | None = None
    security_level_id: str | None = None
    original_estimate_s: int | None = None
    remaining_estimate_s: int | None = None
    custom: tuple[tuple[str, Any], ...] = ()  # (field id, internal value); see ``custom_value``
    comments: tuple[Comment, ...] = ()
    worklogs: tuple[Worklog, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    histories: tuple[History, ...] = ()
    properties: tuple[tuple[str, Any], ...] = ()
    version: int = 1  # bumps on every write (serializer caches key on it)

    def custom_value(self, field_id: str) -> Any:
        for fid, value in self.custom:
            if fid == field_id:
                return value
        return None

    def custom_dict(self) -> dict[str, Any]:
        return dict(self.custom)


@dataclass
class IssueLinkType:
    id: str
    name: str
    inward: str
    outward: str


@dataclass
class IssueLink:
    id: int
    type_id: str
    inward_issue_id: int
    outward_issue_id: int


@dataclass
class Board:
    id: int
    name: str
    type: str  # scrum | kanban | simple
    project_id: int
    filter_id: int = 0


@dataclass
class Sprint:
    id: int
    name: str
    state: str  # future | active | closed
    board_id: int
    goal: str = ""
    start: int | None = None
    end: int | None = None
    complete: int | None = None


@dataclass
class AuditRecord:
    id: int
    summary: str
    category: str
    event_source: str
    created: int
    author_id: str
    object_item: dict[str, Any]
    changed_values: list[dict[str, Any]] = field(default_factory=list)
    associated_items: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""


@dataclass
class SiteInfo:
    title: str = "jiraemu"
    cloud_id: str = "11111111-2222-4333-8444-555555555555"
    site_timezone: str = "Europe/Berlin"


class IdAllocator:
    """Monotonic ids per kind, starting where Jira's do."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def next(self, kind: str, start: int = 10000) -> int:
        value = self._next.get(kind, start)
        self._next[kind] = value + 1
        return value


@dataclass
class State:
    """Everything the emulated Jira holds. ``Backend.reset()`` builds a fresh one."""

    site: SiteInfo = field(default_factory=SiteInfo)
    users: dict[str, User] = field(default_factory=dict)  # account id -> user
    groups: dict[str, Group] = field(default_factory=dict)  # group name -> group
    roles: dict[int, ProjectRole] = field(default_factory=dict)
    permission_schemes: dict[int, PermissionScheme] = field(default_factory=dict)
    security_schemes: dict[int, SecurityScheme] = field(default_factory=dict)
    status_categories: dict[int, StatusCategory] = field(default_factory=dict)
    statuses: dict[str, Status] = field(default_factory=dict)
    workflows: dict[str, Workflow] = field(default_factory=dict)
    issue_types: dict[str, IssueType] = field(default_factory=dict)
    priorities: dict[str, Priority] = field(default_factory=dict)
    resolutions: dict[str, Resolution] = field(default_factory=dict)
    fields: dict[str, FieldDef] = field(default_factory=dict)  # field id -> def
    projects: dict[int, Project] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)  # live issues (the "database")
    keys: dict[str, int] = field(default_factory=dict)  # current AND previous keys -> issue id
    link_types: dict[str, IssueLinkType] = field(default_factory=dict)
    links: dict[int, IssueLink] = field(default_factory=dict)
    boards: dict[int, Board] = field(default_factory=dict)
    sprints: dict[int, Sprint] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)  # sha256 -> attachment content
    deleted_issue_ids: set[int] = field(default_factory=set)
    # global permissions (ADMINISTER, USER_PICKER, ...) -> group names holding them
    global_permissions: dict[str, list[str]] = field(default_factory=dict)
    ids: IdAllocator = field(default_factory=IdAllocator)

    # -- lookups used by every area ------------------------------------------------------------
    def project_by_key_or_id(self, key_or_id: str) -> Project | None:
        if key_or_id.isdigit():
            return self.projects.get(int(key_or_id))
        up = key_or_id.upper()
        for p in self.projects.values():
            if not p.deleted and (p.key == up or up in p.previous_keys):
                return p
        return None

    def issue_by_key_or_id(self, key_or_id: str) -> Issue | None:
        if key_or_id.isdigit():
            return self.issues.get(int(key_or_id))
        iid = self.keys.get(key_or_id.upper())
        return self.issues.get(iid) if iid is not None else None

    def user_by_name(self, name: str) -> User | None:
        for u in self.users.values():
            if u.name == name or u.key == name:
                return u
        return None

    def put_issue(self, issue: Issue) -> None:
        self.issues[issue.id] = issue
        self.keys[issue.key] = issue.id

    def subtasks_of(self, issue_id: int) -> list[Issue]:
        return [i for i in self.issues.values() if i.parent_id == issue_id and self.issue_types[i.issuetype_id].subtask]

    def field_by_kind(self, kind: str) -> FieldDef | None:
        for f in self.fields.values():
            if f.kind == kind:
                return f
        return None
