"""Jira wiki markup -> ADF: a line-oriented block parser and a recursive inline parser.

Covers what people and connectors write: headings, paragraphs, ``*bold* _em_ -strike- +under+
^sup^ ~sub~ ??cite?? {{mono}}`` (also the braced ``{*}x{*}`` form), ``{color}``, links, mentions,
attachments and images, emoticons, ``\\\\`` line breaks, lists (``* # -``, nested and mixed),
tables, ``{code}``, ``{noformat}``, ``{quote}``, ``bq.``, ``{panel}`` and the admonition macros,
``{expand}``, ``----``. Whatever is not recognised stays text. The result is always valid ADF.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable

from jiraemu.content._common import (
    EMOTICON_KEYS,
    EMOTICONS,
    NAMED_COLORS,
    PANEL_BY_COLOR,
    PANEL_MACROS,
    Node,
    children,
)

ESCAPABLE = set("\\*_-+^~{}[]|!?(:;&.#")
SIMPLE = {"*": "strong", "_": "em", "-": "strike", "+": "underline", "^": "sup", "~": "sub"}
CODE_ALLOWED = {"code", "link", "annotation"}
HEADING = re.compile(r"^\s*h([1-6])\.\s*(.*)$")
LIST_ITEM = re.compile(r"^\s*([*#]+|-)(?:\s+(.*))?$")
RULE = re.compile(r"^\s*-{4,}\s*$")
MACRO = re.compile(r"^\s*\{(code|noformat|quote|panel|expand|info|note|tip|warning|error)(?::((?:\\.|[^}\\])*))?\}(.*)$")
ENTITY = re.compile(r"&#(\d{1,7});")
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
SHORT_HEX = re.compile(r"^#([0-9a-fA-F])([0-9a-fA-F])([0-9a-fA-F])$")

# ------------------------------------------------------------------------------------------ inline


def _mark(kind: str) -> Node:
    if kind in ("sub", "sup"):
        return {"type": "subsup", "attrs": {"type": kind}}
    return {"type": kind}


def _with(marks: tuple[Node, ...], mark: Node) -> tuple[Node, ...]:
    return (*(m for m in marks if m["type"] != mark["type"]), mark)


class _InlineParser:
    """Closers are looked up in per-token position indexes (bisect), so parsing stays near-linear
    even for text full of unmatched openers."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.escaped = bytearray(len(s) + 1)  # positions taken literally after a backslash
        j = 0
        while j < len(s):
            if s[j] == "\\":
                self.escaped[j + 1] = 1
                j += 2
            else:
                j += 1
        self.newlines = [m.start() for m in re.finditer("\n", s)]
        self.positions: dict[str, list[int]] = {}
        self.closers: dict[str, list[int]] = {}

    def token_positions(self, token: str) -> list[int]:
        found = self.positions.get(token)
        if found is None:
            pattern = re.compile("(?=" + re.escape(token) + ")")
            found = [m.start() for m in pattern.finditer(self.s) if not self.escaped[m.start()]]
            self.positions[token] = found
        return found

    def valid_closers(self, token: str) -> list[int]:
        """Positions where ``token`` can close a simple mark: after a non-space, before a non-word char."""
        found = self.closers.get(token)
        if found is None:
            s, n = self.s, len(token)
            found = [c for c in self.token_positions(token)
                     if c > 0 and not s[c - 1].isspace() and (c + n >= len(s) or not s[c + n].isalnum())]
            self.closers[token] = found
        return found

    def line_end(self, start: int) -> int:
        k = bisect_left(self.newlines, start)
        return self.newlines[k] if k < len(self.newlines) else len(self.s)

    def parse(self, start: int, end: int, marks: tuple[Node, ...]) -> list[Node]:
        out: list[Node] = []
        buf: list[str] = []
        s = self.s
        i = start

        def flush() -> None:
            if buf:
                _add_text(out, "".join(buf), marks)
                buf.clear()

        while i < end:
            ch = s[i]
            if ch == "\\":
                if s.startswith("\\\\", i) and i + 1 < end:
                    flush()
                    out.append({"type": "hardBreak"})
                    i += 2
                    continue
                if i + 1 < end and s[i + 1] in ESCAPABLE:
                    buf.append(s[i + 1])
                    i += 2
                    continue
            elif ch == "\n":
                flush()
                out.append({"type": "hardBreak"})
                i += 1
                continue
            elif ch == "&":
                mt = ENTITY.match(s, i, end)
                if mt and int(mt.group(1)) <= 0x10FFFF and not 0xD800 <= int(mt.group(1)) <= 0xDFFF:
                    buf.append(chr(int(mt.group(1))))
                    i = mt.end()
                    continue
            else:
                got = self.construct(i, end, marks)
                if got is not None:
                    flush()
                    nodes, i = got
                    out.extend(nodes)
                    continue
            buf.append(ch)
            i += 1
        flush()
        return out

    def construct(self, i: int, end: int, marks: tuple[Node, ...]) -> tuple[list[Node], int] | None:
        ch = self.s[i]
        if ch == "{":
            return self.brace(i, end, marks)
        if ch == "[":
            return self.link(i, end, marks)
        if ch == "!":
            return self.image(i, end)
        if ch in "(:;":
            return self.emoticon(i, end)
        if ch in SIMPLE or (ch == "?" and self.s.startswith("??", i)):
            return self.simple(i, end, marks)
        return None

    def find(self, token: str, start: int, end: int, one_line: bool = False) -> int:
        """Index of the next unescaped ``token`` in [start, end) (on the same line if ``one_line``), or -1."""
        positions = self.token_positions(token)
        k = bisect_left(positions, start)
        if k == len(positions):
            return -1
        limit = min(end, self.line_end(start)) if one_line else end
        return positions[k] if positions[k] + len(token) <= limit else -1

    def brace(self, i: int, end: int, marks: tuple[Node, ...]) -> tuple[list[Node], int] | None:
        s = self.s
        if s.startswith("{{", i):
            close = self.find("}}", i + 2, end)
            if close > i + 2:
                text = re.sub(r"\\(.)", r"\1", s[i + 2 : close], flags=re.S)
                code_marks = tuple(m for m in marks if m["type"] in CODE_ALLOWED)
                return _text_nodes(text, _with(code_marks, {"type": "code"})), close + 2
            return None
        mt = re.compile(r"\{color(?::([^}]*))?\}").match(s, i, end)
        if mt:
            close = self.find("{color}", mt.end(), end)
            if close >= 0:
                color = _color(mt.group(1) or "")
                inner = _with(marks, {"type": "textColor", "attrs": {"color": color}}) if color else marks
                return self.parse(mt.end(), close, inner), close + len("{color}")
            return None
        for token, kind in (("{??}", "em"), *((f"{{{c}}}", k) for c, k in SIMPLE.items())):
            if s.startswith(token, i):
                close = self.find(token, i + len(token), end)
                if close > i + len(token):
                    return self.parse(i + len(token), close, _with(marks, _mark(kind))), close + len(token)
                return None
        return None

    def simple(self, i: int, end: int, marks: tuple[Node, ...]) -> tuple[list[Node], int] | None:
        s = self.s
        token = "??" if s.startswith("??", i) else s[i]
        kind = "em" if token == "??" else SIMPLE[token]
        after = i + len(token)
        if (i > 0 and s[i - 1].isalnum()) or after >= end or s[after].isspace():
            return None
        limit = min(end, self.line_end(after))
        closers = self.valid_closers(token)
        k = bisect_left(closers, after + 1)
        close = closers[k] if k < len(closers) and closers[k] + len(token) <= limit else -1
        edge = limit - len(token)  # a closer right at the end of the parsed span needs no non-word after it
        if close < 0 and limit == end and edge > after and not self.escaped[edge] and not s[edge - 1].isspace() \
                and s.startswith(token, edge):
            close = edge
        if close < 0:
            return None
        return self.parse(after, close, _with(marks, _mark(kind))), close + len(token)

    def link(self, i: int, end: int, marks: tuple[Node, ...]) -> tuple[list[Node], int] | None:
        close = self.find("]", i + 1, end, one_line=True)
        if close < 0:
            return None
        body = self.s[i + 1 : close]
        bar = self.find("|", i + 1, close)
        if body.startswith("~") and bar < 0:
            ident = body[1:].removeprefix("accountid:")
            return ([{"type": "mention", "attrs": {"id": ident}}] if ident else []), close + 1
        if body.startswith("^") and bar < 0:
            name = body[1:] or "attachment"
            return [{"type": "mediaInline", "attrs": {"type": "file", "id": name, "collection": "", "alt": name}}], close + 1
        if bar < 0:
            if not _looks_like_url(body):
                return None
            return _text_nodes(body, _with(marks, _link(body))), close + 1
        rest = self.s[bar + 1 : close]
        url, _, kind = rest.partition("|")
        if kind in ("smart-link", "smart-card", "smart-embed"):
            return [{"type": "inlineCard", "attrs": {"url": url}}], close + 1
        return self.parse(i + 1, bar, _with(marks, _link(url))), close + 1

    def image(self, i: int, end: int) -> tuple[list[Node], int] | None:
        close = self.find("!", i + 1, end, one_line=True)
        if close <= i + 1 or self.s[i + 1].isspace():
            return None
        name = self.s[i + 1 : close].split("|", 1)[0].strip()
        if not name or ("." not in name and "://" not in name):
            return None
        return [_media_inline(name)], close + 1

    def emoticon(self, i: int, end: int) -> tuple[list[Node], int] | None:
        for key in EMOTICON_KEYS:
            after = i + len(key)
            if self.s.startswith(key, i) and after <= end:
                if key[0] in ":;" and after < end and self.s[after].isalnum():
                    continue  # "Note:Please" is no emoticon
                short, ident, text = EMOTICONS[key]
                return [{"type": "emoji", "attrs": {"shortName": short, "id": ident, "text": text}}], after
        return None


