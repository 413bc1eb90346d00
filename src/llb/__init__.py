"""llb: calibrated Bayesian answers from an informal problem description and data.

Large Language Bayes (Domke, 2025): an LLM writes many candidate Stan programs, each is fitted with
NUTS and weighted by its marginal likelihood, and the posteriors of the quantity of interest are
averaged with those weights.

    import llb
    problem = llb.load_problem("examples/coin_penny")
    result = llb.run(problem)          # a RunResult: result.models, result.posterior["llb"], ...
    fit = llb.fit("model.stan", data)  # one program: a FitResult

The names below are imported when first used, so ``import llb`` (and the CLI) start quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from llb.version import __version__

_EXPORTS = {
    "Problem": "llb.problem",
    "load_problem": "llb.problem",
    "ProblemError": "llb.problem",
    "fit": "llb.api",
    "run": "llb.api",
    "open_run": "llb.api",
    "FitResult": "llb.api",
    "RunResult": "llb.api",
    "ProgramView": "llb.api",
    "EvidenceEstimate": "llb.api",
    "LLM": "llb.llm.backend",
    "LlmError": "llb.llm.backend",
    "Progress": "llb.progress",
    "ConsoleProgress": "llb.progress",
    "LlbError": "llb.errors",
    "DataError": "llb.errors",
    "ProgramError": "llb.errors",
    "ToolchainError": "llb.errors",
}

__all__ = [
    "__version__", "Problem", "load_problem", "ProblemError", "fit", "run", "open_run", "FitResult", "RunResult",
    "ProgramView", "EvidenceEstimate", "LLM", "LlmError", "Progress", "ConsoleProgress", "LlbError", "DataError",
    "ProgramError", "ToolchainError",
]  # fmt: skip
assert set(__all__) == {"__version__", *_EXPORTS}

if TYPE_CHECKING:  # pragma: no cover
    from llb.api import EvidenceEstimate, FitResult, ProgramView, RunResult, fit, open_run, run
    from llb.errors import DataError, LlbError, ProgramError, ToolchainError
    from llb.llm.backend import LLM, LlmError
    from llb.problem import Problem, ProblemError, load_problem
    from llb.progress import ConsoleProgress, Progress


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
