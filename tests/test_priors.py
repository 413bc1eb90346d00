"""Prior normalisation checks (priors.check_priors) and the text utilities of stan_syntax.

check_priors gets stanc's pedantic warnings from validate_program, as in a run. Only stanc is called
(about 40 ms a program); nothing is compiled.
"""

from __future__ import annotations

import math

import pytest

from llb.analysis.priors import PriorCheck, check_priors
from llb.analysis.stan_syntax import (
    Declaration,
    evaluate_size,
    number,
    parse_declaration,
    parse_declarations,
    split_top_level,
    strip_comments,
)
from llb.stan.validate import validate_program


@pytest.fixture(scope="module")
def check(toolchain):
    def run(source: str, data: dict | None = None) -> PriorCheck:
        validation = validate_program(source, toolchain=toolchain)
        assert validation.ok, validation.error
        result = check_priors(source, validation.warnings, toolchain=toolchain, data=data)
        if result.ok:
            assert result.reason is None
        else:
            assert result.reason and "\n" not in result.reason
            assert not result.rewritten and result.source == source
        if result.rewritten:  # a rewrite must itself be a valid program
            rewritten = validate_program(result.source, toolchain=toolchain)
            assert rewritten.ok, rewritten.error
        else:
            assert result.source == source
        return result

    return run


def model_lines(source: str) -> list[str]:
    """Statements of the model block of a canonical program, stripped."""
    inside, lines = False, []
    for line in source.splitlines():
        if line == "model {":
            inside = True
        elif inside and line == "}":
            break
        elif inside:
            lines.append(line.strip())
    return lines


# -- truncation rewrites --------------------------------------------------------------------------
def test_half_normal_scale_is_truncated(check):
    result = check("parameters { real<lower=0> sigma; } model { sigma ~ normal(0, 3); }")
    assert result.ok and result.rewritten
    assert "sigma ~ normal(0, 3) T[0, ];" in result.source
    assert model_lines(result.source) == ["sigma ~ normal(0, 3) T[0, ];"]
    assert [c.variable for c in result.corrections] == ["sigma"]
    assert result.log_constant({"sigma": ()}) == 0.0  # Stan normalises the truncation itself


def test_truncation_written_by_the_user_is_kept(check):
    result = check("parameters { real<lower=0> sigma; } model { sigma ~ normal(0, 3) T[0, ]; }")
    assert result.ok and not result.rewritten and result.corrections == ()


def test_positive_distribution_on_positive_parameter_is_left_alone(check):
    for prior in ("lognormal(0, 1)", "exponential(2)", "gamma(2, 1)", "inv_gamma(3, 2)", "weibull(2, 1)"):
        result = check(f"parameters {{ real<lower=0> sigma; }} model {{ sigma ~ {prior}; }}")
        assert result.ok and not result.rewritten, prior
        assert result.corrections == (), prior


def test_upper_bound_only(check):
    result = check("parameters { real<upper=0> x; } model { x ~ normal(0, 1); }")
    assert result.ok and model_lines(result.source) == ["x ~ normal(0, 1) T[, 0];"]


def test_lower_bound_inside_a_positive_support(check):
    result = check("parameters { real<lower=1> x; } model { x ~ lognormal(0, 1); }")
    assert result.ok and model_lines(result.source) == ["x ~ lognormal(0, 1) T[1, ];"]


def test_loop_over_elements_is_truncated_with_expression_bounds(check):
    result = check(
        """
        data { real a; }
        parameters { array[3] real<lower=-1, upper=a> p; }
        model { for (i in 1:3) { p[i] ~ normal(0, 1); } }
        """
    )
    assert result.ok and result.rewritten
    assert "p[i] ~ normal(0, 1) T[-1, a];" in model_lines(result.source)


def test_uniform_matching_the_bounds_is_left_alone(check):
    result = check("parameters { real<lower=0, upper=1> p; } model { p ~ uniform(0, 1); }")
    assert result.ok and not result.rewritten and result.corrections == ()
    result = check("data { real a; real b; } parameters { real<lower=a, upper=b> p; } model { p ~ uniform(a, b); }")
    assert result.ok and not result.rewritten and result.corrections == ()


