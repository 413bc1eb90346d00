"""The Python API end to end, each case in a fresh interpreter, against exact values.

A beta-Bernoulli problem made from a pandas DataFrame is answered by ``llb.run`` from two program
texts whose log marginal likelihoods, evidence weights and posterior means are known in closed
form; ``open_run`` must rebuild an equal result from the folder; the InferenceData must survive a
NetCDF round trip; ``llb.fit`` must match the conjugate posterior. Library warnings (ArviZ's daily
FutureWarning among them, made to fire by a fresh cache folder) must not reach stderr.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import special

ROOT = Path(__file__).resolve().parents[1]
FLIPS = [1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1]  # 15 heads in 20
PRIORS = [(2.0, 2.0), (20.0, 20.0)]
PROGRAM = """data {{ int<lower=0> N; array[N] int<lower=0, upper=1> y; }}
parameters {{ real<lower=0, upper=1> theta; }}
model {{ theta ~ beta({a}, {b}); y ~ bernoulli(theta); }}
"""


def exact_log_evidence(a: float, b: float) -> float:
    heads, n = sum(FLIPS), len(FLIPS)
    return float(special.betaln(a + heads, b + n - heads) - special.betaln(a, b))


def run_fresh(script: str, tmp_path: Path) -> dict:
    """Run ``script`` in a new interpreter with warnings on; return the JSON it prints last."""
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}  # ArviZ warns once a day per cache
    environment.setdefault("LLB_CACHE_DIR", str(Path.home() / ".cache" / "llb"))
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", script], capture_output=True, text=True, timeout=900, cwd=tmp_path, env=environment
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_run_from_a_dataframe_open_run_and_inference_data(tmp_path):
    programs = [PROGRAM.format(a=a, b=b) for a, b in PRIORS]
    script = f"""
import json, pathlib, numpy as np, pandas as pd
import llb
problem = llb.Problem(text="A coin flipped 20 times. What is its bias?", goal="real<lower=0, upper=1> theta;",
                      data=pd.DataFrame({{"y": {FLIPS}}}))
result = llb.run(problem, programs={programs!r}, out="run", progress=False, seed=3, workers=2)
again = llb.open_run("run")
data = result.to_inference_data()
data.to_netcdf("combined.nc")
import arviz as az  # after llb has used it: a warning from this import would be the caller's own
back = az.from_netcdf("combined.nc")
models = result.models
print(json.dumps({{
    "declarations": problem.data_declarations,
    "ids": list(models["id"]), "origins": list(models["origin"]), "status": list(models["status"]),
    "log_evidence": list(models["log_evidence"]), "se": list(models["log_evidence_se"]), "weight": list(models["weight"]),
    "mean": float(result.posterior["llb"].loc["theta", "mean"]), "flat_mean": float(result.posterior["flat"].loc["theta", "mean"]),
    "equal": result == again, "draws_mean": float(result.draws("llb")["theta"].mean()),
    "netcdf_equal": bool(np.array_equal(back.posterior["theta"].values, data.posterior["theta"].values)),
    "netcdf_groups": sorted(back.groups()), "html": "<table" in result._repr_html_() and "<img" in result._repr_html_(),
    "program_source": result.program(models["id"][0]).source, "report": str(result.write_report("copy.html")),
    "result_origin": json.loads(pathlib.Path("run/models", models["id"][0], "result.json").read_text())["origin"],
}}))
"""
    found = run_fresh(script, tmp_path)
    assert found["declarations"].splitlines() == ["int<lower=0> N; // rows of the table", "array[N] int y;"]  # tables.py
    assert found["status"] == ["ok", "ok"]
    assert found["origins"] == ["program text 0 given to llb.run", "program text 1 given to llb.run"]
    assert found["result_origin"] == found["origins"][0]
    exact = [exact_log_evidence(a, b) for a, b in PRIORS]
    for estimate, se, truth in zip(found["log_evidence"], found["se"], exact):
        assert abs(estimate - truth) < max(4.5 * se, 0.02), (estimate, truth, se)
    weights = np.exp(np.array(exact) - max(exact))
    weights /= weights.sum()
    assert found["weight"] == pytest.approx(list(weights), abs=0.03)
    heads, n = sum(FLIPS), len(FLIPS)
    means = [(a + heads) / (a + b + n) for a, b in PRIORS]
    sds = [math.sqrt(m * (1 - m) / (a + b + n + 1)) for m, (a, b) in zip(means, PRIORS)]
    mixture_mean = float(np.dot(found["weight"], means))  # given the estimated weights, the mean is exact
    assert abs(found["mean"] - mixture_mean) < 4.5 * max(sds) / math.sqrt(4000 / 10)
    assert abs(found["flat_mean"] - np.mean(means)) < 4.5 * max(sds) / math.sqrt(4000 / 10)
    assert abs(found["draws_mean"] - found["mean"]) < 4.5 * max(sds) / math.sqrt(4000 / 10)
    assert found["equal"] is True
    assert found["netcdf_equal"] and {"posterior", "flat_posterior"} <= set(found["netcdf_groups"])
    assert found["html"]
    assert "beta(2.0, 2.0)" in found["program_source"]
    assert Path(found["report"]).name == "copy.html" and (tmp_path / "copy.html").read_text().startswith("<!DOCTYPE html>")


def test_fit_matches_the_conjugate_posterior(tmp_path):
    a, b = PRIORS[0]
    script = f"""
