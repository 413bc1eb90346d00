"""Containment, executors and resumable runs.

Every program runs in its own child process with a wall-clock limit and a memory cap: a hang, a huge
allocation, a print flood and a program that always rejects each end with their own status while the
others in the same run succeed. The same tests run against the local executor and Dask.
"""

from __future__ import annotations

import json
import shutil
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


from llb.pipeline.execute import DaskExecutor, Limits, LocalExecutor
from llb.problem import load_problem
from llb.llm.candidates import read_program_folder
from llb.pipeline.run import run_problem

ROOT = Path(__file__).parent
COIN = ROOT / "problems" / "coin"
CONTAINMENT = ROOT / "stan" / "containment"
LIMITS = Limits(seconds=40, memory_bytes=4 * 2**30)


def test_misbehaving_programs_are_contained(tmp_path):
    result = run_problem(load_problem(COIN), read_program_folder(CONTAINMENT), out_dir=tmp_path, executor=LocalExecutor(workers=2, limits=LIMITS), seed=3)
    by_id = {m["id"]: m for m in result["models"]}
    assert by_id["good"]["status"] == "ok" and by_id["chatty"]["status"] == "ok"
    assert by_id["hang"]["status"] == "timeout"
    assert by_id["hang"]["reason"] == "the program did not finish within the time limit of 40 s"
    assert by_id["huge"]["status"] == "memory_error"
    assert by_id["flood"]["status"] in ("memory_error", "timeout")
    assert by_id["always_reject"]["status"] == "sampling_error"
    assert "this program rejects everything" in by_id["always_reject"]["reason"]
    # the chatty program's prints are kept, but only up to a fixed size
    record = json.loads((tmp_path / "models" / "chatty" / "result.json").read_text())
    assert "evaluating at bias" in record["messages"] and len(record["messages"]) <= 20_000
    assert result["num_valid"] == 2


def tiny_problem_programs(folder: Path, count: int) -> Path:
    from test_run import beta_program

    folder.mkdir()
    for i in range(count):
        (folder / f"p{i}.stan").write_text(beta_program(1.0 + i, 1.0 + 2 * i))
    (folder / "p0_again.stan").write_text(beta_program(1.0, 1.0))
    return folder


def test_executors_give_identical_results(tmp_path):
    from distributed import Client, LocalCluster

    programs = read_program_folder(tiny_problem_programs(tmp_path / "programs", 3))
    problem = load_problem(COIN)
    documents = []
    for name, executor in (("one", LocalExecutor(workers=1, limits=LIMITS)), ("two", LocalExecutor(workers=2, limits=LIMITS))):
        documents.append(run_problem(problem, programs, out_dir=tmp_path / name, executor=executor, seed=7))
    # Dask's workers are daemonic processes by default: there, programs run through a fresh interpreter
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        documents.append(run_problem(problem, programs, out_dir=tmp_path / "dask", executor=DaskExecutor(client, limits=LIMITS), seed=7))
    assert documents[0] == documents[1] == documents[2]
    files = [json.loads((tmp_path / name / "result.json").read_text()) for name in ("one", "two", "dask")]
    assert files[0] == files[1] == files[2]


