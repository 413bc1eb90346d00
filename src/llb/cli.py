"""The ``llb`` command line. Every user mistake ends in one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import NoReturn, Sequence

from rich.console import Console
from rich.table import Table

from llb.errors import LlbError
from llb.progress import console_for

DEFAULT_N_MODELS = 16
EXIT_PROGRAM_FAILED = 1
EXIT_USAGE = 2

console = console_for(sys.stdout)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        err_console.print(f"llb: error: {message} (see `{self.prog} --help`)", markup=False)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="llb", description="Bayesian answers from a problem description, by averaging LLM-written Stan programs.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what llb does (builds, commands)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    fit = commands.add_parser("fit", help="validate, compile and sample one Stan program")
    fit.add_argument("program", type=Path, help="a .stan file")
    fit.add_argument("--data", type=Path, help="data file: Stan JSON, or a .csv table (omit if the program has no data)")
    _add_fit_options(fit)
    fit.add_argument("--json", action="store_true", help="print a JSON document instead of tables")
    fit.set_defaults(handler=_cmd_fit)

    run = commands.add_parser("run", help="answer a problem by weighting many candidate programs")
    run.add_argument("problem", type=Path, help="problem folder with problem.toml and data.json or data.csv")
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
    run.add_argument(
        "--time-factor", type=float, default=10.0, metavar="F",
        help="stop a program that takes F times as long as the slowest finished one, and at least 120 s (default 10; 0: off)",
    )  # fmt: skip
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

    serve = commands.add_parser("serve", help="a local web page to pose a problem, watch its programs being fitted and read the answer")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--runs", type=Path, default=Path("llb-runs") / "web", help="folder of the runs started from the page (default llb-runs/web)")
    serve.add_argument("--token", help="the token every request must carry (default: a new one when --host is not a loopback address)")
    serve.set_defaults(handler=_cmd_serve)
    return parser


def _add_fit_options(parser: argparse.ArgumentParser) -> None:
    """Sampler and evidence options shared by `fit` and `run`."""
    from llb.stats.evidence import DEFAULT_METHOD, METHODS

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


def _sampling_options(args: argparse.Namespace) -> dict:
    """The options `fit` and `run` share, as keyword arguments of llb.fit / llb.run."""
    return {"chains": args.chains, "warmup": args.warmup, "draws": args.draws, "seed": args.seed,
            "evidence": args.evidence, "verify_normalisation": args.verify_normalisation}  # fmt: skip


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: every child is stopped and the run folder stays resumable."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    import signal

    argv = list(sys.argv[1:] if argv is None else argv)
    if _runs_programs_here(argv):  # the forkserver's imports then overlap the command's own
        from llb.pipeline.forkserver import start_forkserver

        try:
            start_forkserver()
        except Exception:  # noqa: BLE001 (only a head start: it starts with the first program otherwise)
            pass
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="llb: %(message)s")
    if not args.verbose:  # library warnings are nothing a user of llb can act on (see quiet.py)
        import warnings

        warnings.simplefilter("ignore")
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


def _runs_programs_here(argv: list[str]) -> bool:
    """Whether the command is ``llb run`` with local workers (which start from llb's forkserver)."""
    positional = [a for a in argv if not a.startswith("-")]
    return bool(positional) and positional[0] == "run" and not {"--scheduler", "--dask-local", "-h", "--help"} & {a.split("=")[0] for a in argv}


def threading_main() -> bool:
    """Whether this is the main thread (only it may install signal handlers)."""
    import threading

    return threading.current_thread() is threading.main_thread()


def _cmd_fit(args: argparse.Namespace) -> int:
    from llb.api import fit
    from llb.pipeline.outcome import fit_document

    with console.status("validating, compiling and sampling", spinner="dots") if not args.json else contextlib.nullcontext():
        result = fit(args.program, args.data, **_sampling_options(args))
    if args.json:
        print(json.dumps(fit_document(result.report), indent=1))
    else:
        _print_fit(result, args.program)
    return 0 if result.ok or len(result.summary) else EXIT_PROGRAM_FAILED


def _cmd_run(args: argparse.Namespace) -> int:
    from llb.api import run
    from llb.llm.backend import LLM
    from llb.progress import ConsoleProgress, Progress

    from llb.llm.backend import llm_configured

    llm = LLM(model=args.model, temperature=args.temperature, max_tokens=args.max_tokens, concurrency=args.concurrency, timeout=args.llm_timeout)
    answer = run(
        args.problem, programs=args.programs, llm=llm if llm_configured() else None, n_models=args.n_models, out=args.out, workers=args.workers,
        scheduler=args.scheduler, dask_local=args.dask_local, progress=Progress() if args.quiet else ConsoleProgress(console),
        exclude_unreliable=args.exclude_unreliable, keep_incomparable=args.keep_incomparable, timeout=args.timeout,
        memory_limit=args.memory_limit, time_factor=args.time_factor, verbose=args.verbose, **_sampling_options(args),
    )  # fmt: skip
    _print_run(answer.result, quiet=args.quiet)
    console.print(f"wrote {answer.folder / 'result.json'} and {answer.folder / 'report.html'}", markup=False)
    return 0 if answer.result["num_valid"] > 0 else EXIT_PROGRAM_FAILED


def _cmd_serve(args: argparse.Namespace) -> int:
    from llb.web.serve import serve

    return serve(host=args.host, port=args.port, runs=args.runs, token=args.token)


def _cmd_report(args: argparse.Namespace) -> int:
    from llb.api import open_run

    console.print(f"wrote {open_run(args.run_dir).write_report()}", markup=False)
    return 0


def _cmd_prompt(args: argparse.Namespace) -> int:
    from llb.problem import load_problem
    from llb.llm.prompt import build_messages

    problem = load_problem(args.problem)
    messages = build_messages(problem)
    if args.json:
        print(json.dumps(messages, indent=1))
        return 0
    if problem.declarations_inferred:
        print(f"# data declarations were inferred from data.json:\n{problem.data_declarations}\n")
    for message in messages:
        print(f"===== {message['role']} =====")
        print(message["content"])
        print()
    return 0


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
    from llb.pipeline.run import unreliable_weight_warning

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
    from llb.stan.toolchain import find_toolchain, runner_object

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


def _print_fit(result, program: Path) -> None:
    report = result.report
    if not result.ok and not len(result.summary):
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
    console.print(
        f"divergent transitions: {diagnostics['divergences']} (adapt_delta {diagnostics['adapt_delta']}, {diagnostics['metric']} metric); "
        f"max tree depth hits: {diagnostics['max_treedepth_hits']}"
    )
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
