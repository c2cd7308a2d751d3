"""ADF -> Jira wiki markup, the way Jira Cloud answers v2 reads of ADF content.

Text is escaped so that ``wiki_to_adf`` reads it back as the same words: marker characters are
escaped unless they sit between two letters/digits (where they cannot open or close a mark), and
marks next to word characters use Jira's braced form (``{*}bold{*}``).
"""

from __future__ import annotations

import re

from jiraemu.content._common import (
    EMOTICON_KEYS,
    EMOTICONS,
    PANEL_COLORS,
    Node,
    attrs,
    card_url,
    children,
    date_text,
    emoji_text,
    marks_of,
    media_name,
)

MARKERS = "*_-+^~"
EMOTICON_BY_NAME = {v[0]: k for k, v in EMOTICONS.items() if k != "(off)"}
ALWAYS_ESCAPE = "{}[]|"
ENTITY = re.compile(r"&#\d+;")
LINE_START = re.compile(r"^(\s*)(#|h[1-6]\.|bq\.)", re.MULTILINE)
SIMPLE_MARKS = {"strong": "*", "em": "_", "strike": "-", "underline": "+"}


def _escape(text: str) -> str:
    out: list[str] = []
    n = len(text)
    for i, ch in enumerate(text):
        prev = text[i - 1] if i else ""
        nxt = text[i + 1] if i + 1 < n else ""
        if ch == "\\":
            out.append("&#92;" if nxt == "" or nxt in "\\" + MARKERS + ALWAYS_ESCAPE + "!?(:;&.#" else "\\")
        elif ch == "&" and (nxt == "" or ENTITY.match(text, i)):
            out.append("&#38;")
        elif _needs_escape(text, i, prev, nxt):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _needs_escape(text: str, i: int, prev: str, nxt: str) -> bool:
    ch = text[i]
    if ch in ALWAYS_ESCAPE or (ch in MARKERS and not (prev.isalnum() and nxt.isalnum())):
        return True
    # at the end of a text node the next node may complete an image, a citation or an emoticon
    if (ch == "!" and not nxt.isspace()) or (ch == "?" and nxt in ("?", "")):
        return True
    return ch in "(:;" and (nxt == "" or any(text.startswith(k, i) for k in EMOTICON_KEYS))


def _code_text(text: str) -> str:
    return re.sub(r"([\\{}\[\]|])", r"\\\1", text).replace("\n", " ")


class _Inline:
    """Renders a run of inline nodes; ``single_line`` contexts write hard breaks as ``\\\\``."""

    def __init__(self, single_line: bool) -> None:
        self.br = " \\\\ " if single_line else "\n"

    def run(self, nodes: list[Node]) -> str:
        out: list[str] = []
        for i, node in enumerate(nodes):
            prev = _edge(nodes[i - 1], last=True) if i else ""
            nxt = _edge(nodes[i + 1], last=False) if i + 1 < len(nodes) else ""
            out.append(self.node(node, prev, nxt))
        return "".join(out)

    def node(self, node: Node, prev: str, nxt: str) -> str:
        kind = node.get("type")
        if kind == "text":
            return self.text(str(node.get("text", "")), marks_of(node), prev, nxt)
        if kind == "hardBreak":
            return self.br
        if kind == "mention":
            ident = str(attrs(node).get("id", ""))
            return f"[~accountid:{ident}]" if ":" in ident or len(ident) > 20 else f"[~{ident}]"
        if kind == "emoji":
            key = EMOTICON_BY_NAME.get(str(attrs(node).get("shortName", "")))
            if key and attrs(node).get("text") and not (key[0] in ":;" and nxt.isalnum()):
                return key
            return _escape(emoji_text(node))
        if kind == "status":
            return self.text(str(attrs(node).get("text", "")), [{"type": "strong"}], prev, nxt)
        if kind == "date":
            return date_text(attrs(node).get("timestamp"))
        if kind == "inlineCard":
            url = card_url(node)
            return f"[{_escape(url)}|{_href(url)}|smart-link]" if url else ""
        if kind == "mediaInline":
            return f"[^{_href(media_name(node))}]"
        if kind == "inlineExtension":
            return _escape(str(attrs(node).get("text", "")))
        if kind == "placeholder":
            return ""
        return self.run(children(node))

    def text(self, text: str, marks: list[Node], prev: str, nxt: str) -> str:
        core = text.strip()
        if not core:
            return self.br.join(_escape(part) for part in text.split("\n"))
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
        types = {m.get("type") for m in marks}
        if "code" in types:
            body = "{{" + _code_text(core) + "}}"
        else:
            body = self.br.join(_escape(part) for part in core.split("\n"))
        braced = (not lead and prev.isalnum()) or (not trail and nxt.isalnum())
        body = _wrap_marks(body, marks, braced)
        return _escape_ws(lead) + body + _escape_ws(trail)


