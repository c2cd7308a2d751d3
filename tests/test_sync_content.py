"""The connector's rich-text converters: ADF / wiki markup -> Markdown, Markdown -> ADF / wiki."""

from __future__ import annotations

import json
import re
import string
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jirasync.content import (
    MarkdownContext,
    adf_to_markdown,
    adf_to_wiki,
    markdown_to_adf,
    markdown_to_wiki,
    text_of_adf,
    text_of_wiki,
    wiki_to_markdown,
)
from tests.support.reference import REFERENCE

SCHEMA = json.loads((REFERENCE / "adf" / "adf-schema-v1-full.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)
FIXTURES = REFERENCE / "fixtures"
ACCOUNT = "557058:f0000000-0000-4000-8000-000000000001"


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[^\W_]+", text))


def missing_words(source: str, rendered: str) -> Counter[str]:
    """Words of ``source`` not in ``rendered`` (Markdown's inline HTML tags split no words)."""
    rendered = re.sub(r"</?(?:u|sub|sup)>", "", rendered).replace("<br>", " ")
    return words(re.sub(r"[*~`\\]", "", source)) - words(re.sub(r"[*~`\\]", "", rendered))


def assert_valid(adf: dict[str, Any]) -> None:
    errors = [e.message[:300] for e in VALIDATOR.iter_errors(adf)]
    assert not errors, errors


def doc(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(blocks)}


def para(*inline: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(inline)}


def txt(text: str, *marks: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    if marks:
        node["marks"] = list(marks)
    return node


def mark(kind: str, **attrs: Any) -> dict[str, Any]:
    return {"type": kind, "attrs": attrs} if attrs else {"type": kind}


CTX = MarkdownContext(
    user_name={ACCOUNT: "Ada Lovelace", "jdoe": "John Doe"}.get,
    media_link=lambda a: f"attachments/{a.get('alt') or a.get('filename') or a.get('id')}",
)


# ------------------------------------------------------------------------------ real fixtures


def _found(obj: Any, pred: Callable[[Any], bool], out: list[Any]) -> list[Any]:
    if pred(obj):
        out.append(obj)
    elif isinstance(obj, dict):
        for value in obj.values():
            _found(value, pred, out)
    elif isinstance(obj, list):
        for value in obj:
            _found(value, pred, out)
    return out


def _adf_fixtures() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((FIXTURES / "cloud-v3").glob("*.json")):
        _found(json.loads(path.read_text()), lambda o: isinstance(o, dict) and o.get("type") == "doc", docs)
    return docs


def test_cloud_fixture_bodies_render_as_their_paragraph_text() -> None:
    docs = _adf_fixtures()
    assert len(docs) >= 10
    for adf in docs:
        expected = "\n\n".join("".join(t["text"] for t in p["content"]) for p in adf["content"])
        assert adf_to_markdown(adf) == expected + "\n"
        assert text_of_adf(adf) == expected.replace("\n\n", "\n")


def test_datacenter_fixture_bodies_render_as_their_text() -> None:
    bodies: list[str] = []
    for path in sorted((FIXTURES / "datacenter-v2").glob("*.json")):
        data = json.loads(path.read_text())
        _found(data, lambda o: isinstance(o, dict) and isinstance(o.get("body"), str), bodies)
    texts = [b["body"] for b in bodies]  # type: ignore[index]
    assert "This is a comment. Creative." in texts
    for body in texts:
        assert wiki_to_markdown(body) == body + "\n"
        assert text_of_wiki(body) == body


# ------------------------------------------------------------------ every node and mark type


def _schema_types(suffix: str) -> set[str]:
    found = set()
    for name, definition in SCHEMA["definitions"].items():
        enum = definition.get("properties", {}).get("type", {}).get("enum")
        if name.endswith(suffix) and enum:
            found.update(enum)
    return found


MEDIA = {"type": "media", "attrs": {"type": "file", "id": "f-1", "collection": "c", "alt": "shot.png"}}
CELL = {"type": "tableCell", "content": [para(txt("cellword"))]}

# type -> (document containing it, substring its Markdown must contain)
NODE_EXAMPLES: dict[str, tuple[dict[str, Any], str]] = {
    "doc": (doc(para(txt("docword"))), "docword"),
    "paragraph": (doc(para(txt("paraword"))), "paraword"),
    "text": (doc(para(txt("textword"))), "textword"),
    "heading": (doc({"type": "heading", "attrs": {"level": 3}, "content": [txt("Head")]}), "### Head"),
    "hardBreak": (doc(para(txt("one"), {"type": "hardBreak"}, txt("two"))), "one\\\ntwo"),
    "bulletList": (doc({"type": "bulletList", "content": [
        {"type": "listItem", "content": [para(txt("bulletword"))]}]}), "- bulletword"),
    "orderedList": (doc({"type": "orderedList", "attrs": {"order": 4}, "content": [
        {"type": "listItem", "content": [para(txt("four"))]}, {"type": "listItem", "content": [para(txt("five"))]}]}),
        "4. four\n5. five"),
    "listItem": (doc({"type": "bulletList", "content": [
        {"type": "listItem", "content": [para(txt("itemword"))]}]}), "- itemword"),
    "taskList": (doc({"type": "taskList", "attrs": {"localId": "l"}, "content": [
        {"type": "taskItem", "attrs": {"localId": "a", "state": "DONE"}, "content": [txt("shipped")]},
        {"type": "taskItem", "attrs": {"localId": "b", "state": "TODO"}, "content": [txt("pending")]}]}),
        "- [x] shipped\n- [ ] pending"),
    "taskItem": (doc({"type": "taskList", "attrs": {"localId": "l"}, "content": [
        {"type": "taskItem", "attrs": {"localId": "a", "state": "TODO"}, "content": [txt("todo")]}]}), "- [ ] todo"),
    "blockTaskItem": (doc({"type": "taskList", "attrs": {"localId": "l"}, "content": [
        {"type": "blockTaskItem", "attrs": {"localId": "a", "state": "DONE"}, "content": [para(txt("blocky"))]}]}),
        "- [x] blocky"),
    "decisionList": (doc({"type": "decisionList", "attrs": {"localId": "d"}, "content": [
        {"type": "decisionItem", "attrs": {"localId": "i", "state": "DECIDED"}, "content": [txt("go")]}]}),
        "- **Decision:** go"),
    "decisionItem": (doc({"type": "decisionList", "attrs": {"localId": "d"}, "content": [
        {"type": "decisionItem", "attrs": {"localId": "i", "state": "DECIDED"}, "content": [txt("agreed")]}]}),
        "agreed"),
    "codeBlock": (doc({"type": "codeBlock", "attrs": {"language": "python"},
                       "content": [txt("print('```')")]}), "````python\nprint('```')\n````"),
    "blockquote": (doc({"type": "blockquote", "content": [para(txt("quoted"))]}), "> quoted"),
    "rule": (doc(para(txt("above")), {"type": "rule"}), "above\n\n---"),
    "panel": (doc({"type": "panel", "attrs": {"panelType": "warning"}, "content": [para(txt("hot"))]}),
              "> **Warning:** hot"),
    "expand": (doc({"type": "expand", "attrs": {"title": "More <info>"}, "content": [para(txt("hidden"))]}),
               "<details>\n<summary>More &lt;info&gt;</summary>\n\nhidden\n\n</details>"),
    "nestedExpand": (doc({"type": "table", "content": [{"type": "tableRow", "content": [
        {"type": "tableCell", "content": [{"type": "nestedExpand", "attrs": {"title": "Inner"},
                                           "content": [para(txt("nestedword"))]}]}]}]}),
        "**Inner**<br>nestedword"),
    "table": (doc({"type": "table", "content": [
        {"type": "tableRow", "content": [{"type": "tableHeader", "content": [para(txt("H"))]},
                                         {"type": "tableHeader", "content": [para(txt("I"))]}]},
        {"type": "tableRow", "content": [CELL, {"type": "tableCell", "content": [para(txt("a|b"))]}]}]}),
        "| H | I |\n| --- | --- |\n| cellword | a\\|b |"),
    "tableRow": (doc({"type": "table", "content": [{"type": "tableRow", "content": [CELL]}]}), "| cellword |"),
    "tableCell": (doc({"type": "table", "content": [{"type": "tableRow", "content": [CELL]}]}), "cellword"),
    "tableHeader": (doc({"type": "table", "content": [{"type": "tableRow", "content": [
        {"type": "tableHeader", "content": [para(txt("headword"))]}]}]}), "| headword |\n| --- |"),
    "mediaSingle": (doc({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [MEDIA]}),
                    "![shot.png](attachments/shot.png)"),
    "media": (doc({"type": "mediaGroup", "content": [MEDIA]}), "[shot.png](attachments/shot.png)"),
    "mediaGroup": (doc({"type": "mediaGroup", "content": [
        MEDIA, {"type": "media", "attrs": {"type": "file", "id": "f-2", "collection": "c", "alt": "log.txt"}}]}),
        "[log.txt](attachments/log.txt)"),
    "caption": (doc({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
        MEDIA, {"type": "caption", "content": [txt("Figure one")]}]}), "Figure one"),
    "mediaInline": (doc(para(txt("see "), {"type": "mediaInline", "attrs": {
        "type": "file", "id": "f-3", "collection": "c", "alt": "report.pdf"}})),
        "see [report.pdf](attachments/report.pdf)"),
    "mention": (doc(para({"type": "mention", "attrs": {"id": ACCOUNT, "text": "@old name"}})), "@Ada Lovelace"),
    "emoji": (doc(para({"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}})), "😄"),
    "status": (doc(para({"type": "status", "attrs": {"text": "IN PROGRESS", "color": "blue"}})),
               "\\[IN PROGRESS\\]"),
    "date": (doc(para({"type": "date", "attrs": {"timestamp": "1718841600000"}})), "2024-06-20"),
    "inlineCard": (doc(para({"type": "inlineCard", "attrs": {"url": "https://ex.com/a"}})), "<https://ex.com/a>"),
    "blockCard": (doc({"type": "blockCard", "attrs": {"url": "https://ex.com/b"}}), "<https://ex.com/b>"),
    "embedCard": (doc({"type": "embedCard", "attrs": {"url": "https://ex.com/c", "layout": "center"}}),
                  "<https://ex.com/c>"),
    "placeholder": (doc(para({"type": "placeholder", "attrs": {"text": "Type here"}})), "Type here"),
    "layoutSection": (doc({"type": "layoutSection", "content": [
        {"type": "layoutColumn", "attrs": {"width": 50}, "content": [para(txt("left"))]},
        {"type": "layoutColumn", "attrs": {"width": 50}, "content": [para(txt("right"))]}]}), "left\n\nright"),
    "layoutColumn": (doc({"type": "layoutSection", "content": [
        {"type": "layoutColumn", "attrs": {"width": 33.3}, "content": [para(txt("colword"))]},
        {"type": "layoutColumn", "attrs": {"width": 66.7}, "content": [para(txt("col2"))]}]}), "colword"),
    "extension": (doc({"type": "extension", "attrs": {"extensionKey": "toc", "extensionType": "com.atlassian"}}),
                  "\\[extension: toc\\]"),
    "bodiedExtension": (doc({"type": "bodiedExtension", "attrs": {
        "extensionKey": "details", "extensionType": "com.atlassian"}, "content": [para(txt("bodyword"))]}),
        "\\[extension: details\\]\n\nbodyword"),
    "inlineExtension": (doc(para(txt("Build "), {"type": "inlineExtension", "attrs": {
        "extensionKey": "status", "extensionType": "com.atlassian", "text": "green"}})),
        "Build \\[extension: status\\] green"),
    "syncBlock": (doc({"type": "syncBlock", "attrs": {"resourceId": "r-1", "localId": "s"}}), "r-1"),
    "bodiedSyncBlock": (doc({"type": "bodiedSyncBlock", "attrs": {"resourceId": "r-2", "localId": "s"},
                             "content": [para(txt("syncedword"))]}), "syncedword"),
}

MARK_EXAMPLES: dict[str, tuple[dict[str, Any], str]] = {
    "strong": (doc(para(txt("bold", mark("strong")))), "**bold**"),
    "em": (doc(para(txt("it", mark("em")))), "*it*"),
    "code": (doc(para(txt("a`b", mark("code")))), "``a`b``"),
    "strike": (doc(para(txt("gone", mark("strike")))), "~~gone~~"),
    "underline": (doc(para(txt("under", mark("underline")))), "<u>under</u>"),
    "link": (doc(para(txt("site", mark("link", href="https://ex.com/x y", title="T")))),
             '[site](https://ex.com/x%20y "T")'),
    "subsup": (doc(para(txt("H"), txt("2", mark("subsup", type="sub")), txt("O"))), "H<sub>2</sub>O"),
    "textColor": (doc(para(txt("red", mark("textColor", color="#ff0000")))), "red"),
    "backgroundColor": (doc(para(txt("hl", mark("backgroundColor", color="#ffff00")))), "hl"),
    "annotation": (doc(para(txt("noted", mark("annotation", id="x", annotationType="inlineComment")))),
                   "noted"),
    "alignment": (doc({"type": "paragraph", "marks": [mark("alignment", align="center")],
                       "content": [txt("centered")]}), "centered"),
    "indentation": (doc({"type": "paragraph", "marks": [mark("indentation", level=2)],
                         "content": [txt("indented")]}), "indented"),
    "breakout": (doc({"type": "codeBlock", "marks": [], "content": [txt("wide")]},
                     {"type": "layoutSection", "marks": [mark("breakout", mode="wide")], "content": [
                         {"type": "layoutColumn", "attrs": {"width": 50}, "content": [para(txt("l"))]},
                         {"type": "layoutColumn", "attrs": {"width": 50}, "content": [para(txt("r"))]}]}), "l\n\nr"),
    "border": (doc({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
        {**MEDIA, "marks": [mark("border", size=2, color="#091e4224")]}]}), "shot.png"),
    "dataConsumer": (doc({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
        {**MEDIA, "marks": [mark("dataConsumer", sources=["x"])]}]}), "shot.png"),
    "fragment": (doc({"type": "table", "marks": [mark("fragment", localId="f", name="n")], "content": [
        {"type": "tableRow", "content": [CELL]}]}), "cellword"),
    "fontSize": (doc({"type": "paragraph", "marks": [mark("fontSize", fontSize="small")],
                      "content": [txt("small print")]}), "small print"),
}


def test_examples_cover_every_node_and_mark_of_the_schema() -> None:
    assert _schema_types("_node") - set(NODE_EXAMPLES) == set()
    assert _schema_types("_mark") - set(MARK_EXAMPLES) == set()


@pytest.mark.parametrize("kind", sorted({**NODE_EXAMPLES, **MARK_EXAMPLES}))
def test_each_node_and_mark_converts_without_losing_text(kind: str) -> None:
    adf, expected = {**NODE_EXAMPLES, **MARK_EXAMPLES}[kind]
    assert_valid(adf)
    md = adf_to_markdown(adf, CTX)
    assert expected in md
    assert not missing_words(text_of_adf(adf).replace("@old name", ""), md)
    assert not missing_words(text_of_adf(adf), text_of_adf(markdown_to_adf(md)).replace("Ada Lovelace", "old name"))
    # Written back as wiki markup (DC), the words survive too (wiki has no display names).
    wiki = adf_to_wiki(adf)
    assert not missing_words(text_of_adf(adf).replace("@old name", ""), text_of_wiki(wiki)), wiki


def test_mentions_and_media_fall_back_without_a_context() -> None:
    adf = doc(para({"type": "mention", "attrs": {"id": "acc-1", "text": "@Grace Hopper"}}, txt(" and "),
                   {"type": "mention", "attrs": {"id": "acc-2"}}),
              {"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [MEDIA]},
              {"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
                  {"type": "media", "attrs": {"type": "external", "url": "https://img.ex.com/p.png"}}]})
    assert adf_to_markdown(adf) == ("@Grace Hopper and @acc-2\n\nshot.png\n\n"
                                    "![https://img.ex.com/p.png](https://img.ex.com/p.png)\n")
    unknown = MarkdownContext(user_name=lambda _: None, media_link=lambda _: None)
    assert adf_to_markdown(adf, unknown) == adf_to_markdown(adf)


def test_merged_table_cells_and_block_content_stay_in_a_gfm_table() -> None:
    def cell(*blocks: dict[str, Any], **attrs: Any) -> dict[str, Any]:
        node = {"type": "tableCell", "content": list(blocks)}
        if attrs:
            node["attrs"] = attrs
        return node
    adf = doc({"type": "table", "content": [
        {"type": "tableRow", "content": [cell(para(txt("wide")), colspan=2), cell(para(txt("tall")), rowspan=2)]},
        {"type": "tableRow", "content": [
            cell(para(txt("a")), {"type": "bulletList", "content": [
                {"type": "listItem", "content": [para(txt("x"))]}, {"type": "listItem", "content": [para(txt("y"))]}]}),
            cell({"type": "codeBlock", "content": [txt("l1 | p\nl2")]})]}]})
    assert_valid(adf)
    assert adf_to_markdown(adf) == (
        "| wide |  | tall |\n| --- | --- | --- |\n| a<br>• x<br>• y | `l1 \\| p`<br>`l2` |  |\n")


def test_marks_nest_and_spaces_move_outside_delimiters() -> None:
    adf = doc(para(txt("plain "), txt("bold ", mark("strong")), txt("both", mark("strong"), mark("em")),
                   txt(" end", mark("strong")), txt("!"), txt("link", mark("link", href="https://e.x"))))
    md = adf_to_markdown(adf)
    assert md == "plain **bold *both* end**\\![link](https://e.x)\n"
    assert text_of_adf(markdown_to_adf(md)) == "plain bold both end!link"


def test_adjacent_lists_stay_separate_and_ordered_start_is_kept() -> None:
    item = {"type": "listItem", "content": [para(txt("i"))]}
    adf = doc({"type": "bulletList", "content": [item]}, {"type": "bulletList", "content": [item]},
              {"type": "orderedList", "attrs": {"order": 0}, "content": [item]},
              {"type": "orderedList", "content": [item]})
    md = adf_to_markdown(adf)
    assert md == "- i\n\n* i\n\n0. i\n\n1) i\n"
    kinds = [b["type"] for b in markdown_to_adf(md)["content"]]
    assert kinds == ["bulletList", "bulletList", "orderedList", "orderedList"]


# --------------------------------------------------------------------------- unknown / broken


def test_unknown_nodes_marks_and_malformed_shapes_never_crash() -> None:
    weird: list[Any] = [
        None, {}, {"type": "doc"}, {"type": "doc", "content": "nope"},
        doc({"type": "futureBlock", "content": [para(txt("inner words"))]}),
        doc(para({"type": "futureInline", "text": "inline words"}, txt("x", {"type": "sparkle"}))),
        doc({"type": "futureLeaf", "attrs": {"extensionKey": "k"}}),
        doc(para({"type": "text", "text": None}), {"type": "heading", "attrs": {"level": "x"}, "content": [txt("h")]}),
        doc({"type": "table", "content": [{"type": "tableRow", "content": [
            {"type": "tableCell", "attrs": {"colspan": "many", "rowspan": -3}, "content": [para(txt("c"))]}]}]}),
        doc({"type": "orderedList", "attrs": {"order": "seven"}, "content": [{"type": "listItem"}, 5, "s"]}),
        doc({"type": "date", "attrs": {"timestamp": "not-a-date"}}, {"type": "mention"}, {"type": "emoji"}),
        doc({"type": "paragraph", "content": [{"type": "text", "text": "m", "marks": [{"type": "link"}, "bad"]}]}),
    ]
    for adf in weird:
        assert isinstance(adf_to_wiki(adf), str)
        assert isinstance(adf_to_markdown(adf), str)
        assert isinstance(adf_to_markdown(adf, CTX), str)
        assert isinstance(text_of_adf(adf), str)
    assert "inner words" in adf_to_markdown(weird[4])
    assert "inline words" in adf_to_markdown(weird[5])
    odd = MarkdownContext(user_name=lambda _: None, media_link=lambda _: 7)  # type: ignore[arg-type,return-value]
    assert adf_to_markdown(NODE_EXAMPLES["mediaSingle"][0], odd) == "shot.png\n"  # non-str link ignored


# ---------------------------------------------------------------------------------- wiki


WIKI_CASES = [
    ("h1. Title\nh3. Sub *bold*", "# Title\n\n### Sub **bold**"),
    ("*bold* _em_ -strike- +under+ ^sup^ ~sub~ {{mono}} ??cite??",
     "**bold** *em* ~~strike~~ <u>under</u> <sup>sup</sup> <sub>sub</sub> `mono` *cite*"),
    ("H{~}2{~}O and x{*}bold{*}y", "H<sub>2</sub>O and x**bold**y"),
    ("well-known snake_case 2024-05-20 a*b", "well-known snake_case 2024-05-20 a\\*b"),
    ("[text|https://ex.com/a] [https://ex.com/b] [mailto:ops@ex.com] https://ex.com/c.",
     "[text](https://ex.com/a) <https://ex.com/b> [ops@ex.com](mailto:ops@ex.com) <https://ex.com/c>."),
    ("ping [~jdoe] and [~nobody]", "ping @John Doe and @nobody"),
    ("see [ENG-42] and [WIP] and [#anchor]{anchor:x}", "see ENG-42 and \\[WIP\\] and anchor"),
    ("!shot.png! and !diagram.svg|thumbnail! see [^report.pdf]",
     "![shot.png](attachments/shot.png) and ![diagram.svg](attachments/diagram.svg) see "
     "[report.pdf](attachments/report.pdf)"),
    ("* a\n** b\n*# c\n# d\n## e", "- a\n  - b\n  1. c\n\n1. d\n   1. e"),
    ("* item\n||h1||h2||\n|c1|c2|", "- item\n\n| h1 | h2 |\n| --- | --- |\n| c1 | c2 |"),
    ("|[link|https://ex.com]|{{a|b}}|", "| [link](https://ex.com) | `a\\|b` |\n| --- | --- |"),
    ("|!a.png|thumbnail!|[^b.pdf]|", "| ![a.png](attachments/a.png) | [b.pdf](attachments/b.pdf) |\n| --- | --- |"),
    ("{code:python}\nprint(1)\n{code}", "```python\nprint(1)\n```"),
    ("{code:title=Foo.java|language=java}\nclass Foo {}\n{code}", "```java\nclass Foo {}\n```"),
    ("{noformat}\n*not bold* {code}\n{noformat}", "```\n*not bold* {code}\n```"),
    ("Stack: {code}x = 1{code} after", "Stack:\n\n```\nx = 1\n```\n\nafter"),
    ("{quote}\nq1\nq2\n{quote}\nbq. short", "> q1\\\n> q2\n\n> short"),
    ("{panel:title=Heads up|bgColor=#fff}\nbody\n{panel}", "> **Heads up:** body"),
    ("{info}i{info}\n{warning}w{warning}\n{note}n{note}\n{tip}t{tip}",
     "> **Info:** i\n\n> **Warning:** w\n\n> **Note:** n\n\n> **Tip:** t"),
    ("{color:red}red text{color} and {color:#00ff00}green{color}", "red text and green"),
    ("above\n----\nbelow", "above\n\n---\n\nbelow"),
    ("line one\\\\line two\nline three", "line one\\\nline two\\\nline three"),
    ("\\*not bold\\* \\[x\\] \\{{no}}", "\\*not bold\\* \\[x\\] {{no}}"),
    ("(/) done (x) no :) a -- b --- c", "✅ done ❌ no 🙂 a – b — c"),
    ("# 1\n\ntext\n\n# 2", "1. 1\n\ntext\n\n1. 2"),
]


@pytest.mark.parametrize(("wiki", "expected"), WIKI_CASES)
def test_wiki_constructs_render_as_markdown(wiki: str, expected: str) -> None:
    assert wiki_to_markdown(wiki, CTX) == expected + "\n"


def test_wiki_unbalanced_markup_keeps_its_characters() -> None:
    for wiki in ["*open only", "_a *b_ c*", "{quote}never closed", "{code}\nrest is code", "[no close",
                 "!no image", "{{mono", "||h||\n|c", "-- --", "a {panel} b"]:
        md = wiki_to_markdown(wiki)
        assert not missing_words(wiki.replace("quote", "").replace("panel", "").replace("code", ""), md), (wiki, md)
        assert isinstance(text_of_wiki(wiki), str)


def test_text_of_wiki_drops_markup() -> None:
    wiki = "h1. Title\n*bold* [link|https://ex.com] {color:red}red{color}\n||a||b||\n{code:java}x{code}"
    assert text_of_wiki(wiki) == "Title\nbold link red\na b\nx"
    assert text_of_wiki(None) == "" and text_of_adf(None) == ""


# ------------------------------------------------------------------- realistic emulator docs


def test_emulator_document_pool_converts_with_all_words_kept() -> None:
    from jiraemu.content import DocPool, adf_text, wiki_text

    for cloud in (True, False):
        for d in DocPool(7, cloud).all_docs()[:120]:
            if cloud:
                md = adf_to_markdown(d.adf)
                assert not missing_words(adf_text(d.adf), md)
                assert not missing_words(text_of_adf(d.adf), md)
            else:
                md = wiki_to_markdown(d.wiki)
                assert not missing_words(wiki_text(d.wiki), md), d.wiki
            # Re-parsed, the Markdown holds the same words (card URLs survive as link targets).
            source = re.sub(r"https?://\S+|mailto:", "", adf_text(d.adf) if cloud else wiki_text(d.wiki))
            assert not missing_words(source, text_of_adf(markdown_to_adf(md)))


# -------------------------------------------------------------------- Markdown -> ADF / wiki


ROUND_TRIP_MD = [
    "# Heading 1\n\n## Heading *two*\n\n###### Six",
    "Plain **strong** *em* ~~strike~~ `code` and ``a`b`` text.",
    "[link](https://ex.com/a) [titled](https://ex.com/b \"Title\") <https://ex.com/c>",
    "Line one\\\nline two",
    "- one\n- two\n  - nested\n    - deeper\n- three",
    "1. first\n2. second\n   1. inner\n\n7) seven\n8) eight",
    "- [ ] todo\n- [x] done\n  - [ ] sub task",
    "- **Decision:** ship it",
    "> quoted **text**\n>\n> - list in quote",
    "> **Info:** an info panel\n\n> **Warning:** a warning",
    "```python\ndef f():\n    return 1\n```",
    "````\n```\nnested fence\n```\n````",
    "| a | b |\n| --- | --- |\n| 1 | `x\\|y` |\n| **c** | [d](https://ex.com) |",
    "text\n\n---\n\nmore",
    "<details>\n<summary>Title</summary>\n\nhidden **text**\n\n</details>",
    "<u>under</u> H<sub>2</sub>O x<sup>2</sup>",
    "Escapes: \\*not em\\* \\_x\\_ # \\[y\\] 1. a \\<b> a\\|b \\~ \\\\",
    "\\# not heading\n\n\\- not list\n\n1\\. not ordered\n\n\\> not quote",
]


@pytest.mark.parametrize("md", ROUND_TRIP_MD)
def test_markdown_adf_markdown_round_trip_is_stable(md: str) -> None:
    adf = markdown_to_adf(md)
    assert adf_to_markdown(adf) == md + "\n"


def test_markdown_to_adf_is_schema_valid_for_the_gfm_constructs() -> None:
    kinds = set()
    for md in ROUND_TRIP_MD:
        adf = markdown_to_adf(md)
        assert_valid(adf)
        kinds |= {n["type"] for n in adf["content"]}
    assert {"heading", "paragraph", "bulletList", "orderedList", "taskList", "decisionList", "blockquote",
            "panel", "codeBlock", "table", "rule", "expand"} <= kinds


def test_markdown_that_adf_cannot_nest_is_reshaped_into_valid_adf() -> None:
    md = ("- # heading in item\n- > quote in item\n  > | t | u |\n  > |---|---|\n  > | 1 | 2 |\n\n"
          "> > nested quote\n> # heading\n\n> **Note:** panel\n>\n> > quote in panel\n\n"
          "| a |\n|---|\n| <details> |\n\n![alt](https://img.ex.com/i.png) <span>html</span>\n\n"
          "<details>\n<summary>Outer</summary>\n\n<details>\n<summary>Inner</summary>\n\nx\n\n</details>\n\n</details>")
    adf = markdown_to_adf(md)
    assert_valid(adf)
    text = text_of_adf(adf)
    for word in ("heading", "quote", "nested", "panel", "alt", "span", "Outer", "Inner", "t | u"):
        assert word in text
    assert markdown_to_adf("") == {"type": "doc", "version": 1, "content": []}
    assert markdown_to_adf(None) == {"type": "doc", "version": 1, "content": []}


def test_markdown_to_adf_is_deterministic() -> None:
    md = "- [ ] a\n- [x] b\n\n- **Decision:** c"
    assert markdown_to_adf(md) == markdown_to_adf(md)


WIKI_ROUND_TRIP_MD = [
    "# Heading\n\n###### Small",
    "Plain **strong** *em* ~~strike~~ `code` <u>under</u> H<sub>2</sub>O x<sup>2</sup>",
    "[link](https://ex.com/a) and <https://ex.com/b>",
    "Line one\\\nline two",
    "- one\n- two\n  - nested\n    1. deep\n- three",
    "1. first\n2. second",
    "> quoted text\n>\n> second paragraph",
    "> **Info:** panel text\n\n> **Warning:** careful",
    "```python\nprint('x')\n```",
    "```\nno language {code}\n```",
    "| a | b |\n| --- | --- |\n| 1 | `x\\|y` |",
    "text\n\n---\n\nmore",
    "Specials: \\*a\\* \\_b\\_ a-b c\\_ \\-d\\- \\+e\\+ \\[f\\] \\{g} h\\|i \\~ 1^2 ?? :) (x) \\\\ end",
    "Intra**word**bold and snake_case_name",
]


@pytest.mark.parametrize("md", WIKI_ROUND_TRIP_MD)
def test_markdown_wiki_markdown_round_trip(md: str) -> None:
    canonical = adf_to_markdown(markdown_to_adf(md))
    assert wiki_to_markdown(markdown_to_wiki(md)) == canonical


def test_markdown_to_wiki_output() -> None:
    md = ("## Steps\n\n1. open **settings**\n2. save\n   - check `log`\n\n| h | i |\n|---|---|\n| 1 | 2 |\n\n"
          "```sql\nselect 1\n```\n\n> **Tip:** try [this](https://ex.com)")
    assert markdown_to_wiki(md) == (
        "h2. Steps\n\n# open *settings*\n# save\n#* check {{log}}\n\n||h||i||\n|1|2|\n\n"
        "{code:sql}\nselect 1\n{code}\n\n{tip}\ntry [this|https://ex.com]\n{tip}")


# ---------------------------------------------------------------------------- hypothesis


ALPHABET = string.ascii_letters + string.digits + "äßñ日本 "
SPECIALS = [*"*_`[]<>#+-=.!|~\\&;:()\"'{}^?/@", "&amp;", "**", "1. ", "- ", "# ", "> ", "```", "http://x.io"]
TEXT = st.lists(st.one_of(st.text(ALPHABET, min_size=1, max_size=6), st.sampled_from(SPECIALS)),
                min_size=1, max_size=8).map("".join)
MARKS = st.lists(st.sampled_from([
    mark("strong"), mark("em"), mark("strike"), mark("underline"), mark("subsup", type="sub"),
    mark("subsup", type="sup"), mark("link", href="https://ex.com/p"), mark("textColor", color="#112233"),
    mark("backgroundColor", color="#445566")]), max_size=3, unique_by=lambda m: m["type"])


@st.composite
def inline_nodes(draw: st.DrawFn, with_nodes: bool = True) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 5))):
        choice = draw(st.integers(0, 9 if with_nodes else 3))
        if choice <= 2:
            out.append(txt(draw(TEXT), *draw(MARKS)))
        elif choice == 3:
            code_marks = [mark("code"), *draw(st.lists(st.just(mark("link", href="https://c.io")), max_size=1))]
            out.append(txt(draw(TEXT), *code_marks))
        elif choice == 4:
            out.append({"type": "hardBreak"})
        elif choice == 5:
            out.append({"type": "mention", "attrs": {"id": "acc", "text": "@" + draw(st.text(ALPHABET.strip(), min_size=1, max_size=5))}})
        elif choice == 6:
            out.append({"type": "emoji", "attrs": {"shortName": ":wave:", "text": "👋"}})
        elif choice == 7:
            out.append({"type": "status", "attrs": {"text": draw(st.text(string.ascii_letters, min_size=1, max_size=5)),
                                                    "color": "green"}})
        elif choice == 8:
            out.append({"type": "date", "attrs": {"timestamp": str(draw(st.integers(0, 4 * 10**12)))}})
        else:
            out.append({"type": "inlineCard", "attrs": {"url": "https://card.io/x"}})
    return out


@st.composite
def blocks(draw: st.DrawFn, depth: int = 0, simple: bool = False) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    top = 9 if simple else 14
    for _ in range(draw(st.integers(1, 3))):
        choice = draw(st.integers(0, top if depth < 2 else 3))
        if choice <= 1:
            out.append(para(*draw(inline_nodes(not simple))))
        elif choice == 2:
            out.append({"type": "heading", "attrs": {"level": draw(st.integers(1, 6))},
                        "content": draw(inline_nodes(False))})
        elif choice == 3:
            attrs = {"language": draw(st.sampled_from(["python", "js", "c++"]))} if draw(st.booleans()) else {}
            out.append({"type": "codeBlock", "attrs": attrs, "content": [txt(draw(st.text(ALPHABET + "`\n", min_size=1)))]})
        elif choice in (4, 5):
            out.append(_list(draw, depth, "orderedList" if choice == 5 else "bulletList"))
        elif choice == 6:
            out.append({"type": "blockquote", "content": [para(*draw(inline_nodes(False)))]})
        elif choice == 7:
            out.append({"type": "rule"})
        elif choice == 8:
            out.append({"type": "taskList", "attrs": {"localId": "t"}, "content": [
                {"type": "taskItem", "attrs": {"localId": str(i), "state": draw(st.sampled_from(["TODO", "DONE"]))},
                 "content": draw(inline_nodes(False))} for i in range(draw(st.integers(1, 3)))]})
        elif choice == 9:
            out.append({"type": "panel", "attrs": {"panelType": draw(st.sampled_from(["info", "note", "error"]))},
                        "content": [para(*draw(inline_nodes(False)))]})
        elif choice == 10:
            out.append({"type": "expand", "attrs": {"title": draw(TEXT)}, "content": draw(blocks(depth + 2))})
        elif choice == 11:
            cols = draw(st.integers(1, 3))
            out.append({"type": "table", "content": [{"type": "tableRow", "content": [
                {"type": "tableHeader" if r == 0 else "tableCell", "content": [para(*draw(inline_nodes()))]}
                for _ in range(cols)]} for r in range(draw(st.integers(1, 3)))]})
        elif choice == 12:
            out.append({"type": "decisionList", "attrs": {"localId": "d"}, "content": [
                {"type": "decisionItem", "attrs": {"localId": "i", "state": "DECIDED"}, "content": draw(inline_nodes())}]})
        elif choice == 13:
            out.append({"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
                {"type": "media", "attrs": {"type": "file", "id": "m", "collection": "c", "alt": draw(TEXT)}}]})
        else:
            out.append({"type": "layoutSection", "content": [
                {"type": "layoutColumn", "attrs": {"width": 50}, "content": draw(blocks(depth + 2))} for _ in range(2)]})
    return out


