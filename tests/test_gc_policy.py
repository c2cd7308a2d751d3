"""The sync's garbage-collection policy: raised thresholds during a sync, the caller's restored after."""

from __future__ import annotations

import gc
import threading

from jirasync.sync.gc_policy import SYNC_THRESHOLDS, relaxed_gc


def test_thresholds_are_raised_during_a_sync_and_restored_after() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(500, 7, 9)
        with relaxed_gc():
            assert gc.get_threshold() == SYNC_THRESHOLDS
        assert gc.get_threshold() == (500, 7, 9)
    finally:
        gc.set_threshold(*before)


def test_overlapping_syncs_restore_the_callers_thresholds_when_the_last_ends() -> None:
    before = gc.get_threshold()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    def first() -> None:
        with relaxed_gc():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with relaxed_gc():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.get_threshold())  # the first sync ended: still raised for this one

    try:
        gc.set_threshold(600, 8, 8)
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert seen == [SYNC_THRESHOLDS]
        assert gc.get_threshold() == (600, 8, 8)
    finally:
        gc.set_threshold(*before)


def test_an_error_inside_still_restores() -> None:
    before = gc.get_threshold()
    try:
        with relaxed_gc():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.get_threshold() == before