import json
import llb
fit = llb.fit({PROGRAM.format(a=a, b=b)!r}, data={{"N": {len(FLIPS)}, "y": {FLIPS}}}, seed=5)
data = fit.to_inference_data()
data.to_netcdf("fit.nc")
import arviz as az
back = az.from_netcdf("fit.nc")
row = fit.summary.set_index("name").loc["theta"]
print(json.dumps({{
    "status": fit.status, "mean": float(row["mean"]), "sd": float(row["sd"]), "draws": fit.draws["theta"].shape[0],
    "draws_mean": float(fit.draws["theta"].mean()), "log_evidence": fit.log_evidence, "error": fit.evidence.error,
    "method": fit.evidence.method, "divergences": fit.diagnostics.divergences, "chains": back.posterior.sizes["chain"],
    "stats": sorted(back.sample_stats.data_vars), "html": "<table" in fit._repr_html_(),
}}))
"""
    found = run_fresh(script, tmp_path)
    heads, n = sum(FLIPS), len(FLIPS)
    mean = (a + heads) / (a + b + n)
    sd = math.sqrt(mean * (1 - mean) / (a + b + n + 1))
    assert found["status"] == "ok" and found["draws"] == 4000 and found["chains"] == 4
    assert abs(found["mean"] - mean) < 4.5 * sd / math.sqrt(4000 / 4)  # an ESS of at least a quarter of the draws
    assert abs(found["sd"] - sd) < 0.1 * sd
    assert found["draws_mean"] == pytest.approx(found["mean"], rel=1e-9)
    assert abs(found["log_evidence"] - exact_log_evidence(a, b)) < max(4.5 * found["error"], 0.02)
    assert found["method"] == "bridge" and found["divergences"] == 0
    assert {"lp", "diverging", "energy", "tree_depth", "step_size"} <= set(found["stats"])
    assert found["html"]


def test_api_mistakes_are_one_line_errors(tmp_path):
    import pandas as pd

    import llb

    with pytest.raises(llb.DataError, match=r"column .y. has a missing value .* in row 2"):
        llb.Problem(text="t", goal="real mu;", data=pd.DataFrame({"y": [1.0, float("nan")]}))
    with pytest.raises(llb.ProblemError, match="one Stan declaration"):
        llb.Problem(text="t", goal="real a; real b;", data={"y": [1.0]})
    with pytest.raises(llb.DataError, match="not a Stan variable name"):
        llb.Problem(text="t", goal="real mu;", data={"my y": [1.0]})
    problem = llb.Problem(text="t", goal="real mu;", data={"y": np.array([1.0, 2.0])})
    assert problem.data == {"y": [1.0, 2.0]} and problem.data_declarations == "array[2] real y;"
    with pytest.raises(llb.LlbError, match="does not exist"):
        llb.run(problem, programs=tmp_path / "nowhere", out=tmp_path / "run", progress=False)
    with pytest.raises(llb.LlbError, match="mixes program texts and paths"):
        llb.run(problem, programs=["parameters { real mu; } model { mu ~ normal(0, 1); }", "a.stan"], out=tmp_path / "run", progress=False)
    with pytest.raises(llb.LlbError, match="not an llb run folder"):
        llb.open_run(tmp_path)
    with pytest.raises(llb.LlbError, match="evidence must be one of"):
        llb.fit("parameters { real mu; } model { mu ~ normal(0, 1); }", evidence="magic")


def test_notebook_example_gives_the_numbers_of_llb_run(tmp_path):
    """``llb run`` on the bundled coin problem, then examples/notebook.py on the same folder: the API
    with its defaults finds every program already fitted with the same settings (nothing is refitted)
    and reports the same posterior."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    folder = tmp_path / "coin"
    cli = subprocess.run([sys.executable, "-m", "llb", "run", str(ROOT / "examples" / "coin_penny"), "--out", str(folder), "--quiet"],
                         capture_output=True, text=True, timeout=1200, env=environment, cwd=tmp_path)  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    by_cli = json.loads((folder / "result.json").read_text())
    environment["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    example = subprocess.run([sys.executable, "-W", "always", str(ROOT / "examples" / "notebook.py"), str(folder)],
                             capture_output=True, text=True, timeout=1200, env=environment, cwd=tmp_path)  # fmt: skip
    assert example.returncode == 0, example.stderr[-3000:]
    assert "Warning" not in example.stderr, example.stderr[-3000:]
    assert json.loads((folder / "run.json").read_text())["programs_fitted"] == 0
    by_api = json.loads((folder / "result.json").read_text())
    assert by_api["posterior"] == by_cli["posterior"] and by_api["models"] == by_cli["models"]
    mean = by_cli["posterior"]["llb"]["bias"]["mean"]
    assert f"{mean:.6f}"[:6] in example.stdout  # the printed posterior table is the run's
    assert "P(bias > 0.5) = " in example.stdout and "log evidence " in example.stdout
    assert json.loads((folder.parent / "my_coin" / "result.json").read_text())["num_valid"] == 2


