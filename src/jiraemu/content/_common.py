"""Tables and small helpers shared by the converters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Node = dict[str, Any]

# Wiki panel colours as Jira Cloud's ADF -> wiki converter writes them, per ADF panel type.
PANEL_COLORS = {
    "info": "#deebff",
    "note": "#eae6ff",
    "tip": "#e6fcff",
    "success": "#e3fcef",
    "warning": "#fffae6",
    "error": "#ffebe6",
}
PANEL_BY_COLOR = {v: k for k, v in PANEL_COLORS.items()}
PANEL_MACROS = {"info": "info", "note": "note", "tip": "tip", "warning": "warning", "error": "error"}

# Wiki emoticons and the ADF emoji they map to: (shortName, id, text).
EMOTICONS: dict[str, tuple[str, str, str]] = {
    ":)": (":slight_smile:", "1f642", "🙂"),
    ":(": (":slight_frown:", "1f641", "🙁"),
    ":P": (":stuck_out_tongue:", "1f61b", "😛"),
    ":D": (":grinning:", "1f600", "😀"),
    ";)": (":wink:", "1f609", "😉"),
    "(y)": (":thumbsup:", "1f44d", "👍"),
    "(n)": (":thumbsdown:", "1f44e", "👎"),
    "(i)": (":info:", "atlassian-info", "ℹ️"),
    "(/)": (":check_mark:", "atlassian-check_mark", "✅"),
    "(x)": (":cross_mark:", "atlassian-cross_mark", "❌"),
    "(!)": (":warning:", "atlassian-warning", "⚠️"),
    "(+)": (":plus:", "atlassian-plus", "➕"),
    "(-)": (":minus:", "atlassian-minus", "➖"),
    "(?)": (":question:", "atlassian-question_mark", "❓"),
    "(on)": (":light_bulb_on:", "atlassian-light_bulb_on", "💡"),
    "(off)": (":light_bulb_off:", "atlassian-light_bulb_off", "💡"),
    "(*)": (":star:", "2b50", "⭐"),
}
EMOTICON_KEYS = sorted(EMOTICONS, key=len, reverse=True)

NAMED_COLORS = {
    "red": "#ff0000", "green": "#008000", "blue": "#0000ff", "black": "#000000", "white": "#ffffff",
    "gray": "#808080", "grey": "#808080", "orange": "#ffa500", "yellow": "#ffff00", "purple": "#800080",
}


def date_text(timestamp: Any) -> str:
    """An ADF date node's timestamp (epoch ms as a string) as yyyy-mm-dd in UTC, as Jira shows it."""
    try:
        return datetime.fromtimestamp(int(timestamp) / 1000, UTC).strftime("%Y-%m-%d")
    except (TypeError, ValueError, OverflowError, OSError):
        return str(timestamp)


def attrs(node: Node) -> dict[str, Any]:
    value = node.get("attrs")
    return value if isinstance(value, dict) else {}


def children(node: Node) -> list[Node]:
    value = node.get("content")
    return [c for c in value if isinstance(c, dict)] if isinstance(value, list) else []


def marks_of(node: Node) -> list[Node]:
    value = node.get("marks")
    return [m for m in value if isinstance(m, dict)] if isinstance(value, list) else []


def card_url(node: Node) -> str:
    a = attrs(node)
    if isinstance(a.get("url"), str):
        return str(a["url"])
    data = a.get("data")
    if isinstance(data, dict):
        for key in ("url", "name"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return ""


def media_name(node: Node) -> str:
    a = attrs(node)
    for key in ("url", "alt", "id"):
        if isinstance(a.get(key), str) and a[key]:
            return str(a[key])
    return ""


def mention_text(node: Node) -> str:
    a = attrs(node)
    text = a.get("text")
    if isinstance(text, str) and text:
        return text
    return "@" + str(a.get("id", ""))


def emoji_text(node: Node) -> str:
    a = attrs(node)
    text = a.get("text")
    return text if isinstance(text, str) and text else str(a.get("shortName", ""))