def test_killed_run_resumes_to_the_same_result(tmp_path):
    programs = tiny_problem_programs(tmp_path / "programs", 6)
    command = [sys.executable, "-m", "llb", "run", str(COIN), "--programs", str(programs), "--workers", "1", "--quiet", "--seed", "5"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    reference = subprocess.run(command + ["--out", str(tmp_path / "reference")], capture_output=True, text=True, env=env, timeout=900)
    assert reference.returncode == 0, reference.stderr

    # a fresh run folder, killed with SIGKILL once some but not all programs are done
    interrupted = tmp_path / "interrupted"
    process = subprocess.Popen(command + ["--out", str(interrupted)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        done = list(interrupted.glob("models/*/result.json"))
        if len(done) >= 2:
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before = len(list(interrupted.glob("models/*/result.json")))
    assert 2 <= done_before < 7 and not (interrupted / "result.json").exists()

    resumed = subprocess.run(command + ["--out", str(interrupted)], capture_output=True, text=True, env=env, timeout=900)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((interrupted / "result.json").read_text()) == json.loads((tmp_path / "reference" / "result.json").read_text())
    run_info = json.loads((interrupted / "run.json").read_text())
    assert run_info["programs_fitted"] <= 6 - (done_before - 1)  # finished programs were not fitted again


def test_a_child_that_dies_without_a_result_gets_a_status_from_its_exit_code():
    from llb.pipeline.execute import _died

    task = type("Task", (), {"key": "k"})()
    assert (_died(task, -signal.SIGSEGV).status, _died(task, -signal.SIGSEGV).reason) == ("crashed", "the program's process crashed (SIGSEGV)")
    assert _died(task, -signal.SIGKILL).status == "memory_error"
    assert _died(task, 3).reason == "the program's process exited with code 3 without a result"


def test_a_fresh_cache_builds_the_toolchain_before_any_time_limit_starts(tmp_path):
    """The precompiled header takes longer than this run's per-program limit: it must be built first."""
    programs = tmp_path / "programs"
    programs.mkdir()
    (programs / "uniform.stan").write_text((COIN / "programs" / "uniform_prior.stan").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["LLB_CACHE_DIR"] = str(tmp_path / "fresh-cache")
    command = [sys.executable, "-m", "llb", "run", str(COIN), "--programs", str(programs), "--workers", "1", "--timeout", "25", "--out", str(tmp_path / "run")]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stderr
    assert "building the Stan toolchain" in result.stdout
    assert time.monotonic() - started > 25  # the header alone takes longer than the limit
    models = json.loads((tmp_path / "run" / "result.json").read_text())["models"]
    assert [model["status"] for model in models] == ["ok"]


def test_programs_compile_with_two_jobs_only_when_cpus_are_idle():
    from llb.pipeline.execute import compile_jobs_for

    assert compile_jobs_for(2, 1) == 2  # one worker, or the last program of a run
    assert compile_jobs_for(2, 2) == 1  # every CPU has a program
    assert compile_jobs_for(8, 3) == 2  # never more than the two translation units
    assert compile_jobs_for(1, 1) == 1
    assert compile_jobs_for(4, 6) == 1


def test_an_endless_program_ends_soon_after_the_others(tmp_path):
    """With a hard limit of 10 minutes, the endless program is stopped by the adaptive limit: twice the
    time the good program took (and at least 5 s), measured from its own start."""
    folder = tmp_path / "programs"
    folder.mkdir()
    for name in ("good", "hang"):
        shutil.copy(CONTAINMENT / f"{name}.stan", folder / f"{name}.stan")
    limits = Limits(seconds=600, memory_bytes=4 * 2**30, time_factor=2.0, time_floor=5.0)
    started = time.monotonic()
    result = run_problem(load_problem(COIN), read_program_folder(folder), out_dir=tmp_path / "run", executor=LocalExecutor(workers=2, limits=limits), seed=3)
    took = time.monotonic() - started
    by_id = {m["id"]: m for m in result["models"]}
    assert by_id["good"]["status"] == "ok"
    assert by_id["hang"]["status"] == "timeout" and "adaptive limit" in by_id["hang"]["reason"]
    good_seconds = sum(json.loads((tmp_path / "run" / "models" / "good" / "result.json").read_text())["timings"].values())
    assert took < max(5.0, 2.0 * (good_seconds + 5.0)) + 30.0  # the limit, the good program's start-up, and slack


def test_adaptive_limit_never_exceeds_the_hard_one():
    limits = Limits(seconds=100, time_factor=10, time_floor=20)
    assert limits.adaptive(None) == 100 and limits.adaptive(1.0) == 20 and limits.adaptive(5.0) == 50 and limits.adaptive(30.0) == 100
    assert Limits(seconds=100, time_factor=0).adaptive(1.0) == 100
