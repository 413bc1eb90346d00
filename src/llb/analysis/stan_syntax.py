"""Reading Stan declarations and canonical programs as text.

stanc has no machine-readable syntax tree, but its canonical form (``stanc --auto-format``) puts one
statement on each line, so declarations and ``~`` statements can be read reliably line by line.
Used for the goal declaration of a problem, data declarations, and the prior checks.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from dataclasses import dataclass
from typing import Iterator

IDENT = r"[A-Za-z][A-Za-z0-9_]*"
TILDE = re.compile(rf"^(?P<indent>\s*)(?P<lhs>.+?) ~ (?P<dist>{IDENT})\((?P<args>.*)\)(?P<trunc> T\[.*\])?;$")
TARGET = re.compile(r"^\s*target \+= (.*);$")  # a target += statement on one canonical line; group 1 the sum
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")  # ASCII digits, as Stan reads them
# container types and how many dimensions their size brackets add
_CONTAINER_RANK = {
    "vector": 1, "row_vector": 1, "simplex": 1, "unit_vector": 1, "ordered": 1, "positive_ordered": 1,
    "sum_to_zero_vector": 1, "matrix": 2, "cov_matrix": 2, "corr_matrix": 2, "cholesky_factor_cov": 2,
    "cholesky_factor_corr": 2, "complex_vector": 1, "complex_row_vector": 1, "complex_matrix": 2,
}  # fmt: skip
_SQUARE = {"cov_matrix", "corr_matrix", "cholesky_factor_corr", "cholesky_factor_cov"}  # one size: square


@dataclass(frozen=True)
class Declaration:
    """One declared variable: ``array[3] vector<lower=0>[N] x`` has array_dims ("3",), type "vector",
    type_dims ("N",), lower "0"."""

    name: str
    type: str
    array_dims: tuple[str, ...] = ()
    type_dims: tuple[str, ...] = ()
    lower: str | None = None
    upper: str | None = None

    @property
    def base_type(self) -> str:
        return "int" if self.type == "int" else "real"

    @property
    def dims(self) -> tuple[str, ...]:
        """Size expressions of every dimension, outermost first, as Stan's JSON data nests them."""
        type_dims = self.type_dims
        if self.type in _SQUARE and len(type_dims) == 1:
            type_dims = (type_dims[0], type_dims[0])
        return self.array_dims + type_dims

    @property
    def ndim(self) -> int:
        return len(self.dims)

    @property
    def scalar(self) -> bool:
        return self.ndim == 0 and self.type in ("real", "int")

    def declaration_text(self) -> str:
        bounds = [f"{key}={value}" for key, value in (("lower", self.lower), ("upper", self.upper)) if value is not None]
        text = self.type + (f"<{', '.join(bounds)}>" if bounds else "")
        if self.type_dims:
            text += f"[{', '.join(self.type_dims)}]"
        if self.array_dims:
            text = f"array[{', '.join(self.array_dims)}] {text}"
        return f"{text} {self.name};"


