"""Connections end to end: every auth method against jiraemu over real HTTP, the check's verdicts,
URL forms, encrypted storage, and OAuth 2.0 rotation under concurrency."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from jiraemu import EmulatorServer
from jiraemu.auth.oauth1 import TEST_PRIVATE_KEY_PATH
from jiraemu.server import free_port
from jirasync.auth import AuthMethod
from jirasync.auth.oauth1 import OAuth1Consumer
from jirasync.auth.oauth2 import OAuth2App, OAuth2Auth
from jirasync.check import Features
from jirasync.connections import Connections, Credentials, StoredTokens
from jirasync.exceptions import ConfigError, ReauthorizeRequired, SecretError
from jirasync.oauth_flow import authorize_oauth1, authorize_oauth2
from jirasync.vault import Secret, Vault, load_key

ADMIN_TOKEN = Secret("emulator-token")


@pytest.fixture
def conns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Connections]:
    monkeypatch.delenv("JIRASYNC_SECRET_KEY", raising=False)
    c = Connections.open(home=str(tmp_path / "home"))
    yield c
    c.store.close()


def browser(url: str) -> None:
    """What the user's browser does: open the consent URL and follow the redirect to our callback."""
    threading.Thread(target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True).start()


def oauth_app(emu: EmulatorServer) -> OAuth2App:
    base = emu.backend.gateway_base
    return OAuth2App(
        "emulator-client-id",
        Secret("emulator-client-secret"),
        redirect_uri=f"http://127.0.0.1:{free_port()}/callback",
        auth_base=base,
        api_base=base,
    )


def oauth_connect(emu: EmulatorServer, conns: Connections, name: str = "o") -> None:
    app = oauth_app(emu)
    tokens = asyncio.run(authorize_oauth2(app, announce=browser, open_browser=False, timeout_s=20))
    conn, report = asyncio.run(conns.add(name, emu.url, Credentials(AuthMethod.OAUTH2, oauth2_app=app, oauth2_tokens=tokens)))
    assert conn is not None, [(i.name, i.detail) for i in report.items]


def test_api_token_connection_is_verified_and_stored_encrypted(cloud: EmulatorServer, conns: Connections) -> None:
    conn, report = asyncio.run(conns.add("acme", cloud.url + "/", Credentials.api_token("admin@example.com", ADMIN_TOKEN)))
    assert report.ok and conn is not None
    assert conn.deployment == "Cloud" and conn.time_zone == "America/Los_Angeles" and conn.account_id
    raw = sqlite3.connect(conns.store.engine.url.database).execute("select secrets from connections").fetchone()[0]
    assert "emulator-token" not in raw and raw.startswith("v1:")
    assert conns.credentials("acme").secret == ADMIN_TOKEN
    assert "emulator-token" not in repr(conns.credentials("acme")) + repr(conn)


def test_wrong_token_costs_exactly_one_authenticated_request_and_stores_nothing(
    cloud: EmulatorServer, conns: Connections
) -> None:
    before = cloud.backend.stats.total
    conn, report = asyncio.run(conns.add("acme", cloud.url, Credentials.api_token("admin@example.com", Secret("wrong"))))
    assert conn is None and not report.connected
    failed = next(i for i in report.items if i.name == "credentials")
    assert failed.ok is False and "API token" in (failed.fix or "")
    assert cloud.backend.stats.total - before == 2  # anonymous serverInfo + one /myself
    assert sum(1 for e in cloud.backend.stats.log if e.status == 401) == 1
    assert conns.list() == []


def test_dc_pat_and_basic_with_a_warning(dc: EmulatorServer, conns: Connections) -> None:
    conn, report = asyncio.run(conns.add("dc-pat", dc.url, Credentials.pat(Secret("emulator-pat"))))
    assert report.ok and conn is not None and conn.deployment == "DataCenter" and conn.account_id
    conn, report = asyncio.run(conns.add("dc-basic", dc.url, Credentials.basic("admin", Secret("admin"))))
    assert conn is not None
    warning = next(i for i in report.items if i.name == "auth method")
    assert warning.ok is None and "least secure" in warning.detail


