"""Shared fixtures: jiraemu on a free loopback port, real HTTP, no transport mocks.

``emulator(**overrides)`` starts one with ``EmuConfig`` overrides; ``cloud`` and ``dc`` are the two
flavours with small default data. Every response is checked against the OpenAPI spec by the
validator in ``tests/support/spec.py`` (when present); mismatches fail the test at teardown.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from jiraemu import EmuConfig, EmulatorServer

try:  # the spec validator is optional while it is being built
    from tests.support.spec import SpecValidator
except ImportError:  # pragma: no cover
    SpecValidator = None  # type: ignore[assignment,misc]


def basic(login: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{login}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# -- no secret in jirasync's logs, over the whole run ------------------------------------------------
# Every jirasync log record of the session (at DEBUG, the most talkative level) is kept and scanned
# at the end for the credentials the tests use; a leak fails the run.
KNOWN_SECRETS = [
    "emulator-token",
    "emulator-pat",
    "emulator-client-secret",
    base64.b64encode(b"admin@example.com:emulator-token").decode(),
    base64.b64encode(b"admin:admin").decode(),
]
_SESSION_LOG: list[str] = []


class _KeepRecords(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            _SESSION_LOG.append(self.format(record))
        except Exception:  # a broken record must not break the test
            _SESSION_LOG.append(repr(record.msg))


def pytest_configure(config: Any) -> None:
    logger = logging.getLogger("jirasync")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(_KeepRecords(logging.DEBUG))


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    leaks = [line for line in _SESSION_LOG if any(secret in line for secret in KNOWN_SECRETS)]
    if leaks:
        print("\nSECRET LEAK in jirasync logs:\n" + "\n".join(leaks[:5]))
        session.exitstatus = 1
    elif _SESSION_LOG:
        print(f"\njirasync logs scanned for secrets: {len(_SESSION_LOG)} records, none leaked")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Report the share of implemented operations whose responses were validated against the spec."""
    if SpecValidator is None:
        return
    from jiraemu.urls import jira_routes
    from tests.support.spec import coverage_report

    implemented: list[tuple[str, str, str]] = []
    for route in jira_routes():
        for flavor in route.flavors:
            versions = route.versions if flavor == "cloud" else (2,)
            paths = [route.path.replace("{v}", str(v)) for v in versions] if "{v}" in route.path else [route.path]
            implemented.extend((flavor, route.method, p) for p in paths)
    terminalreporter.write_line(coverage_report(implemented))


@pytest.fixture
def emulator() -> Iterator[Callable[..., EmulatorServer]]:
    started: list[tuple[EmulatorServer, Any]] = []

    def start(**overrides: Any) -> EmulatorServer:
        defaults: dict[str, Any] = {"projects": 2, "issues": 60, "users": 12}
        defaults.update(overrides)
        server = EmulatorServer(EmuConfig(**defaults))
        validator = None
        if SpecValidator is not None:
            validator = SpecValidator.for_backend(server.backend)
            server.backend.observers.append(validator.observe)
        server.start()
        started.append((server, validator))
        return server

    yield start
    problems: list[str] = []
    for server, validator in started:
        server.stop()
        if validator is not None:
            problems.extend(validator.problems)
    if problems:
        pytest.fail("responses that do not match the OpenAPI spec:\n" + "\n".join(problems[:20]))


@pytest.fixture
def cloud(emulator: Callable[..., EmulatorServer]) -> EmulatorServer:
    return emulator(flavor="cloud")


@pytest.fixture
def dc(emulator: Callable[..., EmulatorServer]) -> EmulatorServer:
    return emulator(flavor="datacenter")


@pytest.fixture
def admin_client(cloud: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cloud.url, headers=basic("admin@example.com", "emulator-token")) as c:
        yield c


@pytest.fixture
def dc_client(dc: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dc.url, headers={"Authorization": "Bearer emulator-pat"}) as c:
        yield c
