"""Jira wiki markup (Server / Data Center, REST v2) -> an ADF-shaped tree.

The tree is rendered by the same code as Cloud's ADF, so both flavours produce the same Markdown
for the same content. It uses ADF node and mark names, plus two attributes ADF lacks: a panel's
``title`` and a media node's ``filename`` (what ``MarkdownContext.media_link`` resolves).

The parser is linear in the input: block macros are paired through a table of tag positions, and
inline closers are looked up with cached forward searches, so unbalanced markup costs no rescans.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from jirasync.content._common import Node

BLOCK_MACROS = ("code", "noformat", "quote", "panel", "info", "warning", "note", "tip")
_MACRO_TAG = re.compile(r"(?<!\{)\{(code|noformat|quote|panel|info|warning|note|tip)(?::([^{}\n]*))?\}(?!\})")
_HEADING = re.compile(r"^\s*h([1-6])\.\s*(.*)$")
_BQ = re.compile(r"^\s*bq\.\s?(.*)$")
_RULE = re.compile(r"^\s*-{4,}\s*$")
_LIST = re.compile(r"^\s*([*#]+|-)\s+(.*)$")
_TABLE = re.compile(r"^\s*\|")
LINE_SYNTAX_STARTS = "|*#-hb"  # what the first non-blank of a table, list, rule, heading or quote line is
PANEL_TYPES = {"info": "info", "warning": "warning", "note": "note", "tip": "tip", "panel": "custom"}

EMOTICONS = {
    ":)": "🙂", ":(": "🙁", ":P": "😛", ":D": "😃", ";)": "😉", "(y)": "👍", "(n)": "👎",
    "(i)": "ℹ️", "(/)": "✅", "(x)": "❌", "(!)": "⚠️", "(+)": "➕", "(-)": "➖", "(?)": "❓",
    "(on)": "💡", "(off)": "💡", "(*)": "⭐", "(*r)": "⭐", "(*g)": "⭐", "(*b)": "⭐", "(*y)": "⭐",
    "(flag)": "🚩", "(flagoff)": "🏳️",
}
_EMOTICON = re.compile("|".join(re.escape(k) for k in sorted(EMOTICONS, key=len, reverse=True)))
DELIM_MARKS: dict[str, Node] = {
    "*": {"type": "strong"}, "_": {"type": "em"}, "-": {"type": "strike"}, "+": {"type": "underline"},
    "^": {"type": "subsup", "attrs": {"type": "sup"}}, "~": {"type": "subsup", "attrs": {"type": "sub"}},
    "??": {"type": "em"},
}
# Where an inline construct may start. Some characters are looked at only where they can do
# something (one character matched, like every other alternative): ``:``, ``;`` and ``(`` where an
# emoticon could follow; ``*``, ``_``, ``+`` and ``-`` unless inside a word (``snake_case``,
# ``prod-eu-1``), where they neither open nor close (``[^\W_]`` is ``str.isalnum``).
_SPECIAL = re.compile(r"\\|\{|\[|!|[\^~]|\?\?|https?://|ftp://|&#"
                      r"|(?<![^\W_])[*_+\-]|[*_+\-](?![^\W_])"
                      r"|:(?=[()PD])|;(?=\))|\((?=[^()\s]{1,7}\))")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]+-\d+$")
_ENTITY = re.compile(r"&#(\d{1,7}|[xX][0-9a-fA-F]{1,6});")
_URL = re.compile(r"(?:https?|ftp)://[^\s\[\]|<>\"{}]+")


def parse_wiki(wiki: str) -> Node:
    """Wiki markup as an ADF-shaped ``doc``."""
    text = wiki.replace("\r\n", "\n").replace("\r", "\n")
    return {"type": "doc", "version": 1, "content": _Blocks(text).parse(0, len(text), 0)}


# ------------------------------------------------------------------------------------- blocks


class _Blocks:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tags = list(_MACRO_TAG.finditer(text))
        self.starts = [m.start() for m in self.tags]
        self.by_name: dict[str, list[int]] = {}
        for i, m in enumerate(self.tags):
            self.by_name.setdefault(m.group(1), []).append(i)

    def parse(self, start: int, end: int, depth: int) -> list[Node]:
        """Blocks of ``text[start:end]``: macro blocks paired by tag name, line syntax between."""
        out: list[Node] = []
        pos = start
        i = bisect.bisect_left(self.starts, start)
        while i < len(self.tags) and self.tags[i].start() < end:
            tag = self.tags[i]
            name = tag.group(1)
            close = self._closer(name, i, end)
            out += _lines(self.text[pos:tag.start()])
            if close is None:
                if name in ("code", "noformat"):
                    out.append(_code(name, tag.group(2), self.text[tag.end():end]))
                    return out
                pos, i = tag.end(), i + 1
                continue
            ctag = self.tags[close]
            body_start, body_end = tag.end(), ctag.start()
            if name in ("code", "noformat"):
                out.append(_code(name, tag.group(2), self.text[body_start:body_end]))
            elif depth > 16:
                out += _lines(self.text[body_start:body_end])
            else:
                inner = self.parse(body_start, body_end, depth + 1)
                out.append(_container(name, tag.group(2), inner))
            pos = ctag.end()
            i = close + 1
        out += _lines(self.text[pos:end])
        return out

    def _closer(self, name: str, index: int, end: int) -> int | None:
        """The next tag of the same name (Jira pairs macros by name, no nesting of one name)."""
        same = self.by_name[name]
        k = bisect.bisect_right(same, index)
        if k < len(same) and self.tags[same[k]].start() < end:
            return same[k]
        return None


def _params(raw: str | None) -> tuple[str, dict[str, str]]:
    """``{code:java|title=x}`` params: the positional one and the named ones."""
    positional = ""
    named: dict[str, str] = {}
    for part in (raw or "").split("|"):
        key, eq, value = part.partition("=")
        if eq:
            named[key.strip().lower()] = value.strip()
        elif part.strip() and not positional:
            positional = part.strip()
    return positional, named


def _code(name: str, raw: str | None, body: str) -> Node:
    positional, named = _params(raw)
    language = named.get("language") or (positional if name == "code" else "")
    body = body.strip("\n")
    node: Node = {"type": "codeBlock", "attrs": {"language": language} if language else {}}
    if body:
        node["content"] = [{"type": "text", "text": body}]
    return node


def _container(name: str, raw: str | None, inner: list[Node]) -> Node:
    if name == "quote":
        return {"type": "blockquote", "content": inner}
    _, named = _params(raw)
    node_attrs: dict[str, str] = {"panelType": PANEL_TYPES.get(name, "custom")}
    if named.get("title"):
        node_attrs["title"] = named["title"]
    return {"type": "panel", "attrs": node_attrs, "content": inner}


def _lines(chunk: str) -> list[Node]:
    """Line syntax: headings, quotes, rules, lists, tables and paragraphs."""
    out: list[Node] = []
    para: list[str] = []
    items: list[tuple[str, str]] = []
    rows: list[str] = []

    def flush() -> None:
        if para:
            out.append({"type": "paragraph", "content": _join_lines(para)})
            para.clear()
        if items:
            out.extend(_build_lists(items))
            items.clear()
        if rows:
            out.append(_table(rows))
            rows.clear()

    for line in chunk.split("\n"):
        if not line.strip():
            flush()
            continue
        if line.lstrip()[0] not in LINE_SYNTAX_STARTS:  # a paragraph line: skip the syntax regexes
            if items or rows:
                flush()
            para.append(line)
            continue
        if _TABLE.match(line):
            if not rows:
                flush()
            rows.append(line)
            continue
        if (m := _LIST.match(line)) and not _RULE.match(line):
            if not items:
                flush()
            items.append((m.group(1), m.group(2)))
            continue
        if (m := _HEADING.match(line)) is not None:
            flush()
            out.append({"type": "heading", "attrs": {"level": int(m.group(1))},
                        "content": parse_inline(m.group(2).strip())})
        elif (m := _BQ.match(line)) is not None:
            flush()
            out.append({"type": "blockquote", "content": [{"type": "paragraph", "content": parse_inline(m.group(1))}]})
        elif _RULE.match(line):
            flush()
            out.append({"type": "rule"})
        else:
            if items or rows:
                flush()
            para.append(line)
    flush()
    return [n for n in out if n.get("type") != "paragraph" or n.get("content")]


def _join_lines(lines: list[str]) -> list[Node]:
    content: list[Node] = []
    for line in lines:
        if content:
            content.append({"type": "hardBreak"})
        content += parse_inline(line.strip())
    return content


def _build_lists(items: list[tuple[str, str]]) -> list[Node]:
    """``*``/``#``/``-`` items with their marker strings as nested bullet/ordered lists."""
    roots: list[Node] = []
    stack: list[tuple[str, Node]] = []  # (marker char, list node) per depth
    for markers, text in items:
        markers = "*" if markers == "-" else markers[:32]
        keep = 0
        while keep < min(len(stack), len(markers)) and stack[keep][0] == markers[keep]:
            keep += 1
        del stack[keep:]
        while len(stack) < len(markers):
            char = markers[len(stack)]
            lst: Node = {"type": "orderedList" if char == "#" else "bulletList", "content": []}
            if stack:
                parent = stack[-1][1]
                if not parent["content"]:
                    parent["content"].append({"type": "listItem", "content": []})
                parent["content"][-1]["content"].append(lst)
            else:
                roots.append(lst)
            stack.append((char, lst))
        inline = parse_inline(text.strip())
        stack[-1][1]["content"].append(
            {"type": "listItem", "content": [{"type": "paragraph", "content": inline}] if inline else []})
    return roots


