"""serverInfo and myself."""

from __future__ import annotations

from typing import Any

from jiraemu import repr as r
from jiraemu.http import JiraRequest
from jiraemu.timefmt import fmt_ts

CLOUD_VERSION = ("1001.0.0-SNAPSHOT", [1001, 0, 0], 100313)
DC_VERSION = ("10.0.0", [10, 0, 0], 10000)


def server_info(req: JiraRequest) -> dict[str, Any]:
    cloud = req.is_cloud
    version, numbers, build = CLOUD_VERSION if cloud else DC_VERSION
    if not cloud and req.config.dc_version != version:  # an older Server/DC, e.g. "7.12.3"
        version = req.config.dc_version
        numbers = [int(p) for p in version.split(".")[:3] if p.isdigit()]
        deployment = "Server" if numbers < [8, 0] else "DataCenter"
    else:
        deployment = "Cloud" if cloud else "DataCenter"
    tz = req.state.site.site_timezone
    out: dict[str, Any] = {
        "baseUrl": req.backend.base_url,
        "version": version,
        "versionNumbers": numbers,
        "deploymentType": deployment,
        "buildNumber": build,
        "buildDate": "2026-11-01T00:00:00.000" + fmt_ts(req.backend.now_ms(), tz)[-5:],
        "serverTime": fmt_ts(req.backend.now_ms(), tz),
        "scmInfo": "0123456789abcdef0123456789abcdef01234567",
        "serverTitle": req.state.site.title,
    }
    if cloud:
        # Real Cloud also sends defaultLocale, but the spec's ServerInformation forbids extra
        # properties; the spec wins here.
        out["serverTimeZone"] = tz
    return out


def myself(req: JiraRequest) -> dict[str, Any]:
    user = req.user
    out = r.user_ref(req, user, full=True) or {}
    groups = [g for g in req.state.groups.values() if user.account_id in g.members]
    out["groups"] = {"size": len(groups), "items": []}
    out["applicationRoles"] = {"size": 1, "items": []}
    out["expand"] = "groups,applicationRoles"
    return out
