"""Attachment content (opt-in) lands byte for byte in the content-addressed blob folder; files over
the cap are recorded as skipped, never dropped silently. Both flavours, real HTTP."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from jiraemu import EmulatorServer
from jirasync.connections import Connections, Credentials
from jirasync.store.models import AttachmentRow
from jirasync.store.repo import SyncRepo
from jirasync.sync import Syncer
from jirasync.sync.engine import connection_id
from jirasync.vault import Secret


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_attachment_content_in_the_blob_folder(emulator: Callable[..., EmulatorServer], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, flavor: str) -> None:
    monkeypatch.delenv("JIRASYNC_SECRET_KEY", raising=False)
    emu = emulator(flavor=flavor, projects=1, issues=40)
    emu.backend.perms.invalidate()
    state = emu.backend.state
    attachments = [a for i in state.issues.values() for a in i.attachments]
    assert attachments, "the generated data should hold attachments"
    cap = sorted(a.size for a in attachments)[len(attachments) // 2]  # about half are over the cap

    conns = Connections.open(home=str(tmp_path / "home"))
    creds = (Credentials.api_token("admin@example.com", Secret("emulator-token")) if flavor == "cloud"
             else Credentials.pat(Secret("emulator-pat")))
    conn, _ = asyncio.run(conns.add("a", emu.url, creds))
    assert conn is not None
    conns.configure("a", attachment_content=True, attachment_max_bytes=cap)
    summary = asyncio.run(Syncer(conns, "a").run())
    assert summary.status == "ok"

    blobs = tmp_path / "home" / "blobs"
    with conns.store.session() as s:
        rows = {r.id: r for r in s.scalars(select(AttachmentRow))}
    visible = {a.id: a for i in state.issues.values() if emu.backend.perms.can_see_issue(
        next(u for u in state.users.values() if u.email == "admin@example.com"), i) for a in i.attachments}
    assert set(rows) == set(visible)
    small = [a for a in visible.values() if a.size <= cap]
    assert small and len(small) < len(visible)
    for a in small:
        sha = rows[a.id].content_sha256
        assert sha == hashlib.sha256(state.blobs[a.sha256]).hexdigest()
        assert (blobs / sha[:2] / sha).read_bytes() == state.blobs[a.sha256]
    skipped = SyncRepo(conns.store, connection_id(conns, "a")).skipped()
    over = {a.id for a in visible.values() if a.size > cap}
    assert {int(rid) for kind, rid, _ in skipped if kind == "attachment_content"} == over
    assert all(rows[i].content_sha256 is None for i in over)
    conns.store.close()
