"""llb's Python API: ``fit`` one program, ``run`` a problem, ``open_run`` a run folder.

The CLI is a thin layer over these. Results are typed objects with pandas DataFrames for tables,
ArviZ InferenceData for draws, and an HTML view for notebooks. Per-program failures are statuses
in the results, never exceptions; exceptions (``llb.LlbError`` and its subclasses) are for what the
caller must fix: a bad path, malformed data, an LLM server that cannot be used, a run folder in use.
"""

from __future__ import annotations

import base64
import html
import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from llb.errors import LlbError
from llb.files import read_text_file
from llb.llm.backend import LLM
from llb.llm.candidates import choose_candidates, is_program_text
from llb.pipeline.execute import DEFAULT_MEMORY, DEFAULT_TIME_FACTOR, DEFAULT_TIMEOUT, Limits, check_executor_options, make_executor
from llb.pipeline.outcome import Diagnostics, outcome_from_report
from llb.pipeline.program import OK, FitReport, FitSettings, element_names, fit_program
from llb.pipeline.run import RESULT_FILE, ProgramRecord, read_record, run_problem, unreliable_weight_warning
from llb.pipeline.run_folder import check_run_folder, claim_run_folder
from llb.tables import read_csv_frame
from llb.problem import Problem, load_problem, stan_data
from llb.quiet import quiet
from llb.progress import ConsoleProgress, Progress
from llb.stan.data import load_data
from llb.stan.sample import SamplerConfig
from llb.stan.toolchain import ensure_built
from llb.stats.evidence import DEFAULT_METHOD, METHODS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

SUMMARY_COLUMNS = ("name", "mean", "sd", "q05", "q50", "q95", "rhat", "ess_bulk", "ess_tail")
# Stan's sampler columns under ArviZ's names for sample_stats
SAMPLE_STATS = {"lp__": "lp", "accept_stat__": "acceptance_rate", "stepsize__": "step_size", "treedepth__": "tree_depth",
                "n_leapfrog__": "n_steps", "divergent__": "diverging", "energy__": "energy"}  # fmt: skip


