"""GitHub-flavoured Markdown -> ADF valid against the full ADF schema.

Decisions (the inverse of ``_to_markdown`` where one exists):
- a soft line break becomes a ``hardBreak`` (what people writing Markdown for a tracker mean, and
  what GitHub comments do);
- images become links (text = alt text, or the URL): the Cloud API cannot take a media reference
  that was never uploaded;
- ``- [ ]`` / ``- [x]`` lists become task lists, ``- **Decision:** …`` lists decision lists,
  quotes led by ``**Info:**``/``**Note:**``/… panels, and ``<details><summary>`` blocks expands;
- ``<u>``, ``<sub>``, ``<sup>``, ``<s>``/``<del>``, ``<b>``/``<strong>``, ``<i>``/``<em>``, ``<br>``
  become marks / hard breaks; any other HTML is kept as text;
- blocks ADF does not allow where Markdown put them are reshaped (a heading in a list item becomes a
  bold paragraph, a quote in a quote is flattened, a table outside the top level becomes rows of
  text), so the result always validates;
- task and decision ids are numbered in document order, so the same Markdown gives the same ADF.
"""

from __future__ import annotations

import html
import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from jirasync.content._common import Node
from jirasync.content._to_markdown import PANEL_LABELS

_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_MD.options["maxNesting"] = 40

PANEL_BY_LABEL = {label.lower(): kind for kind, label in PANEL_LABELS.items()}
_HTML_MARKS: dict[str, Node] = {
    "u": {"type": "underline"}, "ins": {"type": "underline"},
    "sub": {"type": "subsup", "attrs": {"type": "sub"}}, "sup": {"type": "subsup", "attrs": {"type": "sup"}},
    "s": {"type": "strike"}, "del": {"type": "strike"}, "strike": {"type": "strike"},
    "b": {"type": "strong"}, "strong": {"type": "strong"}, "i": {"type": "em"}, "em": {"type": "em"},
}
_HTML_TAG = re.compile(r"^<(/?)([a-zA-Z]+)\s*/?>$")
_DETAILS = re.compile(r"^<details>\s*(?:<summary>(.*?)</summary>)?\s*$", re.DOTALL | re.IGNORECASE)
_TASK = re.compile(r"^\[([ xX])\](?:\s+|$)")

BLOCKS_IN = {
    "blockquote": {"paragraph", "orderedList", "bulletList", "codeBlock", "mediaSingle", "mediaGroup"},
    "listItem": {"paragraph", "bulletList", "orderedList", "taskList", "codeBlock", "mediaSingle"},
    "tableCell": {"paragraph", "panel", "blockquote", "orderedList", "bulletList", "rule", "heading",
                  "codeBlock", "decisionList", "taskList", "nestedExpand", "mediaSingle", "mediaGroup"},
    "panel": {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "taskList", "rule",
              "decisionList", "mediaSingle", "mediaGroup"},
    "expand": {"paragraph", "panel", "blockquote", "orderedList", "bulletList", "rule", "heading",
               "codeBlock", "decisionList", "taskList", "table", "nestedExpand", "mediaSingle", "mediaGroup"},
    "nestedExpand": {"paragraph", "heading", "codeBlock", "bulletList", "orderedList", "taskList",
                     "decisionList", "rule", "panel", "blockquote", "mediaSingle", "mediaGroup"},
}
BLOCKS_IN["tableHeader"] = BLOCKS_IN["tableCell"]
CONTAINERS = ("blockquote", "panel", "expand", "nestedExpand")


def markdown_to_adf(md: str | None) -> dict[str, Any]:
    """Markdown as an ADF ``doc`` that validates against the ADF schema."""
    builder = _Builder()
    try:
        tokens = _MD.parse(md or "")
    except RecursionError:
        tokens = []
    for token in tokens:
        builder.token(token)
    doc = builder.finish()
    ids = iter(range(1, 1 << 30))
    doc["content"] = _fit(doc["content"], None, ids)
    return doc


# ------------------------------------------------------------------------------------ builder


