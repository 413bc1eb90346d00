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
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator, Protocol

from .compile import MAX_COMPILE_JOBS, usable_cpus
from .fit import FitSettings, Goal, fit_program
from .process import die_with_parent

DEFAULT_TIMEOUT = 900.0  # seconds per program, compile included
DEFAULT_MEMORY = 8 * 2**30  # bytes of address space per program (the C++ compiler needs ~2 GB)
MESSAGES_KEPT = 20_000  # characters of a program's printed output kept in its record

TIMEOUT = "timeout"
CRASHED = "crashed"
MEMORY_ERROR = "memory_error"


@dataclass(frozen=True)
class Limits:
    seconds: float = DEFAULT_TIMEOUT
    memory_bytes: int | None = DEFAULT_MEMORY


@dataclass(frozen=True)
class ProgramTask:
    """Everything a worker needs to fit one distinct program (picklable, no file access needed)."""

    key: str
    source: str
    data: dict[str, Any]
    goal: Goal | None
    settings: FitSettings
    compile_jobs: int = 1  # compiler processes the program's build may run at once (see compile.py)


@dataclass(frozen=True)
class TaskResult:
    """A program's outcome as plain data: the FitReport's essentials, or a containment failure."""

    key: str
    status: str
    reason: str | None
    log_evidence: float | None
    details: dict[str, Any]
    goal_draws: Any = None  # numpy array or None


def _result_from_report(task: ProgramTask, report) -> TaskResult:
    details: dict[str, Any] = {
        **report.details(),
        "messages": report.fit.messages[:MESSAGES_KEPT] if report.fit else "",
        "log_evidence_se": report.evidence.mc_se if report.evidence else None,
        "goal_names": list(report.goal_names),
        "compiled_source": report.fitted_source,
    }
    status, reason = report.status, report.reason
    if reason and "bad_alloc" in reason:
        status, reason = MEMORY_ERROR, "the program ran out of memory (std::bad_alloc)"
    return TaskResult(task.key, status, reason, report.log_evidence, details, report.goal_draws)


def fit_task(task: ProgramTask) -> TaskResult:
    """The per-program work, uncontained (what the child process runs)."""
    report = fit_program(task.source, task.data, settings=task.settings, goal=task.goal, compile_jobs=task.compile_jobs)
    return _result_from_report(task, report)


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
        result = TaskResult(task.key, MEMORY_ERROR, "the program ran out of memory", None, {})
    except BaseException as error:  # a bug in llb: keep the run going, say what happened
        reason = f"internal error: {type(error).__name__}: {error}"
        result = TaskResult(task.key, CRASHED, reason, None, {"traceback": traceback.format_exc()[-4000:]})
    connection.send(result)
    connection.close()


_CONTEXT: Any = None


def _context():
    """A forkserver context with llb's modules preloaded (made once per process)."""
    global _CONTEXT
    if _CONTEXT is None:
        # The forkserver starts with the first child, from this thread. Its death signal fires when
        # the starting thread ends, so it is asked for only from a main thread (llb run's), never
        # from a pool thread (a Dask worker's), which may end while the forkserver is still needed.
        import threading

        if threading.current_thread() is threading.main_thread():
            os.environ["LLB_FORKSERVER_DIES_WITH_PARENT"] = "1"
        else:
            os.environ.pop("LLB_FORKSERVER_DIES_WITH_PARENT", None)
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(["llb._forkserver_guard", "llb.execute", "llb.fit", "numpy", "scipy.stats", "scipy.special"])
    return _CONTEXT


class ContainedRun:
    """One program running in a child process; ``finish`` collects its result."""

    def __init__(self, task: ProgramTask, limits: Limits) -> None:
        self.task = task
        self.limits = limits
        receive, send = _context().Pipe(duplex=False)
        self._receive = receive
        self.process = _context().Process(target=_child, args=(task, limits, send), daemon=True)
        self.process.start()
        send.close()
        self.deadline = time.monotonic() + limits.seconds

    @property
    def waitables(self) -> list[Any]:
        return [self._receive, self.process.sentinel]

    def overdue(self) -> bool:
        return time.monotonic() > self.deadline

    def finish(self) -> TaskResult:
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

    def _failure(self) -> TaskResult:
        if self.overdue():
            return _timed_out(self.task, self.limits)
        return _died(self.task, self.process.exitcode)


def _timed_out(task: ProgramTask, limits: Limits) -> TaskResult:
    return TaskResult(task.key, TIMEOUT, f"the program did not finish within the time limit of {limits.seconds:g} s", None, {})


