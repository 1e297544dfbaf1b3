"""trafilatura's node-selecting XPaths, evaluated in Python: the same elements, in the same order.

Profiled on the shared pages, trafilatura spends ~45% of an extraction in these XPaths: libxml2
tests every element against dozens of attribute predicates, and every EXSLT ``re:test`` is a
callback into Python's ``re``. Almost all of them have one shape, ``.//*[pred][pred]...`` over
attributes, so we evaluate that shape here: a leading ``self::`` predicate becomes lxml's C-level
tag filter, and each ``or`` group tests one regular expression per attribute (the ``re:test``
patterns, ``contains`` and ``starts-with`` literals of the same attribute joined into one
alternation, which matches exactly when one of them does).

Only a small subset of XPath 1.0 is understood (see :func:`compile_selector`); anything else
raises :class:`Unsupported` and the caller keeps lxml's XPath, so a future trafilatura with new
selectors stays correct, only slower. ``tests/test_xpath_compile.py`` checks every compiled
selector against lxml on the shared pages, inside real extractions.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any

from lxml import etree

Pred = Callable[[Any], bool]
Value = Callable[[Any], str]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'[^']*'|"[^"]*")
     |(?P<axis>self::[A-Za-z_][\w-]*)
     |(?P<desc>\.//(?:\*|[A-Za-z_][\w-]*))
     |(?P<attr>@[A-Za-z_][\w.-]*)
     |(?P<name>[A-Za-z_][\w-]*(?::[A-Za-z_][\w-]*)?)
     |(?P<num>\d+)
     |(?P<op>[\[\](),|=])
    )""",
    re.X,
)


class Unsupported(ValueError):
    """The expression is outside the subset this module evaluates."""


def _tokens(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos, end = 0, len(source.rstrip())
    while pos < end:
        m = _TOKEN.match(source, pos)
        if m is None or m.end() == pos:
            raise Unsupported(f"cannot read {source[pos:pos + 20]!r}")
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    """Recursive descent over the token list; builds small tuples (the AST)."""

    def __init__(self, source: str) -> None:
        self.toks = _tokens(source)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str, text: str | None = None) -> str:
        tok = self.peek()
        if tok is None or tok[0] != kind or (text is not None and tok[1] != text):
            raise Unsupported(f"expected {text or kind}, got {tok}")
        self.i += 1
        return tok[1]

    def at(self, kind: str, text: str | None = None) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == kind and (text is None or tok[1] == text)

    def selector(self) -> tuple[list[tuple], str]:
        """(predicates, which): which is "all", "first" for ``(...)[1]`` (the first element in
        document order) or "first-child" for a final ``[1]`` on the step (per parent, the first
        child that matches the other predicates)."""
        if self.at("op", "("):
            self.take("op")
            preds, which = self.step()
            self.take("op", ")")
            if which != "all" or not self.first_position():
                raise Unsupported("only (.//*[...])[1]")
            which = "first"
        else:
            preds, which = self.step()
        if self.peek() is not None:
            raise Unsupported(f"trailing {self.peek()}")
        return preds, which

    def step(self) -> tuple[list[tuple], str]:
        if self.take("desc") != ".//*":
            raise Unsupported("only .//* steps")
        preds: list[tuple] = []
        while self.at("op", "["):
            if self.first_position():
                if self.at("op", "["):
                    raise Unsupported("a predicate after a position")
                return preds, "first-child"
            self.take("op", "[")
            preds.append(self.or_expr())
            self.take("op", "]")
        return preds, "all"

    def first_position(self) -> bool:
        """Consume ``[1]`` if it comes next."""
        toks = self.toks[self.i:self.i + 3]
        if [t[1] for t in toks] == ["[", "1", "]"]:
            self.i += 3
            return True
        return False

    def or_expr(self) -> tuple:
        return self.chain("or", self.and_expr)

    def and_expr(self) -> tuple:
        return self.chain("and", self.unary)

    def chain(self, word: str, operand: Callable[[], tuple]) -> tuple:
        """``operand (word operand)*``: one operand as it is, more as ``(word, [operands])``."""
        terms = [operand()]
        while self.at("name", word):
            self.take("name")
            terms.append(operand())
        return terms[0] if len(terms) == 1 else (word, terms)

    def unary(self) -> tuple:
        if self.at("op", "("):
            self.take("op")
            inner = self.or_expr()
            self.take("op", ")")
            return inner
        if self.at("name", "not"):
            self.take("name")
            self.take("op", "(")
            inner = self.or_expr()
            self.take("op", ")")
            return ("not", inner)
        return self.atom()

    def attrs(self) -> tuple[str, ...]:
        names = [self.take("attr")[1:]]
        while self.at("op", "|"):
            self.take("op")
            names.append(self.take("attr")[1:])
        return tuple(names)

    def string(self) -> str:
        return self.take("str")[1:-1]

    def value(self) -> tuple:
        if self.at("attr"):
            return ("attrs", self.attrs())
        if self.at("name", "translate"):
            self.take("name")
            self.take("op", "(")
            inner = self.value()
            self.take("op", ",")
            frm = self.string()
            self.take("op", ",")
            to = self.string()
            self.take("op", ")")
            return ("translate", inner, frm, to)
        raise Unsupported(f"value {self.peek()}")

    def atom(self) -> tuple:
        tok = self.peek()
        if tok is None:
            raise Unsupported("unexpected end")
        kind, text = tok
        if kind == "axis":
            self.i += 1
            return ("self", text[len("self::"):])
        if kind == "desc":
            self.i += 1
            return ("has", text[len(".//"):])
        if kind == "attr":
            names = self.attrs()
            if self.at("op", "="):
                self.take("op")
                return ("eq", names, self.string())
            return ("exists", names)
        if kind == "name" and text in ("contains", "starts-with", "re:test"):
            self.i += 1
            self.take("op", "(")
            val = self.value()
            self.take("op", ",")
            lit = self.string()
            if text == "re:test" and self.at("op", ","):  # EXSLT flags: lxml honours only "i"
                self.take("op")
                if "i" in self.string():
                    lit = f"(?i:{lit})"
            self.take("op", ")")
            return (text, val, lit)
        raise Unsupported(f"atom {tok}")


