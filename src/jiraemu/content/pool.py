"""A deterministic pool of realistic rich-text documents (descriptions and comments).

The generator draws from one ``DocPool`` per state build, so 100k issues share a few hundred
``Doc`` objects by reference. Docs are never mutated after construction.

Cloud docs are ADF; across the pool they cover every node and mark type of the full ADF schema
(``tests/test_content.py`` checks that against the schema file). The first descriptions each lead
with one "feature block" so coverage does not depend on the seed. DC docs are wiki markup and
cover the common wiki syntax the same way.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from jiraemu.state import Doc

Node = dict[str, Any]
ADMIN_ACCOUNT = "557058:f0000000-0000-4000-8000-000000000001"
DEFAULT_PEOPLE: tuple[tuple[str, str], ...] = ((ADMIN_ACCOUNT, "Admin"),)
DEFAULT_DC_PEOPLE: tuple[tuple[str, str], ...] = (("admin", "Admin"), ("user01", "user01"))

# --------------------------------------------------------------------------------------- texts

SUMMARIES = [
    "Login fails with 500 after password reset",
    "Export to CSV drops rows with non-ASCII names",
    "Webhook retries are not idempotent",
    "Dashboard widget shows stale sprint data",
    "Race condition when two workers claim the same job",
    "Search results paginate past the last page",
    "Memory leak in the attachment thumbnailer",
    "Timezone offset wrong for Australia/Sydney users",
]
SENTENCES = [
    "Steps to reproduce: open the project settings, change the key and save.",
    "The error only happens when the session cookie has expired.",
    "We see this on roughly 3% of requests since the 4.2 rollout.",
    "Expected result: the page reloads and shows the new value.",
    "Actual result: a blank page and a stack trace in the server log.",
    "This blocks the release; customers on the EU cluster are affected.",
    "Workaround: clear the cache and retry the import.",
    "The regression was introduced by the connection pool refactoring.",
    "Please attach the HAR file and the exact browser version.",
    "Security impact: an authenticated user can read other tenants' attachments.",
    "CVSS 3.1 base score 7.5 (AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N).",
    "The fix must be backported to the 3.x and 4.x branches.",
    "Der Export bricht bei Umlauten wie ä, ö, ü und ß ab.",
    "Beim Speichern erscheint die Meldung „Ungültiger Wert“.",
    "Le formulaire ne se valide pas si le champ « société » est vide.",
    "La sincronización falla cuando el título contiene ñ o acentos.",
    "ログイン後にダッシュボードが表示されません。",
    "添付ファイルのサムネイルが生成されない問題を確認しました。",
    "用户在保存时收到错误提示，数据没有写入数据库。",
    "Пользователь не может войти после смены пароля.",
    "Ошибка воспроизводится только в Safari 17.",
    "المستخدم لا يستطيع تسجيل الدخول بعد تغيير كلمة المرور.",
    "המערכת מחזירה שגיאה בעת שמירת הטופס.",
    "सहेजते समय त्रुटि संदेश दिखाई देता है।",
    "사용자가 비밀번호를 변경한 후 로그인할 수 없습니다.",
    "Build is green again 🎉 thanks for the quick fix 🙏",
    "Deploy blocked 🚫 until the migration 🛠️ is reviewed 👀",
    "Rare glyphs survive round trips: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, 𠜎𠜱𠝹, 🧑‍💻 and 👩🏽‍🔬.",
    "Mathematical note: ∑ xᵢ ≤ ∞ and 𝛼 ≠ 𝛽 for every 𝑥 ∈ ℝ.",
]
COMMENTS = [
    "LGTM 👍",
    "Can you add a test for the empty list case?",
    "Reproduced on staging with build 2024.11.3.",
    "Not reproducible on main anymore, closing as fixed.",
    "I think this duplicates the earlier ticket about CSV exports.",
    "Deployed to production at 14:05 UTC.",
    "Bitte noch die Release Notes ergänzen.",
    "修正を確認しました。ありがとうございます！",
    "Спасибо, проверил — работает.",
    "Moving to the next sprint, we ran out of capacity 😅",
    "The root cause was a missing index on the comments table 🐢→🚀",
]
STACK_JAVA = """java.lang.NullPointerException: Cannot invoke "String.length()" because "name" is null
    at com.example.export.CsvWriter.escape(CsvWriter.java:88)
    at com.example.export.CsvWriter.writeRow(CsvWriter.java:52)
    at com.example.export.ExportService.run(ExportService.java:131)
    at java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)"""
STACK_PY = """Traceback (most recent call last):
  File "/srv/app/worker.py", line 212, in claim
    job = queue.pop(timeout=5)
  File "/srv/app/queue.py", line 48, in pop
    raise QueueEmpty(f"no job after {timeout}s")
