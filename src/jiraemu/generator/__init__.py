"""Seeded data generation: ``build_state(config, now_ms) -> State`` (stub; see the generator area)."""

from __future__ import annotations

from jiraemu.config import EmuConfig
from jiraemu.state import Group, State, User


def build_state(config: EmuConfig, now_ms: int) -> State:
    state = State()
    state.site.site_timezone = config.site_timezone
    admin = User(
        account_id="557058:f0000000-0000-4000-8000-000000000001",
        name=config.dc_admin_user,
        key="JIRAUSER10000",
        display_name="Emulator Admin",
        email=config.admin_email,
        time_zone=config.timezone,
        api_token=config.admin_token,
        password=config.dc_admin_password,
        pat=config.dc_admin_pat,
    )
    state.users[admin.account_id] = admin
    state.groups["jira-administrators"] = Group("g-admins", "jira-administrators", [admin.account_id])
    return state