class _Builder:
    def __init__(self) -> None:
        self.root: Node = {"type": "doc", "version": 1, "content": []}
        self.stack: list[Node] = [self.root]

    def push(self, node: Node, enter: bool = False) -> None:
        self.stack[-1].setdefault("content", []).append(node)
        if enter:
            self.stack.append(node)

    def pop(self, kind: str | None = None) -> None:
        if len(self.stack) > 1 and (kind is None or self.stack[-1]["type"] == kind):
            self.stack.pop()

    def finish(self) -> Node:
        return self.root

    def token(self, t: Token) -> None:
        kind = t.type
        if kind.endswith("_close"):
            if kind not in ("thead_close", "tbody_close"):
                self.pop()
            return
        opener = OPENERS.get(kind)
        if opener is not None:
            self.push(opener(t), enter=True)
        elif kind == "inline":
            inline = _inline(t.children or [])
            if self.stack[-1]["type"] == "paragraph" and t.content.startswith("["):
                self.stack[-1]["_raw"] = t.content  # tells "[ ] task" from an escaped "\[ \]"
            if self.stack[-1]["type"] in ("tableCell", "tableHeader"):
                self.push({"type": "paragraph", "content": inline})
            else:
                self.stack[-1].setdefault("content", []).extend(inline)
        elif kind in ("fence", "code_block"):
            self.push(_code_block(t))
        elif kind == "hr":
            self.push({"type": "rule"})
        elif kind == "html_block":
            self.html_block(t.content)

    def html_block(self, content: str) -> None:
        stripped = content.strip()
        details = _DETAILS.match(stripped)
        if details is not None:
            title = html.unescape(re.sub(r"<[^>]*>", "", details.group(1) or "")).strip()
            self.push({"type": "expand", "attrs": {"title": title} if title else {}, "content": []}, enter=True)
        elif stripped.lower() == "</details>" and self.stack[-1]["type"] == "expand":
            self.pop()
        else:
            self.push({"type": "paragraph", "content": _text_with_breaks(content.rstrip("\n"), [])})


def _open(kind: str) -> Any:
    return lambda t: {"type": kind, "content": []}


def _ordered(t: Token) -> Node:
    node: Node = {"type": "orderedList", "content": []}
    start = t.attrs.get("start")
    if start is not None and str(start).isdigit() and int(start) != 1:
        node["attrs"] = {"order": int(start)}
    return node


def _heading(t: Token) -> Node:
    return {"type": "heading", "attrs": {"level": int(t.tag[1:])}, "content": []}


OPENERS: dict[str, Any] = {
    "paragraph_open": _open("paragraph"), "heading_open": _heading, "bullet_list_open": _open("bulletList"),
    "ordered_list_open": _ordered, "list_item_open": _open("listItem"),
    "blockquote_open": _open("blockquote"), "table_open": _open("table"), "tr_open": _open("tableRow"),
    "th_open": _open("tableHeader"), "td_open": _open("tableCell"),
}


def _code_block(t: Token) -> Node:
    language = (t.info or "").strip().split(" ")[0] if t.type == "fence" else ""
    text = t.content[:-1] if t.content.endswith("\n") else t.content
    node: Node = {"type": "codeBlock"}
    if language:
        node["attrs"] = {"language": language}
    if text:
        node["content"] = [{"type": "text", "text": text}]
    return node


# ------------------------------------------------------------------------------------- inline


def _inline(tokens: list[Token]) -> list[Node]:
    out: list[Node] = []
    active: list[Node] = []
    for t in tokens:
        kind = t.type
        if kind == "text" or kind == "code_inline":
            extra = [{"type": "code"}] if kind == "code_inline" else []
            _add_text(out, t.content, active + extra)
        elif kind in ("softbreak", "hardbreak"):
            out.append({"type": "hardBreak"})
        elif kind in ("strong_open", "em_open", "s_open"):
            active.append({"type": {"strong_open": "strong", "em_open": "em", "s_open": "strike"}[kind]})
        elif kind == "link_close" and t.markup == "autolink":
            _remove_last(active, "link")
            out.append({"type": "_boundary"})  # two autolinks in a row stay two links
        elif kind in ("strong_close", "em_close", "s_close", "link_close"):
            _remove_last(active, {"strong_close": "strong", "em_close": "em", "s_close": "strike",
                                  "link_close": "link"}[kind])
        elif kind == "link_open":
            active.append(_link_mark(t))
        elif kind == "image":
            src = str(t.attrs.get("src", ""))
            alt = "".join(c.content for c in (t.children or []) if c.type in ("text", "code_inline")) or src
            mark: Node = {"type": "link", "attrs": {"href": src}}
            _add_text(out, alt, [m for m in active if m["type"] != "link"] + ([mark] if src else []))
        elif kind == "html_inline":
            _html_inline(out, active, t.content)
        elif t.content:
            _add_text(out, t.content, active)
    return [n for n in out if n["type"] != "_boundary"]


def _link_mark(t: Token) -> Node:
    attrs: dict[str, str] = {"href": str(t.attrs.get("href", ""))}
    title = t.attrs.get("title")
    if title:
        attrs["title"] = str(title)
    return {"type": "link", "attrs": attrs}