def _looks_like_url(text: str) -> bool:
    return "://" in text or text.startswith(("mailto:", "file:", "www."))


def _link(url: str) -> Node:
    return {"type": "link", "attrs": {"href": url}}


def _media_inline(name: str) -> Node:
    return {"type": "mediaInline", "attrs": {"type": "image", "id": name, "collection": "", "alt": name}}


def _color(value: str) -> str | None:
    value = value.strip().lower()
    value = NAMED_COLORS.get(value, value)
    short = SHORT_HEX.match(value)
    if short:
        value = "#" + "".join(c * 2 for c in short.groups())
    return value if HEX.match(value) else None


def _text_nodes(text: str, marks: tuple[Node, ...]) -> list[Node]:
    out: list[Node] = []
    _add_text(out, text, marks)
    return out


def _add_text(out: list[Node], text: str, marks: tuple[Node, ...]) -> None:
    if not text:
        return
    prev = out[-1] if out else None
    if prev is not None and prev["type"] == "text" and prev.get("marks", []) == list(marks):
        prev["text"] += text
        return
    node: Node = {"type": "text", "text": text}
    if marks:
        node["marks"] = list(marks)
    out.append(node)


def parse_inline(text: str) -> list[Node]:
    nodes = _InlineParser(text).parse(0, len(text), ())
    while nodes and nodes[-1]["type"] == "hardBreak":
        nodes.pop()
    return nodes


