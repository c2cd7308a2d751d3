"""JQL tokenizer: characters -> ``Token`` list, each token keeping its offset, line and column.

Follows Jira's lexer (``jql.g``): an unquoted string runs until white space or one of the stop
characters; ``-`` and ``.`` are allowed inside it (``ABC-123``, ``-15m``, ``2024-01-01``), while the
reserved characters (``* / % + ^ $ # @ ? ; { }``) are an error outside quotes, which is why
``updated > 2024/01/01`` fails and must be quoted. Keywords are recognised by the parser, not here,
because the same word can be a keyword in one place and a value in another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

ERROR_PREFIX = "Error in the JQL Query: "


class JqlError(Exception):
    """A JQL problem; ``messages`` are Jira's ``errorMessages`` texts (answer 400 with them)."""

    def __init__(self, messages: list[str] | str) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(self.messages))


class Kind(Enum):
    WORD = "word"  # unquoted string (keywords too)
    STRING = "string"  # quoted string
    OP = "op"  # = != ~ !~ < > <= >=
    LPAREN = "("
    RPAREN = ")"
    LBRACKET = "["
    RBRACKET = "]"
    COMMA = ","
    AMP = "&"  # & and && mean AND
    PIPE = "|"  # | and || mean OR
    BANG = "!"  # ! means NOT
    EOF = "eof"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # the source text of the token (quotes included)
    value: str  # unescaped value
    pos: int  # 0-based offset in the query
    line: int  # 1-based
    col: int  # 1-based, Jira's "character"

    def where(self) -> str:
        return f" (line {self.line}, character {self.col})"

    def is_word(self, *words: str) -> bool:
        return self.kind is Kind.WORD and self.value.upper() in words


RESERVED_CHARS = frozenset("{}*/%+^$#@?;")
STOP_CHARS = frozenset("\"'=!<>()~,[]|&") | RESERVED_CHARS
SINGLE = {"(": Kind.LPAREN, ")": Kind.RPAREN, "[": Kind.LBRACKET, "]": Kind.RBRACKET, ",": Kind.COMMA}
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\", " ": " "}


def operator_width(ch: str, nxt: str) -> int:
    """Length of the comparison operator starting with ``ch`` (0 when there is none)."""
    if ch in "<>":
        return 2 if nxt == "=" else 1
    if ch in "=~":
        return 1
    if ch == "!" and nxt in ("=", "~"):
        return 2
    return 0


def syntax_error(message: str, token: Token | None = None, prefix: str = ERROR_PREFIX) -> JqlError:
    return JqlError(prefix + message + (token.where() if token is not None else ""))


class Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1
        self.line_start = 0
        self.tokens: list[Token] = []

    def run(self) -> list[Token]:
        while True:
            self._skip_space()
            if self.i >= len(self.text):
                self.tokens.append(self._token(Kind.EOF, self.i, ""))
                return self.tokens
            self.tokens.append(self._next())

    def _skip_space(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            if self.text[self.i] == "\n":
                self.line += 1
                self.line_start = self.i + 1
            self.i += 1

    def _token(self, kind: Kind, start: int, value: str) -> Token:
        col = start - self.line_start + 1
        return Token(kind, self.text[start : self.i], value, start, self.line, col)

    def _next(self) -> Token:
        start, ch = self.i, self.text[self.i]
        nxt = self.text[self.i + 1 : self.i + 2]
        if ch in SINGLE:
            self.i += 1
            return self._token(SINGLE[ch], start, ch)
        if ch in "\"'":
            return self._quoted(ch)
        if ch in "&|":
            self.i += 2 if nxt == ch else 1
            return self._token(Kind.AMP if ch == "&" else Kind.PIPE, start, ch)
        width = operator_width(ch, nxt)
        if width:
            self.i += width
            return self._token(Kind.OP, start, self.text[start : self.i])
        if ch == "!":
            self.i += 1
            return self._token(Kind.BANG, start, ch)
        if ch in RESERVED_CHARS:
            self.i += 1
            tok = self._token(Kind.WORD, start, ch)
            msg = (
                f"The character '{ch}' is a reserved JQL character. You must enclose it in a string "
                f"or use the escape '\\u{ord(ch):04x}' instead."
            )
            raise syntax_error(msg, tok)
        return self._word()

    def _escape(self, start_tok: int) -> str:
        """Read the escape after a backslash at ``self.i``; returns the character."""
        code = self.text[self.i + 1 : self.i + 2]
        if code == "u" and len(self.text) >= self.i + 6:
            digits = self.text[self.i + 2 : self.i + 6]
            try:
                char = chr(int(digits, 16))
            except ValueError:
                char = ""
            if char:
                self.i += 6
                return char
        if code in ESCAPES:
            self.i += 2
            return ESCAPES[code]
        bad = self.text[self.i : self.i + 2]
        self.i += 2
        tok = self._token(Kind.WORD, start_tok, bad)
        raise syntax_error(f"The escape sequence '{bad}' is illegal.", tok)

    def _quoted(self, quote: str) -> Token:
        start = self.i
        self.i += 1
        out: list[str] = []
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch == quote:
                self.i += 1
                return self._token(Kind.STRING, start, "".join(out))
            if ch == "\\":
                out.append(self._escape(start))
                continue
            if ch == "\n":
                break
            out.append(ch)
            self.i += 1
        tok = self._token(Kind.STRING, start, "".join(out))
        raise syntax_error(f"The quoted string '{''.join(out)}' has not been completed.", tok)

    def _word(self) -> Token:
        start = self.i
        out: list[str] = []
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch.isspace() or ch in STOP_CHARS:
                break
            if ch == "\\":
                out.append(self._escape(start))
                continue
            out.append(ch)
            self.i += 1
        return self._token(Kind.WORD, start, "".join(out))


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens (the last one is EOF); raises ``JqlError`` on a lexical error."""
    return Lexer(text).run()
