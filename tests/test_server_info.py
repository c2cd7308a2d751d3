"""serverInfo, myself and basic authentication on both flavours."""

from __future__ import annotations

import httpx

from jiraemu import EmulatorServer
from tests.conftest import basic


def test_server_info_is_anonymous_and_tells_the_deployment(cloud: EmulatorServer, dc: EmulatorServer) -> None:
    c = httpx.get(f"{cloud.url}/rest/api/3/serverInfo").json()
    d = httpx.get(f"{dc.url}/rest/api/2/serverInfo").json()
    assert c["deploymentType"] == "Cloud" and c["versionNumbers"][0] == 1001
    assert d["deploymentType"] == "DataCenter" and d["versionNumbers"][0] >= 8


def test_myself_reports_profile_time_zone(admin_client: httpx.Client) -> None:
    me = admin_client.get("/rest/api/3/myself").json()
    assert me["emailAddress"] == "admin@example.com"
    assert me["timeZone"] == "America/Los_Angeles"


def test_wrong_token_is_401_that_names_the_failed_login(cloud: EmulatorServer) -> None:
    r = httpx.get(f"{cloud.url}/rest/api/3/myself", headers=basic("admin@example.com", "nope"))
    assert r.status_code == 401
    assert r.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    assert "must be authenticated" in r.text


def test_dc_accepts_password_and_pat(dc: EmulatorServer) -> None:
    assert httpx.get(f"{dc.url}/rest/api/2/myself", headers=basic("admin", "admin")).json()["name"] == "admin"
    r = httpx.get(f"{dc.url}/rest/api/2/myself", headers={"Authorization": "Bearer emulator-pat"})
    assert r.json()["key"]
    assert httpx.get(f"{dc.url}/rest/api/3/myself", headers=basic("admin", "admin")).status_code == 404