def _remove_last(active: list[Node], kind: str) -> None:
    for i in range(len(active) - 1, -1, -1):
        if active[i]["type"] == kind:
            del active[i]
            return


def _html_inline(out: list[Node], active: list[Node], raw: str) -> None:
    m = _HTML_TAG.match(raw.strip())
    if m is not None:
        closing, name = m.group(1) == "/", m.group(2).lower()
        if name == "br":
            out.append({"type": "hardBreak"})
            return
        mark = _HTML_MARKS.get(name)
        if mark is not None:
            if closing:
                for i in range(len(active) - 1, -1, -1):
                    if active[i] == mark:
                        del active[i]
                        break
            else:
                active.append(mark)
            return
    _add_text(out, raw, active)


def _text_with_breaks(text: str, active: list[Node]) -> list[Node]:
    out: list[Node] = []
    for i, line in enumerate(text.split("\n")):
        if i:
            out.append({"type": "hardBreak"})
        _add_text(out, line, active)
    return out


def _add_text(out: list[Node], text: str, active: list[Node]) -> None:
    if not text:
        return
    marks = _valid_marks(active)
    if out and out[-1].get("type") == "text" and out[-1].get("marks", []) == marks:
        out[-1]["text"] += text
        return
    node: Node = {"type": "text", "text": text}
    if marks:
        node["marks"] = marks
    out.append(node)


def _valid_marks(active: list[Node]) -> list[Node]:
    """One mark per type (the innermost link wins); code combines only with link."""
    by_type: dict[str, Node] = {}
    for mark in active:
        by_type[mark["type"]] = mark
    if "code" in by_type:
        by_type = {k: v for k, v in by_type.items() if k in ("code", "link")}
    return [dict(m) for m in by_type.values()]


# --------------------------------------------------------------------------------- reshaping


def _fit(blocks: list[Node], parent: str | None, ids: Any) -> list[Node]:
    """Children reshaped so that each is allowed inside ``parent`` (``None`` = the doc)."""
    allowed = BLOCKS_IN.get(parent) if parent else None
    out: list[Node] = []
    for block in blocks:
        block = _finish(block, parent, ids)
        kind = block["type"]
        if kind == "expand" and parent is not None:
            block["type"] = kind = "nestedExpand"
            block.setdefault("attrs", {})
        if allowed is None or kind in allowed:
            out.append(block)
        else:
            out.extend(_fit(_reshape(block), parent, ids))
    return out


def _finish(node: Node, parent: str | None, ids: Any) -> Node:
    """Recognise our Markdown idioms (tasks, decisions, panels), then fit the node's children."""
    kind = node["type"]
    if kind == "bulletList":
        node = _as_tasks(node, ids) or _as_decisions(node, ids) or node
    elif kind == "blockquote":
        node = _as_panel(node) or node
    kind = node["type"]
    if kind in ("paragraph", "heading", "codeBlock", "taskItem", "decisionItem", "rule"):
        node.pop("_raw", None)
        return node
    if kind in ("bulletList", "orderedList", "table", "tableRow"):
        node["content"] = [_finish(c, kind, ids) for c in node.get("content", [])]
        return node
    if kind == "taskList":
        node["content"] = [_finish(c, kind, ids) if c["type"] == "taskList" else c for c in node["content"]]
        return node
    content = _fit(node.get("content", []), kind, ids)
    if kind == "listItem" and (not content or content[0]["type"] not in ("paragraph", "codeBlock", "mediaSingle")):
        content.insert(0, {"type": "paragraph", "content": []})
    if kind in (*CONTAINERS, "tableCell", "tableHeader") and not content:
        content = [{"type": "paragraph", "content": []}]
    node["content"] = content
    return node


def _reshape(block: Node) -> list[Node]:
    """A block not allowed where it stands, as blocks that are more widely allowed."""
    kind = block["type"]
    content = block.get("content", [])
    if kind == "heading":
        return [{"type": "paragraph", "content": [_bold(n) for n in content]}]
    if kind in CONTAINERS:
        title = block.get("attrs", {}).get("title")
        lead = [{"type": "paragraph", "content": [{"type": "text", "text": title, "marks": [{"type": "strong"}]}]}]
        return (lead if title else []) + content
    if kind == "table":
        rows = []
        for row in content:
            inline: list[Node] = []
            for cell in row.get("content", []):
                if inline:
                    inline.append({"type": "text", "text": " | "})
                inline += [n for b in cell.get("content", []) for n in _inline_of(b)]
            rows.append({"type": "paragraph", "content": inline})
        return rows
    if kind in ("taskList", "decisionList"):
        items = [{"type": "listItem", "content": [{"type": "paragraph", "content": i.get("content", [])}]}
                 for i in content if i["type"] in ("taskItem", "decisionItem")]
        return [{"type": "bulletList", "content": items}] if items else []
    if kind == "rule":
        return []
    return [{"type": "paragraph", "content": _inline_of(block)}]


