"""The run report: figures, a table of programs, and the goal draws as ArviZ InferenceData.

Everything is rebuilt from the run folder alone (``result.json`` and ``models/<id>/goal_draws.npy``),
so ``llb report RUN_DIR`` re-creates it at any time. Output, in ``RUN_DIR``:

- ``report.html``: one self-contained page (figures embedded), with a table of programs whose code
  and description open in place;
- ``report/*.png``: the figures: (1) each program's log evidence against its posterior mean of the
  goal, coloured by weight (as in the LLB paper's Figure 2); (2) for a scalar goal, the
  evidence-weighted posterior against the flat average; (3) for an array goal, medians and 90%
  intervals per element under both (the paper's Figure 5); (4) the sorted weights and their
  effective sample size;
- ``inference_data.nc``: the goal under the evidence weights (``posterior``) and under flat weights
  (``flat_posterior``), each resampled to an unweighted sample; and ``models/<id>/goal.nc``: each
  valid program's own draws, by chain.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from llb.stats.combine import weighted_quantiles
from llb.files import write_atomic
from llb.pipeline.run import unreliable_weight_warning

logger = logging.getLogger("llb.report")

REPORT_FILE = "report.html"
FIGURE_DIR = "report"
INFERENCE_DATA_FILE = "inference_data.nc"
RESAMPLED_DRAWS = 4000


@dataclass(frozen=True)
class RunData:
    """A finished run as read back from its folder."""

    folder: Path
    result: dict[str, Any]
    draws: dict[str, np.ndarray]  # model id -> (num_draws, num_goal_elements), valid programs only

    @property
    def names(self) -> list[str]:
        return list(self.result["goal"]["names"])

    @property
    def discrete(self) -> bool:
        return bool(self.result["goal"]["discrete"])

    def pooled(self, weight_key: str) -> tuple[np.ndarray, np.ndarray]:
        """All valid draws stacked, with each draw's share of its program's weight."""
        blocks, weights = [], []
        for model in self.result["models"]:
            draws = self.draws.get(model["id"])
            if draws is None or model[weight_key] <= 0:
                continue
            blocks.append(draws)
            weights.append(np.full(draws.shape[0], model[weight_key] / draws.shape[0]))
        if not blocks:
            return np.zeros((0, len(self.names))), np.zeros(0)
        pooled_weights = np.concatenate(weights)
        return np.concatenate(blocks), pooled_weights / pooled_weights.sum()


def load_run(folder: str | Path) -> RunData:
    folder = Path(folder)
    result_path = folder / "result.json"
    if not result_path.exists():
        from llb.errors import LlbError

        raise LlbError(f"{folder} has no result.json; give the folder of a finished `llb run`")
    result = json.loads(result_path.read_text())
    draws = {}
    for model in result["models"]:
        if model["status"] != "ok":
            continue
        source_id = model.get("duplicate_of") or model["id"]
        path = folder / "models" / source_id / "goal_draws.npy"
        if path.exists():
            draws[model["id"]] = np.load(path)
    return RunData(folder, result, draws)


# -- figures -------------------------------------------------------------------------------------
def _figure_png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return buffer.getvalue()


def _goal_label(run: RunData) -> str:
    names = run.names
    return names[0] if len(names) == 1 else f"mean of the {len(names)} elements of {names[0].split('[')[0]}"


def figure_evidence_vs_goal(run: RunData) -> bytes:
    import matplotlib.pyplot as plt

    ok = [m for m in run.result["models"] if m["status"] == "ok" and m["id"] in run.draws and not m.get("duplicate_of")]
    figure, axis = plt.subplots(figsize=(6.4, 4.2))
    if ok:
        best = max(m["log_evidence"] for m in ok)
        x = np.array([m["log_evidence"] - best for m in ok])
        y = np.array([float(run.draws[m["id"]].mean()) for m in ok])
        counts = {m["id"]: 1 + sum(1 for d in run.result["models"] if d.get("duplicate_of") == m["id"]) for m in ok}
        weights = np.array([m["weight"] * counts[m["id"]] for m in ok])
        points = axis.scatter(x, y, c=weights, cmap="viridis", s=30 + 400 * weights, edgecolors="black", linewidths=0.4)
        figure.colorbar(points, ax=axis, label="weight (all copies of the program)")
        axis.set_xlabel("log evidence relative to the best program (nats)")
    axis.set_ylabel(f"posterior mean: {_goal_label(run)}")
    axis.set_title("Each valid program: evidence against its answer")
    axis.grid(alpha=0.3)
    return _figure_png(figure)


def figure_scalar_posterior(run: RunData) -> bytes:
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.4, 4.2))
    for key, label, colour in (("weight", "evidence-weighted (LLB)", "tab:blue"), ("flat_weight", "flat average", "tab:orange")):
        draws, weights = run.pooled(key)
        if not draws.size:
            continue
        values = draws[:, 0]
        if run.discrete:
            support = np.unique(values)
            probabilities = [weights[values == v].sum() for v in support]
            offset = -0.18 if key == "weight" else 0.18
            axis.bar(support + offset, probabilities, width=0.36, label=label, color=colour, alpha=0.8)
            axis.set_ylabel("probability")
        else:
            low, high = weighted_quantiles(values, weights, (0.001, 0.999), discrete=False)
            bins = np.linspace(low, high, 60).tolist()
            axis.hist(values, bins=bins, weights=weights, density=True, histtype="step", linewidth=2, label=label, color=colour)
            axis.set_ylabel("posterior density")
    axis.set_xlabel(run.names[0])
    axis.set_title("Posterior of the goal")
    axis.legend()
    axis.grid(alpha=0.3)
    return _figure_png(figure)


def figure_array_posterior(run: RunData) -> bytes:
    import matplotlib.pyplot as plt

    names = run.names
    figure, axis = plt.subplots(figsize=(max(6.4, min(16, 0.25 * len(names) + 3)), 4.2))
    positions = np.arange(len(names))
    for key, label, colour, shift in (("llb", "evidence-weighted (LLB)", "tab:blue", -0.15), ("flat", "flat average", "tab:orange", 0.15)):
        posterior = run.result["posterior"].get(key)  # the run's summary of the mixture: its quantiles are computed once
        if not posterior:
            continue
        summary = np.array([[math.nan if posterior[name][q] is None else posterior[name][q] for q in ("q05", "q50", "q95")] for name in names], dtype=float)
        axis.errorbar(
            positions + shift, summary[:, 1], yerr=[summary[:, 1] - summary[:, 0], summary[:, 2] - summary[:, 1]],
            fmt="o", markersize=3, capsize=2, label=f"{label}: median and 90% interval", color=colour,
        )  # fmt: skip
    step = max(1, len(names) // 25)
    axis.set_xticks(positions[::step])
    axis.set_xticklabels(names[::step], rotation=60, ha="right", fontsize=7)
    axis.set_title("Posterior of each element of the goal")
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    return _figure_png(figure)


def figure_weights(run: RunData) -> bytes:
    import matplotlib.pyplot as plt

    ok = sorted((m for m in run.result["models"] if m["status"] == "ok"), key=lambda m: -m["weight"])
    figure, axis = plt.subplots(figsize=(6.4, 3.6))
    axis.bar(np.arange(len(ok)), [m["weight"] for m in ok], color="tab:blue")
    if ok:
        axis.axhline(1 / len(ok), color="tab:orange", linestyle="--", label=f"flat weight 1/{len(ok)}")
        axis.legend()
    axis.set_xlabel("valid programs, by weight")
    axis.set_ylabel("weight")
    axis.set_title(f"Evidence weights (effective number of programs {run.result['weights_ess']:.2f} of {len(ok)})")
    axis.grid(alpha=0.3, axis="y")
    return _figure_png(figure)


# -- ArviZ export --------------------------------------------------------------------------------
def _goal_shape(names: list[str]) -> tuple[int, ...]:
    if len(names) == 1 and "[" not in names[0]:
        return ()
    last = names[-1]
    return tuple(int(part) for part in last[last.index("[") + 1 : -1].split(","))


def _resample(draws: np.ndarray, weights: np.ndarray, size: int, seed: int) -> np.ndarray:
    """An unweighted sample from weighted draws (systematic resampling: low variance, deterministic)."""
    rng = np.random.default_rng(seed)
    positions = (rng.random() + np.arange(size)) / size
    indices = np.searchsorted(np.cumsum(weights), positions)
    return draws[np.minimum(indices, draws.shape[0] - 1)]


def combined_inference_data(run: RunData) -> Any:
    """The goal under the evidence weights (``posterior``) and flat weights (``flat_posterior``), each
    resampled to an unweighted sample, as ArviZ InferenceData; None when no program is valid."""
    import arviz as az

    names = run.names
    if not names or not run.draws:
        return None
    shape = _goal_shape(names)
    goal = names[0].split("[")[0]
    seed = int(run.result["settings"].get("seed", 0))
    groups = {}
    for group, key in (("posterior", "weight"), ("flat_posterior", "flat_weight")):
        draws, weights = run.pooled(key)
        groups[group] = {goal: _resample(draws, weights, RESAMPLED_DRAWS, seed).reshape(1, RESAMPLED_DRAWS, *shape)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = az.from_dict(posterior=groups["posterior"])
        data.add_groups({"flat_posterior": groups["flat_posterior"]})
    return data


def export_inference_data(run: RunData) -> Path | None:
    """Write the combined and per-program goal draws as NetCDF InferenceData; None if no program is valid."""
    import arviz as az

    data = combined_inference_data(run)
    if data is None:
        return None
    names = run.names
    shape = _goal_shape(names)
    goal = names[0].split("[")[0]
    chains = int(run.result["settings"]["sampler"]["chains"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = run.folder / INFERENCE_DATA_FILE
        data.to_netcdf(str(path), compress=False)  # MCMC draws shrink by under 10% compressed, at 2-3x the time
        for model in run.result["models"]:
            if model["id"] not in run.draws or model.get("duplicate_of"):
                continue
            _write_program_netcdf(run.folder / "models" / model["id"], goal, chains, shape)
    return path


def _write_program_netcdf(folder: Path, goal: str, chains: int, shape: tuple[int, ...]) -> None:
    """``goal.nc`` from the program's ``goal_draws.npy``, unless it was made from that very file: it
    carries the draws file's modification time, set when it is written (a resumed run or a second
    report then writes nothing). Written beside and moved into place, so an interrupted report
    leaves no partial file to be kept."""
    import arviz as az

    target, source = folder / "goal.nc", folder / "goal_draws.npy"
    stamp = source.stat().st_mtime_ns
    if target.exists() and target.stat().st_mtime_ns == stamp:
        return
    draws = np.load(source)  # read now, not with the run: a resumed run may have refitted it since
    partial = target.with_name("goal.nc.partial")
    az.from_dict(posterior={goal: draws.reshape(chains, -1, *shape)}).to_netcdf(str(partial), compress=False)
    if source.stat().st_mtime_ns == stamp:  # else the draws changed meanwhile: leave it to be written again
        os.utime(partial, ns=(stamp, stamp))
    os.replace(partial, target)


# -- HTML ----------------------------------------------------------------------------------------
def _fmt(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "&ndash;"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return html.escape(str(value))


def _image(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _warning(result: dict) -> str:
    text = unreliable_weight_warning(result)
    return f'<p class="warning"><b>Warning:</b> {html.escape(text)}.</p>' if text else ""


def _summary_table(run: RunData) -> str:
    posterior = run.result["posterior"]
    if not posterior.get("llb"):
        return "<p>No valid program: there is no posterior to report.</p>"
    rows = []
    for name in run.names:
        llb, flat = posterior["llb"][name], posterior["flat"][name]
        cells = "".join(f"<td>{_fmt(llb[k])}</td>" for k in ("mean", "sd", "q05", "q50", "q95"))
        cells += "".join(f"<td>{_fmt(flat[k])}</td>" for k in ("mean", "sd", "q05", "q50", "q95"))
        rows.append(f"<tr><th>{html.escape(name)}</th>{cells}</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("mean", "sd", "5%", "50%", "95%") * 2)
    return (
        '<table class="summary"><thead><tr><th rowspan="2">element</th><th colspan="5">evidence-weighted (LLB)</th>'
        f'<th colspan="5">flat average</th></tr><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _programs_table(run: RunData) -> str:
    names = run.names
    models = sorted(run.result["models"], key=lambda m: (-m["weight"], m["status"] != "ok", m["id"]))
    rows = []
    for model in models:
        mean = (model.get("goal_mean") or {}).get(names[0]) if names else None
        if model.get("goal_mean") and len(names) > 1:
            mean = float(np.mean(list(model["goal_mean"].values())))
        details = []
        if model.get("description"):
            details.append(f"<p>{html.escape(model['description'])}</p>")
        for correction in model.get("corrections") or []:
            details.append(f"<p class='note'>prior correction: {html.escape(correction)}</p>")
        for concern in model.get("likelihood_concerns") or []:
            details.append(f"<p class='note'>warning: {html.escape(concern)}</p>")
        if model.get("reparameterisation"):
            details.append(f"<p class='note'>sampled as: {html.escape(model['reparameterisation'])}</p>")
        sampler = model.get("diagnostics") or {}
        if sampler.get("metric") == "dense" or (sampler.get("adapt_delta") or 0.8) > 0.8:
            details.append(
                f"<p class='note'>NUTS: {html.escape(str(sampler.get('metric', 'diag')))} metric, adapt_delta {sampler.get('adapt_delta')}, "
                f"{sampler.get('divergences')} divergent transitions</p>"
            )
        details.append(f"<pre>{html.escape(model['source'])}</pre>")
        status_class = "ok" if model["status"] == "ok" else "failed"
        rows.append(
            f"<tr class='{status_class}'><td><details><summary>{html.escape(model['id'])}"
            f"{' (= ' + html.escape(model['duplicate_of']) + ')' if model.get('duplicate_of') else ''}</summary>"
            f"{''.join(details)}</details></td><td>{html.escape(model['status'])}</td>"
            f"<td>{_fmt(model.get('reason'))}</td><td>{_fmt(model.get('log_evidence'), 6)}</td>"
            f"<td>{_fmt(model.get('log_evidence_se'), 2)}</td><td>{_fmt(model.get('reliability'))}</td>"
            f"<td>{model['weight']:.4f}</td><td>{_fmt(mean)}</td></tr>"
        )
    head = "".join(f"<th>{h}</th>" for h in ("program (click for code)", "status", "reason", "log evidence", "&plusmn; se", "reliability", "weight", "goal mean"))
    return f'<table class="programs"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
.problem { background: #f6f6f6; padding: 0.8em 1em; border-left: 4px solid #4a7; white-space: pre-wrap; }
table { border-collapse: collapse; font-size: 0.9em; } td, th { border: 1px solid #ddd; padding: 0.25em 0.5em; }
table.summary td { text-align: right; } tr.failed { color: #888; }
pre { background: #f8f8f8; padding: 0.6em; overflow-x: auto; font-size: 0.85em; color: #222; }
.figures img { max-width: 100%; margin: 0.5em 0; display: block; } .note { color: #555; font-style: italic; }
.warning { background: #fff4d6; border-left: 4px solid #d9a400; padding: 0.4em 0.8em; }
"""


