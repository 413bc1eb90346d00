"""stanc's decorated syntax tree (stan_ast.py): the format llb reads, and the records it makes.

These tests guard the format of ``stanc --debug-decorated-ast`` (stanc 2.35): a stanc that prints
another shape must fail here, not mislead the prior checks. Only stanc is called.
"""

from __future__ import annotations

import pytest

from dataclasses import replace

from llb.analysis.stan_ast import AstFormatError, DensityCall, DensityStatement, Term, evaluate_int, model_density_statements, parse_sexp, read_density_statements

PROGRAM = """
functions { real gauss_lpdf(real x, real m) { return normal_lpdf(x | m, 1); } }
data { int N; vector[N] y; array[N] int<lower=1, upper=2> g; }
parameters { real mu; vector[2] theta; }
model {
  mu ~ gauss(0);
  theta ~ normal(mu, 1);
  for (n in 1:N) {
    target += normal_lpdf(y[n] | theta[g[n]], 1) - 0.5 * square(mu) + gauss_lpdf(theta[g[n]] | 0);
  }
  if (N > 3) y[1] ~ normal(mu, 2);
}
"""


def test_parse_sexp_nests_lists_of_atoms():
    assert parse_sexp('(a (b "c d") ((e)))') == ["a", ["b", '"c d"'], [["e"]]]
    with pytest.raises(AstFormatError):
        parse_sexp("(a (b)")
    with pytest.raises(AstFormatError):
        parse_sexp("(a) (b)")


def test_density_statements_as_stanc_reads_them(toolchain):
    statements = read_density_statements(PROGRAM, toolchain=toolchain)
    plain = [replace(st, variate=None, loops=(), terms=tuple(replace(t, densities=tuple(replace(d, variate=None) for d in t.densities)) for t in st.terms)) for st in statements]
    assert plain == [
        DensityStatement("tilde", "gauss", True, frozenset({"mu"}), arguments=("0",)),
        DensityStatement("tilde", "normal", True, frozenset({"theta"}), arguments=("mu", "1")),
        DensityStatement(
            "target", None, True, frozenset({"y", "n", "theta", "g", "mu"}),
            (
                Term(True, frozenset({"y", "n", "theta", "g"}), (DensityCall("normal_lpdf", False, False, frozenset({"y", "n"}), arguments=("theta[g[n]]", "1")),)),
                Term(True, frozenset({"mu"}), ()),
                Term(True, frozenset({"theta", "g", "n"}), (DensityCall("gauss_lpdf", True, True, frozenset({"theta", "g", "n"}), arguments=("0",)),)),
            ),
        ),
        DensityStatement("tilde", "normal", False, frozenset({"y"}), conditional=True, arguments=("mu", "2")),
    ]  # fmt: skip
    # what each density is of, and the loop around the target += statement
    assert [st.variate.name if st.variate else None for st in statements] == ["mu", "theta", None, "y"]
    assert statements[0].variate.indices == () and [index[0] for index in statements[3].variate.indices] == ["Single"]
    assert evaluate_int(statements[3].variate.indices[0][1], {}) == 1
    (loop,) = statements[2].loops
    assert loop.variable == "n" and evaluate_int(loop.lower, {}) == 1 and evaluate_int(loop.upper, {"N": 7}) == 7
    calls = [call for term in statements[2].terms for call in term.densities]
    assert [(call.variate.name, call.variate.indices[0][0]) for call in calls] == [("y", "Single"), ("theta", "Single")]


def test_truncations_and_arguments_are_printed_as_stan_code(toolchain):
    source = (
        "data { real lo; } parameters { real<lower=0> s; real t; real<lower=0> u; }\n"
        "model { s ~ normal(0, 2) T[0, ]; t ~ normal(-lo * 2, 1) T[, 5]; u ~ normal(1, 2) T[0.5, 3]; }"
    )
    statements = read_density_statements(source, toolchain=toolchain)
    assert [(st.arguments, st.truncation) for st in statements] == [
        (("0", "2"), ("0", None)),
        (("-lo * 2", "1"), (None, "5")),
        (("1", "2"), ("0.5", "3")),
    ]


