"""Random walks sampled as their innovations, multivariate normals whitened: each rewrite is the same model.

Checked three ways: which programs are rewritten (and which are refused), the log density of the
rewrite equals the original's plus the map's log Jacobian at random points, and the evidence of
both equals an exact value (the walk and the data are Gaussian given the step scale, which is
integrated by quadrature).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from conftest import read_program
from llb.analysis.reparam import REWRITE_FLAG, innovations, noncentre, reparameterise, switchable, whitened
from llb import api
from llb.pipeline.program import FitSettings, fit_program
from llb.stan.compile import compile_program
from llb.stan.model import StanModel
from llb.stan.sample import SamplerConfig, sample_nuts
from llb.stats.evidence import estimate_evidence

SLICE_WALK = """
data { int N; vector[N] y; }
parameters { vector[N] x; real<lower=0> s; }
model {
  x[1] ~ normal(0, 3);
  x[2:N] ~ normal(x[1:(N - 1)], s);
  s ~ lognormal(-1, 0.5);
  y ~ normal(x, 0.5);
}
"""

LOOP_AR = """
data { int N; array[N] real y; }
parameters { real mu; real<lower=-1, upper=1> phi; real<lower=0> s; array[N] real x; }
model {
  mu ~ normal(0, 2);
  s ~ exponential(2);
  x[1] ~ normal(mu, s / sqrt(1 - square(phi)));
  for (t in 2:N) {
    x[t] ~ student_t(5, mu + phi * (x[t - 1] - mu), s * (1 + 0.1 * t));
  }
  y ~ normal(x, 1);
}
"""

DATA = {"N": 8, "y": [0.3, 0.9, 0.4, 1.6, 2.2, 1.5, 2.9, 3.1]}


def test_a_sliced_random_walk_becomes_innovations():
    rewrite = innovations(SLICE_WALK)
    assert rewrite is not None and rewrite.variables == ("x",)
    lines = [line.strip() for line in rewrite.source.splitlines()]
    assert "vector[N] x_llb_raw;" in lines and "vector[N] x;" in lines
    assert "x[llb_t] = x[llb_t - 1] + s * x_llb_raw[llb_t];" in lines
    assert "target += log(s);" in lines
    assert "x[2 : N] ~ normal(x[1 : (N - 1)], s);" in lines  # the program's statements stay as written
    assert "innovations" in reparameterise(SLICE_WALK).description


def test_a_looped_ar_term_becomes_innovations():
    rewrite = innovations(LOOP_AR)
    assert rewrite is not None
    lines = [line.strip() for line in rewrite.source.splitlines()]
    assert "x[t] = mu + phi * (x[t - 1] - mu) + s * (1 + 0.1 * t) * x_llb_raw[t];" in lines
    assert "target += log(s * (1 + 0.1 * t));" in lines


@pytest.mark.parametrize(
    "change",
    [
        ("vector[N] x;", "vector<lower=-10>[N] x;"),  # bounds would become checks: another model
        ("vector[N] x;", "vector<offset=1, multiplier=2>[N] x;"),
        ("normal(x[1:(N - 1)], s)", "normal(x[1:(N - 1)], s * x[2:N])"),  # scale depends on x
        ("normal(x[1:(N - 1)], s)", "normal(x[1:(N - 1)] + y[2:N], s)"),  # a vector term: not elementwise
        ("x[2:N] ~ normal(x[1:(N - 1)], s)", "x[3:N] ~ normal(x[1:(N - 2)], s)"),
    ],
)
def test_walks_llb_cannot_rewrite_exactly_are_left_alone(change):
    assert innovations(SLICE_WALK.replace(*change)) is None


def test_a_loop_that_looks_ahead_or_uses_a_local_is_left_alone():
    assert innovations(LOOP_AR.replace("x[t - 1] - mu", "x[t] - mu")) is None
    local = LOOP_AR.replace("for (t in 2:N) {\n", "for (t in 2:N) {\n    real m = mu;\n").replace("mu + phi", "m + phi")
    assert innovations(local) is None
    assert innovations(LOOP_AR.replace("for (t in 2:N)", "for (t in 3:N)")) is None


def _named(model: StanModel, values: np.ndarray) -> dict[str, np.ndarray]:
    """A constrained vector (parameters and transformed parameters) split by variable."""
    out, at = {}, 0
    for variable in model.variables:
        if variable.block == "generated quantities":
            continue
        out[variable.name] = values[at : at + variable.size]
        at += variable.size
    return out


def assert_same_density_times_jacobian(toolchain, program: str, rewritten_source: str, data: dict, log_jacobian) -> None:
    """At random points of the rewrite's coordinates: its log density is the original's at the same
    values plus ``log_jacobian(values)``."""
    original = StanModel(compile_program(program, toolchain=toolchain).library, data)
    rewritten = StanModel(compile_program(rewritten_source, toolchain=toolchain).library, data)
    rng = np.random.default_rng(7)
    for _ in range(5):
        point = rng.normal(scale=0.7, size=rewritten.n_unconstrained)
        values = _named(rewritten, rewritten.constrain(point, include_gq=False))
        as_original = np.concatenate([values[v.name] for v in original.variables if v.block == "parameters"])
        expected = original.log_density(original.unconstrain(as_original)) + log_jacobian(values)
        assert rewritten.log_density(point) == pytest.approx(expected, abs=1e-9, rel=1e-12)
    original.close()
    rewritten.close()


@pytest.mark.parametrize("program,scale", [(SLICE_WALK, lambda v, t: v["s"][0]), (LOOP_AR, lambda v, t: v["s"][0] * (1 + 0.1 * t))])
def test_the_rewrite_has_the_same_density_times_its_jacobian(toolchain, program, scale):
    def log_jacobian(values):
        return sum(math.log(scale(values, t)) for t in range(2, DATA["N"] + 1))

    assert_same_density_times_jacobian(toolchain, program, innovations(program).source, DATA, log_jacobian)


def _exact_log_evidence() -> float:
    """SLICE_WALK's evidence: given s, y is Gaussian with Cov = 9 + s^2 (min(i, j) - 1) + 0.25 I."""
    y = np.array(DATA["y"])
    steps = np.minimum.outer(np.arange(8), np.arange(8)).astype(float)
    prior = stats.lognorm(s=0.5, scale=math.exp(-1))

    def integrand(s: float) -> float:
        cov = 9.0 + s**2 * steps + 0.25 * np.eye(8)
        return math.exp(stats.multivariate_normal(np.zeros(8), cov).logpdf(y) + 15) * prior.pdf(s)

    value, _ = integrate.quad(integrand, 0, np.inf, limit=200)
    return math.log(value) - 15


