"""Shared pieces of the generator: the build context, seeded sub-streams, the document pool."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from jiraemu.config import EmuConfig
from jiraemu.state import Doc, State

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


class DocSource(Protocol):
    def description(self, rng: random.Random) -> Doc: ...

    def comment(self, rng: random.Random) -> Doc: ...


def sub_rng(seed: int, stream: str) -> random.Random:
    """An independent, seed-determined stream per generator part, so parts do not shift each other."""
    return random.Random(f"jiraemu:{seed}:{stream}")


def rng_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class FallbackPool:
    """A tiny stand-in for ``jiraemu.content.pool.DocPool``: a few shared one-paragraph documents."""

    TEXTS = (
        "Steps to reproduce are in the linked ticket.",
        "Looks good to me, merging after CI passes.",
        "Could we get more details on the expected behaviour?",
        "Deployed to staging; please verify.",
        "This affects every customer on the EU cluster.",
        "Root cause: a race between the cache refresh and the writer.",
    )

    def __init__(self, seed: int, cloud: bool) -> None:
        self.docs = tuple(self._doc(t, cloud) for t in self.TEXTS)

    @staticmethod
    def _doc(text: str, cloud: bool) -> Doc:
        if not cloud:
            return Doc(wiki=text)
        adf: dict[str, Any] = {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
        }
        return Doc(adf=adf)

    def description(self, rng: random.Random) -> Doc:
        return rng.choice(self.docs)

    def comment(self, rng: random.Random) -> Doc:
        return rng.choice(self.docs)


def make_pool(seed: int, cloud: bool) -> DocSource:
    try:
        from jiraemu.content.pool import DocPool
    except ImportError:
        return FallbackPool(seed, cloud)
    pool: DocSource = DocPool(seed, cloud)
    return pool


@dataclass
class Ctx:
    """Everything the parts share while building one state."""

    config: EmuConfig
    now: int
    state: State
    pool: DocSource
    # filled by the parts, read by later ones
    members: dict[int, list[str]] = field(default_factory=dict)  # project id -> account ids who work there
    special: dict[str, list[str]] = field(default_factory=dict)  # hidden | outsiders | inactive | app | developers | qa

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def cloud(self) -> bool:
        return self.config.is_cloud
