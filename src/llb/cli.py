"""The ``llb`` command line. Every user mistake ends in one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.table import Table

from .errors import LlbError

DEFAULT_N_MODELS = 16
EXIT_PROGRAM_FAILED = 1
EXIT_USAGE = 2

console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 140)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        err_console.print(f"llb: error: {message} (see `{self.prog} --help`)", markup=False)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="llb", description="Bayesian answers from a problem description, by averaging LLM-written Stan programs.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what llb does (builds, commands)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    fit = commands.add_parser("fit", help="validate, compile and sample one Stan program")
    fit.add_argument("program", type=Path, help="a .stan file")
    fit.add_argument("--data", type=Path, help="Stan JSON data file (omit if the program has no data)")
    _add_fit_options(fit)
    fit.add_argument("--json", action="store_true", help="print a JSON document instead of tables")
    fit.set_defaults(handler=_cmd_fit)

    run = commands.add_parser("run", help="answer a problem by weighting many candidate programs")
    run.add_argument("problem", type=Path, help="problem folder with problem.toml and data.json")
    run.add_argument("--programs", type=Path, help="folder of candidate .stan programs (no LLM is asked)")
    run.add_argument("--n-models", type=int, help=f"how many programs to ask the LLM for (default {DEFAULT_N_MODELS}); with --programs, use at most this many")
    run.add_argument("--model", help="LLM model name (default $LLB_MODEL or gpt-4o-mini)")
    run.add_argument("--temperature", type=float, default=1.0, help="LLM sampling temperature (default 1: the model's own distribution)")
    run.add_argument("--max-tokens", type=int, default=2048, help="longest reply, in tokens")
    run.add_argument("--concurrency", type=int, default=4, help="LLM requests in flight at once")
    run.add_argument(
        "--llm-timeout", type=float, default=None, metavar="SECONDS",
        help="seconds the LLM server may take to answer one request (default $LLB_LLM_TIMEOUT or 180)",
    )  # fmt: skip
    run.add_argument("--out", type=Path, help="run folder (default llb-runs/<problem name>); an existing run continues")
    _add_fit_options(run)
    run.add_argument("--workers", type=int, default=None, help="programs fitted at once on this machine (default: the number of CPUs)")
    run.add_argument(
        "--exclude-unreliable", action="store_true",
        help="give no weight to programs whose fit or evidence estimate is doubtful (see the reliability column)",
    )  # fmt: skip
    run.add_argument("--scheduler", help="address of a Dask scheduler to send the programs to, e.g. tcp://HOST:8786")
    run.add_argument("--dask-local", action="store_true", help="start a local Dask cluster (with --workers workers) for this run")
    run.add_argument("--timeout", type=float, default=900.0, help="seconds one program may take, compile included (default 900)")
    run.add_argument("--memory-limit", type=float, default=8.0, help="GB of memory one program may use (default 8)")
    run.add_argument("--quiet", action="store_true", help="print only the final summary")
    run.add_argument(
        "--keep-incomparable",
        action="store_true",
        help="weigh programs whose likelihood is for values computed from the data (status incomparable) instead of refusing them",
    )
    run.set_defaults(handler=_cmd_run)

    report = commands.add_parser("report", help="(re)write the report of a finished run")
    report.add_argument("run_dir", type=Path, help="the folder of a finished `llb run`")
    report.set_defaults(handler=_cmd_report)

    prompt = commands.add_parser("prompt", help="print the exact messages llb sends to the LLM for a problem")
    prompt.add_argument("problem", type=Path, help="problem folder with problem.toml and data.json")
    prompt.add_argument("--json", action="store_true", help="print the messages as JSON (OpenAI chat format)")
    prompt.set_defaults(handler=_cmd_prompt)

    tools = commands.add_parser("toolchain", help="show the Stan toolchain and cache llb uses")
    tools.add_argument("--build", action="store_true", help="build the precompiled header and runner now")
    tools.set_defaults(handler=_cmd_toolchain)
    return parser


def _add_fit_options(parser: argparse.ArgumentParser) -> None:
    """Sampler and evidence options shared by `fit` and `run`."""
    from .evidence import DEFAULT_METHOD, METHODS

    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--evidence",
        choices=METHODS,
        default=DEFAULT_METHOD,
        help="marginal likelihood estimator: bridge sampling (default), importance sampling, or the paper's IW bound",
    )
    parser.add_argument(
        "--verify-normalisation",
        action="store_true",
        help="estimate every program's prior normalising constant numerically (not only where llb cannot prove it) and refuse disagreements",
    )


def _settings(args: argparse.Namespace):
    from .fit import FitSettings
    from .sample import SamplerConfig

    try:
        config = SamplerConfig(chains=args.chains, warmup=args.warmup, draws=args.draws, seed=args.seed)
    except ValueError as error:
        raise LlbError(str(error)) from None
    command = getattr(args, "command", None)
    return FitSettings(
        sampler=config,
        evidence_method=args.evidence,
        verify_normalisation=args.verify_normalisation,
        # one program alone: its posterior is wanted even when its evidence is undefined
        fit_improper=command == "fit",
        keep_incomparable=command == "fit" or getattr(args, "keep_incomparable", False),
    )


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: every child is stopped and the run folder stays resumable."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    import signal

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="llb: %(message)s")
    if threading_main():
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return int(args.handler(args))
    except LlbError as error:
        err_console.print(f"llb: error: {error}", markup=False, soft_wrap=True)
        return EXIT_USAGE
    except Terminated:
        err_console.print("llb: terminated; run the same command again to continue", markup=False)
        return 143
    except KeyboardInterrupt:
        err_console.print("llb: interrupted; run the same command again to continue", markup=False)
        return 130
    except Exception as error:  # a bug in llb, not a user mistake: one line unless -v asks for more
        if args.verbose:
            raise
        err_console.print(f"llb: internal error: {type(error).__name__}: {error} (rerun with -v for details)", markup=False)
        return 3


def threading_main() -> bool:
    """Whether this is the main thread (only it may install signal handlers)."""
    import threading

    return threading.current_thread() is threading.main_thread()


def _read_program(path: Path) -> str:
    from .files import read_text_file

    return read_text_file(path, error=LlbError, what="Stan program")


def _cmd_fit(args: argparse.Namespace) -> int:
    from .data import load_data
    from .fit import fit_program

    source = _read_program(args.program)
    data = load_data(args.data) if args.data else {}
    settings = _settings(args)
    with console.status("validating, compiling and sampling", spinner="dots") if not args.json else contextlib.nullcontext():
        report = fit_program(source, data, settings=settings)
    if args.json:
        print(json.dumps(report.to_json(), indent=1))
    else:
        _print_fit(report, args.program)
    return 0 if report.ok or report.summary else EXIT_PROGRAM_FAILED


def _cmd_run(args: argparse.Namespace) -> int:
    from .problem import load_problem
    from .run_folder import check_run_folder

    problem = load_problem(args.problem)
    settings = _settings(args)
    if args.n_models is not None and args.n_models < 1:
        raise LlbError("--n-models must be at least 1")
    if args.timeout <= 0 or args.memory_limit <= 0:
        raise LlbError("--timeout and --memory-limit must be positive")
    if args.workers is not None and args.workers < 1:
        raise LlbError("--workers must be at least 1")
    if args.llm_timeout is not None and not args.llm_timeout > 0:
        raise LlbError(f"--llm-timeout must be a positive number of seconds, not {args.llm_timeout:g}")
    if args.scheduler and args.dask_local:
        raise LlbError("give either --scheduler or --dask-local, not both")
    out = args.out or Path("llb-runs") / args.problem.resolve().name
    check_run_folder(out)  # before the LLM is asked: a folder llb may not use is refused at once
    return _run_into(args, problem, settings, out)


def _run_into(args: argparse.Namespace, problem, settings, out: Path) -> int:
    from .generate import llm_configured
    from .run import read_program_folder, run_problem
    from .run_folder import claim_run_folder

    if args.programs is not None:
        candidates = read_program_folder(args.programs)[: args.n_models]
        origin = f"{len(candidates)} programs from {args.programs} (no LLM asked)"
    elif llm_configured():
        candidates, origin = _ask_llm(problem, args)
    elif (args.problem / "programs").is_dir():
        candidates = read_program_folder(args.problem / "programs")[: args.n_models]
        origin = f"{len(candidates)} recorded programs from {args.problem / 'programs'} (no LLM configured, no --programs given)"
    else:
        raise LlbError(
            f"no candidate programs: set OPENAI_BASE_URL (and OPENAI_API_KEY) to ask an LLM, pass --programs DIR, "
            f"or put .stan files in {args.problem / 'programs'}"
        )
    if not args.quiet:
        console.print(f"problem: {problem.root}  goal: {problem.goal.declaration_text()}", markup=False)
        if problem.declarations_inferred:
            console.print("data declarations inferred from data.json", markup=False)
        console.print(f"candidates: {origin}", markup=False)
        console.print(f"run folder: {out}", markup=False)

    if not args.scheduler:  # remote Dask workers build their own
        _build_toolchain(quiet=args.quiet)
    from .report import write_report

    with claim_run_folder(out):  # held until the report is written
        with _executor(args) as executor, _RunProgress(quiet=args.quiet) as progress:
            result = run_problem(
                problem, candidates, out_dir=out, settings=settings, seed=args.seed, executor=executor,
                on_program=progress.program, on_plan=progress.plan, exclude_unreliable=args.exclude_unreliable,
            )  # fmt: skip
        _print_run(result, quiet=args.quiet)
        report = write_report(out)
    console.print(f"wrote {out / 'result.json'} and {report}", markup=False)
    return 0 if result["num_valid"] > 0 else EXIT_PROGRAM_FAILED


def _build_toolchain(*, quiet: bool) -> None:
    """Build the precompiled header and runner here, once, before any program's time limit starts."""
    from .toolchain import find_toolchain, runner_object, toolchain_built

    toolchain = find_toolchain()
    if toolchain_built(toolchain):
        return
    if not quiet:
        console.print(f"building the Stan toolchain in {toolchain.build_dir} (once per machine; about a minute)", markup=False)
    runner_object(toolchain)