# ------------------------------------------------------------------------------------------ blocks

BLOCK_START = (HEADING, LIST_ITEM, RULE, MACRO)


def _paragraph(text: str) -> Node:
    return {"type": "paragraph", "content": parse_inline(text.strip())}


def _media_block(nodes: list[Node]) -> Node | None:
    """A paragraph made only of images becomes a mediaSingle (or a mediaGroup of several)."""
    media = [n for n in nodes if n["type"] != "hardBreak" and not (n["type"] == "text" and not n["text"].strip())]
    if not media or any(n["type"] != "mediaInline" or n["attrs"].get("type") != "image" for n in media):
        return None
    items = [_media(n["attrs"]["id"]) for n in media]
    if len(items) == 1:
        return {"type": "mediaSingle", "attrs": {"layout": "center"}, "content": items}
    return {"type": "mediaGroup", "content": items}


def _media(name: str) -> Node:
    if "://" in name:
        return {"type": "media", "attrs": {"type": "external", "url": name}}
    return {"type": "media", "attrs": {"type": "file", "id": name, "collection": "", "alt": name}}


def _inline_block(text: str) -> Node | None:
    para = _paragraph(text)
    content = para["content"]
    if not content:
        return None
    media = _media_block(content)
    if media is not None:
        return media
    if len(content) == 1 and content[0]["type"] == "inlineCard":
        kind = text.strip().rsplit("|", 1)[-1].rstrip("]")
        url = content[0]["attrs"]["url"]
        if kind == "smart-card":
            return {"type": "blockCard", "attrs": {"url": url}}
        if kind == "smart-embed":
            return {"type": "embedCard", "attrs": {"url": url, "layout": "center"}}
    return para


