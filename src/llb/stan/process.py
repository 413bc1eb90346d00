"""One wrapper for every external process llb runs (stanc, the C++ compiler, the linker).

It records the command, the return code, the transcript and the wall time, so that an error can say
what ran, what failed and what it printed.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import logging
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Any
from pathlib import Path
from typing import Sequence

logger = logging.getLogger("llb.stan.process")

_TRANSCRIPT_LIMIT = 200_000  # characters kept of each stream
_PR_SET_PDEATHSIG = 1
_prctl: Any
try:  # looked up once here: a forked child about to exec must not load libraries
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


def die_with_parent(number: int = signal.SIGKILL) -> None:
    """Ask Linux to send this process ``number`` (SIGKILL: kill it) when the thread that started it
    ends, so that a killed llb leaves no compiler, stanc or worker running. Safe to call between
    fork and exec."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, number)


@dataclass(frozen=True)
class CommandResult:
    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def describe(self) -> str:
        """A short account of what ran and how it ended, for error messages and logs."""
        how = "timed out" if self.timed_out else f"exited with {self.returncode}"
        return f"`{' '.join(self.command[:3])} ...` {how} after {self.seconds:.1f} s"


def run_command(
    command: Sequence[str | Path],
    *,
    timeout: float | None = None,
    cwd: str | Path | None = None,
    input_text: str | None = None,
) -> CommandResult:
    """Run ``command`` without a shell, capturing its output; never raises for a failing command."""
    args = tuple(str(part) for part in command)
    logger.debug("running %s", " ".join(args))
    start = time.perf_counter()
    try:
        completed = subprocess.run(
            args,
            cwd=cwd,
            input=input_text,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            stdin=None if input_text is not None else subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
    except subprocess.TimeoutExpired as expired:
        return CommandResult(
            args, -1, _text(expired.stdout), _text(expired.stderr), time.perf_counter() - start, True
        )
    except FileNotFoundError as missing:
        return CommandResult(args, 127, "", str(missing), time.perf_counter() - start)
    return CommandResult(
        args,
        completed.returncode,
        completed.stdout[:_TRANSCRIPT_LIMIT],
        completed.stderr[:_TRANSCRIPT_LIMIT],
        time.perf_counter() - start,
    )


def run_commands(commands: Sequence[Sequence[str | Path]], *, timeout: float | None = None) -> list[CommandResult]:
    """Run several commands at the same time (each as ``run_command``); results in the given order."""
    if len(commands) == 1:
        return [run_command(commands[0], timeout=timeout)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda command: run_command(command, timeout=timeout), commands))


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    return value[:_TRANSCRIPT_LIMIT]
