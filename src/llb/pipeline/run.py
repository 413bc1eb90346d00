"""A run: candidate programs for one problem -> per-program fits -> weights -> combined posterior.

The run folder is the source of truth. Each program gets ``models/<id>/`` with its code
(``program.stan``; ``compiled.stan`` when its priors were rewritten), ``result.json`` (status, reason,
evidence, diagnostics) and ``goal_draws.npy``; ``result.json`` at the top holds every program's
weight and the combined summaries. Files are written atomically as soon as they are known, and a
program whose ``result.json`` matches the current settings is not fitted again, so a run that was
stopped continues where it left off.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from llb.files import write_atomic
from llb.llm.candidates import Candidate
from llb.pipeline.execute import Executor, LocalExecutor, ProgramTask
from llb.pipeline.outcome import ProgramOutcome
from llb.pipeline.program import OK, FitSettings, Goal
from llb.pipeline.run_folder import claim_run_folder
from llb.problem import Problem
from llb.records import from_json, to_json
from llb.stan.compile import normalise_source
from llb.stats.combine import compute_weights, mixture_summaries
from llb.version import __version__

logger = logging.getLogger("llb.pipeline.run")

RESULT_FILE = "result.json"
# The layout of models/<id>/result.json and the way its fit was made: a record written in another
# layout, or by a fit that samples differently, is fitted again on resuming, not misread or mixed
# with records of the current fits (3: first fits probe their first draws; models_built_together).
RECORD_FORMAT = 3


NO_PROGRAM = "no_program"  # the LLM's reply contained no program


@dataclass(frozen=True)
class ProgramRecord:
    """What a run keeps of one candidate: where it came from, its code and its program's outcome."""

    id: str
    source: str
    outcome: ProgramOutcome
    origin: str = ""
    duplicate_of: str | None = None  # the candidate whose identical program was fitted instead

    @property
    def status(self) -> str:
        return self.outcome.status

    @property
    def reason(self) -> str | None:
        return self.outcome.reason

    @property
    def log_evidence(self) -> float | None:
        return self.outcome.log_evidence

    @property
    def goal_draws(self) -> np.ndarray | None:
        return self.outcome.goal_draws


