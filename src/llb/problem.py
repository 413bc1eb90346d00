"""The problem folder: ``problem.toml`` (text, goal, optional data_declarations) and the data,
``data.json`` (Stan JSON) or ``data.csv`` (a table, read as tables.py says).

When ``data_declarations`` is absent they are inferred from the data; for data.json: int or real from the values
(a number written with a decimal point is real), arrays from the nesting (a two-dimensional table of
reals becomes a matrix), and sizes named by an integer data variable whose value matches and whose
name says it is a count (N, K, num_schools, n_obs, ...; an int named prior_sd never names a size).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from llb.stan.data import load_data, value_shape
from llb.files import read_text_file
from llb.errors import DataError, LlbError
from llb.tables import INT_MAX, INT_MIN, is_table, read_csv_frame, table_data
from llb.analysis.stan_syntax import Declaration, evaluate_size, parse_declarations


class ProblemError(LlbError):
    """The problem folder is missing something or is malformed."""


@dataclass(frozen=True)
class Problem:
    """A problem: its text, the goal (one Stan declaration) and the data.

    ``data`` may be a dict (values: numbers, nested lists, numpy arrays, pandas Series) or a pandas
    DataFrame (one variable per column and ``N`` the number of rows; text columns become integer
    codes: see tables.py), read as a problem folder's data.csv is.
    ``data_declarations`` (Stan declarations of the data) are inferred from the data when omitted.
    Everything is checked when the problem is made, with one-line ProblemError/DataError messages.
    """

    text: str
    goal: str  # as the user wrote it (with its comment)
    data: dict[str, Any] = field(default_factory=dict)
    data_declarations: str | None = None
    root: Path | None = None  # the problem folder, when it was read from one
    goal_declaration: Declaration = field(init=False, repr=False, compare=False)
    declarations_inferred: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"in {self.root / 'problem.toml'}" if self.root is not None else "given to llb.Problem"
        if not isinstance(self.text, str) or not self.text.strip():
            raise ProblemError(f"the problem's `text` {where} must be a non-empty string describing the problem")
        if not isinstance(self.goal, str) or not self.goal.strip():
            raise ProblemError(f"the problem's `goal` {where} must be a Stan declaration such as `real<lower=0, upper=1> bias;`")
        source = f"the data {where}" if self.root is None else str(self.root / self.data_file)
        table = table_data(self.data, source=source) if is_table(self.data) else None
        data = table.data if table is not None else stan_data(self.data, source=source)
        goal_text = self.goal.strip()
        goals = parse_declarations(goal_text)
        if len(goals) != 1:
            raise ProblemError(f"`goal` {where} must be one Stan declaration such as `real<lower=0, upper=1> bias;`, got {goal_text!r}")
        declarations = self.data_declarations
        if declarations is not None and not isinstance(declarations, str):
            raise ProblemError(f"`data_declarations` {where} must be a string of Stan declarations")
        inferred = not (isinstance(declarations, str) and declarations.strip())
        if inferred:
            declarations = table.declarations if table is not None else infer_data_declarations(data)
        else:
            assert declarations is not None
            check_declared_data(parse_declarations(declarations), data, source=str(self.root / self.data_file) if self.root else "the data")
        check_declarations_with_stanc(declarations, goal_text, where, inferred=inferred)
        for name, value in (("text", self.text.strip()), ("goal", goal_text), ("data", data), ("data_declarations", declarations.strip())):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "goal_declaration", goals[0])
        object.__setattr__(self, "declarations_inferred", inferred)

    @property
    def data_file(self) -> str:
        """The name of the problem folder's data file (``data.csv`` if there is one, else ``data.json``)."""
        return "data.csv" if self.root is not None and (self.root / "data.csv").exists() else "data.json"

    @property
    def goal_shape(self) -> tuple[int, ...] | None:
        """The goal's shape from the data, or None when a size is not a literal or data variable."""
        sizes = [evaluate_size(dim, self.data) for dim in self.goal_declaration.dims]
        known = [size for size in sizes if size is not None]
        return tuple(known) if len(known) == len(sizes) else None

    @property
    def digest(self) -> str:
        """A hash of the text, goal and data: which problem a run folder answers."""
        text = json.dumps([self.text, self.goal, self.data], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def name(self) -> str:
        """The folder's name, or ``problem`` for a problem made in Python (names the default run folder)."""
        return self.root.resolve().name if self.root is not None else "problem"


def load_problem(path: str | Path) -> Problem:
    """The problem in a folder: ``problem.toml`` (text, goal, optional data_declarations) and ``data.json``."""
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
    json_path, csv_path = root / "data.json", root / "data.csv"
    if json_path.exists() and csv_path.exists():
        raise ProblemError(f"{root} has both data.json and data.csv; keep the one that holds the data")
    if not json_path.exists() and not csv_path.exists():
        raise ProblemError(f"{root} has no data; add data.json (Stan JSON) or data.csv (a table with a header row)")
    declarations = spec.get("data_declarations")
    if declarations is not None and not isinstance(declarations, str):
        raise ProblemError(f"`data_declarations` in {toml_path} must be a string of Stan declarations")
    data = load_data(json_path) if json_path.exists() else read_csv_frame(csv_path)
    return Problem(spec["text"], spec["goal"], data, declarations, root=root)


def stan_data(data: Any, *, source: str) -> dict[str, Any]:
    """Data as Stan JSON values (Python ints, floats and nested lists) from a dict or a DataFrame (tables.py)."""
    if is_table(data):
        return table_data(data, source=source).data
    if not isinstance(data, Mapping):
        raise DataError(f"{source} must be a dict of variable names to values or a pandas DataFrame, not {type(data).__name__}")
    converted = {}
    for name, value in data.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise DataError(f"{source}: {name!r} is not a Stan variable name (letters, digits and _, starting with a letter)")
        converted[name] = _stan_value(value, name)
    return converted


def _stan_value(value: Any, name: str) -> Any:
    if hasattr(value, "to_numpy"):  # a pandas Series
        value = value.to_numpy()
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # a numpy array or scalar
        if value.dtype.kind not in "biuf":
            raise DataError(f"data variable '{name}' holds {value.dtype} values; use numbers")
        if value.dtype.kind == "f" and np.isnan(value).any():
            raise DataError(f"data variable '{name}' has missing values (NaN); Stan data cannot have gaps: drop or impute them")
        value = value.astype(int).tolist() if value.dtype.kind == "b" else value.tolist()
    elif isinstance(value, (list, tuple)):
        value = [_stan_value(item, name) for item in value]
    elif isinstance(value, float) and math.isnan(value):
        raise DataError(f"data variable '{name}' is NaN; Stan data cannot have gaps: drop or impute it")
    value_shape(value, name)  # ragged, strings, None: a one-line DataError
    return value


def check_declarations_with_stanc(declarations: str, goal: str, where: str, *, inferred: bool) -> None:
    """stanc's verdict on the data declarations and the goal, as a one-line ProblemError."""
    from llb.stan.validate import validate_program

    checked = validate_program(f"data {{\n{declarations}\n}}\n")
    if not checked.ok:
        which = "the data declarations inferred from the data" if inferred else f"`data_declarations` {where}"
        raise ProblemError(f"{which} are not valid Stan declarations: {_message(checked.error)}")
    # a size the data do not declare may be one the programs compute (in transformed data): an int here
    declared = {d.name for d in parse_declarations(declarations)}
    sizes = {name for d in parse_declarations(goal) for size in d.dims for name in re.findall(r"[A-Za-z][A-Za-z0-9_]*", size)}
    extra = "".join(f"int {name};\n" for name in sorted(sizes - declared) if name not in _SIZE_FUNCTIONS)
    statement = goal.strip() if goal.strip().endswith(";") or "//" in goal else goal.strip() + ";"
    checked = validate_program(f"data {{\n{declarations}\n{extra}}}\ngenerated quantities {{\n{statement}\n}}\n")
    if not checked.ok:
        raise ProblemError(
            f"`goal` {where} is not a valid Stan declaration ({_message(checked.error)}); write it as, "
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
    candidates = [(name, value) for name, value in data.items() if isinstance(value, int) and not isinstance(value, bool) and value >= 0]
    for name, value in sorted(candidates, key=lambda item: _size_rank(item[0])):
        if _size_rank(name) < len(_SIZE_NAME_PATTERNS):
            size_names.setdefault(value, name)
    lines = []
    ordered = sorted(data.items(), key=lambda item: bool(value_shape(item[1], item[0])))
    for name, value in ordered:
        shape = value_shape(value, name)
        base = "int" if _all_integers(value) and not _has_float(value) and _fits_int(value) else "real"
        if not shape:
            lines.append(f"{base} {name};")
            continue
        dims = ", ".join(size_names.get(size, str(size)) for size in shape)
        if base == "real" and len(shape) == 2:
            lines.append(f"matrix[{dims}] {name};")  # a table of reals: the natural Stan type for regressors
        else:
            lines.append(f"array[{dims}] {base} {name};")
    return "\n".join(lines)


# Names that say "a count of things" (N, K, num_schools, n_obs, ...), best first; an int whose name is
# not one of these (prior_sd = 2) never names a size: the size is written as a number instead.
_SIZE_NAME_PATTERNS = (
    r"[A-Z]",
    r"[A-Z][A-Za-z0-9]*_?[A-Za-z0-9]*",
    r"(n|num|number|count|size|len|length)(_[A-Za-z0-9_]+|[A-Z][A-Za-z0-9_]*)",
    r"[A-Za-z0-9_]+_(count|size|len|length|n|num)",
)


def _size_rank(name: str) -> int:
    """How much ``name`` looks like a size (0: most; len(_SIZE_NAME_PATTERNS): not at all)."""
    return next((rank for rank, pattern in enumerate(_SIZE_NAME_PATTERNS) if re.fullmatch(pattern, name)), len(_SIZE_NAME_PATTERNS))


def _fits_int(value: Any) -> bool:
    """Whether every number fits Stan's 32-bit int (a larger integer is inferred as real)."""
    if isinstance(value, list):
        return all(_fits_int(item) for item in value)
    return INT_MIN <= value <= INT_MAX


def _has_float(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_float(item) for item in value)
    return isinstance(value, float)