def _ask_llm(problem, args: argparse.Namespace):
    import os

    from .generate import OpenAIBackend, ReplyCache, generate_replies
    from .prompt import build_messages
    from .run import candidates_from_replies
    backend = OpenAIBackend(timeout=args.llm_timeout)
    model = args.model or os.environ.get("LLB_MODEL") or "gpt-4o-mini"
    n_models = args.n_models or DEFAULT_N_MODELS
    counts = {"cached": 0, "new": 0}
    started = time.monotonic()

    def waiting() -> str:
        done = counts["cached"] + counts["new"]
        return f"waiting for the LLM ({model} at {backend.base_url}): {done} of {n_models} replies, {time.monotonic() - started:.0f} s"

    def progress(reply) -> None:
        counts["cached" if reply.cached else "new"] += 1

    with _ticking_status(waiting, quiet=args.quiet):
        replies = generate_replies(
            build_messages(problem),
            backend=backend,
            n_models=n_models,
            model=model,
            temperature=args.temperature,
            max_tokens=args.max_tokens,
            cache=ReplyCache.default(),
            concurrency=args.concurrency,
            on_reply=progress,
        )
    origin = f"{n_models} replies from {model} at {backend.base_url} ({counts['new']} new, {counts['cached']} from the reply cache)"
    return candidates_from_replies((reply.index, reply.text) for reply in replies), origin


