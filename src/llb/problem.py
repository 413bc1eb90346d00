"""The problem folder: ``problem.toml`` (text, goal, optional data_declarations) and ``data.json``.

When ``data_declarations`` is absent they are inferred from data.json: int or real from the values
(a number written with a decimal point is real), arrays from the nesting (a two-dimensional table of
reals becomes a matrix), and sizes named by the first integer data variable whose value matches.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .data import load_data, value_shape
from .files import read_text_file
from .errors import DataError, LlbError
from .stan_syntax import Declaration, evaluate_size, parse_declarations


class ProblemError(LlbError):
    """The problem folder is missing something or is malformed."""


@dataclass(frozen=True)
class Problem:
    root: Path
    text: str
    goal: Declaration
    goal_text: str  # the goal as the user wrote it (with its comment)
    data_declarations: str  # as written in problem.toml, or inferred
    declarations_inferred: bool
    data: dict[str, Any]

    @property
    def goal_shape(self) -> tuple[int, ...] | None:
        """The goal's shape from the data, or None when a size is not a literal or data variable."""
        sizes = [evaluate_size(dim, self.data) for dim in self.goal.dims]
        return None if any(size is None for size in sizes) else tuple(sizes)  # type: ignore[misc]


def load_problem(path: str | Path) -> Problem:
    root = Path(path)
    if root.is_file():
        raise ProblemError(f"{root} is a file; give the problem folder that holds problem.toml and data.json")
    if not root.is_dir():
        raise ProblemError(f"problem folder {root} does not exist; give a folder with problem.toml and data.json")
    toml_path = root / "problem.toml"
    if not toml_path.exists():
        raise ProblemError(f"{root} has no problem.toml; add one with `text` and `goal` (see examples/)")
    try:
        spec = tomllib.loads(read_text_file(toml_path, error=ProblemError, what="problem.toml"))
    except tomllib.TOMLDecodeError as error:
        raise ProblemError(f"{toml_path} is not valid TOML: {error}") from None
    for key in ("text", "goal"):
        if not isinstance(spec.get(key), str) or not spec[key].strip():
            raise ProblemError(f"{toml_path} needs a `{key}` string")
    data_path = root / "data.json"
    if not data_path.exists():
        raise ProblemError(f"{root} has no data.json; add the data in Stan JSON format")
    data = load_data(data_path)
    goal_text = spec["goal"].strip()
    goals = parse_declarations(goal_text)
    if len(goals) != 1:
        raise ProblemError(
            f"`goal` in {toml_path} must be one Stan declaration such as `real<lower=0, upper=1> bias;`, got {goal_text!r}"
        )
    declarations = spec.get("data_declarations")
    if declarations is not None and not isinstance(declarations, str):
        raise ProblemError(f"`data_declarations` in {toml_path} must be a string of Stan declarations")
    inferred = not (isinstance(declarations, str) and declarations.strip())
    if inferred:
        declarations = infer_data_declarations(data)
    else:
        check_declared_data(parse_declarations(declarations), data, source=str(data_path))
    check_declarations_with_stanc(declarations, goal_text, toml_path, inferred=inferred)
    return Problem(root, spec["text"].strip(), goals[0], goal_text, declarations.strip(), inferred, data)


def check_declarations_with_stanc(declarations: str, goal: str, toml_path: Path, *, inferred: bool) -> None:
    """stanc's verdict on the data declarations and the goal, as a one-line ProblemError."""
    from .validate import validate_program

    checked = validate_program(f"data {{\n{declarations}\n}}\n")
    if not checked.ok:
        where = "the data declarations inferred from data.json" if inferred else f"`data_declarations` in {toml_path}"
        raise ProblemError(f"{where} are not valid Stan declarations: {_message(checked.error)}")
    # a size the data do not declare may be one the programs compute (in transformed data): an int here
    declared = {d.name for d in parse_declarations(declarations)}
    sizes = {name for d in parse_declarations(goal) for size in d.dims for name in re.findall(r"[A-Za-z][A-Za-z0-9_]*", size)}
    extra = "".join(f"int {name};\n" for name in sorted(sizes - declared) if name not in _SIZE_FUNCTIONS)
    statement = goal.strip() if goal.strip().endswith(";") or "//" in goal else goal.strip() + ";"
    checked = validate_program(f"data {{\n{declarations}\n{extra}}}\ngenerated quantities {{\n{statement}\n}}\n")
    if not checked.ok:
        raise ProblemError(
            f"`goal` in {toml_path} is not a valid Stan declaration ({_message(checked.error)}); write it as, "
            "for example, `real<lower=0, upper=1> bias;` or `vector[N] temperature;` with sizes from the data"
        )


_SIZE_FUNCTIONS = {"size", "num_elements", "rows", "cols", "max", "min", "sum", "to_int"}


def _message(error: str | None) -> str:
    """stanc's message without its position, which refers to llb's test program, not the user's file."""
    text = error or "rejected"
    return text.split(": ", 1)[1] if ": " in text else text


def check_declared_data(declarations: list[Declaration], data: dict[str, Any], *, source: str) -> None:
    """Every declared variable is in the data with the declared rank, type and (where known) sizes."""
    for declaration in declarations:
        name = declaration.name
        if name not in data:
            raise DataError(f"{source} lacks '{name}', which data_declarations declares; add it or remove the declaration")
        shape = value_shape(data[name], name)
        if len(shape) != declaration.ndim and not (0 in shape and len(shape) <= declaration.ndim):
            raise DataError(
                f"'{name}' in {source} has {len(shape)} dimension(s) but is declared as `{declaration.declaration_text()}`"
            )
        for axis, (dim, actual) in enumerate(zip(declaration.dims, shape)):
            expected = evaluate_size(dim, data)
            if expected is not None and expected != actual:
                raise DataError(
                    f"'{name}' in {source} has {actual} entries along dimension {axis + 1} but `{dim}` is {expected}"
                )
        if declaration.base_type == "int" and not _all_integers(data[name]):
            raise DataError(f"'{name}' in {source} is declared int but holds non-integer values")


def _all_integers(value: Any) -> bool:
    if isinstance(value, list):
        return all(_all_integers(item) for item in value)
    return isinstance(value, int) and not isinstance(value, bool) or (isinstance(value, float) and value.is_integer())


def infer_data_declarations(data: dict[str, Any]) -> str:
    """Stan declarations for data.json's variables, one per line: scalars first (in the file's order),
    so that an array's size may name any int scalar equal to it."""
    size_names: dict[int, str] = {}
    for name, value in data.items():
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            size_names.setdefault(value, name)
    lines = []
    ordered = sorted(data.items(), key=lambda item: bool(value_shape(item[1], item[0])))
    for name, value in ordered:
        shape = value_shape(value, name)
        base = "int" if _all_integers(value) and not _has_float(value) else "real"
        if not shape:
            lines.append(f"{base} {name};")
            continue
        dims = ", ".join(size_names.get(size, str(size)) for size in shape)
        if base == "real" and len(shape) == 2:
            lines.append(f"matrix[{dims}] {name};")  # a table of reals: the natural Stan type for regressors
        else:
            lines.append(f"array[{dims}] {base} {name};")
    return "\n".join(lines)


def _has_float(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_float(item) for item in value)
    return isinstance(value, float)
