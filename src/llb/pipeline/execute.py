"""Run each program's work (compile, sample, evidence) contained in a child process, in parallel.

Programs are written by an LLM: one may loop forever, allocate without bound, crash the process or
print without end. Each program therefore runs in its own child process, started from a forkserver
(cheap: the server has llb, numpy and scipy imported already), in its own process group, with an
address-space limit; the parent enforces a wall-clock limit and kills the whole group (the C++
compiler included) when it runs out. Whatever happens, the program ends with a record: a hang is
``timeout``, a crash is ``crashed``, running out of memory is ``memory_error``.

Two executors share this: ``LocalExecutor`` keeps up to N children running from this process, and
``DaskExecutor`` sends each program to a Dask cluster, whose worker runs the same contained child
(so a remote worker compiles the program into its own cache). Results come back as plain records; the
caller writes them to the run folder. Both give identical records for identical tasks.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import multiprocessing.connection
import os
import pickle
import resource
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from llb.pipeline.forkserver import forkserver_context, main_script_hidden
from llb.pipeline.outcome import MEMORY_ERROR, ProgramOutcome, failed, outcome_from_report
from llb.pipeline.program import FitSettings, Goal, compile_ahead, fit_program
from llb.stan.compile import MAX_COMPILE_JOBS, MAX_MODELS_PER_LIBRARY, usable_cpus
from llb.stan.process import die_with_parent

DEFAULT_TIMEOUT = 900.0  # seconds per program, compile included
DEFAULT_MEMORY = 8 * 2**30  # bytes of address space per program (the C++ compiler needs ~2 GB)
DEFAULT_TIME_FACTOR = 10.0  # adaptive limit: this many times the slowest finished program of the run ...
DEFAULT_TIME_FLOOR = 120.0  # ... and never less than this many seconds

TIMEOUT = "timeout"
CRASHED = "crashed"


@dataclass(frozen=True)
class Limits:
    """What one program may use. ``seconds`` is the hard wall-clock limit (compile included).

    The local executor also gives each program an adaptive limit once some program of the run has
    finished: ``time_factor`` times the longest any finished program took, and at least
    ``time_floor`` seconds, so that one program that never ends cannot hold a run far beyond all the
    others. ``time_factor`` 0 turns the adaptive limit off.
    """

    seconds: float = DEFAULT_TIMEOUT
    memory_bytes: int | None = DEFAULT_MEMORY
    time_factor: float = DEFAULT_TIME_FACTOR
    time_floor: float = DEFAULT_TIME_FLOOR

    def __post_init__(self) -> None:
        from llb.errors import LlbError

        if not (self.seconds > 0 and (self.memory_bytes is None or self.memory_bytes > 0)):
            raise LlbError("the time limit and the memory limit of a program must be positive")
        if not self.time_factor >= 0:
            raise LlbError(f"the time factor must be 0 (off) or positive, not {self.time_factor:g}")

    def adaptive(self, slowest: float | None) -> float:
        """The limit for a program when the slowest finished one took ``slowest`` seconds (None: none finished)."""
        if slowest is None or self.time_factor <= 0:
            return self.seconds
        return min(self.seconds, max(self.time_floor, self.time_factor * slowest))


@dataclass(frozen=True)
class ProgramTask:
    """Everything a worker needs to fit one distinct program (picklable, no file access needed)."""

    key: str
    source: str
    data: dict[str, Any]
    goal: Goal | None
    settings: FitSettings
    compile_jobs: int = 1  # compiler processes the program's build may run at once (see compile.py)
    # other programs of the run whose libraries this task compiles into one with its own before its
    # fit (plan_shared_compiles), and the seconds the compiler may take on that shared library
    companions: tuple[str, ...] = ()
    companions_timeout: float = 0.0


def fit_task(task: ProgramTask) -> ProgramOutcome:
    """The per-program work, uncontained (what the child process runs): with companions, their
    libraries and its own compiled into one first, then its fit."""
    built = None
    if task.companions:
        start = time.perf_counter()
        built = compile_ahead(
            (task.source, *task.companions), task.data, settings=task.settings, goal=task.goal, jobs=task.compile_jobs,
            timeout=task.companions_timeout,
        )  # fmt: skip
        seconds = time.perf_counter() - start
    report = fit_program(task.source, task.data, settings=task.settings, goal=task.goal, compile_jobs=task.compile_jobs)
    outcome = outcome_from_report(task.key, report)
    if built is None:
        return outcome
    return replace(
        outcome, timings={"compile together": round(seconds, 4), **outcome.timings}, models_built_together=len(built.keys),
        library_built=outcome.library_built or outcome.library_key in built.keys,
    )  # fmt: skip


# A run's libraries are compiled in groups (plan_shared_compiles) only when the hard time limit
# leaves room: the group's compile takes at most this share of its first program's limit.
SHARED_COMPILE_SHARE = 0.25
MIN_SHARED_COMPILE_SECONDS = 60.0


def plan_shared_compiles(tasks: Sequence[ProgramTask], *, workers: int, limits: Limits = Limits()) -> list[ProgramTask]:
    """``tasks`` (in the order they should start) reordered, and given companions, so that their
    libraries are compiled several at a time (compile.compile_together), for executors whose
    workers share one compile cache.

    The tasks are cut, in order, into groups of at most MAX_MODELS_PER_LIBRARY, and into at least
    as many groups as there are workers so that every worker has a library to compile. The first
    task of each group compiles the group's libraries before its own fit. Those first tasks start
    first, then the others group by group, so that no program waits for a library another worker
    is still compiling: by the time the last group's programs start, its library is long built."""
    budget = SHARED_COMPILE_SHARE * limits.seconds
    if len(tasks) < 2 or budget < MIN_SHARED_COMPILE_SECONDS:
        return list(tasks)
    count = max(min(workers, len(tasks)), math.ceil(len(tasks) / MAX_MODELS_PER_LIBRARY))
    size = math.ceil(len(tasks) / count)
    groups = [list(tasks[start : start + size]) for start in range(0, len(tasks), size)]
    firsts = [
        replace(group[0], companions=tuple(task.source for task in group[1:]), companions_timeout=budget) if len(group) > 1 else group[0]
        for group in groups
    ]
    return firsts + [task for group in groups for task in group[1:]]