def _value_fn(node: tuple) -> Value:
    """XPath string() of the value: the first attribute in document (= source) order, or ''."""
    if node[0] == "attrs":
        names = node[1]
        if len(names) == 1:
            name = names[0]
            return lambda el: el.get(name) or ""
        wanted = frozenset(names)

        def first(el: Any) -> str:
            for key, val in el.items():
                if key in wanted:
                    return str(val)
            return ""

        return first
    inner = _value_fn(node[1])
    frm, to = node[2], node[3]
    table: dict[int, int | None] = {}
    for i, ch in enumerate(frm):  # XPath translate: the first occurrence of a character wins
        table.setdefault(ord(ch), ord(to[i]) if i < len(to) else None)
    return lambda el: inner(el).translate(table)


def _pattern(node: tuple) -> str:
    """One of re:test / contains / starts-with as a Python regular expression for search()."""
    kind, _, lit = node
    if kind == "re:test":
        re.compile(lit)  # an invalid pattern fails here, not at evaluation
        if re.search(r"\\\d|\(\?P=|\(\?[aiLmsux]+\)", lit):
            raise Unsupported("back-references or global flags cannot be joined")
        return f"(?:{lit})"
    return ("\\A" if kind == "starts-with" else "") + re.escape(lit)


def _compile(node: tuple) -> Pred:
    kind = node[0]
    if kind == "self":
        tag = node[1]
        return lambda el: el.tag == tag
    if kind == "has":
        tag = node[1]
        first = etree.Element if tag == "*" else tag
        return lambda el: next(el.iterdescendants(first), None) is not None
    if kind == "not":
        inner = _compile(node[1])
        return lambda el: not inner(el)
    if kind == "and":
        parts = [_compile(t) for t in node[1]]
        return lambda el: all(p(el) for p in parts)
    if kind == "or":
        return _compile_or(node[1])
    if kind in ("exists", "eq", "contains", "starts-with", "re:test"):
        return _compile_or([node])
    raise Unsupported(kind)


MEMO_SIZE = 65536  # distinct values remembered per joined regex before it starts afresh
MEMO_MAX_CHARS = 256  # longer values are searched every time, so the memo stays < ~20 MB


def _remember(seen: dict[str, bool], text: str, hit: bool) -> bool:
    if len(text) > MEMO_MAX_CHARS:
        return hit
    if len(seen) >= MEMO_SIZE:
        seen.clear()
    seen[text] = hit
    return hit


