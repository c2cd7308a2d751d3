"""Rich-text converters of the connector.

- ``adf_to_markdown`` (Cloud descriptions/comments) and ``wiki_to_markdown`` (Data Center) render
  GitHub-flavoured Markdown; wiki markup is parsed into the same ADF-shaped tree first, so both
  flavours render alike.
- ``markdown_to_adf`` / ``markdown_to_wiki`` write Markdown back (push).
- ``text_of_adf`` / ``text_of_wiki`` give plain text for full-text search.

See ``_to_markdown`` for how constructs without a Markdown equivalent are rendered.
"""

from __future__ import annotations

from typing import Any

from jirasync.content._common import MarkdownContext
from jirasync.content._text import text_of_adf, text_of_wiki
from jirasync.content._to_markdown import adf_to_markdown
from jirasync.content._to_wiki import adf_to_wiki
from jirasync.content._wiki import parse_wiki


def wiki_to_markdown(wiki: str | None, ctx: MarkdownContext | None = None) -> str:
    """Render Jira wiki markup (Server/Data Center) as Markdown; never raises on odd markup."""
    return adf_to_markdown(parse_wiki(wiki), ctx) if wiki else ""


def markdown_to_adf(md: str | None) -> dict[str, Any]:
    """Markdown as an ADF ``doc`` that validates against the ADF schema."""
    # imported on first use: the Markdown parser (markdown-it) is for push only, and a sync need
    # not load it (~35 ms of start-up)
    from jirasync.content._from_markdown import markdown_to_adf as convert

    return convert(md)


def markdown_to_wiki(md: str | None) -> str:
    """Markdown as Jira wiki markup (through ADF, so both write paths treat Markdown alike)."""
    return adf_to_wiki(markdown_to_adf(md))


__all__ = [
    "MarkdownContext",
    "adf_to_markdown",
    "adf_to_wiki",
    "markdown_to_adf",
    "markdown_to_wiki",
    "text_of_adf",
    "text_of_wiki",
    "wiki_to_markdown",
]
