"""Shared pieces of the converters: the rendering context and small ADF accessors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Node = dict[str, Any]

# Nesting deeper than this is rendered as flat text: Jira never produces it, and it keeps
# adversarial documents from exhausting the recursion limit.
MAX_DEPTH = 48


@dataclass(frozen=True)
class MarkdownContext:
    """What the converters need from the store to render references.

    ``user_name(id)`` resolves an ADF mention id (Cloud account id) or a DC username to a display
    name. ``media_link(attrs)`` turns an attachment reference into a link target: for ADF media it
    gets the node's ``attrs`` (``id``, ``collection``, ``alt``, ``url`` for external media); for wiki
    ``!file.png!`` / ``[^file.pdf]`` it gets ``{"type": "image" | "file", "filename": ..., "alt": ...}``.
    Either may return ``None`` (unknown), and the converters fall back to the text Jira stored.
    """

    user_name: Callable[[str], str | None] | None = None
    media_link: Callable[[dict[str, Any]], str | None] | None = None
    # Text of the placeholder rendered for extensions / macros Markdown cannot express.
    extension_label: str = "extension"

    def name_of(self, ident: str) -> str | None:
        return _safe_call(self.user_name, ident)

    def link_of(self, attrs: dict[str, Any]) -> str | None:
        return _safe_call(self.media_link, attrs)


def _safe_call(fn: Callable[[Any], str | None] | None, arg: Any) -> str | None:
    if fn is None:
        return None
    value = fn(arg)
    return value if isinstance(value, str) and value else None


DEFAULT_CONTEXT = MarkdownContext()


def attrs(node: Node) -> dict[str, Any]:
    value = node.get("attrs")
    return value if isinstance(value, dict) else {}


def children(node: Any) -> list[Node]:
    """The node's child nodes; anything malformed is skipped, never raised on."""
    if not isinstance(node, dict):
        return []
    content = node.get("content")
    if not isinstance(content, list):
        return []
    for child in content:
        if not isinstance(child, dict):
            return [c for c in content if isinstance(c, dict)]
    return content[:]  # all well-formed (the usual case): a copy, as callers may change theirs


def marks(node: Node) -> list[Node]:
    value = node.get("marks")
    if not isinstance(value, list):
        return []
    return [m for m in value if isinstance(m, dict) and isinstance(m.get("type"), str)]


def str_attr(node: Node, name: str) -> str:
    value = attrs(node).get(name)
    return value if isinstance(value, str) else ("" if value is None else str(value))


def date_text(timestamp: Any) -> str:
    """An ADF date (epoch milliseconds as a string) as an ISO date in UTC."""
    try:
        ms = int(float(str(timestamp)))
        return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date().isoformat()
    except (ValueError, OverflowError, OSError):
        return str(timestamp or "")


def mention_name(node: Node, ctx: MarkdownContext) -> str:
    ident = str_attr(node, "id")
    name = ctx.name_of(ident) if ident else None
    if name is None:
        name = str_attr(node, "text").lstrip("@") or ident or "unknown"
    return name


def emoji_text(node: Node) -> str:
    a = attrs(node)
    for key in ("text", "shortName"):
        value = a.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def card_url(node: Node) -> str:
    """The URL of an inline/block/embed card (``url`` attr, or JSON-LD ``data.url``)."""
    a = attrs(node)
    url = a.get("url")
    if isinstance(url, str) and url:
        return url
    data = a.get("data")
    if isinstance(data, dict):
        for key in ("url", "@id"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return ""


def card_title(node: Node) -> str:
    data = attrs(node).get("data")
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        return str(data["name"])
    return ""


def media_name(a: dict[str, Any]) -> str:
    for key in ("alt", "filename", "name", "url", "id"):
        value = a.get(key)
        if isinstance(value, str) and value:
            return value
    return "attachment"


def media_target(a: dict[str, Any], ctx: MarkdownContext) -> str | None:
    link = ctx.link_of(a)
    if link is None and isinstance(a.get("url"), str) and a["url"]:
        link = a["url"]
    return link


def extension_text(node: Node, ctx: MarkdownContext) -> str:
    a = attrs(node)
    key = a.get("extensionKey") or a.get("resourceId") or node.get("type") or "extension"
    label = f"[{ctx.extension_label}: {key}]"
    text = a.get("text")
    return f"{label} {text}" if isinstance(text, str) and text else label