def _list(draw: st.DrawFn, depth: int, kind: str) -> dict[str, Any]:
    items = []
    for _ in range(draw(st.integers(1, 3))):
        content: list[dict[str, Any]] = [para(*draw(inline_nodes()))]
        if depth < 2 and draw(st.booleans()):
            content.append(_list(draw, depth + 1, draw(st.sampled_from(["bulletList", "orderedList"]))))
        items.append({"type": "listItem", "content": content})
    node: dict[str, Any] = {"type": kind, "content": items}
    if kind == "orderedList" and draw(st.booleans()):
        node["attrs"] = {"order": draw(st.integers(0, 20))}
    return node


ADF_DOCS = blocks().map(lambda b: doc(*b))
SIMPLE_DOCS = blocks(simple=True).map(lambda b: doc(*b))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ADF_DOCS)
def test_generated_documents_are_schema_valid(adf: dict[str, Any]) -> None:
    assert_valid(adf)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ADF_DOCS)
def test_generated_adf_converts_and_keeps_every_word(adf: dict[str, Any]) -> None:
    md = adf_to_markdown(adf, CTX)
    # The Markdown re-parses to the same words: escaping never eats text, markup never hides it.
    assert not missing_words(text_of_adf(adf), text_of_adf(markdown_to_adf(md)))


