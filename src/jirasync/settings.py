"""Where jirasync keeps things: ``JIRASYNC_HOME`` (default: the platform's user data dir) holds the
SQLite store, the secret key file and blobs; ``JIRASYNC_DB`` points the store elsewhere."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

DEFAULT_INTERVAL_MIN = 60.0  # minutes between the daemon's runs of a connection (here: light to import)

@dataclass(frozen=True)
class Settings:
    home: Path
    db_url: str

    @classmethod
    def from_env(cls, home: str | Path | None = None, db: str | None = None) -> Settings:
        root = Path(home or os.environ.get("JIRASYNC_HOME") or platformdirs.user_data_dir("jirasync"))
        url = db or os.environ.get("JIRASYNC_DB") or f"sqlite:///{root / 'jirasync.db'}"
        return cls(root.expanduser(), url)

    @property
    def key_file(self) -> Path:
        return self.home / "secret.key"

    @property
    def blob_dir(self) -> Path:
        return self.home / "blobs"

    def ensure_home(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