queue.QueueEmpty: no job after 5s"""
CODE_SNIPPETS: list[tuple[str, str]] = [
    ("java", STACK_JAVA),
    ("python", STACK_PY),
    ("sql", "SELECT id, key, updated\nFROM jiraissue\nWHERE updated >= '2024-01-01'\nORDER BY updated, id;"),
    ("json", '{\n  "errorMessages": [],\n  "errors": {"summary": "You must specify a summary of the issue."}\n}'),
    ("bash", "curl -s -u admin@example.com:$TOKEN \\\n  'https://example.atlassian.net/rest/api/3/myself' | jq ."),
    ("javascript", "const res = await fetch(url, { headers });\nif (!res.ok) throw new Error(`HTTP ${res.status}`);"),
    ("yaml", "replicas: 3\nresources:\n  limits:\n    memory: 512Mi"),
    ("go", 'if err != nil {\n\treturn fmt.Errorf("claim job: %w", err)\n}'),
]
VERSION_ROWS = [
    ("4.2.0", "2024-03-12", "affected"),
    ("4.2.1", "2024-04-02", "affected"),
    ("4.3.0", "2024-05-20", "fixed"),
    ("3.9.7 LTS", "2024-05-21", "backport"),
]
URLS = [
    "https://example.atlassian.net/browse/ENG-42",
    "https://github.com/example/app/pull/1337",
    "https://docs.example.com/runbooks/incident-response",
    "https://status.example.com/incidents/2024-05-20",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
]
EMOJI = [
    ("thumbsup", "1f44d", "👍"),
    ("tada", "1f389", "🎉"),
    ("warning", "atlassian-warning", "⚠️"),
    ("rocket", "1f680", "🚀"),
    ("check_mark", "atlassian-check_mark", "✅"),
    ("technologist", "1f9d1-200d-1f4bb", "🧑‍💻"),
]
PANEL_TYPES = ["info", "note", "tip", "warning", "error", "success", "custom"]
STATUS_COLORS = ["neutral", "purple", "blue", "red", "yellow", "green"]
FILES = ["screenshot.png", "server.log", "export.csv", "trace.har", "diagram.svg", "report.pdf"]


class _Ctx:
    """Random helpers shared by the builders."""

    def __init__(self, rng: random.Random, people: Sequence[tuple[str, str]]) -> None:
        self.rng = rng
        self.people = people

    def uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def sentence(self) -> str:
        return self.rng.choice(SENTENCES)

    def pick(self, seq: Sequence[Any]) -> Any:
        return self.rng.choice(seq)


# ----------------------------------------------------------------------------------- ADF nodes


def t(text: str, *marks: Node) -> Node:
    node: Node = {"type": "text", "text": text}
    if marks:
        node["marks"] = list(marks)
    return node


def m(kind: str, **attrs: Any) -> Node:
    return {"type": kind, "attrs": attrs} if attrs else {"type": kind}


def p(*inline: Node, marks: Sequence[Node] = ()) -> Node:
    node: Node = {"type": "paragraph", "content": list(inline)}
    if marks:
        node["marks"] = list(marks)
    return node


def h(level: int, text: str, marks: Sequence[Node] = ()) -> Node:
    node: Node = {"type": "heading", "attrs": {"level": level}, "content": [t(text)]}
    if marks:
        node["marks"] = list(marks)
    return node


def li(*blocks: Node) -> Node:
    return {"type": "listItem", "content": list(blocks)}


def bullet(*items: Node) -> Node:
    return {"type": "bulletList", "content": list(items)}


def ordered(*items: Node, order: int | None = None) -> Node:
    node: Node = {"type": "orderedList", "content": list(items)}
    if order is not None:
        node["attrs"] = {"order": order}
    return node


def code_block(language: str | None, text: str) -> Node:
    node: Node = {"type": "codeBlock", "content": [t(text)]}
    if language:
        node["attrs"] = {"language": language}
    return node


def cell(kind: str, *blocks: Node, **attrs: Any) -> Node:
    node: Node = {"type": kind, "content": list(blocks)}
    if attrs:
        node["attrs"] = attrs
    return node


def media(c: _Ctx, *marks: Node, external: bool = False) -> Node:
    if external:
        attrs: Node = {"type": "external", "url": "https://picsum.photos/seed/jira/640/360", "alt": "chart"}
    else:
        attrs = {"type": "file", "id": c.uuid(), "collection": "", "width": 1280, "height": 720,
                 "alt": c.pick(FILES)}
    node: Node = {"type": "media", "attrs": attrs}
    if marks:
        node["marks"] = list(marks)
    return node


def mention(c: _Ctx) -> Node:
    ident, name = c.pick(c.people)
    return {"type": "mention", "attrs": {"id": ident, "text": f"@{name}", "accessLevel": ""}}


def emoji(c: _Ctx) -> Node:
    short, ident, text = c.pick(EMOJI)
    return {"type": "emoji", "attrs": {"shortName": f":{short}:", "id": ident, "text": text}}


def status(c: _Ctx) -> Node:
    label = c.pick(["IN PROGRESS", "BLOCKED", "DONE", "NEEDS TRIAGE", "確認中"])
    return {"type": "status", "attrs": {"text": label, "color": c.pick(STATUS_COLORS), "localId": c.uuid()}}


def date(c: _Ctx) -> Node:
    day = 1_700_000_000_000 + c.rng.randrange(0, 700) * 86_400_000
    return {"type": "date", "attrs": {"timestamp": str(day)}}


def rich_inline(c: _Ctx) -> list[Node]:
    """A sentence with the common formatting marks."""
    return [
        t("Severity: "),
        t("critical", m("strong")),
        t(", seen in "),
        t("prod-eu-1", m("code")),
        t(" — "),
        t(c.sentence(), m("em")),
        t(" "),
        t("old behaviour", m("strike")),
        t(" / "),
        t("see runbook", m("link", href=c.pick(URLS), title="Runbook")),
    ]


# ------------------------------------------------------------------------------ feature blocks


def f_headings(c: _Ctx) -> list[Node]:
    return [
        h(1, c.pick(SUMMARIES)),
        h(2, "Details", [m("alignment", align="center")]),
        h(3, "Impact", [m("indentation", level=1)]),
        p(*rich_inline(c)),
        h(4, "Environment"),
        p(t(c.sentence()), marks=[m("alignment", align="end")]),
        h(5, "Notes"),
        p(t(c.sentence()), marks=[m("indentation", level=2)]),
        h(6, "Appendix"),
    ]


def f_marks(c: _Ctx) -> list[Node]:
    return [
        p(
            t("H"), t("2", m("subsup", type="sub")), t("O and x"), t("2", m("subsup", type="sup")),
            t(" — "), t("underlined", m("underline")), t(", "),
            t("red text", m("textColor", color="#ff5630")), t(", "),
            t("highlighted", m("backgroundColor", color="#fffae6")), t(", "),
            t("reviewed passage", m("annotation", id=c.uuid(), annotationType="inlineComment")), t(", "),
            t("all at once", m("strong"), m("em"), m("underline"), m("strike")), t(" and "),
            t("linked code", m("code"), m("link", href=c.pick(URLS))),
        )
    ]


def f_lists(c: _Ctx) -> list[Node]:
    return [
        p(t("Steps to reproduce:")),
        ordered(
            li(p(t("Log in as a project admin"))),
            li(p(t("Open "), t("Project settings → Details", m("strong"))),
               bullet(li(p(t("change the key"))), li(p(t("keep the name")),
                         ordered(li(p(t(c.sentence()))), order=3)))),
            li(p(t("Save"), {"type": "hardBreak"}, t("and reload the page")),
               code_block("bash", "tail -f /var/log/app.log")),
            order=1,
        ),
        bullet(li(p(t(c.sentence()))), li(p(t(c.sentence()), marks=[m("fontSize", fontSize="small")]))),
    ]


def f_tasks(c: _Ctx) -> list[Node]:
    def item(state: str, text: str) -> Node:
        return {"type": "taskItem", "attrs": {"localId": c.uuid(), "state": state}, "content": [t(text)]}

    block_item = {"type": "blockTaskItem", "attrs": {"localId": c.uuid(), "state": "TODO"},
                  "content": [p(t("Write the post-mortem")), p(t("Share it in #incidents"))]}
    return [
        h(3, "Checklist"),
        {"type": "taskList", "attrs": {"localId": c.uuid()}, "content": [
            item("DONE", "Reproduce locally"),
            item("TODO", "Add a regression test"),
            {"type": "taskList", "attrs": {"localId": c.uuid()}, "content": [item("TODO", "Backport to 3.x")]},
            block_item,
        ]},
        {"type": "decisionList", "attrs": {"localId": c.uuid()}, "content": [
            {"type": "decisionItem", "attrs": {"localId": c.uuid(), "state": "DECIDED"},
             "content": [t("We ship the fix behind a feature flag.")]},
            {"type": "decisionItem", "attrs": {"localId": c.uuid(), "state": "DECIDED"},
             "content": [t("Rollback plan: "), t("revert the migration", m("em"))]},
        ]},
    ]


def f_code(c: _Ctx) -> list[Node]:
    lang, text = c.pick(CODE_SNIPPETS)
    return [
        p(t("Stack trace from the worker:")),
        code_block(lang, text),
        {"type": "codeBlock", "attrs": {"language": "text"}, "marks": [m("breakout", mode="wide", width=960)],
         "content": [t(STACK_JAVA)]},
        {"type": "codeBlock", "content": []},
    ]


def f_quote_rule(c: _Ctx) -> list[Node]:
    return [
        {"type": "blockquote", "content": [
            p(t(c.sentence())),
            bullet(li(p(t("quoted list item")))),
            code_block("text", "ERROR 2024-05-20T10:00:00Z timeout"),
        ]},
        {"type": "rule"},
        p(t(c.sentence())),
    ]


def f_panels(c: _Ctx) -> list[Node]:
    out: list[Node] = []
    for kind in PANEL_TYPES:
        attrs: Node = {"panelType": kind}
        if kind == "custom":
            attrs.update(panelIcon=":rocket:", panelIconId="1f680", panelIconText="🚀", panelColor="#e3fcef")
        out.append({"type": "panel", "attrs": attrs, "content": [
            p(t(f"{kind.title()}: "), t(c.sentence())),
        ]})
    out[0]["content"].append(h(3, "Workaround"))
    out[1]["content"].append(bullet(li(p(t("clear the cache")))))
    out[2]["content"].append(p(t("small print"), marks=[m("fontSize", fontSize="small")]))
    return out


def f_expand(c: _Ctx) -> list[Node]:
    nested = {"type": "nestedExpand", "attrs": {"title": "Full log"}, "content": [
        code_block("text", STACK_PY), p(t(c.sentence()))]}
    return [
        {"type": "expand", "attrs": {"title": "Investigation notes"}, "content": [
            p(t(c.sentence())), nested, {"type": "rule"}]},
        {"type": "expand", "attrs": {"title": "Raw payload"}, "marks": [m("breakout", mode="full-width")],
         "content": [code_block("json", CODE_SNIPPETS[3][1])]},
    ]


def f_table(c: _Ctx) -> list[Node]:
    header = {"type": "tableRow", "content": [
        cell("tableHeader", p(t("Version", m("strong")))), cell("tableHeader", p(t("Released"))),
        cell("tableHeader", p(t("State")))]}
    rows = [
        {"type": "tableRow", "content": [
            cell("tableCell", p(t(v))), cell("tableCell", p(t(d))),
            cell("tableCell", p(t(s)), background="#e3fcef" if s == "fixed" else "#ffebe6")]}
        for v, d, s in VERSION_ROWS
    ]
    nested = {"type": "nestedExpand", "attrs": {"title": "Why 3.9?"}, "content": [p(t("LTS customers."))]}
    rows.append({"type": "tableRow", "content": [
        cell("tableCell", p(t("Total: 4 versions")), colspan=2), cell("tableCell", nested)]})
    return [
        h(2, "Affected versions"),
        {"type": "table", "attrs": {"isNumberColumnEnabled": False, "layout": "default", "localId": c.uuid()},
         "marks": [m("fragment", localId=c.uuid(), name="versions")], "content": [header, *rows]},
    ]


def f_inline_nodes(c: _Ctx) -> list[Node]:
    return [
        p(t("Assigning to "), mention(c), t(" "), emoji(c), t(" status "), status(c),
          t(" due "), date(c), t(", related: "), {"type": "inlineCard", "attrs": {"url": c.pick(URLS)}}),
        p({"type": "placeholder", "attrs": {"text": "Describe the expected behaviour"}}),
        p(t("Line one"), {"type": "hardBreak"}, t("line two"), {"type": "hardBreak", "attrs": {"text": "\n"}},
          t(c.sentence())),
    ]


def f_cards(c: _Ctx) -> list[Node]:
    return [
        {"type": "blockCard", "attrs": {"url": c.pick(URLS)}},
        {"type": "embedCard", "attrs": {"url": URLS[4], "layout": "center", "width": 80,
                                        "originalHeight": 360, "originalWidth": 640}},
        p(t("Card with data: "), {"type": "inlineCard", "attrs": {"data": {
            "@type": "Document", "name": "Incident report", "url": URLS[3]}}}),
    ]


def f_media(c: _Ctx) -> list[Node]:
    caption = {"type": "caption", "content": [t("Figure 1: "), t("error rate after deploy", m("em"))]}
    return [
        {"type": "mediaSingle", "attrs": {"layout": "center", "width": 80, "widthType": "percentage"},
         "content": [media(c), caption]},
        {"type": "mediaSingle", "attrs": {"layout": "wide", "width": 960, "widthType": "pixel"},
         "marks": [m("link", href=URLS[2])], "content": [media(c, external=True)]},
        {"type": "mediaGroup", "content": [
            media(c, m("border", size=2, color="#091e4224")),
            media(c, m("link", href=URLS[0]), m("annotation", id=c.uuid(), annotationType="inlineComment")),
            media(c, m("dataConsumer", sources=[c.uuid()])),
        ]},
        p(t("Attached log: "), {"type": "mediaInline", "attrs": {
            "type": "file", "id": c.uuid(), "collection": "", "alt": "server.log"},
            "marks": [m("border", size=1, color="#091e4224")]}),
    ]


def f_layout(c: _Ctx) -> list[Node]:
    def col(width: float, *blocks: Node) -> Node:
        return {"type": "layoutColumn", "attrs": {"width": width}, "content": list(blocks)}

    return [
        {"type": "layoutSection", "marks": [m("breakout", mode="wide")], "content": [
            col(50, h(3, "Before"), p(t(c.sentence()))),
            col(50, h(3, "After"), bullet(li(p(t(c.sentence()))))),
        ]},
        {"type": "layoutSection", "content": [
            col(33.33, p(t("Owner"))), col(33.33, p(mention(c))), col(33.34, p(status(c)))]},
    ]


def f_extensions(c: _Ctx) -> list[Node]:
    ext = "com.atlassian.confluence.macro.core"
    return [
        {"type": "extension", "attrs": {"extensionType": ext, "extensionKey": "toc",
                                        "parameters": {"macroParams": {}}, "layout": "default",
                                        "localId": c.uuid()},
         "marks": [m("dataConsumer", sources=[c.uuid()])]},
        {"type": "bodiedExtension", "attrs": {"extensionType": ext, "extensionKey": "details",
                                              "parameters": {"macroParams": {"id": {"value": "meta"}}}},
         "marks": [m("fragment", localId=c.uuid(), name="details")],
         "content": [p(t(c.sentence()))]},
        p(t("Build: "), {"type": "inlineExtension", "attrs": {
            "extensionType": "com.atlassian.jira.macro", "extensionKey": "build-status",
            "text": "build #4711", "parameters": {"build": 4711}},
            "marks": [m("fragment", localId=c.uuid())]}),
    ]


def f_sync(c: _Ctx) -> list[Node]:
    return [
        {"type": "syncBlock", "attrs": {"resourceId": f"ari:cloud:blocks::{c.uuid()}", "localId": c.uuid()}},
        {"type": "bodiedSyncBlock", "marks": [m("breakout", mode="wide")],
         "attrs": {"resourceId": f"ari:cloud:blocks::{c.uuid()}", "localId": c.uuid()},
         "content": [
             p(t("Synced from the incident template"), marks=[m("fontSize", fontSize="small")]),
             h(4, "Owners"),
         ]},
    ]


FEATURES: list[Callable[[_Ctx], list[Node]]] = [
    f_headings, f_marks, f_lists, f_tasks, f_code, f_quote_rule, f_panels, f_expand, f_table,
    f_inline_nodes, f_cards, f_media, f_layout, f_extensions, f_sync,
]


def plain_blocks(c: _Ctx) -> list[Node]:
    return [p(t(c.sentence()), t(" "), t(c.sentence())) for _ in range(c.rng.randint(1, 3))]


def adf_doc(blocks: list[Node]) -> Node:
    return {"type": "doc", "version": 1, "content": blocks}


def adf_description(c: _Ctx, lead: int | None) -> Node:
    blocks: list[Node] = [p(t(c.sentence()))]
    if lead is not None:
        blocks += FEATURES[lead](c)
    for feature in c.rng.sample(FEATURES, c.rng.randint(0, 3)):
        blocks += feature(c)
    blocks += plain_blocks(c)
    return adf_doc(blocks)


def adf_comment(c: _Ctx) -> Node:
    roll = c.rng.random()
    if roll < 0.5:
        return adf_doc([p(t(c.pick(COMMENTS)))])
    if roll < 0.75:
        return adf_doc([p(mention(c), t(" " + c.pick(COMMENTS))), *plain_blocks(c)])
    return adf_doc([p(t(c.pick(COMMENTS))), *c.pick(FEATURES)(c)])


# ---------------------------------------------------------------------------------- wiki markup


def w_headings(c: _Ctx) -> str:
    return "\n".join([f"h1. {c.pick(SUMMARIES)}", "h2. Details", c.sentence(), "h3. Impact", c.sentence(),
                      "h4. Environment", "h5. Notes", "h6. Appendix"])


def w_marks(c: _Ctx) -> str:
    return ("Severity: *critical*, seen in {{prod-eu-1}} — _" + c.sentence() + "_ -old behaviour- "
            "+underlined+ H{~}2{~}O x{^}2{^} and ^TM^ ~i~ ??Jira docs?? {color:red}red text{color} {color:#0052cc}blue{color}")


def w_lists(c: _Ctx) -> str:
    return "\n".join(["Steps to reproduce:", "# Log in as a project admin", "# Open *Project settings*",
                      "## change the key", "## keep the name", "#* " + c.sentence(), "# Save",
                      "", "* " + c.sentence(), "** nested bullet", "*** deeper", "* last item",
                      "- dash item"])


def w_code(c: _Ctx) -> str:
    lang, text = c.pick(CODE_SNIPPETS)
    return f"Stack trace:\n{{code:{lang}}}\n{text}\n{{code}}\n{{noformat}}\n{STACK_PY}\n{{noformat}}\n{{code}}x = 1{{code}}"


def w_quote(c: _Ctx) -> str:
    return f"{{quote}}\n{c.sentence()}\n{c.sentence()}\n{{quote}}\nbq. {c.sentence()}\n----\n{c.sentence()}"


def w_panel(c: _Ctx) -> str:
    return (f"{{panel:title=Workaround|borderStyle=dashed|borderColor=#ccc|bgColor=#FFFFCE}}\n{c.sentence()}\n"
            f"{{panel}}\n{{panel}}\n{c.sentence()}\n{{panel}}\n{{info}}{c.sentence()}{{info}}\n"
            f"{{warning:title=Careful}}\n{c.sentence()}\n{{warning}}")


def w_table(c: _Ctx) -> str:
    rows = ["||Version||Released||State||"] + [f"|{v}|{d}|{s}|" for v, d, s in VERSION_ROWS]
    return "h2. Affected versions\n" + "\n".join(rows)


def w_links(c: _Ctx) -> str:
    ident, _ = c.pick(c.people)
    return (f"Assigning to [~{ident}] (/) see [runbook|{URLS[2]}] and [{URLS[1]}], "
            f"mail [mailto:ops@example.com], file [^server.log], issue ENG-42 :) (!) ;)\n"
            f"Line one\\\\line two")


def w_images(c: _Ctx) -> str:
    return (f"!screenshot.png!\n\n!diagram.svg|thumbnail! !trace.png|thumbnail!\n\n!{URLS[3]}/chart.png|width=300!\n\n"
            f"See !icon.png! inline.\n\n{c.sentence()}")


WIKI_FEATURES: list[Callable[[_Ctx], str]] = [
    w_headings, w_marks, w_lists, w_code, w_quote, w_panel, w_table, w_links, w_images,
]


def wiki_description(c: _Ctx, lead: int | None) -> str:
    parts = [c.sentence()]
    if lead is not None:
        parts.append(WIKI_FEATURES[lead](c))
    parts += [f(c) for f in c.rng.sample(WIKI_FEATURES, c.rng.randint(0, 3))]
    parts.append(f"{c.sentence()} {c.sentence()}")
    return "\n\n".join(parts)


def wiki_comment(c: _Ctx) -> str:
    roll = c.rng.random()
    if roll < 0.5:
        return c.pick(COMMENTS)
    if roll < 0.75:
        return f"[~{c.pick(c.people)[0]}] {c.pick(COMMENTS)}\n\n{c.sentence()}"
    return f"{c.pick(COMMENTS)}\n\n{c.pick(WIKI_FEATURES)(c)}"


# ---------------------------------------------------------------------------------------- pool


class DocPool:
    """Pre-built descriptions and comments; ``description(rng)`` / ``comment(rng)`` pick one."""

    SIZE = 150

    def __init__(self, seed: int, cloud: bool, people: Sequence[tuple[str, str]] = ()) -> None:
        """``people``: (account id on Cloud / username on DC, display name) pairs to mention."""
        self.cloud = cloud
        default = DEFAULT_PEOPLE if cloud else DEFAULT_DC_PEOPLE
        c = _Ctx(random.Random(f"docpool:{seed}:{cloud}"), tuple(people) or default)
        features = FEATURES if cloud else WIKI_FEATURES
        self.descriptions: tuple[Doc, ...] = tuple(
            self._doc(c, i if i < len(features) else None, cloud) for i in range(self.SIZE))
        self.comments: tuple[Doc, ...] = tuple(
            Doc(adf=adf_comment(c)) if cloud else Doc(wiki=wiki_comment(c)) for _ in range(self.SIZE))

    @staticmethod
    def _doc(c: _Ctx, lead: int | None, cloud: bool) -> Doc:
        return Doc(adf=adf_description(c, lead)) if cloud else Doc(wiki=wiki_description(c, lead))

    def description(self, rng: random.Random) -> Doc:
        return self.descriptions[rng.randrange(len(self.descriptions))]

    def comment(self, rng: random.Random) -> Doc:
        return self.comments[rng.randrange(len(self.comments))]

    def all_docs(self) -> tuple[Doc, ...]:
        return self.descriptions + self.comments
