"""Docs are tested: every option a user can pass is documented, and the README has the two commands."""

from __future__ import annotations

from pathlib import Path

from jiraemu.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def serve_options() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    serve = sub.choices["serve"]  # type: ignore[attr-defined]
    return [opt for action in serve._actions for opt in action.option_strings if opt.startswith("--") and opt != "--help"]


def test_every_jiraemu_serve_option_is_documented() -> None:
    doc = (ROOT / "docs" / "jiraemu.md").read_text()
    missing = [opt for opt in serve_options() if f"`{opt}" not in doc]
    assert not missing, f"options missing from docs/jiraemu.md: {missing}"


def test_readme_shows_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme


def jirasync_options() -> dict[str, list[str]]:
    import typer.main

    from jirasync.cli import app

    found: dict[str, list[str]] = {}

    def walk(cmd: object, prefix: str) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            found[prefix or "jirasync"] = [o for p in getattr(cmd, "params", []) for o in p.opts if o.startswith("--") and o != "--help"]
            for name, sub in subs.items():
                walk(sub, f"{prefix} {name}".strip())
            return
        found[prefix] = [o for p in getattr(cmd, "params", []) for o in p.opts if o.startswith("--") and o != "--help"]

    walk(typer.main.get_command(app), "")
    return found


def test_every_jirasync_option_is_documented() -> None:
    docs = "\n".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    missing = [f"{cmd}: {opt}" for cmd, opts in jirasync_options().items() for opt in opts if opt not in docs]
    assert not missing, f"jirasync options missing from docs/: {missing}"
