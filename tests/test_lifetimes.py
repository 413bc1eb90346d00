"""Nothing llb starts outlives it, however `llb run` ends: SIGKILL, SIGTERM or SIGINT, while a
program compiles or while it samples. Descendants are read from /proc before the signal and must all
be gone (or zombies) a few seconds after it. SIGTERM and SIGINT also leave the folder resumable."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from llb.stan.compile import compile_program
from llb.pipeline.run_folder import MANIFEST, claim_run_folder

# A program whose every gradient costs a long loop: sampling it takes minutes.
SLOW = """
data { int<lower=0> num_flips; int<lower=0, upper=num_flips> num_heads; }
parameters { real<lower=0, upper=1> bias; }
model {
  bias ~ beta(2, 2);
  num_heads ~ binomial(num_flips, bias);
  for (i in 1:2000000) target += 0 * bias;
}
"""
PROBLEM = Path(__file__).parent / "problems" / "coin"


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state) of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), fields[0])
    return found


def descendants(pid: int) -> dict[int, str]:
    """pid -> command line of every living descendant of ``pid``."""
    table = _processes()
    children: dict[int, list[int]] = {}
    for child, (parent, state) in table.items():
        if state != "Z":
            children.setdefault(parent, []).append(child)
    found, queue = {}, list(children.get(pid, []))
    while queue:
        current = queue.pop()
        try:
            found[current] = (Path("/proc") / str(current) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        queue.extend(children.get(current, []))
    return found


def alive(pids) -> list[int]:
    table = _processes()
    return [pid for pid in pids if pid in table and table[pid][1] != "Z"]


def wait_for(condition, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return None


@contextlib.contextmanager
def reaped(process: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """``process``, killed and waited for on the way out if it still runs (a failed test leaves nothing)."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def slow_compiled(toolchain):
    compile_program(SLOW, toolchain=toolchain)
    return SLOW


def start_run(tmp_path: Path, source: str, *options: str) -> tuple[subprocess.Popen, Path]:
    programs = tmp_path / "programs"
    programs.mkdir()
    (programs / "slow.stan").write_text(source)
    out = tmp_path / "run"
    command = [sys.executable, "-m", "llb", "run", str(PROBLEM), "--programs", str(programs), "--out", str(out), "--workers", "1", "--quiet", "--timeout", "300", *options]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    # Ctrl-C as at a terminal, even when the suite itself runs in the background (where a shell starts
    # commands with SIGINT ignored, and Python keeps it ignored)
    restore_sigint = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)  # noqa: E731
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, preexec_fn=restore_sigint), out


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("phase", ["compiling", "sampling"])
def test_no_process_outlives_the_run(tmp_path, slow_compiled, phase, signum):
    # compiling: a program no cache holds yet (an unused generated quantity makes it new)
    source = slow_compiled if phase == "sampling" else slow_compiled + f"generated quantities {{ real u{uuid.uuid4().hex[:12]} = 1; }}\n"
    process, out = start_run(tmp_path, source)
    with reaped(process):
        if phase == "compiling":
            found = wait_for(lambda: {p: c for p, c in descendants(process.pid).items() if "clang" in c or "g++" in c or "cc1plus" in c}, 60)
            assert found, "no compiler started"
        else:
            # the program's child exists and no compiler runs: it is loading or sampling
            wait_for(lambda: len(descendants(process.pid)) >= 2, 60)
            time.sleep(3.0)
        before = descendants(process.pid)
        assert before, "llb started no process"
        process.send_signal(signum)
        process.wait(timeout=30)
        survivors = wait_for(lambda: not alive(before), 10)
        assert survivors, f"still running after {signal.Signals(signum).name}: {[before[p] for p in alive(before)]}"
    if signum != signal.SIGKILL:
        assert process.returncode == (143 if signum == signal.SIGTERM else 130)
        assert "run the same command again to continue" in process.stderr.read().decode()
        with claim_run_folder(out):  # the folder can be resumed: llb may use it and no lock is held
            assert (out / MANIFEST).exists()
        assert not any(json.loads(path.read_text()).get("status") == "ok" for path in out.glob("models/*/result.json"))


def test_no_process_outlives_a_run_on_a_local_dask_cluster(tmp_path, slow_compiled):
    """The Dask worker's forkserver is started from a worker thread, so it watches its parent instead."""
    process, _ = start_run(tmp_path, slow_compiled, "--dask-local")
    with reaped(process):
        # a worker, its forkserver, the program's child (and a resource tracker)
        assert wait_for(lambda: sum("forkserver" in c for c in descendants(process.pid).values()) >= 2, 120), "no program started"
        time.sleep(2.0)
        before = descendants(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert wait_for(lambda: not alive(before), 15), f"still running: {[before[p] for p in alive(before)]}"


@pytest.mark.parametrize("how", ["error", "SIGKILL"])
def test_the_forkserver_started_with_llb_run_ends_with_it(tmp_path, how):
    """``llb run`` starts its forkserver first thing, before it has read the problem: a run that then
    stops at once (a bad folder) or is killed while starting leaves no forkserver behind."""
    problem = tmp_path / "no-such-problem" if how == "error" else PROBLEM
    out = tmp_path / "run"
    command = [sys.executable, "-m", "llb", "run", str(problem), "--programs", str(tmp_path / "programs"), "--out", str(out), "--quiet"]
    (tmp_path / "programs").mkdir()
    (tmp_path / "programs" / "p.stan").write_text("parameters { real<lower=0, upper=1> bias; } model { bias ~ beta(2, 2); }\n")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with reaped(process):
        started = wait_for(lambda: {p: c for p, c in descendants(process.pid).items() if "multiprocessing.forkserver import main" in c}, 30)
        assert started, "llb run started no forkserver"
        if how == "SIGKILL":
            process.kill()
        process.wait(timeout=60)
        assert wait_for(lambda: not alive(started), 10), f"still running: {list(started.values())}"
    if how == "error":
        assert process.returncode == 2 and "does not exist" in process.stderr.read().decode()
