"""The connection check: every way a connection can be wrong, as a checklist with a fix per failure.

Order (each step needs the one before): the URL reaches a Jira (anonymous ``serverInfo``:
deployment and version), the auth method suits it, the credentials work (``myself`` — exactly one
authenticated request when they do not), the token's expiry, the email's visibility, visible
projects, and the permissions each enabled feature needs (``mypermissions``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from jirasync.auth import AuthMethod
from jirasync.client import ClientOptions, JiraClient
from jirasync.exceptions import (
    AuthenticationError,
    ConfigError,
    JiraError,
    NetworkError,
    NotFound,
    PermissionDenied,
)
from jirasync.site import normalize_site_url

if TYPE_CHECKING:
    from jirasync.auth.oauth2 import TokenStore
    from jirasync.connections import Credentials

MIN_SERVER_VERSION = (7, 13)
EXPIRY_WARNING_DAYS = 14
PERMISSION_NAMES = {
    "BROWSE_PROJECTS": "Browse projects",
    "CREATE_ISSUES": "Create issues",
    "EDIT_ISSUES": "Edit issues",
    "ADD_COMMENTS": "Add comments",
    "TRANSITION_ISSUES": "Transition issues",
    "DELETE_ISSUES": "Delete issues",
    "USER_PICKER": "Browse users and groups",
    "ADMINISTER": "Administer Jira",
}


@dataclass(frozen=True)
class Features:
    """What the user means to do with the connection; each feature needs some permissions."""

    sync: bool = True
    push: bool = False
    delete: bool = False
    users: bool = True
    webhooks: bool = False
    audit: bool = False

    @classmethod
    def parse(cls, names: list[str]) -> Features:
        known = {"sync", "push", "delete", "users", "webhooks", "audit"}
        bad = [n for n in names if n not in known]
        if bad:
            raise ConfigError("feature", f"unknown feature(s) {', '.join(bad)}", fix=f"use some of: {', '.join(sorted(known))}")
        return cls(**{k: (k in names) for k in known})

    def needs(self) -> dict[str, str]:
        """Permission key -> the feature that needs it."""
        out: dict[str, str] = {}
        if self.sync:
            out["BROWSE_PROJECTS"] = "sync"
        if self.push:
            for key in ("BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "ADD_COMMENTS", "TRANSITION_ISSUES"):
                out.setdefault(key, "push")
        if self.delete:
            out["DELETE_ISSUES"] = "delete"
        if self.users:
            out["USER_PICKER"] = "users"
        if self.webhooks:
            out["ADMINISTER"] = "webhooks"
        if self.audit:
            out.setdefault("ADMINISTER", "audit log")
        return out


@dataclass
class CheckItem:
    name: str
    ok: bool | None  # None = a warning
    detail: str
    fix: str | None = None

    @property
    def mark(self) -> str:
        return {True: "ok", False: "FAIL", None: "warn"}[self.ok]


@dataclass
class CheckReport:
    url: str
    items: list[CheckItem] = field(default_factory=list)
    deployment: str | None = None
    version: str | None = None
    account_id: str | None = None
    display_name: str | None = None
    time_zone: str | None = None
    email_visible: bool | None = None
    cloud_id: str | None = None
    connected: bool = False  # the site is a Jira and the credentials work
    requests: int = 0

    @property
    def ok(self) -> bool:
        return self.connected and all(i.ok is not False for i in self.items)

    def add(self, name: str, ok: bool | None, detail: str, fix: str | None = None) -> CheckItem:
        item = CheckItem(name, ok, detail, fix)
        self.items.append(item)
        return item

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "ok": self.ok,
            "connected": self.connected,
            "deployment": self.deployment,
            "version": self.version,
            "account_id": self.account_id,
            "display_name": self.display_name,
            "time_zone": self.time_zone,
            "email_visible": self.email_visible,
            "requests": self.requests,
            "checks": [{"check": i.name, "status": i.mark, "detail": i.detail, "fix": i.fix} for i in self.items],
        }


def _version_tuple(info: dict[str, Any]) -> tuple[int, ...]:
    numbers = info.get("versionNumbers")
    if isinstance(numbers, list) and numbers:
        return tuple(int(n) for n in numbers)
    parts = str(info.get("version", "0")).split(".")
    return tuple(int(p) for p in parts if p.isdigit())


async def _server_info(report: CheckReport, url: str, options: ClientOptions) -> dict[str, Any] | None:
    async with JiraClient(url, None, options=options) as anon:
        try:
            info = await anon.get("/rest/api/2/serverInfo")
        except NetworkError as err:
            if "CERTIFICATE_VERIFY_FAILED" in err.message:
                report.add("reachable", False, "the site's TLS certificate is not trusted (self-signed or a private CA)",
                           "pass --ca-bundle FILE with the CA certificate (PEM) that signed it")
            else:
                report.add("reachable", False, err.message, "check the URL, DNS, proxy/VPN and that Jira is running")
            return None
        except JiraError as err:
            origin = _origin(url)
            if origin != url and await _is_jira(origin, options, report):
                report.add("site URL", False, f"{url} is not the site's address; Jira answers at {origin}", f"use {origin}")
                return None
            report.add("is Jira", False, f"{url} does not answer like Jira ({err.status})",
                       "use the address you open Jira at in a browser, without /browse/... or /rest/...")
            return None
        finally:
            report.requests += anon.stats.requests
    if not isinstance(info, dict) or ("versionNumbers" not in info and "version" not in info):
        report.add("is Jira", False, f"{url}/rest/api/2/serverInfo is not Jira's serverInfo", "check the URL")
        return None
    return info


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _is_jira(url: str, options: ClientOptions, report: CheckReport) -> bool:
    async with JiraClient(url, None, options=options) as anon:
        try:
            info = await anon.get("/rest/api/2/serverInfo")
        except JiraError:
            return False
        finally:
            report.requests += anon.stats.requests
    return isinstance(info, dict) and "versionNumbers" in info


async def run_check(
    url: str,
    creds: Credentials,
    features: Features,
    *,
    token_expires_on: date | None = None,
    options: ClientOptions | None = None,
    token_store: TokenStore | None = None,
    today: date | None = None,
) -> CheckReport:
    from jirasync.connections import api_base_url, build_auth

    options = options or ClientOptions(max_retries=2)
    report = CheckReport(url)
    info = await _server_info(report, url, options)
    if info is None:
        return report
    deployment = str(info.get("deploymentType") or "Server")
    version = _version_tuple(info)
    report.deployment, report.version = deployment, str(info.get("version", ""))
    cloud = deployment == "Cloud"
    report.add("is Jira", True, f"Jira {deployment} {report.version}")
    if cloud:
        try:
            report.url = normalize_site_url(url, cloud=True).base
        except ConfigError as err:
            report.add("site URL", False, err.message, err.fix)
            return report
    elif version < MIN_SERVER_VERSION:
        report.add("version", False, f"Jira {report.version} is older than 7.13", "upgrade Jira to 7.13 or later (8.x or Data Center 9+ recommended)")
        return report
    method = creds.method
    if cloud and method.server_only:
        report.add("auth method", False, f"Jira Cloud does not accept {method.value}",
                   "use --auth api-token (email + API token) or --auth oauth2")
        return report
    if not cloud and method.cloud_only:
        report.add("auth method", False, f"{method.value} is for Jira Cloud; this is {deployment}",
                   "use --auth pat (personal access token), --auth basic or --auth oauth1")
        return report
    if method is AuthMethod.BASIC:
        report.add("auth method", None, "username + password is the least secure method",
                   "create a personal access token in Jira and use --auth pat")

    cloud_id = creds.cloud_id
    if method is AuthMethod.OAUTH2 and not cloud_id:
        cloud_id = await _pick_oauth_site(report, creds, options)
        if cloud_id is None:
            return report
    report.cloud_id = cloud_id
    if cloud_id and cloud_id != creds.cloud_id:
        from dataclasses import replace

        creds = replace(creds, cloud_id=cloud_id)
    auth = build_auth(creds, token_store)
    v = 3 if cloud else 2
    async with JiraClient(api_base_url(report.url, creds), auth, options=options, auth_kind=method.value) as jira:
        try:
            await _identity(report, jira, v, cloud)
            if report.connected:
                _expiry(report, token_expires_on, today)
                await _projects(report, jira, v, cloud)
                await _permissions(report, jira, v, features)
        finally:
            report.requests += jira.stats.requests
    return report


async def _pick_oauth_site(report: CheckReport, creds: Credentials, options: ClientOptions) -> str | None:
    import httpx

    from jirasync.auth.oauth2 import accessible_resources, choose_site

    assert creds.oauth2_app and creds.oauth2_tokens
    async with httpx.AsyncClient(timeout=options.timeout_s, verify=options.verify) as http:
        try:
            sites = await accessible_resources(creds.oauth2_app, creds.oauth2_tokens, http)
            report.requests += 1
            site = choose_site(sites, report.url)
        except (AuthenticationError, ConfigError) as err:
            report.add("OAuth site", False, err.message, err.fix)
            return None
    report.add("OAuth site", True, f"the grant covers {site.get('url')} (cloud id {site.get('id')})")
    return str(site["id"])


async def _identity(report: CheckReport, jira: JiraClient, v: int, cloud: bool) -> None:
    try:
        me = await jira.get(f"/rest/api/{v}/myself")
    except AuthenticationError as err:
        detail = "Jira refused the credentials (401)"
        if err.messages:
            detail += f": {err.messages[0]}"
        report.add("credentials", False, detail, err.fix)
        return
    except PermissionDenied as err:
        report.add("credentials", False, err.message, "the token lacks the scope or the account lacks Jira access: check the product access and OAuth scopes")
        return
    report.connected = True
    report.account_id = me.get("accountId") if cloud else (me.get("key") or me.get("name"))
    report.display_name = me.get("displayName")
    report.time_zone = me.get("timeZone")
    report.add("credentials", True, f"logged in as {report.display_name} ({me.get('emailAddress') or me.get('name') or report.account_id})")
    if me.get("active") is False:
        report.add("active user", False, "the Jira user is deactivated", "reactivate the user in Jira administration")
    if me.get("emailAddress"):
        report.email_visible = True
        report.add("email visible", True, "the email address is visible to the API")
    else:
        report.email_visible = False
        report.add("email visible", None, "the Jira user's email is hidden (profile visibility); permissions are mapped by account id only",
                   "set the email's visibility to 'Anyone' in the Atlassian profile if you map users by email")
    if report.time_zone:
        report.add("time zone", True, f"JQL dates are read in {report.time_zone}")


def _expiry(report: CheckReport, expires: date | None, today: date | None) -> None:
    if expires is None:
        return
    days = (expires - (today or datetime.now(UTC).date())).days
    if days < 0:
        report.add("token expiry", False, f"the token expired on {expires}", "create a new token and run `jirasync connections rotate NAME`")
    elif days <= EXPIRY_WARNING_DAYS:
        report.add("token expiry", None, f"the token expires in {days} day(s), on {expires}", "create a new token and run `jirasync connections rotate NAME`")
    else:
        report.add("token expiry", True, f"the token expires on {expires}")


async def _projects(report: CheckReport, jira: JiraClient, v: int, cloud: bool) -> None:
    try:
        if cloud:
            page = await jira.get(f"/rest/api/{v}/project/search", params={"maxResults": 50})
            count = int(page.get("total", len(page.get("values", []))))
        else:
            count = len(await jira.get(f"/rest/api/{v}/project"))
    except (PermissionDenied, NotFound) as err:
        report.add("projects", False, err.message, "grant the user Browse projects in at least one project")
        return
    if count == 0:
        report.add("projects", False, "the user can browse no project",
                   "add the user (or a group of theirs) to a project role that has Browse projects in the permission scheme")
    else:
        report.add("projects", True, f"{count} project(s) visible")


async def _permissions(report: CheckReport, jira: JiraClient, v: int, features: Features) -> None:
    needs = features.needs()
    if not needs:
        return
    try:
        data = await jira.get(f"/rest/api/{v}/mypermissions", params={"permissions": ",".join(needs)})
    except JiraError as err:
        report.add("permissions", None, f"cannot read permissions: {err.message}", None)
        return
    granted = data.get("permissions", {})
    for key, feature in needs.items():
        name = PERMISSION_NAMES.get(key, key)
        have = bool(granted.get(key, {}).get("havePermission"))
        if have:
            report.add(f"permission: {name}", True, f"granted (needed for {feature})")
        else:
            report.add(f"permission: {name}", False, f"missing — needed for {feature}",
                       f"grant '{name}' to the user in Jira ({'global permissions' if key in ('ADMINISTER', 'USER_PICKER') else 'the project permission scheme'}), or turn off {feature}")
