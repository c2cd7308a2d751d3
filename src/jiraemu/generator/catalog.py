"""The shared catalogue: status categories, statuses, the software workflow, issue types,
priorities, resolutions, link types and fields (system fields as ``GET /field`` lists them, custom
fields with seed-dependent ids)."""

from __future__ import annotations

from typing import Any

from jiraemu.generator.common import Ctx, sub_rng
from jiraemu.state import (
    FieldDef,
    FieldOption,
    IssueLinkType,
    IssueType,
    Priority,
    Resolution,
    Status,
    StatusCategory,
    Transition,
    Workflow,
)

TODO, IN_PROGRESS, IN_REVIEW, DONE, WONT_DO = "10000", "3", "10001", "10002", "10003"
WORKFLOW_NAME = "Software Simplified Workflow"
EPIC, TASK, STORY, BUG, SUBTASK = "10001", "10002", "10003", "10004", "10005"
RES_DONE, RES_WONT_DO, RES_DUPLICATE, RES_CANNOT_REPRODUCE = "10000", "10001", "10002", "10003"
LINK_BLOCKS, LINK_CLONERS, LINK_DUPLICATE, LINK_RELATES = "10000", "10001", "10002", "10003"

TRANSITIONS = (
    Transition("11", "Start Progress", IN_PROGRESS, (TODO, IN_REVIEW)),
    Transition("21", "Submit for Review", IN_REVIEW, (IN_PROGRESS,)),
    Transition("31", "Done", DONE, (IN_PROGRESS, IN_REVIEW), has_screen=True),
    Transition("41", "Stop Progress", TODO, (IN_PROGRESS,)),
    Transition("51", "Won't Do", WONT_DO, (), has_screen=True),
    Transition("61", "Reopen", TODO, (DONE, WONT_DO)),
)

