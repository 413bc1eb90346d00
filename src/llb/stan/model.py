"""Python side of llb's C++ runner: one compiled Stan program with its data, through ctypes.

ctypes was chosen over an extension module because the runner is compiled once per toolchain with
the same compiler as the models, needs no Python headers, and each model library is a plain shared
object any process can load. Every runner entry point catches C++ exceptions and reports them in an
error buffer; they surface here as ``ModelRuntimeError`` or ``DataError``.

Vectors follow Stan's conventions: "unconstrained" points have ``n_unconstrained`` entries; constrained
values are in write_array order (parameters, transformed parameters, generated quantities), each
variable flattened column-major. Names use brackets: ``theta[2]``, ``Sigma[1,2]``.
"""

from __future__ import annotations

import ctypes
import re
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from llb.errors import DataError, LlbError

ABI_VERSION = 4
_ERROR_BUFFER = 8192
_DOUBLE_P = ctypes.POINTER(ctypes.c_double)


class ModelRuntimeError(LlbError):
    """The model threw while evaluating (a reject(), an invalid argument, a numerical failure)."""


@dataclass(frozen=True)
class VariableShape:
    name: str
    shape: tuple[int, ...]
    block: str  # "parameters", "transformed parameters" or "generated quantities"

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class ChainOutput:
    """Raw output of one NUTS chain: sampler columns, constrained and unconstrained draws."""

    sampler: np.ndarray  # (draws, 7): lp__, accept_stat__, stepsize__, treedepth__, n_leapfrog__, divergent__, energy__
    constrained: np.ndarray  # (draws, n_constrained)
    unconstrained: np.ndarray  # (draws, n_unconstrained)
    stepsize: float
    inv_metric: np.ndarray
    messages: str


SAMPLER_COLUMNS = ("lp__", "accept_stat__", "stepsize__", "treedepth__", "n_leapfrog__", "divergent__", "energy__")


