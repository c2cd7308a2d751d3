"""Every way a client logs in to jiraemu, driven over real HTTP: Basic, PAT, OAuth 2.0 (3LO) with
rotating refresh tokens through the api.atlassian.com-style gateway, and OAuth 1.0a (RSA-SHA1)
with the real pycontribs ``jira`` client and requests-oauthlib."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from jira import JIRA
from requests_oauthlib import OAuth1Session

from jiraemu import EmulatorServer
from jiraemu.auth.oauth1 import TEST_PRIVATE_KEY_PATH
from tests.conftest import basic

REDIRECT = "http://127.0.0.1:8765/callback"
CLIENT = {"client_id": "emulator-client-id", "client_secret": "emulator-client-secret"}


def consent(emu: EmulatorServer, scope: str, state: str = "s-123") -> str:
    """Run /authorize as a browser would and return the authorization code."""
    r = httpx.get(
        f"{emu.backend.gateway_base}/authorize",
        params={
            "audience": "api.atlassian.com",
            "client_id": CLIENT["client_id"],
            "scope": scope,
            "redirect_uri": REDIRECT,
            "state": state,
            "response_type": "code",
            "prompt": "consent",
        },
    )
    assert r.status_code == 302, r.text
    query = parse_qs(urlsplit(r.headers["location"]).query)
    assert query["state"] == [state]
    return query["code"][0]


def token(emu: EmulatorServer, **params: str) -> httpx.Response:
    return httpx.post(f"{emu.backend.gateway_base}/oauth/token", json={**CLIENT, **params})


def exchange(emu: EmulatorServer, scope: str = "read:jira-work read:jira-user offline_access") -> dict[str, Any]:
    code = consent(emu, scope)
    r = token(emu, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert r.status_code == 200, r.text
    return dict(r.json())


def gateway_get(emu: EmulatorServer, access: str, path: str) -> httpx.Response:
    cloud_id = emu.backend.state.site.cloud_id
    return httpx.get(
        f"{emu.backend.gateway_base}/ex/jira/{cloud_id}{path}", headers={"Authorization": f"Bearer {access}"}
    )


def test_basic_auth_with_api_token_and_wrong_pair(cloud: EmulatorServer) -> None:
    ok = httpx.get(f"{cloud.url}/rest/api/3/myself", headers=basic("admin@example.com", "emulator-token"))
    assert ok.status_code == 200 and ok.json()["accountId"]
    # the token of one user with the email of another is refused, not mapped to either
    wrong = httpx.get(f"{cloud.url}/rest/api/3/myself", headers=basic("someone@example.com", "emulator-token"))
    assert wrong.status_code == 401
    # Cloud does not take bearer PATs on the site
    pat = httpx.get(f"{cloud.url}/rest/api/3/myself", headers={"Authorization": "Bearer emulator-token"})
    assert pat.status_code == 401


def test_dc_rejects_bad_pat_with_seraph_reason(dc: EmulatorServer) -> None:
    r = httpx.get(f"{dc.url}/rest/api/2/myself", headers={"Authorization": "Bearer not-a-pat"})
    assert r.status_code == 401
    anonymous = httpx.get(f"{dc.url}/rest/api/2/myself")
    assert anonymous.status_code == 401


def test_oauth2_code_flow_reaches_the_site_through_the_gateway(cloud: EmulatorServer) -> None:
    tokens = exchange(cloud)
    assert tokens["token_type"].lower() == "bearer" and tokens["expires_in"] == 3600
    assert "refresh_token" in tokens  # offline_access was asked for
    sites = httpx.get(
        f"{cloud.backend.gateway_base}/oauth/token/accessible-resources",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert [s["id"] for s in sites] == [cloud.backend.state.site.cloud_id]
    me = gateway_get(cloud, tokens["access_token"], "/rest/api/3/myself")
    assert me.status_code == 200 and me.json()["emailAddress"] == "admin@example.com"
    # the access token is not a site credential, and the site's API token is not a gateway one
    assert httpx.get(
        f"{cloud.url}/rest/api/3/myself", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).status_code == 401


def test_oauth2_code_works_once_and_refresh_needs_offline_access(cloud: EmulatorServer) -> None:
    code = consent(cloud, "read:jira-work")
    first = token(cloud, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert first.status_code == 200 and "refresh_token" not in first.json()
    again = token(cloud, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 403 and again.json()["error"] == "invalid_grant"


def test_oauth2_refresh_rotates_and_late_reuse_revokes_the_grant(cloud: EmulatorServer) -> None:
    tokens = exchange(cloud)
    r1 = token(cloud, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert r1.status_code == 200
    rotated = r1.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    # within the 10-minute leeway the replaced token still works (a lost response can be retried)
    cloud.backend.clock.advance(5 * 60)
    assert token(cloud, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).status_code == 200
    # after the leeway, presenting it again revokes every token of the consent
    cloud.backend.clock.advance(6 * 60)
    late = token(cloud, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert late.status_code == 403 and late.json()["error"] == "invalid_grant"
    assert token(cloud, grant_type="refresh_token", refresh_token=rotated["refresh_token"]).status_code == 403
    assert gateway_get(cloud, rotated["access_token"], "/rest/api/3/myself").status_code == 401


def test_oauth2_access_token_expires_after_an_hour(cloud: EmulatorServer) -> None:
    tokens = exchange(cloud)
    assert gateway_get(cloud, tokens["access_token"], "/rest/api/3/myself").status_code == 200
    cloud.backend.clock.advance(3601)
    assert gateway_get(cloud, tokens["access_token"], "/rest/api/3/myself").status_code == 401


def test_oauth2_scope_must_cover_the_operation(cloud: EmulatorServer) -> None:
    tokens = exchange(cloud, scope="read:jira-user")
    assert gateway_get(cloud, tokens["access_token"], "/rest/api/3/myself").status_code == 200
    r = gateway_get(cloud, tokens["access_token"], "/rest/api/3/serverInfo")
    assert r.status_code in (200, 401)  # serverInfo is anonymous on the site; the gateway may refuse it
    write = httpx.post(
        f"{cloud.backend.gateway_base}/ex/jira/{cloud.backend.state.site.cloud_id}/rest/api/3/issue",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        json={"fields": {}},
    )
    assert write.status_code == 401 and "scope does not match" in write.text


def test_oauth2_authorize_rejects_a_foreign_redirect_uri(cloud: EmulatorServer) -> None:
    r = httpx.get(
        f"{cloud.backend.gateway_base}/authorize",
        params={
            "audience": "api.atlassian.com",
            "client_id": CLIENT["client_id"],
            "scope": "read:jira-work",
            "redirect_uri": "https://evil.example.com/cb",
            "response_type": "code",
        },
    )
    assert r.status_code == 400


def oauth1_session(emu: EmulatorServer, **tokens: str) -> OAuth1Session:
    return OAuth1Session(
        "emulator-consumer",
        signature_method="RSA-SHA1",
        rsa_key=TEST_PRIVATE_KEY_PATH.read_text(),
        signature_type="auth_header",
        **tokens,
    )


def oauth1_dance(emu: EmulatorServer) -> dict[str, str]:
    base = emu.url
    session = oauth1_session(emu, callback_uri="oob")
    request = session.fetch_request_token(f"{base}/plugins/servlet/oauth/request-token")
    approve = httpx.get(
        f"{base}/plugins/servlet/oauth/authorize", params={"oauth_token": request["oauth_token"]}
    )
    assert approve.status_code in (200, 302)
    verifier = parse_qs(urlsplit(approve.headers.get("location", "")).query).get("oauth_verifier", [""])[0]
    if not verifier:  # out-of-band: the page shows the verifier
        found = re.search(r'id="oauth-verifier">([^<]+)<', approve.text)
        assert found, approve.text
        verifier = found.group(1)
    session = oauth1_session(
        emu,
        resource_owner_key=request["oauth_token"],
        resource_owner_secret=request.get("oauth_token_secret", ""),
        verifier=verifier,
    )
    access = session.fetch_access_token(f"{base}/plugins/servlet/oauth/access-token")
    return {"oauth_token": access["oauth_token"], "oauth_token_secret": access.get("oauth_token_secret", "")}


def test_oauth1_dance_then_signed_calls_with_pycontribs_jira(dc: EmulatorServer) -> None:
    access = oauth1_dance(dc)
    client = JIRA(
        dc.url,
        oauth={
            "access_token": access["oauth_token"],
            "access_token_secret": access["oauth_token_secret"],
            "consumer_key": "emulator-consumer",
            "key_cert": TEST_PRIVATE_KEY_PATH.read_text(),
        },
        get_server_info=True,
    )
    assert client.myself()["name"] == "admin"


def test_oauth1_bad_signature_names_the_problem(dc: EmulatorServer) -> None:
    access = oauth1_dance(dc)
    session = oauth1_session(
        dc, resource_owner_key=access["oauth_token"], resource_owner_secret=access["oauth_token_secret"]
    )
    ok = session.get(f"{dc.url}/rest/api/2/myself")
    assert ok.status_code == 200
    forged = oauth1_session(dc, resource_owner_key="not-a-token", resource_owner_secret="")
    r = forged.get(f"{dc.url}/rest/api/2/myself")
    assert r.status_code == 401 and "oauth_problem" in r.headers.get("WWW-Authenticate", "")


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_inactive_user_cannot_log_in(emulator: Callable[..., EmulatorServer], flavor: str) -> None:
    emu = emulator(flavor=flavor)
    users = emu.backend.state.users
    admin = next(u for u in users.values() if u.email == "admin@example.com")
    admin.active = False
    header = basic("admin@example.com", "emulator-token") if flavor == "cloud" else basic("admin", "admin")
    version = 3 if flavor == "cloud" else 2
    assert httpx.get(f"{emu.url}/rest/api/{version}/myself", headers=header).status_code == 401