@FAST
@given(ADF_DOCS)
@example({"type": "doc", "version": 1, "content": [  # an image whose alt text is a URL: `!http://x.io!`
    {"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
        {"type": "media", "attrs": {"type": "file", "id": "m", "collection": "c", "alt": "http://x.io"}}]}]})
def test_generated_adf_written_as_wiki_keeps_every_word(adf: dict[str, Any]) -> None:
    wiki = adf_to_wiki(adf)
    source = re.sub(r"@\S+", "", text_of_adf(adf))  # wiki mentions carry ids, not names
    assert _in_order(source, text_of_wiki(wiki)), wiki


def _normalized(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


@FAST
@given(st.lists(st.lists(st.one_of(
    st.builds(lambda t, m: txt(t, *m), TEXT, MARKS), st.builds(lambda t: txt(t, mark("code")), TEXT),
    st.just({"type": "hardBreak"})), min_size=1, max_size=6), min_size=1, max_size=3))
def test_paragraph_text_survives_markdown_exactly(paragraphs: list[list[dict[str, Any]]]) -> None:
    adf = doc(*(para(*p) for p in paragraphs))
    back = markdown_to_adf(adf_to_markdown(adf))
    assert _normalized(text_of_adf(back)) == _normalized(text_of_adf(adf))


@FAST
@given(SIMPLE_DOCS)
def test_generated_markdown_round_trips_stably(adf: dict[str, Any]) -> None:
    md = adf_to_markdown(adf)
    assert adf_to_markdown(markdown_to_adf(md)) == md


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SIMPLE_DOCS)
def test_markdown_to_adf_of_generated_markdown_is_schema_valid(adf: dict[str, Any]) -> None:
    assert_valid(markdown_to_adf(adf_to_markdown(adf)))


