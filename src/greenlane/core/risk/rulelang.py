"""A small, safe language for selectivity rules over declaration fields.

    hs6 startswith "8517" and origin_country in ["CN", "VN"] and customs_value > 10000
    not (transport_mode == "4") or customs_value / net_mass_kg < 0.5

Rules are parsed by a grammar (Lark) into a tree of a few node kinds and evaluated by
walking that tree over columns: nothing is ever handed to ``eval``, no name outside the
declaration schema resolves, and there are no calls. Every error names its position.
A comparison on a missing value is false (so `not` of it is true).

A rule is bounded in characters, nodes and nesting depth, checked on the parse tree before
anything walks it recursively; evaluation runs over an explicit stack, so no rule that was
accepted can exhaust Python's recursion limit where declarations are assessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from lark import Lark, Token, Transformer, Tree, UnexpectedInput

from greenlane.core.risk.schema import FIELDS, Kind
from greenlane.core.words import Words, _

GRAMMAR = r"""
?start: or_
?or_: and_ ("or" and_)*
?and_: not_ ("and" not_)*
?not_: "not" not_ -> negate
     | comparison
?comparison: sum COMPARE sum -> compare
     | sum "in" list -> member
     | sum "not" "in" list -> non_member
     | sum "startswith" STRING -> prefix
     | sum
?sum: product (ADD product)*
?product: atom (MUL atom)*
?atom: NUMBER -> number
     | STRING -> string
     | NAME -> field
     | "(" or_ ")"
list: "[" [literal ("," literal)*] "]"
?literal: NUMBER -> number
     | STRING -> string