def test_uniform_wider_than_the_bounds_is_truncated_where_needed(check):
    result = check("parameters { real<lower=0, upper=1> p; } model { p ~ uniform(-1, 1); }")
    assert result.ok and result.rewritten
    assert model_lines(result.source) == ["p ~ uniform(-1, 1) T[0, ];"]


def test_beta_on_the_unit_interval_is_left_alone(check):
    result = check("parameters { real<lower=0, upper=1> p; } model { p ~ beta(2, 3); }")
    assert result.ok and not result.rewritten


def test_hierarchical_scale_and_effects_are_both_truncated(check):
    result = check(
        """
        data { int J; vector[J] y; }
        parameters { real mu; real<lower=0> tau; vector<lower=0>[J] th; }
        model { mu ~ normal(0, 5); tau ~ cauchy(0, 2); th ~ normal(mu, tau); y ~ normal(th, 1); }
        """
    )
    assert result.ok and result.rewritten
    assert model_lines(result.source) == [
        "mu ~ normal(0, 5);",
        "tau ~ cauchy(0, 2) T[0, ];",
        "th ~ normal(mu, tau) T[0, ];",
        "y ~ normal(th, 1);",
    ]
    assert sorted(c.variable for c in result.corrections) == ["tau", "th"]


def test_reshaped_matrix_is_truncated(check):
    result = check("parameters { matrix<lower=0>[2, 2] m; } model { to_vector(m) ~ normal(0, 1); }")
    assert result.ok and model_lines(result.source) == ["to_vector(m) ~ normal(0, 1) T[0, ];"]


def test_partial_user_truncation_on_a_doubly_bounded_parameter(check):
    result = check("parameters { real<lower=0, upper=1> p; } model { p ~ normal(0.5, 1) T[0, ]; }")
    assert not result.ok or model_lines(result.source) == ["p ~ normal(0.5, 1) T[0, 1];"]


# -- missing priors and implicit uniform priors ----------------------------------------------------
def test_parameter_without_prior_is_rejected(check):
    result = check(
        """
        data { int N; vector[N] y; }
        parameters { real mu; real<lower=0> sigma; }
        model { sigma ~ exponential(1); y ~ normal(mu, sigma); }
        """
    )
    assert not result.ok
    assert "mu" in result.reason and "no prior" in result.reason


def test_bounded_parameters_without_priors_get_uniform_constants(check):
    result = check(
        """
        data { int N; vector[N] y; }
        parameters { real<lower=0, upper=1> p; real<lower=0, upper=10> s; vector<lower=-1, upper=1>[3] v; }
        model { y ~ normal(p + sum(v), s); }
        """
    )
    assert result.ok and not result.rewritten
    constants = {c.variable: c.log_constant_per_element for c in result.corrections}
    assert constants == {"p": 0.0, "s": pytest.approx(-math.log(10)), "v": pytest.approx(-math.log(2))}
    assert not any(c.log_factorial_of_size for c in result.corrections)
    assert result.log_constant({"p": (), "s": (), "v": (3,)}) == pytest.approx(-math.log(10) - 3 * math.log(2), abs=1e-12)
    assert result.log_constant({"p": (), "s": (), "v": (1,)}) == pytest.approx(-math.log(10) - math.log(2), abs=1e-12)


def test_two_bounded_parameters_without_priors(check):
    result = check(
        """
        data { int N; vector[N] y; }
        parameters { real<lower=0,upper=1> p; real<lower=0, upper=10> s; }
        model { y ~ normal(p, s); }
        """
    )
    assert result.ok and not result.rewritten
    constants = {c.variable: c.log_constant_per_element for c in result.corrections}
    assert constants == {"p": 0.0, "s": pytest.approx(-math.log(10))}
    assert result.log_constant({"p": (), "s": ()}) == pytest.approx(-math.log(10), abs=1e-12)


def test_prior_of_covariates_and_constants_needs_no_correction(check):
    result = check(
        """
        data { int N; vector[N] y; vector[N] x; real prior_sd; }
        parameters { real mu; real b; }
        model { mu ~ normal(0, prior_sd); b ~ normal(0, 2.5 / sd(x)); y ~ normal(mu + b * x, 1); }
        """
    )
    assert result.ok and not result.rewritten and result.corrections == ()
    assert result.log_constant({"mu": (), "b": ()}) == 0.0