def _split_cells(line: str) -> list[tuple[bool, str]]:
    """A table row's cells as (is header, text); pipes inside links and ``{{…}}`` do not split."""
    cells: list[tuple[bool, str]] = []
    s = line.strip()
    i = 0
    n = len(s)
    while i < n:
        header = s.startswith("||", i)
        i += 2 if header else 1
        start = i
        depth = 0
        while i < n:
            ch = s[i]
            if ch == "\\" and i + 1 < n and s[i + 1] != "\\":
                i += 2
                continue
            if ch == "!" and not depth:
                close = s.find("!", i + 1)
                target = s[i + 1:close].split("|", 1)[0] if close != -1 else ""
                if target and " " not in target and re.search(r"[./]", target):
                    i = close + 1  # an image's "|thumbnail" does not split the cell
                    continue
            if ch == "[":
                depth += 1
            elif ch == "]" and depth:
                depth -= 1
            elif s.startswith("{{", i):
                close = s.find("}}", i + 2)
                if close != -1:
                    i = close + 2
                    continue
            elif ch == "|" and not depth:
                break
            i += 1
        if i < n or s[start:i].strip():
            cells.append((header, s[start:i]))
    return cells


def _table(rows: list[str]) -> Node:
    table_rows = []
    for line in rows:
        cells = []
        for header, text in _split_cells(line):
            inline = parse_inline(text.strip())
            cells.append({"type": "tableHeader" if header else "tableCell",
                          "content": [{"type": "paragraph", "content": inline}]})
        if cells:
            table_rows.append({"type": "tableRow", "content": cells})
    return {"type": "table", "content": table_rows}