def test_auth_method_must_suit_the_deployment(cloud: EmulatorServer, dc: EmulatorServer, conns: Connections) -> None:
    _, report = asyncio.run(conns.add("x", cloud.url, Credentials.pat(Secret("emulator-token"))))
    assert not report.connected and "api-token" in (report.items[-1].fix or "")
    _, report = asyncio.run(conns.add("y", dc.url, Credentials.api_token("admin@example.com", Secret("admin"))))
    assert not report.connected and "pat" in (report.items[-1].fix or "")


def test_missing_permissions_are_named_with_the_fix(emulator: Callable[..., EmulatorServer], conns: Connections) -> None:
    emu = emulator()
    users = emu.backend.state.users.values()
    outsider = next(
        (u for u in users if u.active and u.email != "admin@example.com" and not emu.backend.perms.is_admin(u)), None
    )
    assert outsider is not None
    conn, report = asyncio.run(
        conns.add("u", emu.url, Credentials.api_token(outsider.email, Secret(outsider.api_token)),
                  features=Features(push=True, delete=True, webhooks=True))
    )
    assert conn is not None  # connected, with problems
    failed = {i.name for i in report.items if i.ok is False}
    assert "permission: Administer Jira" in failed
    item = next(i for i in report.items if i.name == "permission: Administer Jira")
    assert "global permissions" in (item.fix or "")


def test_hidden_email_and_token_expiry_are_reported(emulator: Callable[..., EmulatorServer], conns: Connections) -> None:
    emu = emulator()
    admin = next(u for u in emu.backend.state.users.values() if u.email == "admin@example.com")
    admin.email_visible = False
    soon = date.today() + timedelta(days=5)
    _, report = asyncio.run(conns.add("a", emu.url, Credentials.api_token("admin@example.com", ADMIN_TOKEN), token_expires_on=soon))
    items = {i.name: i for i in report.items}
    assert items["token expiry"].ok is None and "5 day" in items["token expiry"].detail
    # Jira shows a user their own email; a hidden one still shows to others only if visible
    assert items["email visible"].ok in (True, None)


@pytest.mark.parametrize(
    ("raw", "cloud", "fixed"),
    [
        ("  https://acme.atlassian.net/  ", None, "https://acme.atlassian.net"),
        ("https://jira.acme.com/jira/", None, "https://jira.acme.com/jira"),
        ("http://127.0.0.1:8089", None, "http://127.0.0.1:8089"),
        ("https://ACME.atlassian.net", None, "https://acme.atlassian.net"),
    ],
)
def test_site_urls_accepted_the_way_users_paste_them(raw: str, cloud: bool | None, fixed: str) -> None:
    from jirasync.site import normalize_site_url

    assert normalize_site_url(raw, cloud=cloud).base == fixed


@pytest.mark.parametrize(
    ("raw", "corrected"),
    [
        ("https://acme.atlassian.net/browse/ABC-1", "https://acme.atlassian.net"),
        ("https://acme.atlassian.net/jira", "https://acme.atlassian.net"),
        ("https://acme.atlassian.net/jira/software/projects/ABC/boards/1", "https://acme.atlassian.net"),
        ("acme.atlassian.net", "https://acme.atlassian.net"),
        ("http://jira.acme.com/jira", "https://jira.acme.com/jira"),
        ("https://jira.acme.com/jira/browse/ABC-1?x=1", "https://jira.acme.com/jira"),
        ("https://acme.atlassian.net/?foo", "https://acme.atlassian.net"),
    ],
)
def test_bad_site_urls_are_refused_with_the_corrected_url(raw: str, corrected: str) -> None:
    from jirasync.site import normalize_site_url

    with pytest.raises(ConfigError) as info:
        normalize_site_url(raw)
    assert info.value.field == "url" and info.value.fix == f"use {corrected}"


