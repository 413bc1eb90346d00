"""Combine programs: marginal-likelihood weights and the averaged posterior of the goal.

Programs drawn from the LLM are samples from p(m | t), so self-normalised importance weights
w_n = exp(L_n) / sum_j exp(L_j) over the valid programs estimate p(m | x, t); the "flat" baseline gives
every valid program 1/N. A duplicate program counts once per time it was drawn. Needs only numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from llb.stats.summary import QUANTILES


@dataclass(frozen=True)
class Weights:
    evidence: np.ndarray  # one per program; 0 for invalid programs
    flat: np.ndarray
    effective_sample_size: float  # 1 / sum w^2 of the evidence weights: how many programs really count


def compute_weights(log_evidence: Sequence[float | None]) -> Weights:
    """Weights from per-program log evidence; None or non-finite values mark invalid programs."""
    values = np.array([v if v is not None and math.isfinite(v) else -np.inf for v in log_evidence], dtype=float)
    valid = np.isfinite(values)
    evidence = np.zeros(values.size)
    flat = np.zeros(values.size)
    if valid.any():
        unnormalised = np.exp(values[valid] - values[valid].max())
        evidence[valid] = unnormalised / unnormalised.sum()
        flat[valid] = 1.0 / valid.sum()
    ess = float(1.0 / np.sum(evidence**2)) if valid.any() else 0.0
    return Weights(evidence, flat, ess)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, probabilities: Sequence[float], *, discrete: bool) -> list[float]:
    """Quantiles of a weighted sample: for discrete values the smallest value whose cumulative weight
    reaches p; for continuous values linear interpolation between weighted mid-points. Tied values
    (a chain that stayed put, an integer goal) count as one point carrying their summed weight, so
    the answer does not depend on the order of the draws."""
    order = np.argsort(values)  # ties are merged below, so the faster unstable sort will do
    x, w = values[order], weights[order]
    if x.size > 1:
        starts = np.concatenate(([0], np.flatnonzero(x[1:] != x[:-1]) + 1))
        x, w = x[starts], np.add.reduceat(w, starts)
    total = w.sum()
    cumulative = np.cumsum(w) / total
    out = []
    for p in probabilities:
        if discrete:
            out.append(float(x[min(int(np.searchsorted(cumulative, p - 1e-12)), x.size - 1)]))
        else:
            midpoints = cumulative - 0.5 * w / total
            out.append(float(np.interp(p, midpoints, x)))
    return out


def mixture_summary(
    draws: Sequence[np.ndarray | None], weights: np.ndarray, names: Sequence[str], *, discrete: bool
) -> dict[str, dict[str, float]]:
    """Mean, sd, q05, q50, q95 of each goal element under the mixture sum_n w_n p(z | x, m_n).

    ``draws[n]`` is program n's (num_draws, num_elements) goal draws; programs with zero weight or
    no draws are skipped.
    """
    used = [(d, w) for d, w in zip(draws, weights) if w > 0 and d is not None and d.size]
    if not used:
        return {}
    pooled = np.concatenate([d for d, _ in used], axis=0)
    per_draw = np.concatenate([np.full(d.shape[0], w / d.shape[0]) for d, w in used])
    per_draw /= per_draw.sum()
    summary = {}
    for index, name in enumerate(names):
        x = pooled[:, index]
        mean = float(np.sum(per_draw * x))
        variance = float(np.sum(per_draw * (x - mean) ** 2))
        q05, q50, q95 = weighted_quantiles(x, per_draw, QUANTILES, discrete=discrete)
        summary[name] = {"mean": mean, "sd": math.sqrt(max(variance, 0.0)), "q05": q05, "q50": q50, "q95": q95}
    return summary
