"""Users and groups: the admin, ``user01..userNN`` (some with hidden email, outsiders, one inactive,
one app user on Cloud) and the groups jira-administrators, jira-software-users, developers, qa."""

from __future__ import annotations

import random

from jiraemu.generator.common import Ctx, rng_uuid, sub_rng
from jiraemu.state import Group, User

ADMIN_ACCOUNT_ID = "557058:f0000000-0000-4000-8000-000000000001"
TIME_ZONES = (
    "UTC",
    "Europe/Berlin",
    "Asia/Kolkata",
    "America/New_York",
    "Australia/Sydney",
    "America/Los_Angeles",
)
FIRST_NAMES = (
    "Ana", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Gustav", "Hana", "Ingrid", "Jun",
    "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tariq",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoë",
)
LAST_NAMES = (
    "Almeida", "Brandt", "Chen", "Dubois", "Eriksson", "Fischer", "García", "Haddad", "Ito",
    "Jansen", "Kowalski", "Lindqvist", "Müller", "Nakamura", "O'Brien", "Petrov", "Quinn",
    "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga", "Wójcik", "Yilmaz", "Zhang",
)
APP_USER_NAME = "Automation for Jira"


def build_people(ctx: Ctx) -> None:
    cfg, state = ctx.config, ctx.state
    rng = sub_rng(ctx.seed, "people")
    admin = User(
        account_id=ADMIN_ACCOUNT_ID,
        name=cfg.dc_admin_user,
        key="JIRAUSER10000",
        display_name="Emulator Admin",
        email=cfg.admin_email,
        time_zone=cfg.timezone,
        api_token=cfg.admin_token,
        password=cfg.dc_admin_password,
        pat=cfg.dc_admin_pat,
    )
    state.users[admin.account_id] = admin
    generated = max(cfg.users, 8) - 1
    names = _display_names(rng, generated)
    offset = rng.randrange(len(TIME_ZONES))  # every zone is used, whatever the seed
    users = [_user(rng, i + 1, names[i], TIME_ZONES[(i + offset) % len(TIME_ZONES)]) for i in range(generated)]
    # roles by position: hidden email early, special accounts at the end
    hidden = [users[1], users[2]]
    app = users[-1] if ctx.cloud else None
    tail = users[:-1] if app is not None else users
    inactive = tail[-1]
    outsiders = tail[-3:-1]
    for u in hidden:
        u.email_visible = False
    inactive.active = False
    if app is not None:
        app.account_type = "app"
        app.display_name = APP_USER_NAME
        app.email = ""
        app.email_visible = False
        app.api_token = app.password = app.pat = ""
        app.time_zone = "UTC"
    for u in users:
        state.users[u.account_id] = u
    regular = [u for u in users if u is not app and u is not inactive and u not in outsiders]
    developers = sorted(rng.sample(regular, max(2, len(regular) // 2)), key=lambda u: u.name)
    rest = [u for u in regular if u not in developers] or regular
    qa = sorted(rng.sample(rest, min(len(rest), max(1, len(regular) // 6))), key=lambda u: u.name)
    everyone = [admin] + [u for u in users if u.active and u is not app]
    _group(ctx, rng, "jira-administrators", [admin])
    _group(ctx, rng, "jira-software-users", everyone)
    _group(ctx, rng, "developers", [admin, *developers])
    _group(ctx, rng, "qa", qa)
    ctx.special = {
        "hidden": [u.account_id for u in hidden],
        "outsiders": [u.account_id for u in outsiders],
        "inactive": [inactive.account_id],
        "app": [app.account_id] if app is not None else [],
        "developers": [u.account_id for u in developers],
        "qa": [u.account_id for u in qa],
        "regular": [u.account_id for u in regular],
    }


def _display_names(rng: random.Random, count: int) -> list[str]:
    combos = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(combos)
    return [combos[i % len(combos)] + ("" if i < len(combos) else f" {i // len(combos) + 1}") for i in range(count)]


def _user(rng: random.Random, number: int, display: str, time_zone: str) -> User:
    name = f"user{number:02d}"
    prefix = "712020" if rng.random() < 0.2 else "557058"
    return User(
        account_id=f"{prefix}:{rng_uuid(rng)}",
        name=name,
        key=f"JIRAUSER{10100 + number}",
        display_name=display,
        email=f"{name}@example.com",
        time_zone=time_zone,
        locale=rng.choice(("en_US", "en_US", "en_GB", "de_DE")),
        api_token=f"token-{name}",
        password=f"pw-{name}",
        pat=f"pat-{name}",
    )


def _group(ctx: Ctx, rng: random.Random, name: str, members: list[User]) -> None:
    ctx.state.groups[name] = Group(rng_uuid(rng), name, [u.account_id for u in members])


def mentionable(ctx: Ctx) -> list[tuple[str, str]]:
    """Who documents may @mention: the admin and a few regular users (Cloud by account id, DC by name)."""
    users = ctx.state.users
    chosen = [users[ADMIN_ACCOUNT_ID]] + [users[a] for a in ctx.special["regular"][:6]]
    return [(u.account_id if ctx.cloud else u.name, u.display_name) for u in chosen]