def assert_both_have_the_exact_evidence(toolchain, program: str, rewritten_source: str, data: dict, exact: float, config) -> None:
    """The original through the whole pipeline; the rewrite (which llb would refuse as a program of
    its own: x_llb_raw has no prior of its own) sampled and weighed as the pipeline does after a
    rewrite. Both within 0.1 nat and 4.5 standard errors of ``exact``."""
    report = fit_program(program, data, settings=FitSettings(sampler=config))
    assert report.ok, report.reason
    if report.reparameterisation is None:  # sampled as written: the switchable library's x_llb_raw (= x) are left out
        assert not any("llb_raw" in row["name"] for row in report.summary)
    with StanModel(compile_program(rewritten_source, toolchain=toolchain).library, data) as model:
        fit = sample_nuts(model, config)
        rewritten = estimate_evidence(model.log_density_many, fit.unconstrained, seed=config.seed)
    for log_evidence, se in ((report.log_evidence, report.evidence.mc_se), (rewritten.log_evidence, rewritten.mc_se)):
        error = log_evidence - exact
        assert abs(error) < 0.1 and abs(error) < 4.5 * se + 1e-9, (log_evidence, exact)


def test_the_rewrite_has_the_evidence_of_the_program_as_written(toolchain):
    config = SamplerConfig(seed=3, adapt_delta=0.95)
    assert_both_have_the_exact_evidence(toolchain, SLICE_WALK, innovations(SLICE_WALK).source, DATA, _exact_log_evidence(), config)


WHITENED = """
data { int K; matrix[K, K] R; vector[K] y; }
parameters { real<lower=0> tau; vector[K] x; }
model {
  tau ~ lognormal(0, 0.5);
  x ~ multi_normal(rep_vector(0, K), square(tau) * R);
  y ~ normal(x, 1);
}
"""

WHITENED_CHOLESKY = """
data { int K; matrix[K, K] L_R; vector[K] y; }
parameters { vector<lower=0>[K] sigma; real mu; vector[K] x; }
model {
  sigma ~ exponential(1);
  mu ~ normal(0, 3);
  x ~ multi_normal_cholesky(rep_vector(mu, K), diag_pre_multiply(sigma, L_R));
  y ~ normal(x, 1);
}
"""

CORRELATION = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, 0.5], [0.3, 0.5, 1.0]])
MULTI_DATA = {"K": 3, "R": CORRELATION.tolist(), "L_R": np.linalg.cholesky(CORRELATION).tolist(), "y": [0.8, 1.9, 0.4]}