@pytest.mark.parametrize(
    "model",
    [
        "mu ~ normal(mean(y), 10); y ~ normal(mu, 1);",
        "real centre = mean(y); mu ~ normal(centre, 10); y ~ normal(mu, 1);",
        "mu ~ normal(0, sd(y)); for (n in 1:N) target += normal_lpdf(y[n] | mu, 1);",
    ],
)
def test_a_prior_fitted_to_the_observations_is_incomparable(check, model):
    # as a function of y, the "evidence" of such a program does not integrate to one
    result = check(f"data {{ int N; vector[N] y; }}\nparameters {{ real mu; }}\nmodel {{ {model} }}", {"N": 3, "y": [0.0, 1.0, 2.0]})
    assert not result.ok and result.refusal == "incomparable" and "is computed from the observations (y" in result.reason


def test_prior_written_with_target_on_unbounded_parameter_is_accepted(check):
    result = check("parameters { real m; } model { target += normal_lupdf(m | 0, 1); }")
    assert result.ok and result.corrections == ()


def test_simplex_without_prior_is_dirichlet_one(check):
    # The implicit uniform density on the K-simplex is Dirichlet(1), whose normaliser is (K - 1)!.
    result = check(
        """
        data { int K; array[10] int<lower=1, upper=K> z; }
        parameters { simplex[K] w; }
        model { z ~ categorical(w); }
        """
    )
    assert result.ok and not result.rewritten
    assert result.log_constant({"w": (4,)}) == pytest.approx(math.log(6), abs=1e-12)


# -- ordered vectors --------------------------------------------------------------------------------
def test_ordered_with_exchangeable_prior_gets_log_factorial(check):
    result = check(
        """
        data { int K; }
        parameters { ordered[K] c; real<lower=0> s; }
        model { s ~ exponential(1); c ~ normal(0, s); }
        """
    )
    assert result.ok and not result.rewritten
    assert [c.variable for c in result.corrections] == ["c"]
    assert result.log_constant({"c": (4,), "s": ()}) == pytest.approx(math.log(24), abs=1e-12)
    assert result.log_constant({"c": (7,), "s": ()}) == pytest.approx(math.log(5040), abs=1e-12)


def test_ordered_with_non_exchangeable_prior_is_checked_numerically(check):
    result = check(
        """
        data { int K; vector[K] mu_vec; }
        parameters { ordered[K] c; }
        model { c ~ normal(mu_vec, 1); }
        """
    )
    assert result.ok and result.likelihood_flag
    assert any("exchangeable" in reason for reason in result.unproven)


def test_ordered_with_elementwise_priors_is_checked_numerically(check):
    result = check("parameters { ordered[2] c; } model { c[1] ~ normal(0, 1); c[2] ~ normal(0, 2); }")
    assert result.ok and any("exchangeable" in reason for reason in result.unproven)


def test_ordered_with_scalar_argument_named_with_a_digit(check):
    result = check(
        "data { int K; real s0; } parameters { ordered[K] c; } model { c ~ normal(0, s0); }"
    )
    assert result.ok
    assert result.log_constant({"c": (3,)}) == pytest.approx(math.log(6), abs=1e-12)


def test_positive_ordered_gets_log_factorial_and_truncation(check):
    result = check("parameters { positive_ordered[3] c; } model { c ~ normal(0, 2); }")
    assert result.ok and result.rewritten
    assert model_lines(result.source) == ["c ~ normal(0, 2) T[0, ];"]
    assert result.log_constant({"c": (3,)}) == pytest.approx(math.log(6), abs=1e-12)


def test_positive_ordered_with_positive_prior_is_not_truncated(check):
    result = check("parameters { positive_ordered[3] c; } model { c ~ exponential(1); }")
    assert result.ok and not result.rewritten
    assert result.log_constant({"c": (3,)}) == pytest.approx(math.log(6), abs=1e-12)


