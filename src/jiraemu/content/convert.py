"""Conversions between the rich-text forms Jira speaks: ADF (Cloud v3), wiki markup (v2 and DC),
plain text (JQL ``text ~``, summaries) and rendered HTML (``expand=renderedFields``).

Every function accepts whatever a client sends and never raises on unknown nodes: an unknown node
contributes the text of its children. ``doc_*`` results are cached per ``Doc`` object, because
serializers convert the same shared pool documents for every issue of every search page.
"""

from __future__ import annotations

from typing import Any

from jiraemu.content._common import (
    Node,
    attrs,
    card_url,
    children,
    date_text,
    emoji_text,
    mention_text,
)
from jiraemu.content._from_wiki import wiki_to_adf as _wiki_to_adf
from jiraemu.content._html import blocks_html
from jiraemu.content._to_wiki import blocks_to_wiki
from jiraemu.state import Doc

ADF_ERROR = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"

BLOCK_TYPES = frozenset({
    "paragraph", "heading", "bulletList", "orderedList", "taskList", "decisionList", "codeBlock",
    "blockquote", "rule", "panel", "expand", "nestedExpand", "table", "mediaSingle", "mediaGroup",
    "blockCard", "embedCard", "layoutSection", "extension", "bodiedExtension", "syncBlock",
    "bodiedSyncBlock",
})
INNER_TYPES = frozenset({
    "listItem", "taskItem", "blockTaskItem", "decisionItem", "tableRow", "tableHeader", "tableCell",
    "layoutColumn", "media", "caption",
})
INLINE_TYPES = frozenset({
    "text", "hardBreak", "mention", "emoji", "status", "date", "inlineCard", "placeholder",
    "mediaInline", "inlineExtension",
})
NODE_TYPES = BLOCK_TYPES | INNER_TYPES | INLINE_TYPES | {"doc"}
MARK_TYPES = frozenset({
    "strong", "em", "code", "strike", "underline", "link", "subsup", "textColor", "backgroundColor",
    "alignment", "indentation", "breakout", "annotation", "border", "dataConsumer", "fragment", "fontSize",
})
REQUIRED_ATTRS: dict[str, tuple[str, ...]] = {
    "heading": ("level",), "panel": ("panelType",), "mention": ("id",), "emoji": ("shortName",),
    "status": ("text", "color"), "date": ("timestamp",), "placeholder": ("text",), "taskList": ("localId",),
    "taskItem": ("localId", "state"), "decisionList": ("localId",), "decisionItem": ("localId", "state"),
    "media": ("type",), "mediaInline": ("id", "collection"), "layoutColumn": ("width",),
    "embedCard": ("url", "layout"), "extension": ("extensionKey", "extensionType"),
    "bodiedExtension": ("extensionKey", "extensionType"), "inlineExtension": ("extensionKey", "extensionType"),
}
INLINE_PARENTS = frozenset({"paragraph", "heading", "taskItem", "decisionItem", "caption", "codeBlock"})
MAX_DEPTH = 64

# ------------------------------------------------------------------------------------ conversions


def adf_to_wiki(adf: Any) -> str:
    """ADF document -> wiki markup (as Jira Cloud serves ADF content on v2)."""
    return blocks_to_wiki(children(adf)) if isinstance(adf, dict) else ""


def wiki_to_adf(text: str | None) -> dict[str, Any]:
    """Wiki markup -> a valid ADF document."""
    return _wiki_to_adf(text or "")


def plain_to_adf(text: str | None) -> dict[str, Any]:
    """A plain string as ADF paragraphs: blank lines split paragraphs, single newlines are hard breaks."""
    paragraphs = []
    for chunk in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n\n"):
        content: list[Node] = []
        for line in chunk.split("\n"):
            if content:
                content.append({"type": "hardBreak"})
            if line:
                content.append({"type": "text", "text": line})
        while content and content[-1]["type"] == "hardBreak":
            content.pop()
        if content:
            paragraphs.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paragraphs}


def adf_text(adf: Any) -> str:
    """Plain text of an ADF document (blocks on separate lines), for JQL ``text ~`` and previews."""
    return _node_text(adf, 0) if isinstance(adf, dict) else ""


def wiki_text(wiki: str | None) -> str:
    """Plain text of wiki markup (markup removed)."""
    return adf_text(_wiki_to_adf(wiki)) if wiki else ""


def _inline_text(node: Node) -> str:
    kind = node.get("type")
    a = attrs(node)
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return mention_text(node)
    if kind == "emoji":
        return emoji_text(node)
    if kind == "status":
        return str(a.get("text", ""))
    if kind == "date":
        return date_text(a.get("timestamp"))
    if kind == "inlineCard":
        return card_url(node)
    if kind == "inlineExtension":
        return str(a.get("text", ""))
    return ""