MD_PIECES = st.sampled_from(["# ", "- ", "1. ", "> ", "**", "*", "_", "`", "~~", "[a](b)", "<u>", "</u>", "\n",
                             "\n\n", "| x |", "---", "  ", "\\", "```", "<details>", "- [ ] ", "word", "äö"])


@FAST
@given(st.lists(MD_PIECES, max_size=25).map("".join))
def test_arbitrary_markdown_normalizes_in_one_pass(md: str) -> None:
    once = adf_to_markdown(markdown_to_adf(md))
    assert adf_to_markdown(markdown_to_adf(once)) == once
    assert isinstance(markdown_to_wiki(md), str)


WIKI_PIECES = st.sampled_from(["*", "_", "-", "+", "^", "~", "??", "{{", "}}", "[", "]", "|", "||", "!", "\n",
                               "\nh2. ", "\n* ", "\n# ", "{code}", "{quote}", "{panel:title=x}", "{color:red}",
                               "{color}", "\\\\", "\\", "!x.png! ", "word", " ", "(/)", ":)", "[~jdoe] ", "\nbq. "])


@FAST
@given(st.lists(WIKI_PIECES, max_size=25).map("".join))
def test_arbitrary_wiki_markup_converts(wiki: str) -> None:
    md = wiki_to_markdown(wiki, CTX)
    # Markup characters inside words may or may not be markup, so compare the letters and
    # digits in order: every one of the source's must appear, in order, in the output.
    plain = re.sub(r"\{(code|quote|panel|color)[^}]*\}|\bh2\.|\bbq\.|!x\.png!|jdoe", "", wiki)
    assert _in_order(plain, md)
    # the plain text is what a reader sees: a link `[alias|target]` shows its alias (the Markdown,
    # which the search index reads, keeps the target)
    visible = re.sub(r"\[([^\[\]|]*)\|[^\[\]]*\]", r"[\1]", plain)
    assert _in_order(visible, text_of_wiki(wiki))