def _escape_ws(ws: str) -> str:
    return ws.replace("\n", " ")


def _wrap_marks(body: str, marks: list[Node], braced: bool) -> str:
    by_type = {m.get("type"): m for m in marks}
    braced = braced or "link" in by_type  # "[~x~|url]" would read as a mention
    sub = by_type.get("subsup")
    if sub is not None:
        ch = "~" if attrs(sub).get("type") == "sub" else "^"
        body = _marker(ch, body, braced)
    for kind in ("strike", "underline", "em", "strong"):
        if kind in by_type:
            body = _marker(SIMPLE_MARKS[kind], body, braced)
    color = by_type.get("textColor")
    if color is not None:
        body = f"{{color:{attrs(color).get('color', '#000000')}}}{body}{{color}}"
    link = by_type.get("link")
    if link is not None:
        body = f"[{body}|{_href(str(attrs(link).get('href', '')))}]"
    return body


def _marker(ch: str, body: str, braced: bool) -> str:
    return f"{{{ch}}}{body}{{{ch}}}" if braced else f"{ch}{body}{ch}"


def _href(url: str) -> str:
    return url.replace("|", "%7C").replace("]", "%5D").replace("[", "%5B").replace(" ", "%20").replace("\n", "")


def _edge(node: Node, last: bool) -> str:
    if node.get("type") != "text":
        return "a"  # other nodes may render with word characters at their edges: use braced marks
    text = str(node.get("text", ""))
    return (text[-1:] if last else text[:1]) or " "


# ---------------------------------------------------------------------------------------- blocks


def _inline(nodes: list[Node], single_line: bool = False) -> str:
    text = _Inline(single_line).run(nodes)
    return LINE_START.sub(lambda mt: mt.group(1) + "\\" + mt.group(2), text)


def _list_lines(node: Node, prefix: str) -> list[str]:
    ch = "#" if node.get("type") == "orderedList" else "*"
    lines: list[str] = []
    for item in children(node):
        if item.get("type") in ("taskList", "bulletList", "orderedList"):
            lines += _list_lines(item, prefix + ch)
            continue
        if item.get("type") in ("taskItem", "decisionItem"):
            lines.append(f"{prefix}{ch} {_inline(children(item), True)}")
            continue
        started = False
        for block in children(item):
            kind = block.get("type")
            if kind in ("bulletList", "orderedList", "taskList"):
                lines += _list_lines(block, prefix + ch)
            elif kind == "paragraph" and not started:
                lines.append(f"{prefix}{ch} {_inline(children(block), True)}")
                started = True
            elif kind == "paragraph":
                lines[-1] += " \\\\ " + _inline(children(block), True)
            else:
                if not started:
                    lines.append(f"{prefix}{ch} ")
                    started = True
                lines.append(block_to_wiki(block))
    return lines


def _table(node: Node) -> str:
    lines = []
    for row in children(node):
        parts = []
        for cell in children(row):
            sep = "||" if cell.get("type") == "tableHeader" else "|"
            parts.append(sep + (_cell(cell) or " "))
        last = "||" if children(row) and children(row)[-1].get("type") == "tableHeader" else "|"
        lines.append("".join(parts) + last)
    return "\n".join(lines)


def _cell(cell: Node) -> str:
    parts = []
    for block in children(cell):
        if block.get("type") in ("paragraph", "heading"):
            parts.append(_inline(children(block), True))
        else:
            parts.append(" \\\\ ".join(_flat_lines(block)))
    return " \\\\ ".join(p for p in parts if p)