def _child(task: ProgramTask, limits: Limits, connection: multiprocessing.connection.Connection) -> None:
    os.setsid()  # its own process group: the parent can kill it together with any compiler it started
    die_with_parent()
    if limits.memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing a program does may flood the terminal
    os.dup2(devnull, 2)
    try:
        result = fit_task(task)
    except MemoryError:
        result = failed(task.key, MEMORY_ERROR, "the program ran out of memory")
    except BaseException as error:  # a bug in llb: keep the run going, say what happened
        reason = f"internal error: {type(error).__name__}: {error}"
        result = failed(task.key, CRASHED, reason, traceback=traceback.format_exc()[-4000:])
    connection.send(result)
    connection.close()


class ContainedRun:
    """One program running in a child process; ``finish`` collects its result."""

    def __init__(self, task: ProgramTask, limits: Limits) -> None:
        self.task = task
        self.limits = limits
        receive, send = forkserver_context().Pipe(duplex=False)
        self._receive = receive
        self.process = forkserver_context().Process(target=_child, args=(task, limits, send), daemon=True)
        with main_script_hidden():
            self.process.start()
        send.close()
        self.started = time.monotonic()
        self.limit = limits.seconds  # the limit in force; the executor may lower it (Limits.adaptive)
        self.deadline = self.started + self.limit

    def set_limit(self, seconds: float) -> None:
        self.limit = seconds
        self.deadline = self.started + seconds

    @property
    def waitables(self) -> list[Any]:
        return [self._receive, self.process.sentinel]

    def overdue(self) -> bool:
        return time.monotonic() > self.deadline

    def finish(self) -> ProgramOutcome:
        """The child's result; kills it first if it is past its deadline. Blocks until it is gone."""
        result = None
        if not self.overdue():
            try:
                if self._receive.poll(max(0.0, self.deadline - time.monotonic())):
                    result = self._receive.recv()
            except (EOFError, OSError):
                result = None
        if result is None and self.process.is_alive():
            self._kill()
        self.process.join(timeout=30)
        self._receive.close()
        if result is not None:
            return result
        return self._failure()

    def _kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            self.process.kill()

    def _failure(self) -> ProgramOutcome:
        if self.overdue():
            return _timed_out(self.task, self.limits, self.limit)
        return _died(self.task, self.process.exitcode)