# -- programs the analysis cannot normalise: checked numerically, or rewritten exactly ------------
@pytest.mark.parametrize(
    "body, unproven",
    [
        ("parameters { real<lower=0> s; } model { log(s) ~ normal(0, 1); }", "non-linear transform"),
        (
            "parameters { vector<lower=0>[2] v; }\nmodel { v ~ multi_normal(rep_vector(0, 2), diag_matrix(rep_vector(1, 2))); }",
            "multi_normal",
        ),
        ("parameters { unit_vector[3] u; } model { }", "unit_vector"),
        ("parameters { simplex[3] p; } model { p ~ normal(0.3, 1); }", "simplex p has a normal prior"),
        ("parameters { real mu; } model { mu ~ normal(0, 2); mu ~ normal(0, 2); }", "more than one prior statement"),
        ("data { int N; } parameters { real mu; } model { for (n in 1:N) mu ~ normal(0, 2); }", "repeated by a loop"),
        # the loop variable in an argument does not make the statement a prior of one element each time
        ("data { int N; vector[N] x; } parameters { real mu; } model { for (n in 1:N) target += normal_lpdf(mu | x[n], 1); }", "repeated by a loop"),
        (
            "functions { real gauss_lpdf(real x, real m, real s) { return -0.5 * square((x - m) / s); } }\n"
            "parameters { real mu; } model { mu ~ gauss(0, 2); }",
            "user-defined density gauss",
        ),
    ],
)
def test_what_the_analysis_cannot_prove_is_left_to_the_numerical_check(check, body, unproven):
    result = check(body, {"N": 3})
    assert result.ok and result.likelihood_flag == "llb_with_likelihood"
    assert any(unproven in reason for reason in result.unproven), result.unproven
    assert "int<lower=0, upper=1> llb_with_likelihood;" in result.source


def test_mixtures_of_normalised_densities_are_proved(check):
    proved = check("parameters { real<lower=0, upper=1> p; } model { target += log_mix(0.3, beta_lpdf(p | 20, 20), beta_lpdf(p | 0.5, 0.5)); }")
    assert proved.ok and not proved.unproven and not proved.rewritten
    # normal components on a positive parameter each keep half their mass: left to the numerical check
    halves = check("parameters { real<lower=0> s; } model { target += log_mix(0.3, normal_lpdf(s | 0, 1), normal_lpdf(s | 0, 5)); }")
    assert halves.ok and halves.unproven


def test_prior_of_bounded_parameter_with_target_is_truncated(check):
    result = check("parameters { real<lower=0> s; } model { target += normal_lpdf(s | 0, 1); }")
    assert result.ok and result.rewritten and not result.unproven
    assert model_lines(result.source) == ["s ~ normal(0, 1) T[0, ];"]


def test_likelihood_is_switched_off_by_the_flag(check):
    result = check(
        "data { int N; vector[N] y; } parameters { real mu; }\n"
        "model { mu ~ normal(0, 2); target += normal_lpdf(y | mu, 1) - 0.5 * square(mu / 2); }",
        {"N": 2, "y": [0.0, 1.0]},
    )
    assert result.ok and result.unproven
    assert model_lines(result.source) == [
        "mu ~ normal(0, 2);",
        "target += -(0.5 * square(mu / 2));",
        "if (llb_with_likelihood) {",
        "target += normal_lpdf(y | mu, 1);",
        "}",
    ]


def test_user_defined_likelihood_must_be_provably_normalised(check):
    functions = "functions { real gauss_lpdf(vector x, real m) { return %s; } }\n"
    body = "data { int N; vector[N] y; } parameters { real mu; } model { mu ~ normal(0, 1); y ~ gauss(mu); }"
    refused = check(functions % "-0.5 * dot_self(x - m)" + body, {"N": 2, "y": [0.0, 1.0]})
    assert not refused.ok and refused.refusal == "improper_likelihood" and "gauss" in refused.reason
    accepted = check(functions % "normal_lpdf(x | m, 1)" + body, {"N": 2, "y": [0.0, 1.0]})
    assert accepted.ok and not accepted.unproven