def test_a_multivariate_normal_becomes_whitened_and_what_cannot_be_is_left_alone():
    lines = [line.strip() for line in whitened(WHITENED).source.splitlines()]
    assert "x = rep_vector(0, K) + cholesky_decompose(square(tau) * R) * x_llb_raw;" in lines
    assert "target += sum(log(diagonal(cholesky_decompose(square(tau) * R))));" in lines
    assert "x ~ multi_normal(rep_vector(0, K), square(tau) * R);" in lines
    assert whitened(WHITENED.replace("vector[K] x;", "vector<lower=0>[K] x;")) is None
    assert whitened(WHITENED.replace("square(tau) * R", "square(tau) * R + diag_matrix(x)")) is None


@pytest.mark.parametrize(
    "program,log_det",
    [
        (WHITENED, lambda v: 0.5 * np.linalg.slogdet(v["tau"][0] ** 2 * CORRELATION)[1]),
        (WHITENED_CHOLESKY, lambda v: float(np.sum(np.log(v["sigma"] * np.diag(np.linalg.cholesky(CORRELATION)))))),
    ],
)
def test_whitening_has_the_same_density_times_its_jacobian(toolchain, program, log_det):
    assert_same_density_times_jacobian(toolchain, program, whitened(program).source, MULTI_DATA, log_det)


def test_whitening_keeps_the_evidence(toolchain):
    """y ~ N(0, tau^2 R + I) given tau; tau integrated by quadrature."""
    y = np.array(MULTI_DATA["y"])
    prior = stats.lognorm(s=0.5, scale=1.0)

    def integrand(tau: float) -> float:
        return math.exp(stats.multivariate_normal(np.zeros(3), tau**2 * CORRELATION + np.eye(3)).logpdf(y) + 10) * prior.pdf(tau)

    exact = math.log(integrate.quad(integrand, 0, np.inf, limit=200)[0]) - 10
    assert_both_have_the_exact_evidence(toolchain, WHITENED, whitened(WHITENED).source, MULTI_DATA, exact, SamplerConfig(seed=5))


EIGHT_SCHOOLS = {"J": 8, "y": [28, 8, -3, 7, -1, 1, 18, 12], "sigma": [15, 10, 16, 11, 9, 11, 10, 18]}


def test_a_parameter_already_non_centred_with_offset_and_multiplier_is_no_rewrite():
    """Such a program is sampled as written: a 'rewrite' that leaves it unchanged would be fitted
    (and compiled behind a flag) for nothing, and named in the record as something done."""
    affine = (
        "data { int J; vector[J] y; } parameters { real mu; real<lower=0> tau; real<lower=0> s; "
        "vector<offset=mu, multiplier=tau>[J] a; vector[J] b; } "
        "model { mu ~ normal(0, 1); tau ~ exponential(1); s ~ exponential(1); a ~ normal(mu, tau); b ~ normal(mu, s); y ~ normal(a + b, 1); }"
    )
    assert noncentre(affine.replace("vector[J] b;", "vector<offset=mu, multiplier=s>[J] b;")) is None
    assert reparameterise(affine.replace("vector[J] b;", "vector<offset=mu, multiplier=s>[J] b;")) is None
    mixed = noncentre(affine)  # b is centred as written: it alone is rewritten
    assert mixed is not None and mixed.variables == ("b",)
    assert "vector<offset=mu, multiplier=s>[J] b;" in mixed.source and "vector<offset=mu, multiplier=tau>[J] a;" in mixed.source
    # declared on one line with another parameter: the transform would apply to both, so neither is rewritten
    assert noncentre(affine.replace("vector<offset=mu, multiplier=tau>[J] a; vector[J] b;", "vector[J] a, b;")) is None


def test_a_switchable_program_declares_its_flag_and_keeps_both_versions():
    rewrite, both = switchable(SLICE_WALK)
    assert rewrite == reparameterise(SLICE_WALK) and rewrite.raw_variables == ("x_llb_raw",)
    lines = [line.strip() for line in both.splitlines()]
    assert f"int<lower=0, upper=1> {REWRITE_FLAG};" in lines
    assert f"if ({REWRITE_FLAG}) {{" in lines and "x = x_llb_raw;" in lines
    assert "x[2 : N] ~ normal(x[1 : (N - 1)], s);" in lines
    centred = switchable(read_program("eight_schools_centered.stan"))[1]
    assert f"array[J] real<offset={REWRITE_FLAG} * mu, multiplier={REWRITE_FLAG} * tau + (1 - {REWRITE_FLAG})> theta;" in centred
    assert switchable(read_program("eight_schools_noncentered.stan")) is None  # nothing to rewrite
    assert switchable(SLICE_WALK.replace("int N;", f"int N; int {REWRITE_FLAG};")) is None  # the name is taken
    # array locations: the plain rewrite is fine, but the flag's arithmetic has no signature for arrays
    arrays = "data { int J; } parameters { array[J] real mu; real<lower=0> tau; array[J] real theta; } model { mu ~ normal(0, 1); tau ~ exponential(1); theta ~ normal(mu, tau); }"
    assert reparameterise(arrays) is not None and switchable(arrays) is None


