"""Cyclic garbage collection during a sync: as good as off, so it does not walk the live batches.

A sync holds batches of issues as JSON objects (hundreds of thousands of dicts and lists) while it
allocates the next pages. With CPython's default thresholds (700, 10, 10) the collector runs every
few hundred allocations and regularly traverses that whole live heap: measured on a 100-issue Cloud
page with ten pages alive, ``orjson.loads`` takes ~60 ms with the defaults and ~14 ms with
a threshold of 50,000. Even at 100,000 a 10,000-issue sync ran ~28 young collections of ~18 ms,
each walking the pages then in flight (0.5 s of CPU, and none of it freed anything large).

``(2_000_000, 50, 50)``: the young generation is not collected until two million more container
objects are alive than at the last collection — more than a sync of 100,000 issues ever holds (its
batches in flight, its per-issue map) — so the collector does not run during such a sync; on a
larger site it runs now and then, each time walking what is alive.
Issue JSON has no reference cycles: reference counting frees it. The cyclic garbage a sync makes is
small (~4,000 objects per 10,000 issues: SQLAlchemy statement internals) and is collected after
the sync; the one large kind, httpx responses with their bodies, is no longer cyclic
(``jirasync.client``). Measured at 10,000 issues and 100 ms, three alternating pairs in one
process: 8.19/8.63/9.58 s against 7.86/8.16/8.36 s, collector time 0.48 s against 0.02 s.

``relaxed_gc()`` raises the thresholds for the duration of a sync and restores the caller's on exit;
overlapping syncs in one process (the daemon) share one raise, undone when the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SYNC_THRESHOLDS = (2_000_000, 50, 50)

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def relaxed_gc() -> Iterator[None]:
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(*SYNC_THRESHOLDS)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