@pytest.mark.parametrize(("wiki", "md", "text"), [
    ("[||word]", "\\[\\|\\|word\\]\n", "[||word]"),  # no alias and no target: literal, not an empty link
    ("[*|word]", "[\\*](word)\n", "*"),
])
def test_wiki_links_without_text_keep_their_words(wiki: str, md: str, text: str) -> None:
    assert wiki_to_markdown(wiki, CTX) == md
    assert text_of_wiki(wiki) == text


def _in_order(source: str, rendered: str) -> bool:
    remaining = iter(re.findall(r"[^\W_]", rendered))
    return all(ch in remaining for ch in re.findall(r"[^\W_]", source))


# ------------------------------------------------------------------------------ adversarial


def _timed(fn: Callable[[], object], limit: float = 2.5) -> None:
    """CPU seconds, so that a busy machine does not fail the test."""
    start = time.process_time()
    fn()
    assert time.process_time() - start < limit


def _nested(kind: str, depth: int) -> dict[str, Any]:
    node: dict[str, Any] = para(txt("bottom"))
    for _ in range(depth):
        node = {"type": "bulletList", "content": [{"type": "listItem", "content": [node]}]} \
            if kind == "list" else {"type": kind, "content": [node]}
    return doc(node)


@pytest.mark.parametrize("kind", ["list", "blockquote", "panel", "tableCellless"])
def test_deeply_nested_adf_finishes_and_keeps_text(kind: str) -> None:
    adf = _nested(kind, 3000)
    _timed(lambda: adf_to_markdown(adf))
    assert "bottom" in adf_to_markdown(adf)
    assert "bottom" in text_of_adf(adf)


