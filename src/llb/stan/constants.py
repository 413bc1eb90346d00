"""A program's numeric constants made data, so that programs differing only in them share one library.

LLM-written candidates repeat structures with other numbers (``beta(50, 50)``, ``beta(100, 100)``).
``lift_constants`` turns every numeric literal outside the ``functions`` and ``data`` blocks into a
data variable (``int`` for integer literals, ``real`` otherwise) declared first in the data block,
on the line of its opening brace so that line numbers in messages stay those of the program. The
values go in with the data when the library is loaded. A literal and a data variable of its type
mean the same thing wherever Stan allows data (sizes, bounds, arguments, indices, loop bounds), so
the compiled model is the same; stanc checks the lifted program, and a program whose lifted form it
rejects (or that defines functions, or already uses the ``llb_k`` names) is compiled as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "llb_k"
# a number that is a whole token: not part of a name (x1), not a member of another number, not imaginary (2i)
NUMERIC_LITERAL = re.compile(r"(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?")  # ASCII digits only, as stanc
_BLOCK = re.compile(r"\b(functions|data|transformed\s+data|parameters|transformed\s+parameters|model|generated\s+quantities)\s*\{")
MAX_INT = 2**31 - 1


@dataclass(frozen=True)
class Lifted:
    """The program with its constants as data, and their values."""

    source: str
    constants: dict[str, int | float]


def lift_constants(source: str) -> Lifted | None:
    """``source`` with its numeric literals made data, or None when nothing is to be gained or it is unsafe."""
    if PREFIX in source:
        return None
    code = _code_mask(source)
    blocks = _blocks(_masked(source, code))
    if blocks is None or "functions" in blocks:
        return None
    pieces: list[str] = []
    constants: dict[str, int | float] = {}
    position = 0
    for match in NUMERIC_LITERAL.finditer(source):
        start, end = match.span()
        if not all(code[start:end]) or _block_at(blocks, start) in (None, "data"):
            continue
        before = source[start - 1] if start > 0 else " "
        after = source[end] if end < len(source) else " "
        if before.isalnum() or before in "_." or after.isalnum() or after in "_.":
            continue
        text = match.group()
        is_int = text.isascii() and text.isdigit()
        if is_int and (len(text) > 10 or int(text) > MAX_INT):
            return None  # not a Stan int
        value: int | float = int(text) if is_int else float(text)
        name = f"{PREFIX}{len(constants)}"
        constants[name] = value
        pieces.append(source[position:start])
        pieces.append(name)
        position = end
    if not constants:
        return None
    pieces.append(source[position:])
    lifted = "".join(pieces)
    declarations = " ".join(f"{'int' if isinstance(v, int) else 'real'} {name};" for name, v in constants.items())
    data_block = _BLOCK.search(_masked(lifted, _code_mask(lifted)))
    if data_block is not None and data_block.group(1) == "data":
        at = data_block.end()
        return Lifted(lifted[:at] + " " + declarations + lifted[at:], constants)
    return Lifted(f"data {{ {declarations} }} " + lifted, constants)


def _code_mask(source: str) -> list[bool]:
    """For each character, whether it is code (not inside a comment or a string literal)."""
    mask = [True] * len(source)
    i, n = 0, len(source)
    while i < n:
        if source.startswith("//", i) or source.startswith("#", i):
            end = source.find("\n", i)
            end = n if end < 0 else end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
        elif source[i] == '"':  # Stan strings have no escapes: the next quote ends them
            end = source.find('"', i + 1)
            end = n if end < 0 else end + 1
        else:
            i += 1
            continue
        for j in range(i, end):
            mask[j] = False
        i = end
    return mask


def _masked(source: str, code: list[bool]) -> str:
    """``source`` with comments and strings blanked out (same length; ``code`` from ``_code_mask``)."""
    return "".join(char if keep else " " for char, keep in zip(source, code))


def _blocks(text: str) -> dict[str, tuple[int, int]] | None:
    """Each top-level block's name and character span in ``text`` (comments and strings blanked), or
    None if the braces do not balance."""
    found: dict[str, tuple[int, int]] = {}
    depth = 0
    i = 0
    while i < len(text):
        if depth == 0:
            match = _BLOCK.match(text, i)
            if match is not None:
                name = re.sub(r"\s+", " ", match.group(1))
                depth, open_at, i = 1, match.end() - 1, match.end()
                while i < len(text) and depth:
                    depth += {"{": 1, "}": -1}.get(text[i], 0)
                    i += 1
                if depth:
                    return None
                found[name] = (open_at, i)
                continue
        i += 1
    return found


def _block_at(blocks: dict[str, tuple[int, int]], position: int) -> str | None:
    return next((name for name, (start, end) in blocks.items() if start <= position < end), None)
