"""Cyclic garbage collection during a sync: rarer, so it does not walk the live batch over and over.

A sync holds a batch of issues as JSON objects (hundreds of thousands of dicts and lists) while it
allocates the next pages. With CPython's default thresholds (700, 10, 10) the collector runs every
few hundred allocations and regularly traverses that whole live heap: measured on a 100-issue Cloud
page with ten pages alive, ``orjson.loads`` takes ~60 ms with the defaults and ~14 ms with
a threshold of 50,000. The older generations are collected rarely too (every 50 of the younger's
runs): each full collection walks the whole live heap. ``(100_000, 50, 50)`` took a 10,000-issue
sync from 8.6 to 8.2 s (100 ms latency) against ``(50_000, 20, 20)``, for about 10 MB more peak RSS. Issue
JSON has no reference cycles, so collecting less often frees the same memory (reference counting
frees it) and only delays the rare cyclic garbage.

``relaxed_gc()`` raises the thresholds for the duration of a sync and restores the caller's on exit;
overlapping syncs in one process (the daemon) share one raise, undone when the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SYNC_THRESHOLDS = (100_000, 50, 50)

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
