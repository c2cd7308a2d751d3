"""Measure the generator: ``python -m jiraemu.generator --issues 100000 [--flavor datacenter]``.

Prints wall and CPU time of ``build_state`` and the process's peak RSS, plus entity counts."""

from __future__ import annotations

import argparse
import resource
import sys
import time

from jiraemu.config import EmuConfig
from jiraemu.generator import build_state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jiraemu.generator", description=__doc__)
    parser.add_argument("--flavor", choices=("cloud", "datacenter"), default="cloud")
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=5)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    config = EmuConfig(flavor=args.flavor, issues=args.issues, projects=args.projects, users=args.users, seed=args.seed)
    wall, cpu = time.perf_counter(), time.process_time()
    state = build_state(config, int(time.time() * 1000))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    issues = state.issues.values()
    print(f"{args.flavor}: {len(state.issues)} issues in {wall:.1f} s wall, {cpu:.1f} s CPU; peak RSS {peak_mb:.0f} MB")
    print(
        f"comments {sum(len(i.comments) for i in issues)}, histories {sum(len(i.histories) for i in issues)}, "
        f"worklogs {sum(len(i.worklogs) for i in issues)}, attachments {sum(len(i.attachments) for i in issues)}, "
        f"links {len(state.links)}, users {len(state.users)}, sprints {len(state.sprints)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
