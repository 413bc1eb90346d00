"""`llb fit` as a user runs it: tables or JSON on success, one line (never a traceback) on failure."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

from conftest import STAN_DIR

NORMAL = STAN_DIR / "normal.stan"
NORMAL_DATA = STAN_DIR / "normal.data.json"


def llb(*args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "llb", *map(str, args)], capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(result: subprocess.CompletedProcess, expected: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]


def test_fit_json_document(toolchain):
    from conftest import read_program
    from llb.stan.compile import compile_program

    compile_program(read_program("normal.stan"), toolchain=toolchain, by_structure=True)  # what `llb fit` compiles
    result = llb("fit", NORMAL, "--data", NORMAL_DATA, "--json", "--draws", "500", "--seed", "3")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "ok" and document["reason"] is None
    assert set(document["summary"]) == {"mu", "sigma", "y_rep"}
    assert set(document["summary"]["mu"]) == {"mean", "sd", "q05", "q50", "q95", "rhat", "ess_bulk", "ess_tail"}
    # log evidence against quadrature: mu ~ N(0, 10) integrates out exactly, sigma ~ lognormal(0, 1) numerically
    y = np.array(json.loads(NORMAL_DATA.read_text())["y"])

    def integrand(sigma: float) -> float:
        cov = sigma**2 * np.eye(y.size) + 100.0
        return math.exp(stats.multivariate_normal(np.zeros(y.size), cov).logpdf(y) + stats.lognorm(1.0).logpdf(sigma) + 10)

    exact = math.log(integrate.quad(integrand, 0, np.inf, limit=200)[0]) - 10
    error = document["log_evidence"] - exact
    assert abs(error) < 0.1 and abs(error) < 4.5 * document["evidence"]["mc_se"]
    assert document["evidence"]["method"] == "bridge"
    assert document["diagnostics"]["divergences"] >= 0
    assert {"validate", "compile", "sample"} <= set(document["timings"])
    assert document["compile"]["cache_hit"] is True
    # the sample mean of y (1.3) is well inside the posterior of mu
    assert document["summary"]["mu"]["q05"] < 1.3 < document["summary"]["mu"]["q95"]


def test_fit_table(compiled):
    compiled("normal.stan")
    result = llb("fit", NORMAL, "--data", NORMAL_DATA, "--draws", "300")
    assert result.returncode == 0, result.stderr
    for text in ("posterior summary", "R-hat", "ESS bulk", "mu", "sigma", "divergent transitions: ", "timings: validate"):
        assert text in result.stdout


def test_syntax_error_is_one_line(tmp_path):
    program = tmp_path / "bad.stan"
    program.write_text("parameters { real mu }\nmodel { mu ~ normal(0, 1); }\n")
    result = llb("fit", program)
    assert_one_line_error(result, 'invalid: syntax error at line 1, column 21: ";" expected after variable declaration.')


def test_undeclared_variable_is_one_line(tmp_path):
    program = tmp_path / "bad.stan"
    program.write_text("parameters { real mu; }\nmodel { mu ~ normal(m0, 1); }\n")
    assert_one_line_error(llb("fit", program), "invalid: semantic error at line 2, column 20: Identifier 'm0' not in scope.")


def test_include_is_one_line(tmp_path):
    program = tmp_path / "bad.stan"
    program.write_text('#include "secrets.stan"\nparameters { real mu; }\nmodel { mu ~ normal(0, 1); }\n')
    assert_one_line_error(llb("fit", program), "invalid: refused: line 1: #include is not allowed")


def test_missing_and_misshaped_data_are_one_line(tmp_path, compiled):
    compiled("normal.stan")
    data = tmp_path / "data.json"
    data.write_text('{"N": 3}')
    assert_one_line_error(llb("fit", NORMAL, "--data", data), "data_error: data variable 'y' is missing")
    data.write_text('{"N": 3, "y": [1, 2]}')
    assert_one_line_error(llb("fit", NORMAL, "--data", data), "data_error: data variable 'y' has shape (2) but the program declares (3)")
    data.write_text('{"N": 3, "y": [1, 2, 3')
    assert_one_line_error(llb("fit", NORMAL, "--data", data), "is not valid JSON")


def test_missing_files_and_bad_options_are_one_line(tmp_path):
    assert_one_line_error(llb("fit", tmp_path / "nope.stan"), "does not exist")
    assert_one_line_error(llb("fit", NORMAL, "--data", NORMAL_DATA, "--chains", "0"), "chains and draws must be at least 1")
    assert_one_line_error(llb("fit"), "the following arguments are required: program")


def test_program_that_always_rejects_is_a_sampling_error(tmp_path):
    program = tmp_path / "reject.stan"
    program.write_text('parameters { real mu; }\nmodel { mu ~ normal(0, 1); reject("no way: mu=", mu); }\n')
    result = llb("fit", program, "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["status"] == "sampling_error"
    assert "no way: mu=" in document["reason"] and "\n" not in document["reason"]


def test_program_without_parameters_uses_fixed_param(tmp_path):
    program = tmp_path / "gq.stan"
    program.write_text("data { real m; }\ngenerated quantities { real z = normal_rng(m, 1); int k = 2; }\n")
    data = tmp_path / "d.json"
    data.write_text('{"m": 3.0}')
    result = llb("fit", program, "--data", data, "--json", "--draws", "2000")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)["summary"]
    assert summary["k"]["mean"] == 2
    assert summary["z"]["mean"] == pytest.approx(3.0, abs=4.5 / (8000**0.5))
