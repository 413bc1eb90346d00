"""`llb run` over a folder of programs: statuses, exact weights, the weighted posterior, the run folder."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import special, stats

from llb.pipeline.program import FitSettings
from llb.problem import load_problem
from llb.llm.candidates import read_program_folder
from llb.pipeline.run import run_problem
from llb.stan.sample import SamplerConfig

EXAMPLE = Path(__file__).parent / "problems" / "coin"
N, K = 20, 14
PRIORS = {"uniform": (1.0, 1.0), "penny": (50.0, 50.0), "heads_leaning": (5.0, 2.0)}
HEADER = "data {\n  int<lower=0> num_flips;\n  int<lower=0, upper=num_flips> num_heads;\n}\n"


def beta_program(a: float, b: float) -> str:
    return HEADER + f"parameters {{\n  real<lower=0, upper=1> bias;\n}}\nmodel {{\n  bias ~ beta({a}, {b});\n  num_heads ~ binomial(num_flips, bias);\n}}\n"


def exact_log_evidence(a: float, b: float) -> float:
    return math.log(math.comb(N, K)) + special.betaln(K + a, N - K + b) - special.betaln(a, b)


@pytest.fixture(scope="module")
def programs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("programs")
    for name, (a, b) in PRIORS.items():
        (folder / f"{name}.stan").write_text(beta_program(a, b))
    (folder / "uniform_copy.stan").write_text("// the same program again\n" + beta_program(1.0, 1.0))
    (folder / "broken.stan").write_text(beta_program(1.0, 1.0).replace("real<lower=0, upper=1> bias;", "real<lower=0, upper=1> bias"))
    (folder / "improper.stan").write_text(HEADER + "parameters {\n  real bias;\n}\nmodel {\n  num_heads ~ binomial_logit(num_flips, bias);\n}\n")
    (folder / "no_goal.stan").write_text(beta_program(2.0, 2.0).replace("bias", "p"))
    return folder


@pytest.fixture(scope="module")
def run(programs, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    problem = load_problem(EXAMPLE)
    result = run_problem(problem, read_program_folder(programs), out_dir=out, settings=FitSettings(sampler=SamplerConfig()), seed=4)
    return out, result


def test_statuses_and_reasons(run):
    _, result = run
    by_id = {m["id"]: m for m in result["models"]}
    assert {i: m["status"] for i, m in by_id.items()} == {
        "broken": "invalid", "heads_leaning": "ok", "improper": "improper_prior", "no_goal": "goal_error",
        "penny": "ok", "uniform": "ok", "uniform_copy": "ok",
    }  # fmt: skip
    assert by_id["broken"]["reason"] == 'syntax error at line 7, column 0: ";" expected after variable declaration.'
    assert by_id["improper"]["reason"].startswith("parameter bias has no prior")
    assert "does not define the goal 'bias'" in by_id["no_goal"]["reason"]
    assert by_id["uniform_copy"]["duplicate_of"] == "uniform"
    assert result["num_programs"] == 7 and result["num_valid"] == 4 and result["num_unique"] == 6
    for model in result["models"]:
        assert set(model) >= {"id", "source", "status", "reason", "log_evidence", "weight"}
        if model["status"] != "ok":
            assert model["weight"] == 0.0 and model["log_evidence"] is None


def test_log_evidence_and_weights_against_exact_values(run):
    _, result = run
    ok = [m for m in result["models"] if m["status"] == "ok"]
    prior_of = {"uniform": PRIORS["uniform"], "uniform_copy": PRIORS["uniform"], "penny": PRIORS["penny"], "heads_leaning": PRIORS["heads_leaning"]}
    exact = np.array([exact_log_evidence(*prior_of[m["id"]]) for m in ok])
    estimate = np.array([m["log_evidence"] for m in ok])
    se = np.array([m["log_evidence_se"] for m in ok])
    assert np.all(np.abs(estimate - exact) < 4.5 * se)
    exact_log_weights = exact - special.logsumexp(exact)
    log_weights = np.log([m["weight"] for m in ok])
    assert np.all(np.abs(log_weights - exact_log_weights) < 2 * 4.5 * se.max())
    assert sum(m["weight"] for m in result["models"]) == pytest.approx(1.0, abs=1e-12)
    assert sum(m["flat_weight"] for m in result["models"]) == pytest.approx(1.0, abs=1e-12)
    weights = {m["id"]: m["weight"] for m in ok}
    assert weights["uniform"] == weights["uniform_copy"]
    assert result["weights_ess"] == pytest.approx(1 / sum(w**2 for w in weights.values()))


def test_weighted_posterior_mean_within_monte_carlo_error(run):
    _, result = run
    ok = [m for m in result["models"] if m["status"] == "ok"]
    prior_of = {"uniform": PRIORS["uniform"], "uniform_copy": PRIORS["uniform"], "penny": PRIORS["penny"], "heads_leaning": PRIORS["heads_leaning"]}
    posteriors = [stats.beta(prior_of[m["id"]][0] + K, prior_of[m["id"]][1] + N - K) for m in ok]
    for kind, key in (("llb", "weight"), ("flat", "flat_weight")):
        w = np.array([m[key] for m in ok])
        expected = float(sum(wi * p.mean() for wi, p in zip(w, posteriors)))
        # each program's mean has Monte Carlo error sd / sqrt(ESS); ESS >= 1000 for these one-parameter fits
        error = math.sqrt(sum(wi**2 * p.var() / 1000 for wi, p in zip(w, posteriors)))
        assert abs(result["posterior"][kind]["bias"]["mean"] - expected) < 4.5 * error
    assert result["posterior"]["llb"]["bias"]["q05"] < result["posterior"]["llb"]["bias"]["q50"] < result["posterior"]["llb"]["bias"]["q95"]


def test_run_folder_holds_each_program(run):
    out, result = run
    saved = json.loads((out / "result.json").read_text())
    assert saved["posterior"] == json.loads(json.dumps(result["posterior"]))
    for model in result["models"]:
        folder = out / "models" / model["id"]
        assert (folder / "program.stan").read_text() == model["source"]
        record = json.loads((folder / "result.json").read_text())
        assert record["status"] == model["status"]
    assert np.load(out / "models" / "penny" / "goal_draws.npy").shape == (4000, 1)


def test_rerun_reuses_every_program_and_order_does_not_matter(run, programs, tmp_path):
    out, result = run
    problem = load_problem(EXAMPLE)
    reused = []
    again = run_problem(problem, read_program_folder(programs), out_dir=out, seed=4, on_program=lambda r, hit: reused.append(hit or bool(r.duplicate_of)))
    assert all(reused)
    assert again["posterior"] == result["posterior"]
    shuffled = list(reversed(read_program_folder(programs)))
    fresh = run_problem(problem, shuffled, out_dir=tmp_path / "fresh", seed=4)
    assert fresh["posterior"] == result["posterior"]


def llb(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "llb", *map(str, args)], capture_output=True, text=True, timeout=900)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_user_mistakes_are_one_line(tmp_path, programs):
    assert "has no problem.toml" in one_line_error(llb("run", tmp_path, "--programs", programs))
    assert "does not exist" in one_line_error(llb("run", tmp_path / "nope", "--programs", programs))
    problem = tmp_path / "problem"
    shutil.copytree(EXAMPLE, problem, ignore=shutil.ignore_patterns("programs"))
    (problem / "data.json").write_text('{"num_flips": 20, "num_heads": }')
    assert "data.json is not valid JSON" in one_line_error(llb("run", problem, "--programs", programs))
    (problem / "data.json").write_text('{"num_flips": 20}')
    message = one_line_error(llb("run", problem, "--programs", programs))
    assert "lacks 'num_heads'" in message
    (problem / "data.json").write_text('{"num_flips": 20, "num_heads": 14}')
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "has no .stan files" in one_line_error(llb("run", problem, "--programs", empty))
    assert "no candidate programs" in one_line_error(llb("run", problem))


def test_cli_run_uses_the_programs_folder_of_the_problem(tmp_path):
    result = llb("run", EXAMPLE, "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    assert "recorded programs" in result.stdout and "no programs given" in result.stdout
    assert "posterior of the goal" in result.stdout
    document = json.loads((tmp_path / "run" / "result.json").read_text())
    assert set(document["posterior"]) == {"llb", "flat"}
    assert set(document["posterior"]["llb"]["bias"]) == {"mean", "sd", "q05", "q50", "q95"}
    # a penny: the evidence-weighted bias stays near one half
    assert 0.45 < document["posterior"]["llb"]["bias"]["mean"] < 0.65


def test_integer_goal_is_averaged_as_a_discrete_quantity(tmp_path):
    """The goal is the next flip (0 or 1): its posterior mean is each program's posterior mean of the bias."""
    problem = tmp_path / "next_flip"
    problem.mkdir()
    (problem / "data.json").write_text(json.dumps({"num_flips": N, "num_heads": K}))
    (problem / "problem.toml").write_text('text = "Will the next flip be heads?"\ngoal = "int<lower=0, upper=1> next_flip;"\n')
    programs = tmp_path / "programs"
    programs.mkdir()
    for name, (a, b) in (("uniform", (1.0, 1.0)), ("penny", (50.0, 50.0))):
        source = beta_program(a, b) + "generated quantities {\n  int next_flip = bernoulli_rng(bias);\n}\n"
        (programs / f"{name}.stan").write_text(source)
    loaded = load_problem(problem)
    assert loaded.declarations_inferred and "int num_flips;" in loaded.data_declarations
    result = run_problem(loaded, read_program_folder(programs), out_dir=tmp_path / "run", seed=2)
    assert result["goal"]["discrete"] is True
    weights = {m["id"]: m["weight"] for m in result["models"]}
    p_heads = weights["uniform"] * (1 + K) / (2 + N) + weights["penny"] * (50 + K) / (100 + N)
    summary = result["posterior"]["llb"]["next_flip"]
    # each program contributes 4000 Bernoulli draws (independent given the bias draws)
    error = math.sqrt(sum(w**2 * 0.25 / 4000 for w in weights.values()))
    assert abs(summary["mean"] - p_heads) < 4.5 * error
    assert summary["q05"] == 0.0 and summary["q95"] == 1.0 and summary["q50"] in (0.0, 1.0)
    assert all(m["reliability"] == "good" for m in result["models"])