def test_huge_tables_finish_quickly() -> None:
    row = {"type": "tableRow", "content": [{"type": "tableCell", "content": [para(txt("c" * 20))]}] * 30}
    adf = doc({"type": "table", "content": [row] * 200})
    _timed(lambda: adf_to_markdown(adf))
    wiki = "\n".join("|" + "|".join(["cell *b* [l|http://x.io]"] * 30) + "|" for _ in range(100))
    _timed(lambda: wiki_to_markdown(wiki))
    md = "| " + " | ".join(["h"] * 30) + " |\n|" + "---|" * 30 + "\n" + ("| " + " | ".join(["x"] * 30) + " |\n") * 100
    _timed(lambda: markdown_to_adf(md))


# Jira caps a rich-text field at 32,767 characters; these inputs are at or above that size.
ADVERSARIAL_WIKI = [
    "*" * 40_000, "*a " * 12_000, "[" * 40_000, "[a|" * 12_000, "{{" * 20_000, "!a.png " * 6000 + "!",
    "{quote}" * 6000, "{code}" * 6000 + "x", "{panel}\n{info}\n" * 2500, "*" * 2000 + " deep",
    "#" * 5000 + " deep", "||" * 20_000, "_a *b -c +d ^e ~f " * 2000, "\\" * 40_000, "(" * 40_000,
    "-" * 40_000, "h1. " * 10_000, "{color:red}" * 4000, "a\n" * 20_000, "|a" * 8000,
]