def _positions(text: str) -> Iterator[tuple[int, str, bool]]:
    """(index, character, whether it stands outside every (), [], {} and string) for each character."""
    depth, in_string = 0, False
    for index, char in enumerate(text):
        if char == '"':
            in_string = not in_string
        elif not in_string and char in "([{":
            depth += 1
        elif not in_string and char in ")]}":
            depth -= 1
        yield index, char, depth == 0 and not in_string and char not in '"([{)]}'


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split at separators outside (), [], {} and strings."""
    parts: list[str] = []
    start = 0
    for index, char, top in _positions(text):
        if top and char == separator:
            parts.append(text[start:index].strip())
            start = index + 1
    if text[start:].strip():
        parts.append(text[start:].strip())
    return parts


def matching(text: str, start: int, opening: str = "[", closing: str = "]") -> int:
    """Index of the bracket closing the one at ``start``, skipping other bracket kinds in between."""
    depth = 0
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack: list[str] = []
    for index in range(start, len(text)):
        char = text[index]
        if char == opening and not stack:
            depth += 1
        elif char == closing and not stack:
            depth -= 1
            if depth == 0:
                return index
        elif char in pairs and char != opening:
            stack.append(pairs[char])
        elif stack and char == stack[-1]:
            stack.pop()
    raise ValueError(f"unbalanced {opening}{closing} in {text!r}")


def strip_comments(text: str) -> str:
    """Remove // and /* */ comments (not inside strings), keeping line breaks."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text[i] == '"':
            end = text.find('"', i + 1)
            end = n - 1 if end < 0 else end
            out.append(text[i : end + 1])
            i = end + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            out.append("\n" * text.count("\n", i, n if end < 0 else end))
            i = n if end < 0 else end + 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse_declaration(text: str) -> list[Declaration]:
    """Declarations in one statement such as ``array[N] real<lower=0> a, b`` (no trailing ``;``).

    Returns an empty list when the text is not a declaration.
    """
    text = text.strip().rstrip(";").strip()
    array_dims: tuple[str, ...] = ()
    if text.startswith("array["):
        close = matching(text, text.index("["))
        array_dims = tuple(split_top_level(text[6:close]))
        text = text[close + 1 :].strip()
    match = re.match(rf"^({IDENT})", text)
    if not match:
        return []
    type_name, rest = match.group(1), text[match.end() :].lstrip()
    lower = upper = None
    if rest.startswith("<"):
        close = matching(rest, 0, "<", ">")
        for item in split_top_level(rest[1:close]):
            key, _, value = item.partition("=")
            if key.strip() == "lower":
                lower = value.strip()
            elif key.strip() == "upper":
                upper = value.strip()
        rest = rest[close + 1 :].lstrip()
    type_dims: tuple[str, ...] = ()
    if rest.startswith("["):
        close = matching(rest, 0)
        type_dims = tuple(split_top_level(rest[1:close]))
        rest = rest[close + 1 :]
    if type_name not in ("real", "int", "complex") and type_name not in _CONTAINER_RANK:
        return []
    names = [part.split("=")[0].strip() for part in split_top_level(rest.strip())]
    if not names or not all(re.fullmatch(IDENT, name) for name in names):
        return []
    return [Declaration(name, type_name, array_dims, type_dims, lower, upper) for name in names]


def parse_declarations(text: str) -> list[Declaration]:
    """Every declaration in a block of text (statements separated by ``;``; comments allowed)."""
    declarations: list[Declaration] = []
    for statement in split_top_level(strip_comments(text), ";"):
        if statement.strip():
            declarations.extend(parse_declaration(statement))
    return declarations


def number(expression: str | None) -> float | None:
    """The value of a numeric literal (possibly negative), or None for anything else."""
    if expression is None:
        return None
    text = expression.strip()
    if _NUMBER.fullmatch(text):
        return float(text)
    if text.startswith("-") and _NUMBER.fullmatch(text[1:].strip()):
        return -float(text[1:])
    return None


def evaluate_size(expression: str, data: dict) -> int | None:
    """A size expression evaluated against data: an integer literal or an int data variable, else None."""
    text = expression.strip()
    value = number(text)
    if value is not None:
        return int(value) if value.is_integer() else None
    found = data.get(text)
    if isinstance(found, bool):
        return None
    if isinstance(found, int):
        return found
    if isinstance(found, float) and math.isfinite(found) and found.is_integer():
        return int(found)
    return None


_INT_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}


def evaluate_int(expression: str, data: dict) -> int | None:
    """An integer expression of literals and int data (+, -, *, parentheses), else None.

    The leaves are what ``evaluate_size`` accepts; loop bounds and slices such as ``(N - 1)`` need
    the arithmetic.
    """
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return None

    def value(node: ast.AST) -> int | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            return evaluate_size(node.id, data)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = value(node.operand)
            return None if inner is None else -inner
        if isinstance(node, ast.BinOp) and type(node.op) in _INT_OPERATORS:
            left, right = value(node.left), value(node.right)
            return None if left is None or right is None else _INT_OPERATORS[type(node.op)](left, right)
        return None

    return value(tree)


