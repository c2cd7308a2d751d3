"""Rich-text converters of the connector: ADF (Cloud) and wiki markup (Data Center) to Markdown,
Markdown back to ADF and wiki markup, and plain text for full-text search."""

from jirasync.content._common import MarkdownContext
from jirasync.content._to_markdown import adf_to_markdown

__all__ = [
    "MarkdownContext",
    "adf_to_markdown",
]