# id, name, schema (None: Jira sends none), clause names, navigable, searchable, orderable, cloud only
_S = dict[str, Any] | None
SYSTEM_FIELDS: tuple[tuple[str, str, _S, tuple[str, ...], bool, bool, bool, bool], ...] = (
    ("statuscategorychangedate", "Status Category Changed", {"type": "datetime", "system": "statuscategorychangedate"}, ("statusCategoryChangedDate",), True, True, False, True),
    ("issuetype", "Issue Type", {"type": "issuetype", "system": "issuetype"}, ("issuetype", "type"), True, True, True, False),
    ("parent", "Parent", None, ("parent",), True, False, False, False),
    ("timespent", "Time Spent", {"type": "number", "system": "timespent"}, ("timespent",), True, False, False, False),
    ("project", "Project", {"type": "project", "system": "project"}, ("project",), True, True, False, False),
    ("fixVersions", "Fix versions", {"type": "array", "items": "version", "system": "fixVersions"}, ("fixVersion",), True, True, True, False),
    ("aggregatetimespent", "Σ Time Spent", {"type": "number", "system": "aggregatetimespent"}, (), True, False, False, False),
    ("statusCategory", "Status Category", None, ("statusCategory",), True, True, False, False),
    ("resolution", "Resolution", {"type": "resolution", "system": "resolution"}, ("resolution",), True, True, True, False),
    ("resolutiondate", "Resolved", {"type": "datetime", "system": "resolutiondate"}, ("resolutiondate", "resolved"), True, True, False, False),
    ("workratio", "Work Ratio", {"type": "number", "system": "workratio"}, ("workratio",), True, True, False, False),
    ("issuerestriction", "Restrict to", {"type": "issuerestriction", "system": "issuerestriction"}, (), False, True, True, True),
    ("lastViewed", "Last Viewed", {"type": "datetime", "system": "lastViewed"}, ("lastViewed",), True, False, False, False),
    ("watches", "Watchers", {"type": "watches", "system": "watches"}, ("watchers",), True, False, False, False),
    ("thumbnail", "Images", None, (), True, False, False, False),
    ("created", "Created", {"type": "datetime", "system": "created"}, ("created", "createdDate"), True, True, False, False),
    ("priority", "Priority", {"type": "priority", "system": "priority"}, ("priority",), True, True, True, False),
    ("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}, ("labels",), True, True, True, False),
    ("timeestimate", "Remaining Estimate", {"type": "number", "system": "timeestimate"}, ("remainingEstimate", "timeestimate"), True, False, False, False),
    ("aggregatetimeoriginalestimate", "Σ Original Estimate", {"type": "number", "system": "aggregatetimeoriginalestimate"}, (), True, False, False, False),
    ("versions", "Affects versions", {"type": "array", "items": "version", "system": "versions"}, ("affectedVersion",), True, True, True, False),
    ("issuelinks", "Linked Issues", {"type": "array", "items": "issuelinks", "system": "issuelinks"}, ("issueLink",), True, True, True, False),
    ("assignee", "Assignee", {"type": "user", "system": "assignee"}, ("assignee",), True, True, True, False),
    ("updated", "Updated", {"type": "datetime", "system": "updated"}, ("updated", "updatedDate"), True, True, False, False),
    ("status", "Status", {"type": "status", "system": "status"}, ("status",), True, True, False, False),
    ("components", "Components", {"type": "array", "items": "component", "system": "components"}, ("component",), True, True, True, False),
    ("issuekey", "Key", None, ("id", "issue", "issuekey", "key"), True, False, False, False),
    ("timeoriginalestimate", "Original estimate", {"type": "number", "system": "timeoriginalestimate"}, ("originalEstimate", "timeoriginalestimate"), True, False, False, False),
    ("description", "Description", {"type": "string", "system": "description"}, ("description",), True, True, True, False),
    ("timetracking", "Time tracking", {"type": "timetracking", "system": "timetracking"}, (), False, True, True, False),
    ("security", "Security Level", {"type": "securitylevel", "system": "security"}, ("level",), True, True, True, False),
    ("attachment", "Attachment", {"type": "array", "items": "attachment", "system": "attachment"}, ("attachments",), False, True, True, False),
    ("aggregatetimeestimate", "Σ Remaining Estimate", {"type": "number", "system": "aggregatetimeestimate"}, (), True, False, False, False),
    ("summary", "Summary", {"type": "string", "system": "summary"}, ("summary",), True, True, True, False),
    ("creator", "Creator", {"type": "user", "system": "creator"}, ("creator",), True, True, False, False),
    ("subtasks", "Sub-tasks", {"type": "array", "items": "issuelinks", "system": "subtasks"}, ("subtasks",), True, False, False, False),
    ("reporter", "Reporter", {"type": "user", "system": "reporter"}, ("reporter",), True, True, True, False),
    ("aggregateprogress", "Σ Progress", {"type": "progress", "system": "aggregateprogress"}, (), True, False, False, False),
    ("environment", "Environment", {"type": "string", "system": "environment"}, ("environment",), True, True, True, False),
    ("duedate", "Due date", {"type": "date", "system": "duedate"}, ("due", "duedate"), True, True, True, False),
    ("progress", "Progress", {"type": "progress", "system": "progress"}, ("progress",), True, False, False, False),
    ("comment", "Comment", {"type": "comments-page", "system": "comment"}, ("comment",), False, True, True, False),
    ("votes", "Votes", {"type": "votes", "system": "votes"}, ("votes",), True, False, False, False),
    ("worklog", "Log Work", {"type": "array", "items": "worklog", "system": "worklog"}, (), False, True, True, False),
)

PLUGIN = "com.atlassian.jira.plugin.system.customfieldtypes:"
# name, kind, schema type, items, custom type key, searcher label, options, DC only
CUSTOM_FIELDS: tuple[tuple[str, str, str, str | None, str, str, tuple[str, ...], bool], ...] = (
    ("Sprint", "sprint", "array", "json", "com.pyxis.greenhopper.jira:gh-sprint", "", (), False),
    ("Story Points", "storypoints", "number", None, PLUGIN + "float", "Number", (), False),
    ("Team", "text", "string", None, PLUGIN + "textfield", "Short text", (), False),
    ("Severity", "select", "option", None, PLUGIN + "select", "Dropdown", ("Critical", "High", "Medium", "Low"), False),
    ("Environments", "multiselect", "array", "option", PLUGIN + "multiselect", "Select List (multiple choices)",
     ("Production", "Staging", "Development", "QA"), False),
    ("Reviewer", "userpicker", "user", None, PLUGIN + "userpicker", "User Picker (single user)", (), False),
    ("Target date", "date", "date", None, PLUGIN + "datepicker", "Date", (), False),
    ("Notes", "textarea", "string", None, PLUGIN + "textarea", "Paragraph", (), False),
    ("Epic Link", "epiclink", "any", None, "com.pyxis.greenhopper.jira:gh-epic-link", "", (), True),
)


def build_catalog(ctx: Ctx) -> None:
    state = ctx.state
    for cat in (
        StatusCategory(1, "undefined", "No Category", "medium-gray"),
        StatusCategory(2, "new", "To Do", "blue-gray"),
        StatusCategory(4, "indeterminate", "In Progress", "yellow"),
        StatusCategory(3, "done", "Done", "green"),
    ):
        state.status_categories[cat.id] = cat
    for status in (
        Status(TODO, "To Do", 2, "Work that has not been started."),
        Status(IN_PROGRESS, "In Progress", 4, "This issue is being actively worked on at the moment by the assignee."),
        Status(IN_REVIEW, "In Review", 4, "The work is being reviewed."),
        Status(DONE, "Done", 3, "Work that is finished."),
        Status(WONT_DO, "Won't Do", 3, "Work that will not be done."),
    ):
        state.statuses[status.id] = status
    state.workflows[WORKFLOW_NAME] = Workflow(
        WORKFLOW_NAME, TODO, [TODO, IN_PROGRESS, IN_REVIEW, DONE, WONT_DO], list(TRANSITIONS)
    )
    for name, level, subtask, desc in (
        ("Epic", 1, False, "A big user story that needs to be broken down."),
        ("Task", 0, False, "A small, distinct piece of work."),
        ("Story", 0, False, "Functionality or a feature expressed as a user goal."),
        ("Bug", 0, False, "A problem or error."),
        ("Sub-task", -1, True, "A small piece of work that's part of a larger task."),
    ):
        tid = str(state.ids.next("issuetype", 10001))
        state.issue_types[tid] = IssueType(tid, name, subtask, level, desc)
    for pid, name, color in (
        ("1", "Highest", "#d04437"),
        ("2", "High", "#f15C75"),
        ("3", "Medium", "#f79232"),
        ("4", "Low", "#707070"),
        ("5", "Lowest", "#999999"),
    ):
        state.priorities[pid] = Priority(pid, name, color)
    for rid, name, desc in (
        (RES_DONE, "Done", "Work has been completed on this issue."),
        (RES_WONT_DO, "Won't Do", "This issue won't be actioned."),
        (RES_DUPLICATE, "Duplicate", "The problem is a duplicate of an existing issue."),
        (RES_CANNOT_REPRODUCE, "Cannot Reproduce", "This issue couldn't be reproduced."),
    ):
        state.resolutions[rid] = Resolution(rid, name, desc)
    for lid, name, inward, outward in (
        (LINK_BLOCKS, "Blocks", "is blocked by", "blocks"),
        (LINK_CLONERS, "Cloners", "is cloned by", "clones"),
        (LINK_DUPLICATE, "Duplicate", "is duplicated by", "duplicates"),
        (LINK_RELATES, "Relates", "relates to", "relates to"),
    ):
        state.link_types[lid] = IssueLinkType(lid, name, inward, outward)
    _fields(ctx)


def _fields(ctx: Ctx) -> None:
    state = ctx.state
    for fid, name, system_schema, system_clauses, navigable, searchable, orderable, cloud_only in SYSTEM_FIELDS:
        if cloud_only and not ctx.cloud:
            continue
        state.fields[fid] = FieldDef(
            fid, name, False, dict(system_schema or {}), list(system_clauses), "", navigable, searchable, orderable
        )
    customs = [c for c in CUSTOM_FIELDS if not (c[7] and ctx.cloud)]
    sub_rng(ctx.seed, "fields").shuffle(customs)
    for name, kind, stype, items, custom_key, label, options, _dc in customs:
        num = state.ids.next("customfield", 10000)
        fid = f"customfield_{num}"
        schema: dict[str, Any] = {"type": stype}
        if items:
            schema["items"] = items
        schema["custom"] = custom_key
        schema["customId"] = num
        clauses = [f"cf[{num}]", name] + ([f"{name}[{label}]"] if label and ctx.cloud else [])
        opts = [FieldOption(str(state.ids.next("option", 10000)), v) for v in options]
        state.fields[fid] = FieldDef(fid, name, True, schema, clauses, kind, options=opts)