def _died(task: ProgramTask, code: int | None) -> TaskResult:
    """The record of a child that ended without sending a result, from its exit code."""
    if code is not None and code < 0:
        if -code == signal.SIGKILL:  # not sent by llb (timeouts are recorded before): the kernel's OOM killer
            return TaskResult(task.key, MEMORY_ERROR, "the program's process was killed (SIGKILL), most likely for using too much memory", None, {})
        return TaskResult(task.key, CRASHED, f"the program's process crashed ({signal.Signals(-code).name})", None, {})
    return TaskResult(task.key, CRASHED, f"the program's process exited with code {code} without a result", None, {})


def fit_contained(task: ProgramTask, limits: Limits = Limits()) -> TaskResult:
    """Fit one program in a contained child process and wait for it (what a Dask worker runs).

    A daemonic process (a Dask worker by default) may not start multiprocessing children, so there
    the child is a fresh interpreter (``python -m llb.execute``) instead: slower to start, equally
    contained.
    """
    if multiprocessing.current_process().daemon:
        return _fit_in_subprocess(task, limits)
    return ContainedRun(task, limits).finish()


def _fit_in_subprocess(task: ProgramTask, limits: Limits) -> TaskResult:
    def limit_child() -> None:
        die_with_parent()
        if limits.memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    process = subprocess.Popen(
        [sys.executable, "-m", "llb.execute"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
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
    """Entry point of ``python -m llb.execute``: a pickled task on stdin, a pickled result on stdout."""
    task = pickle.loads(sys.stdin.buffer.read())
    result_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the program's own output goes nowhere; the result uses the saved descriptor
    try:
        result = fit_task(task)
    except MemoryError:
        result = TaskResult(task.key, MEMORY_ERROR, "the program ran out of memory", None, {})
    except BaseException as error:
        result = TaskResult(task.key, CRASHED, f"internal error: {type(error).__name__}: {error}", None, {"traceback": traceback.format_exc()[-4000:]})
    with os.fdopen(result_fd, "wb") as out:
        out.write(pickle.dumps(result))


class Executor(Protocol):
    def run(self, tasks: Iterable[ProgramTask]) -> Iterator[TaskResult]:
        """Results in the order programs finish."""
        ...


def compile_jobs_for(cpus: int, programs_at_once: int) -> int:
    """Compiler processes each of ``programs_at_once`` programs may use on ``cpus`` CPUs (1 or 2)."""
    return max(1, min(MAX_COMPILE_JOBS, cpus // max(1, programs_at_once)))


class LocalExecutor:
    """Up to ``workers`` contained children at once, managed from this process (no threads).

    A program started while fewer programs than CPUs run (one worker, or the last programs of a
    run) may compile with two compiler processes.
    """

    def __init__(self, *, workers: int = 1, limits: Limits = Limits()) -> None:
        self.workers = max(1, workers)
        self.limits = limits
        self.cpus = usable_cpus()

    def _start(self, task: ProgramTask, programs_at_once: int) -> ContainedRun:
        jobs = compile_jobs_for(self.cpus, programs_at_once)
        return ContainedRun(replace(task, compile_jobs=jobs), self.limits)

    def run(self, tasks: Iterable[ProgramTask]) -> Iterator[TaskResult]:
        pending = list(tasks)
        pending.reverse()
        running: list[ContainedRun] = []
        try:
            while pending or running:
                while pending and len(running) < self.workers:
                    at_once = min(self.workers, len(running) + len(pending))
                    running.append(self._start(pending.pop(), at_once))
                nearest = min(run.deadline for run in running) - time.monotonic()
                ready = multiprocessing.connection.wait([w for run in running for w in run.waitables], timeout=max(0.0, nearest) + 0.05)
                for run in list(running):
                    if run.overdue() or any(w in ready for w in run.waitables):
                        running.remove(run)
                        yield run.finish()
        finally:
            for run in running:  # the caller stopped early (an error, Ctrl-C): leave no child behind
                run.deadline = 0.0
                run.finish()


class DaskExecutor:
    """Each program as a Dask task running ``fit_contained`` on a worker."""

    def __init__(self, client: Any, *, limits: Limits = Limits()) -> None:
        self.client = client
        self.limits = limits

    def run(self, tasks: Iterable[ProgramTask]) -> Iterator[TaskResult]:
        from distributed import as_completed

        futures = [self.client.submit(fit_contained, task, self.limits, pure=False) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


if __name__ == "__main__":
    # run the copy imported as llb.execute, so that results pickle as llb.execute.TaskResult
    from llb.execute import _subprocess_main as main

    main()
