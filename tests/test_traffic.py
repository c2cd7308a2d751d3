"""Rate limits and injected faults, as a client sees them over real HTTP (all opt-in)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from jiraemu import EmulatorServer
from jiraemu.config import FaultConfig, RateLimitConfig
from tests.conftest import basic

ADMIN = basic("admin@example.com", "emulator-token")


def hammer(url: str, n: int, headers: dict[str, str]) -> list[httpx.Response]:
    with httpx.Client(headers=headers) as client:
        return [client.get(url) for _ in range(n)]


def test_cloud_burst_limit_answers_429_with_every_hint(emulator: Callable[..., EmulatorServer]) -> None:
    emu = emulator(ratelimit=RateLimitConfig(burst=True, burst_rps={"GET": 3}))
    emu.backend.clock.freeze()  # no refill while we hammer
    replies = hammer(f"{emu.url}/rest/api/3/myself", 6, ADMIN)
    codes = [r.status_code for r in replies]
    assert codes[:3] == [200, 200, 200] and set(codes[3:]) == {429}
    limited = replies[3]
    assert limited.headers["RateLimit-Reason"] == "jira-burst-based"
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["X-RateLimit-Remaining"] == "0" and limited.headers["X-RateLimit-Reset"].endswith("Z")
    emu.backend.clock.advance(2)
    assert httpx.get(f"{emu.url}/rest/api/3/myself", headers=ADMIN).status_code == 200


def test_some_429s_come_without_retry_after(emulator: Callable[..., EmulatorServer]) -> None:
    emu = emulator(ratelimit=RateLimitConfig(burst=True, burst_rps={"GET": 1}, omit_retry_after=True))
    emu.backend.clock.freeze()
    limited = [r for r in hammer(f"{emu.url}/rest/api/3/myself", 5, ADMIN) if r.status_code == 429]
    assert len(limited) == 4
    assert any("Retry-After" not in r.headers for r in limited)
    assert all("X-RateLimit-Reset" in r.headers for r in limited)


def test_dc_bucket_headers_on_every_response(emulator: Callable[..., EmulatorServer]) -> None:
    emu = emulator(flavor="datacenter", ratelimit=RateLimitConfig(dc_bucket=(2, 0.5)))
    emu.backend.clock.freeze()
    replies = hammer(f"{emu.url}/rest/api/2/myself", 3, basic("admin", "admin"))
    assert [r.status_code for r in replies] == [200, 200, 429]
    assert replies[0].headers["X-RateLimit-Limit"] == "2"
    assert replies[1].headers["X-RateLimit-Remaining"] == "0"
    assert int(replies[2].headers["retry-after"]) >= 1
    assert replies[2].headers["X-RateLimit-Interval-Seconds"] == "2"


@pytest.mark.parametrize("kind", ["error_5xx_rate", "error_429_rate"])
def test_fault_rates_of_one_fail_every_matching_request(
    emulator: Callable[..., EmulatorServer], kind: str
) -> None:
    emu = emulator(faults=FaultConfig(paths=["/myself"], **{kind: 1.0}))
    codes = {r.status_code for r in hammer(f"{emu.url}/rest/api/3/myself", 5, ADMIN)}
    assert codes <= ({500, 502, 503} if kind == "error_5xx_rate" else {429})
    # other paths are untouched
    assert httpx.get(f"{emu.url}/rest/api/3/serverInfo").status_code == 200


def test_connection_resets_reach_the_client_as_transport_errors(emulator: Callable[..., EmulatorServer]) -> None:
    emu = emulator(faults=FaultConfig(paths=["/myself"], reset_rate=1.0))
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{emu.url}/rest/api/3/myself", headers=ADMIN)


@pytest.mark.parametrize("mode", ["short", "cut"])
def test_truncated_bodies_do_not_parse(emulator: Callable[..., EmulatorServer], mode: str) -> None:
    emu = emulator(faults=FaultConfig(paths=["/myself"], truncate_rate=1.0, truncate_mode=mode))
    with pytest.raises((httpx.TransportError, ValueError)):
        httpx.get(f"{emu.url}/rest/api/3/myself", headers=ADMIN).json()


def test_faults_can_change_while_running(emulator: Callable[..., EmulatorServer]) -> None:
    emu = emulator()
    url = f"{emu.url}/rest/api/3/myself"
    assert httpx.get(url, headers=ADMIN).status_code == 200
    emu.backend.config.faults.error_5xx_rate = 1.0
    assert httpx.get(url, headers=ADMIN).status_code >= 500
    emu.backend.config.faults.error_5xx_rate = 0.0
    assert httpx.get(url, headers=ADMIN).status_code == 200


def test_oauth_app_quota_blocks_until_the_top_of_the_hour(emulator: Callable[..., EmulatorServer]) -> None:
    from tests.test_auth import exchange, gateway_get

    emu = emulator(ratelimit=RateLimitConfig(oauth_points_per_hour=9))  # /myself costs 1 + 2 (a user object)
    emu.backend.clock.freeze()
    access = exchange(emu)["access_token"]
    codes = [gateway_get(emu, access, "/rest/api/3/myself").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    blocked = gateway_get(emu, access, "/rest/api/3/myself")
    assert blocked.headers["RateLimit-Reason"] == "jira-quota-global-based"
    # API-token traffic is not charged to the app's quota
    assert httpx.get(f"{emu.url}/rest/api/3/myself", headers=ADMIN).status_code == 200
    emu.backend.clock.advance(int(blocked.headers["Retry-After"]))
    assert gateway_get(emu, access, "/rest/api/3/myself").status_code == 200
