"""What one program's fit leaves behind, as typed plain data.

A ``ProgramOutcome`` crosses from the worker process (or Dask worker) to the run, is written to
``models/<id>/result.json`` and is read back when a run resumes or is opened. It groups what it
says by stage (the prior's analysis, the sampler, the evidence), so a new check adds to its stage's
record rather than a loose key to a dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llb.pipeline.normaliser import PriorNormaliser
from llb.pipeline.program import FitReport
from llb.records import to_json
from llb.stats.evidence import Evidence

MESSAGES_KEPT = 20_000  # characters of a program's printed output kept in its record
MEMORY_ERROR = "memory_error"


@dataclass(frozen=True)
class Diagnostics:
    """How NUTS did on the draws the posterior and the evidence come from."""

    divergences: int
    max_treedepth_hits: int
    mean_treedepth: float
    stepsize: tuple[float, ...]
    mean_accept_stat: float
    e_bfmi: tuple[float, ...]  # per chain; < 0.3 is a warning
    adapt_delta: float | None = None  # the target the final fit used (raised when there were divergences)
    max_rhat: float | None = None  # over every constrained scalar
    metric: str = "diag"  # NUTS's metric: "diag", or "dense" when strongly correlated draws needed one


@dataclass(frozen=True)
class PriorFindings:
    """What was proved, corrected or doubted about the prior and the likelihood."""

    corrections: tuple[str, ...] = ()  # what was done to make the evidence that of a normalised model
    unproven: tuple[str, ...] = ()  # why the prior's normalisation had to be estimated numerically
    likelihood_concerns: tuple[str, ...] = ()  # why the evidence may not be comparable with others'
    normaliser: PriorNormaliser | None = None  # the numerical estimate of log Z_prior, if one was made


@dataclass(frozen=True)
class ProgramOutcome:
    """One distinct program's result: its status and reason, evidence, diagnostics and goal draws."""

    key: str
    status: str
    reason: str | None
    log_evidence: float | None = None  # the estimate with the prior's corrections
    log_evidence_se: float | None = None  # its Monte Carlo error, the normaliser's included
    evidence: Evidence | None = None  # the estimator's own output
    prior: PriorFindings = PriorFindings()
    diagnostics: Diagnostics | None = None
    reparameterisation: str | None = None  # how the program was rewritten for sampling, if it was
    fitted_source: str | None = None  # the program compiled, when llb rewrote it
    library_key: str | None = None  # the compiled library the program ran on (the compile cache's key)
    library_built: bool = False  # whether this fit compiled it (False: it came from the cache)
    models_built_together: int = 0  # programs' models this fit compiled into one library ahead of their fits, its own included
    goal_names: tuple[str, ...] = ()
    summary: tuple[dict[str, Any], ...] = ()  # one row per constrained scalar (name, mean, sd, q05, ...)
    warnings: tuple[str, ...] = ()  # stanc's
    messages: str = ""  # what the program printed (cut to MESSAGES_KEPT characters)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    traceback: str | None = None  # when llb itself failed on the program
    goal_draws: np.ndarray | None = field(default=None, metadata={"json": False})  # (draws, goal elements)


def failed(key: str, status: str, reason: str, *, traceback: str | None = None) -> ProgramOutcome:
    """The outcome of a program that ended without a report (timeout, crash, out of memory)."""
    return ProgramOutcome(key, status, reason, traceback=traceback)


def outcome_from_report(key: str, report: FitReport) -> ProgramOutcome:
    status, reason = report.status, report.reason
    if reason and "bad_alloc" in reason:
        status, reason = MEMORY_ERROR, "the program ran out of memory (std::bad_alloc)"
    check = report.prior_check
    diagnostics = report.diagnostics()
    return ProgramOutcome(
        key=key,
        status=status,
        reason=reason,
        log_evidence=report.log_evidence,
        log_evidence_se=report.evidence.mc_se if report.evidence else None,
        evidence=report.evidence,
        prior=PriorFindings(
            corrections=tuple(report.corrections()),
            unproven=tuple(check.unproven) if check else (),
            likelihood_concerns=tuple(check.likelihood_concerns) if check else (),
            normaliser=report.prior_normaliser,
        ),
        diagnostics=Diagnostics(**{**diagnostics, "stepsize": tuple(diagnostics["stepsize"]), "e_bfmi": tuple(diagnostics["e_bfmi"])}) if diagnostics else None,
        reparameterisation=report.reparameterisation,
        fitted_source=report.fitted_source,
        library_key=report.compiled.key if report.compiled else None,
        library_built=bool(report.compiled and not report.compiled.cache_hit),
        goal_names=tuple(report.goal_names),
        summary=tuple(report.summary),
        warnings=tuple(report.validation.warnings) if report.validation else (),
        messages=report.fit.messages[:MESSAGES_KEPT] if report.fit else "",
        timings={stage: round(seconds, 4) for stage, seconds in report.timings.items()},
        goal_draws=report.goal_draws,
    )


def fit_document(report: FitReport) -> dict[str, Any]:
    """The ``llb fit --json`` document: the outcome, with the summary keyed by name (NaN becomes null)."""
    document = to_json(outcome_from_report("", report))
    for unused in ("key", "goal_names"):
        document.pop(unused)
    document["summary"] = {row.pop("name"): row for row in document["summary"]}
    document["compile"] = {"cache_hit": report.compiled.cache_hit, "key": report.compiled.key} if report.compiled else None
    return document