def _timed_out(task: ProgramTask, limits: Limits, limit: float | None = None) -> ProgramOutcome:
    limit = limits.seconds if limit is None else limit
    if limit < limits.seconds:
        return failed(
            task.key, TIMEOUT,
            f"the program did not finish within {limit:.0f} s, {limits.time_factor:g} times as long as the slowest other program of "
            f"the run took (the adaptive limit; --time-factor 0 turns it off, up to --timeout {limits.seconds:g} s)",
        )  # fmt: skip
    return failed(task.key, TIMEOUT, f"the program did not finish within the time limit of {limit:g} s")


def _died(task: ProgramTask, code: int | None) -> ProgramOutcome:
    """The record of a child that ended without sending a result, from its exit code."""
    if code is not None and code < 0:
        if -code == signal.SIGKILL:  # not sent by llb (timeouts are recorded before): the kernel's OOM killer
            return failed(task.key, MEMORY_ERROR, "the program's process was killed (SIGKILL), most likely for using too much memory")
        return failed(task.key, CRASHED, f"the program's process crashed ({signal.Signals(-code).name})")
    return failed(task.key, CRASHED, f"the program's process exited with code {code} without a result")


def fit_contained(task: ProgramTask, limits: Limits = Limits()) -> ProgramOutcome:
    """Fit one program in a contained child process and wait for it (what a Dask worker runs).

    A daemonic process (a Dask worker by default) may not start multiprocessing children, so there
    the child is a fresh interpreter (``python -m llb.pipeline.execute``) instead: slower to start, equally
    contained.
    """
    if multiprocessing.current_process().daemon:
        return _fit_in_subprocess(task, limits)
    return ContainedRun(task, limits).finish()