COMPARE: "==" | "!=" | "<=" | ">=" | "<" | ">"
ADD: "+" | "-"
MUL: "*" | "/"
STRING: /"[^"\n]{0,200}"/
NUMBER: /-?\d{1,15}(\.\d{1,10})?/
NAME: /[a-z_][a-z0-9_]{0,40}/
%import common.WS
%ignore WS
"""
_PARSER = Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)
MAX_LENGTH = 2_000  # characters
MAX_NODES = 500  # fields, numbers, texts, list items and operations
MAX_DEPTH = 32  # nesting: brackets, not, and each further + - * / of a chain
BoolArray = npt.NDArray[np.bool_]
TEXT_KINDS = {Kind.TEXT, Kind.HS6, Kind.COUNTRY, Kind.MODE}
#: A node's kind in words, for errors.
KINDS = {"bool": _("condition"), "number": _("number"), "text": _("text")}


class RuleError(ValueError):
    """A rule that cannot be used, with the 1-based position of the problem: ``words`` for a
    person (in their language), ``str()`` and ``reason`` in English."""

    def __init__(self, message: Words, line: int = 1, column: int = 1) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.reason, self.line, self.column = str(message), line, column
        self.words = _(
            "line %(line)s, column %(column)s: %(problem)s",
            line=str(line), column=str(column), problem=message,
        )  # fmt: skip


@dataclass(frozen=True)
class Node:
    op: str  # or, and, not, cmp, in, notin, prefix, arith, field, number, string
    args: tuple[Any, ...]
    kind: str  # "bool", "number" or "text"


class _Build(Transformer):  # type: ignore[type-arg]
    def number(self, items: list[Token]) -> Node:
        return Node("number", (float(items[0]),), "number")

    def string(self, items: list[Token]) -> Node:
        return Node("string", (str(items[0])[1:-1],), "text")

    def field(self, items: list[Token]) -> Node:
        name = str(items[0])
        field = FIELDS.get(name)
        if field is None or name in ("fraud", "critical", "revenue_recovered", "inspected_on"):
            raise RuleError(
                _("unknown field %(name)s", name=repr(name)),
                items[0].line or 1,
                items[0].column or 1,
            )
        if field.kind is Kind.NUMBER:
            return Node("field", (name,), "number")
        if field.kind in TEXT_KINDS:
            return Node("field", (name,), "text")
        raise RuleError(
            _("field %(name)s cannot be used in a rule", name=repr(name)),
            items[0].line or 1,
            items[0].column or 1,
        )


def _where(tree: Tree[Token] | Token) -> tuple[int, int]:
    meta = getattr(tree, "meta", None)
    if meta is not None and not getattr(meta, "empty", True):
        return meta.line, meta.column
    return getattr(tree, "line", 1) or 1, getattr(tree, "column", 1) or 1


def _check(tree: Any) -> Node:
    """Build typed nodes bottom-up, refusing what does not type-check, with its position."""
    if isinstance(tree, Node):
        return tree
    line, column = _where(tree)
    name = tree.data
    kids = [c for c in tree.children]
    if name in ("or_", "and_"):
        nodes = [_check(k) for k in kids]
        for node, kid in zip(nodes, kids, strict=True):
            if node.kind != "bool":
                raise RuleError(
                    _("'%(word)s' needs conditions on both sides", word=name[:-1]), *_where(kid)
                )
        return Node(name[:-1], tuple(nodes), "bool")
    if name == "negate":
        inner = _check(kids[0])
        if inner.kind != "bool":
            raise RuleError(_("'%(word)s' needs a condition", word="not"), line, column)
        return Node("not", (inner,), "bool")
    if name == "compare":
        left, op, right = _check(kids[0]), str(kids[1]), _check(kids[2])
        if left.kind != right.kind or left.kind == "bool":
            raise RuleError(
                _("cannot compare %(left)s with %(right)s", left=KINDS[left.kind],
                  right=KINDS[right.kind]),
                line,
                column,
            )  # fmt: skip
        if left.kind == "text" and op not in ("==", "!="):
            raise RuleError(
                _("text can only be compared with == or !=, not %(operator)s", operator=op),
                line,
                column,
            )
        return Node("cmp", (op, left, right), "bool")
    if name in ("member", "non_member"):
        left = _check(kids[0])
        values = [_check(k) for k in (kids[1].children if len(kids) > 1 else [])]
        if any(v.kind != left.kind for v in values):
            raise RuleError(
                _("the list must hold %(kind)s values like the left side", kind=KINDS[left.kind]),
                line,
                column,
            )
        return Node(
            "in" if name == "member" else "notin", (left, tuple(v.args[0] for v in values)), "bool"
        )
    if name == "prefix":
        left = _check(kids[0])
        if left.kind != "text":
            raise RuleError(_("'%(word)s' needs a text field", word="startswith"), line, column)
        return Node("prefix", (left, str(kids[1])[1:-1]), "bool")
    if name in ("sum", "product"):
        node = _check(kids[0])
        for i in range(1, len(kids), 2):
            right = _check(kids[i + 1])
            if node.kind != "number" or right.kind != "number":
                raise RuleError(
                    _("'%(operator)s' needs numbers on both sides", operator=str(kids[i])),
                    *_where(kids[i]),
                )
            node = Node("arith", (str(kids[i]), node, right), "number")
        return node
    raise RuleError(_("unexpected %(term)s", term=name), line, column)


@dataclass(frozen=True)
class Rule:
    text: str
    tree: Node

    def fields(self) -> set[str]:
        return {node.args[0] for node in _nodes(self.tree) if node.op == "field"}

    def evaluate(self, frame: pd.DataFrame) -> BoolArray:
        """Which rows of ``frame`` (declaration columns) the rule selects."""
        out = _eval(self.tree, frame)
        return np.asarray(pd.Series(out).fillna(False).astype(bool), dtype=bool)


def parse(text: str) -> Rule:
    if len(text) > MAX_LENGTH:
        raise RuleError(_("a rule is at most %(length)s characters", length=MAX_LENGTH))
    if not text.strip():
        raise RuleError(_("the rule is empty"))
    try:
        parsed = _PARSER.parse(text)  # LALR: an explicit parser stack, no recursion
        _bounded(parsed)
        tree = _Build().transform(parsed)
    except RuleError:
        raise
    except UnexpectedInput as exc:
        raise RuleError(_expected(exc), exc.line or 1, exc.column or 1) from None
    except Exception as exc:  # a RuleError raised inside the transformer arrives wrapped
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, RuleError):
            raise inner from None
        raise RuleError(_("the rule cannot be read")) from None
    node = _check(tree)
    if node.kind != "bool":
        raise RuleError(_("a rule must be a condition (a comparison, in, startswith, and/or/not)"))
    return Rule(text, node)


def _bounded(tree: Tree[Token]) -> None:
    """Refuse a parse tree past MAX_NODES or MAX_DEPTH at the first term found past it,
    walking it without recursion (the transformer and type check that follow recurse, to a
    depth this bounds)."""
    count = 0
    stack: list[tuple[Tree[Token] | Token, int]] = [(tree, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Token):
            continue  # an operator, or the text of a leaf already counted
        count += 1
        if count > MAX_NODES:
            raise RuleError(
                _("a rule has at most %(count)s terms and operations", count=MAX_NODES),
                *_where(item),
            )
        if depth > MAX_DEPTH:
            raise RuleError(
                _("a rule nests at most %(count)s levels deep", count=MAX_DEPTH), *_where(item)
            )
        # Left to right, so the position reported is the first one past the limit as read.
        stack.extend((child, below + 1) for child, below in reversed(_deepened(item, depth)))


def _deepened(tree: Tree[Token], depth: int) -> list[tuple[Tree[Token] | Token, int]]:
    """The children of ``tree``, each with the depth of the node it hangs from: a chain
    a + b + c is one parse node but nested operations, ((a + b) + c), one per operator."""
    kids = tree.children
    if tree.data not in ("sum", "product"):
        return [(kid, depth) for kid in kids]
    operators = len(kids) // 2
    return [(kid, depth + operators - max(i // 2, 1)) for i, kid in enumerate(kids)]


def _expected(exc: UnexpectedInput) -> Words:
    token = getattr(exc, "token", None)
    if token is not None and getattr(token, "type", "") == "$END":
        return _("the rule ends too early")
    if token is not None:
        return _("unexpected %(text)s", text=repr(str(token)))
    return _("unexpected character")


def _column(frame: pd.DataFrame, name: str, kind: str) -> pd.Series:
    if name not in frame:
        return pd.Series(np.nan if kind == "number" else None, index=frame.index)
    values = frame[name]
    if kind == "number":
        return pd.to_numeric(values, errors="coerce")
    return values.astype("string")


def _children(node: Node) -> tuple[Node, ...]:
    if node.op in ("or", "and"):
        return node.args
    if node.op in ("not", "in", "notin", "prefix"):
        return (node.args[0],)
    if node.op in ("cmp", "arith"):
        return (node.args[1], node.args[2])
    return ()


def _nodes(root: Node) -> list[Node]:
    """Every node, each after its parent (pre-order), without recursion."""
    order, stack = [], [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(_children(node))
    return order


def _eval(root: Node, frame: pd.DataFrame) -> Any:
    """The value of ``root`` over ``frame``: children first, over an explicit stack."""
    values: dict[int, Any] = {}
    for node in reversed(_nodes(root)):  # every child before its parent
        values[id(node)] = _apply(node, [values.pop(id(c)) for c in _children(node)], frame)
    return values[id(root)]


def _apply(node: Node, kids: list[Any], frame: pd.DataFrame) -> Any:
    """One node's value from its children's values."""
    op = node.op
    if op == "field":
        return _column(frame, node.args[0], node.kind)
    if op in ("number", "string"):
        return node.args[0]
    if op == "or":
        out = _truth(kids[0], frame)
        for kid in kids[1:]:
            out = out | _truth(kid, frame)
        return out
    if op == "and":
        out = _truth(kids[0], frame)
        for kid in kids[1:]:
            out = out & _truth(kid, frame)
        return out
    if op == "not":
        return ~_truth(kids[0], frame)
    if op == "cmp":
        symbol = node.args[0]
        a, b = kids
        result = {
            "==": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b,
            "<=": lambda: a <= b, ">": lambda: a > b, ">=": lambda: a >= b,
        }[symbol]()  # fmt: skip
        return _known(result, a, b, frame)
    if op in ("in", "notin"):
        values = kids[0]
        series = values if isinstance(values, pd.Series) else pd.Series(values, index=frame.index)
        hit = series.isin(list(node.args[1]))
        hit = hit if op == "in" else ~hit
        return _known(hit, series, None, frame)
    if op == "prefix":
        values = kids[0]
        series = values if isinstance(values, pd.Series) else pd.Series(values, index=frame.index)
        return _known(series.str.startswith(node.args[1]), series, None, frame)
    if op == "arith":
        symbol = node.args[0]
        a, b = kids
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if symbol == "/":
                b = b.where(b != 0) if isinstance(b, pd.Series) else (np.nan if b == 0 else b)
            return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b}[
                symbol
            ]()
    raise AssertionError(op)


def _truth(value: Any, frame: pd.DataFrame) -> pd.Series:
    if isinstance(value, pd.Series):
        return value.fillna(False).astype(bool)
    return pd.Series(bool(value), index=frame.index)


def _known(result: Any, a: Any, b: Any, frame: pd.DataFrame) -> pd.Series:
    """A comparison is false wherever one of its sides is missing."""
    out = _truth(
        result if isinstance(result, pd.Series) else pd.Series(result, index=frame.index), frame
    )
    for side in (a, b):
        if isinstance(side, pd.Series):
            out = out & side.notna().to_numpy()
    return out
