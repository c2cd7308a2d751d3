"""ADF -> HTML in the shape of Jira's renderer (what ``expand=renderedFields`` returns).

Jira renders wiki markup server-side with its own tag vocabulary: ``<b>``, ``<em>``, ``<ins>``,
``<del>``, ``<tt>``, ``<font color>``, ``confluenceTable``, ``code panel``; all text is escaped.
"""

from __future__ import annotations

import re
from html import escape

from jiraemu.content._common import (
    PANEL_COLORS,
    Node,
    attrs,
    card_url,
    children,
    date_text,
    emoji_text,
    marks_of,
    media_name,
    mention_text,
)

MARK_TAGS = {"strong": "b", "em": "em", "underline": "ins", "strike": "del", "code": "tt"}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _link(url: str, body: str) -> str:
    return f'<a href="{_e(url)}" class="external-link" rel="nofollow noreferrer">{body}</a>'


def _text(node: Node) -> str:
    body = _e(node.get("text", "")).replace("\n", "<br/>\n")
    for mark in marks_of(node):
        kind = mark.get("type")
        a = attrs(mark)
        if kind in MARK_TAGS:
            tag = MARK_TAGS[str(kind)]
            body = f"<{tag}>{body}</{tag}>"
        elif kind == "subsup":
            tag = "sub" if a.get("type") == "sub" else "sup"
            body = f"<{tag}>{body}</{tag}>"
        elif kind == "textColor":
            body = f'<font color="{_e(a.get("color", ""))}">{body}</font>'
        elif kind == "backgroundColor":
            body = f'<span style="background-color: {_e(a.get("color", ""))}">{body}</span>'
    for mark in marks_of(node):
        if mark.get("type") == "link":
            body = _link(str(attrs(mark).get("href", "")), body)
    return body


def _mention(node: Node) -> str:
    raw = str(attrs(node).get("id", ""))
    ident = _e(raw)
    name = _e(mention_text(node).lstrip("@"))
    if ":" not in raw and len(raw) <= 20:  # a DC username
        return f'<a href="/secure/ViewProfile.jspa?name={ident}" class="user-hover" rel="{ident}">{name}</a>'
    return (f'<a href="/secure/ViewProfile.jspa?accountId={ident}" class="user-hover" rel="{ident}" '
            f'data-account-id="{ident}" accountid="{ident}">{name}</a>')


def _image(node: Node) -> str:
    name = media_name(node)
    return f'<span class="image-wrap" style=""><img src="{_e(name)}" style="border: 0px solid black" /></span>'


def _inline(node: Node) -> str:
    kind = node.get("type")
    a = attrs(node)
    if kind == "text":
        return _text(node)
    if kind == "hardBreak":
        return "<br/>\n"
    if kind == "mention":
        return _mention(node)
    if kind == "emoji":
        return f'<span class="emoji" data-emoji-short-name="{_e(a.get("shortName", ""))}">{_e(emoji_text(node))}</span>'
    if kind == "status":
        return f'<span class="status-macro aui-lozenge">{_e(a.get("text", ""))}</span>'
    if kind == "date":
        day = _e(date_text(a.get("timestamp")))
        return f'<time datetime="{day}">{day}</time>'
    if kind == "inlineCard":
        url = card_url(node)
        return _link(url, _e(url))
    if kind == "mediaInline":
        return _image(node) if a.get("type") == "image" else f'<a href="{_e(media_name(node))}">{_e(media_name(node))}</a>'
    if kind == "inlineExtension":
        return _e(a.get("text", ""))
    if kind == "placeholder":
        return ""
    return "".join(_inline(c) for c in children(node))


def _inlines(node: Node) -> str:
    return "".join(_inline(c) for c in children(node))


def _slug(text: str) -> str:
    return re.sub(r"[^\w]", "", text)


def _code(node: Node) -> str:
    text = _e("".join(str(c.get("text", "")) for c in children(node)))
    lang = attrs(node).get("language")
    if lang:
        return (f'<div class="code panel" style="border-width: 1px;"><div class="codeContent panelContent">\n'
                f'<pre class="code-{_e(lang)}">{text}</pre>\n</div></div>')
    return ('<div class="preformatted panel" style="border-width: 1px;"><div class="preformattedContent panelContent">\n'
            f"<pre>{text}</pre>\n</div></div>")


