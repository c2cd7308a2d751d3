"""Seeded data generation: ``build_state(config, now_ms) -> State``.

Deterministic from ``config.seed`` and ``now_ms`` (each part draws from its own
``random.Random`` stream, see ``common.sub_rng``). What it produces is described in
notes/data-plan.md. Ids come from ``state.ids`` so that later creates continue the sequences;
the kinds used are: issue, comment, worklog, attachment, history, issuelink (10000+),
``issuekey:<project id>`` (1+, the number in the key), project,
component, version, grant, option, customfield, audit, issuetype (10001+), filter (10000+), board and
sprint (1+).
"""

from __future__ import annotations

import gc

from jiraemu.config import EmuConfig
from jiraemu.generator.agile import build_agile
from jiraemu.generator.audit import build_audit
from jiraemu.generator.catalog import build_catalog
from jiraemu.generator.common import Ctx, FallbackPool, make_pool
from jiraemu.generator.issues import build_issues
from jiraemu.generator.people import ADMIN_ACCOUNT_ID, build_people, mentionable
from jiraemu.generator.projects import build_projects
from jiraemu.generator.schemes import build_schemes
from jiraemu.state import State

__all__ = ["ADMIN_ACCOUNT_ID", "build_state"]


def build_state(config: EmuConfig, now_ms: int) -> State:
    # Building creates millions of small objects and no cycles: the cyclic collector would rescan
    # the growing heap over and over (most of the build time at 100k issues), so pause it.
    paused = gc.isenabled()
    gc.disable()
    try:
        state = State()
        state.site.site_timezone = config.site_timezone
        ctx = Ctx(config, now_ms, state, FallbackPool(config.seed, config.is_cloud))
        build_people(ctx)
        ctx.pool = make_pool(config.seed, config.is_cloud, mentionable(ctx))
        build_schemes(ctx)
        build_catalog(ctx)
        build_projects(ctx)
        sprints = build_agile(ctx)
        build_issues(ctx, sprints)
        build_audit(ctx)
    finally:
        if paused:
            gc.enable()
    return state