def test_cloud_site_with_a_path_is_refused_after_server_info(cloud: EmulatorServer, conns: Connections) -> None:
    conn, report = asyncio.run(conns.add("p", cloud.url + "/jira", Credentials.api_token("admin@example.com", ADMIN_TOKEN)))
    assert conn is None
    assert any(i.name == "site URL" and i.fix == f"use {cloud.url}" for i in report.items)


def test_not_a_jira_and_unreachable(conns: Connections, tmp_path: Path) -> None:
    port = free_port()
    _, report = asyncio.run(conns.add("n", f"http://127.0.0.1:{port}", Credentials.pat(Secret("x"))))
    assert report.items[0].name == "reachable" and report.items[0].ok is False


def test_oauth2_connect_routes_through_the_gateway_and_persists_rotation(cloud: EmulatorServer, conns: Connections) -> None:
    oauth_connect(cloud, conns)
    conn = conns.get("o")
    assert conn.cloud_id == cloud.backend.state.site.cloud_id
    first = conns.credentials("o").oauth2_tokens
    assert first is not None
    cloud.backend.clock.advance(3700)  # the access token expired

    async def call() -> str:
        async with conns.client("o") as jira:
            assert "/ex/jira/" in jira.base_url
            return str((await jira.get("/rest/api/3/myself"))["accountId"])

    assert asyncio.run(call())
    second = conns.credentials("o").oauth2_tokens
    assert second is not None and second.refresh_token != first.refresh_token  # rotated and saved


def test_concurrent_requests_refresh_once(cloud: EmulatorServer, conns: Connections) -> None:
    oauth_connect(cloud, conns)
    cloud.backend.clock.advance(3700)

    async def many() -> int:
        auth, base = conns.auth("o")
        assert isinstance(auth, OAuth2Auth)
        async with httpx.AsyncClient(base_url=base, auth=auth) as http:
            replies = await asyncio.gather(*(http.get("/rest/api/3/myself") for _ in range(20)))
        assert {r.status_code for r in replies} == {200}
        return auth.refreshes

    assert asyncio.run(many()) == 1
    assert cloud.backend.stats.by_route.get("POST /oauth/token", 0) == 2  # the code exchange + one refresh


def test_revoked_grant_asks_to_reauthorize(cloud: EmulatorServer, conns: Connections) -> None:
    oauth_connect(cloud, conns)
    creds = conns.credentials("o")
    assert creds.oauth2_tokens is not None and creds.oauth2_app is not None
    stale = creds.oauth2_tokens
    cloud.backend.clock.advance(3700)
    asyncio.run(conns.test("o"))  # refreshes and rotates
    cloud.backend.clock.advance(3700 + 11 * 60)  # later than the reuse leeway

    async def reuse() -> None:
        store = StoredTokens(conns, "o")
        await store.save(stale)  # e.g. a backup restored: the retired refresh token
        auth = OAuth2Auth(creds.oauth2_app, store)  # type: ignore[arg-type]
        async with httpx.AsyncClient(base_url=creds.oauth2_app.gateway_url(str(creds.cloud_id)), auth=auth) as http:  # type: ignore[union-attr]
            await http.get("/rest/api/3/myself")

    with pytest.raises(ReauthorizeRequired) as info:
        asyncio.run(reuse())
    assert "rotate" in (info.value.fix or "")


def test_grant_covering_several_sites_needs_the_url(emulator: Callable[..., EmulatorServer], conns: Connections) -> None:
    emu = emulator(oauth_extra_sites=[{"id": "99999999-0000-4000-8000-000000000000", "name": "other", "url": "https://other.atlassian.net"}])
    app = oauth_app(emu)
    tokens = asyncio.run(authorize_oauth2(app, announce=browser, open_browser=False, timeout_s=20))
    creds = Credentials(AuthMethod.OAUTH2, oauth2_app=app, oauth2_tokens=tokens)
    conn, _report = asyncio.run(conns.add("m", emu.url, creds))
    assert conn is not None and conn.cloud_id == emu.backend.state.site.cloud_id
    _, wrong = asyncio.run(conns.add("w", "https://third.atlassian.net", creds))
    assert not wrong.connected


