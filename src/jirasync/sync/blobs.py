"""Attachment content in a content-addressed blob folder (opt-in, with a size cap).

Enabled per connection (``jirasync connections configure NAME --attachment-content
[--attachment-max-mb N]``, stored as ``options["attachments"] = {"content": true, "max_bytes": …}``).
After a page of issues is committed, the content of its attachments is downloaded and written to
``<home>/blobs/<first two hex digits>/<sha256>`` (atomically: a temporary file renamed into place;
the same bytes are stored once however many attachments share them), and the attachment row gets
its ``content_sha256``. Larger files than the cap are not downloaded; each is recorded in
``skipped_records`` with the reason, so nothing is left out silently.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jirasync.client import JiraClient
from jirasync.exceptions import JiraError
from jirasync.records import AttachmentRecord
from jirasync.store.repo import SyncRepo

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class BlobFolder:
    root: Path

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha)
        if target.exists() and target.stat().st_size == len(data):
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
        return sha


@dataclass(frozen=True)
class ContentPolicy:
    enabled: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> ContentPolicy:
        raw = options.get("attachments") or {}
        return cls(bool(raw.get("content")), int(raw.get("max_bytes") or DEFAULT_MAX_BYTES))


async def fetch_contents(client: JiraClient, repo: SyncRepo, folder: BlobFolder, policy: ContentPolicy,
                         attachments: list[AttachmentRecord], cloud: bool) -> tuple[int, int]:
    """Download what the policy allows; returns (stored, skipped)."""
    if not policy.enabled or not attachments:
        return 0, 0
    stored = skipped = 0

    async def one(a: AttachmentRecord) -> None:
        nonlocal stored, skipped
        if a.size is not None and a.size > policy.max_bytes:
            await asyncio.to_thread(repo.record_skipped, "attachment_content", str(a.id),
                                    f"{a.filename}: {a.size} bytes is over the {policy.max_bytes}-byte cap", a.raw)
            skipped += 1
            return
        try:
            if cloud or not a.content_url:
                response = await client.request("GET", f"/rest/api/{3 if cloud else 2}/attachment/content/{a.id}",
                                                params={"redirect": "false"}, raw=True)
            else:
                response = await client.request("GET", a.content_url, raw=True)
        except JiraError as err:
            await asyncio.to_thread(repo.record_skipped, "attachment_content", str(a.id), f"{a.filename}: {err.message}", a.raw)
            skipped += 1
            return
        data = response.content
        if len(data) > policy.max_bytes:
            await asyncio.to_thread(repo.record_skipped, "attachment_content", str(a.id),
                                    f"{a.filename}: {len(data)} bytes is over the {policy.max_bytes}-byte cap", a.raw)
            skipped += 1
            return
        sha = await asyncio.to_thread(folder.put, data)
        await asyncio.to_thread(repo.set_attachment_content, a.id, sha)
        stored += 1

    await asyncio.gather(*(one(a) for a in attachments))
    return stored, skipped
