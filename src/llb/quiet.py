"""Library warnings never reach llb's users.

ArviZ announces a refactor with a FutureWarning once a day, numpy warns on overflow in densities llb
evaluates on purpose, matplotlib and Dask have their own: none of it is something an llb user can
act on. ``quiet`` wraps each public entry point; what matters reaches users as statuses, reasons and
llb's own warnings in results. ``llb -v`` leaves warnings on.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def quiet(function: F) -> F:
    """``function`` with every warning raised while it runs suppressed."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
