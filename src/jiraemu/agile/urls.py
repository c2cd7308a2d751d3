from jiraemu.agile import responses as h
from jiraemu.http import Route

A = "/rest/agile/1.0"

ROUTES = [
    Route("GET", f"{A}/board", h.boards),
    Route("GET", f"{A}/board/{{boardId}}", h.board),
    Route("GET", f"{A}/board/{{boardId}}/configuration", h.board_configuration),
    Route("GET", f"{A}/board/{{boardId}}/sprint", h.board_sprints),
    Route("GET", f"{A}/board/{{boardId}}/issue", h.board_issues),
    Route("GET", f"{A}/board/{{boardId}}/backlog", h.board_backlog),
    Route("GET", f"{A}/board/{{boardId}}/epic", h.board_epics),
    Route("GET", f"{A}/board/{{boardId}}/project", h.board_projects),
    Route("GET", f"{A}/board/{{boardId}}/sprint/{{sprintId}}/issue", h.board_sprint_issues),
    Route("POST", f"{A}/sprint", h.create_sprint),
    Route("GET", f"{A}/sprint/{{sprintId}}", h.sprint),
    Route("POST", f"{A}/sprint/{{sprintId}}", h.update_sprint),
    Route("PUT", f"{A}/sprint/{{sprintId}}", h.replace_sprint),
    Route("DELETE", f"{A}/sprint/{{sprintId}}", h.delete_sprint),
    Route("GET", f"{A}/sprint/{{sprintId}}/issue", h.sprint_issues),
    Route("POST", f"{A}/sprint/{{sprintId}}/issue", h.move_to_sprint),
]
