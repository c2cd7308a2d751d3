"""Boards and sprints: one board per company-managed project (scrum, except the last one which is
kanban when there are two or more), and per scrum board 2 closed, 1 active and 1 future sprint."""

from __future__ import annotations

from jiraemu.generator.common import DAY_MS, HOUR_MS, Ctx, sub_rng
from jiraemu.state import Board, Sprint

GOALS = (
    "Ship the onboarding flow",
    "Pay down flaky tests",
    "Stabilise the sync engine",
    "Finish the billing migration",
    "",
)
SPRINT_MS = 14 * DAY_MS


def build_agile(ctx: Ctx) -> dict[int, list[int]]:
    """Returns project id -> sprint ids of its scrum board, oldest first (closed, closed, active, future)."""
    state = ctx.state
    rng = sub_rng(ctx.seed, "agile")
    classic = [p for p in state.projects.values() if p.style == "classic"]
    out: dict[int, list[int]] = {}
    for index, project in enumerate(classic):
        kanban = len(classic) >= 2 and index == len(classic) - 1
        bid = state.ids.next("board", 1)
        state.boards[bid] = Board(
            bid,
            f"{project.key} board",
            "kanban" if kanban else "scrum",
            project.id,
            state.ids.next("filter", 10000),
        )
        if kanban:
            continue
        # the active sprint started 1-9 days ago, on a whole hour
        active_start = (ctx.now - rng.randint(1, 9) * DAY_MS) // HOUR_MS * HOUR_MS
        ids = []
        for n, (state_name, offset) in enumerate((("closed", -2), ("closed", -1), ("active", 0), ("future", 1))):
            sid = state.ids.next("sprint", 1)
            start = active_start + offset * SPRINT_MS
            sprint = Sprint(sid, f"{project.key} Sprint {n + 1}", state_name, bid, rng.choice(GOALS))
            if state_name != "future":
                sprint.start, sprint.end = start, start + SPRINT_MS
            if state_name == "closed":
                sprint.complete = start + SPRINT_MS + rng.randint(0, 3) * HOUR_MS
            state.sprints[sid] = sprint
            ids.append(sid)
        out[project.id] = ids
    return out