def _node_text(node: Node, depth: int) -> str:
    kind = node.get("type")
    if kind in INLINE_TYPES:
        return _inline_text(node)
    if depth > MAX_DEPTH:
        return ""
    if kind in ("blockCard", "embedCard"):
        return card_url(node)
    parts = [_node_text(c, depth + 1) for c in children(node)]
    if kind in INLINE_PARENTS:
        return "".join(parts)
    if kind in ("expand", "nestedExpand") and attrs(node).get("title"):
        parts.insert(0, str(attrs(node)["title"]))
    return "\n".join(p for p in parts if p)


# ---------------------------------------------------------------------------------------- docs

_cache: dict[tuple[str, int], tuple[Doc, Any]] = {}
_CACHE_LIMIT = 200_000


def _cached(kind: str, doc: Doc, compute: Any) -> Any:
    key = (kind, id(doc))
    hit = _cache.get(key)
    if hit is not None and hit[0] is doc:
        return hit[1]
    value = compute()
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[key] = (doc, value)
    return value


def doc_as_adf(doc: Doc | None) -> dict[str, Any] | None:
    """The ADF form of a doc (converted from wiki on DC-born content). Never mutate the result."""
    if doc is None:
        return None
    if doc.adf is not None:
        return doc.adf
    return _cached("adf", doc, lambda: wiki_to_adf(doc.wiki))


def doc_as_wiki(doc: Doc | None) -> str | None:
    if doc is None:
        return None
    if doc.wiki is not None:
        return doc.wiki
    return _cached("wiki", doc, lambda: adf_to_wiki(doc.adf))


def doc_text(doc: Doc | None) -> str:
    if doc is None:
        return ""
    return _cached("text", doc, lambda: adf_text(doc.adf) if doc.adf is not None else wiki_text(doc.wiki))


def render_html(doc: Doc | None) -> str:
    """HTML as Jira's renderer returns it in ``renderedFields`` / ``renderedBody``."""
    if doc is None:
        return ""
    return _cached("html", doc, lambda: blocks_html(children(doc_as_adf(doc) or {})))


# ---------------------------------------------------------------------------------- validation


def is_valid_adf(obj: Any) -> list[str]:
    """Problems that make ``obj`` not an ADF document (empty when it is one)."""
    if not isinstance(obj, dict):
        return [f"{ADF_ERROR}: expected an object, got {type(obj).__name__}"]
    problems: list[str] = []
    if obj.get("type") != "doc":
        problems.append("root: type must be 'doc'")
    if obj.get("version") != 1:
        problems.append("root: version must be 1")
    content = obj.get("content")
    if not isinstance(content, list):
        problems.append("root: content must be an array")
        return problems
    for i, child in enumerate(content):
        if isinstance(child, dict) and child.get("type") in INLINE_TYPES | INNER_TYPES:
            problems.append(f"content[{i}]: '{child.get('type')}' is not allowed at the top level")
        _check(child, f"content[{i}]", 1, problems)
    return problems


def _check(node: Any, path: str, depth: int, problems: list[str]) -> None:
    if depth > MAX_DEPTH:
        problems.append(f"{path}: nested too deeply")
        return
    if not isinstance(node, dict):
        problems.append(f"{path}: node must be an object")
        return
    kind = node.get("type")
    if kind not in NODE_TYPES or kind == "doc":
        problems.append(f"{path}: unknown node type {kind!r}")
    if kind == "text" and not (isinstance(node.get("text"), str) and node["text"]):
        problems.append(f"{path}: text node needs a non-empty 'text'")
    if "attrs" in node and not isinstance(node["attrs"], dict):
        problems.append(f"{path}: attrs must be an object")
    missing = [a for a in REQUIRED_ATTRS.get(str(kind), ()) if a not in attrs(node)]
    if missing:
        problems.append(f"{path}: '{kind}' needs attrs {', '.join(missing)}")
    _check_marks(node, path, problems)
    content = node.get("content")
    if content is None:
        return
    if not isinstance(content, list):
        problems.append(f"{path}: content must be an array")
        return
    for i, child in enumerate(content):
        _check(child, f"{path}.content[{i}]", depth + 1, problems)
        if kind in INLINE_PARENTS and isinstance(child, dict) and child.get("type") not in INLINE_TYPES:
            problems.append(f"{path}.content[{i}]: '{child.get('type')}' is not inline content")


def _check_marks(node: Node, path: str, problems: list[str]) -> None:
    marks = node.get("marks")
    if marks is None:
        return
    if not isinstance(marks, list):
        problems.append(f"{path}: marks must be an array")
        return
    for i, mark in enumerate(marks):
        if not isinstance(mark, dict) or mark.get("type") not in MARK_TYPES:
            problems.append(f"{path}.marks[{i}]: unknown mark")
