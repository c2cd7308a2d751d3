"""ADF -> GitHub-flavoured Markdown.

Choices where Markdown has no equivalent (documented in ``docs`` via the package docstring):
- panels become blockquotes led by ``**Info:**`` / ``**Note:**`` … (``title`` for wiki panels);
- expand / nestedExpand become ``<details><summary>title</summary>`` … ``</details>``;
- decisions become ``- **Decision:** text``; task items ``- [ ]`` / ``- [x]``;
- colours, alignment, indentation, breakout, annotations, borders, fragments are dropped (text kept);
  underline is ``<u>``, sub/superscript ``<sub>`` / ``<sup>``;
- tables are GFM tables with the first row as header; merged cells leave the cells they cover
  empty; block content in a cell is flattened onto one line with ``<br>``;
- media link to the stored attachment (``ctx.media_link``), otherwise the file name is kept as text;
- extensions, sync blocks and unknown leaf nodes become a bracketed placeholder; unknown nodes with
  children render their children.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from jirasync.content._common import (
    DEFAULT_CONTEXT,
    MAX_DEPTH,
    MarkdownContext,
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
    media_target,
    mention_name,
    str_attr,
)
from jirasync.content._escape import (
    autolink_ok,
    code_fence,
    code_span,
    escape_line_start,
    escape_text,
    html_escape,
    link_destination,
    link_title,
)

PANEL_LABELS = {
    "info": "Info", "note": "Note", "tip": "Tip", "warning": "Warning", "error": "Error",
    "success": "Success",
}
# Marks rendered, outermost first; every other mark is dropped with its text kept.
MARK_ORDER = {"link": 0, "strike": 1, "strong": 2, "em": 3, "underline": 4, "subsup": 5}
LIST_TYPES = frozenset({"bulletList", "orderedList", "taskList", "decisionList"})
# Lists that share a marker: two in a row need different markers or Markdown merges them.
LIST_GROUP = {"bulletList": "bullet", "taskList": "bullet", "decisionList": "bullet", "orderedList": "ordered"}

# An inline segment: (marks outermost-first, kind "text" | "code" | "raw", payload).
Segment = tuple[tuple[Node, ...], str, str]


def adf_to_markdown(adf: dict[str, Any] | None, ctx: MarkdownContext | None = None) -> str:
    """Render an ADF document (or any ADF node) as Markdown; never raises on unknown content."""
    if not isinstance(adf, dict):
        return ""
    renderer = _Renderer(ctx or DEFAULT_CONTEXT)
    if adf.get("type") == "doc" or "type" not in adf:
        parts = renderer.blocks(children(adf), 0)
    else:
        parts = renderer.blocks([adf], 0)
    return "\n\n".join(parts).strip("\n") + ("\n" if parts else "")


def _indent(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    out = [first + lines[0]]
    out += [(rest + line) if line else "" for line in lines[1:]]
    return "\n".join(out)


def _quote(text: str) -> str:
    return "\n".join(("> " + line) if line else ">" for line in text.split("\n"))


class _Renderer:
    def __init__(self, ctx: MarkdownContext) -> None:
        self.ctx = ctx

    # ------------------------------------------------------------------------------- blocks

    def blocks(self, nodes: list[Node], depth: int) -> list[str]:
        out: list[str] = []
        previous, previous_alternate = "", False
        for node in nodes:
            kind = str(node.get("type", ""))
            group = LIST_GROUP.get(kind, kind)
            alternate = group == previous and group in ("bullet", "ordered") and not previous_alternate
            text = self.block(node, depth, alternate)
            if text:
                out.append(text)
                previous, previous_alternate = group, alternate
        return out

    def block(self, node: Node, depth: int, alternate: bool = False) -> str:
        if depth > MAX_DEPTH:
            return escape_line_start(escape_text(" ".join(_all_text(node).split())))
        kind = node.get("type")
        method = BLOCK_RENDERERS.get(kind) if isinstance(kind, str) else None
        if method is not None:
            return str(method(self, node, depth + 1, alternate))
        if kind in INLINE_KINDS:
            return self.paragraph_text([node])
        content = children(node)
        if content:
            return "\n\n".join(self.blocks(content, depth + 1))
        text = node.get("text")
        if isinstance(text, str) and text:
            return self.paragraph_text([{"type": "text", "text": text}])
        return escape_text(extension_text(node, self.ctx)) if node.get("attrs") else ""

    def b_paragraph(self, node: Node, depth: int, alternate: bool) -> str:
        return self.paragraph_text(children(node))

    def paragraph_text(self, inline: list[Node]) -> str:
        plain = _plain_text(inline)
        text = escape_text(plain) if plain is not None else self.rich_inline(inline, "block")
        if "\n" not in text:
            return escape_line_start(text.rstrip(" \t"))
        return "\n".join(escape_line_start(line.rstrip(" \t")) for line in text.split("\n")).strip("\n")

    def b_heading(self, node: Node, depth: int, alternate: bool) -> str:
        try:
            level = min(6, max(1, int(attrs(node).get("level", 1))))
        except (TypeError, ValueError):
            level = 1
        text = self.inline(children(node), "line").strip()
        if text.endswith("#"):
            text = text[:-1] + "\\#"
        return "#" * level + " " + text if text else ""

    def b_text(self, node: Node, depth: int, alternate: bool) -> str:
        return self.paragraph_text([node])

    def b_hardBreak(self, node: Node, depth: int, alternate: bool) -> str:
        return ""

    def b_rule(self, node: Node, depth: int, alternate: bool) -> str:
        return "---"

    def b_codeBlock(self, node: Node, depth: int, alternate: bool) -> str:
        code = "".join(str(c.get("text", "")) for c in children(node) if c.get("type") == "text")
        code = code.replace("\r\n", "\n").rstrip("\n")
        language = "".join(str_attr(node, "language").split()).replace("`", "")
        fence = code_fence(code)
        return f"{fence}{language}\n{code}\n{fence}" if code else f"{fence}{language}\n{fence}"

    def b_blockquote(self, node: Node, depth: int, alternate: bool) -> str:
        inner = "\n\n".join(self.blocks(children(node), depth))
        return _quote(inner) if inner else ""

    def b_panel(self, node: Node, depth: int, alternate: bool) -> str:
        a = attrs(node)
        label = str(a.get("title") or PANEL_LABELS.get(str(a.get("panelType")), ""))
        content = children(node)
        parts = self.blocks(content, depth)
        if label:
            lead = f"**{escape_text(label)}:**"
            first = content[0].get("type") if content else None
            if parts and first == "paragraph":
                parts[0] = f"{lead} {parts[0]}"
            else:
                parts.insert(0, lead)
        return _quote("\n\n".join(parts)) if parts else ""

    def b_expand(self, node: Node, depth: int, alternate: bool) -> str:
        title = html_escape(str_attr(node, "title"))
        inner = "\n\n".join(self.blocks(children(node), depth))
        body = f"\n\n{inner}\n\n" if inner else "\n\n"
        return f"<details>\n<summary>{title}</summary>{body}</details>"

    b_nestedExpand = b_expand

    def b_bulletList(self, node: Node, depth: int, alternate: bool) -> str:
        marker = "*" if alternate else "-"
        items = (self.list_item(item, marker + " ", depth) for item in children(node))
        return "\n".join(item for item in items if item)

    def b_orderedList(self, node: Node, depth: int, alternate: bool) -> str:
        try:
            start = max(0, int(attrs(node).get("order", 1)))
        except (TypeError, ValueError):
            start = 1
        delim = ")" if alternate else "."
        bodies = [body for body in (self.item_text(item, depth) for item in children(node)) if body]
        return "\n".join(_indent(body, f"{start + i}{delim} ", " " * len(f"{start + i}{delim} "))
                         for i, body in enumerate(bodies))

    def list_item(self, item: Node, marker: str, depth: int) -> str:
        """An item under ``marker``; empty items are left out (a bare marker after a paragraph line
        would read as a setext heading underline)."""
        body = self.item_text(item, depth)
        return _indent(body, marker, " " * len(marker)) if body else ""

    def item_text(self, item: Node, depth: int) -> str:
        if item.get("type") not in ("listItem", None):
            return self.block(item, depth)
        return self.item_body(children(item), depth)

    def item_body(self, blocks: list[Node], depth: int) -> str:
        out = ""
        previous = ""
        last_alternate = False
        for block in blocks:
            kind = str(block.get("type", ""))
            group = LIST_GROUP.get(kind, kind)
            alternate = group == LIST_GROUP.get(previous, previous) and group in ("bullet", "ordered") \
                and not last_alternate
            text = self.block(block, depth, alternate=alternate)
            if not text:
                continue
            last_alternate = alternate
            tight = kind in LIST_TYPES and (previous == "paragraph" or previous in LIST_TYPES) and not (
                kind == "orderedList" and attrs(block).get("order", 1) not in (1, None))
            out = text if not out else out + ("\n" if tight else "\n\n") + text
            previous = kind
        return out

    def b_taskList(self, node: Node, depth: int, alternate: bool) -> str:
        marker = "*" if alternate else "-"
        lines: list[str] = []
        for item in children(node):
            kind = item.get("type")
            if kind in ("taskItem", "blockTaskItem"):
                done = str(attrs(item).get("state", "")).upper() == "DONE"
                box = f"{marker} [x] " if done else f"{marker} [ ] "
                if kind == "taskItem":
                    body = self.paragraph_text(children(item))
                else:
                    body = self.item_body(children(item), depth)
                lines.append(_indent(body, box, "  ") if body else box.rstrip())
            elif kind == "taskList":
                nested = self.b_taskList(item, depth + 1, False)
                if nested:
                    lines.append(_indent(nested, "  ", "  "))
            else:
                body = self.block(item, depth)
                if body:
                    lines.append(_indent(body, f"{marker} ", "  "))
        return "\n".join(lines)

    def b_decisionList(self, node: Node, depth: int, alternate: bool) -> str:
        marker = "*" if alternate else "-"
        lines = []
        for item in children(node):
            body = self.paragraph_text(children(item)) if item.get("type") == "decisionItem" \
                else self.block(item, depth)
            lines.append(_indent(f"**Decision:** {body}".rstrip(), f"{marker} ", "  "))
        return "\n".join(lines)

    def b_table(self, node: Node, depth: int, alternate: bool) -> str:
        grid = _table_grid(node)
        if not grid:
            return ""
        width = max(len(row) for row in grid)
        if not width:
            return ""
        rendered = [[self.cell(cell, depth) if cell is not None else "" for cell in row]
                    + [""] * (width - len(row)) for row in grid]
        lines = ["| " + " | ".join(rendered[0]) + " |", "|" + "|".join([" --- "] * width) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rendered[1:]]
        return "\n".join(lines)

    def cell(self, cell: Node, depth: int) -> str:
        return "<br>".join(filter(None, [self.flat(b, depth) for b in children(cell)]))  # empty parts dropped

    def flat(self, node: Node, depth: int) -> str:
        """A block on one line, for table cells."""
        kind = node.get("type")
        if depth > MAX_DEPTH:
            return escape_text(" ".join(_all_text(node).split()))
        if kind in ("paragraph", "heading", "taskItem", "decisionItem", "caption"):
            text = self.inline(children(node), "cell").strip()
            if kind == "heading" and text:
                return f"**{text}**"
            if kind == "taskItem":
                done = str(attrs(node).get("state", "")).upper() == "DONE"
                return ("☑ " if done else "☐ ") + text
            return text
        if kind == "codeBlock":
            code = "".join(str(c.get("text", "")) for c in children(node))
            return "<br>".join(code_span(line).replace("|", "\\|") for line in code.split("\n") if line)
        if kind in ("bulletList", "orderedList"):
            start = attrs(node).get("order", 1) if kind == "orderedList" else None
            items = []
            for i, item in enumerate(children(node)):
                mark = f"{int(start) + i}." if isinstance(start, int | float) else "•"
                items.append(f"{mark} " + " ".join(self.flat(b, depth + 1) for b in children(item)))
            return "<br>".join(items)
        if kind == "rule":
            return "—"
        if kind in INLINE_KINDS:
            return self.inline([node], "cell")
        if kind in ("mediaSingle", "mediaGroup", "media"):
            return " ".join(self.media_md(m) for m in _media_nodes(node))
        if kind in ("blockCard", "embedCard"):
            return self.card_md(node)
        if kind in ("extension", "syncBlock"):
            return escape_text(extension_text(node, self.ctx)).replace("|", "\\|")
        parts = [self.flat(c, depth + 1) for c in children(node)]
        if kind == "panel":
            label = PANEL_LABELS.get(str_attr(node, "panelType"), "")
            parts.insert(0, f"**{label}:**" if label else "")
        if kind in ("expand", "nestedExpand") and str_attr(node, "title"):
            parts.insert(0, f"**{escape_text(str_attr(node, 'title'))}**".replace("|", "\\|"))
        return "<br>".join(p for p in parts if p)

    def b_mediaSingle(self, node: Node, depth: int, alternate: bool) -> str:
        media = [self.media_md(m, image=True) for m in _media_nodes(node)]
        caption = [self.paragraph_text(children(c)) for c in children(node) if c.get("type") == "caption"]
        return "\n\n".join(p for p in media + caption if p)

    def b_mediaGroup(self, node: Node, depth: int, alternate: bool) -> str:
        return "\n".join(self.media_md(m) for m in _media_nodes(node))

    def b_media(self, node: Node, depth: int, alternate: bool) -> str:
        return self.media_md(node, image=True)

    def media_md(self, node: Node, image: bool = False) -> str:
        a = attrs(node)
        name = escape_text(media_name(a))
        target = media_target(a, self.ctx)
        if target is None:
            return name
        prefix = "!" if image or a.get("type") == "image" else ""
        return f"{prefix}[{name}]({link_destination(target)})"

    def b_caption(self, node: Node, depth: int, alternate: bool) -> str:
        return self.paragraph_text(children(node))

    def b_blockCard(self, node: Node, depth: int, alternate: bool) -> str:
        return self.card_md(node)

    b_embedCard = b_blockCard

    def card_md(self, node: Node) -> str:
        url = card_url(node)
        title = card_title(node)
        if not url:
            source = attrs(node).get("datasource")
            return escape_text(title or ("[Jira datasource]" if source else "[card]"))
        if title:
            return f"[{escape_text(title)}]({link_destination(url)})"
        return f"<{url}>" if autolink_ok(url) else f"[{escape_text(url)}]({link_destination(url)})"

    def b_layoutSection(self, node: Node, depth: int, alternate: bool) -> str:
        return "\n\n".join(part for col in children(node) for part in self.blocks(children(col), depth))

    def b_extension(self, node: Node, depth: int, alternate: bool) -> str:
        return escape_text(extension_text(node, self.ctx))

    b_syncBlock = b_extension

    def b_bodiedExtension(self, node: Node, depth: int, alternate: bool) -> str:
        return "\n\n".join([escape_text(extension_text(node, self.ctx)), *self.blocks(children(node), depth)])

    # ------------------------------------------------------------------------------ inline

    def inline(self, nodes: list[Node], mode: str) -> str:
        """Inline nodes as Markdown. ``mode``: "block" (hard breaks as ``\\``), "line" (spaces),
        "cell" (``<br>``, pipes escaped)."""
        plain = _plain_text(nodes)
        return escape_text(plain) if plain is not None else self.rich_inline(nodes, mode)

    def rich_inline(self, nodes: list[Node], mode: str) -> str:
        """``inline`` for nodes that are not all plain text: segments with marks, then Markdown."""
        segments = self.segments(nodes, mode)
        if any(seg[0] for seg in segments):
            text = _emit(segments, cell=(mode == "cell"))
        else:
            text = _emit_unmarked(segments, cell=(mode == "cell"))
        if mode == "cell":
            text = text.replace("\n", " ")
        return text.strip("\n")

    def segments(self, nodes: list[Node], mode: str) -> list[Segment]:
        out: list[Segment] = []
        brk = BREAKS[mode]
        for node in nodes:
            node_marks = _rendered_marks(node)
            kind = node.get("type")
            if kind == "text":
                text = str(node.get("text", ""))
                if node.get("marks") and any(m.get("type") == "code" for m in marks(node)):
                    _push(out, (node_marks, "code", text))
                    continue
                if "\n" not in text:
                    if text:
                        _push(out, (node_marks, "text", text))
                    continue
                for i, line in enumerate(text.replace("\r\n", "\n").split("\n")):
                    if i:
                        _push(out, ((), "raw", brk))
                    if line:
                        _push(out, (node_marks, "text", line))
            elif kind == "hardBreak":
                _push(out, ((), "raw", brk))
            else:
                raw = self.inline_node(node, mode)
                if raw:
                    _push(out, (node_marks, "raw", raw))
        while out and out[-1][1] == "raw" and out[-1][2] == brk:
            out.pop()
        while out and out[0][1] == "raw" and out[0][2] == brk:
            out.pop(0)
        return out

    def inline_node(self, node: Node, mode: str) -> str:
        kind = node.get("type")
        if kind == "mention":
            return "@" + escape_text(mention_name(node, self.ctx))
        if kind == "emoji":
            return escape_text(emoji_text(node))
        if kind == "status":
            return escape_text(f"[{str_attr(node, 'text')}]")
        if kind == "date":
            return escape_text(date_text(attrs(node).get("timestamp")))
        if kind == "inlineCard":
            return self.card_md(node)
        if kind == "placeholder":
            return escape_text(str_attr(node, "text"))
        if kind == "mediaInline":
            return self.media_md(node)
        if kind in ("inlineExtension", "extension"):
            return escape_text(extension_text(node, self.ctx))
        inner = children(node)
        if inner:
            return _emit(self.segments(inner, mode))
        text = node.get("text")
        return escape_text(text) if isinstance(text, str) else ""


# Every ``b_<type>`` method, by node type: ``block`` dispatches through this table.
BLOCK_RENDERERS = {name[2:]: fn for name, fn in vars(_Renderer).items() if name.startswith("b_")}
BREAKS = {"block": "\\\n", "line": " ", "cell": "<br>"}  # a hard break in each inline mode

INLINE_KINDS = frozenset({
    "text", "hardBreak", "mention", "emoji", "status", "date", "inlineCard", "placeholder",
    "mediaInline", "inlineExtension",
})


def _plain_text(nodes: list[Node]) -> str | None:
    """The text of inline nodes that are all unmarked one-line text (most paragraphs), else None."""
    parts = []
    for node in nodes:
        text = node.get("text")
        if node.get("type") != "text" or node.get("marks") or not isinstance(text, str) or "\n" in text:
            return None
        parts.append(text)
    return "".join(parts)


def _push(out: list[Segment], seg: Segment) -> None:
    """Append, merging with the previous segment of the same kind and marks."""
    if out and seg[1] in ("text", "code") and out[-1][1] == seg[1] and out[-1][0] == seg[0] \
            and not any(m["type"] == "link" and attrs(m).get("href") in (out[-1][2], seg[2]) for m in seg[0]):
        out[-1] = (seg[0], seg[1], out[-1][2] + seg[2])
    else:
        out.append(seg)


def _rendered_marks(node: Node) -> tuple[Node, ...]:
    if not node.get("marks"):
        return ()
    kept = [m for m in marks(node) if m["type"] in MARK_ORDER]
    kept.sort(key=lambda m: MARK_ORDER[m["type"]])
    seen: set[str] = set()
    unique = []
    for m in kept:
        if m["type"] not in seen:
            seen.add(m["type"])
            unique.append(m)
    return tuple(unique)


DELIMS = {"strike": "~~", "strong": "**", "em": "*"}
HTML_TAGS = {"strike": "del", "strong": "strong", "em": "em", "underline": "u"}


def _open(mark: Node, html: bool) -> str:
    kind = mark["type"]
    if kind == "subsup":
        return "<sub>" if attrs(mark).get("type") == "sub" else "<sup>"
    if kind == "link":
        return "["
    return f"<{HTML_TAGS[kind]}>" if html or kind not in DELIMS else DELIMS[kind]


def _close(mark: Node, html: bool) -> str:
    kind = mark["type"]
    if kind == "link":
        a = attrs(mark)
        href = link_destination(str(a.get("href", "")))
        title = a.get("title")
        return f"]({href} {link_title(title)})" if isinstance(title, str) and title else f"]({href})"
    if kind == "subsup":
        return "</sub>" if attrs(mark).get("type") == "sub" else "</sup>"
    return f"</{HTML_TAGS[kind]}>" if html or kind not in DELIMS else DELIMS[kind]


def _emit_unmarked(segments: list[Segment], cell: bool) -> str:
    """``_emit`` for segments without marks (most paragraphs): no delimiters, so only escaping."""
    out: list[str] = []
    last = " "
    for index, (_, kind, payload) in enumerate(segments):
        if kind == "code":
            body = code_span(payload).replace("|", "\\|") if cell else code_span(payload)
        elif kind == "text":
            body = escape_text(payload, last, _next_char(segments, index))
        else:
            body = payload
        if body:
            out.append(body)
            last = body[-1]
    return "".join(out)


def _emit(segments: list[Segment], cell: bool = False) -> str:
    """Segments as Markdown. Emphasis delimiters that CommonMark's flanking rules would not read
    as delimiters (``a**(b)**``) make the whole run fall back to HTML tags (``<strong>``)."""
    parts = _emit_parts(segments, cell, html=False)
    if any(flag for _, flag in parts) and not _flanking_ok(parts):
        parts = _emit_parts(segments, cell, html=True)
    return "".join(text for text, _ in parts)


def _emit_parts(segments: list[Segment], cell: bool, html: bool) -> list[tuple[str, int]]:
    """Output pieces tagged 0 (text), 1 (opening delimiter run) or 2 (closing delimiter run)."""
    out: list[tuple[str, int]] = []
    stack: list[Node] = []

    def close_to(k: int) -> None:
        while len(stack) > k:
            mark = stack.pop()
            # Closing delimiters must follow non-space text: move trailing spaces past them.
            ws = ""
            while out and not out[-1][1] and not out[-1][0].strip(" \t"):
                ws = out.pop()[0] + ws
            if out and not out[-1][1]:
                stripped = out[-1][0].rstrip(" \t")
                ws = out[-1][0][len(stripped):] + ws
                out[-1] = (stripped, 0)
            out.append((_close(mark, html), 2 if not html and mark["type"] in DELIMS else 0))
            out.append((ws, 0))

    for index, (node_marks, kind, payload) in enumerate(segments):
        wanted = list(node_marks)
        if kind == "text" and not payload.strip():
            wanted = [m for m, s in zip(wanted, stack, strict=False) if m == s]
        if kind == "text" and len(wanted) == 1 and wanted[0]["type"] == "link" \
                and attrs(wanted[0]).get("href") == payload and autolink_ok(payload):
            kind, payload, wanted = "raw", f"<{payload}>", []
        common = 0
        while common < min(len(stack), len(wanted)) and stack[common] == wanted[common]:
            common += 1
        close_to(common)
        if kind == "code":
            body = code_span(payload).replace("|", "\\|") if cell else code_span(payload)
        elif kind == "text":
            before = " " if len(wanted) > common else _last_char(out)
            body = escape_text(payload, before, _next_char(segments, index))
        else:
            body = payload
        if len(wanted) > common:
            lead = body[: len(body) - len(body.lstrip(" \t"))]
            out.append((lead, 0))
            body = body[len(lead):]
            for mark in wanted[common:]:
                if mark["type"] == "link":
                    _escape_bang(out)
                out.append((_open(mark, html), 1 if not html and mark["type"] in DELIMS else 0))
                stack.append(mark)
        out.append((body, 0))
    close_to(0)
    return [p for p in out if p[0]]


def _flanking_ok(parts: list[tuple[str, int]]) -> bool:
    """Would every delimiter run we emitted be read as one (CommonMark left/right-flanking)?
    Checked with and without symbols counted as punctuation (spec versions differ)."""
    for i, (text, flag) in enumerate(parts):
        if not flag:
            continue
        if i and parts[i - 1][1] and parts[i - 1][1] != flag and parts[i - 1][0][0] == text[0]:
            return False  # a closing run touching an opening run of the same character merges with it
        before = _neighbour_char(parts, i, -1)
        after = _neighbour_char(parts, i, 1)
        for wide in (False, True):
            p_before, p_after = _punct(before, wide), _punct(after, wide)
            if flag == 1 and (after.isspace() or (p_after and not (before.isspace() or p_before))):
                return False
            if flag == 2 and (before.isspace() or (p_before and not (after.isspace() or p_after))):
                return False
    return True


def _neighbour_char(parts: list[tuple[str, int]], i: int, step: int) -> str:
    """The character next to delimiter part ``i``'s run (runs of one character merge)."""
    char = parts[i][0][0]
    j = i + step
    while 0 <= j < len(parts):
        text, flag = parts[j]
        if not (flag and text[0] == char):
            return text[-1] if step < 0 else text[0]
        j += step
    return " "


