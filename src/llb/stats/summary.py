"""Posterior summaries and MCMC convergence diagnostics, with numpy and scipy only.

R-hat is the rank-normalised split R-hat and ESS the bulk and tail effective sample sizes of
Vehtari, Gelman, Simpson, Carpenter and Bürkner (2021), "Rank-normalization, folding, and localization:
an improved R-hat for assessing convergence of MCMC". Draws are arrays shaped (chains, draws).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy import special, stats

QUANTILES = (0.05, 0.5, 0.95)


def _split_chains(x: np.ndarray) -> np.ndarray:
    chains, draws = x.shape
    half = draws // 2
    if half < 2:
        return x
    return np.concatenate([x[:, :half], x[:, draws - half :]], axis=0)


def _rank_normalise(x: np.ndarray) -> np.ndarray:
    ranks = stats.rankdata(x, method="average").reshape(x.shape)
    return special.ndtri((ranks - 0.375) / (x.size + 0.25))


def _is_constant(x: np.ndarray) -> bool:
    return not np.all(np.isfinite(x)) or np.ptp(x) <= 1e-12 * max(1.0, float(np.abs(x).max()))


def _rhat_basic(x: np.ndarray) -> float:
    chains, draws = x.shape
    if chains < 2 or _is_constant(x):
        return math.nan
    within = x.var(axis=1, ddof=1).mean()
    between = draws * x.mean(axis=1).var(ddof=1)
    if within <= 0:
        return math.nan
    var_plus = (draws - 1) / draws * within + between / draws
    return float(math.sqrt(var_plus / within))


def rhat(x: np.ndarray) -> float:
    """Rank-normalised split R-hat: the larger of the bulk and the folded (tail) versions."""
    x = np.asarray(x, dtype=float)
    split = _split_chains(x)
    if _is_constant(split):
        return math.nan
    bulk = _rhat_basic(_rank_normalise(split))
    folded = np.abs(split - np.median(split))
    tail = _rhat_basic(_rank_normalise(folded))
    return float(np.nanmax([bulk, tail])) if not (math.isnan(bulk) and math.isnan(tail)) else math.nan


def _autocovariance(x: np.ndarray) -> np.ndarray:
    """Autocovariance of each row (biased estimator, as in Stan), via FFT."""
    n = x.shape[-1]
    size = 1 << (2 * n - 1).bit_length()
    centred = x - x.mean(axis=-1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=size, axis=-1)
    return np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=-1)[..., :n] / n


def ess_basic(x: np.ndarray) -> float:
    """Effective sample size of (chains, draws) without rank normalisation or splitting."""
    chains, draws = x.shape
    if draws < 4 or _is_constant(x):
        return math.nan
    acov = _autocovariance(x)
    chain_var = acov[:, 0] * draws / (draws - 1)
    within = chain_var.mean()
    var_plus = within * (draws - 1) / draws
    if chains > 1:
        var_plus += x.mean(axis=1).var(ddof=1)
    rho = 1.0 - (within - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer's initial positive sequence: add pairs (rho[t], rho[t+1]) for odd t while their sum is
    # positive; a positive even term of the first failing pair is kept once (helps antithetic chains).
    kept = np.zeros_like(rho)
    kept[:2] = rho[:2]
    t = 1
    even, odd = 1.0, rho[1]
    while t < draws - 3 and even + odd > 0:
        even, odd = rho[t + 1], rho[t + 2]
        if even + odd >= 0:
            kept[t + 1], kept[t + 2] = even, odd
        t += 2
    last = t - 2  # last index of the last pair kept
    if even > 0:
        kept[last + 1] = even
    # initial monotone sequence: pair sums may not increase
    for t in range(1, last - 1, 2):
        if kept[t + 1] + kept[t + 2] > kept[t - 1] + kept[t]:
            kept[t + 1] = kept[t + 2] = (kept[t - 1] + kept[t]) / 2
    tau = -1.0 + 2.0 * kept[: last + 1].sum() + kept[last + 1]
    tau = max(tau, 1.0 / math.log10(chains * draws))  # caps ESS at S log10 S, as Stan does
    return float(chains * draws / tau)


def ess_bulk(x: np.ndarray) -> float:
    return ess_basic(_rank_normalise(_split_chains(np.asarray(x, dtype=float))))


def ess_tail(x: np.ndarray) -> float:
    """The smaller ESS of the 5% and 95% quantile indicators."""
    split = _split_chains(np.asarray(x, dtype=float))
    q05, q95 = np.quantile(split, [0.05, 0.95])
    values = [ess_basic((split <= q).astype(float)) for q in (q05, q95)]
    return float(np.nanmin(values)) if not all(math.isnan(v) for v in values) else math.nan


def summarise(draws: np.ndarray, names: Sequence[str]) -> list[dict[str, float | str]]:
    """One row per scalar: mean, sd, q05, q50, q95, rhat, ess_bulk, ess_tail. draws: (chains, draws, n)."""
    rows: list[dict[str, float | str]] = []
    for index, name in enumerate(names):
        x = draws[:, :, index]
        flat = x.ravel()
        finite = flat[np.isfinite(flat)]
        q05, q50, q95 = np.quantile(finite, QUANTILES) if finite.size else (math.nan,) * 3
        rows.append(
            {
                "name": name,
                "mean": float(finite.mean()) if finite.size else math.nan,
                "sd": float(finite.std(ddof=1)) if finite.size > 1 else math.nan,
                "q05": float(q05),
                "q50": float(q50),
                "q95": float(q95),
                "rhat": rhat(x),
                "ess_bulk": ess_bulk(x),
                "ess_tail": ess_tail(x),
            }
        )
    return rows