def _compile_or(terms: Sequence[tuple]) -> Pred:
    """One flat function for an ``or``: attribute tests read ``el.get`` directly, and string
    tests on the same value are joined into one regex. Evaluation order does not matter (the
    terms have no side effects), only the number of Python calls per element does."""
    exists: list[str] = []
    equals: list[tuple[str, str]] = []
    groups: dict[tuple, list[tuple]] = {}
    others: list[Pred] = []
    for term in terms:
        if term[0] == "exists":
            exists.extend(term[1])
        elif term[0] == "eq":
            equals.extend((name, term[2]) for name in term[1])
        elif term[0] in ("contains", "starts-with", "re:test"):
            groups.setdefault(term[1], []).append(term)
        else:
            others.append(_compile(term))
    # Each joined regex remembers its answer per string: class and id values repeat within and
    # across pages, and a dict lookup costs a fraction of a search over a long alternation.
    single: list[tuple[str, Callable[[str], Any], dict[str, bool], bool]] = []  # + matches ''
    general: list[tuple[Value, Callable[[str], Any], dict[str, bool]]] = []
    for value, tests in groups.items():
        search = re.compile("|".join(_pattern(t) for t in tests)).search
        if value[0] == "attrs" and len(value[1]) == 1:
            single.append((value[1][0], search, {}, search("") is not None))
        else:
            general.append((_value_fn(value), search, {}))

    def any_of(el: Any) -> bool:
        get = el.get
        for name in exists:
            if get(name) is not None:
                return True
        for name, lit in equals:
            if get(name) == lit:
                return True
        for name, search, seen, empty_hit in single:
            text = get(name)
            if text is None:
                if empty_hit:
                    return True
                continue
            hit = seen.get(text)
            if hit is None:
                hit = _remember(seen, text, search(text) is not None)
            if hit:
                return True
        for read, search, seen in general:
            text = read(el)
            hit = seen.get(text)
            if hit is None:
                hit = _remember(seen, text, search(text) is not None)
            if hit:
                return True
        for part in others:
            if part(el):
                return True
        return False

    return any_of


class CompiledSelector:
    """Callable like ``lxml.etree.XPath`` for a ``.//*[...]`` selector: ``selector(tree)``."""

    def __init__(self, source: str) -> None:
        self.path = source
        preds, self.which = _Parser(source).selector()
        tags: list[str] = []
        if preds and _only_self(preds[0]):
            tags = _self_tags(preds[0])
            preds = preds[1:]
        self.preds = [_compile(p) for p in preds]
        # Candidates: with a leading self:: predicate, lxml's C-level tag filter; otherwise a
        # callback-free XPath on attribute presence when the predicates need one of a few
        # attributes (libxml2 tests it, and elements left out never become Python objects).
        # Measured on the shared pages, each is the faster choice for its case.
        self.tags: tuple[Any, ...] = tuple(tags) or (etree.Element,)
        needed = min((n for n in (_attrs_needed(p) for p in preds) if n), key=len, default=None)
        self.by_attribute = None if tags or not needed else etree.XPath(
            ".//*[" + " or ".join(f"@{a}" for a in sorted(needed)) + "]")

    def __call__(self, tree: Any) -> list[Any]:
        found = self.by_attribute(tree) if self.by_attribute is not None else tree.iterdescendants(*self.tags)
        preds = self.preds
        if preds:
            test = preds[0] if len(preds) == 1 else (lambda el: all(p(el) for p in preds))
            found = (el for el in found if test(el))
        if self.which == "first":
            return [el for el in itertools.islice(found, 1)]
        if self.which == "first-child":
            parents: set[Any] = set()  # holding the proxies keeps their identity stable
            out = []
            for el in found:
                parent = el.getparent()
                if parent not in parents:
                    parents.add(parent)
                    out.append(el)
            return out
        return list(found)

    def __repr__(self) -> str:
        return f"CompiledSelector({' '.join(self.path.split())[:60]!r}...)"


def _attrs_needed(node: tuple) -> frozenset[str] | None:
    """Attributes of which an element must have one for ``node`` to hold; None if unknown."""
    kind = node[0]
    if kind in ("exists", "eq"):
        return frozenset(node[1])
    if kind in ("contains", "starts-with", "re:test"):
        value = node[1]
        while value[0] == "translate":
            value = value[1]
        # without the attributes the value is '': the test must then fail
        matches_empty = re.compile(_pattern(node)).search("") is not None
        return None if matches_empty else frozenset(value[1])
    if kind == "and":
        sets = [s for s in map(_attrs_needed, node[1]) if s]
        return min(sets, key=len) if sets else None
    if kind == "or":
        each = [_attrs_needed(t) for t in node[1]]
        out: frozenset[str] = frozenset()
        for names in each:
            if names is None:
                return None
            out |= names
        return out
    return None  # self::, .//tag, not(): hold or fail whatever the attributes


def _only_self(node: tuple) -> bool:
    if node[0] == "self":
        return True
    return node[0] == "or" and all(t[0] == "self" for t in node[1])


def _self_tags(node: tuple) -> list[str]:
    return [node[1]] if node[0] == "self" else [t[1] for t in node[1]]


def compile_selector(source: str) -> CompiledSelector:
    """``.//*`` followed by predicates made of ``or``/``and``/``not()``/parentheses over:
    ``self::tag``, ``.//tag`` (has such a descendant), ``@a`` / ``@a|@b`` (exists),
    ``@a='lit'``, and ``contains``/``starts-with``/``re:test`` of ``@a``, ``@a|@b`` (the first in
    source order, as XPath's string()) or ``translate(..., 'from', 'to')`` with a literal.
    Raises :class:`Unsupported` for anything else (positions, other axes, numbers, ``//``)."""
    return CompiledSelector(source)