def program_seed(run_seed: int, key: str) -> int:
    """Each distinct program's seed depends only on the run seed and its code, not on order or executor."""
    digest = hashlib.sha256(f"{run_seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "little") % (2**31 - 1)


def source_key(source: str) -> str:
    return hashlib.sha256(normalise_source(source).encode()).hexdigest()[:24]


def _fingerprint(key: str, settings: FitSettings, problem: Problem) -> str:
    text = json.dumps(
        {
            "key": key, "settings": asdict(settings), "goal": problem.goal_declaration.declaration_text(), "data": problem.data,
            "llb": __version__, "record": RECORD_FORMAT,
        },  # fmt: skip
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _write_json(path: Path, document: Any) -> None:
    write_atomic(path, json.dumps(to_json(document), indent=1))


def _write_npy(path: Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array)
    write_atomic(path, buffer.getvalue())


def _save_record(folder: Path, record: ProgramRecord, fingerprint: str, candidate: Candidate) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "program.stan", record.source)
    if candidate.reply is not None:
        write_atomic(folder / "reply.txt", candidate.reply)
    if candidate.description:
        write_atomic(folder / "description.txt", candidate.description)
    if record.outcome.fitted_source:
        write_atomic(folder / "compiled.stan", record.outcome.fitted_source)
    if record.goal_draws is not None:
        _write_npy(folder / "goal_draws.npy", record.goal_draws)
    document = {
        "id": record.id,
        "origin": record.origin,
        "fingerprint": fingerprint,
        "duplicate_of": record.duplicate_of,
        **to_json(record.outcome),
    }
    _write_json(folder / RESULT_FILE, document)  # written last: its presence means the program is done


def read_record(folder: Path) -> ProgramRecord | None:
    """The record in ``models/<id>/`` (its goal draws included), or None when it is missing or unreadable."""
    try:
        document = json.loads((folder / RESULT_FILE).read_text())
        outcome = from_json(ProgramOutcome, document)
        source = (folder / "program.stan").read_text()
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if outcome.status == OK and not document.get("duplicate_of"):
        try:
            outcome = replace(outcome, goal_draws=np.load(folder / "goal_draws.npy"))
        except (OSError, ValueError):
            return None
    return ProgramRecord(document.get("id", folder.name), source, outcome, document.get("origin", ""), document.get("duplicate_of"))


def _load_record(folder: Path, candidate: Candidate, fingerprint: str) -> ProgramRecord | None:
    """The finished record of ``candidate`` when it was made with the same settings, else None."""
    try:
        document = json.loads((folder / RESULT_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("fingerprint") != fingerprint or document.get("duplicate_of"):
        return None
    record = read_record(folder)
    if record is None:
        return None
    return replace(record, id=candidate.id, source=candidate.source, origin=candidate.origin)


def run_problem(
    problem: Problem,
    candidates: list[Candidate],
    *,
    out_dir: str | Path,
    settings: FitSettings = FitSettings(),
    seed: int = 0,
    executor: Executor | None = None,
    on_program: Callable[[ProgramRecord, bool], None] | None = None,
    on_plan: Callable[[int, int], None] | None = None,
    exclude_unreliable: bool = False,
) -> dict[str, Any]:
    """Fit every distinct candidate once, weigh them, write the run folder; returns result.json's content.

    With ``exclude_unreliable``, programs whose fit or evidence is doubtful (``reliability``) get no
    weight, as long as at least one valid program remains.

    Distinct programs not already finished in ``out_dir`` are handed to ``executor`` (default: one
    contained child at a time). Each record is written as soon as it arrives, so a stopped run loses
    at most the programs in flight. ``on_plan(total, to_fit)`` is called once before fitting and
    ``on_program(record, reused)`` as each program is settled (for progress output). ``out_dir`` must
    be new, empty or an llb run folder not in use by another run (run_folder.py).
    """
    with claim_run_folder(out_dir, problem.digest) as out:
        return _run_in_folder(
            problem, candidates, out=out, settings=settings, seed=seed, executor=executor,
            on_program=on_program, on_plan=on_plan, exclude_unreliable=exclude_unreliable,
        )  # fmt: skip


def _run_in_folder(problem, candidates, *, out: Path, settings, seed, executor, on_program, on_plan, exclude_unreliable) -> dict[str, Any]:
    start = time.perf_counter()
    (out / "models").mkdir(parents=True, exist_ok=True)
    ids = _unique_ids(c.id for c in candidates)
    candidates = [replace(c, id=i) for c, i in zip(candidates, ids)]
    goal = Goal(problem.goal_declaration, problem.goal_shape)
    executor = executor or LocalExecutor()

    # Plan: which candidates are settled already, and which distinct programs still need fitting.
    settled: dict[str, ProgramRecord] = {}  # by candidate id
    first_of_key: dict[str, Candidate] = {}
    tasks: dict[str, tuple[ProgramTask, Candidate, str]] = {}
    for candidate in candidates:
        key = source_key(candidate.source)
        if candidate.parse_error is not None:
            settled[candidate.id] = ProgramRecord(candidate.id, candidate.source, ProgramOutcome(key, NO_PROGRAM, candidate.parse_error), candidate.origin)
            _save_record(out / "models" / candidate.id, settled[candidate.id], "", candidate)
            if on_program:
                on_program(settled[candidate.id], False)
            continue
        if key in first_of_key:
            continue
        first_of_key[key] = candidate
        program_settings = replace(settings, sampler=replace(settings.sampler, seed=program_seed(seed, key)))
        fingerprint = _fingerprint(key, program_settings, problem)
        record = _load_record(out / "models" / candidate.id, candidate, fingerprint)
        if record is not None:
            settled[candidate.id] = record
            if on_program:
                on_program(record, True)
        else:
            tasks[key] = (ProgramTask(key, candidate.source, problem.data, goal, program_settings), candidate, fingerprint)
    if on_plan:
        on_plan(len(candidates), len(tasks))

    # Longest programs first (comments and layout aside): they tend to take longest to compile and
    # sample, and a long one started last would hold the end of the run with the other workers idle.
    # (Replayed on the bundled examples' recorded program times, two workers: 570 s in file order,
    # 563 s this way, 559 s at best.) The adaptive time limit starts with the first program to finish,
    # whatever the order; until then every program has the hard limit.
    ordered = sorted((task for task, _, _ in tasks.values()), key=lambda task: len(normalise_source(task.source)), reverse=True)
    for outcome in executor.run(ordered):
        _, candidate, fingerprint = tasks[outcome.key]
        record = ProgramRecord(candidate.id, candidate.source, outcome, candidate.origin)
        _save_record(out / "models" / candidate.id, record, fingerprint, candidate)
        settled[candidate.id] = record
        if on_program:
            on_program(record, False)

    records: list[ProgramRecord] = []
    for candidate in candidates:
        if candidate.id in settled:
            records.append(settled[candidate.id])
            continue
        original = settled[first_of_key[source_key(candidate.source)].id]
        duplicate = replace(original, id=candidate.id, source=candidate.source, origin=candidate.origin, duplicate_of=original.id)
        _save_record(out / "models" / candidate.id, replace(duplicate, outcome=replace(original.outcome, goal_draws=None)), "", candidate)
        records.append(duplicate)
        if on_program:
            on_program(duplicate, True)

    descriptions = {c.id: c.description for c in candidates}
    result = assemble_result(problem, records, settings=settings, seed=seed, descriptions=descriptions, exclude_unreliable=exclude_unreliable)
    _write_json(out / RESULT_FILE, result)
    _write_json(out / "run.json", {"llb_version": __version__, "seconds": round(time.perf_counter() - start, 3), "programs_fitted": len(tasks), "finished": time.time()})
    return result


def _unique_ids(ids: Iterable[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for item in ids:
        count = seen.get(item, 0)
        seen[item] = count + 1
        out.append(item if count == 0 else f"{item}-{count + 1}")
    return out


RELIABLE_SE = 0.1  # nats: beyond this the evidence weight is itself uncertain by more than 10%
RELIABLE_RHAT = 1.01


def reliability(record: ProgramRecord) -> str | None:
    """``"good"``, or what makes this program's evidence or draws doubtful; None when it was not fitted."""
    if record.status != OK:
        return None
    concerns = []
    outcome = record.outcome
    se = outcome.log_evidence_se
    if se is None or not math.isfinite(se) or se > RELIABLE_SE:
        concerns.append(f"evidence error {se:.2f} nat" if se is not None and math.isfinite(se) else "evidence error unknown")
    diagnostics = outcome.diagnostics
    if diagnostics is not None and diagnostics.divergences:
        count = diagnostics.divergences
        concerns.append(f"{count} divergence{'' if count == 1 else 's'}")
    max_rhat = diagnostics.max_rhat if diagnostics is not None else None
    if max_rhat is not None and max_rhat > RELIABLE_RHAT:
        concerns.append(f"R-hat {max_rhat:.3f}")
    concerns += outcome.prior.likelihood_concerns
    pareto_k = outcome.evidence.pareto_k if outcome.evidence is not None else None
    if pareto_k is not None and math.isfinite(pareto_k) and pareto_k > 0.7 and (se is None or se > RELIABLE_SE / 2):
        concerns.append(f"proposal Pareto k {pareto_k:.2f}")
    return "; ".join(concerns) if concerns else "good"


UNRELIABLE_WEIGHT_WARNING = 0.1


def unreliable_weight_warning(result: dict) -> str | None:
    """A sentence when programs with doubtful fits carry a notable share of the weight, else None."""
    share = result.get("unreliable_weight") or 0.0
    if result.get("excluded_unreliable"):
        return f"programs with doubtful fits would have carried {share:.0%} of the weight; they were given none (--exclude-unreliable)" if share > 0 else None
    if share <= UNRELIABLE_WEIGHT_WARNING:
        return None
    return (
        f"{share:.0%} of the evidence weight is on programs whose fit or evidence estimate is doubtful (see the "
        "reliability column); compare with --exclude-unreliable before trusting the result"
    )


MAX_RECORDED_SOURCE = 20_000  # characters of a program (or its description) kept in result.json and the report
MAX_RECORDED_REASON = 1_000


def shorten(text: str | None, limit: int, where: str) -> str | None:
    """``text`` cut to ``limit`` characters, with a note saying so and where the whole of it is."""
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"\n... [{len(text) - limit} more characters; the whole text is in {where}]"


def assemble_result(
    problem: Problem,
    records: list[ProgramRecord],
    *,
    settings: FitSettings,
    seed: int,
    descriptions: dict[str, str | None] | None = None,
    exclude_unreliable: bool = False,
) -> dict[str, Any]:
    """The run's result.json (JSON-safe: NaN is None): per-program records with weights, and the
    combined goal summaries.

    ``unreliable_weight`` is the evidence weight that programs with a doubtful fit or evidence
    estimate get when every valid program is weighed: how much the answer leans on them.
    """
    descriptions = descriptions or {}
    log_evidence = [r.log_evidence if r.status == OK else None for r in records]
    reliabilities = [reliability(r) for r in records]
    doubtful = np.array([value not in (None, "good") for value in reliabilities])
    weights = compute_weights(log_evidence)
    unreliable_weight = float(weights.evidence[doubtful].sum())
    exclude_unreliable = exclude_unreliable and any(value == "good" for value in reliabilities)
    if exclude_unreliable:
        weights = compute_weights([value if not bad else None for value, bad in zip(log_evidence, doubtful)])
    names = next((list(r.outcome.goal_names) for r in records if r.status == OK and r.outcome.goal_names), [])
    discrete = problem.goal_declaration.base_type == "int"
    draws = [r.goal_draws if r.status == OK else None for r in records]
    models = []
    for record, weight, flat, record_reliability in zip(records, weights.evidence, weights.flat, reliabilities):
        goal_mean = None
        if record.status == OK and record.goal_draws is not None and record.goal_draws.size:
            means = record.goal_draws.mean(axis=0)
            goal_mean = dict(zip(names, (float(m) for m in means)))
        models.append(
            {
                "id": record.id,
                "origin": record.origin,
                "source": shorten(record.source, MAX_RECORDED_SOURCE, f"models/{record.id}/program.stan"),
                "description": shorten(descriptions.get(record.id), MAX_RECORDED_SOURCE, f"models/{record.id}/description.txt"),
                "status": record.status,
                "reason": shorten(record.reason, MAX_RECORDED_REASON, f"models/{record.id}/result.json"),
                "log_evidence": record.log_evidence,
                "weight": float(weight),
                "flat_weight": float(flat),
                "duplicate_of": record.duplicate_of,
                "log_evidence_se": record.outcome.log_evidence_se,
                "pareto_k": record.outcome.evidence.pareto_k if record.outcome.evidence else None,
                "corrections": list(record.outcome.prior.corrections),
                "likelihood_concerns": list(record.outcome.prior.likelihood_concerns),
                "reparameterisation": record.outcome.reparameterisation,
                "diagnostics": to_json(record.outcome.diagnostics),
                "goal_mean": goal_mean,
                "reliability": record_reliability,
            }
        )
    counts: dict[str, int] = {}
    for record in records:
        counts[record.status] = counts.get(record.status, 0) + 1
    return to_json({
        "llb_version": __version__,
        "problem": {"folder": str(problem.root) if problem.root else None, "goal": problem.goal, "text": problem.text},
        "settings": {"seed": seed, **asdict(settings)},
        "goal": {"names": names, "discrete": discrete},
        "models": models,
        "counts": counts,
        "num_programs": len(records),
        "num_valid": int(sum(1 for r in records if r.status == OK)),
        "num_unique": len({r.outcome.key for r in records}),
        "weights_ess": weights.effective_sample_size,
        "unreliable_weight": unreliable_weight,
        "excluded_unreliable": exclude_unreliable,
        "posterior": mixture_summaries(draws, {"llb": weights.evidence, "flat": weights.flat}, names, discrete=discrete),
    })
