"""The ``jirasync`` command: the library with flags.

Each command opens the same objects a Python user would (``Connections.open()``) and calls one
method. Library errors become one clear line (``error: … — fix``) and a non-zero exit here, and
nowhere else. Secrets are never accepted as plain arguments: they come from an environment
variable (``--secret-env``), stdin (``--secret-stdin``) or a hidden prompt.

Start-up is kept short: at import time this module (and the ``cli_*`` modules that register the
other commands) loads only Typer, Rich and small jirasync modules; the store, the HTTP client, the
sync and push engines are imported inside the command that uses them, so ``jirasync --help`` never
loads SQLAlchemy and ``jirasync sync`` never loads the push engine.
"""

from __future__ import annotations

import gc
import inspect
import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from jirasync.auth import AuthMethod
from jirasync.auth.defaults import DEFAULT_API_BASE, DEFAULT_AUTH_BASE, DEFAULT_SCOPES
from jirasync.exceptions import ConfigError, JirasyncError

if TYPE_CHECKING:
    from jirasync.check import CheckReport, Features
    from jirasync.client import ClientOptions
    from jirasync.connections import Connection, Connections, Credentials
    from jirasync.vault import Secret

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Connect your systems to Jira: connections, sync, push.")
connections_app = typer.Typer(no_args_is_help=True, help="List, show, test, rotate and remove connections.")
app.add_typer(connections_app, name="connections")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class State:
    home: str | None = None
    db: str | None = None
    ca_bundle: str | None = None
    context: typer.Context | None = None  # the command's; what it opened is closed with it