def test_comments_with_tilde_do_not_count(check):
    result = check(
        """
        parameters {
          real<lower=0> s; // s ~ normal(0, 1) would need a truncation
          real m;          /* m ~ normal(0, 1); */
        }
        model {
          // m ~ normal(0, 1);
          s ~ lognormal(0, 1); /* s ~ normal(0, 1); */
        }
        """
    )
    assert not result.ok and "m" in result.reason and "no prior" in result.reason
    result = check(
        """
        parameters { real<lower=0> s; } // s ~ normal(0, 1)
        model {
          s ~ lognormal(0, 1); // s ~ normal(0, 1);
        }
        """
    )
    assert result.ok and not result.rewritten


def test_program_without_parameters_is_fine(check):
    result = check("data { int N; } generated quantities { real x = normal_rng(0, 1); }")
    assert result.ok and not result.rewritten and result.corrections == ()
    assert result.log_constant({}) == 0.0


def test_invalid_program_is_not_ok(toolchain):
    result = check_priors("parameters { real x } model { }", (), toolchain=toolchain)
    assert not result.ok and "error" in result.reason and "\n" not in result.reason


# -- stan_syntax ------------------------------------------------------------------------------------
def test_parse_declaration_with_nested_commas():
    [declaration] = parse_declaration("array[N, 2] vector<lower=0, upper=f(a, b)>[K] x")
    assert declaration == Declaration("x", "vector", ("N", "2"), ("K",), "0", "f(a, b)")
    assert declaration.dims == ("N", "2", "K") and declaration.ndim == 3
    assert declaration.base_type == "real" and not declaration.scalar
    assert declaration.declaration_text() == "array[N, 2] vector<lower=0, upper=f(a, b)>[K] x;"
    assert parse_declaration(declaration.declaration_text()) == [declaration]


def test_parse_declaration_of_square_matrices():
    [s] = parse_declaration("cov_matrix[3] S;")
    assert s.type == "cov_matrix" and s.type_dims == ("3",) and s.dims == ("3", "3") and s.ndim == 2
    [c] = parse_declaration("cholesky_factor_corr[K] L")
    assert c.dims == ("K", "K")
    [m] = parse_declaration("matrix<lower=0>[N, K] X")
    assert m.dims == ("N", "K") and m.lower == "0" and m.upper is None
    [r] = parse_declaration("cholesky_factor_cov[4, 3] L")
    assert r.dims == ("4", "3")


def test_cholesky_factor_cov_with_one_size_is_square():
    [c] = parse_declaration("cholesky_factor_cov[3] L")
    assert c.dims == ("3", "3") and c.ndim == 2


def test_parse_declaration_of_several_names():
    assert parse_declaration("real a, b") == [Declaration("a", "real"), Declaration("b", "real")]
    declarations = parse_declaration("array[N] int<lower=0> y, z = 3;")
    assert [d.name for d in declarations] == ["y", "z"]
    assert all(d.type == "int" and d.array_dims == ("N",) and d.lower == "0" for d in declarations)
    [scalar] = parse_declaration("int<lower=1> N")
    assert scalar.scalar and scalar.base_type == "int" and scalar.dims == ()
    [initialised] = parse_declaration("vector[N] mu = f(a, b) + c")
    assert initialised.name == "mu" and initialised.type_dims == ("N",)


@pytest.mark.parametrize(
    "text",
    ["y ~ normal(0, 1)", "x = 3", "for (i in 1:N) {", "", "return x", "target += 1", "foo[3] x", "real", "real 3x"],
)
def test_non_declarations_give_nothing(text):
    assert parse_declaration(text) == []


def test_parse_declarations_of_a_block_with_comments():
    declarations = parse_declarations(
        """
        int N; // number of points; with a semicolon
        /* vector[N] ignored; */
        array[N] real y; real a, b;
        """
    )
    assert [d.name for d in declarations] == ["N", "y", "a", "b"]


def test_split_top_level():
    assert split_top_level("a, f(b, c), x[1, 2], {3, 4}") == ["a", "f(b, c)", "x[1, 2]", "{3, 4}"]
    assert split_top_level('"a,b", c') == ['"a,b"', "c"]
    assert split_top_level("a; b(c; d); ", ";") == ["a", "b(c; d)"]
    assert split_top_level("") == []
    assert split_top_level("single") == ["single"]


