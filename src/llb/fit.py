"""Fit one program end to end: validate, check data, compile, sample, summarise.

This is ``llb fit`` and, later, the per-program work of ``llb run``. A program that fails at any stage
is an expected outcome: the report carries a status word and a one-line reason, never an exception.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from .compile import CompiledProgram, compile_program
from .data import check_data
from .errors import DataError, ProgramError
from .model import ModelRuntimeError, StanModel
from .sample import Fit, SamplerConfig, sample_nuts
from .summary import summarise
from .toolchain import Toolchain, find_toolchain
from .validate import Validation, validate_program

# Status words, in pipeline order.
OK = "ok"
INVALID = "invalid"  # stanc rejected or llb refused the program
DATA_ERROR = "data_error"  # the data do not match the program's declarations
COMPILE_ERROR = "compile_error"
SAMPLING_ERROR = "sampling_error"


@dataclass(frozen=True)
class FitReport:
    status: str
    reason: str | None
    timings: dict[str, float]
    validation: Validation | None = None
    compiled: CompiledProgram | None = None
    fit: Fit | None = None
    summary: list[dict[str, Any]] = field(default_factory=list)
    log_evidence: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK

    def to_json(self) -> dict[str, Any]:
        """The ``llb fit --json`` document (NaN becomes null)."""
        return _json_safe(
            {
                "status": self.status,
                "reason": self.reason,
                "summary": {row["name"]: {k: v for k, v in row.items() if k != "name"} for row in self.summary},
                "log_evidence": self.log_evidence,
                "diagnostics": self.fit.diagnostics() if self.fit else None,
                "warnings": list(self.validation.warnings) if self.validation else [],
                "messages": self.fit.messages if self.fit else "",
                "compile": {"cache_hit": self.compiled.cache_hit, "key": self.compiled.key} if self.compiled else None,
                "timings": {k: round(v, 4) for k, v in self.timings.items()},
            }
        )


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def fit_program(
    source: str,
    data: dict[str, Any],
    *,
    config: SamplerConfig = SamplerConfig(),
    toolchain: Toolchain | None = None,
) -> FitReport:
    """Validate, compile and sample ``source`` on ``data``; every failure becomes a status."""
    timings: dict[str, float] = {}

    def timed(stage: str, start: float) -> None:
        timings[stage] = time.perf_counter() - start

    start = time.perf_counter()
    validation = validate_program(source, toolchain=toolchain)
    timed("validate", start)
    if not validation.ok or validation.info is None:
        return FitReport(INVALID, validation.error, timings, validation)
    try:
        checked = check_data(data, validation.info)
    except DataError as error:
        return FitReport(DATA_ERROR, str(error), timings, validation)

    start = time.perf_counter()
    try:
        compiled = compile_program(source, toolchain=toolchain or find_toolchain())
    except ProgramError as error:
        timed("compile", start)
        status = INVALID if error.stage == "validate" else COMPILE_ERROR
        return FitReport(status, str(error), timings, validation)
    timed("compile", start)

    start = time.perf_counter()
    try:
        model = StanModel(compiled.library, checked, seed=config.seed)
    except DataError as error:
        timed("load", start)
        return FitReport(DATA_ERROR, str(error), timings, validation, compiled)
    timed("load", start)

    start = time.perf_counter()
    try:
        fit = sample_nuts(model, config)
    except ModelRuntimeError as error:
        timed("sample", start)
        return FitReport(SAMPLING_ERROR, f"sampling failed: {error}", timings, validation, compiled)
    finally:
        model.close()
    timed("sample", start)

    start = time.perf_counter()
    summary = summarise(fit.draws, fit.names)
    timed("summary", start)
    return FitReport(OK, None, timings, validation, compiled, fit, summary)
