"""Rich text: the document pool and converters between ADF, wiki markup, plain text and HTML."""

from jiraemu.content.convert import (
    ADF_ERROR,
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
from jiraemu.content.pool import DocPool

__all__ = [
    "ADF_ERROR",
    "DocPool",
    "adf_text",
    "adf_to_wiki",
    "doc_as_adf",
    "doc_as_wiki",
    "doc_text",
    "is_valid_adf",
    "plain_to_adf",
    "render_html",
    "wiki_text",
    "wiki_to_adf",
]
