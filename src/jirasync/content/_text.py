"""Plain text of ADF and wiki markup, for full-text search: words kept, markup dropped."""

from __future__ import annotations

import re
from typing import Any

from jirasync.content._common import (
    MAX_DEPTH,
    Node,
    attrs,
    card_url,
    children,
    date_text,
    emoji_text,
    media_name,
    str_attr,
)
from jirasync.content._wiki import parse_wiki

INLINE_SEPARATORS = {"hardBreak": "\n"}
_BLANKS = re.compile(r"\n{2,}")


def text_of_adf(adf: dict[str, Any] | None) -> str:
    """The text of an ADF document: blocks on separate lines, mentions and cards as their text."""
    if not isinstance(adf, dict):
        return ""
    out: list[str] = []
    _collect(adf, out, 0)
    text = "".join(out)
    return _BLANKS.sub("\n", "\n".join(line.strip() for line in text.split("\n"))).strip()


def text_of_wiki(wiki: str | None) -> str:
    """The text of wiki markup with the markup removed."""
    return text_of_adf(parse_wiki(wiki)) if wiki else ""


def _collect(node: Node, out: list[str], depth: int) -> None:
    kind = node.get("type")
    leaf = _leaf_text(node)
    if leaf is not None:
        out.append(leaf)
        return
    if depth > MAX_DEPTH:
        out.append(" ".join(_flat_texts(node)) + "\n")
        return
    if kind in ("expand", "nestedExpand", "panel"):
        title = str_attr(node, "title")
        if title:
            out.append(title + "\n")
    if kind in ("tableCell", "tableHeader"):
        inner: list[str] = []
        for child in children(node):
            _collect(child, inner, depth + 1)
        out.append(" ".join("".join(inner).split()) + " ")
        return
    for child in children(node):
        _collect(child, out, depth + 1)
    out.append(INLINE_SEPARATORS.get(str(kind), "" if kind == "text" else "\n"))


def _leaf_text(node: Node) -> str | None:
    kind = node.get("type")
    a = attrs(node)
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return "@" + (str_attr(node, "text").lstrip("@") or str_attr(node, "id"))
    if kind == "emoji":
        return emoji_text(node)
    if kind == "status":
        return f"[{str_attr(node, 'text')}]"
    if kind == "placeholder":
        return str_attr(node, "text")
    if kind == "date":
        return date_text(a.get("timestamp"))
    if kind in ("inlineCard", "blockCard", "embedCard"):
        return card_url(node) + ("" if kind == "inlineCard" else "\n")
    if kind in ("media", "mediaInline"):
        name, url = media_name(a), a.get("url")
        if isinstance(url, str) and url != name and url.endswith(name):  # an external image named after its URL
            name = url
        return name + ("" if kind == "mediaInline" else "\n")
    if kind in ("extension", "inlineExtension", "syncBlock"):
        return str_attr(node, "text")
    if kind == "codeBlock":
        return "".join(str(c.get("text", "")) for c in children(node)) + "\n"
    return None


def _flat_texts(node: Any) -> list[str]:
    parts: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            leaf = _leaf_text(current) if current.get("type") != "codeBlock" else None
            if leaf:
                parts.append(leaf.strip())
            stack.extend(reversed(children(current)))
    return parts