# ------------------------------------------------------------------------------------- inline


@dataclass
class _Delim:
    char: str
    raw: str
    can_open: bool
    can_close: bool
    mark: Node | None = None
    closes: bool = False


@dataclass
class _Inline:
    s: str
    tokens: list[str | Node | _Delim] = field(default_factory=list)
    next_cache: dict[str, int] = field(default_factory=dict)

    def find(self, needle: str, start: int) -> int:
        """``s.find(needle, start)`` with the last answer cached: linear over a whole line."""
        cached = self.next_cache.get(needle)
        if cached is not None and (cached == -1 or cached >= start):
            return cached
        found = self.s.find(needle, start)
        self.next_cache[needle] = found
        return found


Emit = Callable[[str | Node | _Delim], None]


def _is_word(ch: str) -> bool:
    return ch.isalnum()


def parse_inline(s: str) -> list[Node]:
    """One line of wiki text as ADF inline nodes."""
    if not _SPECIAL.search(s):  # plain text (most lines)
        return [{"type": "text", "text": s}] if s else []
    st = _Inline(s)
    text: list[str] = []
    i = 0
    n = len(s)

    def emit(token: str | Node | _Delim) -> None:
        if text:
            st.tokens.append("".join(text))
            text.clear()
        st.tokens.append(token)

    for m in _SPECIAL.finditer(s):
        j = m.start()
        if j < i:
            continue
        text.append(s[i:j])
        i = j
        consumed = _construct(st, s, j, emit)
        if consumed:
            i = consumed
        else:
            text.append(s[j])
            i = j + 1
    text.append(s[i:n])
    if text:
        st.tokens.append("".join(text))
    return _resolve(st.tokens)


