"""Read Stan JSON data and check it against what a program declares, naming the variable at fault.

Checks done here need only stanc's ``--info`` (no compiled model): every declared input is present,
has the declared number of dimensions, and integer inputs hold integers. Exact sizes are checked by
Stan itself when the model is built (see ``model.describe_data_error``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from llb.files import read_text_file
from llb.errors import DataError
from llb.stan.validate import ProgramInfo


def load_data(path: str | Path) -> dict[str, Any]:
    """Read a Stan JSON data file into a dict; malformed files give a one-line DataError."""
    path = Path(path)
    text = read_text_file(path, error=DataError, what="data file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    if not isinstance(data, dict):
        raise DataError(f"{path} must hold a JSON object mapping variable names to values")
    return data


def value_shape(value: Any, name: str) -> tuple[int, ...]:
    """Shape of a nested-list value; ragged or non-numeric values are a DataError."""
    if isinstance(value, bool):
        raise DataError(f"data variable '{name}' is a boolean; use 0 or 1")
    if isinstance(value, (int, float)):
        return ()
    if isinstance(value, str):
        if value.lower() in {"inf", "+inf", "-inf", "infinity", "-infinity", "nan"}:
            return ()
        raise DataError(f"data variable '{name}' holds the string {value!r}; use numbers")
    if isinstance(value, list):
        if not value:
            return (0,)
        shapes = {value_shape(item, name) for item in value}
        if len(shapes) != 1:
            raise DataError(f"data variable '{name}' is a ragged array; every row must have the same length")
        return (len(value), *shapes.pop())
    if value is None:
        raise DataError(f"data variable '{name}' is null; give a number or remove the variable")
    raise DataError(f"data variable '{name}' has a value of type {type(value).__name__}; use numbers or lists")


def check_data(data: dict[str, Any], info: ProgramInfo) -> dict[str, Any]:
    """Data restricted to the program's inputs, with integral floats for int inputs made ints.

    Raises DataError naming the first variable that is missing or has the wrong rank or type.
    """
    checked: dict[str, Any] = {}
    for variable in info.inputs:
        if variable.name not in data:
            raise DataError(f"data variable '{variable.name}' is missing; the program declares it, so add it to the data")
        value = data[variable.name]
        shape = value_shape(value, variable.name)
        empty = 0 in shape
        if len(shape) != variable.ndim and not (empty and len(shape) <= variable.ndim):
            raise DataError(
                f"data variable '{variable.name}' has {len(shape)} dimension(s) but the program declares "
                f"{variable.ndim}; fix its value or its declaration"
            )
        if variable.base_type == "int":
            value = _as_int(value, variable.name)
        checked[variable.name] = value
    return checked


def _as_int(value: Any, name: str) -> Any:
    if isinstance(value, list):
        return [_as_int(item, name) for item in value]
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    raise DataError(f"data variable '{name}' must hold integers but has the value {value!r}")
