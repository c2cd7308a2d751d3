"""Rich text: the document pool against the real ADF schema, and the ADF/wiki/text/HTML converters."""

from __future__ import annotations

import json
import random
import re
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, validators
from jsonschema._keywords import anyOf as draft4_any_of

from jiraemu.content import (
    ADF_ERROR,
    DocPool,
    adf_text,
    adf_to_wiki,
    doc_as_adf,
    doc_as_wiki,
    doc_text,
    is_valid_adf,
    plain_to_adf,
    render_html,
    wiki_text,
    wiki_to_adf,
)
from jiraemu.state import Doc
from tests.support.reference import REFERENCE

SCHEMA: dict[str, Any] = json.loads((REFERENCE / "adf" / "adf-schema-v1-full.json").read_text())
DEFS: dict[str, Any] = SCHEMA["definitions"]

# ------------------------------------------------------------------------------ schema helpers


def _type_enum(sub: dict[str, Any]) -> frozenset[str] | None:
    """The node/mark ``type`` values a subschema can accept (None: unknown, keep the alternative)."""
    if "$ref" in sub:
        return _type_enum(DEFS[sub["$ref"].rsplit("/", 1)[-1]])
    if "allOf" in sub:
        return _type_enum(sub["allOf"][0])
    if "anyOf" in sub:
        kinds = [_type_enum(s) for s in sub["anyOf"]]
        return None if any(k is None for k in kinds) else frozenset().union(*kinds)  # type: ignore[arg-type]
    enum = sub.get("properties", {}).get("type", {}).get("enum")
    return frozenset(enum) if enum else None


_ENUMS: dict[int, frozenset[str] | None] = {}


def _dispatching_any_of(validator: Any, any_of: list[Any], instance: Any, schema: Any) -> Any:
    """Draft 4 ``anyOf``, skipping alternatives whose ``type`` enum cannot match the node.

    Those alternatives would fail on ``type`` anyway, so the verdict is Draft 4's; skipping them
    avoids deep re-validation of every subtree for every alternative (minutes -> seconds).
    """
    if isinstance(instance, dict) and isinstance(instance.get("type"), str):
        keep = []
        for sub in any_of:
            if id(sub) not in _ENUMS:
                _ENUMS[id(sub)] = _type_enum(sub)
            kinds = _ENUMS[id(sub)]
            if kinds is None or instance["type"] in kinds:
                keep.append(sub)
        any_of = keep or any_of
    yield from draft4_any_of(validator, any_of, instance, schema)


