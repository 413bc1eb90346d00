"""Run Stan's NUTS on a model for several chains and collect the draws into one record.

Chains run one after another in this process (the runner is built without STAN_THREADS); llb's
parallelism is across programs. Chain c uses Stan's RNG stream (seed, c), as CmdStan does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from llb.stan.model import SAMPLER_COLUMNS, ModelRuntimeError, StanModel, VariableShape, usable_metric


@dataclass(frozen=True)
class SamplerConfig:
    chains: int = 4
    warmup: int = 1000
    draws: int = 1000
    seed: int = 0
    max_depth: int = 10
    adapt_delta: float = 0.8
    init_radius: float = 2.0
    max_seconds: float = 0.0  # per chain; 0 = no limit

    def __post_init__(self) -> None:
        for name in ("chains", "warmup", "draws", "seed", "max_depth"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be a whole number, not {value!r}")
        if not 0 <= self.seed < 2**31 - 1:
            raise ValueError(f"the seed must be between 0 and {2**31 - 2}, not {self.seed}")
        if self.chains < 1 or self.draws < 1 or self.warmup < 0:
            raise ValueError("chains and draws must be at least 1 and warmup at least 0")
        if not 0 < self.adapt_delta < 1:
            raise ValueError("adapt_delta must be between 0 and 1")


@dataclass(frozen=True)
class Fit:
    """NUTS output for one program: everything later stages need, as plain arrays."""

    names: tuple[str, ...]  # constrained scalars: parameters, transformed parameters, generated quantities
    variables: tuple[VariableShape, ...]
    draws: np.ndarray  # (chains, draws, len(names))
    unconstrained_names: tuple[str, ...]
    unconstrained: np.ndarray  # (chains, draws, n_unconstrained)
    sampler: np.ndarray  # (chains, draws, 7), columns SAMPLER_COLUMNS
    stepsize: np.ndarray  # (chains,)
    inv_metric: np.ndarray  # (chains, n_unconstrained), or (chains, n, n) for a dense metric
    max_depth: int
    messages: str
    seconds: float
    # When the chains were stopped early because they diverge already (first_fit): the draws per
    # chain the fit was to have, which ``complete`` runs them on to. 0: the fit has all its draws.
    planned_draws: int = 0

    def column(self, name: str) -> np.ndarray:
        return self.draws[:, :, self.names.index(name)]

    def sampler_column(self, name: str) -> np.ndarray:
        return self.sampler[:, :, SAMPLER_COLUMNS.index(name)]

    @property
    def num_divergent(self) -> int:
        return int(self.sampler_column("divergent__").sum())

    @property
    def expected_divergences(self) -> float:
        """Divergent transitions, scaled to the planned length of chains stopped early: what fits of
        different lengths are compared by."""
        if not self.planned_draws:
            return float(self.num_divergent)
        return self.num_divergent * self.planned_draws / self.draws.shape[1]

    @property
    def num_max_treedepth(self) -> int:
        """Transitions that hit the tree-depth limit."""
        return int((self.sampler_column("treedepth__") >= self.max_depth).sum())

    def e_bfmi(self) -> list[float]:
        """Per chain (values below 0.3 are a warning)."""
        return [_e_bfmi(chain) for chain in self.sampler_column("energy__")]

    def diagnostics(self) -> dict[str, object]:
        return {
            "divergences": self.num_divergent,
            "max_treedepth_hits": self.num_max_treedepth,
            "mean_treedepth": float(self.sampler_column("treedepth__").mean()),
            "stepsize": [float(s) for s in self.stepsize],
            "mean_accept_stat": float(self.sampler_column("accept_stat__").mean()),
            "e_bfmi": self.e_bfmi(),
            "metric": "dense" if self.dense else "diag",
        }

    @property
    def dense(self) -> bool:
        """Whether the chains used a dense metric (else a diagonal one)."""
        return self.inv_metric.ndim == 3


def _e_bfmi(energy: np.ndarray) -> float:
    """Energy Bayesian fraction of missing information of one chain (low values, < 0.3, are a warning)."""
    variance = energy.var()
    return float(np.mean(np.diff(energy) ** 2) / variance) if variance > 0 else float("nan")


def sample_nuts(model: StanModel, config: SamplerConfig, *, warm: Fit | None = None, metric: np.ndarray | None = None) -> Fit:
    """Run ``config.chains`` chains; raises ModelRuntimeError if any chain fails.

    With ``warm`` (an earlier fit of the same model), chain c starts from that fit's chain c: its last
    draw, adapted step size and inverse metric. Adaptation still runs for ``config.warmup``
    iterations (a refit with a higher adapt_delta needs a smaller step); it starts near where it
    has to end, so a shorter warmup does.

    With ``metric`` (n variances, or an n x n covariance for a dense metric; see draws_metric) every
    chain uses that inverse metric, unchanged, and warmup adapts the step size alone."""
    start = time.perf_counter()
    start_from = warm if warm is not None and warm.unconstrained.shape[0] >= config.chains and warm.unconstrained.shape[2] == model.n_unconstrained else None
    dense = metric is not None and metric.ndim == 2
    if metric is None and start_from is not None and start_from.dense:
        dense = True  # a warm start from a dense fit keeps a dense metric
    outputs = [
        model.sample_chain(
            seed=config.seed,
            chain=chain + 1,
            num_warmup=config.warmup,
            num_draws=config.draws,
            max_depth=config.max_depth,
            adapt_delta=config.adapt_delta,
            init_radius=config.init_radius,
            max_seconds=config.max_seconds,
            init=start_from.unconstrained[chain, -1] if start_from is not None else None,
            init_stepsize=float(start_from.stepsize[chain]) if start_from is not None else None,
            init_inv_metric=metric if metric is not None else start_from.inv_metric[chain] if start_from is not None else None,
            dense=dense,
            adapt_metric=metric is None,
        )
        for chain in range(config.chains)
    ]
    return Fit(
        names=model.constrained_names,
        variables=model.variables,
        draws=np.stack([o.constrained for o in outputs]),
        unconstrained_names=model.unconstrained_names,
        unconstrained=np.stack([o.unconstrained for o in outputs]),
        sampler=np.stack([o.sampler for o in outputs]),
        stepsize=np.array([o.stepsize for o in outputs]),
        inv_metric=np.stack([o.inv_metric for o in outputs]),
        max_depth=config.max_depth,
        messages="".join(o.messages for o in outputs),
        seconds=time.perf_counter() - start,
    )


# A first fit's chains stop after this many draws (more when the model has many coordinates, see
# probe_length) if they have diverged by then: their full length would have diverged too.
PROBE_DRAWS = 250
# Chain c's continuation (continue_chains) draws from Stan's random stream (seed, c + this).
CONTINUATION_STREAM = 100


def probe_length(config: SamplerConfig, dimension: int) -> int:
    """Draws per chain of a first fit's probe: PROBE_DRAWS, or enough that the probe's draws can
    estimate a dense metric for the refit that follows (DENSE_DRAWS_PER_DIMENSION)."""
    return max(PROBE_DRAWS, -(-DENSE_DRAWS_PER_DIMENSION * dimension // config.chains))


def sample_staged(
    model: StanModel, config: SamplerConfig, give_up: Callable[[Fit], bool], *, warm: Fit | None = None, metric: np.ndarray | None = None
) -> Fit:
    """``sample_nuts`` in two steps: the chains' first ``probe_length`` draws, then, unless
    ``give_up(those draws)``, their continuation to ``config.draws`` (continue_chains: the same
    chains, as if drawn at once). A fit given up comes back stopped early (``planned_draws``).

    For fits whose fate the first draws can settle: a chain with a divergent transition among its
    first draws has one among all of them, so a first fit that diverges early would be remedied
    whatever its other draws were, and a refit whose first draws already diverge more than the fit
    it is to improve cannot improve it. The remedies compare fits by their divergences scaled to
    their planned length, and ``complete`` runs a stopped fit that is kept on to that length."""
    short = probe_length(config, model.n_unconstrained)
    if short >= config.draws:
        return sample_nuts(model, config, warm=warm, metric=metric)
    probe = sample_nuts(model, replace(config, draws=short), warm=warm, metric=metric)
    if give_up(probe):
        return replace(probe, planned_draws=config.draws)
    return continue_chains(model, probe, config, config.draws - short)


def first_fit(model: StanModel, config: SamplerConfig) -> Fit:
    """``sample_nuts(model, config)``, stopped after the first draws if they diverge (sample_staged).
    Measured on examples/polling: most of its programs diverge at adapt_delta 0.8, and a warm run's
    sampling and refits took 278 CPU seconds instead of 330."""
    return sample_staged(model, config, lambda probe: probe.num_divergent > 0)


def complete(model: StanModel, fit: Fit, config: SamplerConfig) -> Fit:
    """A fit stopped early (first_fit) run on to its planned length; any other fit as it is."""
    if not fit.planned_draws:
        return fit
    return continue_chains(model, replace(fit, planned_draws=0), config, fit.planned_draws - fit.draws.shape[1])


def continue_chains(model: StanModel, fit: Fit, config: SamplerConfig, draws: int) -> Fit:
    """``fit``'s chains run on for ``draws`` more draws, each from its last draw with the step size and
    metric it ended with, nothing adapted: the same Markov chains, longer (each continuation draws
    from a random stream of its own). ``config`` gives the seed and the tree depth."""
    usable = np.isfinite(fit.stepsize) & (fit.stepsize > 0)
    if model.n_unconstrained and not usable.all():  # the runner would adapt a step size from 1 (none: fixed_param)
        raise ModelRuntimeError(f"a chain ended its warmup with the step size {fit.stepsize.min():g}; it cannot go on")
    start = time.perf_counter()
    outputs = [
        model.sample_chain(
            seed=config.seed,
            chain=CONTINUATION_STREAM + chain + 1,
            num_warmup=0,
            num_draws=draws,
            max_depth=config.max_depth,
            adapt_delta=config.adapt_delta,
            max_seconds=config.max_seconds,
            init=fit.unconstrained[chain, -1],
            init_stepsize=float(fit.stepsize[chain]),
            init_inv_metric=fit.inv_metric[chain],
            dense=fit.dense,
            adapt_metric=False,
        )
        for chain in range(fit.unconstrained.shape[0])
    ]
    return replace(
        fit,
        draws=np.concatenate([fit.draws, np.stack([o.constrained for o in outputs])], axis=1),
        unconstrained=np.concatenate([fit.unconstrained, np.stack([o.unconstrained for o in outputs])], axis=1),
        sampler=np.concatenate([fit.sampler, np.stack([o.sampler for o in outputs])], axis=1),
        messages=fit.messages + "".join(o.messages for o in outputs),
        seconds=fit.seconds + time.perf_counter() - start,
    )


# The climb stops when the divergences it projects for the ladder's top are at least this many.
PROJECTED_DIVERGENCES = 1.0


def fixed_metric_warmup(warmup: int) -> int:
    """Warmup iterations of a refit whose metric is fixed and whose step size alone is adapted."""
    return max(warmup // 5, min(warmup, 100))


def warm_refits(model: StanModel) -> Callable[[SamplerConfig, Fit], Fit]:
    """``refit(settings, previous fit)``: a fit of ``model`` that starts where ``previous`` ended,
    each chain from its last draw and step size, with the metric the previous draws estimate kept
    fixed and a short warmup that adapts the step size alone: their covariance after a dense fit or
    from strongly correlated draws (see dense_metric), else their variances.

    Measured against re-adapting a diagonal metric in Stan's windows over half the warmup, on the
    hierarchical programs of examples/city_temperature at adapt_delta 0.95 and 0.99: as few or fewer
    divergences in 8 of 10 refits (one more in the other two), in about two thirds of the time."""

    def refit(config: SamplerConfig, previous: Fit) -> Fit:
        metric = dense_metric(previous)
        if metric is None:
            metric = draws_metric(previous, dense=False)
        return sample_staged(
            model, replace(config, warmup=fixed_metric_warmup(config.warmup)),
            lambda probe: probe.num_divergent >= previous.expected_divergences,  # it cannot have fewer: stop
            warm=previous, metric=metric,
        )  # fmt: skip

    return refit


# A dense metric is tried when the draws' correlation matrix is worse conditioned than this: a
# diagonal metric then needs several times more leapfrog steps, and divergences where the step
# is too long for the narrowest direction.
DENSE_CONDITION = 50.0
# ... and when there are at least this many draws per unconstrained coordinate to estimate the covariance.
DENSE_DRAWS_PER_DIMENSION = 10


def dense_metric(fit: Fit) -> np.ndarray | None:
    """The covariance of a fit's draws as a dense inverse metric, when a dense metric is called for:
    the fit used one already, or its draws are strongly correlated (and there are enough of them
    to estimate the covariance). Else None.

    Estimated from thousands of draws it is better than a warmup window's few hundred, so a refit
    keeps it fixed and adapts the step size alone."""
    draws, dimension = fit.unconstrained.shape[0] * fit.unconstrained.shape[1], fit.unconstrained.shape[2]
    if dimension < 2 or draws < DENSE_DRAWS_PER_DIMENSION * dimension:
        return None
    if not fit.dense and not correlation_condition(fit) > DENSE_CONDITION:
        return None
    metric = draws_metric(fit, dense=True)
    return metric if usable_metric(metric) else None


def dense_refit(model: StanModel, fit: Fit, config: SamplerConfig, give_up: Callable[[Fit], bool] = lambda probe: False) -> Fit | None:
    """A diagonal-metric ``fit`` refitted, with its settings, with a dense metric if its draws call
    for one (see dense_metric); else None. ``give_up``: see sample_staged."""
    metric = None if fit.dense else dense_metric(fit)
    if metric is None:
        return None
    return sample_staged(model, replace(config, warmup=fixed_metric_warmup(config.warmup)), give_up, warm=fit, metric=metric)


def extend_chains(model: StanModel, fit: Fit, config: SamplerConfig) -> Fit:
    """``fit``'s chains run on for as many draws again and joined to them: for chains that mix too
    slowly to agree (R-hat above 1.01) though nothing diverges, where only more draws help. Each
    chain goes on from its last draw with the metric the draws estimate kept fixed, after a short
    warmup that adapts the step size alone; both parts leave the posterior invariant."""
    more = sample_nuts(
        model, replace(config, warmup=fixed_metric_warmup(config.warmup), draws=fit.draws.shape[1]),
        warm=fit, metric=draws_metric(fit, dense=fit.dense),
    )  # fmt: skip
    return replace(
        more,
        draws=np.concatenate([fit.draws, more.draws], axis=1),
        unconstrained=np.concatenate([fit.unconstrained, more.unconstrained], axis=1),
        sampler=np.concatenate([fit.sampler, more.sampler], axis=1),
        messages=fit.messages + more.messages,
        seconds=fit.seconds + more.seconds,
    )


def climb_adapt_delta(
    fit: Fit, config: SamplerConfig, ladder: Sequence[float], sample: Callable[[SamplerConfig, Fit], Fit]
) -> tuple[SamplerConfig, Fit]:
    """Refit (``sample(settings, previous fit)``, say ``warm_refits(model)``) with the ``ladder``'s higher adapt_delta targets in
    turn while the fit has divergences and they fall fast enough to be gone by the ladder's top.

    A refit that does not lower the divergences is dropped: a smaller step that did not help will
    not help smaller still. A refit that lowers them from d to d' is kept, and the climb goes on only
    if the same rate of fall, (d'/d) per rung, would leave fewer than one divergence after the rungs
    left: otherwise the fit stays doubtful whatever the climb costs, and is flagged as it is.
    Returns the better fit and its settings."""
    rungs = [delta for delta in ladder if delta > config.adapt_delta]
    for position, delta in enumerate(rungs):
        if fit.num_divergent == 0:
            break
        trial_config = replace(config, adapt_delta=delta)
        trial = sample(trial_config, fit)
        if trial.expected_divergences >= fit.expected_divergences:
            break
        rate = trial.expected_divergences / fit.expected_divergences
        config, fit = trial_config, trial
        if fit.expected_divergences * rate ** (len(rungs) - position - 1) >= PROJECTED_DIVERGENCES:
            break
    return config, fit


def draws_metric(fit: Fit, *, dense: bool) -> np.ndarray:
    """An inverse metric estimated from a fit's draws (all chains pooled): their covariance, or its
    diagonal, shrunk towards a small multiple of the identity as Stan's warmup windows shrink theirs."""
    draws = fit.unconstrained.reshape(-1, fit.unconstrained.shape[2])
    weight = draws.shape[0] / (draws.shape[0] + 5.0)
    if not dense:
        return weight * draws.var(axis=0, ddof=1) + 1e-3 * (1 - weight)
    covariance = np.atleast_2d(np.cov(draws, rowvar=False))
    return weight * covariance + 1e-3 * (1 - weight) * np.eye(covariance.shape[0])


def correlation_condition(fit: Fit) -> float:
    """The condition number of the correlation matrix of a fit's unconstrained draws (chains pooled):
    about the square of how many more leapfrog steps a diagonal metric needs than a dense one."""
    draws = fit.unconstrained.reshape(-1, fit.unconstrained.shape[2])
    if draws.shape[1] < 2:
        return 1.0
    if not np.all(draws.std(axis=0) > 0):
        return float("inf")
    eigenvalues = np.linalg.eigvalsh(np.corrcoef(draws, rowvar=False))
    return float(eigenvalues[-1] / eigenvalues[0]) if eigenvalues[0] > 0 else float("inf")