@pytest.mark.parametrize("wiki", ADVERSARIAL_WIKI)
def test_adversarial_wiki_finishes_quickly(wiki: str) -> None:
    _timed(lambda: wiki_to_markdown(wiki))
    _timed(lambda: text_of_wiki(wiki))


ADVERSARIAL_MD = [
    "> " * 10_000 + "x", "- " * 5000 + "x", "*" * 30_000, "[" * 4000, "`" * 30_000,
    "<details>\n" * 3000, "| a |\n|---|\n" + "| b |\n" * 2000, "a\\\n" * 4000, "*a _b " * 5000,
]


@pytest.mark.parametrize("md", ADVERSARIAL_MD)
def test_adversarial_markdown_finishes_quickly(md: str) -> None:
    _timed(lambda: markdown_to_adf(md))
    _timed(lambda: markdown_to_wiki(md))


@pytest.mark.parametrize("unit", ["*a ", "[a|", "{{x ", "{quote}", "_a *b -c ", "|a", "a\n", "!a.png "])
def test_wiki_parsing_time_grows_linearly(unit: str) -> None:
    def cost(n: int) -> float:
        start = time.process_time()
        wiki_to_markdown(unit * n)
        return time.process_time() - start
    small, large = min(cost(800) for _ in range(2)), min(cost(3200) for _ in range(2))
    assert large < 8 * small + 0.05  # linear: ~4x; quadratic would be ~16x