def _punct(ch: str, wide: bool) -> bool:
    if ch.isspace():
        return False
    category = unicodedata.category(ch)[0]
    return category == "P" or (category == "S" and (wide or ch.isascii()))


def _last_char(out: list[tuple[str, int]]) -> str:
    for text, _ in reversed(out):
        if text:
            return text[-1]
    return " "


def _next_char(segments: list[Segment], index: int) -> str:
    """The character after segment ``index`` in the output, when no delimiter comes between."""
    if index + 1 < len(segments):
        marks_now, _, _ = segments[index]
        marks_next, kind, payload = segments[index + 1]
        if marks_next == marks_now and kind in ("text", "raw") and payload:
            return payload[0]
    return " "


def _escape_bang(out: list[tuple[str, int]]) -> None:
    """A ``[`` is about to follow: escape an ``!`` before it, or the link would become an image."""
    for i in range(len(out) - 1, -1, -1):
        text, flag = out[i]
        if text:
            if text.endswith("!") and not text.endswith("\\!"):
                out[i] = (text[:-1] + "\\!", flag)
            return


def _table_grid(node: Node) -> list[list[Node | None]]:
    """Rows of cells with merged cells expanded: the covered positions hold ``None``."""
    grid: list[list[Node | None]] = []
    pending: dict[tuple[int, int], bool] = {}
    for r, row in enumerate(c for c in children(node) if c.get("type") == "tableRow" or children(c)):
        cells: list[Node | None] = []
        col = 0
        for cell in children(row):
            while pending.pop((r, col), False):
                cells.append(None)
                col += 1
            a = attrs(cell)
            span = _span(a.get("colspan"))
            rows = _span(a.get("rowspan"))
            cells.append(cell)
            cells.extend([None] * (span - 1))
            for dr in range(1, rows):
                for dc in range(span):
                    pending[(r + dr, col + dc)] = True
            col += span
        while pending.pop((r, col), False):
            cells.append(None)
            col += 1
        grid.append(cells)
    return grid


def _span(value: Any) -> int:
    if value is None:  # no span attribute (most cells)
        return 1
    try:
        return max(1, min(int(value), 64))
    except (TypeError, ValueError):
        return 1


def _media_nodes(node: Node) -> list[Node]:
    if node.get("type") in ("media", "mediaInline"):
        return [node]
    return [c for c in children(node) if c.get("type") in ("media", "mediaInline")]


def _all_text(node: Any) -> str:
    """All text under a node, iteratively (used past the depth limit)."""
    parts: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if not isinstance(current, dict):
            continue
        text = current.get("text")
        if isinstance(text, str):
            parts.append(text)
        stack.extend(reversed(children(current)))
    return " ".join(parts)