def problem_name(result: dict[str, Any]) -> str:
    """The problem folder's name, or "problem" for one made in Python."""
    folder = result["problem"].get("folder")
    return Path(folder).name if folder else "problem"


def write_report(folder: str | Path) -> Path:
    """Write report.html, the PNG figures and the InferenceData files for a finished run."""
    import matplotlib

    matplotlib.use("Agg")
    run = load_run(folder)
    figure_dir = run.folder / FIGURE_DIR
    figure_dir.mkdir(exist_ok=True)
    figures: list[tuple[str, str, bytes]] = []
    if run.draws:
        figures.append(("evidence_vs_goal.png", "log evidence against posterior mean of the goal", figure_evidence_vs_goal(run)))
        if len(run.names) == 1:
            figures.append(("goal_posterior.png", "posterior of the goal, LLB and flat", figure_scalar_posterior(run)))
        else:
            figures.append(("goal_elements.png", "median and 90% interval of each goal element", figure_array_posterior(run)))
        figures.append(("weights.png", "sorted weights", figure_weights(run)))
    for filename, _, png in figures:
        (figure_dir / filename).write_bytes(png)
    export_inference_data(run)

    result = run.result
    title = html.escape(problem_name(result))
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result["counts"].items()))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>llb report: {title}</title>
<style>{_STYLE}</style></head><body>
<h1>llb report: {title}</h1>
<div class="problem">{html.escape(result['problem']['text'])}</div>
<p><b>Goal:</b> <code>{html.escape(result['problem']['goal'])}</code></p>
<p>{result['num_programs']} candidate programs ({result['num_unique']} distinct): {html.escape(counts)}.
Effective number of programs under the evidence weights: {result['weights_ess']:.2f}.
Evidence estimator: {html.escape(str(result['settings'].get('evidence_method')))}; seed {result['settings'].get('seed')}.</p>
{_warning(result)}
<h2>Posterior of the goal</h2>
{_summary_table(run)}
<h2>Figures</h2>
<div class="figures">{''.join(_image(png, alt) for _, alt, png in figures)}</div>
<h2>Programs</h2>
{_programs_table(run)}
<p class="note">Goal draws: <code>{INFERENCE_DATA_FILE}</code> (ArviZ InferenceData: groups posterior and flat_posterior), and
<code>models/&lt;id&gt;/goal.nc</code> per program.</p>
</body></html>
"""
    path = run.folder / REPORT_FILE
    write_atomic(path, page)
    return path
