"""Emulator settings: one dataclass, filled from CLI flags, tests or the control plane."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Flavor = Literal["cloud", "datacenter"]


@dataclass
class RateLimitConfig:
    """Opt-in rate limits (all off by default)."""

    burst: bool = False
    burst_rps: dict[str, int] = field(
        default_factory=lambda: {"GET": 100, "POST": 100, "PUT": 50, "DELETE": 50}
    )
    per_issue_writes: bool = False
    oauth_points_per_hour: int | None = None  # hourly points quota for OAuth 2.0 traffic
    dc_bucket: tuple[int, float] | None = None  # (capacity, refill tokens per second) on DC
    omit_retry_after: bool = False  # some 429s arrive without Retry-After
    quota_tier: str = "global"  # global (Tier 1, jira-quota-global-based) | tenant (Tier 2)


@dataclass
class FaultConfig:
    """Fault injection (all off by default); settable at start or via POST /_emulator/faults."""

    latency_ms: float = 0.0  # mean added latency
    latency_jitter_ms: float = 0.0  # uniform +/- jitter
    error_5xx_rate: float = 0.0
    error_429_rate: float = 0.0
    reset_rate: float = 0.0  # connection resets (the server drops the connection)
    truncate_rate: float = 0.0  # truncated response bodies
    paths: list[str] = field(default_factory=list)  # substrings; empty = every Jira path
    truncate_mode: str = "mixed"  # short (Content-Length promises more) | cut (valid framing, cut JSON) | mixed


@dataclass
class EmuConfig:
    flavor: Flavor = "cloud"
    seed: int = 7
    projects: int = 3
    issues: int = 500  # total across projects
    users: int = 25
    timezone: str = "America/Los_Angeles"  # the admin's profile time zone
    site_timezone: str = "Europe/Berlin"  # zone of response timestamps (the instance default)
    host: str = "127.0.0.1"
    port: int = 8089
    tls: bool = False
    tls_dir: str | None = None  # where the self-signed certificate is kept
    context_path: str = ""  # DC only, e.g. "/jira"
    base_url: str | None = None  # derived from host/port/tls when None
    index_lag_s: float = 0.0  # search index lags writes by this much
    legacy_search: bool = False  # keep /rest/api/{2,3}/search alive on Cloud
    max_embedded_comments: int = 20  # comments embedded in issue fields
    max_embedded_worklogs: int = 20
    max_embedded_changelog: int = 100  # expand=changelog, newest first
    search_token_ttl_s: int = 7 * 24 * 3600
    dc_search_cap: int = 1000  # jira.search.views.default.max
    comment_limit_per_issue: int = 5000  # 413 past this
    audit_issue_deletes: bool = False  # emit "Issue deleted" audit records
    webhook_retry_delays_s: list[float] = field(default_factory=lambda: [1.0, 2.0, 4.0, 8.0, 16.0])
    webhook_timeout_s: float = 5.0
    # GET /webhook/failed is for Connect apps only (403 for OAuth 2.0 apps); True lets OAuth 2.0 apps read it
    webhook_failed_for_oauth_apps: bool = False
    ratelimit: RateLimitConfig = field(default_factory=RateLimitConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)
    admin_email: str = "admin@example.com"
    admin_token: str = "emulator-token"
    dc_admin_user: str = "admin"
    dc_admin_password: str = "admin"
    dc_admin_pat: str = "emulator-pat"
    oauth_client_id: str = "emulator-client-id"
    oauth_client_secret: str = "emulator-client-secret"
    oauth1_consumer_key: str = "emulator-consumer"
    # more sites for /oauth/token/accessible-resources ({"id", "name", "url"}); the gateway serves
    # only this emulator's own cloudId, so a client must pick the right one
    oauth_extra_sites: list[dict[str, str]] = field(default_factory=list)
    request_log_size: int = 5000
    dc_version: str = "10.0.0"  # what DC's serverInfo reports (an old "7.12.3" reads as Server)

    @property
    def is_cloud(self) -> bool:
        return self.flavor == "cloud"

    def resolved_base_url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}{self.context_path}"
