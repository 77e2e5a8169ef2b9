"""The SOQL subset the connector uses: SELECT fields (with one-level relationship paths such as
`Owner.Email`) FROM one sObject, WHERE comparisons (=, !=, <, <=, >, >=, LIKE, IN) on strings, ids,
numbers, booleans, null, dates and datetimes combined with AND/OR/NOT and parentheses, ORDER BY (ASC/DESC,
NULLS FIRST/LAST), LIMIT. Anything else is a `SoqlError` (the sandbox answers MALFORMED_QUERY).

Datetimes are compared in Salesforce's wire form (`2026-01-31T12:00:00.000+0000`), which sorts as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Getter = Callable[[dict[str, Any], str], Any]
Predicate = Callable[[dict[str, Any]], bool]


class SoqlError(ValueError):
    pass


_TOKEN = re.compile(
    r"""\s*(?:
    (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z_][\w.]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "ORDER", "BY", "ASC", "DESC",
    "LIMIT", "IN", "LIKE", "NULL", "TRUE", "FALSE", "NULLS", "FIRST", "LAST",
}  # fmt: skip


def sf_datetime(value: datetime) -> str:
    """A datetime in Salesforce's wire form (UTC, milliseconds, +0000)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_sf_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str


@dataclass(frozen=True)
class OrderKey:
    field: str
    descending: bool = False
    nulls_last: bool = False


@dataclass(frozen=True)
class Query:
    fields: tuple[str, ...]
    sobject: str
    where: tuple[Any, ...] | None
    order: tuple[OrderKey, ...]
    limit: int | None

    def where_fields(self) -> set[str]:
        found: set[str] = set()

        def walk(node: tuple[Any, ...] | None) -> None:
            if node is None:
                return
            if node[0] in ("and", "or"):
                walk(node[1])
                walk(node[2])
            elif node[0] == "not":
                walk(node[1])
            else:
                found.add(node[1])

        walk(self.where)
        return found


def _tokens(text: str) -> list[Tok]:
    out: list[Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise SoqlError(f"unexpected token at position {pos}: {text[pos : pos + 20]!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "word" and value.upper() in _KEYWORDS:
            out.append(Tok("kw", value.upper()))
        else:
            out.append(Tok(kind, value))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, kind: str | None = None, text: str | None = None) -> bool:
        if self.i >= len(self.toks):
            return False
        tok = self.toks[self.i]
        return (kind is None or tok.kind == kind) and (text is None or tok.text == text)

    def take(self, kind: str | None = None, text: str | None = None) -> Tok:
        if not self.peek(kind, text):
            found = self.toks[self.i].text if self.i < len(self.toks) else "end of query"
            raise SoqlError(f"expecting {text or kind}, found {found!r}")
        self.i += 1
        return self.toks[self.i - 1]

    def query(self) -> Query:
        self.take("kw", "SELECT")
        fields = [self.take("word").text]
        while self.peek("punct", ","):
            self.take()
            fields.append(self.take("word").text)
        self.take("kw", "FROM")
        sobject = self.take("word").text
        where = None
        if self.peek("kw", "WHERE"):
            self.take()
            where = self.disjunction()
        order: list[OrderKey] = []
        if self.peek("kw", "ORDER"):
            self.take()
            self.take("kw", "BY")
            order.append(self.order_key())
            while self.peek("punct", ","):
                self.take()
                order.append(self.order_key())
        limit = None
        if self.peek("kw", "LIMIT"):
            self.take()
            limit = int(self.take("number").text)
        if self.i != len(self.toks):
            raise SoqlError(f"unexpected token: {self.toks[self.i].text!r}")
        return Query(tuple(fields), sobject, where, tuple(order), limit)

    def order_key(self) -> OrderKey:
        name = self.take("word").text
        descending = False
        if self.peek("kw", "ASC") or self.peek("kw", "DESC"):
            descending = self.take().text == "DESC"
        nulls_last = descending
        if self.peek("kw", "NULLS"):
            self.take()
            nulls_last = self.take("kw").text == "LAST"
        return OrderKey(name, descending, nulls_last)

    def disjunction(self) -> tuple[Any, ...]:
        node = self.conjunction()
        while self.peek("kw", "OR"):
            self.take()
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> tuple[Any, ...]:
        node = self.unary()
        while self.peek("kw", "AND"):
            self.take()
            node = ("and", node, self.unary())
        return node

    def unary(self) -> tuple[Any, ...]:
        if self.peek("kw", "NOT"):
            self.take()
            return ("not", self.unary())
        if self.peek("punct", "("):
            self.take()
            node = self.disjunction()
            self.take("punct", ")")
            return node
        name = self.take("word").text
        negate = False
        if self.peek("kw", "NOT"):
            self.take()
            negate = True
            if not self.peek("kw", "IN"):
                raise SoqlError("NOT must be followed by IN here")
        if self.peek("kw", "IN"):
            self.take()
            self.take("punct", "(")
            values = [self.literal()]
            while self.peek("punct", ","):
                self.take()
                values.append(self.literal())
            self.take("punct", ")")
            return ("in", name, frozenset(values), negate)
        if self.peek("kw", "LIKE"):
            self.take()
            return ("like", name, self.literal())
        op = self.take("op").text
        return ("cmp", name, "!=" if op == "<>" else op, self.literal())

    def literal(self) -> Any:
        tok = self.take()
        if tok.kind == "string":
            return re.sub(r"\\(.)", r"\1", tok.text[1:-1])
        if tok.kind == "number":
            return float(tok.text)
        if tok.kind == "date":
            return tok.text
        if tok.kind == "datetime":
            return sf_datetime(parse_sf_datetime(tok.text))
        if tok.kind == "kw" and tok.text in ("NULL", "TRUE", "FALSE"):
            return {"NULL": None, "TRUE": True, "FALSE": False}[tok.text]
        raise SoqlError(f"expecting a literal, found {tok.text!r}")


def parse(text: str) -> Query:
    return _Parser(text).query()


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a is not None and b is not None and a < b,
    "<=": lambda a, b: a is not None and b is not None and a <= b,
    ">": lambda a, b: a is not None and b is not None and a > b,
    ">=": lambda a, b: a is not None and b is not None and a >= b,
}


def _comparable(value: Any) -> Any:
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def compile_where(node: tuple[Any, ...] | None, get: Getter) -> Predicate:
    """A predicate over records; `get(record, path)` resolves a field or relationship path."""
    if node is None:
        return lambda record: True
    kind = node[0]
    if kind in ("and", "or"):
        left, right = compile_where(node[1], get), compile_where(node[2], get)
        if kind == "and":
            return lambda r: left(r) and right(r)
        return lambda r: left(r) or right(r)
    if kind == "not":
        inner = compile_where(node[1], get)
        return lambda r: not inner(r)
    name = node[1]
    if kind == "in":
        values, negate = node[2], node[3]
        return lambda r: (_comparable(get(r, name)) in values) != negate
    if kind == "like":
        pattern = re.compile(
            "^" + re.escape(str(node[2])).replace("%", ".*").replace("_", ".") + "$", re.IGNORECASE
        )
        return lambda r: isinstance(v := get(r, name), str) and pattern.match(v) is not None
    op, literal = _OPS[node[2]], node[3]
    return lambda r: op(_comparable(get(r, name)), literal)


def order_records(
    records: list[dict[str, Any]], order: tuple[OrderKey, ...], get: Getter
) -> list[dict[str, Any]]:
    """Sort by every ORDER BY key: stable passes from the last key to the first."""
    for k in reversed(order):
        null_high = k.descending != k.nulls_last  # where nulls go, in the pass's own direction

        def key(record: dict[str, Any], k: OrderKey = k, null_high: bool = null_high) -> tuple[bool, Any]:
            value = get(record, k.field)
            return ((value is None) == null_high, "" if value is None else value)

        records.sort(key=key, reverse=k.descending)
    return records
