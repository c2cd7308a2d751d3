"""``jiraemu serve`` with one extra knob for the benchmark: ``--comments-per-issue N`` reshapes the
generated data so that every issue has exactly N comments (the peers' published figures were
measured on "1,000 issues with 3 comments each"). Everything else is jiraemu's own CLI, unchanged:

    .venv/bin/python bench/peers/emu_serve.py --comments-per-issue 3 serve --tls --legacy-search --issues 1000

Comments are trimmed to the first N, or padded with copies of the issue's own (or a generated)
comment under fresh ids, dated between the issue's creation and its last update.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
import threading

from jiraemu.cli import banner, build_parser, config_from_args
from jiraemu.server import EmulatorServer
from jiraemu.state import Comment, State


def reshape_comments(state: State, n: int) -> int:
    """Give every live issue exactly ``n`` comments; returns the total."""
    template: Comment | None = next((c for i in state.issues.values() for c in i.comments), None)
    for issue in list(state.issues.values()):
        comments = list(issue.comments[:n])
        base = comments[0] if comments else template
        while len(comments) < n and base is not None:
            step = max(1, (issue.updated - issue.created) // (n + 1))
            when = issue.created + step * (len(comments) + 1)
            comments.append(dataclasses.replace(
                base, id=state.ids.next("comment", 10000), created=when, updated=when,
                author_id=issue.reporter_id or base.author_id, update_author_id=issue.reporter_id or base.author_id,
                visibility=None))
        if len(comments) != len(issue.comments) or comments != list(issue.comments):
            state.put_issue(dataclasses.replace(issue, comments=tuple(comments), version=issue.version + 1))
    return sum(len(i.comments) for i in state.issues.values())


def main() -> int:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--comments-per-issue", type=int, default=None)
    known, rest = pre.parse_known_args()
    args = build_parser().parse_args(rest)
    server = EmulatorServer(config_from_args(args), port=args.port)
    if known.comments_per_issue is not None:
        total = reshape_comments(server.backend.state, known.comments_per_issue)
        print(f"  reshaped: {known.comments_per_issue} comments per issue ({total} in all)", flush=True)
    server.start()
    print(banner(server), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