def _declare(lib: ctypes.CDLL) -> None:
    vp, ci, cu, cd, cs, sz = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_double, ctypes.c_char_p, ctypes.c_size_t
    signatures: dict[str, tuple[Any, list[Any]]] = {
        "llb_abi_version": (ci, []),
        "llb_sampler_columns": (ci, []),
        "llb_model_names": (cs, []),
        "llb_model_create": (vp, [cs, cs, cu, cs, sz]),
        "llb_model_destroy": (None, [vp]),
        "llb_model_name": (cs, [vp]),
        "llb_messages": (cs, [vp]),
        "llb_num_unconstrained": (ci, [vp]),
        "llb_num_constrained": (ci, [vp, ci, ci]),
        "llb_variables": (cs, [vp, ci, ci]),
        "llb_constrained_names": (cs, [vp, ci, ci]),
        "llb_unconstrained_names": (cs, [vp]),
        "llb_log_density": (ci, [vp, _DOUBLE_P, ci, ci, _DOUBLE_P, _DOUBLE_P, cs, sz]),
        "llb_log_density_batch": (ci, [vp, ci, _DOUBLE_P, _DOUBLE_P, cs, sz]),
        "llb_constrain": (ci, [vp, _DOUBLE_P, ci, ci, cu, _DOUBLE_P, cs, sz]),
        "llb_unconstrain": (ci, [vp, _DOUBLE_P, _DOUBLE_P, cs, sz]),
        "llb_sample_nuts": (
            ci,
            [vp, cu, cu, ci, ci, ci, cd, cd, cd, ci, ci, _DOUBLE_P, cd, _DOUBLE_P, _DOUBLE_P, _DOUBLE_P, _DOUBLE_P, _DOUBLE_P, cs, sz],
        ),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes


def _ptr(array: np.ndarray) -> Any:
    return array.ctypes.data_as(_DOUBLE_P)


def stan_json(data: Mapping[str, Any]) -> str:
    """Data as Stan JSON (numpy arrays become nested lists; inf/nan as JSON's Infinity/NaN)."""

    def convert(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, np.generic):
            return value.item()
        raise TypeError(f"cannot write {type(value).__name__} as Stan data")

    return json.dumps(dict(data), default=convert)


def bracket_name(stan_name: str) -> str:
    """``theta.2.3`` (Stan's flat name) -> ``theta[2,3]``."""
    head, *indices = stan_name.split(".")
    return f"{head}[{','.join(indices)}]" if indices else head


class StanModel:
    """A compiled program instantiated with data. Not thread-safe; one per process or thread.

    ``model`` names the program's model when the library holds several (``CompiledProgram.model``);
    a library of one model needs no name."""

    def __init__(self, library: str | Path, data: Mapping[str, Any] | str | None = None, *, seed: int = 0, model: str | None = None) -> None:
        self.library = Path(library)
        self._lib = ctypes.CDLL(str(self.library))
        _declare(self._lib)
        if self._lib.llb_abi_version() != ABI_VERSION:
            raise LlbError(f"{self.library} was built by another llb version; clear the cache folder and rebuild")
        text = data if isinstance(data, str) else stan_json(data or {})
        error = ctypes.create_string_buffer(_ERROR_BUFFER)
        self._handle = self._lib.llb_model_create((model or "").encode(), text.encode(), seed, error, _ERROR_BUFFER)
        if not self._handle:
            message = error.value.decode(errors="replace")
            if message.startswith("llb runner: the library holds"):  # no such model: llb's mistake, not the data's
                raise LlbError(f"{self.library}: {message.removeprefix('llb runner: ')}")
            raise DataError(describe_data_error(message))
        self.n_unconstrained: int = self._lib.llb_num_unconstrained(self._handle)
        self.variables: tuple[VariableShape, ...] = self._read_variables()
        self.constrained_names: tuple[str, ...] = tuple(
            bracket_name(n) for n in self._split(self._lib.llb_constrained_names(self._handle, 1, 1))
        )
        self.unconstrained_names: tuple[str, ...] = tuple(
            bracket_name(n) for n in self._split(self._lib.llb_unconstrained_names(self._handle))
        )
        self.n_parameters = self._lib.llb_num_constrained(self._handle, 0, 0)
        self.n_constrained = len(self.constrained_names)

    # -- description -------------------------------------------------------------------------
    @staticmethod
    def _split(raw: bytes) -> list[str]:
        text = raw.decode()
        return text.split(",") if text else []

    def _read_variables(self) -> tuple[VariableShape, ...]:
        def parse(raw: bytes) -> list[tuple[str, tuple[int, ...]]]:
            text = raw.decode()
            items = []
            for entry in text.split(";") if text else []:
                name, dims = entry.split(":")
                items.append((name, tuple(int(d) for d in dims.split(",")) if dims else ()))
            return items

        params = parse(self._lib.llb_variables(self._handle, 0, 0))
        with_tp = parse(self._lib.llb_variables(self._handle, 1, 0))
        everything = parse(self._lib.llb_variables(self._handle, 1, 1))
        blocks = ["parameters"] * len(params)
        blocks += ["transformed parameters"] * (len(with_tp) - len(params))
        blocks += ["generated quantities"] * (len(everything) - len(with_tp))
        return tuple(VariableShape(name, shape, block) for (name, shape), block in zip(everything, blocks))

    @property
    def name(self) -> str:
        return self._lib.llb_model_name(self._handle).decode()

    @property
    def library_models(self) -> tuple[str, ...]:
        """The names of every model in this model's library."""
        return tuple(self._split(self._lib.llb_model_names()))

    def messages(self) -> str:
        """Text the model printed since the last call (print(), warnings), capped in size."""
        return self._lib.llb_messages(self._handle).decode(errors="replace")

    # -- densities and transforms --------------------------------------------------------------
    def _unconstrained(self, theta: Any) -> np.ndarray:
        array = np.ascontiguousarray(theta, dtype=np.float64)
        if array.shape != (self.n_unconstrained,):
            raise ValueError(f"expected {self.n_unconstrained} unconstrained values, got shape {array.shape}")
        return array

    def log_density(self, theta: Any, *, propto: bool = False, jacobian: bool = True) -> float:
        """log p(theta, data) at an unconstrained point; by default every constant kept, with Jacobian."""
        array = self._unconstrained(theta)
        value = ctypes.c_double()
        error = ctypes.create_string_buffer(_ERROR_BUFFER)
        rc = self._lib.llb_log_density(self._handle, _ptr(array), int(propto), int(jacobian), ctypes.byref(value), None, error, _ERROR_BUFFER)
        if rc != 0:
            raise ModelRuntimeError(error.value.decode(errors="replace"))
        return value.value

    def log_density_gradient(self, theta: Any, *, propto: bool = False, jacobian: bool = True) -> tuple[float, np.ndarray]:
        array = self._unconstrained(theta)
        value = ctypes.c_double()
        gradient = np.zeros(self.n_unconstrained)
        error = ctypes.create_string_buffer(_ERROR_BUFFER)
        rc = self._lib.llb_log_density(
            self._handle, _ptr(array), int(propto), int(jacobian), ctypes.byref(value), _ptr(gradient), error, _ERROR_BUFFER
        )
        if rc != 0:
            raise ModelRuntimeError(error.value.decode(errors="replace"))
        return value.value, gradient

    def log_density_many(self, thetas: Any) -> np.ndarray:
        """Fully normalised log density (with Jacobian) at each row; -inf where the model rejects."""
        array = np.ascontiguousarray(thetas, dtype=np.float64)
        if array.ndim != 2 or array.shape[1] != self.n_unconstrained:
            raise ValueError(f"expected an (n, {self.n_unconstrained}) array, got shape {array.shape}")
        out = np.empty(array.shape[0])
        error = ctypes.create_string_buffer(_ERROR_BUFFER)
        rc = self._lib.llb_log_density_batch(self._handle, array.shape[0], _ptr(array), _ptr(out), error, _ERROR_BUFFER)
        if rc != 0:
            raise ModelRuntimeError(error.value.decode(errors="replace"))
        return out

    def constrain(self, theta: Any, *, include_tp: bool = True, include_gq: bool = True, seed: int = 0) -> np.ndarray:
        array = self._unconstrained(theta)
        size = self._lib.llb_num_constrained(self._handle, int(include_tp), int(include_gq))
        out = np.zeros(size)
        error = ctypes.create_string_buffer(_ERROR_BUFFER)
        rc = self._lib.llb_constrain(self._handle, _ptr(array), int(include_tp), int(include_gq), seed, _ptr(out), error, _ERROR_BUFFER)
        if rc != 0:
            raise ModelRuntimeError(error.value.decode(errors="replace"))
        return out

    def unconstrain(self, values: Any) -> np.ndarray:
        """Parameter values (write_array order, parameters only) -> unconstrained point."""
        array = np.ascontiguousarray(values, dtype=np.float64)
        if array.shape != (self.n_parameters,):
            raise ValueError(f"expected {self.n_parameters} parameter values, got shape {array.shape}")
        out = np.zeros(self.n_unconstrained)
        error = ctypes.create_string_buffer(_ERROR_BUFFER)
        rc = self._lib.llb_unconstrain(self._handle, _ptr(array), _ptr(out), error, _ERROR_BUFFER)
        if rc != 0:
            raise ModelRuntimeError(error.value.decode(errors="replace"))
        return out

    # -- sampling ----------------------------------------------------------------------------
    def sample_chain(
        self,
        *,
        seed: int,
        chain: int,
        num_warmup: int,
        num_draws: int,
        max_depth: int = 10,
        adapt_delta: float = 0.8,
        init_radius: float = 2.0,
        max_seconds: float = 0.0,
        init: np.ndarray | None = None,
        init_stepsize: float | None = None,
        init_inv_metric: np.ndarray | None = None,
        dense: bool = False,
        adapt_metric: bool = True,
    ) -> ChainOutput:
        """One chain of Stan's NUTS with a diagonal metric (diag_e) or, with ``dense``, a dense one
        (dense_e). Raises ModelRuntimeError if it fails.

        ``init`` (an unconstrained point), ``init_stepsize`` and ``init_inv_metric`` (n values, or
        an n x n covariance when dense) start the chain where an earlier one ended its adaptation (a
        warm start); otherwise Stan's defaults apply. Warmup adapts the step size and, with
        ``adapt_metric``, the metric in Stan's windows; without it the given metric is kept."""
        n = self.n_unconstrained
        metric_shape = (n, n) if dense else (n,)
        warm_point = None if init is None else np.ascontiguousarray(init, dtype=float)
        warm_metric = None if init_inv_metric is None else np.ascontiguousarray(init_inv_metric, dtype=float)
        if warm_metric is not None and dense and warm_metric.shape == metric_shape:
            warm_metric = np.ascontiguousarray((warm_metric + warm_metric.T) / 2)  # exactly symmetric, as Stan checks
        for array, what, shape in ((warm_point, "init", (n,)), (warm_metric, "init_inv_metric", metric_shape)):
            if array is not None and array.shape != shape:
                raise ValueError(f"{what} must have shape {shape} (from the model's {n} unconstrained values), not {array.shape}")
        if warm_metric is not None and not usable_metric(warm_metric):
            warm_metric = None
        if not adapt_metric and warm_metric is None:
            raise ValueError("a fixed metric (adapt_metric=False) needs init_inv_metric")
        width = len(SAMPLER_COLUMNS) + self.n_constrained
        draws = np.zeros((num_draws, width))
        unconstrained = np.zeros((num_draws, n))
        stepsize = ctypes.c_double(float("nan"))
        inv_metric = np.full(metric_shape, np.nan)
        error = ctypes.create_string_buffer(_ERROR_BUFFER)
        rc = self._lib.llb_sample_nuts(
            self._handle, seed, chain, num_warmup, num_draws, max_depth, adapt_delta, init_radius, max_seconds,
            int(dense), int(adapt_metric),
            _ptr(warm_point) if warm_point is not None else None, float(init_stepsize or 0.0),
            _ptr(warm_metric) if warm_metric is not None else None,
            _ptr(draws), _ptr(unconstrained), ctypes.byref(stepsize), _ptr(inv_metric), error, _ERROR_BUFFER,
        )  # fmt: skip
        messages = self.messages()
        if rc != 0:
            raise ModelRuntimeError(_failure_reason(error.value.decode(errors="replace"), messages))
        ncols = len(SAMPLER_COLUMNS)
        return ChainOutput(draws[:, :ncols], draws[:, ncols:], unconstrained, stepsize.value, inv_metric, messages)

    # -- lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        if getattr(self, "_handle", None):
            self._lib.llb_model_destroy(self._handle)
            self._handle = None

    def __del__(self) -> None:
        self.close()

    def __enter__(self) -> "StanModel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def usable_metric(inv_metric: np.ndarray) -> bool:
    """Whether an inverse metric (a vector of variances, or a covariance matrix) is finite and positive definite."""
    if not np.all(np.isfinite(inv_metric)):
        return False
    if inv_metric.ndim == 1:
        return bool(np.all(inv_metric > 0))
    if not np.array_equal(inv_metric, inv_metric.T):
        return False
    try:
        np.linalg.cholesky(inv_metric)
    except np.linalg.LinAlgError:
        return False
    return True


def _failure_reason(error: str, messages: str) -> str:
    """One line: the sampler's verdict and the model's last exception (a reject() message, a bad argument)."""
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    reason = lines[-1] if lines else "sampler failed"
    exceptions = [line.strip() for line in messages.splitlines() if line.strip().startswith("Exception:")]
    if exceptions:
        cause = exceptions[-1].removeprefix("Exception:").strip()
        if cause not in reason:
            reason = f"{reason.rstrip('.')}: {cause}"
    return reason


def describe_data_error(message: str) -> str:
    """Stan's data-reading exceptions, rephrased to name the variable and what to fix."""

    where = re.search(r"variable name=([\w.]+)", message)
    name = where.group(1) if where else None
    declared = re.search(r"dims declared=\(([^)]*)\)", message)
    found = re.search(r"dims found=\(([^)]*)\)", message)
    if name and declared and found:
        return (
            f"data variable '{name}' has shape ({found.group(1)}) but the program declares "
            f"({declared.group(1)}); fix data.json or the declaration"
        )
    if name and "variable does not exist" in message:
        return f"data variable '{name}' is missing; add it to data.json"
    if name and "int variable contained non-int values" in message:
        return f"data variable '{name}' must hold integers but has non-integer values; fix data.json"
    text = message.replace("Exception: ", "").strip()
    return f"the data do not fit the program: {text.splitlines()[0] if text else 'unknown error'}"
