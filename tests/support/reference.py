"""Where the reference material (`shared/reference`: specs, ADF schema, recorded fixtures) lives.

Looked up in order: ``$JIRA_REFERENCE_DIR``, ``shared/reference`` beside the checkout (the project
layout), then ``/work/shared/reference`` (this workplace's machines, whatever the checkout path).
"""

from __future__ import annotations

import os
from pathlib import Path

_CANDIDATES = [
    os.environ.get("JIRA_REFERENCE_DIR", ""),
    str(Path(__file__).resolve().parents[2].parent / "shared" / "reference"),
    "/work/shared/reference",
]


def find_reference() -> Path:
    for candidate in _CANDIDATES:
        if candidate and (Path(candidate) / "openapi").is_dir():
            return Path(candidate)
    raise RuntimeError(
        "shared/reference (OpenAPI specs, ADF schema, fixtures) not found; set JIRA_REFERENCE_DIR to it. "
        f"Looked in: {[c for c in _CANDIDATES if c]}"
    )


REFERENCE = find_reference()
FIXTURES = REFERENCE / "fixtures"