@pytest.mark.parametrize(
    "program,data",
    [(SLICE_WALK, DATA), (WHITENED, MULTI_DATA), (read_program("eight_schools_centered.stan"), EIGHT_SCHOOLS)],
    ids=["innovations", "whitened", "non-centred"],
)
def test_one_library_is_the_program_as_written_at_0_and_its_rewrite_at_1(toolchain, program, data):
    """Log density and gradient equal to those of each program compiled on its own, at random
    points of the same unconstrained coordinates, and so are the constrained values."""
    rewrite, both = switchable(program)
    library = compile_program(both, toolchain=toolchain)
    references = {0: program, 1: rewrite.source}
    rng = np.random.default_rng(11)
    for flag, source in references.items():
        with StanModel(compile_program(source, toolchain=toolchain).library, data) as reference, StanModel(
            library.library, library.data_for({**data, REWRITE_FLAG: flag})
        ) as switched:
            assert switched.n_unconstrained == reference.n_unconstrained
            for _ in range(5):
                point = rng.normal(scale=0.7, size=reference.n_unconstrained)
                lp, gradient = switched.log_density_gradient(point)
                expected_lp, expected_gradient = reference.log_density_gradient(point)
                assert lp == pytest.approx(expected_lp, rel=1e-12, abs=1e-12)
                np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-12, atol=1e-12)
                values, expected = _named(switched, switched.constrain(point, include_gq=False)), _named(reference, reference.constrain(point, include_gq=False))
                for name in expected:
                    np.testing.assert_allclose(values[name], expected[name], rtol=1e-12, atol=1e-12)


def test_the_python_api_shows_the_program_s_own_variables():
    """Sampled as written from its switchable library, a random walk's draws and summary are those
    of the program's variables alone; the rewrite's coordinates appear only when it is sampled."""
    result = api.fit(SLICE_WALK, DATA, seed=3)
    assert result.status == "ok", result.reason
    if result.report.reparameterisation is None:
        assert set(result.draws) == {"x", "s"}
        assert not result.summary["name"].str.contains("llb_raw").any()
    else:
        assert "x_llb_raw" in result.draws
    assert result.draws["x"].shape == (4000, 8)


ARRAY_LOCATIONS = """
data { int<lower=0> J; array[J] real y; array[J] real<lower=0> sigma; }
parameters { array[J] real mu; real<lower=0> tau; array[J] real theta; }
model {
  mu ~ normal(0, 5);
  tau ~ cauchy(0, 5);
  theta ~ normal(mu, tau);
  y ~ normal(theta, sigma);
}
"""


def test_a_program_without_a_switchable_form_gets_its_rewrite_compiled_on_its_own():
    """Array locations: no switchable form, so the funnel's rewrite is compiled by itself when the fit
    calls for it, and the evidence is still exact: y_j ~ N(0, 25 + tau^2 + sigma_j^2) given tau, whose
    half-Cauchy(5) prior is integrated by quadrature."""
    assert switchable(ARRAY_LOCATIONS) is None
    report = fit_program(ARRAY_LOCATIONS, EIGHT_SCHOOLS, settings=FitSettings(sampler=SamplerConfig(seed=1)))
    assert report.ok, report.reason
    assert report.reparameterisation == "non-centred theta with <offset, multiplier> (same model, better geometry)"
    assert "array[J] real<offset=mu, multiplier=tau> theta;" in report.fitted_source
    library_program = (report.compiled.library.parent / "program.stan").read_text()
    assert "offset=mu" in library_program and REWRITE_FLAG not in library_program
    y, s = np.array(EIGHT_SCHOOLS["y"], float), np.array(EIGHT_SCHOOLS["sigma"], float)

    def integrand(tau: float) -> float:
        log_likelihood = stats.norm(0, np.sqrt(25 + tau**2 + s**2)).logpdf(y).sum()
        return math.exp(log_likelihood + 30) * 2 / (math.pi * 5 * (1 + (tau / 5) ** 2))

    exact = math.log(integrate.quad(integrand, 0, np.inf, limit=200)[0]) - 30
    error = report.log_evidence - exact
    assert abs(error) < 0.1 and abs(error) < 4.5 * report.evidence.mc_se + 1e-9, (report.log_evidence, exact)
