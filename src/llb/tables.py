"""Data as a table (a CSV file or a pandas DataFrame): one column per variable, one row per observation.

How a table becomes Stan data, and the declarations inferred for it:

- the row count is ``int<lower=0> N`` (``num_rows`` if a column is already named N, and so on), the size of
  every column;
- a column of integers (or booleans, as 0/1) is ``array[N] int``; any other numeric column, and
  integers beyond Stan's 32-bit int, is ``vector[N]``;
- a column of text is a categorical variable: its distinct values, sorted, are coded 1, 2, ...;
  the column becomes ``array[N] int<lower=1, upper=num_<column>>`` with the levels listed in the
  declaration's comment, beside ``int<lower=1> num_<column>``, the number of levels (what a model
  needs to size one effect per level). A column that mixes numbers and text is refused, naming the
  column and a cell, since it is more likely a typo or a missing-value marker than a category;
- an empty cell is refused: Stan data cannot have gaps.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llb.errors import DataError
from llb.stan.constants import MAX_INT, NUMERIC_LITERAL

_STAN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
INT_MIN, INT_MAX = -MAX_INT - 1, MAX_INT  # Stan's int


@dataclass(frozen=True)
class TableData:
    """A table as Stan data: the values (Stan JSON), the inferred declarations and the text columns' levels."""

    data: dict[str, Any]
    declarations: str
    levels: dict[str, tuple[str, ...]]


def is_table(value: Any) -> bool:
    """Whether ``value`` is a pandas DataFrame (without importing pandas)."""
    return hasattr(value, "columns") and hasattr(value, "to_dict") and hasattr(value, "dtypes")


def csv_frame(text: str, *, source: str) -> Any:
    """A CSV text (a header row of column names, then one row per observation) as a DataFrame."""
    import pandas as pd

    text = text.removeprefix("\ufeff")  # a byte order mark, as spreadsheet programs write
    if not text.strip():
        raise DataError(f"{source} is empty; give a header row of column names and one row per observation")
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except csv.Error as error:
        raise DataError(f"{source} is not a readable CSV table ({error}); save it as CSV with one row per line") from None
    header = [name.strip() for name in rows[0]]
    width = len(header)
    if width == 1 and re.search(r"[;\t|]", header[0]):
        separator = next(c for c in ";\t|" if c in header[0])
        raise DataError(f"{source} seems to be separated by {separator!r}, not commas; save it as CSV with commas between the values")
    repeated = next((name for name in header if header.count(name) > 1), None)
    if repeated is not None:
        raise DataError(f"{source}: two columns are named {repeated!r}; give every column its own name")
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise DataError(f"{source}: line {number} has {len(row)} fields but the header has {width}; give every row one value per column")
    try:
        return pd.read_csv(io.StringIO(text), skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as error:
        detail = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        raise DataError(f"{source} is not a readable CSV table ({detail}); give one header row and rows of equal length") from None


def read_csv_text(text: str, *, source: str) -> TableData:
    """A CSV text as Stan data."""
    return table_data(csv_frame(text, source=source), source=source)


def read_csv_frame(path: Path) -> Any:
    """A CSV file as a DataFrame, with one-line errors for files that are not a readable table."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{path} is not UTF-8 text; save the table as CSV (UTF-8)") from None
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror or error}") from None
    return csv_frame(text, source=str(path))


def table_data(frame: Any, *, source: str) -> TableData:
    """A DataFrame as Stan data, by the rules in this module's docstring."""
    names = [str(name).strip() for name in frame.columns]
    for name in names:
        if not _STAN_NAME.fullmatch(name):
            hint = " (an empty header cell?)" if name.startswith("Unnamed:") or not name else ""
            raise DataError(
                f"{source}: column {name!r}{hint} is not a Stan variable name; name it with letters, digits and _, starting with a letter"
            )
    if len(set(names)) != len(names):
        duplicate = next(name for name in names if names.count(name) > 1)
        raise DataError(f"{source}: two columns are named {duplicate!r}; give every column its own name")
    if len(frame) == 0:
        raise DataError(f"{source} has column names but no rows of data")
    taken = set(names)
    rows = _free_name(["N", "num_rows", "n_rows"], taken)
    data: dict[str, Any] = {rows: len(frame)}
    lines = [f"int<lower=0> {rows}; // rows of the table"]
    levels: dict[str, tuple[str, ...]] = {}
    for name, column in zip(names, (frame[c] for c in frame.columns)):
        kind = column.dtype.kind
        if kind in "biu" and all(INT_MIN <= v <= INT_MAX for v in column.tolist()):
            data[name] = [int(v) for v in column.tolist()]
            lines.append(f"array[{rows}] int {name};")
        elif kind in "biu":  # beyond Stan's 32-bit int: a real
            data[name] = [float(v) for v in column.tolist()]
            lines.append(f"vector[{rows}] {name};")
        elif kind == "f":
            values = column.tolist()
            _no_gaps(name, values, source)
            infinite = next((row for row, v in enumerate(values, start=1) if math.isinf(v)), None)
            if infinite is not None:
                raise DataError(f"{source}: column '{name}' has an infinite value in row {infinite}; give a finite number or drop the row")
            data[name] = [float(v) for v in values]
            lines.append(f"vector[{rows}] {name};")
        else:
            values = column.tolist()
            _no_gaps(name, values, source)
            text = [str(v).strip() for v in values]
            numeric = next((v for v in text if _is_number(v)), None)
            if numeric is not None and all(_is_number(v) for v in text):  # pandas kept integers beyond 64 bits as text
                huge = max(text, key=len)
                raise DataError(
                    f"{source}: column '{name}' holds integers too large to read (such as {huge!r}); write them with a decimal point to make them reals"
                )
            if numeric is not None:
                odd = next(v for v in text if not _is_number(v))
                raise DataError(
                    f"{source}: column '{name}' mixes numbers ({numeric!r}) and text ({odd!r}, row {text.index(odd) + 1}); "
                    "fix the cell, or make the whole column text to use it as categories"
                )
            found = tuple(sorted(set(text)))
            code = {level: index + 1 for index, level in enumerate(found)}
            count = _free_name([f"num_{name}", f"num_{name}_levels", f"n_{name}_levels"], taken)
            data[count] = len(found)
            data[name] = [code[v] for v in text]
            levels[name] = found
            listed = ", ".join(f'{code[level]} = "{level}"' for level in found)
            lines.append(f"int<lower=1> {count}; // number of levels of {name}")
            lines.append(f"array[{rows}] int<lower=1, upper={count}> {name}; // {listed}")
    return TableData(data, "\n".join(lines), levels)


def _free_name(choices: list[str], taken: set[str]) -> str:
    """The first of ``choices`` no column or earlier variable uses (and now taken)."""
    for choice in choices:
        if choice not in taken:
            taken.add(choice)
            return choice
    number = 2
    while f"{choices[0]}_{number}" in taken:
        number += 1
    taken.add(f"{choices[0]}_{number}")
    return f"{choices[0]}_{number}"


def _no_gaps(name: str, values: list[Any], source: str) -> None:
    for row, value in enumerate(values, start=1):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise DataError(
                f"{source}: column '{name}' has a missing value (an empty cell or NA) in row {row}; Stan data cannot have gaps: fill or drop it"
            )


_NUMBER = re.compile(rf"[+-]?(?:{NUMERIC_LITERAL.pattern})")


def _is_number(text: str) -> bool:
    """Whether a cell is a number as a CSV writes one (digits, a decimal point, an exponent)."""
    return _NUMBER.fullmatch(text) is not None
