"""Estimate the normalising constant of a program's prior numerically, from the prior alone.

A program's log evidence needs a normalised prior. When the program analysis (priors.py) cannot
prove that the prior is normalised (a user-defined density, a prior stated twice, ``target +=`` terms
of parameters, a density on a simplex other than the Dirichlet, ...), the program is compiled with
its likelihood behind a data flag (likelihood.py). With the flag off, the same library's log density
is the unnormalised prior p~(z); NUTS samples it and bridge sampling estimates
log Z_prior = log integral p~(z) dz, so that

    log p(x | m) = log Z_joint - log Z_prior,

which holds whatever constant the prior is missing. A prior whose draws drift (no normalising
constant exists), diverge, or whose estimate is unstable gives no trustworthy constant: the caller
then refuses the program.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from llb.stats.evidence import estimate_evidence
from llb.stan.model import ModelRuntimeError, StanModel
from llb.stan.sample import SamplerConfig, climb_adapt_delta, sample_nuts, warm_refits
from llb.stats.summary import rhat

MAX_DIVERGENT_FRACTION = 0.002  # of the prior's draws, after raising adapt_delta
MAX_RHAT = 1.05  # split R-hat of the unconstrained prior draws: beyond this the chains drift apart
CLEARLY_DRIFTING = 1.5  # R-hat beyond which raising adapt_delta is not tried
MAX_SE = 0.15  # nats: beyond this the constant is too uncertain to weigh a program by
PRIOR_SEED_OFFSET = 7919  # the prior's chains use other random streams than the posterior's


@dataclass(frozen=True)
class PriorNormaliser:
    """log Z_prior with its Monte Carlo error and the diagnostics of the prior's draws."""

    log_normaliser: float
    mc_se: float
    divergences: int
    max_rhat: float
    adapt_delta: float
    seconds: float
    problem: str | None = None  # why the estimate cannot be trusted, or None

    @property
    def ok(self) -> bool:
        return self.problem is None


def estimate_prior_normaliser(
    library: str | Path,
    data: dict[str, Any],
    flag: str,
    config: SamplerConfig,
    *,
    evidence_method: str,
    num_proposal: int,
    adapt_delta_ladder: tuple[float, ...] = (0.95, 0.99),
    model_name: str | None = None,
) -> PriorNormaliser:
    """Sample the prior of the compiled program (``flag`` set to 0 in ``data``; ``model_name``: its model
    in ``library``, see StanModel) and estimate log Z_prior."""
    start = time.perf_counter()
    config = replace(config, seed=config.seed + PRIOR_SEED_OFFSET)
    failed = PriorNormaliser(math.nan, math.nan, 0, math.nan, config.adapt_delta, 0.0)
    try:
        with StanModel(library, {**data, flag: 0}, seed=config.seed, model=model_name) as model:
            if model.n_unconstrained == 0:
                return replace(failed, log_normaliser=0.0, mc_se=0.0, seconds=time.perf_counter() - start)
            fit = sample_nuts(model, config)
            if _max_rhat(fit) <= CLEARLY_DRIFTING:  # chains so far apart that no step size helps: do not climb
                config, fit = climb_adapt_delta(fit, config, adapt_delta_ladder, warm_refits(model))
            max_rhat = _max_rhat(fit)
            diagnostics = replace(failed, divergences=fit.num_divergent, max_rhat=max_rhat, adapt_delta=config.adapt_delta)
            drawn = fit.unconstrained
            if not np.all(np.isfinite(drawn)) or max_rhat > MAX_RHAT:
                return _fail(diagnostics, start, f"the prior's draws drift (R-hat {max_rhat:.2f}): the prior looks improper")
            if fit.num_divergent > MAX_DIVERGENT_FRACTION * drawn.shape[0] * drawn.shape[1]:
                return _fail(diagnostics, start, f"{fit.num_divergent} divergent transitions while sampling the prior")
            evidence = estimate_evidence(model.log_density_many, drawn, method=evidence_method, seed=config.seed, num_proposal=num_proposal)
    except (ModelRuntimeError, np.linalg.LinAlgError, FloatingPointError) as error:
        return _fail(failed, start, f"sampling the prior failed: {error}")
    result = replace(diagnostics, log_normaliser=evidence.log_evidence, mc_se=evidence.mc_se, seconds=time.perf_counter() - start)
    if not math.isfinite(evidence.log_evidence) or not math.isfinite(evidence.mc_se):
        return replace(result, problem="the estimate of the prior's normalising constant is not finite")
    if evidence.mc_se > MAX_SE:
        return replace(result, problem=f"the estimate of the prior's normalising constant is unstable (± {evidence.mc_se:.2f} nat)")
    return result


def _max_rhat(fit) -> float:
    rhats = [rhat(fit.unconstrained[:, :, i]) for i in range(fit.unconstrained.shape[2])]
    return max((r for r in rhats if math.isfinite(r)), default=math.inf)


def _fail(normaliser: PriorNormaliser, start: float, problem: str) -> PriorNormaliser:
    return replace(normaliser, problem=problem, seconds=time.perf_counter() - start)
