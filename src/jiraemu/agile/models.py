"""Boards and sprints: visibility through the board project's browse permission, sprint life cycle
(future -> active -> closed) and moving issues into sprints via the Sprint custom field."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jiraemu.errors import JiraError, bad_request, forbidden, not_found
from jiraemu.events import ISSUE_UPDATED, Event
from jiraemu.state import Board, ChangeItem, History, Issue, Project, Sprint, State, User

if TYPE_CHECKING:
    from jiraemu.backend import Backend

STATE_ORDER = {"closed": 0, "active": 1, "future": 2}
OPEN_STATES = ("future", "active")
MAX_MOVE = 50


def _board_missing() -> JiraError:
    return not_found("The requested board cannot be viewed because it either does not exist or you do not "
                     "have permission to view it.")


class Agile:
    """The agile rules over one backend's state, for one caller."""

    def __init__(self, backend: Backend, user: User | None) -> None:
        self.backend = backend
        self.state: State = backend.state
        self.user = user

    # -- boards ----------------------------------------------------------------------------------
    def project_of(self, board: Board) -> Project | None:
        return self.state.projects.get(board.project_id)

    def can_see_board(self, board: Board) -> bool:
        project = self.project_of(board)
        return project is not None and self.backend.perms.can_browse_project(self.user, project)

    def board(self, raw_id: str) -> Board:
        board = self.state.boards.get(int(raw_id)) if raw_id.isdigit() else None
        if board is None or not self.can_see_board(board):
            raise _board_missing()
        return board

    def boards(self, project_ref: str | None, types: list[str], name: str | None) -> list[Board]:
        out = [b for b in sorted(self.state.boards.values(), key=lambda b: b.id) if self.can_see_board(b)]
        if project_ref:
            project = self.state.project_by_key_or_id(project_ref)
            if project is None or not self.backend.perms.can_browse_project(self.user, project):
                raise bad_request(f"No project could be found with key '{project_ref}'.")
            out = [b for b in out if b.project_id == project.id]
        if types:
            out = [b for b in out if b.type in types]
        if name:
            out = [b for b in out if name.lower() in b.name.lower()]
        return out

    # -- sprints ---------------------------------------------------------------------------------
    def sprints(self, board: Board, states: list[str]) -> list[Sprint]:
        if board.type != "scrum":
            raise bad_request("The board does not support sprints")
        bad = [s for s in states if s not in STATE_ORDER]
        if bad:
            raise bad_request(f"The sprint state '{bad[0]}' is not valid. Valid states are: future, active, closed.")
        found = [s for s in self.state.sprints.values() if s.board_id == board.id and (not states or s.state in states)]
        return sorted(found, key=lambda s: (STATE_ORDER[s.state], s.start or 0, s.id))

    def sprint(self, raw_id: str) -> Sprint:
        sprint = self.state.sprints.get(int(raw_id)) if raw_id.isdigit() else None
        board = self.state.boards.get(sprint.board_id) if sprint is not None else None
        if sprint is None or board is None or not self.can_see_board(board):
            raise not_found(f"Sprint with id {raw_id} does not exist or you do not have permission to see it.")
        return sprint

    def require_manage(self, board: Board) -> None:
        project = self.project_of(board)
        if project is None or not self.backend.perms.has(self.user, "MANAGE_SPRINTS_PERMISSION", project):
            raise forbidden("You don't have permission to manage sprints on this board.")

    def create_sprint(self, body: dict[str, Any]) -> Sprint:
        name = str(body.get("name") or "").strip()
        errors = {}
        if not name:
            errors["name"] = "Sprint name is required."
        if body.get("originBoardId") is None:
            errors["originBoardId"] = "Origin board id is required."
        if errors:
            raise JiraError(400, [], errors)
        board = self.board(str(body["originBoardId"]))
        if board.type != "scrum":
            raise bad_request("The board does not support sprints")
        self.require_manage(board)
        if len(name) > 255:
            raise JiraError(400, [], {"name": "The sprint name is too long."})
        sid = self.state.ids.next("sprint", max(self.state.sprints, default=0) + 1)
        sprint = Sprint(sid, name, "future", board.id, str(body.get("goal") or ""),
                        parse_date(body.get("startDate"), "startDate"), parse_date(body.get("endDate"), "endDate"))
        self.state.sprints[sid] = sprint
        return sprint

    def update_sprint(self, sprint: Sprint, body: dict[str, Any]) -> Sprint:
        board = self.state.boards[sprint.board_id]
        self.require_manage(board)
        if "name" in body:
            name = str(body["name"] or "").strip()
            if not name:
                raise JiraError(400, [], {"name": "Sprint name is required."})
            sprint.name = name
        if "goal" in body:
            sprint.goal = str(body["goal"] or "")
        if sprint.state == "closed":
            return sprint  # only name and goal change on a closed sprint
        start = parse_date(body["startDate"], "startDate") if "startDate" in body else sprint.start
        end = parse_date(body["endDate"], "endDate") if "endDate" in body else sprint.end
        target = str(body.get("state") or sprint.state).lower()
        if target not in STATE_ORDER:
            raise bad_request(f"The sprint state '{target}' is not valid.")
        if target != sprint.state:
            if (sprint.state, target) == ("future", "active"):
                if start is None or end is None:
                    raise bad_request("The sprint cannot be started: a start date and an end date are required.")
            elif (sprint.state, target) == ("active", "closed"):
                sprint.complete = self.backend.now_ms()
            else:
                raise bad_request(f"A sprint cannot go from state '{sprint.state}' to '{target}'.")
        if target == "active" and (start is None or end is None):
            raise bad_request("An active sprint must have a start date and an end date.")
        if start is not None and end is not None and end < start:
            raise JiraError(400, [], {"endDate": "The end date must be after the start date."})
        sprint.start, sprint.end, sprint.state = start, end, target
        return sprint

    # -- issues ----------------------------------------------------------------------------------
    def sprint_field_id(self) -> str | None:
        field = self.state.field_by_kind("sprint")
        return field.id if field is not None else None

    def sprint_ids(self, issue: Issue) -> tuple[int, ...]:
        fid = self.sprint_field_id()
        value = issue.custom_value(fid) if fid else None
        return tuple(value or ())

    def visible_issues(self, keep: Callable[[Issue], bool]) -> list[Issue]:
        can_see = self.backend.perms.can_see_issue
        found = [i for i in self.state.issues.values() if keep(i) and can_see(self.user, i)]
        return sorted(found, key=lambda i: i.id)

    def sprint_issues(self, sprint: Sprint) -> list[Issue]:
        return self.visible_issues(lambda i: sprint.id in self.sprint_ids(i))

    def board_issues(self, board: Board) -> list[Issue]:
        return self.visible_issues(lambda i: i.project_id == board.project_id)

    def backlog(self, board: Board) -> list[Issue]:
        open_ids = {s.id for s in self.state.sprints.values() if s.state in OPEN_STATES}

        def keep(issue: Issue) -> bool:
            if issue.project_id != board.project_id or self.is_done(issue):
                return False
            return not open_ids.intersection(self.sprint_ids(issue))

        return self.visible_issues(keep)

    def is_done(self, issue: Issue) -> bool:
        status = self.state.statuses.get(issue.status_id)
        return status is not None and status.category_id == 3

    def epics(self, board: Board) -> list[Issue]:
        epic_types = {t.id for t in self.state.issue_types.values() if t.hierarchy_level == 1}
        return self.visible_issues(lambda i: i.project_id == board.project_id and i.issuetype_id in epic_types)

    def move_to_sprint(self, sprint: Sprint, refs: list[str]) -> list[Issue]:
        if sprint.state not in OPEN_STATES:
            raise bad_request("Issues can only be moved to open or active sprints.")
        if not refs:
            raise bad_request("No issues were provided.")
        if len(refs) > MAX_MOVE:
            raise bad_request(f"The maximum number of issues that can be moved in one operation is {MAX_MOVE}.")
        fid = self.sprint_field_id()
        if fid is None:
            raise bad_request("The Sprint field is not available.")
        perms = self.backend.perms
        issues = []
        for ref in refs:
            issue = self.state.issue_by_key_or_id(str(ref))
            if issue is None or not perms.can_see_issue(self.user, issue):
                raise bad_request(f"Issue '{ref}' does not exist or you do not have permission to see it.")
            if not perms.has(self.user, "EDIT_ISSUES", issue=issue) or not perms.has(
                self.user, "SCHEDULE_ISSUES", issue=issue
            ):
                raise forbidden(f"You do not have permission to edit issue '{ref}'.")
            issues.append(issue)
        unique = {issue.id: issue for issue in issues}
        return [moved for issue in unique.values() if (moved := self._set_sprint(issue, sprint, fid))]

    def _set_sprint(self, issue: Issue, sprint: Sprint, fid: str) -> Issue | None:
        """Put ``issue`` in ``sprint``: it leaves any other open sprint, keeps its closed ones."""
        before = self.sprint_ids(issue)
        closed = tuple(s for s in before if s in self.state.sprints and self.state.sprints[s].state == "closed")
        return self._write_sprints(issue, fid, (*closed, sprint.id))

    def _write_sprints(self, issue: Issue, fid: str, after: tuple[int, ...]) -> Issue | None:
        """A new issue version whose Sprint field is ``after``, with its changelog entry and event."""
        before = self.sprint_ids(issue)
        if after == before:
            return None
        now = max(self.backend.now_ms(), issue.updated)
        item = ChangeItem("Sprint", "custom", fid, ", ".join(map(str, before)) or None, self._names(before) or None,
                          ", ".join(map(str, after)) or None, self._names(after) or None)
        history = History(self.state.ids.next("history"), self.user.account_id if self.user else "", now, (item,))
        custom = tuple((k, v) for k, v in issue.custom if k != fid)
        if after:
            custom = (*custom, (fid, after))
        updated = dataclasses.replace(issue, custom=custom, updated=now, histories=(*issue.histories, history),
                                      version=issue.version + 1)
        self.state.put_issue(updated)
        self.backend.emit(Event(ISSUE_UPDATED, now, history.author_id, updated, issue, history=history,
                                issue_event_type_name="issue_updated"))
        return updated

    def delete_sprint(self, sprint: Sprint) -> None:
        """Delete a future or active sprint; its issues go back to the backlog."""
        self.require_manage(self.state.boards[sprint.board_id])
        if sprint.state == "closed":
            raise bad_request("A closed sprint cannot be deleted.")
        fid = self.sprint_field_id()
        if fid is not None:
            for issue in [i for i in self.state.issues.values() if sprint.id in self.sprint_ids(i)]:
                self._write_sprints(issue, fid, tuple(s for s in self.sprint_ids(issue) if s != sprint.id))
        del self.state.sprints[sprint.id]

    def _names(self, ids: tuple[int, ...]) -> str:
        return ", ".join(self.state.sprints[s].name for s in ids if s in self.state.sprints)


def parse_date(raw: Any, name: str) -> int | None:
    """An agile date (``2015-04-11T15:22:00.000+10:00``, ``...Z``, ``...+1000``) as epoch ms."""
    if raw is None or raw == "":
        return None
    text = str(raw).strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise JiraError(400, [], {name: f"The date '{raw}' is invalid."}) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)
