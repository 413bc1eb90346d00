"""stanc's decorated syntax tree (stan_ast.py): the format llb reads, and the records it makes.

These tests guard the format of ``stanc --debug-decorated-ast`` (stanc 2.35): a stanc that prints
another shape must fail here, not mislead the prior checks. Only stanc is called.
"""

from __future__ import annotations

import pytest

from llb.stan_ast import AstFormatError, DensityCall, DensityStatement, Term, model_density_statements, parse_sexp, read_density_statements

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
    assert statements == [
        DensityStatement("tilde", "gauss", True, frozenset({"mu"})),
        DensityStatement("tilde", "normal", True, frozenset({"theta"})),
        DensityStatement(
            "target", None, True, frozenset({"y", "n", "theta", "g", "mu"}),
            (
                Term(True, frozenset({"y", "n", "theta", "g"}), (DensityCall("normal_lpdf", False, False, frozenset({"y", "n"})),)),
                Term(True, frozenset({"mu"}), ()),
                Term(True, frozenset({"theta", "g", "n"}), (DensityCall("gauss_lpdf", True, True, frozenset({"theta", "g", "n"})),)),
            ),
        ),
        DensityStatement("tilde", "normal", False, frozenset({"y"})),
    ]  # fmt: skip


def test_a_tree_without_the_expected_fields_is_a_format_error():
    with pytest.raises(AstFormatError, match="modelblock"):
        model_density_statements(parse_sexp("((functionblock ()) (datablock ()))"))
    tree = parse_sexp("((modelblock (Tilde (arg ((expr (Variable ((name y)))) (emeta ((ad_level Sometimes))))) (distribution ((name normal))))))")
    with pytest.raises(AstFormatError, match="ad_level"):
        model_density_statements(tree)
