"""Shared pieces of the generator: the build context, seeded sub-streams, the document pool."""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from jiraemu.config import EmuConfig
from jiraemu.state import Doc, State

T = TypeVar("T")

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


def make_pool(seed: int, cloud: bool, people: Sequence[tuple[str, str]] = ()) -> DocSource:
    """The shared document pool; ``people`` are (account id on Cloud / username on DC, display name)
    pairs that documents may mention."""
    try:
        from jiraemu.content.pool import DocPool
    except ImportError:
        return FallbackPool(seed, cloud)
    pool: DocSource = DocPool(seed, cloud, people)
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


# Fast draws for the hot loops (random.Random's randint/choice/choices are pure-Python and slow).
def ri(rng: random.Random, a: int, b: int) -> int:
    """Uniform integer in [a, b]."""
    return a + int(rng.random() * (b - a + 1))


def pick(rng: random.Random, seq: Sequence[T]) -> T:
    return seq[int(rng.random() * len(seq))]


class Weighted(Generic[T]):
    """A weighted choice with precomputed cumulative weights."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.values = [v for v, _ in pairs]
        self.cum = list(itertools.accumulate(w for _, w in pairs))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> T:
        return self.values[bisect.bisect(self.cum, rng.random() * self.total)]


def maker(cls: type[T]) -> Callable[..., T]:
    """A fast keyword constructor for a (frozen) dataclass record.

    Frozen dataclasses set every field through ``object.__setattr__``, which dominates building
    100k issues with their comments and histories; this fills ``__dict__`` directly instead. The
    result equals what ``cls(**kwargs)`` builds (tests check that)."""
    defaults: dict[str, Any] = {}
    factories: dict[str, Callable[[], Any]] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.default is not dataclasses.MISSING:
            defaults[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            factories[f.name] = f.default_factory
    new = object.__new__

    def make(**kwargs: Any) -> T:
        obj = new(cls)
        d = obj.__dict__
        d.update(defaults)
        for name, factory in factories.items():
            d[name] = factory()
        d.update(kwargs)
        return obj

    return make
