"""Input files as rows (dicts): JSON Lines, CSV, and SARIF 2.1.0 (one row per result).

SARIF rows are keyed by ``fingerprint``: the result's ``fingerprints`` (first by name), else its
``partialFingerprints`` with the rule id, else a hash of rule id + location. Each row also carries
ready-made ``summary``, ``description`` (Markdown), ``priority`` (from ``level``), ``ruleId``,
``level``, ``location``, and ``state`` (``fixed`` when ``baselineState`` is ``absent`` or the
result is suppressed, else ``open``) — so ``--format sarif`` works without any ``--map``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

from jirasync.exceptions import ConfigError

FORMATS = ("jsonl", "csv", "sarif")
SARIF_PRIORITY = {"error": "High", "warning": "Medium", "note": "Low", "none": "Lowest"}


def guess_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if (suffix in (".sarif", ".json") and "sarif" in path.name.lower()) or suffix == ".sarif":
        return "sarif"
    return "csv" if suffix == ".csv" else "jsonl"


def read_rows(path: Path, fmt: str | None = None) -> list[dict[str, Any]]:
    fmt = fmt or guess_format(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError("--input", f"cannot read {path}: {exc.strerror}", fix="pass a readable file") from None
    if fmt == "jsonl":
        return [_json_line(line, n, path) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if fmt == "csv":
        return [dict(row) for row in csv.DictReader(text.splitlines())]
    if fmt == "sarif":
        return sarif_rows(_json(text, path))
    raise ConfigError("--format", f"{fmt!r} is not a known format", fix=f"use one of {', '.join(FORMATS)}")


def _json(text: str, path: Path) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ConfigError("--input", f"{path} is not JSON: {exc}", fix="pass a SARIF 2.1.0 file") from None


def _json_line(line: str, number: int, path: Path) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise ConfigError("--input", f"{path}:{number} is not JSON: {exc}", fix="one JSON object per line") from None
    if not isinstance(row, dict):
        raise ConfigError("--input", f"{path}:{number} is not a JSON object", fix="one JSON object per line")
    return row


def sarif_rows(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict) or not isinstance(doc.get("runs"), list):
        raise ConfigError("--input", "not a SARIF log (no runs)", fix="pass a SARIF 2.1.0 file")
    rows: list[dict[str, Any]] = []
    for run in doc["runs"]:
        driver = ((run.get("tool") or {}).get("driver") or {})
        rules = {r.get("id"): r for r in driver.get("rules") or [] if isinstance(r, dict)}
        for result in run.get("results") or []:
            rows.append(_sarif_row(result, rules, str(driver.get("name") or "scanner")))
    return rows


def _location(result: dict[str, Any]) -> tuple[str, int | None]:
    for loc in result.get("locations") or []:
        phys = (loc or {}).get("physicalLocation") or {}
        uri = ((phys.get("artifactLocation") or {}).get("uri")) or ""
        line = (phys.get("region") or {}).get("startLine")
        return str(uri), int(line) if isinstance(line, int) else None
    return "", None


def fingerprint(result: dict[str, Any]) -> str:
    rule = str(result.get("ruleId") or (result.get("rule") or {}).get("id") or "")
    full = result.get("fingerprints") or {}
    if full:
        return str(full[sorted(full)[0]])
    partial = result.get("partialFingerprints") or {}
    if partial:
        return rule + ":" + ":".join(str(partial[k]) for k in sorted(partial))
    uri, line = _location(result)
    return rule + ":" + hashlib.sha256(f"{rule}|{uri}|{line}".encode()).hexdigest()[:32]


def _sarif_row(result: dict[str, Any], rules: dict[Any, Any], tool: str) -> dict[str, Any]:
    rule_id = str(result.get("ruleId") or "")
    rule = rules.get(rule_id) or {}
    message = str((result.get("message") or {}).get("text") or "")
    level = str(result.get("level") or (rule.get("defaultConfiguration") or {}).get("level") or "warning")
    uri, line = _location(result)
    where = f"{uri}:{line}" if line else uri
    first = message.splitlines()[0] if message else rule_id
    fixed = result.get("baselineState") == "absent" or bool(result.get("suppressions"))
    help_text = ((rule.get("help") or {}).get("markdown") or (rule.get("fullDescription") or {}).get("text") or "")
    description = f"{message}\n\n**Rule:** `{rule_id}` ({tool})  \n**Location:** `{where}`"
    if help_text:
        description += f"\n\n{help_text}"
    return {
        "fingerprint": fingerprint(result),
        "ruleId": rule_id,
        "level": level,
        "message": message,
        "location": where,
        "tool": tool,
        "summary": f"[{rule_id}] {first}"[:250],
        "description": description,
        "priority": SARIF_PRIORITY.get(level, "Medium"),
        "state": "fixed" if fixed else "open",
    }