FastDraft4 = validators.extend(Draft4Validator, {"anyOf": _dispatching_any_of})
def _inline_refs(node: Any) -> Any:
    """Replace every ``$ref`` by the (shared, possibly cyclic) definition dict: no lookups at run time."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            node[i] = _inline_refs(item)
    elif isinstance(node, dict):
        if "$ref" in node:
            return INLINED[node["$ref"].rsplit("/", 1)[-1]]
        for key, value in node.items():
            node[key] = _inline_refs(value)
    return node


INLINED: dict[str, Any] = json.loads(json.dumps(DEFS))
for _name in list(INLINED):
    _inline_refs(INLINED[_name])
FAST = FastDraft4(INLINED["doc_node"])
PLAIN = Draft4Validator(SCHEMA)


def schema_errors(doc: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in FAST.iter_errors(doc)]


def schema_types(suffix: str) -> set[str]:
    out: set[str] = set()
    for name, sub in DEFS.items():
        enum = sub.get("properties", {}).get("type", {}).get("enum")
        if name.endswith(suffix) and enum:
            out.update(enum)
    return out


def used_types(node: Any, nodes: set[str], marks: set[str]) -> None:
    if isinstance(node, dict):
        nodes.add(node.get("type", ""))
        marks.update(m.get("type", "") for m in node.get("marks", []))
        for child in node.get("content", []):
            used_types(child, nodes, marks)


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


@cache
def cloud_pool() -> DocPool:
    return DocPool(7, cloud=True)


@cache
def dc_pool() -> DocPool:
    return DocPool(7, cloud=False)


# ----------------------------------------------------------------------------------------- pool


def test_every_cloud_pool_doc_is_valid_adf() -> None:
    pool = cloud_pool()
    assert len(pool.descriptions) >= 150 and len(pool.comments) >= 150
    problems = {i: schema_errors(d.adf)[:3] for i, d in enumerate(pool.all_docs())}
    assert {i: p for i, p in problems.items() if p} == {}
    assert all(is_valid_adf(d.adf) == [] for d in pool.all_docs())


def test_fast_validator_agrees_with_plain_draft4() -> None:
    pool = cloud_pool()
    samples = [d.adf for d in pool.comments[:12]]
    broken = json.loads(json.dumps(samples[0]))
    broken["content"].append({"type": "panel", "attrs": {"panelType": "purple"}, "content": []})
    samples += [broken, {"type": "doc", "version": 2, "content": []},
                {"type": "doc", "version": 1, "content": [{"type": "text", "text": "loose"}]}]
    assert [PLAIN.is_valid(s) for s in samples] == [FAST.is_valid(s) for s in samples]
    assert [FAST.is_valid(s) for s in samples][-3:] == [False, False, False]


@pytest.mark.parametrize("seed", [7, 0, 424242])
def test_cloud_pool_covers_every_node_and_mark_of_the_schema(seed: int) -> None:
    nodes: set[str] = set()
    marks: set[str] = set()
    for doc in DocPool(seed, cloud=True).all_docs():
        used_types(doc.adf, nodes, marks)
    assert schema_types("_node") - nodes == set()
    assert schema_types("_mark") - marks == set()
    panels = {n["attrs"]["panelType"] for d in cloud_pool().descriptions for n in d.adf["content"] if n["type"] == "panel"}
    assert panels == set(DEFS["panel_node"]["properties"]["attrs"]["properties"]["panelType"]["enum"])


def test_pool_is_deterministic_shared_and_multilingual() -> None:
    a, b = DocPool(7, cloud=True), DocPool(7, cloud=True)
    assert [d.adf for d in a.descriptions] == [d.adf for d in b.descriptions]
    assert [d.adf for d in DocPool(8, cloud=True).descriptions] != [d.adf for d in a.descriptions]
    rng1, rng2 = random.Random(3), random.Random(3)
    picks = [a.description(rng1) for _ in range(50)]
    assert picks == [a.description(rng2) for _ in range(50)]
    assert all(p in a.descriptions for p in picks)  # shared by reference, not copied
    assert a.comment(random.Random(1)) in a.comments
    text = "\n".join(doc_text(d) for d in a.all_docs())
    for sample in ("ä", "ログイン", "Пользователь", "المستخدم", "🎉", "𠜎", "NullPointerException"):
        assert sample in text
    assert any(ord(ch) > 0xFFFF for ch in text)


def test_converters_never_mutate_shared_pool_docs() -> None:
    docs = cloud_pool().descriptions[:20] + dc_pool().descriptions[:20]
    before = json.dumps([(d.adf, d.wiki) for d in docs], sort_keys=True)
    for doc in docs:
        doc_as_adf(doc), doc_as_wiki(doc), doc_text(doc), render_html(doc), is_valid_adf(doc_as_adf(doc))
    assert json.dumps([(d.adf, d.wiki) for d in docs], sort_keys=True) == before


def test_dc_pool_is_wiki_covering_common_syntax_and_parses_to_valid_adf() -> None:
    pool = dc_pool()
    assert all(d.wiki is not None and d.adf is None for d in pool.all_docs())
    corpus = "\n".join(d.wiki or "" for d in pool.all_docs())
    for pattern in (r"^h1\. ", r"^h3\. ", r"\*\w[^*\n]*\*", r"_\w[^_\n]*_", r"\{code:java\}", r"\{noformat\}",
                    r"\{quote\}", r"\{panel:title=", r"^\|\|.+\|\|$", r"^\|.+\|$", r"^\* ", r"^\*\* ", r"^# ",
                    r"^## ", r"\[[^\]|]+\|https?://", r"\[~\w+\]", r"!\S+\.png!", r"\{color:", r"^----$",
                    r"^bq\. ", r"\{\{.+\}\}", r"\[\^\S+\]"):
        assert re.search(pattern, corpus, re.M), pattern
    bad = [i for i, d in enumerate(pool.all_docs()) if schema_errors(wiki_to_adf(d.wiki or ""))]
    assert bad == []
    mentions = {"admin", "user01"}
    assert mentions & set(re.findall(r"\[~(\w+)\]", corpus))


def test_pool_mentions_given_people() -> None:
    pool = DocPool(1, cloud=True, people=[("557058:abc", "Ada Lovelace")])
    nodes: list[dict[str, Any]] = []

    def walk(n: dict[str, Any]) -> None:
        if n.get("type") == "mention":
            nodes.append(n)
        for c in n.get("content", []):
            walk(c)

    for d in pool.all_docs():
        walk(d.adf or {})
    assert nodes and {n["attrs"]["id"] for n in nodes} == {"557058:abc"}


# ----------------------------------------------------------------------------------- conversions


def strip_mention_text(node: Any) -> Any:
    """Wiki mentions carry only the account id, so the display text cannot survive a round trip."""
    if isinstance(node, list):
        return [strip_mention_text(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: strip_mention_text(v) for k, v in node.items()}
    if out.get("type") == "mention":
        out["attrs"] = {k: v for k, v in out["attrs"].items() if k != "text"}
    return out


def test_pool_docs_survive_adf_wiki_adf() -> None:
    for doc in cloud_pool().all_docs():
        wiki = adf_to_wiki(doc.adf)
        back = wiki_to_adf(wiki)
        assert schema_errors(back) == [], wiki
        assert words(adf_text(back)) == words(adf_text(strip_mention_text(doc.adf))), wiki


WIKI_CASES = [
    "h1. Title\nh3. Sub",
    "Some *bold*, _em_, -strike-, +under+, ^sup^, ~sub~, ??cite?? and {{mono}} text",
    "Braced: H{~}2{~}O and x{^}2{^} and in{*}word{*}bold",
    "{color:red}red{color} and {color:#0052cc}blue{color}",
    "* one\n* two\n** nested\n*** deeper\n* three",
    "# first\n# second\n#* mixed bullet\n## nested number",
    "||Version||State||\n|4.2|*fixed*|\n|4.3|[link|https://example.com/x]|",
    "{code:java}\nint x = 1; // *not bold*\n{code}",
    "{noformat}\nraw _text_ here\n{noformat}",
    "{quote}\nquoted *words*\n{quote}",
    "bq. short quote",
    "{panel:title=Heads up|bgColor=#FFFFCE}\npanel body\n{panel}",
    "{info}informative{info}",
    "{expand:More details}\nhidden text\n{expand}",
    "See [docs|https://example.com/docs] or [https://example.com] or [~admin] or [~accountid:557058:abc]",
    "!screenshot.png!",
    "!a.png|thumbnail! !b.png|thumbnail!",
    "attachment [^server.log] and (/) (x) :) ;)",
    "line one\\\\line two\nline three",
    "----",
    "[ENG-1|https://example.atlassian.net/browse/ENG-1|smart-link]",
    "[https://example.com/card|https://example.com/card|smart-card]",
]


@pytest.mark.parametrize("wiki", WIKI_CASES)
def test_wiki_round_trip_is_stable_and_valid(wiki: str) -> None:
    adf = wiki_to_adf(wiki)
    assert schema_errors(adf) == []
    again = wiki_to_adf(adf_to_wiki(adf))
    assert again == adf, adf_to_wiki(adf)
    assert words(wiki_text(wiki)) == words(adf_text(again))


def _first(adf: dict[str, Any], kind: str) -> dict[str, Any]:
    stack = [adf]
    while stack:
        node = stack.pop(0)
        if node.get("type") == kind:
            return node
        stack.extend(node.get("content", []))
    raise AssertionError(f"no {kind} in {adf}")


def test_wiki_parser_understands_the_common_constructs() -> None:
    adf = wiki_to_adf("\n\n".join(WIKI_CASES))
    assert _first(adf, "heading")["attrs"] == {"level": 1}
    assert _first(adf, "codeBlock")["attrs"] == {"language": "java"}
    assert _first(adf, "codeBlock")["content"][0]["text"] == "int x = 1; // *not bold*"
    assert _first(adf, "tableHeader")["content"][0]["content"][0]["text"] == "Version"
    assert _first(adf, "mention")["attrs"]["id"] == "admin"
    assert _first(adf, "panel")["attrs"] == {"panelType": "custom", "panelColor": "#ffffce"}
    assert _first(adf, "expand")["attrs"] == {"title": "More details"}
    assert _first(adf, "emoji")["attrs"]["text"] == "✅"
    assert _first(adf, "mediaSingle")["content"][0]["attrs"]["alt"] == "screenshot.png"
    assert len(_first(adf, "mediaGroup")["content"]) == 2
    assert _first(adf, "blockCard")["attrs"]["url"] == "https://example.com/card"
    inline = wiki_to_adf(WIKI_CASES[1])["content"][0]["content"]
    marks = {m["type"] if m["type"] != "subsup" else m["attrs"]["type"] for n in inline for m in n.get("marks", [])}
    assert marks == {"strong", "em", "strike", "underline", "sup", "sub", "code"}
    nested = wiki_to_adf(WIKI_CASES[4])["content"][0]
    assert nested["content"][1]["content"][1]["content"][0]["content"][1]["type"] == "bulletList"
    link = wiki_to_adf(WIKI_CASES[14])["content"][0]["content"][1]
    assert link == {"type": "text", "text": "docs", "marks": [{"type": "link", "attrs": {"href": "https://example.com/docs"}}]}
    assert wiki_text("line one\\\\line two") == "line one\nline two"


def test_adf_to_wiki_writes_jira_markup() -> None:
    doc = cloud_pool().descriptions
    wiki = "\n".join(adf_to_wiki(d.adf) for d in doc[:15])
    for needle in ("h1. ", "{code:", "{quote}", "||*Version*||", "{panel:bgColor=", "[~accountid:557058:",
                   "{color:#ff5630}", "{expand:", "----", "!screenshot.png!"):
        assert needle in wiki, needle


# -------------------------------------------------------------------------------- hypothesis ADF

TEXT = st.text(
    alphabet=st.one_of(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                       st.sampled_from(list("*_-+^~?{}[]|!\\:;()#&. hbq1"))),
    min_size=1, max_size=16,
)
URLS = st.sampled_from(["https://example.com/a", "https://example.com/b?x=1&y=2", "mailto:ops@example.com"])
FORMAT_MARKS = st.lists(st.sampled_from([
    {"type": "strong"}, {"type": "em"}, {"type": "strike"}, {"type": "underline"},
    {"type": "subsup", "attrs": {"type": "sub"}}, {"type": "subsup", "attrs": {"type": "sup"}},
    {"type": "textColor", "attrs": {"color": "#ff5630"}}, {"type": "backgroundColor", "attrs": {"color": "#fffae6"}},
    {"type": "annotation", "attrs": {"id": "a1", "annotationType": "inlineComment"}},
]), max_size=3, unique_by=lambda m: m["type"])


def _text_node(text: str, marks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "text", "text": text, "marks": marks} if marks else {"type": "text", "text": text}


@st.composite
def link_marks(draw: Any) -> list[dict[str, Any]]:
    return [{"type": "link", "attrs": {"href": draw(URLS)}}] if draw(st.booleans()) else []


TEXT_NODE = st.builds(lambda t, m, lk: _text_node(t, m + lk), TEXT, FORMAT_MARKS, link_marks())
CODE_NODE = st.builds(lambda t, lk: _text_node(t, [{"type": "code"}, *lk]), TEXT, link_marks())
INLINE = st.one_of(
    TEXT_NODE, TEXT_NODE, TEXT_NODE, CODE_NODE,
    st.just({"type": "hardBreak"}),
    st.builds(lambda i, t: {"type": "mention", "attrs": {"id": i, **({"text": t} if t else {})}},
              st.sampled_from(["557058:f0000000-0000-4000-8000-000000000001", "admin"]),
              st.sampled_from(["", "@Admin"])),
    st.sampled_from([{"type": "emoji", "attrs": {"shortName": ":tada:", "text": "🎉"}},
                     {"type": "emoji", "attrs": {"shortName": ":thumbsup:"}}]),
    st.builds(lambda t: {"type": "status", "attrs": {"text": t, "color": "green"}}, TEXT),
    st.builds(lambda n: {"type": "date", "attrs": {"timestamp": str(n)}}, st.integers(0, 4_000_000_000_000)),
    st.builds(lambda u: {"type": "inlineCard", "attrs": {"url": u}}, URLS),
    st.just({"type": "placeholder", "attrs": {"text": "type here"}}),
    st.just({"type": "mediaInline", "attrs": {"type": "file", "id": "f1", "collection": "", "alt": "log.txt"}}),
)
INLINES = st.lists(INLINE, max_size=6)
PARAGRAPH = st.builds(lambda c: {"type": "paragraph", "content": c}, INLINES)
HEADING = st.builds(lambda lv, c: {"type": "heading", "attrs": {"level": lv}, "content": c}, st.integers(1, 6), INLINES)
CODE_BLOCK = st.builds(
    lambda lang, text: {"type": "codeBlock", **({"attrs": {"language": lang}} if lang else {}),
                        "content": [{"type": "text", "text": text}]},
    st.sampled_from(["", "java", "python"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.just("\n"), min_size=1, max_size=40)
    .filter(lambda s: "{code}" not in s and "{noformat}" not in s),
)


def _lists(children: Any) -> Any:
    item = st.builds(lambda p, sub: {"type": "listItem", "content": [p, *sub]}, PARAGRAPH,
                     st.lists(children, max_size=1))
    return st.builds(lambda kind, items: {"type": kind, "content": items},
                     st.sampled_from(["bulletList", "orderedList"]), st.lists(item, min_size=1, max_size=3))


LIST = st.recursive(st.builds(lambda p: {"type": "bulletList", "content": [{"type": "listItem", "content": [p]}]},
                              PARAGRAPH), _lists, max_leaves=4)
TASKS = st.builds(lambda items: {"type": "taskList", "attrs": {"localId": "t"}, "content": [
    {"type": "taskItem", "attrs": {"localId": f"t{i}", "state": "TODO"}, "content": c} for i, c in enumerate(items)]},
    st.lists(INLINES, min_size=1, max_size=3))
DECISIONS = st.builds(lambda items: {"type": "decisionList", "attrs": {"localId": "d"}, "content": [
    {"type": "decisionItem", "attrs": {"localId": f"d{i}", "state": "DECIDED"}, "content": c}
    for i, c in enumerate(items)]}, st.lists(INLINES, min_size=1, max_size=2))
SIMPLE_BLOCK = st.one_of(PARAGRAPH, PARAGRAPH, CODE_BLOCK, LIST, TASKS, DECISIONS, st.just({"type": "rule"}))
QUOTE = st.builds(lambda c: {"type": "blockquote", "content": c}, st.lists(st.one_of(PARAGRAPH, LIST), min_size=1, max_size=2))
PANEL = st.builds(lambda kind, c: {"type": "panel", "attrs": {"panelType": kind}, "content": c},
                  st.sampled_from(["info", "note", "tip", "warning", "error", "success"]),
                  st.lists(st.one_of(PARAGRAPH, HEADING, LIST), min_size=1, max_size=2))
CELL = st.builds(lambda kind, c: {"type": kind, "content": c}, st.sampled_from(["tableCell", "tableHeader"]),
                 st.lists(st.one_of(PARAGRAPH, LIST, CODE_BLOCK), min_size=1, max_size=2))
TABLE = st.builds(lambda rows: {"type": "table", "content": [{"type": "tableRow", "content": r} for r in rows]},
                  st.lists(st.lists(CELL, min_size=1, max_size=3), min_size=1, max_size=3))
NESTED = st.builds(lambda t, c: {"type": "nestedExpand", "attrs": {"title": t}, "content": c}, TEXT,
                   st.lists(PARAGRAPH, min_size=1, max_size=2))
EXPAND = st.builds(lambda t, c: {"type": "expand", "attrs": {"title": t}, "content": c}, TEXT,
                   st.lists(st.one_of(SIMPLE_BLOCK, NESTED, PANEL), min_size=1, max_size=3))
MEDIA = st.sampled_from([
    {"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [
        {"type": "media", "attrs": {"type": "file", "id": "m1", "collection": "", "alt": "shot.png"}}]},
    {"type": "mediaGroup", "content": [
        {"type": "media", "attrs": {"type": "file", "id": "m2", "collection": "", "alt": "a.png"}},
        {"type": "media", "attrs": {"type": "external", "url": "https://example.com/b.png"}}]},
    {"type": "blockCard", "attrs": {"url": "https://example.com/card"}},
])
BLOCK = st.one_of(SIMPLE_BLOCK, HEADING, QUOTE, PANEL, TABLE, EXPAND, MEDIA)
ADF_DOC = st.builds(lambda c: {"type": "doc", "version": 1, "content": c}, st.lists(BLOCK, max_size=4))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ADF_DOC)
def test_generated_adf_converts_to_wiki_and_back_keeping_words(adf: dict[str, Any]) -> None:
    assert schema_errors(adf) == []  # the strategy itself only builds schema-valid documents
    assert is_valid_adf(adf) == []
    wiki = adf_to_wiki(adf)
    back = wiki_to_adf(wiki)
    assert schema_errors(back) == [], wiki
    assert words(adf_text(back)) == words(adf_text(strip_mention_text(adf))), wiki
    html = render_html(Doc(adf=adf))
    assert "<script" not in html


WIKI_FRAGMENTS = st.sampled_from([
    "h1. ", "h7. ", "* ", "** ", "# ", "#* ", "- ", "----", "bq. ", "||", "|", "{code}", "{code:java}", "{noformat}",
    "{quote}", "{panel:title=x|bgColor=#fff}", "{panel}", "{info}", "{expand:t}", "{expand}", "{color:red}", "{color}",
    "{{", "}}", "[", "]", "[~", "[^", "!", "!a.png!", "\\\\", "\\", "\n", "\n\n", "*", "_", "-", "+", "^", "~", "??",
    "(y)", ":)", "&#65;", "&#55296;", "{*}", "[x|http://e.com]", "[http://e.com|http://e.com|smart-card]", " ", "a", "𠜎",
])
ANY_WIKI = st.lists(st.one_of(WIKI_FRAGMENTS, st.text(max_size=5)), max_size=25).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_WIKI)
def test_any_wiki_text_parses_to_schema_valid_adf(wiki: str) -> None:
    adf = wiki_to_adf(wiki)
    assert schema_errors(adf) == [] and is_valid_adf(adf) == []
    assert isinstance(wiki_text(wiki), str) and isinstance(render_html(Doc(wiki=wiki)), str)


# ------------------------------------------------------------------------------ text, html, misc


def test_render_html_escapes_text_and_attributes() -> None:
    evil = '<script>alert("x")</script> & <b>'
    adf = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": evil, "marks": [
            {"type": "link", "attrs": {"href": 'https://e.com/"><script>'}}, {"type": "strong"}]}]},
        {"type": "codeBlock", "attrs": {"language": "html"}, "content": [{"type": "text", "text": evil}]},
        {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": evil}]},
    ]}
    for doc in (Doc(adf=adf), Doc(wiki=f"{evil}\n\nh2. {evil}\n{{code}}\n{evil}\n{{code}}")):
        html = render_html(doc)
        assert "<script" not in html and "&lt;script&gt;" in html
        assert "&amp;" in html
    html = render_html(Doc(adf=adf))
    assert '<a href="https://e.com/&quot;&gt;&lt;script&gt;" class="external-link"' in html
    assert "<b>" in html and '<pre class="code-html">' in html


def test_render_html_uses_jira_renderer_vocabulary() -> None:
    html = render_html(Doc(wiki="h1. Title\n\n*b* _e_ +u+ -s- {{m}}\n\n||h|\n|c|\n\n* item\n\n----"))
    for needle in ("<h1>", "<b>b</b>", "<em>e</em>", "<ins>u</ins>", "<del>s</del>", "<tt>m</tt>",
                   "confluenceTable", "<th class='confluenceTh'>h</th>", "<td class='confluenceTd'>c</td>",
                   "<li>item</li>", "<hr />"):
        assert needle in html, needle
    assert render_html(None) == ""


def test_plain_text_and_plain_to_adf() -> None:
    adf = plain_to_adf("first line\nsecond line\n\nnext paragraph")
    assert schema_errors(adf) == []
    assert [n["type"] for n in adf["content"][0]["content"]] == ["text", "hardBreak", "text"]
    assert len(adf["content"]) == 2
    assert adf_text(adf) == "first line\nsecond line\nnext paragraph"
    assert plain_to_adf("")["content"] == []
    doc = Doc(adf=cloud_pool().descriptions[9].adf)
    assert "@Admin" in doc_text(doc) and "Describe the expected" not in doc_text(doc)
    assert wiki_text("*Severity:* {color:red}high{color} see [docs|https://e.com]") == "Severity: high see docs"


def test_doc_helpers_convert_between_flavours_and_cache() -> None:
    cloud = cloud_pool().descriptions[0]
    dc = dc_pool().descriptions[0]
    assert doc_as_adf(cloud) is cloud.adf
    assert doc_as_wiki(dc) == dc.wiki
    wiki = doc_as_wiki(cloud)
    assert wiki and doc_as_wiki(cloud) is wiki  # cached per doc object
    adf = doc_as_adf(dc)
    assert adf is not None and schema_errors(adf) == [] and doc_as_adf(dc) is adf
    assert doc_as_adf(None) is None and doc_as_wiki(None) is None and doc_text(None) == ""
    assert words(doc_text(dc)) == words(adf_text(adf))


def test_unknown_and_malformed_nodes_never_crash() -> None:
    weird = {"type": "doc", "version": 1, "content": [
        {"type": "fancyWidget", "attrs": {"x": 1}, "content": [{"type": "text", "text": "hello widget"}]},
        {"type": "paragraph", "content": [{"type": "sparkle", "content": [{"type": "text", "text": "inner"}]},
                                          {"type": "text", "text": "tail", "marks": [{"type": "glow"}, "junk"]}]},
        {"type": "heading", "attrs": {"level": 99}, "content": "not a list"},
        "not a node", {"no": "type"},
        {"type": "table", "content": [{"type": "tableRow", "content": [{"type": "weirdCell"}]}]},
    ]}
    assert "hello widget" in adf_text(weird) and "inner" in adf_text(weird)
    assert "hello widget" in adf_to_wiki(weird) and "tail" in adf_to_wiki(weird)
    assert "hello widget" in render_html(Doc(adf=weird))
    problems = is_valid_adf(weird)
    assert any("fancyWidget" in p for p in problems) and any("glow" in p or "mark" in p for p in problems)
    for junk in ("", "just a string", None, 42, [], {}, {"type": "doc"}):
        adf_text(junk)
        adf_to_wiki(junk)
    assert wiki_to_adf("{code}\nnever closed") and wiki_to_adf("{quote}\nopen") and wiki_to_adf("[broken|")


def test_is_valid_adf_rejects_what_jira_rejects() -> None:
    assert is_valid_adf("a plain v2 string")[0].startswith(ADF_ERROR)
    assert is_valid_adf({"type": "doc", "content": []}) != []  # no version
    assert is_valid_adf({"type": "doc", "version": 1, "content": [{"type": "text", "text": "x"}]}) != []
    assert is_valid_adf({"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": ""}]}]}) != []
    assert is_valid_adf({"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "paragraph"}]}]}) != []
    assert is_valid_adf({"type": "doc", "version": 1, "content": [{"type": "heading", "content": []}]}) != []
    assert is_valid_adf(plain_to_adf("fine")) == []


def _fixture_docs() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "doc" and "content" in node:
                found.append(node)
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for name in ("cloud-v3/issue-comments.page.go-atlassian.json", "cloud-v3/issue.get.go-atlassian.json"):
        walk(json.loads((REFERENCE / "fixtures" / name).read_text()))
    return found


def test_real_jira_adf_from_fixtures_converts() -> None:
    docs = _fixture_docs()
    assert len(docs) >= 10
    for adf in docs:
        assert schema_errors(adf) == [] and is_valid_adf(adf) == []
        back = wiki_to_adf(adf_to_wiki(adf))
        assert schema_errors(back) == []
        assert words(adf_text(back)) == words(adf_text(strip_mention_text(adf)))
        assert render_html(Doc(adf=adf)).startswith("<p>")


def test_unmatched_markup_parses_in_linear_time() -> None:
    import time

    for wiki in ("*a " * 8000, "[x " * 8000, "{{" * 8000, "!a.png " * 8000, "{color:red}" * 4000):
        started = time.process_time()
        adf = wiki_to_adf(wiki)
        assert time.process_time() - started < 8, wiki[:10]  # ~0.2 s; quadratic parsing took ~30 s
        assert adf["content"] and is_valid_adf(adf) == []
