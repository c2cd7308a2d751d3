"""Escaping text for Markdown so that it re-parses (CommonMark + GFM) to the same text."""

from __future__ import annotations

import re

# Always special inline: backslash, code, emphasis, links, strikethrough, table pipes.
_ALWAYS = re.compile(r"([\\`*\[\]~|])")
# `_` only opens/closes emphasis next to non-alphanumerics (snake_case stays readable).
_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# `<` only matters where it could start an HTML tag or autolink; `&` only before an entity.
_ANGLE = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")

# Line starts that would turn a paragraph line into another block.
_LINE_START = re.compile(
    r"^(?:(?P<hash>#{1,6}(?:[ \t]|$))|(?P<gt>>)|(?P<bullet>[-+=](?:[ \t]|$))"
    r"|(?P<num>\d{1,9})(?P<numend>[.)])(?=[ \t]|$)|(?P<setext>[-=]+[ \t]*$))"
)


_ANY = re.compile(r"[\\`*\[\]~|_<&]")


def escape_text(text: str, before: str = " ", after: str = " ") -> str:
    """Escape inline Markdown specials in ``text`` (line starts are handled by ``escape_line_start``).
    ``before`` / ``after``: the characters the text will stand between (they decide ``_``)."""
    if not _ANY.search(text):
        return text
    text = _ALWAYS.sub(r"\\\1", text)
    if "_" in text:
        pad_before = "a" if before[-1:].isalnum() else " "
        pad_after = "a" if after[:1].isalnum() else " "
        text = _UNDERSCORE.sub(r"\\_", pad_before + text + pad_after)[1:-1]
    text = _ANGLE.sub(r"\\<", text)
    return _ENTITY.sub(r"\\&", text)


def escape_line_start(line: str) -> str:
    """Escape a paragraph line whose start Markdown would read as a heading, quote, list or rule."""
    line = line.lstrip(" \t")
    first = line[:1]
    if not first or (first not in "#>-+=" and not first.isdecimal()):  # what _LINE_START can start with
        return line
    match = _LINE_START.match(line)
    if match is None:
        return line
    if match.group("num") is not None:
        cut = match.end("num")
        return line[:cut] + "\\" + line[cut:]
    return "\\" + line


def code_span(code: str) -> str:
    """``code`` as an inline code span with a fence longer than any backtick run inside."""
    code = code.replace("\r\n", " ").replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * (longest + 1)
    if code.startswith("`") or code.endswith("`") or (
        code.startswith(" ") and code.endswith(" ") and code.strip(" ")
    ):
        code = f" {code} "
    return f"{fence}{code}{fence}"


def code_fence(code: str) -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=0)
    return "`" * max(3, longest + 1)


def link_destination(url: str) -> str:
    return (url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
            .replace("<", "%3C").replace(">", "%3E").replace("\n", ""))


def link_title(title: str) -> str:
    return '"' + title.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


_AUTOLINK = re.compile(r"^(?:https?|ftp|mailto):[^\s<>\\`]*$", re.IGNORECASE)


def autolink_ok(url: str) -> bool:
    return bool(_AUTOLINK.match(url))


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
