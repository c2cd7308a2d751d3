"""ADF -> Jira wiki markup (for writing to Data Center, whose REST v2 takes wiki strings).

Wiki markup has no task lists, decisions, expands, ordered-list start numbers or nested blocks in
list items: tasks become ``* [x] text`` items (brackets escaped), decisions ``* *Decision:* text``,
an expand a bold title followed by its content, and a list item's further paragraphs are joined
with ``\\\\`` line breaks. Text is escaped where wiki markup would read it as formatting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jirasync.content._common import (
    DEFAULT_CONTEXT,
    MAX_DEPTH,
    Node,
    attrs,
    card_title,
    card_url,
    children,
    date_text,
    emoji_text,
    extension_text,
    marks,
    media_name,
    str_attr,
)
from jirasync.content._to_markdown import PANEL_LABELS

WIKI_PANELS = {"info": "info", "note": "note", "warning": "warning", "error": "warning", "tip": "tip",
               "success": "tip"}
MARK_ORDER = {"link": 0, "textColor": 1, "strike": 2, "strong": 3, "em": 4, "underline": 5, "subsup": 6,
              "code": 7}
_ESCAPE = re.compile(r"[\[\]{}|^~\\]|(?<![^\W_])[*_+\-]|[*_+\-](?![^\W_])|!(?=\S)")
_EMOTICON_START = re.compile(r"(?<![^\W_])(?=(?::[)(PD]|;\)|\((?:y|n|i|/|x|!|\+|-|\?|on|off|\*[rgby]?|flag|flagoff)\)))")
_LINE_START = re.compile(r"^(h[1-6]|bq)\.")


def adf_to_wiki(adf: dict[str, Any] | None) -> str:
    """Render an ADF document as Jira wiki markup."""
    if not isinstance(adf, dict):
        return ""
    return "\n\n".join(_blocks(children(adf), 0)).strip("\n")


def escape_wiki(text: str) -> str:
    text = _ESCAPE.sub(lambda m: "&#92;" if m.group(0) == "\\" else "\\" + m.group(0), text)
    text = re.sub(r"\?(?=\?)", r"\\?", text)
    return _EMOTICON_START.sub(r"\\", text)


def _blocks(nodes: list[Node], depth: int) -> list[str]:
    return [text for node in nodes if (text := _block(node, depth))]


def _block(node: Node, depth: int) -> str:
    kind = str(node.get("type"))
    if depth > MAX_DEPTH:
        return escape_wiki(" ".join(_plain(node).split()))
    render = BLOCK_RENDERERS.get(kind)
    if render is not None:
        return render(node, depth + 1)
    if kind in INLINE_KINDS:
        return _paragraph([node])
    inner = children(node)
    if inner:
        return "\n\n".join(_blocks(inner, depth + 1))
    return escape_wiki(str(node.get("text", ""))) if isinstance(node.get("text"), str) else ""


def _heading(node: Node, depth: int) -> str:
    try:
        level = min(6, max(1, int(attrs(node).get("level", 1))))
    except (TypeError, ValueError):
        level = 1
    return f"h{level}. " + _inline(children(node)).replace("\n", " ")


def _code(node: Node, depth: int) -> str:
    code = "".join(str(c.get("text", "")) for c in children(node))
    language = "".join(str_attr(node, "language").split()).replace("}", "").replace("|", "")
    tag = "noformat" if not language or "{code" in code else "code"
    head = f"{{code:{language}}}" if tag == "code" else "{noformat}"
    return f"{head}\n{code}\n{{{tag}}}"


def _expand(node: Node, depth: int) -> str:
    title = str_attr(node, "title")
    body = _blocks(children(node), depth)
    return "\n\n".join(([f"*{escape_wiki(title)}*"] if title.strip() else []) + body)


def _extension(node: Node, depth: int) -> str:
    label = escape_wiki(extension_text(node, DEFAULT_CONTEXT))
    return "\n\n".join([label, *_blocks(children(node), depth)])


def _media_block(node: Node, depth: int) -> str:
    single = node.get("type") == "mediaSingle"
    media = " ".join(_media(m, single) for m in children(node) if m.get("type") == "media")
    captions = [_paragraph(children(c)) for c in children(node) if c.get("type") == "caption"]
    return "\n\n".join(part for part in [media, *captions] if part)


BLOCK_RENDERERS: dict[str, Callable[[Node, int], str]] = {
    "paragraph": lambda node, depth: _paragraph(children(node)),
    "heading": _heading,
    "rule": lambda node, depth: "----",
    "codeBlock": _code,
    "blockquote": lambda node, depth: "{quote}\n" + "\n\n".join(_blocks(children(node), depth)) + "\n{quote}",
    "panel": lambda node, depth: _panel(node, depth),
    "expand": _expand,
    "nestedExpand": _expand,
    "bulletList": lambda node, depth: "\n".join(_list(node, "", depth)),
    "orderedList": lambda node, depth: "\n".join(_list(node, "", depth)),
    "taskList": lambda node, depth: "\n".join(_list(node, "", depth)),
    "decisionList": lambda node, depth: "\n".join(_list(node, "", depth)),
    "table": lambda node, depth: _table(node),
    "mediaSingle": _media_block,
    "mediaGroup": _media_block,
    "blockCard": lambda node, depth: _card(node),
    "embedCard": lambda node, depth: _card(node),
    "extension": _extension,
    "syncBlock": _extension,
    "bodiedExtension": _extension,
}


def _paragraph(inline: list[Node]) -> str:
    text = _inline(inline)
    lines = []
    for line in text.split("\n"):
        line = line.lstrip()
        if _LINE_START.match(line):
            line = line[:2] + "\\" + line[2:]
        elif line.startswith("#"):
            line = "\\" + line
        lines.append(line)
    return "\n".join(lines)


def _panel(node: Node, depth: int) -> str:
    kind = WIKI_PANELS.get(str_attr(node, "panelType"), "panel")
    title = str_attr(node, "title")
    params = f":title={title.replace('}', '').replace('|', '')}" if title else ""
    if kind == "panel" and not title and str_attr(node, "panelType") in PANEL_LABELS:
        params = f":title={PANEL_LABELS[str_attr(node, 'panelType')]}"
    body = "\n\n".join(_blocks(children(node), depth + 1))
    return f"{{{kind}{params}}}\n{body}\n{{{kind}}}"


def _list(node: Node, prefix: str, depth: int) -> list[str]:
    kind = node.get("type")
    marker = prefix + ("#" if kind == "orderedList" else "*")
    lines: list[str] = []
    for item in children(node):
        item_kind = item.get("type")
        if item_kind in ("bulletList", "orderedList", "taskList", "decisionList"):
            lines += _list(item, marker, depth + 1)
            continue
        if item_kind == "taskItem":
            done = str(attrs(item).get("state", "")).upper() == "DONE"
            lines.append(f"{marker} " + ("\\[x\\] " if done else "\\[ \\] ") + _item_text(children(item)))
            continue
        if item_kind == "decisionItem":
            lines.append(f"{marker} *Decision:* " + _item_text(children(item)))
            continue
        texts: list[str] = []
        later: list[str] = []
        for block in children(item):
            if block.get("type") in ("bulletList", "orderedList", "taskList", "decisionList"):
                later += _list(block, marker, depth + 1)
            elif block.get("type") in ("paragraph", "heading"):
                texts.append(_item_text(children(block)))
            else:
                later.append(_block(block, depth + 1))
        lines.append(f"{marker} " + " \\\\ ".join(t for t in texts if t))
        lines += later
    return lines


def _item_text(inline: list[Node]) -> str:
    return _inline(inline).replace("\n", " \\\\ ")


def _table(node: Node) -> str:
    rows = []
    for row in children(node):
        cells = []
        for cell in children(row):
            sep = "||" if cell.get("type") == "tableHeader" else "|"
            text = " \\\\ ".join(_cell_text(b) for b in children(cell))
            cells.append(f"{sep}{text or ' '}")
        if cells:
            rows.append("".join(cells) + ("||" if cells[-1].startswith("||") else "|"))
    return "\n".join(rows)


def _cell_text(block: Node, depth: int = 0) -> str:
    """A block on one line of a table cell (wiki cells cannot hold block markup)."""
    kind = block.get("type")
    if kind in ("paragraph", "heading"):
        return _item_text(children(block))
    if kind == "codeBlock":
        return "{{" + escape_wiki("".join(str(c.get("text", "")) for c in children(block))) + "}}"
    if kind in ("mediaSingle", "mediaGroup"):
        return _media_block(block, depth).replace("\n\n", " ")
    if kind in ("blockCard", "embedCard"):
        return _card(block)
    if depth > MAX_DEPTH or not children(block):
        return escape_wiki(" ".join(_plain(block).split()))
    if kind in ("bulletList", "orderedList"):
        return " \\\\ ".join("• " + " ".join(_cell_text(b, depth + 1) for b in children(i)) for i in children(block))
    title = str_attr(block, "title")
    parts = [f"*{escape_wiki(title)}*"] if title.strip() else []
    parts += [text for c in children(block) if (text := _cell_text(c, depth + 1))]
    return " \\\\ ".join(parts)


def _media(node: Node, image: bool) -> str:
    a = attrs(node)
    if a.get("type") == "external" and isinstance(a.get("url"), str):
        return f"!{a['url']}!"
    name = media_name(a).replace("!", "").replace("|", "").replace("]", "")
    return f"!{name}!" if image else f"[^{name}]"


def _card(node: Node) -> str:
    url = card_url(node).replace("|", "%7C").replace("]", "%5D")
    title = card_title(node)
    if not url:
        return escape_wiki(title)
    return f"[{escape_wiki(title)}|{url}]" if title else f"[{url}]"


INLINE_KINDS = frozenset({
    "text", "hardBreak", "mention", "emoji", "status", "date", "inlineCard", "placeholder",
    "mediaInline", "inlineExtension",
})


def _inline(nodes: list[Node]) -> str:
    out: list[str] = []
    for i, node in enumerate(nodes):
        kind = node.get("type")
        if kind == "text":
            out.append(_marked(node, nodes, i))
        elif kind == "hardBreak":
            out.append("\n")
        elif kind == "mention":
            ident = str_attr(node, "id")
            out.append(f"[~accountid:{ident}]" if ":" in ident or len(ident) > 24 else f"[~{ident}]")
        elif kind == "emoji":
            out.append(escape_wiki(emoji_text(node)))
        elif kind == "status":
            out.append(escape_wiki(f"[{str_attr(node, 'text')}]"))
        elif kind == "date":
            out.append(date_text(attrs(node).get("timestamp")))
        elif kind == "inlineCard":
            out.append(_card(node))
        elif kind == "placeholder":
            out.append(escape_wiki(str_attr(node, "text")))
        elif kind == "mediaInline":
            out.append(_media(node, attrs(node).get("type") == "image"))
        elif kind == "inlineExtension":
            out.append(escape_wiki(extension_text(node, DEFAULT_CONTEXT)))
        else:
            out.append(_inline(children(node)) or escape_wiki(str(node.get("text", "") or "")))
    return "".join(out)


def _marked(node: Node, siblings: list[Node], i: int) -> str:
    """One text node with its marks; brace forms where the mark touches a word character."""
    text = str(node.get("text", ""))
    kept = sorted((m for m in marks(node) if m["type"] in MARK_ORDER), key=lambda m: MARK_ORDER[m["type"]])
    if not kept or not text.strip():
        return escape_wiki(text)
    core = text.strip()
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    before = _neighbour(siblings, i, -1) if not lead else " "
    after = _neighbour(siblings, i, 1) if not trail else " "
    braces = before.isalnum() or after.isalnum()
    body = escape_wiki(core)
    for mark in reversed(kept):
        body = _wrap(mark, body, braces)
    return escape_wiki(lead) + body + escape_wiki(trail)


def _neighbour(siblings: list[Node], i: int, step: int) -> str:
    j = i + step
    if 0 <= j < len(siblings) and siblings[j].get("type") == "text":
        text = str(siblings[j].get("text", ""))
        return (text[-1:] if step < 0 else text[:1]) or " "
    return " "


def _wrap(mark: Node, body: str, braces: bool) -> str:
    kind = mark["type"]
    if kind == "code":
        return "{{" + body + "}}"
    if kind == "link":
        href = str(attrs(mark).get("href", "")).replace("|", "%7C").replace("]", "%5D")
        return f"[{href}]" if body == href and "://" in href else f"[{body}|{href}]"
    if kind == "textColor":
        color = str(attrs(mark).get("color", "")).replace("}", "")
        return f"{{color:{color}}}{body}{{color}}" if color else body
    char = {"strike": "-", "strong": "*", "em": "_", "underline": "+"}.get(kind)
    if kind == "subsup":
        char = "~" if attrs(mark).get("type") == "sub" else "^"
    if char is None:
        return body
    return f"{{{char}}}{body}{{{char}}}" if braces else f"{char}{body}{char}"


def _plain(node: Any) -> str:
    parts: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if isinstance(current.get("text"), str):
                parts.append(current["text"])
            stack.extend(reversed(children(current)))
    return " ".join(parts)
