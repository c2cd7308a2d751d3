"""Text search for ``~`` / ``!~``, approximating Jira's Lucene analysis.

Both the document and the query are lower-cased, split into words and lightly stemmed (``wins`` and
``winning`` match ``win``). A query matches when **every** term is present (Jira ANDs the terms of
``summary ~ "issue collector"``). ``"exact phrase"`` inside the value must appear as consecutive
words; ``win*`` / ``w?n`` are wildcards (not allowed first, as in Jira); ``-term`` excludes.
"""

from __future__ import annotations

import importlib
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jiraemu.state import Doc

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
QUERY_PART = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light English stemmer: ``issues``/``issue``, ``fixed``/``fixing``/``fix`` share a stem."""
    w = word
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif (len(w) > 4 and w.endswith("es") and w[-3] in "sxz") or w.endswith(("ches", "shes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if len(w) - len(suffix) >= 3 and w.endswith(suffix):
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
                w = w[:-1]
            break
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    return [stem(w) for w in WORD.findall(text.lower())]


def _adf_text(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("text"), str):
            out.append(node["text"])
        for child in node.get("content") or ():
            _adf_text(child, out)
        attrs = node.get("attrs") or {}
        if node.get("type") == "mention" and isinstance(attrs.get("text"), str):
            out.append(attrs["text"])
    elif isinstance(node, list):
        for child in node:
            _adf_text(child, out)


def _fallback_doc_text(doc: Doc) -> str:
    if doc.wiki is not None:
        return doc.wiki
    out: list[str] = []
    _adf_text(doc.adf, out)
    return " ".join(out)


def _doc_text_function() -> Callable[[Doc], str]:
    """``jiraemu.content.doc_text`` when that module has it, else a local ADF/wiki text walk."""
    try:
        module = importlib.import_module("jiraemu.content")
    except Exception:  # another area's module missing or mid-edit: search still works
        return _fallback_doc_text
    found = getattr(module, "doc_text", None)
    return found if callable(found) else _fallback_doc_text


@dataclass(frozen=True)
class Words:
    """A tokenised text: the word sequence (for phrases) and the word set (for single words)."""

    seq: tuple[str, ...]
    bag: frozenset[str]


NO_WORDS = Words((), frozenset())


class _WordCache:
    """Tokenised documents, keyed by object identity (docs are shared, immutable values)."""

    def __init__(self, size: int = 200_000) -> None:
        self.size = size
        self.entries: OrderedDict[int, tuple[object, Words]] = OrderedDict()
        self.doc_text: Callable[[Doc], str] | None = None

    def words_of(self, item: Doc | str | None) -> Words:
        if item is None:
            return NO_WORDS
        key = id(item)
        hit = self.entries.get(key)
        if hit is not None and hit[0] is item:
            return hit[1]
        if isinstance(item, Doc):
            if self.doc_text is None:
                self.doc_text = _doc_text_function()
            text = self.doc_text(item)
        else:
            text = item
        seq = tuple(words(text))
        result = Words(seq, frozenset(seq))
        self.entries[key] = (item, result)
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return result


CACHE = _WordCache()


@dataclass(frozen=True)
class Term:
    tokens: tuple[str, ...]  # one word, or a phrase
    wildcard: re.Pattern[str] | None = None
    negated: bool = False

    def found_in(self, doc: Words) -> bool:
        if self.wildcard is not None:
            return any(self.wildcard.fullmatch(w) for w in doc.bag)
        n = len(self.tokens)
        if n == 1:
            return self.tokens[0] in doc.bag
        if not doc.bag.issuperset(self.tokens):
            return False
        seq = doc.seq
        return any(seq[i : i + n] == self.tokens for i in range(len(seq) - n + 1))


def _wildcard(raw: str) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in raw.lower())
    return re.compile(body)


def compile_text_query(value: str, field_name: str) -> list[Term]:
    """Terms of a ``~`` value; raises ValueError(message) for queries Jira rejects."""
    terms: list[Term] = []
    for m in QUERY_PART.finditer(value):
        if m.group(2) is not None:
            tokens = tuple(words(m.group(2)))
            if tokens:
                terms.append(Term(tokens, negated=bool(m.group(1))))
            continue
        raw, negated = m.group(4), bool(m.group(3))
        if raw.upper() in ("AND", "OR", "&&", "||"):
            continue
        if raw[0] in "*?":
            raise ValueError(
                f"The text query '{value}' for field '{field_name}' is not allowed to start with a wildcard."
            )
        if "*" in raw or "?" in raw:
            terms.append(Term((raw,), wildcard=_wildcard(raw), negated=negated))
            continue
        tokens = tuple(words(raw))
        terms.extend(Term((t,), negated=negated) for t in tokens)
    return terms


def _found(term: Term, parts: list[Words]) -> bool:
    return any(term.found_in(part) for part in parts)


def text_matches(terms: list[Term], parts: list[Words]) -> bool:
    """Every positive term in some part (a phrase within one part), no negated term anywhere."""
    return text_matcher(terms)(parts)


def text_matcher(terms: list[Term]) -> Callable[[list[Words]], bool]:
    """``text_matches`` compiled once per query: plain single words are set look-ups."""
    positives = [t for t in terms if not t.negated]
    negatives = [t for t in terms if t.negated]
    plain = [t.tokens[0] for t in positives if len(t.tokens) == 1 and t.wildcard is None]
    rest = [t for t in positives if len(t.tokens) != 1 or t.wildcard is not None]
    if not positives:
        return lambda parts: False

    def match(parts: list[Words]) -> bool:
        for word in plain:
            for part in parts:
                if word in part.bag:
                    break
            else:
                return False
        if rest and not all(_found(t, parts) for t in rest):
            return False
        return not negatives or not any(_found(t, parts) for t in negatives)

    return match