def _flat_lines(block: Node) -> list[str]:
    """Any block as single-line inline wiki pieces (for table cells)."""
    if block.get("type") == "codeBlock":
        text = "".join(str(c.get("text", "")) for c in children(block))
        return ["{{" + _code_text(text) + "}}"] if text.strip() else []
    if block.get("type") in ("paragraph", "heading", "taskItem", "decisionItem", "caption"):
        text = _inline(children(block), True)
        return [text] if text else []
    if block.get("type") in ("media", "mediaSingle", "mediaGroup"):
        return [_media(block).replace("\n", " \\\\ ")]
    out: list[str] = []
    title = attrs(block).get("title") if block.get("type") in ("expand", "nestedExpand") else None
    if isinstance(title, str) and title.strip():
        out.append(_inline([{"type": "text", "text": title, "marks": [{"type": "strong"}]}], True))
    for child in children(block):
        out += _flat_lines(child)
    return out


def _media(node: Node) -> str:
    if node.get("type") == "media":
        name = media_name(node)
        return f"!{_href(name)}!" if name else ""
    parts = []
    for child in children(node):
        if child.get("type") == "media":
            name = media_name(child)
            suffix = "|thumbnail" if node.get("type") == "mediaGroup" else ""
            parts.append(f"!{_href(name)}{suffix}!" if name else "")
        elif child.get("type") == "caption":
            parts.append(_inline(children(child)))
    return "\n".join(p for p in parts if p)


def _code(node: Node) -> str:
    text = "".join(str(c.get("text", "")) for c in children(node))
    lang = attrs(node).get("language")
    if lang and "{code}" not in text:
        return f"{{code:{lang}}}\n{text}\n{{code}}"
    return f"{{noformat}}\n{text}\n{{noformat}}"


def _panel(node: Node) -> str:
    a = attrs(node)
    kind = a.get("panelType", "info")
    color = a.get("panelColor") if kind == "custom" else PANEL_COLORS.get(str(kind), "#deebff")
    return f"{{panel:bgColor={color or '#deebff'}}}\n{blocks_to_wiki(children(node))}\n{{panel}}"


def _container(node: Node) -> str:
    return blocks_to_wiki(children(node))


def _expand(node: Node) -> str:
    title = str(attrs(node).get("title", "") or "")
    if node.get("type") == "nestedExpand":
        head = _inline([{"type": "text", "text": title, "marks": [{"type": "strong"}]}]) if title.strip() else ""
        return "\n\n".join(p for p in (head, blocks_to_wiki(children(node))) if p)
    return f"{{expand:{_code_text(title)}}}\n{blocks_to_wiki(children(node))}\n{{expand}}"


def _card(node: Node) -> str:
    url = card_url(node)
    kind = "smart-embed" if node.get("type") == "embedCard" else "smart-card"
    return f"[{_escape(url)}|{_href(url)}|{kind}]" if url else ""


def block_to_wiki(node: Node) -> str:
    kind = node.get("type")
    if kind == "paragraph":
        return _inline(children(node))
    if kind == "heading":
        level = attrs(node).get("level", 1)
        level = level if isinstance(level, int) and 1 <= level <= 6 else 1
        return f"h{level}. {_inline(children(node), True)}"
    if kind in ("bulletList", "orderedList", "taskList", "decisionList"):
        return "\n".join(_list_lines(node, ""))
    if kind == "codeBlock":
        return _code(node)
    if kind == "blockquote":
        return f"{{quote}}\n{blocks_to_wiki(children(node))}\n{{quote}}"
    if kind == "rule":
        return "----"
    if kind == "panel":
        return _panel(node)
    if kind in ("expand", "nestedExpand"):
        return _expand(node)
    if kind == "table":
        return _table(node)
    if kind in ("mediaSingle", "mediaGroup", "media"):
        return _media(node)
    if kind in ("blockCard", "embedCard"):
        return _card(node)
    if kind in ("extension", "syncBlock"):
        return ""
    if kind in ("text", "mention", "emoji", "status", "date", "inlineCard", "hardBreak", "mediaInline",
                "inlineExtension", "placeholder"):
        return _inline([node])
    return _container(node)


def blocks_to_wiki(nodes: list[Node]) -> str:
    return "\n\n".join(p for p in (block_to_wiki(n) for n in nodes) if p.strip())