def test_strip_comments_keeps_strings_and_line_breaks():
    assert strip_comments('print("a // b"); // c') == 'print("a // b"); '
    assert strip_comments('print("/* x */");') == 'print("/* x */");'
    assert strip_comments("a /* x\n y */ b\nc // d\ne") == "a \n b\nc \ne"
    assert strip_comments("a /* unterminated\n") == "a \n"


def test_number():
    assert number("3") == 3.0 and number("-1") == -1.0 and number("2.5e-3") == 0.0025 and number(".5") == 0.5
    assert number("- 2") == -2.0
    assert number(None) is None and number("a") is None and number("1 + 2") is None and number("") is None
    assert number("\u0661\u0662") is None and number("1e") is None  # digits Stan does not read; an exponent without digits


def test_evaluate_size():
    data = {"N": 5, "M": 4.0, "x": 2.5, "flag": True, "v": [1, 2]}
    assert evaluate_size("3", data) == 3
    assert evaluate_size(" N ", data) == 5
    assert evaluate_size("M", data) == 4  # integral float from JSON
    assert evaluate_size("x", data) is None
    assert evaluate_size("flag", data) is None
    assert evaluate_size("v", data) is None
    assert evaluate_size("missing", data) is None
    assert evaluate_size("N + 1", data) is None
    assert evaluate_size("2.5", data) is None



# -- priors that cover only part of a vector ------------------------------------------------------
WALK_DATA = "data { int N; vector[N] y; }\n"


@pytest.mark.parametrize(
    "model,missing",
    [
        ("x[2:N] ~ normal(x[1:(N - 1)], s);", "x[1]"),
        ("for (t in 2:N) x[t] ~ normal(x[t - 1], s);", "x[1]"),
        ("x[1] ~ normal(0, 10); for (t in 3:N) x[t] ~ normal(x[t - 1], s);", "x[2]"),
        ("for (t in 4:N) x[t] ~ normal(x[t - 1], s);", "x[1] to x[3]"),
    ],
)
def test_a_walk_without_a_prior_for_its_first_elements_is_rejected(check, model, missing):
    source = WALK_DATA + f"parameters {{ vector[N] x; real<lower=0> s; }}\nmodel {{ s ~ exponential(1); {model} y ~ normal(x, 1); }}"
    result = check(source, {"N": 5, "y": [0.0] * 5})
    assert not result.ok
    assert result.reason.startswith(f"parameter x has no prior for {missing} (its ~ statements cover the rest)")


@pytest.mark.parametrize(
    "model",
    [
        "x[1] ~ normal(0, 10); x[2:N] ~ normal(x[1:(N - 1)], s);",
        "x[1] ~ normal(0, 10); for (t in 2:N) x[t] ~ normal(x[t - 1], s);",
        "x[1] ~ normal(0, 10); x[2] ~ normal(0, 10); for (t in 3:N) x[t] ~ normal(x[t - 1] + x[t - 2], s);",
        "for (n in 1:N) x[n] ~ normal(0, s);",
        "x[k0:N] ~ normal(0, s);",
    ],
)
def test_walks_with_every_element_covered_pass(check, model):
    data = WALK_DATA.replace("vector[N] y;", "vector[N] y; int k0;")
    source = data + f"parameters {{ vector[N] x; real<lower=0> s; }}\nmodel {{ s ~ exponential(1); {model} y ~ normal(x, 1); }}"
    result = check(source, {"N": 5, "k0": 1, "y": [0.0] * 5})
    assert result.ok and not result.unproven, result.unproven


@pytest.mark.parametrize(
    "model",
    [
        "for (t in 1:N) { if (t > 1) { x[t] ~ normal(x[t - 1], 1); } } x[1] ~ normal(0, 1);",  # fine, but under a condition
        "for (t in 1:N) { if (t > 1) { x[t] ~ normal(x[t - 1], 1); } }",  # x[1] has no prior
        "for (t in 1:N) x[t] ~ normal(0, 1); if (N > 3) x[1] ~ normal(0, 1);",
    ],
)
def test_priors_under_conditions_are_left_to_the_numerical_check(check, model):
    source = WALK_DATA + f"parameters {{ vector[N] x; }} model {{ {model} y ~ normal(x, 1); }}"
    result = check(source, {"N": 5, "y": [0.0] * 5})
    assert result.ok and any("which elements of x" in reason for reason in result.unproven), result.unproven


