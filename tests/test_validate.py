"""stanc rejects bad programs with one clear line; llb refuses programs that could reach outside Stan."""

from __future__ import annotations

from llb.stan.validate import refusal_reason, validate_program


def test_syntax_error_has_line_column_and_message(toolchain):
    result = validate_program("parameters {\n  real mu\n}\nmodel { mu ~ normal(0, 1); }\n", toolchain=toolchain)
    assert not result.ok
    assert result.line == 3 and result.column == 0
    assert result.error == 'syntax error at line 3, column 0: ";" expected after variable declaration.'


def test_undeclared_variable_is_named(toolchain):
    result = validate_program("parameters { real mu; }\nmodel { mu ~ normal(nu, 1); }\n", toolchain=toolchain)
    assert not result.ok
    assert result.error == "semantic error at line 2, column 20: Identifier 'nu' not in scope. Did you mean 'mu'?"


def test_include_is_refused_before_stanc_sees_it(toolchain):
    source = 'parameters { real mu; }\n  #include "/etc/passwd"\nmodel { mu ~ normal(0, 1); }\n'
    assert refusal_reason(source) == "line 2: #include is not allowed (programs may not read other files)"
    result = validate_program(source, toolchain=toolchain)
    assert not result.ok and result.error.startswith("refused: line 2: #include")


def test_undefined_cpp_functions_are_rejected(toolchain):
    source = "functions { real leak(real x); }\nparameters { real mu; }\nmodel { mu ~ normal(leak(0), 1); }\n"
    result = validate_program(source, toolchain=toolchain)
    assert not result.ok
    assert "declared without specifying a definition" in result.error


def test_nul_bytes_and_huge_programs_are_refused():
    assert refusal_reason("model { }\x00") == "the program contains a NUL byte"
    assert "larger than" in refusal_reason("// x\n" * 100_000)


def test_info_lists_declarations_without_compiling(toolchain):
    source = """
    data { int N; array[N] vector[3] y; matrix[N, 2] X; array[N] int<lower=0, upper=1> z; }
    parameters { real mu; simplex[3] th; cholesky_factor_corr[3] L; }
    transformed parameters { real m2 = 2 * mu; }
    model { mu ~ normal(0, 1); th ~ dirichlet(rep_vector(1, 3)); L ~ lkj_corr_cholesky(2); }
    generated quantities { array[N] int yrep = bernoulli_rng(rep_vector(0.5, N)); }
    """
    result = validate_program(source, toolchain=toolchain)
    assert result.ok, result.error
    info = result.info
    assert [(v.name, v.base_type, v.ndim) for v in info.inputs] == [("N", "int", 0), ("y", "real", 2), ("X", "real", 2), ("z", "int", 1)]
    assert [v.name for v in info.parameters] == ["mu", "th", "L"]
    assert info.find("m2")[0] == "transformed parameters"
    assert info.find("yrep") [0] == "generated quantities" and info.find("yrep")[1].base_type == "int"
    assert info.find("nothing") is None


def test_pedantic_warnings_are_kept(toolchain):
    result = validate_program("parameters { real mu; real b; }\nmodel { mu ~ normal(0, 1); }\n", toolchain=toolchain)
    assert result.ok
    assert any("parameter b" in w for w in result.warnings)
