"""jiraemu over HTTPS with its own certificate, as a connector that insists on https:// sees it."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from jiraemu import EmulatorServer


def test_https_with_a_self_signed_certificate_the_client_can_trust(
    emulator: Callable[..., EmulatorServer], tmp_path: Path
) -> None:
    emu = emulator(tls=True, tls_dir=str(tmp_path))
    assert emu.url.startswith("https://127.0.0.1:")
    cert = tmp_path / "cert.pem"
    assert cert.exists() and (tmp_path / "key.pem").stat().st_mode & 0o077 == 0
    r = httpx.get(f"{emu.url}/rest/api/3/serverInfo", verify=ssl.create_default_context(cafile=str(cert)))
    assert r.status_code == 200 and r.json()["baseUrl"] == emu.url
    with pytest.raises(httpx.ConnectError):  # an untrusted certificate is refused by default
        httpx.get(f"{emu.url}/rest/api/3/serverInfo")


def test_certificate_is_reused_across_starts(emulator: Callable[..., EmulatorServer], tmp_path: Path) -> None:
    emulator(tls=True, tls_dir=str(tmp_path))
    first = (tmp_path / "cert.pem").read_bytes()
    emulator(tls=True, tls_dir=str(tmp_path))
    assert (tmp_path / "cert.pem").read_bytes() == first
