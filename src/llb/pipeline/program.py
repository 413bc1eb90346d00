"""Fit one program end to end: validate, check interface and priors, compile, sample, estimate evidence.

This is ``llb fit`` and the per-program work of ``llb run``. A program that fails at any stage is an
expected outcome: the report carries a status word and a one-line reason, never an exception.
Everything here is plain data in, plain data out, so it can run in any worker process.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np

from llb.stan.compile import BuiltTogether, CompiledProgram, compile_program, compile_together, library_cached
from llb.stan.data import check_data
from llb.errors import DataError, ProgramError
from llb.stats.evidence import DEFAULT_METHOD, DEFAULT_NUM_PROPOSAL, Evidence, estimate_evidence
from llb.stan.model import ModelRuntimeError, StanModel
from llb.pipeline.normaliser import CLEARLY_DRIFTING, PriorNormaliser, estimate_prior_normaliser
from llb.analysis.priors import IMPROPER_LIKELIHOOD, IMPROPER_PRIOR, INCOMPARABLE, PriorCheck, check_priors
from llb.analysis.reparam import REWRITE_FLAG, Reparameterisation, reparameterise, switchable
from llb.stan.sample import Fit, SamplerConfig, climb_adapt_delta, complete, dense_refit, extend_chains, first_fit, sample_nuts, warm_refits
from llb.analysis.stan_syntax import Declaration
from llb.stats.summary import rhat, summarise
from llb.stan.toolchain import COMPILE_TIMEOUT, Toolchain, find_toolchain
from llb.stan.validate import Validation, validate_program

logger = logging.getLogger("llb.pipeline.program")

# Status words, in pipeline order.
OK = "ok"
INVALID = "invalid"  # stanc rejected or llb refused the program
DATA_ERROR = "data_error"  # the program's data declarations do not match the data
GOAL_ERROR = "goal_error"  # the program does not define the goal with the declared type and shape
COMPILE_ERROR = "compile_error"
SAMPLING_ERROR = "sampling_error"
EVIDENCE_ERROR = "evidence_error"
# IMPROPER_PRIOR: the prior is improper or its normalisation cannot be established;
# IMPROPER_LIKELIHOOD: the likelihood is not provably a normalised density of the data;
# INCOMPARABLE: the likelihood is for values computed from the data, not the data as given (priors.py)
UNDEFINED_EVIDENCE = (IMPROPER_PRIOR, IMPROPER_LIKELIHOOD, INCOMPARABLE)
STATUSES = (OK, INVALID, DATA_ERROR, GOAL_ERROR, *UNDEFINED_EVIDENCE, COMPILE_ERROR, SAMPLING_ERROR, EVIDENCE_ERROR)
# How far the numerical check of a prior the analysis normalised may be from zero, in standard errors
# (beyond a floor for the estimator's own bias on small samples).
NORMALISER_Z = 4.0
NORMALISER_FLOOR = 0.05


@dataclass(frozen=True)
class FitSettings:
    sampler: SamplerConfig = SamplerConfig()
    evidence_method: str = DEFAULT_METHOD
    num_proposal: int = DEFAULT_NUM_PROPOSAL
    # When a fit has divergent transitions its draws (and so its evidence) are biased: refit with
    # these higher adapt_delta targets in turn while the divergences fall, until they are gone.
    adapt_delta_ladder: tuple[float, ...] = (0.95, 0.99, 0.999)
    # Estimate the prior's normalising constant numerically for every program, not only those whose
    # normalisation the analysis cannot prove, and refuse programs where the two disagree.
    verify_normalisation: bool = False
    # Fit programs whose evidence is undefined (improper prior or likelihood) anyway, for their
    # posterior (``llb fit``); they keep their status and get no log evidence.
    fit_improper: bool = False
    # Weigh programs whose likelihood is for values computed from the data in a way llb cannot undo
    # (their evidence is for other data), flagged as a reliability concern, instead of refusing them.
    keep_incomparable: bool = False


@dataclass(frozen=True)
class Goal:
    """The quantity of interest as the problem declares it, with its shape from the data if known."""

    declaration: Declaration
    shape: tuple[int, ...] | None

    def element_names(self, shape: tuple[int, ...]) -> list[str]:
        return element_names(self.declaration.name, shape)


def element_names(name: str, shape: tuple[int, ...]) -> list[str]:
    """Stan bracket names of every element, row-major (``temp[1,1]``, ``temp[1,2]``, ...)."""
    if not shape:
        return [name]
    return [f"{name}[{','.join(str(i + 1) for i in index)}]" for index in itertools.product(*map(range, shape))]


@dataclass(frozen=True)
class FitReport:
    status: str
    reason: str | None
    timings: dict[str, float]
    validation: Validation | None = None
    prior_check: PriorCheck | None = None
    compiled: CompiledProgram | None = None
    fit: Fit | None = None
    summary: list[dict[str, Any]] = field(default_factory=list)
    evidence: Evidence | None = None
    log_evidence: float | None = None  # the estimate plus the prior corrections' constant
    adapt_delta: float | None = None
    reparameterisation: str | None = None  # how the program was rewritten for sampling, if it was
    fitted_source: str | None = None  # the program the draws are from, when it differs from the one given
    goal_names: tuple[str, ...] = ()
    goal_draws: np.ndarray | None = None  # (chains * draws, len(goal_names))
    prior_normaliser: PriorNormaliser | None = None  # the numerical estimate of log Z_prior, if made
    posterior_note: str | None = None  # when the posterior shown is not of the program the evidence is for

    @property
    def ok(self) -> bool:
        return self.status == OK

    def diagnostics(self) -> dict[str, Any] | None:
        if self.fit is None:
            return None
        rhats = [row["rhat"] for row in self.summary if isinstance(row.get("rhat"), float) and math.isfinite(row["rhat"])]
        return {**self.fit.diagnostics(), "adapt_delta": self.adapt_delta, "max_rhat": max(rhats) if rhats else None}

    def corrections(self) -> list[str]:
        """What was done to make the log evidence that of a normalised model, one sentence each."""
        found = [c.description for c in self.prior_check.corrections] if self.prior_check else []
        normaliser = self.prior_normaliser
        if normaliser is not None and normaliser.ok and self.prior_check is not None:
            if self.prior_check.unproven:
                found = [
                    f"prior normalising constant estimated from the prior alone: log Z = {normaliser.log_normaliser:.3f} "
                    f"± {normaliser.mc_se:.3f}, subtracted (because {'; '.join(self.prior_check.unproven)})"
                ]
            else:
                found.append(f"verified numerically: the prior's log normalising constant is {normaliser.log_normaliser:.3f} ± {normaliser.mc_se:.3f}")
        if self.posterior_note:
            found.append(self.posterior_note)
        return found


def check_goal(validation: Validation, goal: Goal) -> str | None:
    """Why the program's declarations cannot provide the goal, or None."""
    assert validation.info is not None
    name = goal.declaration.name
    found = validation.info.find(name)
    if found is None:
        return f"the program does not define the goal '{name}' (declare it as a parameter, transformed parameter or generated quantity)"
    _, variable = found
    if variable.ndim != goal.declaration.ndim:
        return f"the goal '{name}' has {variable.ndim} dimension(s) in the program but the problem declares {goal.declaration.ndim}"
    if goal.declaration.base_type == "int" and variable.base_type != "int":
        return f"the goal '{name}' must be an int, as the problem declares, but the program makes it {variable.base_type}"
    return None


