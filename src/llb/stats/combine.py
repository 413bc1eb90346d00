"""Combine programs: marginal-likelihood weights and the averaged posterior of the goal.

Programs drawn from the LLM are samples from p(m | t), so self-normalised importance weights
w_n = exp(L_n) / sum_j exp(L_j) over the valid programs estimate p(m | x, t); the "flat" baseline gives
every valid program 1/N. A duplicate program counts once per time it was drawn. Needs only numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

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
    return _sorted_quantiles(values[order], weights[order], probabilities, discrete=discrete)


def _sorted_quantiles(x: np.ndarray, w: np.ndarray, probabilities: Sequence[float], *, discrete: bool) -> list[float]:
    """weighted_quantiles of values already in increasing order."""
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
    return mixture_summaries(draws, {"": weights}, names, discrete=discrete)[""]


def mixture_summaries(
    draws: Sequence[np.ndarray | None], weightings: Mapping[str, np.ndarray], names: Sequence[str], *, discrete: bool
) -> dict[str, dict[str, dict[str, float]]]:
    """``mixture_summary`` under each of several weightings of the same programs (by label). The
    weightings that keep the same programs (all of them, usually) share one sort of each element's
    pooled draws."""
    out: dict[str, dict[str, dict[str, float]]] = {label: {} for label in weightings}
    present = {n: d for n, d in enumerate(draws) if d is not None and d.size}
    groups: dict[tuple[int, ...], list[str]] = {}
    for label, weights in weightings.items():
        kept = tuple(n for n in present if weights[n] > 0)
        if kept:
            groups.setdefault(kept, []).append(label)
    for kept, labels in groups.items():
        pooled = np.concatenate([present[n] for n in kept], axis=0)
        per_draw = {}
        for label in labels:
            weights = np.concatenate([np.full(present[n].shape[0], weightings[label][n] / present[n].shape[0]) for n in kept])
            per_draw[label] = weights / weights.sum()
        for index, name in enumerate(names):
            x = pooled[:, index]
            order = np.argsort(x)  # ties are merged in _sorted_quantiles, so the faster unstable sort will do
            ordered = x[order]
            for label, weights in per_draw.items():
                mean = float(np.sum(weights * x))
                variance = float(np.sum(weights * (x - mean) ** 2))
                q05, q50, q95 = _sorted_quantiles(ordered, weights[order], QUANTILES, discrete=discrete)
                out[label][name] = {"mean": mean, "sd": math.sqrt(max(variance, 0.0)), "q05": q05, "q50": q50, "q95": q95}
    return out