def mentions(text: str, name: str) -> bool:
    """Whether ``name`` occurs in ``text`` as a whole identifier."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None


_ASSIGN_OP = re.compile(r"(=|\+=|-=|\*=|/=|\.\*=|\./=)(?!=)")
_CONSTRAINT = re.compile(rf"^(\s*(?:array\[[^\]]*\]\s*)?{IDENT})<[^>]*>")


def assignment(line: str) -> tuple[str, str, str] | None:
    """(variable, operator, value) of an assignment, a compound assignment (``target +=`` included)
    or a declaration with a value, on one canonical line; None for any other statement."""
    text = _CONSTRAINT.sub(r"\1", line.strip())  # <lower=0> is not an assignment
    if not text.endswith(";") or text.startswith(("for ", "if ", "while ", "print", "reject")) or " ~ " in text:
        return None
    depth = 0
    for position, char in enumerate(text):
        depth += char in "([{"
        depth -= char in ")]}"
        if depth == 0:
            match = _ASSIGN_OP.match(text, position)
            if match and (position == 0 or text[position - 1] not in "=<>!"):
                left = re.search(rf"(?P<name>{IDENT})\s*(\[[^=]*\])?\s*$", text[:position])
                if left is None:
                    return None
                return left["name"], match.group(1), text[match.end() : -1].strip()
    return None


# -- canonical programs (stanc --auto-format output) ----------------------------------------
def blocks(canonical: str) -> dict[str, list[str]]:
    """Lines of each top-level block ("parameters", "model", ...) of a canonical program."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in canonical.splitlines():
        header = re.match(r"^([a-z ]+) \{$", line)
        if header and current is None:
            current = found.setdefault(header.group(1), [])
        elif line == "}" and current is not None:
            current = None
        elif current is not None:
            current.append(line)
    return found


def block_declarations(lines: list[str]) -> list[Declaration]:
    """Top-level declarations of a canonical block (statements nested in loops are skipped)."""
    declarations: list[Declaration] = []
    for line in lines:
        if line.startswith("  ") and not line.startswith("   ") and line.rstrip().endswith(";"):
            declarations.extend(parse_declaration(line))
    return declarations


def replace_block(canonical: str, block: str, block_lines: list[str]) -> str:
    """The canonical program with the body of ``block`` replaced by ``block_lines``."""
    out, inside = [], False
    for line in canonical.splitlines():
        if line == f"{block} {{":
            inside = True
            out.append(line)
            out.extend(block_lines)
            continue
        if inside:
            if line == "}":
                inside = False
                out.append(line)
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def split_terms(expression: str) -> list[tuple[str, str]]:
    """The top-level terms of a sum in canonical form, as (sign, term): ``a - b * c + d`` gives
    [("+", "a"), ("-", "b * c"), ("+", "d")].

    stanc's canonical form writes binary ``+`` and ``-`` with a space on each side and unary minus
    without one, so a sign at depth 0 between spaces separates two terms.
    """
    terms: list[tuple[str, str]] = []
    start, sign = 0, "+"
    text = expression.strip()
    if "?" in text:  # a conditional expression: its branches are not terms of a sum
        return [("+", text)]
    for index, char, top in _positions(text):
        if top and char in "+-" and text[index - 1 : index] == " " and text[index + 1 : index + 2] == " ":
            before = text[start : index - 1].strip()
            if before:
                terms.append((sign, before))
                sign, start = char, index + 2
    terms.append((sign, text[start:].strip()))
    return terms


def enclosing_openers(lines_before: list[str]) -> list[str]:
    """The opening lines (``for (...) {``, ``if (...) {``, ``} else {``, ...) of every block of a
    canonical program that encloses the line after ``lines_before``, innermost first."""
    openers: list[str] = []
    depth = 0
    for line in reversed(lines_before):
        text = line.strip()
        if text.startswith("} else"):  # closes an if branch, opens the next one
            if depth == 0:
                openers.append(text)
            depth = depth or 1
            continue
        if text == "}":
            depth += 1
            continue
        if text.endswith("{"):
            if depth:
                depth -= 1
                continue
            openers.append(text)
    return openers


def enclosing_loops(lines_before: list[str]) -> list[tuple[str, str, str]]:
    """(variable, start, end) of every ``for`` loop that encloses the line after ``lines_before``,
    innermost first; ``while`` loops appear with variable "" (their extent is unknown)."""
    loops: list[tuple[str, str, str]] = []
    for text in enclosing_openers(lines_before):
        loop = re.match(rf"^for \(({IDENT}) in (.+) : (.+)\) {{$", text)
        if loop:
            loops.append((loop.group(1), loop.group(2), loop.group(3)))
        elif text.startswith("while "):
            loops.append(("", "", ""))
    return loops