@contextlib.contextmanager
def _ticking_status(text, *, quiet: bool):
    """A console status line that ``text()`` rewrites every second (nothing when ``quiet``)."""
    if quiet:
        yield
        return
    import threading

    stop = threading.Event()
    with console.status(text(), spinner="dots") as status:

        def tick() -> None:
            while not stop.wait(1.0):
                status.update(text())

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report
    from .run_folder import LEGACY_MANIFEST, MANIFEST

    if not args.run_dir.exists():
        raise LlbError(f"{args.run_dir} does not exist; give the folder of a finished `llb run`")
    if not args.run_dir.is_dir():
        raise LlbError(f"{args.run_dir} is a file, not a folder; give the folder of a finished `llb run`")
    if not (args.run_dir / MANIFEST).exists() and not (args.run_dir / LEGACY_MANIFEST).exists():
        raise LlbError(f"{args.run_dir} is not an llb run folder (it has no {MANIFEST}); give the folder of a finished `llb run`")
    console.print(f"wrote {write_report(args.run_dir)}", markup=False)
    return 0


def _cmd_prompt(args: argparse.Namespace) -> int:
    from .problem import load_problem
    from .prompt import build_messages

    problem = load_problem(args.problem)
    messages = build_messages(problem)
    if args.json:
        print(json.dumps(messages, indent=1))
        return 0
    if problem.declarations_inferred:
        print("# data declarations were inferred from data.json:\n" + problem.data_declarations + "\n")
    for message in messages:
        print(f"===== {message['role']} =====")
        print(message["content"])
        print()
    return 0


