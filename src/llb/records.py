"""Typed records to and from JSON, so that what crosses a process or lands in a file has a schema.

``to_json`` turns a dataclass (recursively) into JSON-able data: tuples become lists, non-finite
floats become null, fields marked ``metadata={"json": False}`` (arrays kept beside the file) are
left out. ``from_json`` rebuilds the dataclass from its annotations, so a record read back from a
run folder is the record that was written, with its types.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T")


def to_json(value: Any) -> Any:
    """JSON-able data for a record, a container of records, or a plain value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: to_json(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if field.metadata.get("json", True)
        }
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        return to_json(value.item())
    return value


def from_json(cls: type[T], document: Any) -> T:
    """The ``cls`` record ``document`` (as written by ``to_json``) describes; unknown keys are ignored."""
    if not isinstance(document, dict):
        raise ValueError(f"a {cls.__name__} record must be a JSON object, not {type(document).__name__}")
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in document and field.metadata.get("json", True):
            values[field.name] = _convert(hints[field.name], document[field.name])
    return cls(**values)


def _convert(annotation: Any, value: Any) -> Any:
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in arguments:
            return None
        (inner,) = [argument for argument in arguments if argument is not type(None)][:1] or (Any,)
        return _convert(inner, value)
    if annotation is Any or value is None and annotation is not float:
        return value
    if dataclasses.is_dataclass(annotation):
        return from_json(annotation, value)  # type: ignore[arg-type]
    if annotation is float:
        return math.nan if value is None else float(value)
    if origin is tuple:
        inner = arguments[0] if arguments else Any
        return tuple(_convert(inner, item) for item in value)
    if origin is list:
        inner = arguments[0] if arguments else Any
        return [_convert(inner, item) for item in value]
    if origin is dict:
        inner = arguments[1] if len(arguments) == 2 else Any
        return {key: _convert(inner, item) for key, item in value.items()}
    return value
