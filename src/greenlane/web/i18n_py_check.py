"""Find string literals in Python that would reach a person without being marked for translation.

The companion of ``i18n_check`` (templates). A module is read with :mod:`ast`; only the places
where a string is *shown* are looked at, so that codes, log lines, audit actions and developer
errors (``ValueError`` ...) never count. A literal is shown when it is:

- the message of a refusal (``Refused`` and every class derived from it, found by reading the
  class definitions), of ``ValidationError``, ``Http404``, ``PermissionDenied``,
  ``HttpResponseBadRequest``, or of django-ninja's ``HttpError(status, message)``;
- a message given to ``messages.success/info/warning/error/debug/add_message``, to
  ``form.add_error(field, message)`` or to ``send_mail(subject, body, ...)``;
- a field's ``label``, ``help_text``, ``empty_label``, ``verbose_name``, ``error_messages``,
  the ``placeholder``/``title``/``aria-label`` of a widget's ``attrs``, and the label (second
  item) of each ``choices`` pair; the label of a ``TextChoices``/``IntegerChoices`` member;
  ``labels``/``help_texts``/``error_messages``/``verbose_name`` in a ``class Meta``; an
  assignment to ``something.label`` / ``.help_text`` / ``.empty_label``;
- the value of a ``"detail"`` key in a dict (the API's error answer);
- a record's stored message written by the ORM: ``message``, ``reason``, ``title``,
  ``summary`` or ``progress_text`` given to ``.update()``, ``.create()``,
  ``.get_or_create()`` or ``.update_or_create()`` (a job's or a study's message, an
  upload's), and what a background job says when an internal error stopped it
  (``jobs.background(stopped=...)``);
- ``Words(message, ..., plural)`` and what a function that returns ``Words`` returns.

Inside such a place the checker follows ``+``, ``x or y``, ``a if c else b``, lists, tuples and
dict values, ``"...".format()``, ``"sep".join([...])``, ``str()``/``format_html()``/
``mark_safe()``, a name to the string(s) assigned to it in the same function or at the top of
the module, and a call of a function of the same module to what that function returns. It
stops at a call of ``_``, ``gettext``, ``gettext_lazy``, ``gettext_noop``, ``ngettext(_lazy)``,
``pgettext(_lazy)`` or ``npgettext(_lazy)`` (marked; ``_("...") % {...}`` too) and at any other
call (its result is not a literal here). An f-string is never marked.

A model field's ``help_text``/``verbose_name`` counts only when a ``ModelForm`` shows that
field without replacing it (``Meta.fields``/``exclude``, ``Meta.labels``/``help_texts``, or a
field the form declares itself). An exception raised inside a ``try`` that catches it by name
is not shown. Product names (``NAMES``) are not language.

Not counted: text without a letter (placeholders aside), and text that is one lowercase code
(``"tier"``, ``"document_review"``, ``"a.b-c"``). A literal that truly never reaches a person
is let through with the comment ``# i18n: not shown`` on its line (or on the first line of the
call or assignment that shows it, or on a ``class ...(TextChoices)`` line for all its labels).
Used by ``tests/web/test_i18n_python.py``.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

OPT_OUT = "# i18n: not shown"
MARKERS = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
# Exceptions whose message a person reads; the value is the position of the message.
SHOWN_EXCEPTIONS = {
    "ValidationError": 0,
    "Http404": 0,
    "PermissionDenied": 0,
    "HttpResponseBadRequest": 0,
    "HttpError": 1,  # django-ninja: HttpError(status, message)
}
MESSAGE_LEVELS = {"debug", "info", "success", "warning", "error"}
# The ORM's writes, and the fields of a record whose text is shown as it is stored.
ORM_WRITES = {"update", "create", "get_or_create", "update_or_create"}
STORED_MESSAGES = {"message", "reason", "title", "summary", "progress_text"}
FIELD_KEYWORDS = {"label", "help_text", "empty_label", "verbose_name", "verbose_name_plural"}
SHOWN_ATTRIBUTES = {"placeholder", "title", "aria-label", "aria-description"}
META_DICTS = {"labels", "help_texts", "error_messages"}
META_NAMES = {"verbose_name", "verbose_name_plural"}
# Calls whose first argument is shown as it is.
PASS_THROUGH = {"str", "format_html", "mark_safe", "format_lazy"}
# Parts of the tree that never speak to a person in their language.
SKIPPED = (("cli",), ("core", "synth"), ("migrations",), ("management",), ("tests",))

# Names, not language: the same in every translation.
NAMES = {"Greenlane", "Apache Spark", "DuckDB", "PostgreSQL"}
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifeEgGxXr]|\{[^{}]*\}")
_CODE = re.compile(r"[a-z0-9_.\-]+")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def _name(node: ast.expr) -> str:
    """The last name of ``f`` in ``f(...)`` / ``a.b.f(...)``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _text(node: ast.expr) -> tuple[str, str] | None:
    """(the literal as shown in a report, its words) for a string or f-string, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, node.value
    if isinstance(node, ast.JoinedStr):
        words = "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else " "
            for v in node.values
        )
        return ast.unparse(node), words
    return None


def is_language(text: str) -> bool:
    """Whether ``text`` holds words: a letter outside placeholders, and not a lone code."""
    stripped = _PLACEHOLDER.sub(" ", text).strip()
    words = stripped
    for name in NAMES:
        words = words.replace(name, " ")
    return bool(_LETTER.search(words)) and not _CODE.fullmatch(stripped)


def refusal_names(sources: Iterable[str]) -> set[str]:
    """``Refused`` and the names of every class derived from it in ``sources`` (by name)."""
    bases: dict[str, set[str]] = {}
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(_name(b) for b in node.bases)
    found = {"Refused"}
    while True:
        more = {name for name, of in bases.items() if of & found} - found
        if not more:
            return found
        found |= more


def _assignments(body: Iterable[ast.AST], deep: bool) -> dict[str, list[ast.expr]]:
    """Values assigned to plain names in ``body`` (``deep``: also inside nested blocks)."""
    found: dict[str, list[ast.expr]] = {}
    nodes = (n for stmt in body for n in ast.walk(stmt)) if deep else iter(body)
    for node in nodes:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                found.setdefault(target.id, []).append(value)
    return found


@dataclass(frozen=True)
class FormUse:
    """What a ``ModelForm`` shows of its model: ``fields`` (None: all but ``exclude``), and
    the fields whose model label / help text / error messages its ``Meta`` replaces."""

    fields: frozenset[str] | None
    exclude: frozenset[str]  # Meta.exclude, and the fields the form declares itself
    replaced: dict[str, frozenset[str]]  # model keyword -> fields whose value is replaced

    def shows(self, field: str, keyword: str) -> bool:
        if (self.fields is not None and field not in self.fields) or field in self.exclude:
            return False
        return field not in self.replaced.get(keyword, frozenset())


# A model field's keyword, and the ModelForm Meta attribute that replaces it.
_REPLACED_BY = {
    "verbose_name": "labels",
    "help_text": "help_texts",
    "error_messages": "error_messages",
}


def _strings(node: ast.expr | None) -> frozenset[str] | None:
    """The strings of a literal list, tuple or dict's keys; None when not written out."""
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items = node.elts
    elif isinstance(node, ast.Dict):
        items = [k for k in node.keys if k is not None]
    else:
        return None
    if all(isinstance(i, ast.Constant) and isinstance(i.value, str) for i in items):
        return frozenset(i.value for i in items)  # type: ignore[attr-defined]
    return None


