"""The two packages stay apart: jiraemu imports nothing from jirasync, and jirasync nothing from jiraemu."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (SRC / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(SRC))] = names
    return found


@pytest.mark.parametrize(("package", "forbidden"), [("jiraemu", "jirasync"), ("jirasync", "jiraemu")])
def test_packages_do_not_import_each_other(package: str, forbidden: str) -> None:
    offenders = [path for path, names in imported_modules(package).items() if forbidden in names]
    assert offenders == [], f"{package} must not import {forbidden}: {offenders}"