def _construct(st: _Inline, s: str, j: int, emit: Emit) -> int:
    """Try a construct at ``s[j]``; emit its tokens and return the end, or 0 for plain text."""
    assert callable(emit)
    ch = s[j]
    n = len(s)
    if ch == "\\":
        if s.startswith("\\\\", j):
            emit({"type": "hardBreak"})
            return j + 2
        if j + 1 < n and not s[j + 1].isalnum() and not s[j + 1].isspace():
            emit(s[j + 1])
            return j + 2
        return 0
    if ch == "{":
        return _brace(st, s, j, emit)
    if ch == "&":
        em = _ENTITY.match(s, j)
        if em is None:
            return 0
        code = em.group(1)
        value = int(code[1:], 16) if code[0] in "xX" else int(code)
        emit(chr(value) if 0 < value < 0x110000 and not 0xD800 <= value < 0xE000 else em.group(0))
        return em.end()
    if ch == "[":
        close = st.find("]", j + 1)
        if close == -1:
            return 0
        inner = s[j + 1:close]
        if "[" in inner or not inner.strip():
            return 0
        nodes = _link(inner)
        if nodes is None:
            return 0
        for node in nodes:
            emit(node)
        return close + 1
    if ch == "!":
        close = st.find("!", j + 1)
        if close == -1 or close == j + 1:
            return 0
        inner = s[j + 1:close]
        target = inner.split("|", 1)[0]
        if target != target.strip() or " " in target or not re.search(r"[./]", target):
            return 0
        emit(_image(target))
        return close + 1
    if ch in "htf" and (m := _URL.match(s, j)):
        if j and _is_word(s[j - 1]):
            return 0
        url = m.group(0).rstrip(".,;:!?)'")
        emit({"type": "text", "text": url, "marks": [{"type": "link", "attrs": {"href": url}}]})
        return j + len(url)
    if ch in ":;(":
        em = _EMOTICON.match(s, j)
        if em is None or (j and _is_word(s[j - 1])):
            return 0
        end = em.end()
        if end < n and _is_word(s[end]) and ch in ":;":
            return 0
        emit({"type": "emoji", "attrs": {"shortName": em.group(0), "text": EMOTICONS[em.group(0)]}})
        return end
    return _delimiter(s, j, emit)


def _brace(st: _Inline, s: str, j: int, emit: Emit) -> int:
    if s.startswith("{{", j):
        close = st.find("}}", j + 2)
        if close == -1 or close == j + 2:
            return 0
        while s.startswith("}", close + 2):  # "{{a}}}" keeps the inner brace
            close += 1
        code = re.sub(r"\\([^\w\s])", r"\1", s[j + 2:close])
        emit({"type": "text", "text": code, "marks": [{"type": "code"}]})
        return close + 2
    for marker in ("??", "*", "_", "-", "+", "^", "~"):
        if s.startswith("{" + marker + "}", j):
            emit(_Delim(marker, "{" + marker + "}", True, True))
            return j + len(marker) + 2
    m = re.compile(r"\{(color|anchor)(?::[^{}\n]*)?\}").match(s, j)
    if m:
        return m.end()
    return 0


def _delimiter(s: str, j: int, emit: Emit) -> int:
    marker = "??" if s.startswith("??", j) else s[j]
    if marker not in DELIM_MARKS:
        return 0
    end = j + len(marker)
    if marker != "??" and end < len(s) and s[end] == marker:
        run = end
        while run < len(s) and s[run] == marker:
            run += 1
        if marker == "-" and run - j in (2, 3) and _spaced(s, j, run):
            emit("—" if run - j == 3 else "–")
            return run
        emit(s[j:run])
        return run
    before = s[j - 1] if j else " "
    after = s[end] if end < len(s) else " "
    intraword = marker in "^~"
    can_open = not after.isspace() and (intraword or not _is_word(before))
    can_close = not before.isspace() and (intraword or not _is_word(after))
    if not (can_open or can_close):
        return 0
    emit(_Delim(marker, marker, can_open, can_close))
    return end


def _spaced(s: str, start: int, end: int) -> bool:
    return (start == 0 or s[start - 1] == " ") and (end == len(s) or s[end] == " ")