def test_every_index_counts_for_coverage(check):
    # one column of a matrix only
    source = "data { int K; } parameters { matrix[K, 2] beta; } model { for (k in 1:K) beta[k, 1] ~ normal(0, 1); }"
    result = check(source, {"K": 3})
    assert not result.ok and result.reason.startswith("parameter beta has no prior for beta[1,2]")
    # nested loops over a 2-D array, and a column slice, cover everything once
    nested = "parameters { array[2, 2] real<lower=0, upper=1> p; } model { for (i in 1:2) { for (j in 1:2) { p[i, j] ~ beta(1, 1); } } }"
    assert not check(nested).unproven
    columns = "data { int K; } parameters { matrix[K, 2] beta; } model { beta[, 1] ~ normal(0, 1); beta[:, 2] ~ normal(0, 2); }"
    assert not check(columns, {"K": 3}).unproven


def test_without_the_data_coverage_is_left_to_the_numerical_check(check):
    source = WALK_DATA + "parameters { vector[N] x; } model { x[1] ~ normal(0, 1); x[2:N] ~ normal(0, 1); y ~ normal(x, 1); }"
    result = check(source)
    assert result.ok and any("which elements of x" in reason for reason in result.unproven)


def test_statements_on_expressions_of_parameters_are_checked_numerically(check):
    result = check("parameters { vector[3] house; } model { house ~ normal(0, 2); sum(house) ~ normal(0, 0.5); }")
    assert result.ok and any("puts a density on an expression of house" in reason for reason in result.unproven)
    hierarchical = check(
        "parameters { real mu; real<lower=0> tau; vector[3] raw; }\n"
        "transformed parameters { vector[3] theta = mu + tau * raw; }\n"
        "model { mu ~ normal(0, 1); tau ~ exponential(1); theta ~ normal(mu, tau); }"
    )
    assert not hierarchical.ok and hierarchical.reason.startswith("parameter raw has no prior")


def test_statements_on_expressions_of_data_and_parameters_are_rejected(check):
    result = check("data { vector[3] y; } parameters { real mu; } model { mu ~ normal(0, 1); y - mu ~ normal(0, 1); }")
    assert not result.ok and "mixes data and parameters" in result.reason


@pytest.mark.parametrize(
    "body",
    [
        "parameters { real mu; }\nmodel { target += -0.5 * square(mu); }",
        "parameters { real mu; }\nmodel { mu ~ normal(0, 1); target += -0.5 * square(mu - 1); }",
        "parameters { real<lower=0> sigma; }\nmodel { sigma ~ exponential(1); target += -log(sigma); }",
        "parameters { real mu; real<lower=0> tau; vector[3] raw; }\n"
        "transformed parameters { vector[3] theta = mu + tau * raw; }\n"
        "model { mu ~ normal(0, 1); tau ~ exponential(1); raw ~ std_normal(); target += -0.5 * dot_self(theta); }",
        "parameters { real mu; }\nmodel { real penalty = square(mu); mu ~ normal(0, 1); target += -penalty; }",
    ],
)
def test_target_terms_of_parameters_alone_are_checked_numerically(check, body):
    result = check(body)
    assert result.ok and any("adds a prior term without a known normalising constant" in r for r in result.unproven)


@pytest.mark.parametrize(
    "body",
    [
        "data { int n; int k; }\nparameters { real<lower=0, upper=1> p; }\n"
        "model { p ~ beta(1, 1); target += k * log(p) + (n - k) * log1m(p); }",
        # a term of data alone shifts the evidence by an arbitrary constant
        "data { real y; }\nparameters { real mu; }\nmodel { mu ~ normal(0, 1); target += -square(y); }",
    ],
)
def test_target_terms_without_a_log_density_are_rejected(check, body):
    result = check(body)
    assert not result.ok
    assert "adds a term that is not a log density function (no _lpdf/_lpmf call)" in result.reason


