"""Programs that differ only in their numeric constants share one library, and it is the same model.

``compile_program(by_structure=True)`` makes every numeric literal outside the data and functions
blocks a data variable. The shared library, given each program's constants, must give the same log
density and gradient as that program compiled as written, at random points.
"""

from __future__ import annotations

import numpy as np
import pytest

from llb.stan.compile import compile_program
from llb.stan.constants import lift_constants
from llb.errors import DataError
from llb.stan.model import StanModel

FAMILY = """data {{ int<lower=0> N; vector[N] y; }}
parameters {{ real mu; real<lower={low}> sigma; vector[2] z; }}
model {{
  mu ~ normal({m}, {s});  // a comment with 3 numbers 4 5
  sigma ~ exponential({rate}) T[{low}, ];
  z ~ normal(0, 1);
  y ~ normal(mu + z[1] * {scale}, sigma);
}}
generated quantities {{ real y_new = normal_rng(mu, sigma); int k = {k} / 2; }}
"""
DATA = {"N": 5, "y": [0.3, -1.2, 2.0, 0.8, 1.1]}
MEMBERS = [  # the same type of literal at each place: int literals stay int data, others real
    dict(low=0, m=0.0, s=10, rate=1, scale=0.5, k=3),
    dict(low=1, m=2.5, s=20, rate=2, scale=1e-1, k=7),
]


def test_lifting_keeps_strings_comments_lines_and_the_data_block():
    source = 'data { int N; array[N] real y; }\nparameters { real<lower=0> s; }\nmodel {\n  s ~ normal(0, 2.5); // 7\n  print("1 2", s);\n}\n'
    lifted = lift_constants(source)
    assert lifted is not None
    assert lifted.constants == {"llb_k0": 0, "llb_k1": 0, "llb_k2": 2.5}
    assert lifted.source.splitlines()[1:] == ["parameters { real<lower=llb_k0> s; }", "model {", "  s ~ normal(llb_k1, llb_k2); // 7", '  print("1 2", s);', "}"]
    assert lifted.source.splitlines()[0] == "data { int llb_k0; int llb_k1; real llb_k2; int N; array[N] real y; }"
    assert lift_constants("functions { real f(real x) { return 2 * x; } }\nparameters { real mu; }\nmodel { mu ~ normal(0, 1); }") is None
    assert lift_constants("parameters { real mu; }\nmodel { mu ~ std_normal(); }") is None  # nothing to lift
    assert lift_constants("parameters { real x2; }\nmodel { x2 ~ normal(1e-3, 2.); }").constants == {"llb_k0": 0.001, "llb_k1": 2.0}
    # Stan strings have no escapes: a backslash before the closing quote ends the string
    lifted = lift_constants('parameters { real mu; }\nmodel { mu ~ normal(0, 1); reject("C:\\"); print("above 60", mu > 60); }')
    assert lifted is not None and 'print("above 60", mu > llb_k2)' in lifted.source
    assert lift_constants("parameters { real mu; }\nmodel { mu ~ normal(" + "9" * 5000 + ", 1); }") is None  # not a Stan int
    assert "\u0663" in lift_constants("parameters { real mu; }\nmodel { mu ~ normal(\u0663, 1); }").source  # stanc's to reject


def _points(model: StanModel, rng: np.random.Generator, count: int = 5) -> np.ndarray:
    return rng.normal(scale=1.5, size=(count, model.n_unconstrained))


def test_programs_of_one_structure_share_a_library_with_the_same_density(toolchain, rng):
    shared = [compile_program(FAMILY.format(**member), toolchain=toolchain, by_structure=True) for member in MEMBERS]
    assert shared[0].key == shared[1].key and shared[0].library == shared[1].library
    assert shared[0].constants != shared[1].constants
    for member, lifted in zip(MEMBERS, shared):
        direct = compile_program(FAMILY.format(**member), toolchain=toolchain)
        assert direct.key != lifted.key and not direct.constants
        with StanModel(direct.library, DATA, seed=1) as exact, StanModel(lifted.library, lifted.data_for(DATA), seed=1) as model:
            assert model.n_unconstrained == exact.n_unconstrained == 4
            assert model.constrained_names == exact.constrained_names
            for point in _points(exact, rng):
                value, gradient = model.log_density_gradient(point)
                expected_value, expected_gradient = exact.log_density_gradient(point)
                assert value == pytest.approx(expected_value, rel=1e-12, abs=1e-12)
                np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-12, atol=1e-12)
            assert exact.constrain(point)[:3] == pytest.approx(model.constrain(point)[:3], rel=1e-12)
        with pytest.raises(DataError, match="llb_k0"):
            StanModel(lifted.library, DATA, seed=1).close()  # without its constants the library cannot be loaded