def test_integer_expressions_are_evaluated_from_the_tree(toolchain):
    (statement,) = read_density_statements("data { int N; } parameters { vector[N] x; } model { x[2:(N - 1) * 2] ~ normal(0, 1); }", toolchain=toolchain)
    (between,) = statement.variate.indices
    assert between[0] == "Between"
    assert evaluate_int(between[1], {"N": 5}) == 2 and evaluate_int(between[2], {"N": 5}) == 8
    assert evaluate_int(between[2], {}) is None


def test_a_tree_without_the_expected_fields_is_a_format_error():
    with pytest.raises(AstFormatError, match="modelblock"):
        model_density_statements(parse_sexp("((functionblock ()) (datablock ()))"))
    tree = parse_sexp("((modelblock (Tilde (arg ((expr (Variable ((name y)))) (emeta ((ad_level Sometimes))))) (distribution ((name normal))))))")
    with pytest.raises(AstFormatError, match="ad_level"):
        model_density_statements(tree)


def test_declarations_as_stanc_parses_them(toolchain):
    from llb.analysis.stan_ast import block_declarations, decorated_ast
    from llb.analysis.stan_syntax import Declaration

    source = """
    data { int N; real lo; }
    parameters {
      real<lower=-1, upper=lo * 2> a;
      array[N, 2] real<upper=1> w;
      array[2] simplex[3] q;
      cholesky_factor_cov[4, 3] C;
      cov_matrix[2] S;
      matrix<lower=0>[2, N] M;
      real<offset=1, multiplier=2> om;
      positive_ordered[2] po, pp;
    }
    model { }
    """
    declared = block_declarations(decorated_ast(source, toolchain=toolchain), "parametersblock")
    assert declared == {
        "a": Declaration("a", "real", (), (), "-1", "lo * 2"),
        "w": Declaration("w", "real", ("N", "2"), (), None, "1"),
        "q": Declaration("q", "simplex", ("2",), ("3",)),
        "C": Declaration("C", "cholesky_factor_cov", (), ("4", "3")),
        "S": Declaration("S", "cov_matrix", (), ("2",)),
        "M": Declaration("M", "matrix", (), ("2", "N"), "0"),
        "om": Declaration("om", "real"),
        "po": Declaration("po", "positive_ordered", (), ("2",)),
        "pp": Declaration("pp", "positive_ordered", (), ("2",)),
    }
    assert declared["S"].dims == ("2", "2")


def test_user_densities_are_proved_from_their_bodies(toolchain):
    from llb.analysis.stan_ast import UserDensity, decorated_ast, user_densities

    source = """
    functions {
      real gauss_lpdf(real x, real m, real s) { return normal_lpdf(x | m, s); }
      real mix_lpdf(vector x, real m, real w) { return log_mix(w, normal_lpdf(x | m, 1), normal_lpdf(x | m, 3)); }
      real selfmix_lpdf(real x, real m) { return log_mix(inv_logit(x), normal_lpdf(x | m, 1), normal_lpdf(x | m, 3)); }
      real bad_lpdf(real x, real m) { real z = x - m; return -0.5 * square(z); }
      real part_lpdf(vector x, real m) { return normal_lpdf(x[1] | m, 1); }
      real other_lpmf(int k, real m) { return poisson_lpmf(k | m); }
    }
    parameters { real mu; } model { mu ~ gauss(0, 1); }
    """
    found = user_densities(decorated_ast(source, toolchain=toolchain))
    assert found == {
        "gauss": UserDensity("gauss", "lpdf", True),
        "mix": UserDensity("mix", "lpdf", True),
        "selfmix": UserDensity("selfmix", "lpdf", False),  # a weight that depends on x is not a mixture of x
        "bad": UserDensity("bad", "lpdf", False),
        "part": UserDensity("part", "lpdf", False),  # a density of one element, not of x
        "other": UserDensity("other", "lpmf", True),
    }