@pytest.mark.parametrize(
    "body",
    [
        # a mixture prior, a mixture likelihood written with log_sum_exp, a censored observation
        "parameters { real mu; }\nmodel { target += log_mix(0.3, normal_lpdf(mu | 0, 1), normal_lpdf(mu | 0, 4)); }",
        "data { vector[3] y; }\nparameters { real<lower=0, upper=1> p; real mu; }\n"
        "model { p ~ beta(2, 2); mu ~ normal(0, 1);\n"
        "  for (n in 1:3) target += log_sum_exp(log(p) + normal_lpdf(y[n] | mu, 1), log1m(p) + normal_lpdf(y[n] | 0, 1)); }",
        "data { real c; }\nparameters { real mu; }\nmodel { mu ~ normal(0, 1); target += normal_lccdf(c | mu, 1); }",
        # log densities kept in a vector first, then added up
        "data { vector[3] y; }\nparameters { real mu; }\n"
        "transformed parameters { vector[3] log_lik; for (n in 1:3) log_lik[n] = normal_lpdf(y[n] | mu, 1); }\n"
        "model { mu ~ normal(0, 1); target += sum(log_lik); }",
        "data { vector[3] y; }\nparameters { real mu; }\n"
        "model { vector[3] lp; mu ~ normal(0, 1); for (n in 1:3) lp[n] = normal_lpdf(y[n] | mu, 1); target += sum(lp); }",
        # through a chain of variables
        "data { vector[3] y; }\nparameters { real mu; real<lower=0, upper=1> p; }\n"
        "model { mu ~ normal(0, 1); p ~ beta(2, 2);\n"
        "  for (n in 1:3) { real a = normal_lpdf(y[n] | mu, 1); real b = a + log(p); real c = log1m(p) + normal_lpdf(y[n] | 0, 1); target += log_sum_exp(b, c); } }",
    ],
)
def test_target_terms_that_are_log_densities_are_accepted(check, body):
    assert check(body).ok


WALK = "data { int N; int k0; vector[N] y; }\nparameters { vector[N] x; real<lower=0> s; }\nmodel { s ~ exponential(1); MODEL y ~ normal(x, 1); }"


@pytest.mark.parametrize(
    "model,missing",
    [
        # gaps in the middle and at the end, which only the sizes can reveal
        ("x[1] ~ normal(0, 10); for (t in 2:(N - 1)) x[t] ~ normal(x[t - 1], s);", "x[6]"),
        ("x[1:3] ~ normal(0, 1); x[5:N] ~ normal(0, 1);", "x[4]"),
        ("x[1] ~ normal(0, 1); x[3] ~ normal(0, 1); x[4:N] ~ normal(0, 1);", "x[2]"),
        ("for (t in 1:(N - 2)) { x[t] ~ normal(0, 1); }", "x[5] to x[6]"),
        ("x[1:k0] ~ normal(0, 1);", "x[4] to x[6]"),
    ],
)
def test_with_the_data_every_element_must_have_a_prior(check, model, missing):
    result = check(WALK.replace("MODEL", model), {"N": 6, "k0": 3, "y": [0.0] * 6})
    assert not result.ok
    assert result.reason.startswith(f"parameter x has no prior for {missing} (its ~ statements cover the rest)")


@pytest.mark.parametrize(
    "model",
    [
        "x[1] ~ normal(0, 10); for (t in 2:N) x[t] ~ normal(x[t - 1], s);",
        "x[1:3] ~ normal(0, 1); x[4:N] ~ normal(0, 1);",
        "x[1:k0] ~ normal(0, 1); x[(k0 + 1):N] ~ normal(0, 1);",
        "for (t in 1:N) { if (t == 1) { x[t] ~ normal(0, 1); } else { x[t] ~ normal(x[t - 1], s); } }",
        "x[1] ~ normal(0, 1); x[2:] ~ normal(0, 1);",
        "target += normal_lpdf(x[1:3] | 0, 1); x[4:N] ~ normal(0, 1);",
    ],
)
def test_with_the_data_covered_vectors_pass(check, model):
    assert check(WALK.replace("MODEL", model), {"N": 6, "k0": 3, "y": [0.0] * 6}).ok
