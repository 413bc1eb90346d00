"""Extract the model description and the Stan program from an LLM's reply.

Replies are untrusted and untidy: code fences around the program, a missing MODEL END, prose after the
program, several programs, or none. The parser keeps the description (THOUGHTS section) and the
first program it can find; a reply without a program gives ``program=None`` and a reason, which a
run records as that candidate's failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BLOCK_START = re.compile(
    r"^[ \t]*(functions|data|transformed data|parameters|transformed parameters|model|generated quantities)\s*\{",
    re.MULTILINE,
)
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


@dataclass(frozen=True)
class ParsedReply:
    description: str | None
    program: str | None
    problem: str | None = None  # why no program was found
    note: str | None = None  # something worth knowing about how the program was found


def _section(text: str, start: str, end: str) -> tuple[list[str], bool]:
    """Every text between ``start`` and ``end`` markers; the last may run to the end of the reply."""
    pieces, complete = [], True
    position = 0
    while True:
        begin = text.find(start, position)
        if begin < 0:
            break
        begin += len(start)
        finish = text.find(end, begin)
        if finish < 0:
            pieces.append(text[begin:])
            complete = False
            break
        pieces.append(text[begin:finish])
        position = finish + len(end)
    return pieces, complete


def _unfence(text: str) -> str:
    """The content of the first code fence in ``text``, or ``text`` itself."""
    match = _FENCE.search(text)
    return match.group(2) if match else text


def _program_span(text: str) -> str | None:
    """From the first Stan block to the end of the last consecutive block, by brace matching."""
    match = _BLOCK_START.search(text)
    if match is None:
        return None
    start = match.start()
    position, end = start, None
    while True:
        block = _BLOCK_START.match(text, position)
        if block is None:
            break
        close = _closing_brace(text, block.end() - 1)
        if close is None:  # unbalanced: take the rest of the reply and let stanc judge
            return text[start:].strip()
        end = close + 1
        following = re.compile(r"\s*").match(text, end)
        position = following.end() if following else end
    return text[start:end].strip() if end is not None else None


def _closing_brace(text: str, open_at: int) -> int | None:
    depth = 0
    in_string = in_line_comment = in_block_comment = False
    index = open_at
    while index < len(text):
        char = text[index]
        pair = text[index : index + 2]
        if in_line_comment:
            in_line_comment = char != "\n"
        elif in_block_comment:
            if pair == "*/":
                in_block_comment = False
                index += 1
        elif in_string:
            in_string = char != '"'
        elif pair == "//":
            in_line_comment = True
            index += 1
        elif pair == "/*":
            in_block_comment = True
            index += 1
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def parse_reply(text: str | None) -> ParsedReply:
    """Description and program of one reply (see the module docstring)."""
    if not text or not text.strip():
        return ParsedReply(None, None, "the reply is empty")
    thoughts, _ = _section(text, "THOUGHTS START", "THOUGHTS END")
    description = thoughts[0].strip() if thoughts else None
    if description and "MODEL START" in description:  # THOUGHTS END missing
        description = description.split("MODEL START")[0].strip()
    models, complete = _section(text, "MODEL START", "MODEL END")
    notes = []
    if len(models) > 1:
        notes.append(f"the reply has {len(models)} programs; the first was used")
    if models:
        if not complete and len(models) == 1:
            notes.append("the reply has no MODEL END marker")
        program = _program_span(_unfence(models[0]))
    else:
        program = _program_span(_unfence(text)) if "```" in text else _program_span(text)
        if program is not None:
            notes.append("the reply has no MODEL START marker; the program was found by its blocks")
    if program is None:
        return ParsedReply(description, None, "the reply contains no Stan program")
    return ParsedReply(description, program, None, "; ".join(notes) or None)
