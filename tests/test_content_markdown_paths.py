"""Markdown rendering: plain text renders exactly like the same text split up or carrying dropped marks,
line starts are escaped whatever the digits, and wiki lines without markup read as written."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jirasync.content import adf_to_markdown, wiki_to_markdown


def doc(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(blocks)}


def para(*inline: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(inline)}


def txt(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": text, **extra}


@pytest.mark.parametrize(("text", "expected"), [
    ("plain words", "plain words"),
    ("1. not a list", "1\\. not a list"),
    ("٣. Arabic-Indic digits", "٣\\. Arabic-Indic digits"),
    ("# not a heading", "\\# not a heading"),
    ("  - indented dash", "\\- indented dash"),
    ("+ plus", "\\+ plus"),
    ("=", "\\="),
    ("> not a quote", "\\> not a quote"),
    ("a_b and _c_ with *stars* [x] `c` <b> &amp;", "a_b and \\_c\\_ with \\*stars\\* \\[x\\] \\`c\\` \\<b> \\&amp;"),
    ("trailing spaces   ", "trailing spaces"),
])
def test_plain_paragraph_text_is_escaped(text: str, expected: str) -> None:
    assert adf_to_markdown(doc(para(txt(text)))) == expected + "\n"


def test_a_paragraph_split_into_text_nodes_renders_like_one_node() -> None:
    whole = "1. under_score *star* end"
    pieces = [txt("1"), txt(". under"), txt("_score *st"), txt("ar* end")]
    assert adf_to_markdown(doc(para(*pieces))) == adf_to_markdown(doc(para(txt(whole)))) == \
        "1\\. under_score \\*star\\* end\n"


def test_text_that_is_not_a_string_still_renders() -> None:
    assert adf_to_markdown(doc(para(txt(5)), para({"type": "text"}))) == "5\n"  # type: ignore[arg-type]


def test_table_cells_with_and_without_spans() -> None:
    cell = {"type": "tableCell", "content": [para(txt("a|b"))]}
    wide = {"type": "tableCell", "attrs": {"colspan": 2, "rowspan": None}, "content": [para(txt("wide"))]}
    table = {"type": "table", "content": [{"type": "tableRow", "content": [wide]},
                                          {"type": "tableRow", "content": [cell, cell]}]}
    assert adf_to_markdown(doc(table)) == "| wide |  |\n| --- | --- |\n| a\\|b | a\\|b |\n"


WORDS = st.lists(st.one_of(st.text(min_size=1, max_size=6),
                           st.sampled_from(["1. ", "# ", "- ", "_", "*", "\n", "a_b", "<a", "&x;", " "])),
                 min_size=1, max_size=8)
DROPPED = [{"type": "textColor", "attrs": {"color": "#ff0000"}}, {"type": "backgroundColor", "attrs": {"color": "#fff"}},
           {"type": "annotation", "attrs": {"id": "a", "annotationType": "inlineComment"}}]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(WORDS, st.sampled_from(DROPPED))
def test_marks_markdown_drops_leave_the_text_rendered_as_plain_text(pieces: list[str], dropped: dict[str, Any]) -> None:
    plain = [txt(p) for p in pieces]
    coloured = [txt(p, marks=[dropped]) for p in pieces]
    for wrap in (para, lambda *c: {"type": "heading", "attrs": {"level": 2}, "content": list(c)}):
        assert adf_to_markdown(doc(wrap(*coloured))) == adf_to_markdown(doc(wrap(*plain)))
    def table(cells: list[dict[str, Any]]) -> dict[str, Any]:
        return {"type": "table", "content": [{"type": "tableRow", "content": [
            {"type": "tableCell", "content": [para(*cells)]}]}]}
    assert adf_to_markdown(doc(table(coloured))) == adf_to_markdown(doc(table(plain)))


@pytest.mark.parametrize(("wiki", "expected"), [
    ("Actual result: a blank page; see the log (server side).", "Actual result: a blank page; see the log (server side)."),
    ("ok:) and :) then (y) (flagoff) (on) (*r) ;)", "ok:) and 🙂 then 👍 🏳️ 💡 ⭐ 😉"),
    ("Time: 10:30 (UTC) ratio 3:2", "Time: 10:30 (UTC) ratio 3:2"),
    ("word(x) and (x) and (nothing here)", "word(x) and ❌ and (nothing here)"),
    ("hello\nworld", "hello\\\nworld"),
    ("  h2. Heading with space", "## Heading with space"),
    ("  * item\nhb text", "- item\n\nhb text"),
    ("bqx. not a quote\n--- not a rule", "bqx. not a quote\\\n— not a rule"),
])
def test_wiki_lines_read_as_written_where_there_is_no_markup(wiki: str, expected: str) -> None:
    assert wiki_to_markdown(wiki) == expected + "\n"