def _record(name: str, log_evidence: float, draws_mean: float, *, se: float = 0.02, rhat: float = 1.001, divergences: int = 0):
    from llb.pipeline.outcome import Diagnostics, ProgramOutcome
    from llb.pipeline.run import ProgramRecord

    diagnostics = Diagnostics(divergences, 0, 3.0, (0.5,), 0.9, (1.0,), 0.8, rhat)
    draws = np.full((10, 1), draws_mean)
    outcome = ProgramOutcome(name, "ok", None, log_evidence, se, diagnostics=diagnostics, goal_names=("bias",), goal_draws=draws)
    return ProgramRecord(name, f"// {name}", outcome)


def test_weight_on_doubtful_programs_is_reported_and_can_be_excluded():
    from llb.pipeline.run import assemble_result, unreliable_weight_warning

    problem = load_problem(EXAMPLE)
    records = [
        _record("good_a", -10.0, 0.2),
        _record("good_b", -10.0 + math.log(3.0), 0.4),
        _record("mixing_badly", -10.0 + math.log(4.0), 0.9, rhat=1.3),
        _record("diverging", -10.0, 0.7, divergences=12),
    ]
    kept = assemble_result(problem, records, settings=FitSettings(), seed=0)
    # evidence ratios 1 : 3 : 4 : 1, so the two doubtful programs carry 5/9 of the weight
    assert kept["unreliable_weight"] == pytest.approx(5 / 9)
    assert not kept["excluded_unreliable"]
    assert [m["weight"] for m in kept["models"]] == pytest.approx([1 / 9, 3 / 9, 4 / 9, 1 / 9])
    assert kept["posterior"]["llb"]["bias"]["mean"] == pytest.approx((0.2 + 3 * 0.4 + 4 * 0.9 + 0.7) / 9)
    assert "56% of the evidence weight is on programs whose fit or evidence estimate is doubtful" in unreliable_weight_warning(kept)

    excluded = assemble_result(problem, records, settings=FitSettings(), seed=0, exclude_unreliable=True)
    assert excluded["excluded_unreliable"] and excluded["unreliable_weight"] == pytest.approx(5 / 9)
    assert [m["weight"] for m in excluded["models"]] == pytest.approx([1 / 4, 3 / 4, 0.0, 0.0])
    assert excluded["posterior"]["llb"]["bias"]["mean"] == pytest.approx((0.2 + 3 * 0.4) / 4)
    assert excluded["posterior"]["flat"]["bias"]["mean"] == pytest.approx((0.2 + 0.4) / 2)
    assert "they were given none" in unreliable_weight_warning(excluded)

    # nothing reliable left: every valid program keeps its weight rather than none having any
    doubtful_only = assemble_result(problem, records[2:], settings=FitSettings(), seed=0, exclude_unreliable=True)
    assert not doubtful_only["excluded_unreliable"]
    assert sum(m["weight"] for m in doubtful_only["models"]) == pytest.approx(1.0)
    assert unreliable_weight_warning(assemble_result(problem, records[:2], settings=FitSettings(), seed=0)) is None


def test_oversized_programs_are_kept_whole_only_in_their_folder(tmp_path):
    import os

    huge = beta_program(1.0, 1.0) + "// padding\n" * 450_000  # about 5 MB
    folder = tmp_path / "programs"
    folder.mkdir()
    (folder / "huge.stan").write_text(huge)
    (folder / "uniform.stan").write_text(beta_program(1.0, 1.0))
    out = tmp_path / "run"
    result = run_problem(load_problem(EXAMPLE), read_program_folder(folder), out_dir=out, settings=FitSettings(sampler=SamplerConfig(draws=200, warmup=200)), seed=1)
    record = next(m for m in result["models"] if m["id"] == "huge")
    assert record["status"] == "invalid" and "larger than" in record["reason"]
    assert len(record["source"]) < 25_000 and "the whole text is in models/huge/program.stan" in record["source"]
    assert (out / "models" / "huge" / "program.stan").read_text() == huge
    assert (out / "result.json").stat().st_size < 200_000
    mask = os.umask(0o022)
    os.umask(mask)
    modes = {path.name: path.stat().st_mode & 0o777 for path in out.rglob("*") if path.is_file()}
    assert set(modes.values()) == {0o666 & ~mask}, modes