class _BlockParser:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.i = 0

    def parse(self, stop: str | None = None) -> list[Node]:
        blocks: list[Node] = []
        para: list[str] = []

        def flush() -> None:
            if para:
                node = _inline_block("\n".join(para))
                if node is not None:
                    blocks.append(node)
                para.clear()

        while self.i < len(self.lines):
            line = self.lines[self.i]
            if stop is not None and line.strip().startswith(stop):
                flush()
                self.i += 1
                rest = line.strip()[len(stop):]
                if rest.strip():
                    self.lines.insert(self.i, rest)
                return blocks
            if stop is not None and stop in line:
                before, _, after = line.partition(stop)
                self.lines[self.i] = before
                self.lines.insert(self.i + 1, stop + after)
                continue
            block = self.block(line)
            if block is None:
                if line.strip():
                    para.append(line)
                else:
                    flush()
                self.i += 1
                continue
            flush()
            blocks.extend(block)
        flush()
        return blocks

    def block(self, line: str) -> list[Node] | None:
        if RULE.match(line):
            self.i += 1
            return [{"type": "rule"}]
        mt = HEADING.match(line)
        if mt:
            self.i += 1
            return [{"type": "heading", "attrs": {"level": int(mt.group(1))}, "content": parse_inline(mt.group(2).strip())}]
        if line.lstrip().startswith("bq. "):
            self.i += 1
            return [{"type": "blockquote", "content": [_paragraph(line.lstrip()[4:])]}]
        if LIST_ITEM.match(line) and not RULE.match(line):
            return [self.list_block()]
        if line.lstrip().startswith("|"):
            return [self.table()]
        mt = MACRO.match(line)
        if mt:
            return self.macro(mt.group(1), mt.group(2) or "", mt.group(3))
        return None

    def list_block(self) -> Node:
        items: list[tuple[str, str]] = []
        while self.i < len(self.lines):
            mt = LIST_ITEM.match(self.lines[self.i])
            if not mt or RULE.match(self.lines[self.i]):
                break
            items.append((mt.group(1).replace("-", "*"), mt.group(2) or ""))
            self.i += 1
        return _build_list(items, 0)

    def table(self) -> Node:
        rows: list[Node] = []
        while self.i < len(self.lines) and self.lines[self.i].lstrip().startswith("|"):
            rows.append(_row(self.lines[self.i].strip()))
            self.i += 1
        return {"type": "table", "attrs": {"isNumberColumnEnabled": False, "layout": "default"}, "content": rows}

    def macro(self, name: str, params: str, rest: str) -> list[Node]:
        self.i += 1
        close = "{" + name + "}"
        if name in ("code", "noformat"):
            return [self.code(name, params, rest, close)]
        if rest.strip():
            self.lines.insert(self.i, rest)
        inner = self.parse(stop=close)
        if name == "quote":
            return [{"type": "blockquote", "content": _fit(inner, QUOTE_OK) or [_empty_p()]}]
        if name == "expand":
            title = re.sub(r"\\(.)", r"\1", params, flags=re.S)
            content = _fit(inner, EXPAND_OK) or [_empty_p()]
            return [{"type": "expand", "attrs": {"title": title}, "content": content}]
        return [_panel(name, params, inner)]

    def code(self, name: str, params: str, rest: str, close: str) -> Node:
        body: list[str] = []
        first = rest
        while True:
            if close in first:
                body.append(first.split(close, 1)[0])
                after = first.split(close, 1)[1]
                if after.strip():
                    self.lines.insert(self.i, after)
                break
            body.append(first)
            if self.i >= len(self.lines):
                break
            first = self.lines[self.i]
            self.i += 1
        if body and not body[0].strip():
            body = body[1:]
        if body and not body[-1].strip():
            body = body[:-1]
        text = "\n".join(body)
        node: Node = {"type": "codeBlock", "content": [{"type": "text", "text": text}] if text else []}
        lang = params.split("|", 1)[0].strip()
        if name == "code" and lang and "=" not in lang:
            node["attrs"] = {"language": lang}
        return node


def _empty_p() -> Node:
    return {"type": "paragraph", "content": []}