state = State()


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[str | None, typer.Option(help="Data directory (default: $JIRASYNC_HOME or the platform's user data dir).")] = None,
    db: Annotated[str | None, typer.Option(help="Store URL, e.g. postgresql://user@host/db (default: $JIRASYNC_DB or SQLite in the data dir).")] = None,
    ca_bundle: Annotated[str | None, typer.Option(help="CA bundle (PEM) to trust for the Jira site's certificate.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every API call (secrets redacted).")] = False,
) -> None:
    state.home, state.db, state.ca_bundle, state.context = home, db, ca_bundle, ctx
    if verbose:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(message)s")
        for noisy in ("httpx", "httpcore"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def fail(exc: JirasyncError) -> NoReturn:
    err.print(f"[red]error:[/red] {exc}", markup=True)
    raise typer.Exit(2)


def run(coro_or_fn: Callable[[], Any]) -> Any:
    """Run a library call; turn jirasync errors into one line on stderr and exit code 2."""
    try:
        result = coro_or_fn()
        if inspect.iscoroutine(result):
            import asyncio

            return asyncio.run(result)
        return result
    except JirasyncError as exc:
        fail(exc)
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None


def open_connections() -> Connections:
    from jirasync.connections import Connections

    conns: Connections = run(lambda: Connections.open(state.home, state.db))
    if state.context is not None:  # the store's connections closed when the command ends
        state.context.call_on_close(conns.store.close)
    return conns


def client_options() -> ClientOptions:
    from jirasync.client import ClientOptions

    return ClientOptions(max_retries=2, verify=state.ca_bundle or True)


def read_secret(label: str, env: str, from_stdin: bool) -> Secret:
    from jirasync.vault import Secret

    if from_stdin:
        value = sys.stdin.readline().strip()
        if not value:
            raise ConfigError("--secret-stdin", f"no {label} on stdin", fix=f"pipe the {label}: `printenv VAR | jirasync ...`")
        return Secret(value)
    value = os.environ.get(env, "").strip()
    if value:
        return Secret(value)
    if sys.stdin.isatty():
        return Secret(typer.prompt(label, hide_input=True).strip())
    raise ConfigError("--secret-env", f"the environment variable {env} is empty or unset",
                      fix=f"export {env}=... (or pass --secret-env NAME, or --secret-stdin)")


def print_report(report: CheckReport, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
        return
    marks = {True: "[green]✓[/green]", False: "[red]✗[/red]", None: "[yellow]![/yellow]"}
    for item in report.items:
        out.print(f"{marks[item.ok]} {item.name}: {item.detail}")
        if item.fix and item.ok is not True:
            out.print(f"    [bold]fix:[/bold] {item.fix}")
    verdict = "[green]ready[/green]" if report.ok else ("[yellow]connected, with problems[/yellow]" if report.connected else "[red]not connected[/red]")
    out.print(f"{verdict} — {report.requests} request(s)")


def connection_dict(conn: Connection) -> dict[str, Any]:
    days = conn.days_to_expiry()
    return {
        "name": conn.name,
        "url": conn.url,
        "deployment": conn.deployment,
        "version": conn.server_version,
        "auth": conn.auth_method.value,
        "login": conn.login,
        "account_id": conn.account_id,
        "user": conn.display_name,
        "time_zone": conn.time_zone,
        "email_visible": conn.email_visible,
        "cloud_id": conn.cloud_id,
        "token_expires_on": conn.token_expires_on.isoformat() if conn.token_expires_on else None,
        "days_to_expiry": days,
        "created_at": conn.created_at.isoformat() if conn.created_at else None,
        "updated_at": conn.updated_at.isoformat() if conn.updated_at else None,
    }


def expiry_warning(conn: Connection) -> None:
    days = conn.days_to_expiry()
    if days is not None and days <= 14:
        when = "expired" if days < 0 else f"expires in {days} day(s)"
        err.print(f"[yellow]warning:[/yellow] the token of {conn.name} {when} ({conn.token_expires_on}): `jirasync connections rotate {conn.name}`")


# -- options shared by connect and rotate --------------------------------------------------------------
SecretEnv = Annotated[str, typer.Option("--secret-env", help="Environment variable holding the token, PAT, password or OAuth client secret.")]
SecretStdin = Annotated[bool, typer.Option("--secret-stdin", help="Read the secret from the first line of stdin.")]
Expires = Annotated[str | None, typer.Option("--token-expires", help="The token's expiry date (YYYY-MM-DD): warns 14 days before.")]
FeatureOpt = Annotated[list[str] | None, typer.Option("--feature", help="Check the permissions of a feature: sync, push, delete, users, webhooks, audit (repeatable).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def parse_expiry(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError("--token-expires", f"{text!r} is not a date", fix="use YYYY-MM-DD, e.g. 2027-01-31") from None


def features_from(names: list[str] | None) -> Features:
    from jirasync.check import Features

    return Features.parse(names) if names else Features()


def gather_credentials(
    method: AuthMethod,
    url: str,
    *,
    email: str | None,
    username: str | None,
    secret_env: str,
    secret_stdin: bool,
    client_id: str | None,
    auth_base: str,
    api_base: str,
    redirect_uri: str,
    scopes: list[str] | None,
    consumer_key: str | None,
    private_key: Path | None,
    open_browser: bool,
) -> Credentials:
    from jirasync.auth.oauth1 import OAuth1Consumer
    from jirasync.auth.oauth2 import OAuth2App
    from jirasync.connections import Credentials
    from jirasync.oauth_flow import authorize_oauth1, authorize_oauth2
    from jirasync.site import normalize_site_url
    from jirasync.vault import Secret

    def announce(link: str) -> None:
        err.print(f"Open this URL to authorize jirasync (waiting for the redirect):\n{link}", markup=False)
        err.file.flush()

    if method is AuthMethod.API_TOKEN:
        if not email:
            email = typer.prompt("Atlassian account email") if sys.stdin.isatty() else None
        if not email:
            raise ConfigError("--email", "an API token is used with the account's email", fix="pass --email you@example.com")
        return Credentials.api_token(email, read_secret("API token", secret_env, secret_stdin))
    if method is AuthMethod.PAT:
        return Credentials.pat(read_secret("personal access token", secret_env, secret_stdin))
    if method is AuthMethod.BASIC:
        if not username:
            raise ConfigError("--username", "username + password needs the username", fix="pass --username NAME")
        err.print("[yellow]warning:[/yellow] username + password is the least secure method; prefer a personal access token (--auth pat)")
        return Credentials.basic(username, read_secret("password", secret_env, secret_stdin))
    if method is AuthMethod.OAUTH2:
        if not client_id:
            raise ConfigError("--client-id", "OAuth 2.0 needs the app's client id", fix="create an OAuth 2.0 (3LO) app at developer.atlassian.com and pass --client-id")
        app_ = OAuth2App(client_id, read_secret("OAuth client secret", secret_env, secret_stdin), redirect_uri,
                         tuple(scopes) if scopes else DEFAULT_SCOPES, auth_base, api_base)
        tokens = run(lambda: authorize_oauth2(app_, announce=announce, open_browser=open_browser, verify=state.ca_bundle or True))
        return Credentials(AuthMethod.OAUTH2, None, None, app_, tokens)
    if not consumer_key or private_key is None:
        raise ConfigError("--consumer-key/--private-key", "OAuth 1.0a needs the application link's consumer key and your private key file",
                          fix="see docs/connecting.md, OAuth 1.0a")
    try:
        pem = Secret(private_key.read_text())
    except OSError as exc:
        raise ConfigError("--private-key", f"cannot read {private_key}: {exc.strerror}", fix="pass the PEM file of the RSA private key") from None
    consumer = OAuth1Consumer(consumer_key, pem)
    base = normalize_site_url(url).base
    token, token_secret = run(lambda: authorize_oauth1(base, consumer, redirect_uri, announce=announce, open_browser=open_browser,
                                                       verify=state.ca_bundle or True))
    return Credentials(AuthMethod.OAUTH1, None, None, oauth1_consumer=consumer, oauth1_token=token, oauth1_token_secret=token_secret)


@app.command()
def connect(
    name: Annotated[str, typer.Argument(help="A name for the connection, e.g. acme.")],
    url: Annotated[str | None, typer.Option(help="The Jira site URL, e.g. https://acme.atlassian.net or https://jira.acme.com/jira.")] = None,
    auth: Annotated[AuthMethod | None, typer.Option(help="How to log in.")] = None,
    email: Annotated[str | None, typer.Option(help="Atlassian account email (api-token).")] = None,
    username: Annotated[str | None, typer.Option(help="Jira username (basic).")] = None,
    secret_env: SecretEnv = "JIRA_API_TOKEN",
    secret_stdin: SecretStdin = False,
    token_expires: Expires = None,
    feature: FeatureOpt = None,
    client_id: Annotated[str | None, typer.Option(help="OAuth 2.0 app client id (oauth2).")] = None,
    auth_base: Annotated[str, typer.Option(help="OAuth 2.0 authorization server (oauth2).")] = DEFAULT_AUTH_BASE,
    api_base: Annotated[str, typer.Option(help="OAuth 2.0 API gateway (oauth2).")] = DEFAULT_API_BASE,
    redirect_uri: Annotated[str, typer.Option(help="Local callback URL registered with the app (oauth2, oauth1).")] = "http://127.0.0.1:8765/callback",
    scope: Annotated[list[str] | None, typer.Option(help="OAuth 2.0 scope (repeatable; default: read/write jira-work, read:jira-user, manage:jira-webhook, offline_access).")] = None,
    consumer_key: Annotated[str | None, typer.Option(help="Application link consumer key (oauth1).")] = None,
    private_key: Annotated[Path | None, typer.Option(help="RSA private key PEM file (oauth1).")] = None,
    browser: Annotated[bool, typer.Option(help="Open the authorization URL in a browser (oauth2, oauth1).")] = True,
    replace: Annotated[bool, typer.Option("--replace", help="Replace an existing connection of that name.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Verify a Jira site and credentials, then store the connection (secrets encrypted)."""
    if url is None:
        if not sys.stdin.isatty():
            fail(ConfigError("--url", "the site URL is required", fix="pass --url https://yourco.atlassian.net"))
        url = typer.prompt("Jira site URL")
    if auth is None:
        if not sys.stdin.isatty():
            fail(ConfigError("--auth", "the auth method is required", fix="pass --auth api-token|pat|basic|oauth2|oauth1"))
        auth = AuthMethod(typer.prompt("Auth method (api-token, pat, basic, oauth2, oauth1)", default="api-token"))
    from jirasync.site import normalize_site_url

    conns = open_connections()
    run(lambda: normalize_site_url(url or ""))
    expires = run(lambda: parse_expiry(token_expires))
    features = run(lambda: features_from(feature))
    creds = run(lambda: gather_credentials(
        auth, url or "", email=email, username=username, secret_env=secret_env, secret_stdin=secret_stdin,
        client_id=client_id, auth_base=auth_base, api_base=api_base, redirect_uri=redirect_uri, scopes=scope,
        consumer_key=consumer_key, private_key=private_key, open_browser=browser,
    ))
    conn, report = run(lambda: conns.add(name, url or "", creds, token_expires_on=expires, features=features,
                                         replace_existing=replace, options=client_options()))
    print_report(report, as_json)
    if conn is None:
        if not as_json:
            err.print("nothing was stored")
        raise typer.Exit(1)
    if not as_json:
        out.print(f"saved connection [bold]{name}[/bold] ({conn.deployment}, {conn.auth_method.value})")
    if not report.ok:
        raise typer.Exit(1)


@connections_app.command("list")
def list_connections(as_json: JsonOpt = False) -> None:
    """List connections."""
    conns = open_connections()
    rows = run(conns.list)
    if as_json:
        out.print_json(json.dumps([connection_dict(c) for c in rows]))
        return
    if not rows:
        out.print("no connections yet: `jirasync connect NAME --url URL --auth api-token --email EMAIL`")
    for c in rows:
        out.print(f"{c.name}\t{c.url}\t{c.deployment}\t{c.auth_method.value}\t{c.display_name or '-'}")
        expiry_warning(c)


@connections_app.command()
def show(name: str, as_json: JsonOpt = False) -> None:
    """Show one connection (never its secrets)."""
    conns = open_connections()
    conn = run(lambda: conns.get(name))
    data = connection_dict(conn)
    if as_json:
        out.print_json(json.dumps(data))
    else:
        for key, value in data.items():
            out.print(f"{key}: {value if value is not None else '-'}")
    expiry_warning(conn)


@connections_app.command()
def test(name: str, feature: FeatureOpt = None, as_json: JsonOpt = False) -> None:
    """Check the connection and the permissions each feature needs; prints a fix per failure."""
    conns = open_connections()
    report = run(lambda: conns.test(name, features_from(feature), options=client_options()))
    print_report(report, as_json)
    if not report.ok:
        raise typer.Exit(1)


@connections_app.command()
def rotate(
    name: str,
    secret_env: SecretEnv = "JIRA_API_TOKEN",
    secret_stdin: SecretStdin = False,
    token_expires: Expires = None,
    email: Annotated[str | None, typer.Option(help="A new email (api-token), if it changed.")] = None,
    redirect_uri: Annotated[str, typer.Option(help="Local callback URL (oauth2, oauth1).")] = "http://127.0.0.1:8765/callback",
    browser: Annotated[bool, typer.Option(help="Open the authorization URL in a browser (oauth2, oauth1).")] = True,
    private_key: Annotated[Path | None, typer.Option(help="RSA private key PEM file (oauth1).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Replace a connection's secret (or re-authorize OAuth) and verify it; the old one stays if it fails."""
    conns = open_connections()
    conn = run(lambda: conns.get(name))
    old = run(lambda: conns.credentials(name))
    expires = run(lambda: parse_expiry(token_expires))
    app_ = old.oauth2_app
    consumer = old.oauth1_consumer
    creds = run(lambda: gather_credentials(
        conn.auth_method, conn.url, email=email or conn.login, username=conn.login, secret_env=secret_env,
        secret_stdin=secret_stdin, client_id=app_.client_id if app_ else None,
        auth_base=app_.auth_base if app_ else DEFAULT_AUTH_BASE, api_base=app_.api_base if app_ else DEFAULT_API_BASE,
        redirect_uri=redirect_uri, scopes=list(app_.scopes) if app_ else None,
        consumer_key=consumer.consumer_key if consumer else None,
        private_key=private_key, open_browser=browser,
    )) if conn.auth_method not in (AuthMethod.OAUTH1,) or private_key else old
    report = run(lambda: conns.rotate(name, creds, token_expires_on=expires, options=client_options()))
    print_report(report, as_json)
    if not report.ok:
        if not as_json:
            err.print("the previous secret was kept")
        raise typer.Exit(1)


@connections_app.command()
def configure(
    name: str,
    project: Annotated[list[str] | None, typer.Option("--project", help="Sync only these project keys (repeatable); without any, every visible project, new ones included.")] = None,
    exclude_project: Annotated[list[str] | None, typer.Option("--exclude-project", help="Never sync these project keys (repeatable).")] = None,
    pause: Annotated[list[str] | None, typer.Option("--pause", help="Pause these projects (repeatable); --resume-all clears.")] = None,
    resume_all: Annotated[bool, typer.Option("--resume-all", help="Un-pause every project.")] = False,
    created_after: Annotated[str | None, typer.Option("--created-after", help="Only issues created on/after YYYY-MM-DD (user's zone).")] = None,
    created_before: Annotated[str | None, typer.Option("--created-before", help="Only issues created before YYYY-MM-DD.")] = None,
    updated_after: Annotated[str | None, typer.Option("--updated-after", help="Only issues updated on/after YYYY-MM-DD.")] = None,
    updated_before: Annotated[str | None, typer.Option("--updated-before", help="Only issues updated before YYYY-MM-DD.")] = None,
    jql: Annotated[str | None, typer.Option("--jql", help="An extra JQL clause ANDed to every search.")] = None,
    interval: Annotated[float | None, typer.Option("--interval", help="Minutes between the daemon's runs of this connection.")] = None,
    reference_refresh_hours: Annotated[float | None, typer.Option(
        "--reference-refresh-hours",
        help="Re-read groups, roles, permission schemes and security levels at least this often, even when "
             "the audit log shows no change (default 24; 0 = every run).")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Drop every filter first.")] = False,
    attachment_content: Annotated[bool | None, typer.Option("--attachment-content/--no-attachment-content", help="Download attachment content into the blob folder.")] = None,
    attachment_max_mb: Annotated[float | None, typer.Option("--attachment-max-mb", help="Largest attachment to download, in MB (default 10).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set what `jirasync sync` copies (filters) and how often the daemon runs it; a filter change makes the next sync full."""
    conns = open_connections()
    filters: dict[str, Any] = {}
    for key, value in (("projects", project), ("exclude_projects", exclude_project), ("paused", pause),
                       ("created_after", created_after), ("created_before", created_before),
                       ("updated_after", updated_after), ("updated_before", updated_before), ("jql", jql)):
        if value:
            filters[key] = value
    if resume_all:
        filters["paused"] = None
    max_bytes = int(attachment_max_mb * 1024 * 1024) if attachment_max_mb is not None else None
    conn = run(lambda: conns.configure(name, filters=filters, interval_minutes=interval, reset_filters=reset,
                                       attachment_content=attachment_content, attachment_max_bytes=max_bytes,
                                       reference_refresh_hours=reference_refresh_hours))
    options = {"filters": conn.options.get("filters", {}), "interval_minutes": conn.options.get("interval_minutes")}
    if conn.options.get("reference_refresh_hours") is not None:
        options["reference_refresh_hours"] = conn.options["reference_refresh_hours"]
    if conn.options.get("attachments"):
        options["attachments"] = conn.options["attachments"]
    if as_json:
        out.print_json(json.dumps(options))
    else:
        out.print(f"{name}: {json.dumps(options)}")


@connections_app.command()
def remove(name: str, yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False) -> None:
    """Remove a connection and its stored secrets."""
    conns = open_connections()
    run(lambda: conns.get(name))
    if not yes and sys.stdin.isatty() and not typer.confirm(f"Remove connection {name}?"):
        raise typer.Exit(1)
    run(lambda: conns.remove(name))
    out.print(f"removed {name}")


# the commands below live in their own modules and register themselves on ``app``
from jirasync import cli_daemon, cli_sync  # noqa: E402,F401


def main() -> None:
    try:
        app()
    finally:
        # Shutdown clears every module and runs full collections over what they held: ~100,000
        # tracked objects (SQLAlchemy, Rich, ...), ~0.4 s after a sync on the 2-core benchmark
        # machine. Nothing needs the cyclic collector at exit (the store is closed with the command's
        # context, see ``open_connections``; the OS frees the rest), so leave those objects out of it.
        gc.freeze()


if __name__ == "__main__":  # `python -m jirasync.cli`: run the imported module, where the commands registered
    from jirasync.cli import main as _main

    _main()
from jirasync import cli_push, cli_search  # noqa: E402,F401
