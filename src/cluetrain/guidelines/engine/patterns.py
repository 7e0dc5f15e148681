"""An organisation's regular expressions: validated when compiled, never able to hang a check.

Three layers of protection against catastrophic backtracking:

1. at most ``MAX_PATTERN_LENGTH`` characters;
2. a static check refuses the classic exponential shapes: a repeated group holding another
   variable repetition (``(a+)+``, ``(\\w+\\s?)+$``, ``(a{1,3})*``) unless each round must
   consume a separator the inner repetition cannot match (``(\\d+\\.){3}`` is fine), and a
   repeated alternation whose branches can begin with the same character (``(a|a)*``,
   ``(\\d|\\w)+``). Possessive quantifiers (``a++``) and atomic groups (``(?>…)``) are exempt,
   since they never backtrack;
3. every search runs with a timeout (``regex`` enforces it); a pattern that runs out of time
   reports nothing for that text and logs a warning.
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass, field
from typing import Any

import regex

from .types import RuleError

logger = logging.getLogger(__name__)

MAX_PATTERN_LENGTH = 500
DEFAULT_TIMEOUT = 0.05  # seconds per pattern and text; a normal pattern needs microseconds

# Characters used to decide whether two character sets can match the same character.
_SAMPLE = string.printable + "\u00a0\u2003éßøΩжא٣中ー_"


@dataclass
class _Atom:
    src: str  # the atom's own regular expression, e.g. "a", "\\d", "[a-z]", "."
    zero_width: bool = False


@dataclass
class _Item:
    node: _Atom | _Group
    min: int = 1
    max: int | None = 1  # None: unbounded
    possessive: bool = False

    @property
    def repeats(self) -> bool:
        return not self.possessive and (self.max is None or self.max > 1)

    @property
    def variable(self) -> bool:
        return not self.possessive and (self.max is None or self.max > self.min)


@dataclass
class _Group:
    branches: list[list[_Item]] = field(default_factory=list)
    atomic: bool = False
    src: str = ""


class _Parser:
    """A lenient parser for patterns ``regex`` has already accepted: just enough structure for
    the danger check."""

    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0

    def parse(self) -> _Group:
        group = self._alternation()
        group.src = self.p
        return group

    def _alternation(self) -> _Group:
        group = _Group(branches=[[]])
        p = self.p
        while self.i < len(p):
            c = p[self.i]
            if c == ")":
                return group
            if c == "|":
                self.i += 1
                group.branches.append([])
                continue
            start = self.i
            node = self._atom()
            if node is None:
                continue
            if isinstance(node, _Group) and not node.src:
                node.src = p[start : self.i]
            group.branches[-1].append(self._quantified(node))
        return group

    def _atom(self) -> _Atom | _Group | None:
        p, i = self.p, self.i
        c = p[i]
        if c == "\\":
            return self._escape()
        if c == "[":
            return self._char_class()
        if c == "(":
            return self._group()
        self.i += 1
        if c in "^$":
            return _Atom(c, zero_width=True)
        return _Atom(c)

    def _escape(self) -> _Atom:
        p = self.p
        start = self.i
        self.i += 2
        letter = p[start + 1] if start + 1 < len(p) else ""
        if letter in "pPN" and self.i < len(p) and p[self.i] == "{":
            self.i = p.find("}", self.i) + 1 or len(p)
        elif letter == "x":
            if self.i < len(p) and p[self.i] == "{":
                self.i = p.find("}", self.i) + 1 or len(p)
            else:
                self.i += 2
        elif letter == "u":
            self.i += 4
        elif letter == "U":
            self.i += 8
        elif letter.isdigit():
            while self.i < len(p) and p[self.i].isdigit():
                self.i += 1
            return _Atom(".")  # a back-reference: could be anything
        src = p[start : self.i]
        return _Atom(src, zero_width=letter in "bBAZzGKmM")

    def _char_class(self) -> _Atom:
        p = self.p
        start = self.i
        j = start + 1
        if j < len(p) and p[j] == "^":
            j += 1
        if j < len(p) and p[j] == "]":
            j += 1
        depth = 1
        while j < len(p) and depth:
            if p[j] == "\\":
                j += 2
                continue
            if p.startswith("[:", j):
                end = p.find(":]", j + 2)
                if end != -1:
                    j = end + 2
                    continue
            if p[j] == "[":
                depth += 1
            elif p[j] == "]":
                depth -= 1
            j += 1
        self.i = j
        return _Atom(p[start:j])

    def _group(self) -> _Atom | _Group | None:
        p = self.p
        self.i += 1
        atomic = zero_width = False
        if p.startswith("?", self.i):
            rest = p[self.i + 1 :]
            if rest.startswith("#"):
                self.i = p.find(")", self.i) + 1 or len(p)
                return None
            if rest.startswith("P="):  # named back-reference
                self.i = p.find(")", self.i) + 1 or len(p)
                return _Atom(".")
            flags = regex.match(r"[a-zA-Z\-^]*(?=[):])", rest)
            if rest.startswith(">"):
                atomic = True
                self.i += 2
            elif rest[:1] in ("=", "!") or rest[:2] in ("<=", "<!"):
                zero_width = True
                self.i += 2 if rest[:1] in ("=", "!") else 3
            elif rest.startswith(("P<", "<")):
                self.i = p.find(">", self.i) + 1 or len(p)
            elif rest[:1] in (":", "|"):
                self.i += 2
            elif flags is not None:
                self.i += 1 + flags.end()
                if p.startswith(")", self.i):
                    self.i += 1
                    return _Atom("", zero_width=True)
                self.i += 1
            else:
                self.i += 1
        group = self._alternation()
        group.atomic = atomic
        if self.i < len(p) and p[self.i] == ")":
            self.i += 1
        if zero_width:
            group.atomic = True  # what a lookaround found is not revisited by what follows
        return group

    def _quantified(self, node: _Atom | _Group) -> _Item:
        p = self.p
        item = _Item(node)
        if self.i >= len(p):
            return item
        c = p[self.i]
        if c == "*":
            item.min, item.max = 0, None
            self.i += 1
        elif c == "+":
            item.min, item.max = 1, None
            self.i += 1
        elif c == "?":
            item.min, item.max = 0, 1
            self.i += 1
        elif c == "{":
            m = regex.match(r"\{(\d*)(,?)(\d*)\}", p[self.i :])
            if m is None or (not m.group(1) and not m.group(3)):
                return item
            low = int(m.group(1) or 0)
            high = int(m.group(3)) if m.group(3) else (None if m.group(2) else low)
            item.min, item.max = low, high
            self.i += m.end()
        else:
            return item
        if self.i < len(p) and p[self.i] == "+":
            item.possessive = True
            self.i += 1
        elif self.i < len(p) and p[self.i] == "?":
            self.i += 1
        return item


def _overlap(a: _Atom, b: _Atom, flags: int) -> bool:
    """Whether two one-character atoms can match the same character (by sampling)."""
    if a.src == "." or b.src == ".":
        return True
    try:
        ra, rb = regex.compile(a.src, flags), regex.compile(b.src, flags)
    except regex.error:
        return True
    return any(ra.fullmatch(c) and rb.fullmatch(c) for c in _SAMPLE)


def _first_atoms(items: list[_Item]) -> list[_Atom]:
    atoms: list[_Atom] = []
    for item in items:
        node = item.node
        if isinstance(node, _Atom):
            if node.zero_width:
                continue
            atoms.append(node)
        else:
            for branch in node.branches:
                atoms.extend(_first_atoms(branch))
        if item.min > 0:
            break
    return atoms


def _variable_atoms(group: _Group) -> list[_Item] | None:
    """The variable repetitions inside ``group`` (not behind an atomic group), or None when one
    of them repeats a whole group (too complex to prove safe)."""
    found: list[_Item] = []
    for branch in group.branches:
        for item in branch:
            node = item.node
            if isinstance(node, _Group):
                if node.atomic:
                    continue
                if item.variable:
                    return None
                inner = _variable_atoms(node)
                if inner is None:
                    return None
                found.extend(inner)
            elif item.variable and not node.zero_width:
                found.append(item)
    return found


def _danger(group: _Group, flags: int) -> str:
    """Why the pattern may backtrack catastrophically, or "" when no reason is found."""
    for branch in group.branches:
        for item in branch:
            node = item.node
            if not isinstance(node, _Group):
                continue
            if item.repeats and not node.atomic:
                inner = _variable_atoms(node)
                if inner is None or (inner and not _has_separator(node, inner, flags)):
                    return (
                        f"the repeated group {node.src} holds another repetition, so a "
                        "near-miss can take forever to rule out; make the inner part match "
                        "a fixed amount, or use a possessive quantifier such as ++"
                    )
                firsts = [_first_atoms(b) for b in node.branches]
                for x in range(len(firsts)):
                    for y in range(x + 1, len(firsts)):
                        if any(_overlap(a, b, flags) for a in firsts[x] for b in firsts[y]):
                            return (
                                f"the repeated group {node.src} has alternatives that can "
                                "begin with the same character, so a near-miss can take "
                                "forever to rule out; make the alternatives start differently"
                            )
            reason = _danger(node, flags)
            if reason:
                return reason
    return ""


def _has_separator(group: _Group, inner: list[_Item], flags: int) -> bool:
    """Whether each round of ``group`` must consume a character none of ``inner`` can match."""
    if len(group.branches) != 1:
        return False
    for item in group.branches[0]:
        node = item.node
        if (
            item.min >= 1
            and isinstance(node, _Atom)
            and not node.zero_width
            and all(isinstance(i.node, _Atom) and not _overlap(node, i.node, flags) for i in inner)
        ):
            return True
    return False


# Characters that stand for themselves in a pattern, written plainly or escaped.
_PLAIN = set(" -_:/#@%,;='\"&!<>~`")


def _literal(atom: _Atom) -> str:
    src = atom.src
    if len(src) == 1 and ((src.isascii() and src.isalnum()) or src in _PLAIN):
        return src
    if len(src) == 2 and src[0] == "\\" and src[1].isascii() and not src[1].isalnum():
        return src[1]
    return ""


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Lower-case ASCII strings one of which every match must contain (one per top-level
    alternative), or None when no such strings are known. Lets the engine skip a pattern
    whose text lacks them all, which is most patterns on most texts."""
    if regex.search(r"\(\?[a-zA-Z\-^]*x", pattern):  # verbose mode: spaces do not count
        return None
    try:
        tree = _Parser(pattern).parse()
    except RecursionError:
        return None
    literals: list[str] = []
    for branch in tree.branches:
        best = run = ""
        for item in branch:
            char = _literal(item.node) if isinstance(item.node, _Atom) else ""
            if char and item.min == item.max == 1 and not item.possessive:
                run += char
                best = max(best, run, key=len)
            else:
                run = ""
        if len(best) < 2:
            return None
        literals.append(best.lower())
    return tuple(literals)


