"""The ``llb`` command line. Every user mistake ends in one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.table import Table

from .errors import LlbError

EXIT_PROGRAM_FAILED = 1
EXIT_USAGE = 2

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        err_console.print(f"llb: error: {message} (see `llb {self.prog.split()[-1]} --help`)", markup=False)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="llb", description="Bayesian answers from a problem description, by averaging LLM-written Stan programs.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what llb does (builds, commands)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    fit = commands.add_parser("fit", help="validate, compile and sample one Stan program")
    fit.add_argument("program", type=Path, help="a .stan file")
    fit.add_argument("--data", type=Path, help="Stan JSON data file (omit if the program has no data)")
    fit.add_argument("--chains", type=int, default=4)
    fit.add_argument("--warmup", type=int, default=1000)
    fit.add_argument("--draws", type=int, default=1000)
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--json", action="store_true", help="print a JSON document instead of tables")
    fit.set_defaults(handler=_cmd_fit)

    tools = commands.add_parser("toolchain", help="show the Stan toolchain and cache llb uses")
    tools.add_argument("--build", action="store_true", help="build the precompiled header and runner now")
    tools.set_defaults(handler=_cmd_toolchain)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="llb: %(message)s")
    try:
        return int(args.handler(args))
    except LlbError as error:
        err_console.print(f"llb: error: {error}", markup=False, soft_wrap=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        err_console.print("llb: interrupted", markup=False)
        return 130


def _read_program(path: Path) -> str:
    if not path.exists():
        raise LlbError(f"program file {path} does not exist")
    if path.is_dir():
        raise LlbError(f"{path} is a folder; give the path of a .stan file")
    try:
        return path.read_text()
    except UnicodeDecodeError:
        raise LlbError(f"{path} is not a UTF-8 text file") from None


def _cmd_fit(args: argparse.Namespace) -> int:
    from .data import load_data
    from .fit import fit_program
    from .sample import SamplerConfig

    source = _read_program(args.program)
    data = load_data(args.data) if args.data else {}
    try:
        config = SamplerConfig(chains=args.chains, warmup=args.warmup, draws=args.draws, seed=args.seed)
    except ValueError as error:
        raise LlbError(str(error)) from None
    with console.status("validating, compiling and sampling", spinner="dots") if not args.json else contextlib.nullcontext():
        report = fit_program(source, data, config=config)
    if args.json:
        print(json.dumps(report.to_json(), indent=1))
    else:
        _print_fit(report, args.program)
    return 0 if report.ok else EXIT_PROGRAM_FAILED


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
    if not report.ok:
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
    diagnostics = report.fit.diagnostics()
    hit = " (cache hit)" if report.compiled and report.compiled.cache_hit else ""
    timings = ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in report.timings.items())
    console.print(f"divergent transitions: {diagnostics['divergences']}; max tree depth hits: {diagnostics['max_treedepth_hits']}")
    console.print(f"timings: {timings}{hit}")
    for warning in report.validation.warnings if report.validation else ():
        console.print(f"stanc warning: {warning}", markup=False)


if __name__ == "__main__":
    sys.exit(main())