def model_forms(sources: Iterable[str]) -> dict[str, list[FormUse]]:
    """For each model named in a ``ModelForm``'s ``Meta.model``, what those forms show of it.
    A model field's label and help text reach a person only through such a form."""
    found: dict[str, list[FormUse]] = {}
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.ClassDef):
                continue
            if not any(_name(b) == "ModelForm" for b in node.bases):
                continue
            for meta in node.body:
                if not (isinstance(meta, ast.ClassDef) and meta.name == "Meta"):
                    continue
                values = {k: v[-1] for k, v in _assignments(meta.body, deep=False).items()}
                model = _name(values["model"]) if "model" in values else ""
                replaced = {
                    keyword: _strings(values.get(attribute)) or frozenset()
                    for keyword, attribute in _REPLACED_BY.items()
                }
                declared = _assignments(node.body, deep=False).keys()
                use = FormUse(
                    _strings(values.get("fields")),
                    (_strings(values.get("exclude")) or frozenset()) | declared,
                    replaced,
                )
                found.setdefault(model, []).append(use)
    return found


class _Checker(ast.NodeVisitor):
    def __init__(
        self, source: str, path: str, refusals: set[str], forms: dict[str, list[FormUse]]
    ) -> None:
        self.lines = source.splitlines()
        self.path = path
        self.exceptions = dict(SHOWN_EXCEPTIONS) | dict.fromkeys(refusals, 0)
        self.forms = forms
        self.hidden: set[tuple[int, str]] = set()  # (id of a model field's call, keyword)
        self.caught: list[set[str]] = []  # the exceptions each enclosing ``try`` catches
        self.found: dict[tuple[int, int], Finding] = {}
        self.module: dict[str, list[ast.expr]] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.scopes: list[dict[str, list[ast.expr]]] = []
        self.classes: list[ast.ClassDef] = []

    # -- where a string is shown ------------------------------------------------------------

    def visit_Module(self, node: ast.Module) -> None:
        self.module = _assignments(node.body, deep=False)
        self.functions = {
            f.name: f for f in node.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.generic_visit(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scopes.append(_assignments(node.body, deep=True))
        outer, self.caught = self.caught, []  # a function's body runs outside the try
        if node.returns is not None and "Words" in ast.unparse(node.returns):
            for inner in _own_nodes(node):
                if isinstance(inner, ast.Return) and inner.value is not None:
                    self.shown(inner.value, inner)
        self.generic_visit(node)
        self.caught = outer
        self.scopes.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        choices = any(_name(b).endswith("Choices") for b in node.bases)
        self.model_fields(node)
        for stmt in node.body:
            if not isinstance(stmt, ast.Assign | ast.AnnAssign) or stmt.value is None:
                continue
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if choices and isinstance(stmt.value, ast.Tuple) and len(stmt.value.elts) >= 2:
                self.shown(stmt.value.elts[-1], node)  # MEMBER = value, label
            if node.name == "Meta" and names & META_DICTS and isinstance(stmt.value, ast.Dict):
                for value in stmt.value.values:
                    self.shown(value, stmt)
            if node.name == "Meta" and names & META_NAMES:
                self.shown(stmt.value, stmt)
        self.classes.append(node)
        self.generic_visit(node)
        self.classes.pop()

    def model_fields(self, model: ast.ClassDef) -> None:
        """Hide the label and help text of the model fields (``models.X(...)`` in a class)
        that no ModelForm shows."""
        uses = self.forms.get(model.name, [])
        for stmt in model.body:
            if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)):
                continue
            function = stmt.value.func
            if not (isinstance(function, ast.Attribute) and _name(function.value) == "models"):
                continue
            for target in stmt.targets:
                if not isinstance(target, ast.Name):
                    continue
                for keyword in stmt.value.keywords:
                    name = keyword.arg or ""
                    if name in _REPLACED_BY and not any(use.shows(target.id, name) for use in uses):
                        self.hidden.add((id(stmt.value), name))

    def _try(self, node: ast.Try | ast.TryStar) -> None:
        """An exception raised in a ``try`` that catches it never leaves it to be shown."""
        caught: set[str] = set()
        for handler in node.handlers:
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            caught.update(_name(kind) for kind in kinds if kind is not None)
        self.caught.append(caught)
        for stmt in node.body:
            self.visit(stmt)
        self.caught.pop()
        for part in (node.handlers, node.orelse, node.finalbody):
            for child in part:
                self.visit(child)

    visit_Try = _try
    visit_TryStar = _try

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr in FIELD_KEYWORDS:
                self.shown(node.value, node)
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            # (a dict under "detail" is an OpenAPI schema's property, not a message)
            detail = isinstance(key, ast.Constant) and key.value == "detail"
            if detail and not isinstance(value, ast.Dict):
                self.shown(value, node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        args = node.args
        if name in self.exceptions and not any(name in caught for caught in self.caught):
            at = self.exceptions[name]
            self.shown_arguments(node, args[at : at + 1], {"message", "content"})
        elif (
            isinstance(node.func, ast.Attribute)
            and _name(node.func.value) == "messages"
            and name in MESSAGE_LEVELS | {"add_message"}
        ):
            self.shown_arguments(node, args[2 if name == "add_message" else 1 :], {"message"})
        elif name == "add_error":
            self.shown_arguments(node, args[1:2], {"error"})
        elif name == "send_mail":
            self.shown_arguments(node, args[:2], {"subject", "message"})
        elif name == "Words":
            self.shown_arguments(node, [*args[:1], *args[2:3]], {"message", "plural"})
        elif isinstance(node.func, ast.Attribute) and name in ORM_WRITES:
            self.shown_arguments(node, [], STORED_MESSAGES)
        elif name == "background":
            self.shown_arguments(node, [], {"stopped"})
        for keyword in node.keywords:
            if (id(node), keyword.arg) in self.hidden:
                continue
            if keyword.arg in FIELD_KEYWORDS:
                self.shown(keyword.value, node)
            elif keyword.arg == "error_messages" and isinstance(keyword.value, ast.Dict):
                for value in keyword.value.values:
                    self.shown(value, node)
            elif keyword.arg == "choices":
                self.choices(keyword.value, node, set())
            elif keyword.arg == "attrs" and isinstance(keyword.value, ast.Dict):
                for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value in SHOWN_ATTRIBUTES:
                        self.shown(value, node)
        self.generic_visit(node)

    def shown_arguments(self, call: ast.Call, args: list[ast.expr], keywords: set[str]) -> None:
        for arg in args:
            self.shown(arg, call)
        for keyword in call.keywords:
            if keyword.arg in keywords:
                self.shown(keyword.value, call)

    def choices(self, node: ast.expr, where: ast.AST, seen: set[str]) -> None:
        """The label of each (value, label) pair; a group's label and its own pairs."""
        if isinstance(node, ast.Name) and node.id not in seen:
            for value in self.resolve(node.id):
                self.choices(value, where, seen | {node.id})
        elif isinstance(node, ast.List | ast.Tuple):
            for pair in node.elts:
                if isinstance(pair, ast.Tuple | ast.List) and len(pair.elts) == 2:
                    label = pair.elts[1]
                    if isinstance(label, ast.List | ast.Tuple):
                        self.shown(pair.elts[0], where)  # an optgroup's name
                        self.choices(label, where, seen)
                    else:
                        self.shown(label, where)
        elif isinstance(node, ast.Dict):
            for value in node.values:
                self.shown(value, where)

    # -- what, in a shown expression, is an unmarked literal ---------------------------------

    def resolve(self, name: str) -> list[ast.expr]:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return self.module.get(name, [])

    def shown(self, node: ast.expr, where: ast.AST, seen: frozenset[str] = frozenset()) -> None:
        text = _text(node)
        if text is not None:
            self.report(node, where, *text)
        elif isinstance(node, ast.Call):
            name = _name(node.func)
            if name in MARKERS:
                return
            if isinstance(node.func, ast.Attribute) and name == "format":
                self.shown(node.func.value, where, seen)
            elif node.args and (name in PASS_THROUGH or name == "join"):
                self.shown(node.args[0], where, seen)  # str(x), "sep".join([...])
            elif isinstance(node.func, ast.Name) and name in self.functions and name not in seen:
                self.returned(self.functions[name], where, seen | {name})
        elif isinstance(node, ast.BinOp):
            self.shown(node.left, where, seen)
            if not isinstance(node.op, ast.Mod):  # "..." % values: the values are data
                self.shown(node.right, where, seen)
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                self.shown(value, where, seen)
        elif isinstance(node, ast.IfExp):
            self.shown(node.body, where, seen)
            self.shown(node.orelse, where, seen)
        elif isinstance(node, ast.List | ast.Tuple | ast.Set):
            for element in node.elts:
                self.shown(element, where, seen)
        elif isinstance(node, ast.Dict):
            for value in node.values:
                self.shown(value, where, seen)
        elif isinstance(node, ast.Name) and node.id not in seen:
            for value in self.resolve(node.id):
                self.shown(value, where, seen | {node.id})

    def returned(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, where: ast.AST, seen: frozenset[str]
    ) -> None:
        """What a function of the same module returns, when its result is shown."""
        outer, self.scopes = self.scopes, [_assignments(function.body, deep=True)]
        for inner in _own_nodes(function):
            if isinstance(inner, ast.Return) and inner.value is not None:
                self.shown(inner.value, where, seen)
        self.scopes = outer

    def report(self, node: ast.expr, where: ast.AST, text: str, words: str) -> None:
        if not is_language(words):
            return
        end = node.end_lineno or node.lineno
        lines = [*range(node.lineno, end + 1), getattr(where, "lineno", node.lineno)]
        if any(OPT_OUT in self.lines[n - 1] for n in lines if 0 < n <= len(self.lines)):
            return
        where_found = (node.lineno, node.col_offset)
        self.found.setdefault(where_found, Finding(self.path, node.lineno, " ".join(text.split())))


def _own_nodes(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of ``function``'s body, not those of functions defined inside it."""
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                stack.append(child)


def unmarked_in(
    source: str,
    path: str = "<python>",
    refusals: set[str] | None = None,
    forms: dict[str, list[FormUse]] | None = None,
) -> list[Finding]:
    """Every literal in ``source`` that is shown to a person and not marked for translation.
    ``refusals``: the names of refusal classes, ``forms``: the models ModelForms show (by
    default, what ``source`` itself defines)."""
    names = refusal_names([source]) if refusals is None else refusals
    shown_models = model_forms([source]) if forms is None else forms
    checker = _Checker(source, path, names, shown_models)
    checker.visit(ast.parse(source))
    return sorted(checker.found.values(), key=lambda f: f.line)


def _skipped(relative: Path) -> bool:
    parts = relative.parts[:-1]
    return any(
        tuple(parts[i : i + len(skip)]) == skip for skip in SKIPPED for i in range(len(parts))
    )


def unmarked_in_python(root: Path) -> list[Finding]:
    """Every unmarked shown literal in the package at ``root`` (``src/greenlane``)."""
    paths = sorted(p for p in root.rglob("*.py") if not _skipped(p.relative_to(root)))
    sources = {path: path.read_text(encoding="utf-8") for path in sorted(root.rglob("*.py"))}
    refusals = refusal_names(sources.values())
    forms = model_forms(sources.values())
    found: list[Finding] = []
    for path in paths:
        found.extend(unmarked_in(sources[path], str(path.relative_to(root)), refusals, forms))
    return found


def report(found: list[Finding]) -> str:
    """The findings grouped by file, each file with its count."""
    by_file = Counter(f.path for f in found)
    lines = [f"{len(found)} unmarked strings in {len(by_file)} files"]
    for path, count in sorted(by_file.items()):
        lines.append(f"\n{path}: {count}")
        lines.extend(f"  {f.line}: {f.text}" for f in found if f.path == path)
    return "\n".join(lines)
