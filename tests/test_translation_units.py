"""A model library built as two translation units (compiled at once) behaves exactly as one built whole.

The two-unit build defines the full log density on autodiff variables from the propto=true one and
the double evaluation (llb_model_parts.hpp), so values, gradients, constrained draws and the
unconstraining transform are compared between the builds at several points, to the last bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import make_model, read_program
from llb.stan.compile import ModelCpp, _build_library, _stanc, _translation_units

DATA = {"N": 4, "y": [0.3, -1.2, 2.5, 0.9], "k": [3, 0, 5, 2], "trials": [6, 4, 8, 5]}


@pytest.fixture(scope="module")
def libraries(toolchain, tmp_path_factory):
    """{units: library} for tests/stan/two_units.stan built whole (1) and split (2)."""
    source = read_program("two_units.stan")
    built = {}
    for jobs in (1, 2):
        work = tmp_path_factory.mktemp(f"jobs{jobs}")
        timings = _build_library([_stanc(source, "twounits", work, toolchain)], work, toolchain, jobs)
        assert timings["units"] == jobs
        built[jobs] = work / "model.so"
    return built


def test_two_unit_build_matches_the_whole_build(libraries, rng):
    points = rng.normal(size=(5, 5))  # mu, log sigma, logit p, two simplex coordinates
    with make_model(libraries[1], DATA, seed=3) as whole, make_model(libraries[2], DATA, seed=3) as split:
        for theta in points:
            for propto in (False, True):
                for jacobian in (False, True):
                    assert split.log_density(theta, propto=propto, jacobian=jacobian) == whole.log_density(theta, propto=propto, jacobian=jacobian)
                    lp_split, grad_split = split.log_density_gradient(theta, propto=propto, jacobian=jacobian)
                    lp_whole, grad_whole = whole.log_density_gradient(theta, propto=propto, jacobian=jacobian)
                    assert lp_split == lp_whole
                    np.testing.assert_array_equal(grad_split, grad_whole)
            np.testing.assert_array_equal(split.constrain(theta, seed=7), whole.constrain(theta, seed=7))
            constrained = whole.constrain(theta, include_tp=False, include_gq=False)
            np.testing.assert_array_equal(split.unconstrain(constrained), whole.unconstrain(constrained))
        np.testing.assert_array_equal(split.log_density_many(points), whole.log_density_many(points))


def test_full_and_propto_densities_differ_by_a_constant_with_one_gradient(libraries, rng):
    with make_model(libraries[2], DATA) as model:
        gaps = []
        for theta in rng.normal(size=(3, 5)):
            full, grad_full = model.log_density_gradient(theta, propto=False)
            propto, grad_propto = model.log_density_gradient(theta, propto=True)
            np.testing.assert_allclose(grad_full, grad_propto, rtol=1e-12, atol=1e-12)
            assert full == model.log_density(theta, propto=False)
            gaps.append(full - propto)
        # the dropped constants: normal's -N/2 log(2 pi), binomial's log C(trials, k), beta's and
        # dirichlet's normalising terms and lognormal's -log(2 pi)/2 (its -log(sigma) stays)
        assert max(gaps) - min(gaps) < 1e-9
        assert abs(gaps[0]) > 1.0


def test_programs_that_define_functions_compile_as_one_unit(toolchain, tmp_path):
    source = """
functions {
  void say(real x) { print("x = ", x); }
  real twice(real x) { return 2 * x; }
}
parameters { real mu; }
model { mu ~ normal(twice(0.5), 1); }
"""
    timings = _build_library([_stanc(source, "functions", tmp_path, toolchain)], tmp_path, toolchain, 2)
    assert timings["units"] == 1
    with make_model(tmp_path / "model.so", {}) as model:
        assert model.log_density([1.0]) == pytest.approx(-0.5 * np.log(2 * np.pi))


def test_unit_choice(tmp_path):
    plain = tmp_path / "llb_model_a.hpp"
    plain.write_text("namespace llb_model_a_namespace {\nclass llb_model_a final : public model_base_crtp<llb_model_a> {\n")
    with_functions = tmp_path / "llb_model_b.hpp"
    with_functions.write_text("namespace llb_model_b_namespace {\nvoid say(std::ostream* pstream__);\nclass llb_model_b final : public model_base_crtp<llb_model_b> {\n")
    a, b = ModelCpp(plain, 0.0), ModelCpp(with_functions, 0.0)
    assert list(_translation_units([a], 2)) == ["gradient.cpp", "values.cpp"]
    assert list(_translation_units([a], 1)) == ["model.cpp"]
    assert list(_translation_units([b], 2)) == ["model.cpp"]
    # several models: one unit per job, each defining and registering its share of them
    units = _translation_units([a, b, a], 2)
    assert list(units) == ["models0.cpp", "models1.cpp"]
    assert units["models0.cpp"].count("LLB_MODEL_REGISTER(") == 2 and units["models1.cpp"].count("LLB_MODEL_REGISTER(") == 1
    split = _translation_units([a], 2)
    assert "LLB_MODEL_REGISTER(" not in split["gradient.cpp"] and "LLB_MODEL_REGISTER(llb_model_a_namespace::llb_model_a, llb_model_a)" in split["values.cpp"]


def test_headers_with_a_new_mtime_but_the_same_content_keep_the_precompiled_header(toolchain, tmp_path):
    """A reinstall or a fresh clone touches llb's headers; the cached PCH must stay usable."""
    import os

    from llb.stan.toolchain import LLB_INCLUDE_DIR, precompiled_header

    precompiled_header(toolchain)
    header = LLB_INCLUDE_DIR / "stan" / "model" / "model_base_crtp.hpp"
    before = header.stat()
    os.utime(header, (before.st_atime + 3600, before.st_mtime + 3600))
    try:
        timings = _build_library([_stanc("parameters { real mu; }\nmodel { mu ~ normal(1, 2); }\n", "touched", tmp_path, toolchain)], tmp_path, toolchain, 1)
    finally:
        os.utime(header, (before.st_atime, before.st_mtime))
    assert timings["units"] == 1
    with make_model(tmp_path / "model.so", {}) as model:
        assert model.log_density([1.0]) == pytest.approx(-0.5 * np.log(2 * np.pi) - np.log(2.0))