def test_api_refuses_what_would_lose_or_misread_a_run(tmp_path):
    import llb
    from llb.pipeline.run_folder import check_run_folder, claim_run_folder

    problem = llb.Problem(text="t", goal="real mu;", data={"y": [1.0, 2.0]})
    program = "parameters { real mu; } model { mu ~ normal(0, 1); }"
    foreign = tmp_path / "myproject"
    foreign.mkdir()
    (foreign / "run.json").write_text('{"my": "config"}')  # a file named like an old llb manifest is not one
    with pytest.raises(llb.LlbError, match="not an llb run folder"):
        llb.run(problem, programs=[program], out=foreign, progress=False)
    assert (foreign / "run.json").read_text() == '{"my": "config"}'
    with claim_run_folder(tmp_path / "answered", "problem-a"):
        pass
    check_run_folder(tmp_path / "answered", "problem-a")
    with pytest.raises(llb.LlbError, match="holds the run of another problem"):
        check_run_folder(tmp_path / "answered", "problem-b")
    with pytest.raises(llb.LlbError, match="seed must be between"):
        llb.fit(program, seed=-1)
    with pytest.raises(llb.LlbError, match="whole number"):
        llb.fit(program, chains=2.5)  # type: ignore[arg-type]
    with pytest.raises(llb.LlbError, match="not NoneType"):
        llb.fit(None)  # type: ignore[arg-type]
    with pytest.raises(llb.LlbError, match="the program is empty"):
        llb.fit("")
    with pytest.raises(llb.LlbError, match="must be an llb.Problem or a problem folder"):
        llb.run(None)  # type: ignore[arg-type]
    with pytest.raises(llb.LlbError, match="not both"):
        llb.run(problem, programs=[program], llm=llb.LLM(base_url="http://127.0.0.1:9/v1"), out=tmp_path / "r", progress=False)
    broken = tmp_path / "broken"
    with claim_run_folder(broken):
        (broken / "result.json").write_text("[1, 2]")
    with pytest.raises(llb.LlbError, match="is not the result.json of a finished llb run"):
        llb.open_run(broken)