def fit_program(
    source: str,
    data: dict[str, Any],
    *,
    settings: FitSettings = FitSettings(),
    goal: Goal | None = None,
    toolchain: Toolchain | None = None,
    compile_jobs: int | None = None,
) -> FitReport:
    """Run every stage on ``source``; each failure becomes a status with a one-line reason.

    ``compile_jobs``: compiler processes the build may run at once (default: see compile_program).
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock
        clock = now

    prepared = _prepare(source, data, settings, goal, toolchain, lap, timings)
    if isinstance(prepared, FitReport):
        return prepared
    report, prior_check, checked, both = prepared.report, prepared.prior_check, prepared.data, prepared.switchable

    loaded = None
    if both is not None:
        loaded = _compile_and_load(both[1], {**checked, REWRITE_FLAG: 0}, settings.sampler.seed, toolchain, compile_jobs)
        if isinstance(loaded, FitReport):
            both = None
            if loaded.status in (INVALID, COMPILE_ERROR):  # the program as written may still compile
                loaded = None
        else:
            checked = {**checked, REWRITE_FLAG: 0}
    if loaded is None:
        loaded = _compile_and_load(prior_check.source, checked, settings.sampler.seed, toolchain, compile_jobs)
    lap("compile")
    if isinstance(loaded, FitReport):
        return replace(report, status=loaded.status, reason=loaded.reason, compiled=loaded.compiled)
    compiled, model = loaded
    assert report.prior_check is not None
    report = replace(report, compiled=compiled, prior_check=replace(report.prior_check, source=prior_check.source, likelihood_flag=prior_check.likelihood_flag))
    try:
        report = _sample_and_weigh(model, report, settings, goal, checked, toolchain, compile_jobs, lap, both[0] if both else None)
    finally:
        model.close()
    if settings.fit_improper and prior_check.reshaped and report.fit is not None:
        report = _posterior_as_written(report, source, data, settings, goal, toolchain, compile_jobs, lap)
    return report


@dataclass(frozen=True)
class _Prepared:
    """A program checked and analysed, ready to compile: the report so far, the prior's analysis,
    the data as the program reads it, and the rewrite its library holds behind a flag, if any."""

    report: FitReport
    prior_check: PriorCheck
    data: dict[str, Any]
    switchable: tuple[Reparameterisation, str] | None

    @property
    def library_source(self) -> str:
        """The program compiled first: with its rewrite behind the flag if it has one, else as analysed."""
        return self.switchable[1] if self.switchable is not None else self.prior_check.source


def _prepare(source: str, data: dict[str, Any], settings: FitSettings, goal: Goal | None, toolchain: Toolchain | None, lap, timings) -> _Prepared | FitReport:
    """Validate, check the data and the goal, analyse the prior and the likelihood: the program
    ready to compile, or the report of why it ends here."""
    validation = validate_program(source, toolchain=toolchain)
    lap("validate")
    report = FitReport(INVALID, validation.error, timings, validation)
    if not validation.ok or validation.info is None:
        return report
    try:
        checked = check_data(data, validation.info)
    except DataError as error:
        return replace(report, status=DATA_ERROR, reason=str(error))
    if goal is not None:
        problem = check_goal(validation, goal)
        if problem:
            return replace(report, status=GOAL_ERROR, reason=problem)

    try:
        prior_check = check_priors(
            source, validation.warnings, toolchain=toolchain, data=checked, switch=settings.verify_normalisation,
            allow_incomparable=settings.keep_incomparable,
        )  # fmt: skip
    except (ValueError, IndexError, KeyError) as error:  # a construct the analysis does not handle: refuse, never guess
        prior_check = PriorCheck(False, f"llb cannot analyse this program's prior and likelihood ({type(error).__name__}: {error})", source)
    report = replace(report, prior_check=prior_check)
    if prior_check.ok and prior_check.rewritten:
        rewritten = validate_program(prior_check.source, toolchain=toolchain)
        if not rewritten.ok:
            prior_check = replace(prior_check, ok=False, reason=f"llb's rewrite of the program to normalise its prior does not compile ({rewritten.error})")
            report = replace(report, prior_check=prior_check)
    if not prior_check.ok:
        report = replace(report, status=prior_check.refusal, reason=prior_check.reason)
        if not settings.fit_improper:
            return report
        prior_check = replace(prior_check, source=source, likelihood_flag=None, rewritten=False)
    report = replace(report, fitted_source=prior_check.source if prior_check.rewritten else None)
    if prior_check.likelihood_flag:
        checked = {**checked, prior_check.likelihood_flag: 1}
    # A program llb can rewrite into other coordinates is compiled with both behind a data flag
    # (reparam.switchable), so that trying the rewrite, if the fit calls for it, needs no compile.
    both = switchable(prior_check.source, toolchain=toolchain)
    lap("priors")
    return _Prepared(report, prior_check, checked, both)


def library_source(
    source: str, data: dict[str, Any], *, settings: FitSettings = FitSettings(), goal: Goal | None = None, toolchain: Toolchain | None = None
) -> str | None:
    """The program ``fit_program`` compiles first for ``source`` (before any constants are made data),
    or None if the program ends before it is compiled (invalid, wrong data or goal, refused prior)."""
    prepared = _prepare(source, data, settings, goal, toolchain, lambda stage: None, {})
    return None if isinstance(prepared, FitReport) else prepared.library_source


# compile_ahead takes the cache to be warm when this many programs of a group, its first ones, have
# their libraries compiled already.
WARM_CACHE_SIGNS = 2


def compile_ahead(
    sources: Sequence[str], data: dict[str, Any], *, settings: FitSettings = FitSettings(), goal: Goal | None = None,
    toolchain: Toolchain | None = None, jobs: int | None = None, timeout: float = COMPILE_TIMEOUT,
) -> BuiltTogether:  # fmt: skip
    """Compile the libraries ``fit_program`` will need first for ``sources`` (programs of one problem)
    into one shared library, so that their fits find them in the cache (compile.compile_together:
    best effort; a program left out compiles alone when it is fitted).

    Finding out which library a program needs takes its checks and analysis (about half a second).
    The programs are taken in turn and those whose library is cached already are skipped; but when
    the first WARM_CACHE_SIGNS programs all have theirs cached, the cache is taken to be warm from
    an earlier run and the others are not analysed (one wrongly assumed compiled compiles alone when
    it is fitted). A cache only partly warm, as after a killed run, or from another problem with
    programs of the same structure, still gets the rest of the group compiled together.

    Never raises: llb failing here (a bug in its analysis, say) must not fail the program whose task
    compiles the group; every program then compiles alone, and its own fit says what is wrong."""
    planned: list[str] = []
    cached = 0
    for position, source in enumerate(sources):
        if position == WARM_CACHE_SIGNS and cached == WARM_CACHE_SIGNS:
            break
        try:
            needed = library_source(source, data, settings=settings, goal=goal, toolchain=toolchain)
            if needed is not None and library_cached(needed, toolchain=toolchain, by_structure=True):
                cached += 1
                continue
        except Exception:  # noqa: BLE001 (llb failing on another program must not fail this one: its own fit will say)
            logger.exception("checking a program to compile it with others failed; it compiles alone")
            continue
        if needed is not None:
            planned.append(needed)
    try:
        return compile_together(planned, toolchain=toolchain, jobs=jobs, by_structure=True, timeout=timeout)
    except Exception:  # noqa: BLE001 (as above)
        logger.exception("compiling programs together failed; each compiles alone")
        return BuiltTogether()


def _posterior_as_written(report: FitReport, source: str, data: dict[str, Any], settings: FitSettings, goal, toolchain, compile_jobs, lap) -> FitReport:
    """``llb fit``'s posterior when llb's truncation changes the model beyond a constant: that of the
    program as written (what Stan would sample), with the evidence still that of the normalised one."""
    assert report.validation is not None and report.validation.info is not None and report.prior_check is not None
    loaded = _compile_and_load(source, check_data(data, report.validation.info), settings.sampler.seed, toolchain, compile_jobs)
    if isinstance(loaded, FitReport):
        return report
    _, model = loaded
    try:
        fit = sample_nuts(model, replace(settings.sampler, adapt_delta=report.adapt_delta or settings.sampler.adapt_delta))
    except ModelRuntimeError:
        return report
    finally:
        model.close()
    lap("sample as written")
    note = (
        "the posterior shown is that of the program as written; the log evidence is that of its normalised form ("
        + "; ".join(report.prior_check.reshaped) + "), whose truncation constant depends on parameters"
    )
    return replace(_with_posterior(report, fit, report.goal_names), posterior_note=note)


def _with_posterior(report: FitReport, fit: Fit, goal_names, hidden: Sequence[str] = ()) -> FitReport:
    """The report with ``fit``, its summary (without the variables ``hidden``: llb's own coordinates)
    and the goal's draws."""
    shown = [i for i, name in enumerate(fit.names) if name.split("[")[0] not in hidden]
    report = replace(report, fit=fit, summary=summarise(fit.draws[:, :, shown], [fit.names[i] for i in shown]))
    if not goal_names:
        return report
    columns = [fit.names.index(name) for name in goal_names]
    return replace(report, goal_names=tuple(goal_names), goal_draws=fit.draws[:, :, columns].reshape(-1, len(columns)))


def _compile_and_load(
    source: str, data: dict[str, Any], seed: int, toolchain: Toolchain | None, jobs: int | None
) -> tuple[CompiledProgram, StanModel] | FitReport:
    """The compiled program instantiated with the data, or a report saying why not."""
    try:
        compiled = compile_program(source, toolchain=toolchain or find_toolchain(), jobs=jobs, by_structure=True)
    except ProgramError as error:
        return FitReport(INVALID if error.stage == "validate" else COMPILE_ERROR, str(error), {})
    try:
        return compiled, StanModel(compiled.library, compiled.data_for(data), seed=seed, model=compiled.model)
    except DataError as error:
        return FitReport(DATA_ERROR, str(error), {}, compiled=compiled)
    except OSError as error:  # the library does not load: a symbol the link did not provide, say
        return FitReport(COMPILE_ERROR, f"the compiled program cannot be loaded: {error}", {}, compiled=compiled)


def _sample_and_weigh(
    model: StanModel,
    report: FitReport,
    settings: FitSettings,
    goal: Goal | None,
    data: dict[str, Any],
    toolchain: Toolchain | None,
    compile_jobs: int | None,
    lap,
    switchable_rewrite: Reparameterisation | None = None,
) -> FitReport:
    """Sample (remedied as needed), then weigh. ``switchable_rewrite``: the rewrite that ``model``'s
    library holds behind REWRITE_FLAG (``data`` sets the flag to 0: the program as written)."""
    sizes = {variable.name: tuple(variable.shape) for variable in model.variables}
    goal_names: list[str] = []
    if goal is not None:
        shape = next(v.shape for v in model.variables if v.name == goal.declaration.name)
        if goal.shape is not None and tuple(shape) != tuple(goal.shape):
            return replace(report, status=GOAL_ERROR, reason=f"the goal '{goal.declaration.name}' has shape {list(shape)} in the program but {list(goal.shape)} in the problem")
        goal_names = goal.element_names(shape)
    lap("load")

    config = settings.sampler
    normaliser: PriorNormaliser | None = None
    if report.prior_check is not None and report.prior_check.unproven and report.status not in UNDEFINED_EVIDENCE:
        # The prior's normalising constant decides whether this program has an evidence at all:
        # estimate it before spending fits on the posterior.
        normaliser = _prior_normaliser(report, settings, data, switchable_rewrite is not None)
        if normaliser is not None:
            lap("prior normaliser")
            if not normaliser.ok:
                return _unnormalisable(replace(report, prior_normaliser=normaliser))
    alternative: StanModel | None = None
    # Sampled as written, the switchable library's x_llb_raw equal x: left out of the summary.
    hidden = switchable_rewrite.raw_variables if switchable_rewrite else ()
    try:
        fit = first_fit(model, config)
        lap("sample")
        config, fit = _remedy(model, fit, config, settings.adapt_delta_ladder)
        if sampling_trouble(fit) > (0, 0):
            # Funnels from hierarchical priors and random walks, which no metric or step size
            # removes: the same model in other coordinates (reparam.py), remedied in turn; the
            # better of the two is kept.
            found = _reparameterised_fit(report, data, settings.sampler, toolchain, compile_jobs, switchable_rewrite)
            if found is not None:
                alternative, compiled, alternative_fit, rewrite = found
                alternative_config, alternative_fit = _remedy(alternative, alternative_fit, settings.sampler, settings.adapt_delta_ladder)
                if trouble_rank(alternative_fit) < trouble_rank(fit):
                    model, fit, config = alternative, alternative_fit, alternative_config
                    report = replace(report, compiled=compiled, reparameterisation=rewrite.description, fitted_source=rewrite.source)
                    hidden = ()  # sampled in them, llb's coordinates are part of the fit's diagnostics
                    if switchable_rewrite is not None:  # the prior normaliser samples in the coordinates kept
                        data = {**data, REWRITE_FLAG: 1}
        lap("refit")
        fit = complete(model, fit, config)
    except ModelRuntimeError as error:
        lap("refit")
        if alternative is not None:
            alternative.close()
        return replace(report, status=SAMPLING_ERROR, reason=f"sampling failed: {error}")
    lap("complete")  # the fit kept, if it stopped after its probe, run on to its planned length
    try:
        return _weigh(
            model, fit, config, replace(report, adapt_delta=config.adapt_delta), settings, goal_names, sizes, data, lap, normaliser, hidden,
            holds_rewrite=switchable_rewrite is not None,  # then the rewrite, if kept, is that library's too
        )  # fmt: skip
    finally:
        if alternative is not None:
            alternative.close()


LOW_E_BFMI = 0.3
HIGH_RHAT = 1.01


def sampling_trouble(fit: Fit) -> tuple[int, int]:
    """(divergent transitions, other warning signs: chains with E-BFMI < 0.3, R-hat > 1.01): smaller is better."""
    warnings = _low_e_bfmi_chains(fit)
    unconstrained_rhat = [rhat(fit.unconstrained[:, :, i]) for i in range(fit.unconstrained.shape[2])]
    warnings += sum(1 for value in unconstrained_rhat if math.isfinite(value) and value > HIGH_RHAT)
    return fit.num_divergent, warnings


def _low_e_bfmi_chains(fit: Fit) -> int:
    """How many chains explore energy poorly (E-BFMI < 0.3)."""
    return sum(1 for value in fit.e_bfmi() if math.isfinite(value) and value < LOW_E_BFMI)


# When two fits of one model are compared, one other warning sign (a chain with E-BFMI < 0.3, a
# coordinate whose chains disagree) weighs as much as this many divergent transitions.
WARNING_WEIGHT = 10


def trouble_rank(fit: Fit) -> tuple[float, int]:
    """Which of two fits of one model samples better (smaller is better): divergences (scaled to the
    planned length of a fit stopped early, Fit.expected_divergences) plus WARNING_WEIGHT per other
    warning sign, then fewer warning signs.

    Both kinds bias the draws and the evidence, and neither always outweighs the other: one
    coordinate at R-hat 1.02 is a milder fault than hundreds of divergent transitions, and dozens of
    coordinates whose chains disagree are worse than a few divergences."""
    _, warnings = sampling_trouble(fit)
    return fit.expected_divergences + WARNING_WEIGHT * warnings, warnings


def _remedy(model: StanModel, fit: Fit, config: SamplerConfig, ladder: Sequence[float]) -> tuple[SamplerConfig, Fit]:
    """Divergences, poor energy exploration or chains that disagree bias the draws and the evidence:
    refit with a dense metric if the draws are strongly correlated, then with a smaller step (a
    higher adapt_delta) while the divergences fall, then, if the chains only mix slowly, run them
    for longer. Each refit is kept only if it samples better; one that fails (its chains could not
    start, say) leaves the fit in hand standing, so this never raises ModelRuntimeError."""
    if sampling_trouble(fit) > (0, 0):
        # a refit whose first draws diverge more than the fit's rank cannot rank better: stopped there
        rank = trouble_rank(fit)[0]
        fit = _better(fit, _attempt(lambda: dense_refit(model, fit, config, lambda probe: probe.num_divergent > rank)))
    try:
        config, fit = climb_adapt_delta(fit, config, ladder, warm_refits(model))
    except ModelRuntimeError:
        pass
    if _mixes_slowly(fit):
        fit = _better(fit, _attempt(lambda: extend_chains(model, fit, config)))
    return config, fit


def _attempt(refit: Callable[[], Fit | None]) -> Fit | None:
    """``refit()``, or None if its sampling fails."""
    try:
        return refit()
    except ModelRuntimeError:
        return None


def _mixes_slowly(fit: Fit) -> bool:
    """No divergences and no poor energy exploration, but chains that do not yet agree (R-hat > 1.01)."""
    divergent, warnings = sampling_trouble(fit)
    return divergent == 0 and warnings > 0 and _low_e_bfmi_chains(fit) == 0


def _better(fit: Fit, challenger: Fit | None) -> Fit:
    """Whichever of two fits of one model samples better; the first when they tie."""
    return challenger if challenger is not None and trouble_rank(challenger) < trouble_rank(fit) else fit


def _reparameterised_fit(
    report: FitReport, data: dict[str, Any], config: SamplerConfig, toolchain: Toolchain | None, compile_jobs: int | None,
    switchable_rewrite: Reparameterisation | None = None,
):  # fmt: skip
    """Fit the program rewritten into better coordinates, if a rewrite applies: (model, compiled, fit, rewrite).
    The rewrite is the same library with REWRITE_FLAG set when it holds one, else a compile of its own."""
    assert report.prior_check is not None
    if switchable_rewrite is not None and report.compiled is not None:
        compiled, rewrite = report.compiled, switchable_rewrite
        try:
            model = StanModel(compiled.library, compiled.data_for({**data, REWRITE_FLAG: 1}), seed=config.seed, model=compiled.model)
        except (DataError, OSError):
            return None
    else:
        found = reparameterise(report.prior_check.source, toolchain=toolchain)
        if found is None or not validate_program(found.source, toolchain=toolchain).ok:
            return None
        loaded = _compile_and_load(found.source, data, config.seed, toolchain, compile_jobs)
        if isinstance(loaded, FitReport):
            return None
        compiled, model = loaded
        rewrite = found
    try:
        return model, compiled, first_fit(model, config), rewrite
    except ModelRuntimeError:
        model.close()
        return None


def _prior_normaliser(report: FitReport, settings: FitSettings, data: dict[str, Any], holds_rewrite: bool = False) -> PriorNormaliser | None:
    """The numerical estimate of log Z_prior for the compiled program, if it has a likelihood switch.

    A library that also holds the program's rewrite (``holds_rewrite``: reparam.switchable; a
    program's own data variable of the flag's name is never taken for it) samples the prior in the
    rewrite's coordinates: without data to pull against them, a hierarchical prior or a random walk
    is nearly a product of standard normals there, where as written it is a funnel. The integral,
    and so log Z_prior, is the same in both (the rewrite adds its Jacobian). Only if that estimate
    fails its checks, other than by chains that drift clearly apart (an improper prior is improper in
    any coordinates), is the prior sampled as written. (Kept by fewer divergences instead, a random
    walk's prior as written with none but R-hat 1.035 was 3 standard errors off the exact constant,
    where the rewrite's, with one divergence, was within one.)"""
    prior_check = report.prior_check
    if prior_check is None or prior_check.likelihood_flag is None or report.compiled is None:
        return None

    def estimate(values: dict[str, Any]) -> PriorNormaliser:
        assert report.compiled is not None and prior_check.likelihood_flag is not None
        return estimate_prior_normaliser(
            report.compiled.library, report.compiled.data_for(values), prior_check.likelihood_flag, settings.sampler,
            evidence_method=settings.evidence_method, num_proposal=settings.num_proposal, model_name=report.compiled.model,
        )  # fmt: skip

    if holds_rewrite:
        rewritten = estimate({**data, REWRITE_FLAG: 1})
        if rewritten.ok or rewritten.max_rhat > CLEARLY_DRIFTING:
            return rewritten  # drifting that far, the prior has no normaliser in any coordinates
        as_written = estimate({**data, REWRITE_FLAG: 0})
        return as_written if as_written.ok else rewritten
    return estimate(data)


def _unnormalisable(report: FitReport) -> FitReport:
    """The program refused: its prior's normalisation is neither proven nor estimable."""
    assert report.prior_check is not None and report.prior_normaliser is not None
    reason = (
        f"llb cannot prove the prior is normalised ({report.prior_check.unproven[0]}) and cannot estimate its "
        f"normalising constant: {report.prior_normaliser.problem}"
    )
    return replace(report, status=IMPROPER_PRIOR, reason=reason, log_evidence=None)


def _weigh(
    model: StanModel, fit: Fit, config: SamplerConfig, report: FitReport, settings: FitSettings, goal_names, sizes, data: dict[str, Any], lap,
    normaliser: PriorNormaliser | None = None, hidden: Sequence[str] = (), holds_rewrite: bool = False,
) -> FitReport:
    report = _with_posterior(report, fit, goal_names, hidden)
    lap("summary")
    if report.status in UNDEFINED_EVIDENCE:  # fitted for its posterior alone
        return report

    try:
        evidence = estimate_evidence(
            model.log_density_many,
            fit.unconstrained,
            method=settings.evidence_method,
            seed=config.seed,
            num_proposal=settings.num_proposal,
        )
    except (ModelRuntimeError, np.linalg.LinAlgError, FloatingPointError) as error:
        lap("evidence")
        return replace(report, status=EVIDENCE_ERROR, reason=f"evidence estimation failed: {error}")
    lap("evidence")
    if not math.isfinite(evidence.log_evidence):
        return replace(report, status=EVIDENCE_ERROR, evidence=evidence, reason="the evidence estimate is not finite (the proposal found no posterior mass)")
    prior_check = report.prior_check
    assert prior_check is not None
    log_evidence = evidence.log_evidence + prior_check.log_constant(sizes)
    report = replace(report, status=OK, reason=None, evidence=evidence, log_evidence=log_evidence)
    if normaliser is None:
        normaliser = _prior_normaliser(report, settings, data, holds_rewrite)
        if normaliser is None:
            return report
        lap("prior normaliser")
    report = replace(report, prior_normaliser=normaliser)
    if not normaliser.ok:
        if prior_check.unproven:
            return _unnormalisable(report)
        return report  # a verification that could not be made: the analysis stands
    if prior_check.unproven:
        se = math.hypot(evidence.mc_se, normaliser.mc_se)
        return replace(report, log_evidence=evidence.log_evidence - normaliser.log_normaliser, evidence=replace(evidence, mc_se=se))
    expected = -prior_check.log_constant(sizes)
    if abs(normaliser.log_normaliser - expected) > max(NORMALISER_Z * normaliser.mc_se, NORMALISER_FLOOR):
        reason = (
            f"the prior's normalising constant estimated from the prior alone (log Z = {normaliser.log_normaliser:.3f} ± "
            f"{normaliser.mc_se:.3f}) disagrees with llb's analysis of the program ({expected:.3f})"
        )
        return replace(report, status=IMPROPER_PRIOR, reason=reason, log_evidence=None)
    return report