def prefold(text: str) -> str:
    """``text`` lower-cased for ``required_literals``, with the few non-ASCII characters that
    match an ASCII letter case-insensitively (long s, Kelvin sign, dotted/dotless i) made
    ASCII first, so that no match is ever skipped."""
    if not text.isascii():
        text = text.translate(_ASCII_LOOKALIKES)
    return text.lower()


_ASCII_LOOKALIKES = str.maketrans({"\u017f": "s", "\u212a": "k", "\u0130": "i", "\u0131": "i"})


@dataclass(frozen=True)
class CompiledPattern:
    """One pattern rule's expression, ready to search with a time limit."""

    rule: str
    compiled: Any  # regex.Pattern[str]

    def find(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> list[tuple[int, int]]:
        """Non-empty match spans; none at all when the search runs out of time."""
        spans: list[tuple[int, int]] = []
        try:
            for m in self.compiled.finditer(text, timeout=timeout):
                if m.end() > m.start():
                    spans.append(m.span())
        except TimeoutError:
            logger.warning(
                "Guideline pattern %r ran out of time (%.0f ms) on a %d-character text; "
                "it reported nothing for that text.",
                self.rule,
                timeout * 1000,
                len(text),
            )
            return []
        return spans


def compile_pattern(rule: str, pattern: str, *, ignore_case: bool = True) -> CompiledPattern:
    """Compile and vet one pattern; RuleError (naming ``rule``) says plainly what is wrong."""
    if not pattern:
        raise RuleError(rule, "the pattern is empty.")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RuleError(
            rule,
            f"the pattern is {len(pattern)} characters long; at most {MAX_PATTERN_LENGTH} "
            "are allowed.",
        )
    flags = regex.IGNORECASE if ignore_case else 0
    try:
        compiled = regex.compile(pattern, flags)
    except regex.error as error:
        where = f" at position {error.pos}" if error.pos is not None else ""
        raise RuleError(
            rule, f"the pattern is not a valid regular expression: {error.msg}{where}."
        ) from None
    except (ValueError, OverflowError, RecursionError) as error:
        raise RuleError(rule, f"the pattern is not a valid regular expression: {error}.") from None
    try:
        reason = _danger(_Parser(pattern).parse(), flags)
    except RecursionError:
        reason = "the pattern is nested too deeply to check"
    if reason:
        raise RuleError(rule, f"the pattern is refused: {reason}.")
    try:
        empty = compiled.search("", timeout=DEFAULT_TIMEOUT) is not None
    except TimeoutError:
        empty = False
    if empty:
        raise RuleError(
            rule,
            "the pattern matches empty text, so it would report every post; make it "
            "require at least one character.",
        )
    return CompiledPattern(rule, compiled)
