"""JQL AST and recursive-descent parser (Jira's grammar and precedence).

Precedence, strongest first: parentheses, comparison, NOT, AND, OR (Atlassian KB "JQL order of
operations"). ``&``/``&&`` = AND, ``|``/``||`` = OR, ``!`` = NOT. Syntax errors carry Jira's texts
and ``(line L, character C)`` with a 1-based column, e.g. for ``invalid query``:
``Error in the JQL Query: Expecting operator but got 'query'. The valid operators are ... (line 1,
character 9)`` (the Cloud spec's own example).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from jiraemu.search.jql.tokens import JqlError, Kind, Token, syntax_error, tokenize

# --- AST ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """A literal; ``quoted`` matters: an unquoted number on a date field is epoch millis."""

    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Empty:
    """``EMPTY`` (``NULL`` is read as the same)."""


@dataclass(frozen=True)
class Function:
    name: str
    args: tuple[Value, ...] = ()


@dataclass(frozen=True)
class ListOperand:
    items: tuple[Operand, ...]


Operand = Union[Value, Empty, Function, ListOperand]  # noqa: UP007 (runtime alias)


@dataclass(frozen=True)
class FieldRef:
    """A clause name: plain (``updated``, ``"Story Points"``), ``cf[10020]`` or an issue property."""

    name: str
    cf_id: int | None = None
    property_key: str | None = None
    property_path: str | None = None


@dataclass(frozen=True)
class Predicate:
    """A history predicate of WAS/CHANGED: FROM, TO, BY, AFTER, BEFORE, ON, DURING."""

    kind: str
    operand: Operand


@dataclass(frozen=True)
class Terminal:
    field: FieldRef
    op: str  # = != ~ !~ < > <= >= in "not in" is "is not" was "was not" "was in" "was not in" changed
    operand: Operand | None  # None only for CHANGED
    predicates: tuple[Predicate, ...] = ()


@dataclass(frozen=True)
class And:
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class Or:
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class Not:
    clause: Clause


Clause = Union[Terminal, And, Or, Not]  # noqa: UP007


@dataclass(frozen=True)
class OrderTerm:
    field: FieldRef
    direction: str | None = None  # "ASC" | "DESC" | None (the field's default, ascending)


@dataclass(frozen=True)
class Query:
    where: Clause | None
    order_by: list[OrderTerm] = field(default_factory=list)


# --- tables ---------------------------------------------------------------------------------------

VALID_OPERATORS = "'=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'"
PREDICATES = ("FROM", "TO", "BY", "AFTER", "BEFORE", "ON", "DURING")
# Words the grammar itself uses: a bare one where a value or field is expected is a syntax error.
KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "EMPTY", "NULL", "ORDER", "BY", "WAS", "CHANGED"})
# Jira's documented reserved words: usable only in quotes.
RESERVED_WORDS = frozenset(
    """abort access add after alias all alter and any as asc audit avg before begin between boolean
    break by byte catch cf char character check checkpoint collate collation column commit connect
    continue count create current date decimal declare decrement default defaults define delete
    delimiter desc difference distinct divide do double drop else empty encoding end equals escape
    exclusive exec execute exists explain false fetch file field first float for from function go
    goto grant greater group having identified if immediate in increment index initial inner inout
    input insert int integer intersect intersection into is isempty isnull join last left less like
    limit lock long max min minus mode modify modulo more multiply next noaudit not notin nowait null
    number object of on option or order outer output power previous prior privileges public raise
    raw remainder rename resource return returns revoke right row rowid rownum rows select session
    set share size sqrt start strict string subtract sum synonym table then to trans transaction
    trigger true uid union unique update user validate values view when whenever where while
    with""".split()  # noqa: SIM905 (a word list reads better as text)
)


def _shown(tok: Token) -> str:
    return tok.text if tok.kind is not Kind.STRING else tok.value


# --- parser ---------------------------------------------------------------------------------------


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind is not Kind.EOF:
            self.i += 1
        return tok

    def peek(self, n: int = 1) -> Token:
        return self.tokens[min(self.i + n, len(self.tokens) - 1)]

    # query := clause? (ORDER BY order_terms)? EOF
    def query(self) -> Query:
        where: Clause | None = None
        if self.tok.kind is not Kind.EOF and not self._at_order_by():
            where = self.or_clause()
        order: list[OrderTerm] = []
        if self._at_order_by():
            order = self.order_by()
        if self.tok.kind is not Kind.EOF:
            if where is None:
                raise self._bad_field()
            raise syntax_error(f"Expecting either 'OR' or 'AND' but got '{_shown(self.tok)}'.", self.tok)
        return Query(where, order)

    def _at_order_by(self) -> bool:
        return self.tok.is_word("ORDER") and self.peek().is_word("BY")

    def or_clause(self) -> Clause:
        parts = [self.and_clause()]
        while self.tok.is_word("OR") or self.tok.kind is Kind.PIPE:
            self.advance()
            parts.append(self.and_clause())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_clause(self) -> Clause:
        parts = [self.not_clause()]
        while self.tok.is_word("AND") or self.tok.kind is Kind.AMP:
            self.advance()
            parts.append(self.not_clause())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def not_clause(self) -> Clause:
        if self.tok.is_word("NOT") or self.tok.kind is Kind.BANG:
            self.advance()
            return Not(self.not_clause())
        if self.tok.kind is Kind.LPAREN:
            self.advance()
            inner = self.or_clause()
            self.expect(Kind.RPAREN, "')'")
            return inner
        return self.terminal()

    def expect(self, kind: Kind, shown: str) -> Token:
        if self.tok.kind is kind:
            return self.advance()
        if self.tok.kind is Kind.EOF:
            raise syntax_error(f"Expecting {shown} before the end of the query.")
        raise syntax_error(f"Expecting {shown} but got '{_shown(self.tok)}'.", self.tok)

    # --- fields ---
    def _bad_field(self) -> JqlError:
        tok = self.tok
        if tok.kind is Kind.EOF:
            return syntax_error("Expecting a field name before the end of the query.")
        if tok.kind is Kind.WORD and tok.value.lower() in RESERVED_WORDS:
            return self._reserved(tok)
        shown = _shown(tok)
        return syntax_error(
            f"Expecting a field name but got '{shown}'. You must surround '{shown}' in quotation marks "
            "to use it as a field name.",
            tok,
        )

    def _reserved(self, tok: Token) -> JqlError:
        return syntax_error(
            f"'{tok.value}' is a reserved JQL word. You must surround it in quotation marks to use it in a query.",
            tok,
        )

    def field_ref(self) -> FieldRef:
        tok = self.tok
        if tok.kind is Kind.STRING:
            self.advance()
            return FieldRef(tok.value)
        if tok.kind is not Kind.WORD or tok.value.upper() in KEYWORDS:
            raise self._bad_field()
        if tok.value.lower() == "cf" and self.peek().kind is Kind.LBRACKET:
            return self._custom_field()
        if tok.value.lower() in RESERVED_WORDS:
            raise self._reserved(tok)
        self.advance()
        if self.tok.kind is Kind.LBRACKET and tok.value.lower().endswith(".property"):
            return self._property(tok.value)
        return FieldRef(tok.value)

    def _custom_field(self) -> FieldRef:
        self.advance()
        self.advance()
        num = self.tok
        if num.kind is not Kind.WORD or not num.value.isdigit():
            raise syntax_error(f"Expecting a custom field id but got '{_shown(num)}'.", num)
        self.advance()
        self.expect(Kind.RBRACKET, "']'")
        return FieldRef(f"cf[{num.value}]", cf_id=int(num.value))

    def _property(self, entity: str) -> FieldRef:
        self.advance()
        key = self.tok
        if key.kind not in (Kind.WORD, Kind.STRING):
            raise syntax_error(f"Expecting a property key but got '{_shown(key)}'.", key)
        self.advance()
        self.expect(Kind.RBRACKET, "']'")
        path = None
        if self.tok.kind is Kind.WORD and self.tok.value.startswith(".") and self.tok.pos == self.tokens[self.i - 1].pos + 1:
            path = self.advance().value[1:]
        return FieldRef(entity, property_key=key.value, property_path=path)

    # --- terminal clauses ---
    def terminal(self) -> Terminal:
        fld = self.field_ref()
        op = self.operator()
        if op == "changed":
            return Terminal(fld, op, None, self.predicates())
        operand = self.operand()
        preds = self.predicates() if op.startswith("was") else ()
        return Terminal(fld, op, operand, preds)

    def _bad_operator(self) -> JqlError:
        tok = self.tok
        if tok.kind is Kind.EOF:
            return syntax_error(f"Expecting operator before the end of the query. The valid operators are {VALID_OPERATORS}.")
        return syntax_error(f"Expecting operator but got '{_shown(tok)}'. The valid operators are {VALID_OPERATORS}.", tok)

    def operator(self) -> str:
        tok = self.tok
        if tok.kind is Kind.OP:
            self.advance()
            return tok.value
        if tok.kind is not Kind.WORD:
            raise self._bad_operator()
        word = tok.value.upper()
        if word == "IN":
            self.advance()
            return "in"
        if word == "NOT" and self.peek().is_word("IN"):
            self.i += 2
            return "not in"
        if word == "IS":
            self.advance()
            if self.tok.is_word("NOT"):
                self.advance()
                return "is not"
            return "is"
        if word == "WAS":
            return self._was()
        if word == "CHANGED":
            self.advance()
            return "changed"
        raise self._bad_operator()

    def _was(self) -> str:
        self.advance()
        op = "was"
        if self.tok.is_word("NOT"):
            self.advance()
            op += " not"
        if self.tok.is_word("IN"):
            self.advance()
            op += " in"
        return op

    def predicates(self) -> tuple[Predicate, ...]:
        out: list[Predicate] = []
        while self.tok.kind is Kind.WORD and self.tok.value.upper() in PREDICATES:
            kind = self.advance().value.upper()
            out.append(Predicate(kind, self.operand()))
        return tuple(out)

    # --- operands ---
    def _bad_operand(self) -> JqlError:
        tok = self.tok
        if tok.kind is Kind.EOF:
            return syntax_error("Expecting either a value, list or function before the end of the query.")
        if tok.kind is Kind.WORD and tok.value.lower() in RESERVED_WORDS and tok.value.upper() not in KEYWORDS:
            return self._reserved(tok)
        shown = _shown(tok)
        return syntax_error(
            f"Expecting either a value, list or function but got '{shown}'. You must surround '{shown}' "
            "in quotation marks to use it as a value.",
            tok,
            prefix="Error in JQL Query: ",  # Jira's own wording for this message lacks "the"
        )

    def operand(self) -> Operand:
        tok = self.tok
        if tok.kind is Kind.LPAREN:
            return self._list()
        if tok.kind is Kind.STRING:
            self.advance()
            return Value(tok.value, quoted=True)
        if tok.kind is not Kind.WORD:
            raise self._bad_operand()
        if tok.is_word("EMPTY", "NULL"):
            self.advance()
            return Empty()
        if tok.value.upper() in KEYWORDS or tok.value.lower() in RESERVED_WORDS:
            raise self._bad_operand()
        self.advance()
        if self.tok.kind is Kind.LPAREN:
            return self._function(tok.value)
        return Value(tok.value)

    def _list(self) -> ListOperand:
        self.advance()
        items = [self.operand()]
        while self.tok.kind is Kind.COMMA:
            self.advance()
            items.append(self.operand())
        self.expect(Kind.RPAREN, "')'")
        return ListOperand(tuple(items))

    def _function(self, name: str) -> Function:
        self.advance()
        args: list[Value] = []
        if self.tok.kind is not Kind.RPAREN:
            args.append(self._argument())
            while self.tok.kind is Kind.COMMA:
                self.advance()
                args.append(self._argument())
        self.expect(Kind.RPAREN, "')'")
        return Function(name, tuple(args))

    def _argument(self) -> Value:
        tok = self.tok
        if tok.kind in (Kind.WORD, Kind.STRING):
            self.advance()
            return Value(tok.value, quoted=tok.kind is Kind.STRING)
        if tok.kind is Kind.EOF:
            raise syntax_error("Expecting a function argument before the end of the query.")
        raise syntax_error(f"Expecting either a function argument or ')' but got '{_shown(tok)}'.", tok)

    # --- ORDER BY ---
    def order_by(self) -> list[OrderTerm]:
        self.i += 2
        terms = [self._order_term()]
        while self.tok.kind is Kind.COMMA:
            self.advance()
            terms.append(self._order_term())
        return terms

    def _order_term(self) -> OrderTerm:
        fld = self.field_ref()
        direction = None
        if self.tok.is_word("ASC", "DESC"):
            direction = self.advance().value.upper()
        elif self.tok.kind not in (Kind.COMMA, Kind.EOF):
            raise syntax_error(f"Expecting either 'ASC' or 'DESC' but got '{_shown(self.tok)}'.", self.tok)
        return OrderTerm(fld, direction)


def parse(text: str) -> Query:
    """Parse JQL into a ``Query``; raises ``JqlError`` with Jira's message on a syntax error."""
    return Parser(text).query()
