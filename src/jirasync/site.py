"""Site URLs the way users paste them, made into the base URL every request is built on.

Accepted: surrounding whitespace and trailing slashes (removed); ``https://`` (plain ``http://``
only for loopback hosts, i.e. a local jiraemu); on Server/Data Center a context path such as
``/jira``. Rejected with the corrected URL in the message: a missing scheme, query strings and
fragments, UI paths pasted from the browser (``/browse/ABC-1``, ``/jira/software/...``), and — on
Cloud — any path at all.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from jirasync.exceptions import ConfigError

CLOUD_SUFFIXES = (".atlassian.net", ".jira.com", ".jira-dev.com")
# paths users copy from the browser; everything from the first of these on is not the base URL
UI_PATH = re.compile(
    r"/(browse|secure|projects|issues|plugins|servicedesk|jira/software|jira/core|jira/servicedesk|jira/your-work|jira/dashboards|jira/projects|jira/people|rest)(/|$)",
    re.IGNORECASE,
)
LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def looks_like_cloud(host: str) -> bool:
    return host.lower().endswith(CLOUD_SUFFIXES)


@dataclass(frozen=True)
class SiteUrl:
    base: str  # scheme://host[:port][/context], no trailing slash
    host: str
    context_path: str

    def __str__(self) -> str:
        return self.base


def normalize_site_url(raw: str, *, cloud: bool | None = None) -> SiteUrl:
    """Validate and normalize; ``cloud`` (when known, e.g. after serverInfo) forbids any path."""
    text = (raw or "").strip()
    if not text:
        raise ConfigError("url", "the site URL is empty", fix="give the URL you open Jira at, e.g. https://yourco.atlassian.net")
    if "://" not in text:
        guess = "https://" + text.rstrip("/")
        raise ConfigError("url", f"{text!r} has no scheme", fix=f"use {guess}")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not host:
        raise ConfigError("url", f"{text!r} has no host name", fix="use a URL like https://yourco.atlassian.net")
    if scheme not in ("http", "https"):
        raise ConfigError("url", f"unsupported scheme {scheme!r}", fix=f"use https://{host}")
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{host}{port}" if ":" not in host else f"[{host}]{port}"
    path = re.sub(r"/+", "/", parts.path).rstrip("/")
    ui = UI_PATH.search(path)
    context = path[: ui.start()] if ui else path
    is_cloud = looks_like_cloud(host) if cloud is None else cloud
    if is_cloud:
        context = ""
    corrected = f"{'https' if scheme == 'https' or not is_loopback(host) else scheme}://{netloc}{context}"
    if scheme == "http" and not is_loopback(host):
        raise ConfigError(
            "url", "plain http:// sends credentials unencrypted; Jira sites are served over https", fix=f"use {corrected}"
        )
    if parts.query or parts.fragment:
        raise ConfigError("url", "the site URL must not have a query or fragment", fix=f"use {corrected}")
    if ui or (is_cloud and path):
        what = "a Jira Cloud site URL has no path" if is_cloud else "that path is a page in Jira, not the site"
        raise ConfigError("url", f"{what} ({path})", fix=f"use {corrected}")
    return SiteUrl(f"{scheme}://{netloc}{context}", host, context)
