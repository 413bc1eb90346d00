"""Validate a Stan program with stanc, in milliseconds and without compiling C++.

Programs come from an LLM and are untrusted. Refused outright: ``#include`` (it reads files), programs
that are too large, and NUL bytes. stanc is always called with a fixed set of options: no include
paths and never ``--allow-undefined`` (which would let a program call arbitrary C++). What a program
declares (data inputs, parameters, transformed parameters, generated quantities) comes from
``stanc --info``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from llb.stan.process import run_command
from llb.stan.toolchain import Toolchain, find_toolchain

MAX_SOURCE_BYTES = 200_000
STANC_TIMEOUT = 20.0
MAX_MESSAGE = 300  # characters of stanc's message kept in a one-line reason
PROGRAM_FILENAME = "program.stan"

_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include\b", re.MULTILINE)
_ERROR_HEADER = re.compile(
    r"^(?P<kind>Syntax|Semantic) error in '[^']*'"
    r"(?:, line (?P<line>\d+), column (?P<column>\d+))?[^:\n]*(?::[ \t]*(?P<what>[^\n]*))?$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Variable:
    """One declared variable as stanc reports it: base type ("int"/"real"/"complex") and rank."""

    name: str
    base_type: str
    ndim: int


@dataclass(frozen=True)
class ProgramInfo:
    inputs: tuple[Variable, ...]
    parameters: tuple[Variable, ...]
    transformed_parameters: tuple[Variable, ...]
    generated_quantities: tuple[Variable, ...]
    functions: tuple[str, ...]
    distributions: tuple[str, ...]

    def find(self, name: str) -> tuple[str, Variable] | None:
        """Where ``name`` is defined among the model's outputs, and its declaration."""
        for block, variables in (
            ("parameters", self.parameters),
            ("transformed parameters", self.transformed_parameters),
            ("generated quantities", self.generated_quantities),
        ):
            for variable in variables:
                if variable.name == name:
                    return block, variable
        return None


@dataclass(frozen=True)
class Validation:
    """stanc's verdict. ``error`` is one line (with line and column) when ``ok`` is false."""

    ok: bool
    error: str | None
    info: ProgramInfo | None
    warnings: tuple[str, ...] = field(default=())
    seconds: float = 0.0
    line: int | None = None
    column: int | None = None


def refusal_reason(source: str) -> str | None:
    """Why llb will not hand ``source`` to stanc at all, or None."""
    if "\x00" in source:
        return "the program contains a NUL byte"
    if len(source.encode(errors="replace")) > MAX_SOURCE_BYTES:
        return f"the program is larger than {MAX_SOURCE_BYTES // 1000} kB"
    match = _INCLUDE.search(source)
    if match:
        line = source.count("\n", 0, match.start()) + 1
        return f"line {line}: #include is not allowed (programs may not read other files)"
    return None


def validate_program(source: str, *, toolchain: Toolchain | None = None) -> Validation:
    """Check ``source`` with stanc (with pedantic warnings) and read its declarations."""
    start = time.perf_counter()
    refused = refusal_reason(source)
    if refused is not None:
        return Validation(False, f"refused: {refused}", None, seconds=time.perf_counter() - start)
    toolchain = toolchain or find_toolchain()
    with tempfile.TemporaryDirectory(prefix="llb-stanc-") as tmp:
        path = Path(tmp) / PROGRAM_FILENAME
        path.write_text(source)
        # stanc prints pedantic warnings only when generating code, and --info only on its own.
        result = run_command(
            [toolchain.stanc, "--warn-pedantic", f"--filename-in-msg={PROGRAM_FILENAME}", f"--o={os.devnull}", PROGRAM_FILENAME],
            cwd=tmp,
            timeout=STANC_TIMEOUT,
        )
        if result.ok:
            warnings = parse_warnings(result.stderr)
            result = run_command([toolchain.stanc, "--info", PROGRAM_FILENAME], cwd=tmp, timeout=STANC_TIMEOUT)
    seconds = time.perf_counter() - start
    if result.timed_out:
        return Validation(False, f"stanc did not finish within {STANC_TIMEOUT:.0f} s", None, seconds=seconds)
    if not result.ok:
        message, line, column = describe_stanc_error(result.stderr or result.stdout)
        return Validation(False, message, None, seconds=seconds, line=line, column=column)
    try:
        info = parse_info(json.loads(result.stdout))
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        return Validation(False, f"cannot read stanc --info output ({error})", None, seconds=seconds)
    return Validation(True, None, info, warnings=warnings, seconds=seconds)


def describe_stanc_error(text: str) -> tuple[str, int | None, int | None]:
    """Turn stanc's multi-line error into one line: kind, position and the message itself."""
    header = _ERROR_HEADER.search(text)
    if header is None:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return (lines[-1] if lines else "stanc rejected the program"), None, None
    line = int(header["line"]) if header["line"] else None
    column = int(header["column"]) if header["column"] else None
    # The message follows the code excerpt, which is fenced by lines of dashes.
    after = text[header.end():]
    fences = [m.end() for m in re.finditer(r"^\s*-{10,}\s*$", after, re.MULTILINE)]
    body = after[fences[1]:] if len(fences) >= 2 else after
    message = " ".join(part.strip() for part in body.strip().splitlines() if part.strip())
    if not message and header["what"]:
        message = header["what"].strip()
    where = f" at line {line}, column {column}" if line is not None else ""
    kind = header["kind"].lower()
    if len(message) > MAX_MESSAGE:  # stanc lists every signature of a function it could not match
        message = message[: MAX_MESSAGE - 3].rstrip() + "..."
    return f"{kind} error{where}: {message or 'stanc rejected the program'}", line, column


def parse_warnings(stderr: str) -> tuple[str, ...]:
    """stanc's warnings, one string each, with wrapped lines joined."""
    warnings: list[str] = []
    for block in re.split(r"(?m)^Warning", stderr):
        text = " ".join(line.strip() for line in block.splitlines() if line.strip())
        if text:
            warnings.append(text.lstrip(": ").strip())
    return tuple(warnings)


def parse_info(info: dict) -> ProgramInfo:
    def variables(block: str) -> tuple[Variable, ...]:
        return tuple(
            Variable(name, spec["type"], int(spec["dimensions"])) for name, spec in info.get(block, {}).items()
        )

    return ProgramInfo(
        inputs=variables("inputs"),
        parameters=variables("parameters"),
        transformed_parameters=variables("transformed parameters"),
        generated_quantities=variables("generated quantities"),
        functions=tuple(info.get("functions", ())),
        distributions=tuple(info.get("distributions", ())),
    )


def canonical_form(source: str, *, toolchain: Toolchain | None = None) -> str:
    """stanc's pretty-printed program: one statement per line, no comments, no line wrapping."""
    return _canonical_form(source, toolchain or find_toolchain())


@functools.lru_cache(maxsize=64)
def _canonical_form(source: str, toolchain: Toolchain) -> str:
    # The prior analysis and each rewrite read one program's canonical form again; stanc's answer
    # depends on the text and the toolchain alone. Failures (ValueError) are not cached.
    with tempfile.TemporaryDirectory(prefix="llb-canon-") as tmp:
        path = Path(tmp) / "program.stan"
        path.write_text(source)
        result = run_command(
            [toolchain.stanc, "--auto-format", "--canonicalize=deprecations,parentheses,braces,strip-comments",
             "--max-line-length=1000000", "program.stan"],
            cwd=tmp,
            timeout=STANC_TIMEOUT,
        )  # fmt: skip
    if not result.ok:
        raise ValueError(describe_stanc_error(result.stderr)[0])
    return result.stdout