def _link(inner: str) -> list[Node] | None:
    parts = _UNESCAPED_PIPE.split(inner)
    if len(parts) == 1:
        target = inner.strip()
        if target.startswith("~"):
            return [{"type": "mention", "attrs": {"id": _user(target[1:]), "text": target[1:]}}]
        if target.startswith("^"):
            return [_attachment(target[1:])]
        if target.startswith("#"):
            return [{"type": "text", "text": target[1:]}]
        if _ISSUE_KEY.match(target):
            return [{"type": "text", "text": target}]
        if "://" in target or target.startswith("mailto:"):
            label = target[len("mailto:"):] if target.startswith("mailto:") else target
            return [{"type": "text", "text": label, "marks": [{"type": "link", "attrs": {"href": target}}]}]
        return None
    label, target = parts[0], parts[1].strip()
    if not label.strip() and not target:  # `[||title]`, `[|]`: no text and nowhere to go — literal text
        return None
    if target.startswith("~"):
        return [{"type": "mention", "attrs": {"id": _user(target[1:]), "text": label or target[1:]}}]
    if target.startswith("^"):
        node = _attachment(target[1:])
        node["attrs"]["alt"] = label or target[1:]
        return [node]
    nodes: list[Node] = parse_inline(label) if label.strip() else [{"type": "text", "text": target}]
    if target.startswith("#") or not target:
        return nodes
    link: Node = {"type": "link", "attrs": {"href": target}}
    if len(parts) > 2 and parts[2].strip():
        link["attrs"]["title"] = parts[2].strip()
    for child in nodes:
        if child.get("type") == "text":
            child["marks"] = [*child.get("marks", []), link]
    return nodes


def _user(ident: str) -> str:
    return ident[len("accountid:"):] if ident.lower().startswith("accountid:") else ident


def _attachment(name: str) -> Node:
    name = name.strip()
    return {"type": "mediaInline", "attrs": {"type": "file", "filename": name, "alt": name}}


def _image(target: str) -> Node:
    if "://" in target:
        return {"type": "mediaInline",
                "attrs": {"type": "image", "external": True, "url": target, "alt": target.rsplit("/", 1)[-1]}}
    return {"type": "mediaInline", "attrs": {"type": "image", "filename": target, "alt": target}}


def _resolve(tokens: list[str | Node | _Delim]) -> list[Node]:
    """Pair delimiters (innermost-last, like CommonMark's delimiter stack) and build text nodes."""
    openers: list[int] = []
    by_char: dict[str, list[int]] = {}
    for idx, tok in enumerate(tokens):
        if not isinstance(tok, _Delim):
            continue
        same = by_char.get(tok.char)
        if tok.can_close and same and same[-1] != idx - 1:
            start = same[-1]
            while openers and openers[-1] != start:
                dropped = openers.pop()
                by_char[_char(tokens[dropped])].pop()
            openers.pop()
            same.pop()
            opener = tokens[start]
            assert isinstance(opener, _Delim)
            opener.mark = DELIM_MARKS[tok.char]
            tok.mark = opener.mark
            tok.closes = True
            continue
        if tok.can_open:
            openers.append(idx)
            by_char.setdefault(tok.char, []).append(idx)
    out: list[Node] = []
    buf: list[str] = []
    buf_marks: list[Node] = []
    active: list[Node] = []

    def flush() -> None:
        if buf:
            node: Node = {"type": "text", "text": "".join(buf)}
            if buf_marks:
                node["marks"] = list(buf_marks)
            out.append(node)
            buf.clear()

    def add(text: str) -> None:
        if text:
            if buf and buf_marks != active:
                flush()
            if not buf:
                buf_marks[:] = active
            buf.append(text)

    for tok in tokens:
        if isinstance(tok, _Delim):
            if tok.mark is None:
                add(tok.raw)
            elif tok.closes:
                if tok.mark in active:
                    active.remove(tok.mark)
            else:
                active.append(tok.mark)
        elif isinstance(tok, str):
            add(tok)
        else:
            flush()
            if active and tok.get("type") == "text":
                tok = {**tok, "marks": [*active, *tok.get("marks", [])]}
            out.append(tok)
    flush()
    return out


def _char(tok: object) -> str:
    assert isinstance(tok, _Delim)
    return tok.char
