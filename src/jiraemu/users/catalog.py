"""Jira's permission catalogue: every key with its id, display name, type and description."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PermissionDef:
    key: str
    id: str
    name: str
    type: str  # GLOBAL | PROJECT
    description: str


def _p(key: str, pid: str, name: str, kind: str, description: str) -> PermissionDef:
    return PermissionDef(key, pid, name, kind, description)


PERMISSIONS: dict[str, PermissionDef] = {
    p.key: p
    for p in (
        _p("ADMINISTER", "0", "Administer Jira", "GLOBAL",
           "Create and administer projects, issue types, fields, workflows, and schemes for all projects."),
        _p("SYSTEM_ADMIN", "44", "Jira System Administrators", "GLOBAL",
           "Ability to perform all administration functions."),
        _p("USER_PICKER", "27", "Browse users and groups", "GLOBAL",
           "View and select users or groups from the user picker, and share issues."),
        _p("CREATE_SHARED_OBJECTS", "22", "Share dashboards and filters", "GLOBAL",
           "Share dashboards and filters with other users, groups, and roles."),
        _p("MANAGE_GROUP_FILTER_SUBSCRIPTIONS", "24", "Manage group filter subscriptions", "GLOBAL",
           "Create and delete group filter subscriptions."),
        _p("BULK_CHANGE", "33", "Make bulk changes", "GLOBAL",
           "Modify collections of issues at once."),
        _p("ADMINISTER_PROJECTS", "23", "Administer Projects", "PROJECT",
           "Ability to administer a project in Jira."),
        _p("BROWSE_PROJECTS", "10", "Browse Projects", "PROJECT",
           "Ability to browse projects and the issues within them."),
        _p("VIEW_DEV_TOOLS", "29", "View Development Tools", "PROJECT",
           "Allows users in a software project to view development-related information on the issue."),
        _p("VIEW_READONLY_WORKFLOW", "45", "View Read-Only Workflow", "PROJECT",
           "Users with this permission may view a read-only version of a workflow."),
        _p("CREATE_ISSUES", "11", "Create Issues", "PROJECT", "Ability to create issues."),
        _p("EDIT_ISSUES", "12", "Edit Issues", "PROJECT", "Ability to edit issues."),
        _p("TRANSITION_ISSUES", "46", "Transition Issues", "PROJECT", "Ability to transition issues."),
        _p("SCHEDULE_ISSUES", "28", "Schedule Issues", "PROJECT",
           "Ability to view or edit an issue's due date."),
        _p("MOVE_ISSUES", "25", "Move Issues", "PROJECT",
           "Ability to move issues between projects or between workflows of the same project (if applicable)."),
        _p("ASSIGN_ISSUES", "13", "Assign Issues", "PROJECT", "Ability to assign issues to other people."),
        _p("ASSIGNABLE_USER", "17", "Assignable User", "PROJECT", "Users with this permission may be assigned to issues."),
        _p("RESOLVE_ISSUES", "14", "Resolve Issues", "PROJECT",
           "Ability to resolve and reopen issues. This includes the ability to set a fix version."),
        _p("CLOSE_ISSUES", "18", "Close Issues", "PROJECT", "Ability to close issues."),
        _p("MODIFY_REPORTER", "30", "Modify Reporter", "PROJECT",
           "Ability to modify the reporter when creating or editing an issue."),
        _p("DELETE_ISSUES", "16", "Delete Issues", "PROJECT", "Ability to delete issues."),
        _p("LINK_ISSUES", "21", "Link Issues", "PROJECT", "Ability to link issues together."),
        _p("SET_ISSUE_SECURITY", "26", "Set Issue Security", "PROJECT",
           "Ability to set the level of security on an issue so that only people in that security level can see the issue."),
        _p("VIEW_VOTERS_AND_WATCHERS", "31", "View Voters and Watchers", "PROJECT",
           "Ability to view the voters and watchers of an issue."),
        _p("MANAGE_WATCHERS", "32", "Manage Watchers", "PROJECT", "Ability to manage the watchers of an issue."),
        _p("ADD_COMMENTS", "15", "Add Comments", "PROJECT", "Ability to comment on issues."),
        _p("EDIT_ALL_COMMENTS", "34", "Edit All Comments", "PROJECT", "Ability to edit all comments made on issues."),
        _p("EDIT_OWN_COMMENTS", "35", "Edit Own Comments", "PROJECT", "Ability to edit own comments made on issues."),
        _p("DELETE_ALL_COMMENTS", "36", "Delete All Comments", "PROJECT", "Ability to delete all comments made on issues."),
        _p("DELETE_OWN_COMMENTS", "37", "Delete Own Comments", "PROJECT", "Ability to delete own comments made on issues."),
        _p("CREATE_ATTACHMENTS", "19", "Create Attachments", "PROJECT", "Users with this permission may create attachments."),
        _p("DELETE_ALL_ATTACHMENTS", "38", "Delete All Attachments", "PROJECT",
           "Users with this permission may delete all attachments."),
        _p("DELETE_OWN_ATTACHMENTS", "39", "Delete Own Attachments", "PROJECT",
           "Users with this permission may delete own attachments."),
        _p("WORK_ON_ISSUES", "20", "Work On Issues", "PROJECT", "Ability to log work done against an issue."),
        _p("EDIT_OWN_WORKLOGS", "40", "Edit Own Worklogs", "PROJECT", "Ability to edit own worklogs made on issues."),
        _p("EDIT_ALL_WORKLOGS", "41", "Edit All Worklogs", "PROJECT", "Ability to edit all worklogs made on issues."),
        _p("DELETE_OWN_WORKLOGS", "42", "Delete Own Worklogs", "PROJECT", "Ability to delete own worklogs made on issues."),
        _p("DELETE_ALL_WORKLOGS", "43", "Delete All Worklogs", "PROJECT", "Ability to delete all worklogs made on issues."),
        _p("MANAGE_SPRINTS_PERMISSION", "10331", "Manage sprints", "PROJECT",
           "Ability to manage sprints."),
    )
}

GLOBAL_KEYS = frozenset(k for k, p in PERMISSIONS.items() if p.type == "GLOBAL")