def _table(node: Node) -> str:
    rows = []
    for row in children(node):
        cells = []
        for cell in children(row):
            tag, cls = ("th", "confluenceTh") if cell.get("type") == "tableHeader" else ("td", "confluenceTd")
            span = attrs(cell).get("colspan")
            extra = f" colspan='{int(span)}'" if isinstance(span, int | float) and span > 1 else ""
            cells.append(f"<{tag} class='{cls}'{extra}>{_cell(cell)}</{tag}>")
        rows.append("<tr>\n" + "\n".join(cells) + "\n</tr>")
    return "<div class='table-wrap'>\n<table class='confluenceTable'><tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n</div>"


def _cell(cell: Node) -> str:
    blocks = children(cell)
    if len(blocks) == 1 and blocks[0].get("type") == "paragraph":
        return _inlines(blocks[0])
    return blocks_html(blocks)


def _list_item(node: Node) -> str:
    blocks = children(node)
    if node.get("type") in ("taskItem", "decisionItem"):
        return f"<li>{_inlines(node)}</li>"
    parts = [_inlines(b) if b.get("type") == "paragraph" and i == 0 else block_html(b) for i, b in enumerate(blocks)]
    return "<li>" + "\n".join(parts) + "</li>"


def _panel(node: Node) -> str:
    a = attrs(node)
    color = _e(a.get("panelColor") or PANEL_COLORS.get(str(a.get("panelType")), "#deebff"))
    return (f'<div class="panel" style="background-color: {color};border-width: 1px;">'
            f'<div class="panelContent" style="background-color: {color};">\n{blocks_html(children(node))}\n</div></div>')


def block_html(node: Node) -> str:
    kind = node.get("type")
    if kind == "paragraph":
        return f"<p>{_inlines(node)}</p>"
    if kind == "heading":
        level = attrs(node).get("level", 1)
        level = int(level) if isinstance(level, int | float) and 1 <= level <= 6 else 1
        body = _inlines(node)
        return f'<h{level}><a name="{_e(_slug(re.sub("<[^>]+>", "", body)))}"></a>{body}</h{level}>'
    if kind in ("bulletList", "taskList", "decisionList"):
        return '<ul class="alternate" type="square">\n' + "\n".join(_list_item(c) for c in children(node)) + "\n</ul>"
    if kind == "orderedList":
        return "<ol>\n" + "\n".join(_list_item(c) for c in children(node)) + "\n</ol>"
    if kind in ("listItem", "taskItem", "decisionItem"):
        return _list_item(node)
    if kind == "codeBlock":
        return _code(node)
    if kind == "blockquote":
        return f"<blockquote>\n{blocks_html(children(node))}\n</blockquote>"
    if kind == "rule":
        return "<hr />"
    if kind == "panel":
        return _panel(node)
    if kind in ("expand", "nestedExpand"):
        title = _e(attrs(node).get("title", "") or "")
        return (f'<div class="expand-container"><div class="expand-title">{title}</div>'
                f'<div class="expand-content">\n{blocks_html(children(node))}\n</div></div>')
    if kind == "table":
        return _table(node)
    if kind == "media":
        return _image(node)
    if kind in ("mediaSingle", "mediaGroup"):
        return "<p>" + "".join(_image(c) if c.get("type") == "media" else _inlines(c) for c in children(node)) + "</p>"
    if kind in ("blockCard", "embedCard"):
        url = card_url(node)
        return f"<p>{_link(url, _e(url))}</p>" if url else ""
    if kind in ("extension", "syncBlock"):
        return ""
    if kind in ("text", "mention", "emoji", "status", "date", "inlineCard", "hardBreak", "mediaInline",
                "inlineExtension", "placeholder"):
        return _inline(node)
    return blocks_html(children(node))


def blocks_html(nodes: list[Node]) -> str:
    return "\n".join(p for p in (block_html(n) for n in nodes) if p)
