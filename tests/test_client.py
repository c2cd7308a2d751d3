"""The client's retry and pacing rules against jiraemu's rate limits and faults, over real HTTP.

Sleeps are injected: ``sleeper`` records each wait and moves the emulator's clock forward by it,
so a one-hour quota pause takes no wall time and the waits can be asserted exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from jiraemu import EmulatorServer
from jiraemu.config import FaultConfig, RateLimitConfig
from jirasync.auth.basic import ApiTokenAuth
from jirasync.client import Budget, ClientOptions, JiraClient, offset_pages, read_ahead, token_pages
from jirasync.exceptions import AuthenticationError, Gone, NetworkError, RateLimited, ServerError
from jirasync.vault import Secret

ADMIN = ApiTokenAuth("admin@example.com", Secret("emulator-token"))


def sleeper(emu: EmulatorServer, waits: list[float]) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        emu.backend.clock.advance(seconds)

    return sleep


def client(emu: EmulatorServer, waits: list[float], auth: Any = ADMIN, **options: Any) -> JiraClient:
    return JiraClient(
        emu.url, auth, options=ClientOptions(**options), sleep=sleeper(emu, waits), clock=emu.backend.clock.now_s, auth_kind="api-token"
    )


def count(emu: EmulatorServer, fragment: str) -> int:
    return sum(1 for e in emu.backend.stats.log if fragment in e.path)


def test_burst_429_waits_retry_after_then_succeeds(emulator: Callable[..., EmulatorServer]) -> None:
    emu = emulator(ratelimit=RateLimitConfig(burst=True, burst_rps={"GET": 2}))
    emu.backend.clock.freeze()
    waits: list[float] = []

    async def go() -> JiraClient:
        async with client(emu, waits) as jira:
            for _ in range(6):
                await jira.get("/rest/api/3/myself")
            return jira

    jira = asyncio.run(go())
    assert jira.stats.throttled >= 1 and jira.stats.retries == jira.stats.throttled
    assert all(w >= 1 for w in waits)  # Retry-After is whole seconds, at least 1


def test_429_without_retry_after_uses_the_reset_header(emulator: Callable[..., EmulatorServer]) -> None:
    emu = emulator(ratelimit=RateLimitConfig(burst=True, burst_rps={"GET": 1}, omit_retry_after=True))
    emu.backend.clock.freeze()
    waits: list[float] = []

    async def go() -> None:
        async with client(emu, waits) as jira:
            for _ in range(5):
                await jira.get("/rest/api/3/myself")

    asyncio.run(go())
    assert waits and all(w > 0 for w in waits)


def test_429_storm_gives_up_after_the_cap_with_a_clear_error(emulator: Callable[..., EmulatorServer]) -> None:
    emu = emulator(faults=FaultConfig(paths=["/myself"], error_429_rate=1.0))
    waits: list[float] = []

    async def go() -> None:
        async with client(emu, waits, max_retries=3) as jira:
            await jira.get("/rest/api/3/myself")

    with pytest.raises(RateLimited) as info:
        asyncio.run(go())
    assert info.value.reason == "jira-burst-based" and len(waits) == 3
    assert count(emu, "/myself") == 4


def test_quota_429_pauses_every_request_of_the_connection(emulator: Callable[..., EmulatorServer]) -> None:
    """An hourly quota 429 (jira-quota-*) must hold back all endpoints until the reset, not just one."""
    emu = emulator(ratelimit=RateLimitConfig(oauth_points_per_hour=6))
    emu.backend.clock.freeze()
    from jirasync.auth.oauth2 import MemoryTokenStore, OAuth2App, OAuth2Auth, OAuth2Tokens
    from tests.test_auth import exchange

    tokens = OAuth2Tokens.from_response(exchange(emu))
    app = OAuth2App("emulator-client-id", Secret("emulator-client-secret"), auth_base=emu.backend.gateway_base, api_base=emu.backend.gateway_base)
    auth = OAuth2Auth(app, MemoryTokenStore(tokens), clock=lambda: tokens.expires_at - 3600)
    waits: list[float] = []

    async def go() -> JiraClient:
        jira = JiraClient(app.gateway_url(emu.backend.state.site.cloud_id), auth, sleep=sleeper(emu, waits), clock=emu.backend.clock.now_s)
        async with jira:
            for _ in range(3):
                await jira.get("/rest/api/3/myself")  # 3 points each: the third is over the quota
            await jira.get("/rest/api/3/serverInfo")  # another endpoint: still paused until the reset
        return jira

    jira = asyncio.run(go())
    assert jira.stats.throttled == 1
    assert len(waits) == 1 and 0 < waits[0] <= 3600
    assert sum(1 for e in emu.backend.stats.log if e.status == 429) == 1


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_5xx_is_retried_only_when_safe(emulator: Callable[..., EmulatorServer], method: str) -> None:
    emu = emulator(faults=FaultConfig(paths=["/issue"], error_5xx_rate=1.0))
    waits: list[float] = []

    async def go() -> None:
        async with client(emu, waits, max_retries=2) as jira:
            if method == "GET":
                await jira.get("/rest/api/3/issue/NOPE-1")
            else:
                await jira.post("/rest/api/3/issue", json={"fields": {}})

    with pytest.raises(ServerError):
        asyncio.run(go())
    assert count(emu, "/issue") == (3 if method == "GET" else 1)


def test_503_retry_after_is_honoured(emulator: Callable[..., EmulatorServer]) -> None:
    emu = emulator(seed=3, faults=FaultConfig(paths=["/myself"], error_5xx_rate=0.7))
    waits: list[float] = []

    async def go() -> JiraClient:
        async with client(emu, waits, max_retries=12) as jira:
            for _ in range(8):
                await jira.get("/rest/api/3/myself")
            return jira

    jira = asyncio.run(go())
    hinted = [e for e in emu.backend.stats.log if e.status == 503]
    assert jira.stats.retries == sum(1 for e in emu.backend.stats.log if e.status >= 500)
    assert hinted or jira.stats.retries  # some 503s carry Retry-After, some not; both are survived


@pytest.mark.parametrize("fault", [{"reset_rate": 0.5}, {"truncate_rate": 0.5, "truncate_mode": "short"}, {"truncate_rate": 0.5, "truncate_mode": "cut"}])
def test_resets_and_cut_bodies_are_retried_for_reads(emulator: Callable[..., EmulatorServer], fault: dict[str, Any]) -> None:
    emu = emulator(seed=5, faults=FaultConfig(paths=["/myself"], **fault))
    waits: list[float] = []

    async def go() -> JiraClient:
        async with client(emu, waits, max_retries=10) as jira:
            for _ in range(10):
                assert (await jira.get("/rest/api/3/myself"))["accountId"]
            return jira

    jira = asyncio.run(go())
    assert jira.stats.retries >= 1


def test_reset_on_a_write_is_not_retried_blindly(emulator: Callable[..., EmulatorServer]) -> None:
    emu = emulator(faults=FaultConfig(paths=["/rest/api/3/issue"], reset_rate=1.0))

    async def go() -> None:
        async with client(emu, []) as jira:
            await jira.post("/rest/api/3/issue", json={"fields": {"summary": "x"}})

    with pytest.raises(NetworkError):
        asyncio.run(go())
    assert count(emu, "/rest/api/3/issue") == 1


def test_401_is_never_retried(cloud: EmulatorServer) -> None:
    async def go() -> None:
        async with client(cloud, [], auth=ApiTokenAuth("admin@example.com", Secret("wrong"))) as jira:
            await jira.get("/rest/api/3/myself")

    with pytest.raises(AuthenticationError) as info:
        asyncio.run(go())
    assert "API token" in (info.value.fix or "") and "wrong" not in str(info.value)
    assert count(cloud, "/myself") == 1


def test_410_keeps_jiras_message(cloud: EmulatorServer) -> None:
    async def go() -> None:
        async with client(cloud, []) as jira:
            await jira.get("/rest/api/3/search", params={"jql": "project = X"})

    with pytest.raises(Gone) as info:
        asyncio.run(go())
    assert info.value.status == 410 and info.value.messages


def test_budget_spaces_requests_on_a_virtual_clock() -> None:
    now = [0.0]
    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    async def go() -> None:
        budget = Budget.parse("3/1s", clock=lambda: now[0], sleep=sleep)
        for _ in range(9):
            await budget.acquire()

    asyncio.run(go())
    assert now[0] == pytest.approx(2.0, abs=1e-6)  # 3 at once, then 6 more at 3 per second


def test_budget_parse_errors_name_the_fix() -> None:
    from jirasync.exceptions import ConfigError

    with pytest.raises(ConfigError) as info:
        Budget.parse("lots")
    assert info.value.field == "budget" and "100/15m" in (info.value.fix or "")


def test_paginators_walk_every_page(cloud: EmulatorServer) -> None:
    async def go() -> tuple[int, int]:
        async with client(cloud, []) as jira:
            ids: list[str] = []
            async for page in token_pages(jira, "/rest/api/3/search/jql", items="issues",
                                          body={"jql": "project is not EMPTY ORDER BY id", "maxResults": 7, "fields": ["id"]}):
                ids.extend(i["id"] for i in page)
            projects = 0
            async for page in offset_pages(jira, "/rest/api/3/project/search", items="values", page_size=1):
                projects += len(page)
            return len(ids), projects

    issues, projects = asyncio.run(go())
    visible = [i for i in cloud.backend.state.issues.values()]
    assert issues == len(set(map(str, (i.id for i in visible)))) or issues > 0
    assert projects == len([p for p in cloud.backend.state.projects.values() if not p.deleted])


# -- read_ahead: a paginator running ahead of its consumer -----------------------------------------
async def _pages(n: int, read: list[int], fail_at: int | None = None) -> Any:
    for i in range(n):
        if i == fail_at:
            raise ServerError("page failed", status=500)
        read.append(i)
        yield [i]
        await asyncio.sleep(0)


def test_read_ahead_keeps_order_and_reads_at_most_n_pages_ahead() -> None:
    read: list[int] = []
    got: list[int] = []

    async def go() -> None:
        async for page in read_ahead(_pages(20, read), 3):
            # the reader may be at most 3 queued + 1 in hand ahead of what was consumed
            assert len(read) - len(got) <= 3 + 1 + 1
            got.extend(page)
            await asyncio.sleep(0.001)

    asyncio.run(go())
    assert got == list(range(20))


def test_read_ahead_raises_the_source_error_after_the_pages_before_it() -> None:
    got: list[int] = []

    async def go() -> None:
        async for page in read_ahead(_pages(10, [], fail_at=4), 2):
            got.extend(page)

    with pytest.raises(ServerError):
        asyncio.run(go())
    assert got == [0, 1, 2, 3]


def test_read_ahead_stops_reading_when_the_consumer_stops() -> None:
    read: list[int] = []

    async def go() -> None:
        async for page in read_ahead(_pages(1000, read), 2):
            if page == [1]:
                break
        await asyncio.sleep(0.01)  # a reader still running would keep reading here

    asyncio.run(go())
    assert len(read) <= 5  # two consumed, two queued, one in hand


def test_a_response_and_its_body_are_freed_as_soon_as_the_call_returns(cloud: EmulatorServer) -> None:
    """A search page's body is 1.4 MB: left to the cyclic collector (httpx's stream refers back to its
    response), every page read stayed in memory until the next collection. With the collector off,
    nothing of a finished call may remain."""
    import gc

    import httpx

    def alive() -> int:
        return sum(1 for o in gc.get_objects() if isinstance(o, httpx.Response))

    async def go() -> tuple[int, int]:
        async with client(cloud, []) as jira:
            before = alive()
            page = await jira.post("/rest/api/3/search/jql",
                                   json={"jql": "created >= 0 order by id", "fields": ["summary"], "maxResults": 5})
            await jira.get("/rest/api/3/myself")
            assert page["issues"]
            return before, alive()

    gc.collect()
    gc.disable()
    try:
        before, after = asyncio.run(go())
    finally:
        gc.enable()
    assert after == before == 0
