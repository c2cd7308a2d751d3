"""One controllable clock for the whole emulator (expiry tests move it forward)."""

from __future__ import annotations

import time


class Clock:
    """Wall-clock time plus an offset; can be frozen. All emulator time reads go through here."""

    def __init__(self) -> None:
        self._offset_ms = 0
        self._frozen_at: int | None = None

    def now_ms(self) -> int:
        if self._frozen_at is not None:
            return self._frozen_at
        return int(time.time() * 1000) + self._offset_ms

    def now_s(self) -> float:
        return self.now_ms() / 1000.0

    def advance(self, seconds: float) -> None:
        if self._frozen_at is not None:
            self._frozen_at += int(seconds * 1000)
        else:
            self._offset_ms += int(seconds * 1000)

    def set(self, epoch_ms: int) -> None:
        if self._frozen_at is not None:
            self._frozen_at = epoch_ms
        else:
            self._offset_ms = epoch_ms - int(time.time() * 1000)

    def freeze(self, frozen: bool = True) -> None:
        if frozen and self._frozen_at is None:
            self._frozen_at = self.now_ms()
        elif not frozen and self._frozen_at is not None:
            self._offset_ms = self._frozen_at - int(time.time() * 1000)
            self._frozen_at = None

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    @property
    def offset_ms(self) -> int:
        """How far emulator time is from wall-clock time."""
        return self.now_ms() - int(time.time() * 1000)

    def reset(self) -> None:
        self._offset_ms = 0
        self._frozen_at = None