def _panel(name: str, params: str, inner: list[Node]) -> Node:
    options = dict(p.split("=", 1) for p in params.split("|") if "=" in p)
    title = options.get("title", "")
    if name == "panel":
        color = (options.get("bgColor") or "").lower()
        kind = PANEL_BY_COLOR.get(color, "info")
        attrs: Node = {"panelType": kind}
        if color and kind == "info" and color != "#deebff" and HEX.match(color):
            attrs = {"panelType": "custom", "panelColor": color}
    else:
        attrs = {"panelType": PANEL_MACROS.get(name, "info")}
    content = _fit(inner, PANEL_OK)
    if title:
        content.insert(0, {"type": "paragraph", "content": _text_nodes(title, ({"type": "strong"},))})
    return {"type": "panel", "attrs": attrs, "content": content or [_empty_p()]}


def _build_list(items: list[tuple[str, str]], depth: int) -> Node:
    kind = "orderedList" if items[0][0][depth:depth + 1] == "#" else "bulletList"
    out: list[Node] = []
    i = 0
    while i < len(items):
        prefix, text = items[i]
        j = i + 1
        while j < len(items) and len(items[j][0]) > depth + 1:
            j += 1
        item_content: list[Node] = []
        if len(prefix) == depth + 1:
            item_content.append(_paragraph(text))
            nested = items[i + 1 : j]
        else:
            nested = items[i:j]
        if nested:
            item_content.extend(_nested_lists(nested, depth + 1))
        out.append({"type": "listItem", "content": item_content})
        i = j
    return {"type": kind, "content": out}


def _nested_lists(items: list[tuple[str, str]], depth: int) -> list[Node]:
    """Split runs where the marker at ``depth`` changes (``#*`` then ``##``) into separate lists."""
    lists: list[Node] = []
    run: list[tuple[str, str]] = []
    for item in items:
        if run and item[0][depth:depth + 1] != run[0][0][depth:depth + 1] and len(item[0]) == depth + 1:
            lists.append(_build_list(run, depth))
            run = []
        run.append(item)
    if run:
        lists.append(_build_list(run, depth))
    return lists


def _split_cells(line: str) -> list[tuple[bool, str]]:
    cells: list[tuple[bool, str]] = []
    depth = 0
    i = 0
    start = -1
    header = False
    while i < len(line):
        ch = line[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}" and depth:
            depth -= 1
        elif ch == "|" and depth == 0:
            if start >= 0:
                cells.append((header, line[start:i]))
            header = line.startswith("||", i)
            i += 2 if header else 1
            start = i
            continue
        i += 1
    if start >= 0 and line[start:].strip():
        cells.append((header, line[start:]))
    return cells


def _row(line: str) -> Node:
    cells = []
    for header, text in _split_cells(line):
        para = _paragraph(text)
        cells.append({"type": "tableHeader" if header else "tableCell", "content": [para]})
    return {"type": "tableRow", "content": cells}


# ------------------------------------------------------------------------------ container fitting

QUOTE_OK = {"paragraph", "orderedList", "bulletList", "codeBlock", "mediaSingle", "mediaGroup"}
PANEL_OK = {"paragraph", "heading", "bulletList", "orderedList", "blockCard", "mediaGroup", "mediaSingle",
            "codeBlock", "taskList", "rule", "decisionList"}
EXPAND_OK = PANEL_OK | {"panel", "blockquote", "table", "embedCard"}


def _fit(blocks: Iterable[Node], allowed: set[str]) -> list[Node]:
    """Keep blocks a container may hold; unwrap the others into their content (headings -> paragraphs)."""
    out: list[Node] = []
    for block in blocks:
        kind = block["type"]
        if kind in allowed:
            out.append(block)
        elif kind == "heading":
            out.append({"type": "paragraph", "content": block.get("content", [])})
        elif kind == "expand":
            title = block.get("attrs", {}).get("title", "")
            if title:
                out.append({"type": "paragraph", "content": _text_nodes(title, ({"type": "strong"},))})
            out += _fit(children(block), allowed)
        elif kind in ("table", "tableRow", "tableCell", "tableHeader", "panel", "blockquote"):
            out += _fit(children(block), allowed)
        elif kind in ("embedCard", "blockCard") and "paragraph" in allowed:
            out.append({"type": "paragraph", "content": [{"type": "inlineCard", "attrs": block["attrs"]}]})
    return out


def wiki_to_adf(text: str) -> Node:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return {"type": "doc", "version": 1, "content": _BlockParser(lines).parse()}