def _frame(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> "pd.DataFrame":
    import pandas as pd

    return pd.DataFrame([{column: row.get(column) for column in columns} for row in rows], columns=list(columns))


# -- one program ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvidenceEstimate:
    """log p(data | program): the estimate, its Monte Carlo standard error and the estimator."""

    estimate: float
    error: float
    method: str


@dataclass(frozen=True, repr=False, eq=False)
class FitResult:
    """One program fitted: status, posterior summary and draws, log evidence and diagnostics.

    ``draws`` maps each parameter, transformed parameter and generated quantity to its constrained
    draws, shaped (chains * draws, *shape), chains one after another.
    """

    status: str
    reason: str | None
    summary: "pd.DataFrame"
    draws: dict[str, np.ndarray]
    log_evidence: float | None
    evidence: EvidenceEstimate | None
    corrections: list[str]
    diagnostics: Diagnostics | None
    chains: int
    report: FitReport = field(compare=False)  # everything the pipeline knows about the fit
    sample_stats: dict[str, np.ndarray] = field(default_factory=dict)  # ArviZ names, (chains, draws)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == OK

    @quiet
    def to_inference_data(self) -> Any:
        """The draws (posterior, by chain) and the sampler's statistics (sample_stats) as ArviZ InferenceData."""
        import arviz as az

        posterior = {name: values.reshape(self.chains, -1, *values.shape[1:]) for name, values in self.draws.items()}
        return az.from_dict(posterior=posterior, sample_stats=self.sample_stats or None)

    def __repr__(self) -> str:
        evidence = f", log_evidence={self.log_evidence:.3f}" if self.log_evidence is not None else ""
        return f"FitResult(status={self.status!r}{evidence}, {len(self.summary)} scalars)"

    @quiet
    def _repr_html_(self) -> str:
        head = f"<p><b>{html.escape(self.status)}</b>{': ' + html.escape(self.reason) if self.reason else ''}"
        if self.evidence is not None and self.log_evidence is not None:
            head += f"; log evidence {self.log_evidence:.3f} &plusmn; {self.evidence.error:.3f} ({html.escape(self.evidence.method)})"
        notes = "".join(f"<p><i>correction: {html.escape(c)}</i></p>" for c in self.corrections)
        return head + "</p>" + notes + (self.summary.to_html(index=False, float_format=lambda v: f"{v:.4g}") if len(self.summary) else "")


def _fit_result(report: FitReport) -> FitResult:
    outcome = outcome_from_report("", report)
    draws: dict[str, np.ndarray] = {}
    sample_stats: dict[str, np.ndarray] = {}
    chains = 1
    if report.fit is not None:
        fit = report.fit
        chains = fit.draws.shape[0]
        columns = {name: index for index, name in enumerate(fit.names)}
        summarised = {row["name"] for row in report.summary}  # without llb's own coordinates when unused
        for variable in fit.variables:
            elements = element_names(variable.name, tuple(variable.shape))
            if not all(name in columns and name in summarised for name in elements):
                continue
            values = fit.draws[:, :, [columns[name] for name in elements]]
            draws[variable.name] = values.reshape(-1, *variable.shape)
        for column, name in SAMPLE_STATS.items():
            values = fit.sampler_column(column)
            sample_stats[name] = values.astype(bool) if name == "diverging" else values
    evidence = None
    if outcome.evidence is not None and outcome.log_evidence is not None:
        evidence = EvidenceEstimate(outcome.log_evidence, outcome.log_evidence_se or math.nan, outcome.evidence.method)
    return FitResult(
        status=outcome.status,
        reason=outcome.reason,
        summary=_frame(outcome.summary, SUMMARY_COLUMNS),
        draws=draws,
        log_evidence=outcome.log_evidence,
        evidence=evidence,
        corrections=list(outcome.prior.corrections),
        diagnostics=outcome.diagnostics,
        chains=chains,
        sample_stats=sample_stats,
        warnings=list(outcome.warnings),
        report=report,
    )


def fit_settings(
    *, chains: int = 4, warmup: int = 1000, draws: int = 1000, seed: int = 0, evidence: str = DEFAULT_METHOD,
    verify_normalisation: bool = False, single_program: bool = False, keep_incomparable: bool = False,
) -> FitSettings:  # fmt: skip
    """Checked settings for ``fit`` and ``run`` (a bad value is a one-line LlbError)."""
    if evidence not in METHODS:
        raise LlbError(f"evidence must be one of {', '.join(METHODS)}, not {evidence!r}")
    try:
        sampler = SamplerConfig(chains=chains, warmup=warmup, draws=draws, seed=seed)
    except ValueError as error:
        raise LlbError(str(error)) from None
    return FitSettings(
        sampler=sampler,
        evidence_method=evidence,
        verify_normalisation=verify_normalisation,
        # one program alone: its posterior is wanted even when its evidence is undefined
        fit_improper=single_program,
        keep_incomparable=single_program or keep_incomparable,
    )


def _program_text(program: str | Path) -> tuple[str, str]:
    """(the code, what to call it): ``program`` is Stan code or the path of a .stan file."""
    if not isinstance(program, (str, Path)):
        raise LlbError(f"the program must be Stan code or the path of a .stan file, not {type(program).__name__}")
    if isinstance(program, str) and not program.strip():
        raise LlbError("the program is empty; give Stan code or the path of a .stan file")
    if is_program_text(program):
        return str(program), "the program"
    path = Path(program)
    return read_text_file(path, error=LlbError, what="Stan program"), str(path)


def _data(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if isinstance(data, (str, Path)):
        if Path(data).suffix.lower() == ".csv":
            return stan_data(read_csv_frame(Path(data)), source=str(data))
        return load_data(data)
    return stan_data(data, source="the data")


@quiet
def fit(
    program: str | Path,
    data: Any = None,
    *,
    chains: int = 4,
    warmup: int = 1000,
    draws: int = 1000,
    seed: int = 0,
    evidence: str = DEFAULT_METHOD,
    verify_normalisation: bool = False,
) -> FitResult:
    """Validate, compile and sample one Stan program and estimate its log marginal likelihood.

    ``program`` is Stan code or a .stan path; ``data`` a dict, a pandas DataFrame, a Stan JSON
    path or a .csv path (a table, as tables.py reads it). A program that fails (rejected, does not compile, improper prior, ...) gives a result with
    that ``status`` and a ``reason``; its posterior is still there when it could be sampled.
    """
    source, _ = _program_text(program)
    values = _data(data)
    settings = fit_settings(chains=chains, warmup=warmup, draws=draws, seed=seed, evidence=evidence,
                            verify_normalisation=verify_normalisation, single_program=True)  # fmt: skip
    return _fit_result(fit_program(source, values, settings=settings))


# -- a problem -----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ProgramView:
    """One candidate of a run: its code, where it came from, its outcome and its weight."""

    id: str
    origin: str
    source: str
    description: str | None
    status: str
    reason: str | None
    log_evidence: float | None
    weight: float
    corrections: list[str]
    summary: "pd.DataFrame"
    fitted_source: str | None = None  # what was compiled, when llb rewrote the program

    @quiet
    def _repr_html_(self) -> str:
        text = f"<p><b>{html.escape(self.id)}</b> ({html.escape(self.origin)}): {html.escape(self.status)}"
        text += f", weight {self.weight:.3f}</p>" + (f"<p>{html.escape(self.description)}</p>" if self.description else "")
        return text + f"<pre>{html.escape(self.source)}</pre>" + (self.summary.to_html(index=False) if len(self.summary) else "")


class RunResult:
    """A run's answer, rebuilt from its folder (``open_run``) or returned by ``run``.

    ``models`` has one row per candidate; ``posterior["llb"]`` and ``posterior["flat"]`` summarise
    the goal under the evidence weights and under equal weights.
    """

    def __init__(self, folder: Path, result: dict[str, Any], records: dict[str, ProgramRecord], descriptions: dict[str, str | None]) -> None:
        self.folder = folder
        self.result = result
        self.records = records
        self.descriptions = descriptions

    @property
    def goal_names(self) -> list[str]:
        return list(self.result["goal"]["names"])

    @property
    def weights_ess(self) -> float:
        """The effective number of programs under the evidence weights (1 / sum of squared weights)."""
        return float(self.result["weights_ess"])

    @property
    def warning(self) -> str | None:
        """A sentence when doubtful programs carry a notable share of the weight."""
        return unreliable_weight_warning(self.result)

    @property
    @quiet
    def models(self) -> "pd.DataFrame":
        names = self.goal_names[:20]
        rows = []
        for model in self.result["models"]:
            row = {key: model.get(key) for key in ("id", "origin", "status", "reason", "log_evidence", "log_evidence_se", "weight", "flat_weight", "reliability", "duplicate_of")}
            for name in names:
                row[f"mean {name}"] = (model.get("goal_mean") or {}).get(name)
            rows.append(row)
        columns = ["id", "origin", "status", "reason", "log_evidence", "log_evidence_se", "weight", "flat_weight", "reliability", "duplicate_of"]
        return _frame(rows, columns + [f"mean {name}" for name in names])

    @property
    @quiet
    def posterior(self) -> dict[str, "pd.DataFrame"]:
        import pandas as pd

        frames = {}
        for which in ("llb", "flat"):
            summary = self.result["posterior"][which]
            frame = pd.DataFrame.from_dict(summary, orient="index", columns=["mean", "sd", "q05", "q50", "q95"]) if summary else pd.DataFrame(columns=["mean", "sd", "q05", "q50", "q95"])
            frame.index.name = "element"
            frames[which] = frame
        return frames

    def _run_data(self) -> Any:
        from llb.report import RunData

        draws = {}
        for model in self.result["models"]:
            record = self.records.get(model.get("duplicate_of") or model["id"])
            if model["status"] == OK and record is not None and record.goal_draws is not None:
                draws[model["id"]] = record.goal_draws
        return RunData(self.folder, self.result, draws)

    @quiet
    def draws(self, which: str = "llb", size: int = 4000) -> "pd.DataFrame":
        """An unweighted sample of ``size`` goal draws from the ``llb`` (evidence-weighted) or ``flat``
        mixture of the programs' posteriors (systematic resampling, seeded by the run's seed)."""
        import pandas as pd

        from llb.report import _resample

        if which not in ("llb", "flat"):
            raise LlbError(f"which must be 'llb' or 'flat', not {which!r}")
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise LlbError(f"size must be a positive whole number of draws, not {size!r}")
        pooled, weights = self._run_data().pooled("weight" if which == "llb" else "flat_weight")
        if not pooled.size:
            return pd.DataFrame(columns=self.goal_names)
        seed = int(self.result["settings"].get("seed", 0))
        return pd.DataFrame(_resample(pooled, weights, size, seed), columns=self.goal_names)

    @quiet
    def to_inference_data(self) -> Any:
        """The goal under the evidence weights (``posterior``) and flat weights (``flat_posterior``) as
        ArviZ InferenceData, each resampled to 4000 unweighted draws; None when no program is valid."""
        from llb.report import combined_inference_data

        return combined_inference_data(self._run_data())

    @quiet
    def program(self, id: str) -> ProgramView:
        """One candidate's code, origin, description, posterior summary and corrections."""
        model = next((m for m in self.result["models"] if m["id"] == id), None)
        if model is None:
            raise LlbError(f"the run has no program {id!r}; its programs are {', '.join(m['id'] for m in self.result['models'])}")
        record = self.records.get(id)
        outcome = record.outcome if record is not None else None
        return ProgramView(
            id=id,
            origin=model.get("origin") or "",
            source=record.source if record is not None else model["source"],
            description=self.descriptions.get(id) or model.get("description"),
            status=model["status"],
            reason=model.get("reason"),
            log_evidence=model.get("log_evidence"),
            weight=float(model["weight"]),
            corrections=list(model.get("corrections") or []),
            summary=_frame(outcome.summary if outcome else (), SUMMARY_COLUMNS),
            fitted_source=outcome.fitted_source if outcome else None,
        )

    @quiet
    def write_report(self, path: str | Path | None = None) -> Path:
        """Write the run's report (report.html, figures, InferenceData) into its folder; with ``path``,
        copy the self-contained page there too. Returns the page's path."""
        from llb.report import write_report

        target = Path(path) if path is not None else None
        if target is not None and target.is_dir():
            target = target / "report.html"
        if target is not None and not target.parent.is_dir():
            raise LlbError(f"cannot write the report to {target}: the folder {target.parent} does not exist")
        page = write_report(self.folder)
        if target is None or target.resolve() == page.resolve():
            return page
        try:
            shutil.copyfile(page, target)
        except OSError as error:
            raise LlbError(f"cannot write the report to {target}: {error.strerror}") from None
        return target

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunResult):
            return NotImplemented
        if json.dumps(self.result, sort_keys=True) != json.dumps(other.result, sort_keys=True):
            return False
        mine, theirs = self._run_data().draws, other._run_data().draws
        return mine.keys() == theirs.keys() and all(np.array_equal(mine[k], theirs[k]) for k in mine)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        result = self.result
        return (
            f"RunResult({self.folder}: {result['num_programs']} programs, {result['num_valid']} valid, "
            f"effective number {result['weights_ess']:.2f})"
        )

    @quiet
    def _repr_html_(self) -> str:
        from llb.report import figure_evidence_vs_goal

        import matplotlib

        matplotlib.use("Agg")
        result = self.result
        text = (
            f"<p><b>llb run</b> {html.escape(str(self.folder))}: {result['num_programs']} programs "
            f"({result['num_valid']} valid); effective number of programs {result['weights_ess']:.2f}</p>"
        )
        if self.warning:
            text += f"<p><b>Warning:</b> {html.escape(self.warning)}</p>"
        posterior = self.posterior
        if len(posterior["llb"]):
            both = posterior["llb"].join(posterior["flat"], rsuffix=" (flat)")
            text += both.head(20).to_html(float_format=lambda v: f"{v:.4g}")
            png = figure_evidence_vs_goal(self._run_data())
            text += f'<img alt="log evidence against each program\'s answer" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        else:
            text += "<p>No valid program: there is no posterior.</p>"
        return text


def _descriptions(folder: Path, ids: Sequence[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for id in ids:
        path = folder / "models" / id / "description.txt"
        found[id] = path.read_text() if path.exists() else None
    return found


@quiet
def open_run(folder: str | Path) -> RunResult:
    """The ``RunResult`` of a finished run, rebuilt from its folder alone."""
    from llb.pipeline.run_folder import MANIFEST, is_run_folder

    folder = Path(folder)
    if not folder.exists():
        raise LlbError(f"{folder} does not exist; give the folder of a finished `llb run`")
    if not folder.is_dir():
        raise LlbError(f"{folder} is a file, not a folder; give the folder of a finished `llb run`")
    if not is_run_folder(folder):
        raise LlbError(f"{folder} is not an llb run folder (it has no {MANIFEST}); give the folder of a finished `llb run`")
    path = folder / RESULT_FILE
    if not path.exists():
        raise LlbError(f"{folder} has no {RESULT_FILE}; give the folder of a finished `llb run` (or run it again to finish it)")
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise LlbError(f"cannot read {path} ({error}); run the problem again to rewrite it") from None
    needed = ("models", "goal", "posterior", "settings", "num_programs", "num_valid", "weights_ess", "counts")
    if not isinstance(result, dict) or any(key not in result for key in needed) or not isinstance(result["models"], list):
        raise LlbError(f"{path} is not the result.json of a finished llb run; run the problem again to rewrite it")
    records = {}
    for model in result["models"]:
        record = read_record(folder / "models" / model["id"])
        if record is not None:
            records[model["id"]] = record
        elif model.get("status") == OK and not model.get("duplicate_of"):
            raise LlbError(
                f"the run folder lacks what program {model['id']} left (models/{model['id']}/result.json or goal_draws.npy); "
                "run the problem again into this folder to fit it again"
            )
    return RunResult(folder, result, records, _descriptions(folder, [m["id"] for m in result["models"]]))


def default_run_folder(problem: Problem) -> Path:
    """``llb-runs/<problem folder's name>``; for a problem made in Python, named by a hash of it."""
    if problem.root is not None:
        return Path("llb-runs") / problem.name
    return Path("llb-runs") / f"problem-{problem.digest[:10]}"


@quiet
def run(
    problem: Problem | str | Path,
    *,
    programs: str | Path | Sequence[str | Path] | None = None,
    llm: LLM | None = None,
    n_models: int | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: bool = False,
    seed: int = 0,
    progress: bool | Progress = True,
    exclude_unreliable: bool = False,
    chains: int = 4,
    warmup: int = 1000,
    draws: int = 1000,
    evidence: str = DEFAULT_METHOD,
    verify_normalisation: bool = False,
    keep_incomparable: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    memory_limit: float = DEFAULT_MEMORY / 2**30,
    time_factor: float = DEFAULT_TIME_FACTOR,
    write_report: bool = True,
    verbose: bool = False,
) -> RunResult:
    """Answer a problem: draw candidate programs, fit each distinct one, weigh them by evidence.

    ``problem`` is a ``Problem`` or a problem folder. Candidates come from ``programs`` (a folder, a
    list of .stan paths or a list of program texts), else an LLM (``llm``, or the one the environment
    names), else the problem folder's ``programs/``. The run folder ``out`` (default
    ``llb-runs/<name>``) is resumable: a stopped run continues where it left off. Work runs in
    ``workers`` contained processes, or on the Dask cluster at ``scheduler`` (or a local one, with
    ``dask_local``); each program may take ``timeout`` seconds and ``memory_limit`` GB, and locally
    no more than ``time_factor`` times the slowest finished program (at least two minutes; 0: no
    such limit).
    """
    if isinstance(problem, (str, Path)):
        problem = load_problem(problem)
    elif not isinstance(problem, Problem):
        raise LlbError(f"the problem must be an llb.Problem or a problem folder, not {type(problem).__name__}")
    if programs is not None and llm is not None:
        raise LlbError("give either programs or an LLM to ask, not both")
    settings = fit_settings(chains=chains, warmup=warmup, draws=draws, seed=seed, evidence=evidence,
                            verify_normalisation=verify_normalisation, keep_incomparable=keep_incomparable)  # fmt: skip
    check_executor_options(workers=workers, scheduler=scheduler, dask_local=dask_local)
    limits = Limits(seconds=timeout, memory_bytes=int(memory_limit * 2**30), time_factor=time_factor)
    folder = Path(out) if out is not None else default_run_folder(problem)
    check_run_folder(folder, problem.digest)  # before the LLM is asked: a folder llb may not use is refused at once
    reporter = progress if isinstance(progress, Progress) else ConsoleProgress() if progress else Progress()
    chosen = choose_candidates(problem, programs=programs, llm=llm, n_models=n_models, progress=reporter)
    reporter.candidates(problem, chosen.origin, folder)
    if not scheduler:  # remote Dask workers build their own
        ensure_built(on_build=reporter.building_toolchain)
    with claim_run_folder(folder, problem.digest):  # held until the report is written
        with make_executor(workers=workers, limits=limits, scheduler=scheduler, dask_local=dask_local, verbose=verbose) as executor:
            collected: dict[str, ProgramRecord] = {}

            def settled(record: ProgramRecord, reused: bool) -> None:
                collected[record.id] = record
                reporter.program(record, reused)

            with reporter.fitting():
                result = run_problem(
                    problem, chosen.candidates, out_dir=folder, settings=settings, seed=seed, executor=executor,
                    on_program=settled, on_plan=reporter.plan, exclude_unreliable=exclude_unreliable,
                )  # fmt: skip
        answer = RunResult(folder, result, _records_as_written(collected), {c.id: c.description for c in chosen.candidates})
        if write_report:
            answer.write_report()
    return answer


def _records_as_written(records: dict[str, ProgramRecord]) -> dict[str, ProgramRecord]:
    """The records as a reader of the folder sees them: a duplicate keeps its draws with the original."""
    from dataclasses import replace

    return {
        id: replace(record, outcome=replace(record.outcome, goal_draws=None)) if record.duplicate_of else record
        for id, record in records.items()
    }