@contextlib.contextmanager
def _executor(args: argparse.Namespace):
    """The executor the options ask for: local contained children, a Dask cluster, or a local one."""
    import os

    from .execute import DaskExecutor, Limits, LocalExecutor

    limits = Limits(seconds=args.timeout, memory_bytes=int(args.memory_limit * 2**30))  # options checked in _cmd_run
    workers = args.workers or os.cpu_count() or 1
    if not (args.scheduler or args.dask_local):
        yield LocalExecutor(workers=workers, limits=limits)
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise LlbError("Dask is not installed; run `pip install 'dask[distributed]'` (or `make install`)") from None
    if args.dask_local:
        import dask

        dask.config.set({"distributed.worker.daemon": False})  # lets workers start contained children directly
        if not args.verbose:
            logging.getLogger("distributed").setLevel(logging.ERROR)
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
            yield DaskExecutor(client, limits=limits)
        return
    try:
        client = Client(args.scheduler, timeout=30)
    except (OSError, TimeoutError) as error:
        raise LlbError(f"cannot connect to the Dask scheduler at {args.scheduler} ({error}); check the address and that it runs") from None
    with client:
        yield DaskExecutor(client, limits=limits)


class _RunProgress:
    """A progress bar with counts per status, programs per second and time left."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.counts: dict[str, int] = {}
        self._progress = None
        self._task = None

    def __enter__(self) -> "_RunProgress":
        if not self.quiet:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("fitting"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), TextColumn("{task.fields[counts]}"),
                console=console, transient=False,
            )  # fmt: skip
            self._progress.__enter__()
            self._task = self._progress.add_task("fit", total=None, counts="", rate="")
        self._start = time.monotonic()
        self._done = 0
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def plan(self, total: int, to_fit: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=total)
            self._progress.console.print(f"{to_fit} distinct programs to fit; the rest are finished already or duplicates", markup=False)

    def program(self, record, reused: bool) -> None:
        self.counts[record.status] = self.counts.get(record.status, 0) + 1
        self._done += 1
        if self._progress is None:
            return
        elapsed = time.monotonic() - self._start
        rate = f"{self._done / elapsed:.1f}/s" if elapsed > 0 else ""
        counts = " ".join(f"{status} {n}" for status, n in sorted(self.counts.items()))
        self._progress.update(self._task, completed=self._done, counts=counts, rate=rate)
        if not reused and record.status != "ok":
            self._progress.console.print(f"  {record.id}: {record.status}: {record.reason}", markup=False, soft_wrap=True)


def _print_run(result: dict, *, quiet: bool) -> None:
    names = result["goal"]["names"]
    if not quiet:
        table = Table(title="programs (by weight)", title_justify="left")
        table.add_column("program", no_wrap=True, overflow="ellipsis", max_width=40)
        for column in ("status", "log evidence", "± se", "weight", "goal mean" if len(names) == 1 else f"mean {names[0] if names else ''}", "reliability"):
            table.add_column(column, justify="left" if column in ("status", "reliability") else "right")
        ordered = sorted(result["models"], key=lambda m: (-m["weight"], m["status"] != "ok", m["id"]))
        for model in ordered:
            mean = (model["goal_mean"] or {}).get(names[0]) if names else None
            table.add_row(
                model["id"] + (f" (= {model['duplicate_of']})" if model["duplicate_of"] else ""),
                model["status"],
                _fmt(model["log_evidence"], 5),
                _fmt(model["log_evidence_se"], 2),
                f"{model['weight']:.3f}",
                _fmt(mean),
                model["reliability"] or "",
            )
        console.print(table)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result["counts"].items()))
    console.print(
        f"{result['num_programs']} programs ({result['num_unique']} distinct): {counts}; "
        f"effective number of programs under the evidence weights: {result['weights_ess']:.2f}",
        markup=False,
    )
    from .run import unreliable_weight_warning

    warning = unreliable_weight_warning(result)
    if warning:
        err_console.print(f"warning: {warning}", markup=False, soft_wrap=True)
    posterior = result["posterior"]
    if not posterior["llb"]:
        console.print("no valid program: there is no posterior to report", markup=False)
        return
    table = Table(title="posterior of the goal: evidence-weighted (LLB) and flat average", title_justify="left")
    for column in ("element", "LLB mean", "sd", "5%", "50%", "95%", "flat mean", "flat 5%", "flat 95%"):
        table.add_column(column, justify="left" if column == "element" else "right")
    shown = names[:20]
    for name in shown:
        llb, flat = posterior["llb"][name], posterior["flat"][name]
        table.add_row(name, _fmt(llb["mean"]), _fmt(llb["sd"]), _fmt(llb["q05"]), _fmt(llb["q50"]), _fmt(llb["q95"]), _fmt(flat["mean"]), _fmt(flat["q05"]), _fmt(flat["q95"]))
    console.print(table)
    if len(names) > len(shown):
        console.print(f"({len(names) - len(shown)} more elements in result.json)", markup=False)


def _cmd_toolchain(args: argparse.Namespace) -> int:
    import time

    from .toolchain import find_toolchain, runner_object

    toolchain = find_toolchain()
    console.print(f"stanc:     {toolchain.stanc} (Stan {toolchain.stan_version})", markup=False)
    console.print(f"compiler:  {toolchain.compiler} ({toolchain.compiler_version})", markup=False)
    console.print(f"cache:     {toolchain.build_dir}", markup=False)
    if args.build:
        start = time.perf_counter()
        runner = runner_object(toolchain)
        console.print(f"runner:    {runner} (ready in {time.perf_counter() - start:.1f} s)", markup=False)
    return 0


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or value != value:
        return "-"
    return f"{value:.{digits}g}"


def _print_fit(report, program: Path) -> None:
    if not report.ok and not report.summary:
        err_console.print(f"llb: {program}: {report.status}: {report.reason}", markup=False, soft_wrap=True)
        return
    table = Table(title=f"{program.name}: posterior summary", title_justify="left")
    for column in ("name", "mean", "sd", "5%", "50%", "95%", "R-hat", "ESS bulk"):
        table.add_column(column, justify="left" if column == "name" else "right")
    for row in report.summary:
        table.add_row(
            row["name"], _fmt(row["mean"]), _fmt(row["sd"]), _fmt(row["q05"]), _fmt(row["q50"]),
            _fmt(row["q95"]), _fmt(row["rhat"], 4), _fmt(row["ess_bulk"], 4),
        )  # fmt: skip
    console.print(table)
    diagnostics = report.diagnostics()
    hit = " (cache hit)" if report.compiled and report.compiled.cache_hit else ""
    timings = ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in report.timings.items())
    console.print(f"divergent transitions: {diagnostics['divergences']} (adapt_delta {diagnostics['adapt_delta']}); max tree depth hits: {diagnostics['max_treedepth_hits']}")
    if report.evidence is not None and report.log_evidence is not None:
        evidence = report.evidence
        console.print(
            f"log evidence: {report.log_evidence:.3f} ± {evidence.mc_se:.3f} ({evidence.method}; proposal Pareto k {evidence.pareto_k:.2f})"
        )
    if not report.ok:
        console.print(f"log evidence: undefined ({report.status}: {report.reason})", markup=False, soft_wrap=True)
    for correction in report.corrections():
        console.print(f"correction: {correction}", markup=False, soft_wrap=True)
    for concern in report.prior_check.likelihood_concerns if report.prior_check else ():
        console.print(f"warning: {concern}: its evidence may not be comparable with other programs'", markup=False)
    console.print(f"timings: {timings}{hit}")
    for warning in report.validation.warnings if report.validation else ():
        console.print(f"stanc warning: {warning}", markup=False)


if __name__ == "__main__":
    sys.exit(main())