def _inline_of(block: Node) -> list[Node]:
    if block["type"] in ("paragraph", "heading", "taskItem", "decisionItem"):
        return list(block.get("content", []))
    if block["type"] == "codeBlock":
        return [dict(n, marks=[{"type": "code"}]) for n in block.get("content", [])]
    out: list[Node] = []
    for child in block.get("content", []):
        part = _inline_of(child)
        if out and part:
            out.append({"type": "text", "text": " "})
        out += part
    return out


def _bold(node: Node) -> Node:
    if node.get("type") != "text" or any(m["type"] in ("code", "strong") for m in node.get("marks", [])):
        return node
    return {**node, "marks": [*node.get("marks", []), {"type": "strong"}]}


def _first_inline(item: Node) -> list[Node] | None:
    content = item.get("content", [])
    if not content or content[0]["type"] != "paragraph":
        return None
    inline: list[Node] = content[0].get("content", [])
    return inline


def _as_tasks(node: Node, ids: Any) -> Node | None:
    items = node.get("content", [])
    states = []
    for item in items:
        inline = _first_inline(item)
        first = inline[0] if inline else None
        if not first or first.get("type") != "text" or first.get("marks"):
            return None
        m = _TASK.match(first["text"])
        if m is None or not _TASK.match(item["content"][0].get("_raw", "")):
            return None
        states.append("DONE" if m.group(1) in "xX" else "TODO")
    tasks: list[Node] = []
    for item, state in zip(items, states, strict=True):
        inline = list(_first_inline(item) or [])
        inline[0] = dict(inline[0], text=_TASK.sub("", inline[0]["text"], count=1))
        if not inline[0]["text"]:
            inline.pop(0)
        nested: list[Node] = []
        for block in item["content"][1:]:
            if block["type"] == "bulletList" and (sub := _as_tasks(block, ids)) is not None:
                nested.append(sub)
            else:
                for part in ([block] if block["type"] != "bulletList" else
                             [p for li in block.get("content", []) for p in li.get("content", [])]):
                    inline += [{"type": "hardBreak"}, *_inline_of(part)]
        tasks.append({"type": "taskItem", "attrs": {"localId": f"task-{next(ids)}", "state": state},
                      "content": inline})
        tasks += nested
    return {"type": "taskList", "attrs": {"localId": f"tasks-{next(ids)}"}, "content": tasks}


def _as_decisions(node: Node, ids: Any) -> Node | None:
    items = node.get("content", [])
    decided = []
    for item in items:
        inline = _first_inline(item)
        if not inline or len(item["content"]) != 1 or inline[0].get("text") != "Decision:" \
                or inline[0].get("marks") != [{"type": "strong"}]:
            return None
        rest = inline[1:]
        if rest and rest[0].get("type") == "text" and not rest[0].get("marks"):
            rest = [dict(rest[0], text=rest[0]["text"].lstrip()), *rest[1:]]
            if not rest[0]["text"]:
                rest = rest[1:]
        decided.append({"type": "decisionItem", "attrs": {"localId": f"decision-{next(ids)}", "state": "DECIDED"},
                        "content": rest})
    return {"type": "decisionList", "attrs": {"localId": f"decisions-{next(ids)}"}, "content": decided}


def _as_panel(node: Node) -> Node | None:
    content = node.get("content", [])
    inline = content[0].get("content", []) if content and content[0]["type"] == "paragraph" else []
    if not inline or inline[0].get("marks") != [{"type": "strong"}]:
        return None
    label = str(inline[0].get("text", ""))
    kind = PANEL_BY_LABEL.get(label[:-1].lower()) if label.endswith(":") else None
    if kind is None:
        return None
    rest = inline[1:]
    if rest and rest[0].get("type") == "text" and not rest[0].get("marks"):
        rest = [dict(rest[0], text=rest[0]["text"].lstrip()), *rest[1:]]
        if not rest[0]["text"]:
            rest = rest[1:]
    if rest and rest[0].get("type") == "hardBreak":
        rest = rest[1:]
    body = ([{"type": "paragraph", "content": rest}] if rest else []) + content[1:]
    return {"type": "panel", "attrs": {"panelType": kind}, "content": body}