def test_oauth1_application_link(dc: EmulatorServer, conns: Connections) -> None:
    consumer = OAuth1Consumer("emulator-consumer", Secret(TEST_PRIVATE_KEY_PATH.read_text()))
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    token, secret = asyncio.run(authorize_oauth1(dc.url, consumer, redirect, announce=browser, open_browser=False, timeout_s=20))
    creds = Credentials(AuthMethod.OAUTH1, oauth1_consumer=consumer, oauth1_token=token, oauth1_token_secret=secret)
    conn, report = asyncio.run(conns.add("link", dc.url, creds))
    assert report.ok and conn is not None and conn.auth_method is AuthMethod.OAUTH1


def test_rotate_keeps_the_old_secret_when_the_new_one_fails(cloud: EmulatorServer, conns: Connections) -> None:
    asyncio.run(conns.add("acme", cloud.url, Credentials.api_token("admin@example.com", ADMIN_TOKEN)))
    report = asyncio.run(conns.rotate("acme", Credentials.api_token("admin@example.com", Secret("bad"))))
    assert not report.connected
    assert conns.credentials("acme").secret == ADMIN_TOKEN


def test_key_from_environment_and_wrong_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "k" / "secret.key"
    key = load_key(key_file)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert load_key(key_file) == key
    sealed = Vault(key).encrypt("s3cr3t", "connection:a")
    with pytest.raises(SecretError):
        Vault(load_key(tmp_path / "other.key")).decrypt(sealed, "connection:a")
    with pytest.raises(SecretError):  # bound to its owner
        Vault(key).decrypt(sealed, "connection:b")
    monkeypatch.setenv("JIRASYNC_SECRET_KEY", "not base64 !!")
    with pytest.raises(SecretError) as info:
        load_key(key_file)
    assert "JIRASYNC_SECRET_KEY" in str(info.value)


def test_check_report_as_json(cloud: EmulatorServer, conns: Connections) -> None:
    _, report = asyncio.run(conns.add("acme", cloud.url, Credentials.api_token("admin@example.com", ADMIN_TOKEN)))
    data = json.loads(json.dumps(report.as_dict()))
    assert data["ok"] is True and data["deployment"] == "Cloud" and data["checks"][0]["status"] == "ok"


@pytest.mark.parametrize(("version", "ok"), [("7.12.3", False), ("7.13.0", True), ("8.20.10", True)])
def test_server_versions_below_7_13_are_refused(emulator: Callable[..., EmulatorServer], conns: Connections,
                                                  version: str, ok: bool) -> None:
    emu = emulator(flavor="datacenter", dc_version=version)
    conn, report = asyncio.run(conns.add("v", emu.url, Credentials.pat(Secret("emulator-pat"))))
    assert (conn is not None) is ok
    if not ok:
        assert report.items[-1].name == "version" and "7.13" in report.items[-1].detail


def test_self_signed_site_needs_the_ca_bundle(emulator: Callable[..., EmulatorServer], conns: Connections, tmp_path: Path) -> None:
    from jirasync.client import ClientOptions

    emu = emulator(tls=True, tls_dir=str(tmp_path / "tls"))
    creds = Credentials.api_token("admin@example.com", ADMIN_TOKEN)
    conn, report = asyncio.run(conns.add("t", emu.url, creds))
    assert conn is None and "--ca-bundle" in (report.items[0].fix or "")
    conn, report = asyncio.run(conns.add("t", emu.url, creds, options=ClientOptions(verify=str(tmp_path / "tls" / "cert.pem"))))
    assert conn is not None and report.ok