def _fit_in_subprocess(task: ProgramTask, limits: Limits) -> ProgramOutcome:
    def limit_child() -> None:
        die_with_parent()
        if limits.memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    process = subprocess.Popen(
        [sys.executable, "-m", "llb.pipeline.execute"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        start_new_session=True, preexec_fn=limit_child,
    )  # fmt: skip
    try:
        output, _ = process.communicate(pickle.dumps(task), timeout=limits.seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return _timed_out(task, limits)
    try:
        return pickle.loads(output)
    except (pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError):
        return _died(task, process.returncode)


def _subprocess_main() -> None:
    """Entry point of ``python -m llb.pipeline.execute``: a pickled task on stdin, a pickled result on stdout."""
    task = pickle.loads(sys.stdin.buffer.read())
    result_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the program's own output goes nowhere; the result uses the saved descriptor
    try:
        result = fit_task(task)
    except MemoryError:
        result = failed(task.key, MEMORY_ERROR, "the program ran out of memory")
    except BaseException as error:
        result = failed(task.key, CRASHED, f"internal error: {type(error).__name__}: {error}", traceback=traceback.format_exc()[-4000:])
    with os.fdopen(result_fd, "wb") as out:
        out.write(pickle.dumps(result))


class Executor(Protocol):
    def run(self, tasks: Iterable[ProgramTask]) -> Iterator[ProgramOutcome]:
        """Results in the order programs finish."""
        ...


def compile_jobs_for(cpus: int, programs_at_once: int) -> int:
    """Compiler processes each of ``programs_at_once`` programs may use on ``cpus`` CPUs (1 or 2)."""
    return max(1, min(MAX_COMPILE_JOBS, cpus // max(1, programs_at_once)))


class LocalExecutor:
    """Up to ``workers`` contained children at once, managed from this process (no threads).

    Its children share this machine's compile cache, so the programs' libraries are compiled
    several at a time (plan_shared_compiles; ``compile_together=False`` compiles each alone). A
    program started while fewer programs than CPUs run (one worker, or the last programs of a run)
    may compile with two compiler processes.
    """

    def __init__(self, *, workers: int = 1, limits: Limits = Limits(), compile_together: bool = True) -> None:
        self.workers = max(1, workers)
        self.limits = limits
        self.cpus = usable_cpus()
        self.compile_together = compile_together

    def _start(self, task: ProgramTask, programs_at_once: int) -> ContainedRun:
        jobs = compile_jobs_for(self.cpus, programs_at_once)
        return ContainedRun(replace(task, compile_jobs=jobs), self.limits)

    def run(self, tasks: Iterable[ProgramTask]) -> Iterator[ProgramOutcome]:
        pending = list(tasks)
        if self.compile_together:
            pending = plan_shared_compiles(pending, workers=self.workers, limits=self.limits)
        pending.reverse()
        running: list[ContainedRun] = []
        slowest: float | None = None  # seconds the slowest program that finished (not timed out) took
        try:
            while pending or running:
                while pending and len(running) < self.workers:
                    at_once = min(self.workers, len(running) + len(pending))
                    started = self._start(pending.pop(), at_once)
                    started.set_limit(self.limits.adaptive(slowest))
                    running.append(started)
                nearest = min(run.deadline for run in running) - time.monotonic()
                ready = multiprocessing.connection.wait([w for run in running for w in run.waitables], timeout=max(0.0, nearest) + 0.05)
                for run in list(running):
                    if run.overdue() or any(w in ready for w in run.waitables):
                        running.remove(run)
                        outcome = run.finish()
                        if outcome.status != TIMEOUT:
                            took = time.monotonic() - run.started
                            slowest = took if slowest is None else max(slowest, took)
                            for other in running:
                                other.set_limit(self.limits.adaptive(slowest))
                        yield outcome
        finally:
            for run in running:  # the caller stopped early (an error, Ctrl-C): leave no child behind
                run.deadline = 0.0
                run.finish()


class DaskExecutor:
    """Each program as a Dask task running ``fit_contained`` on a worker. Each program compiles
    alone: a worker compiles into its own cache, so a library compiled for another program on one
    worker would not spare the worker that fits that program its compile."""

    def __init__(self, client: Any, *, limits: Limits = Limits()) -> None:
        self.client = client
        self.limits = limits

    def run(self, tasks: Iterable[ProgramTask]) -> Iterator[ProgramOutcome]:
        from distributed import as_completed

        futures = [self.client.submit(fit_contained, task, self.limits, pure=False) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


def check_executor_options(*, workers: int | None, scheduler: str | None, dask_local: bool) -> None:
    """Raise LlbError for options ``make_executor`` cannot honour (callers check before slow work)."""
    from llb.errors import LlbError

    if scheduler and dask_local:
        raise LlbError("give either a Dask scheduler address or a local Dask cluster, not both")
    if workers is not None and workers < 1:
        raise LlbError("the number of workers must be at least 1")


@contextlib.contextmanager
def make_executor(
    *, workers: int | None = None, limits: Limits = Limits(), scheduler: str | None = None, dask_local: bool = False, verbose: bool = False
) -> Iterator[Executor]:
    """The executor asked for: local contained children (default, ``workers`` at once, default one per
    CPU), a Dask cluster at ``scheduler``, or a local Dask cluster of ``workers`` processes."""
    from llb.errors import LlbError

    check_executor_options(workers=workers, scheduler=scheduler, dask_local=dask_local)
    count = workers or os.cpu_count() or 1
    if not (scheduler or dask_local):
        yield LocalExecutor(workers=count, limits=limits)
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise LlbError("Dask is not installed; run `pip install 'dask[distributed]'` (or `make install`)") from None
    if dask_local:
        import logging

        import dask

        dask.config.set({"distributed.worker.daemon": False})  # lets workers start contained children directly
        if not verbose:
            logging.getLogger("distributed").setLevel(logging.ERROR)
        with LocalCluster(n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
            yield DaskExecutor(client, limits=limits)
        return
    try:
        client = Client(scheduler, timeout=30)
    except (OSError, TimeoutError) as error:
        raise LlbError(f"cannot connect to the Dask scheduler at {scheduler} ({error}); check the address and that it runs") from None
    with client:
        yield DaskExecutor(client, limits=limits)


if __name__ == "__main__":
    # run the copy imported as llb.pipeline.execute, so that tasks unpickle as llb.pipeline.execute.ProgramTask
    from llb.pipeline.execute import _subprocess_main as main

    main()
