"""``jiraemu serve``: run the emulator from the command line."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from jiraemu.config import EmuConfig, FaultConfig, RateLimitConfig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jiraemu", description="A faithful local Jira for offline tests.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the emulator and print the credentials it accepts")
    serve.add_argument("--flavor", choices=["cloud", "datacenter"], default="cloud")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8089)
    serve.add_argument("--seed", type=int, default=7)
    serve.add_argument("--projects", type=int, default=3)
    serve.add_argument("--issues", type=int, default=500, help="issues in total, across projects")
    serve.add_argument("--users", type=int, default=25)
    serve.add_argument("--timezone", default="America/Los_Angeles", help="the admin's profile time zone")
    serve.add_argument("--site-timezone", default="Europe/Berlin", help="the zone of response timestamps")
    serve.add_argument("--index-lag-s", type=float, default=0.0, help="search index lags writes by this")
    serve.add_argument("--context-path", default="", help="DC context path, e.g. /jira")
    serve.add_argument("--tls", action="store_true", help="serve HTTPS with a self-signed certificate")
    serve.add_argument("--tls-dir", default=None, help="where the certificate is kept (default .jiraemu/)")
    serve.add_argument("--legacy-search", action="store_true", help="keep /rest/api/{2,3}/search on Cloud")
    serve.add_argument("--max-embedded-comments", type=int, default=20)
    serve.add_argument("--max-embedded-worklogs", type=int, default=20)
    serve.add_argument("--max-embedded-changelog", type=int, default=100)
    serve.add_argument("--rate-limit", action="store_true", help="per-second burst limits per endpoint/method")
    serve.add_argument("--per-issue-write-limit", action="store_true", help="20 writes/2 s, 100/30 s per issue")
    serve.add_argument("--oauth-points-per-hour", type=int, default=None, help="hourly points quota for OAuth apps")
    serve.add_argument("--dc-rate-limit", default=None, metavar="CAP,RATE", help="DC token bucket, e.g. 20,5")
    serve.add_argument("--no-retry-after", action="store_true", help="send some 429s without Retry-After")
    serve.add_argument("--latency-ms", type=float, default=0.0)
    serve.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 5xx")
    serve.add_argument("--throttle-rate", type=float, default=0.0, help="share of requests answered 429")
    serve.add_argument("--reset-rate", type=float, default=0.0, help="share of connections reset")
    serve.add_argument("--truncate-rate", type=float, default=0.0, help="share of bodies truncated")
    serve.add_argument("--dc-version", default="10.0.0", help="DC only: the version serverInfo reports (e.g. 7.12.3)")
    serve.add_argument("--audit-issue-deletes", action="store_true", help='emit "Issue deleted" audit records')
    return parser


def config_from_args(args: argparse.Namespace) -> EmuConfig:
    dc_bucket = None
    if args.dc_rate_limit:
        cap, _, rate = args.dc_rate_limit.partition(",")
        dc_bucket = (int(cap), float(rate or cap))
    return EmuConfig(
        flavor=args.flavor,
        host=args.host,
        port=args.port,
        seed=args.seed,
        projects=args.projects,
        issues=args.issues,
        users=args.users,
        timezone=args.timezone,
        site_timezone=args.site_timezone,
        index_lag_s=args.index_lag_s,
        context_path=args.context_path.rstrip("/"),
        tls=args.tls,
        tls_dir=args.tls_dir,
        legacy_search=args.legacy_search,
        max_embedded_comments=args.max_embedded_comments,
        max_embedded_worklogs=args.max_embedded_worklogs,
        max_embedded_changelog=args.max_embedded_changelog,
        audit_issue_deletes=args.audit_issue_deletes,
        dc_version=args.dc_version,
        ratelimit=RateLimitConfig(
            burst=args.rate_limit,
            per_issue_writes=args.per_issue_write_limit,
            oauth_points_per_hour=args.oauth_points_per_hour,
            dc_bucket=dc_bucket,
            omit_retry_after=args.no_retry_after,
        ),
        faults=FaultConfig(
            latency_ms=args.latency_ms,
            error_5xx_rate=args.error_rate,
            error_429_rate=args.throttle_rate,
            reset_rate=args.reset_rate,
            truncate_rate=args.truncate_rate,
        ),
    )


def banner(server: object) -> str:
    from jiraemu.server import EmulatorServer

    assert isinstance(server, EmulatorServer)
    cfg = server.config
    st = server.backend.state
    lines = [
        f"jiraemu {cfg.flavor} listening on {server.url}",
        f"  data: seed {cfg.seed}, {len(st.projects)} projects, {len(st.issues)} issues, {len(st.users)} users",
    ]
    if cfg.is_cloud:
        lines += [
            f"  login (Basic): {cfg.admin_email} / API token {cfg.admin_token} (profile time zone {cfg.timezone})",
            f"  OAuth 2.0 app: client id {cfg.oauth_client_id}, secret {cfg.oauth_client_secret}, "
            f"cloud id {st.site.cloud_id}",
        ]
    else:
        lines += [
            f"  login (Basic): {cfg.dc_admin_user} / {cfg.dc_admin_password}",
            f"  login (Bearer PAT): {cfg.dc_admin_pat}",
            f"  OAuth 1.0a consumer key: {cfg.oauth1_consumer_key}",
        ]
    lines.append(f"  every user's credentials: GET {server.url}/_emulator/users")
    if cfg.tls:
        from jiraemu.tls import tls_dir

        cert = tls_dir(cfg) / "cert.pem"
        lines.append(f"  TLS certificate (self-signed; trust it, e.g. curl --cacert / REQUESTS_CA_BUNDLE): {cert}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from jiraemu.server import EmulatorServer

        config = config_from_args(args)
        try:
            server = EmulatorServer(config, port=args.port)
        except OSError as exc:
            print(f"jiraemu: cannot listen on {args.host}:{args.port}: {exc.strerror}. "
                  "Pick another --port.", file=sys.stderr)
            return 2
        server.start()
        print(banner(server), flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
