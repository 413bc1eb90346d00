"""The compile cache: one build per distinct program (up to comments and layout), across processes."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import uuid

import pytest

from conftest import make_model, read_program
from llb.stan.compile import compile_program, library_path, normalise_source, program_key
from llb.errors import ProgramError


def test_normalisation_ignores_comments_and_layout_only():
    a = "parameters { real mu; }\nmodel { mu ~ normal(0, 1); }\n"
    b = "// a comment\nparameters {\n    real   mu; /* block\ncomment */ }\n\nmodel {\n  mu ~ normal( 0 , 1 );  // prior\n}"
    assert normalise_source(a) == normalise_source(b) == "parameters{real mu;}model{mu~normal(0,1);}"
    assert normalise_source(a) != normalise_source(a.replace("normal(0, 1)", "normal(0, 2)"))
    assert normalise_source("real x;") != normalise_source("realx;")
    # string literals are kept verbatim, comment markers inside them included
    s = 'model { print("a  // b /* c"); }'
    assert normalise_source(s) == 'model{print("a  // b /* c");}'


def test_keys_differ_for_different_programs(toolchain):
    program = read_program("normal.stan")
    assert program_key(program, toolchain) == program_key("// header\n" + program, toolchain)
    assert program_key(program, toolchain) != program_key(program.replace("normal(0, 10)", "normal(0, 11)"), toolchain)


def test_second_compile_is_a_cache_hit(toolchain, compiled):
    program = read_program("normal.stan")
    compiled("normal.stan")
    start = time.perf_counter()
    again = compile_program("/* same program */\n" + program, toolchain=toolchain)
    assert again.cache_hit
    assert again.library == compiled("normal.stan")
    assert time.perf_counter() - start < 2.0  # generous bound; the benchmark measures the real figure


def test_stanc_failure_raises_program_error_at_validate_stage(toolchain):
    with pytest.raises(ProgramError) as error:
        compile_program("parameters { real mu }", toolchain=toolchain)
    assert error.value.stage == "validate"
    assert error.value.args[0].startswith("syntax error at line 1")


_COMPILE_SCRIPT = """
import json, sys
from llb.stan.compile import compile_program
result = compile_program(sys.stdin.read())
print(json.dumps({"hit": result.cache_hit, "library": str(result.library)}))
"""


def test_concurrent_processes_build_a_new_program_once(toolchain):
    scale = f"1.{uuid.uuid4().int % 10**12:012d}"  # a literal no cache has seen
    program = f"parameters {{ real mu; }}\nmodel {{ mu ~ normal(0, {scale}); }}\n"
    processes = [
        subprocess.Popen([sys.executable, "-c", _COMPILE_SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for process in processes:
        process.stdin.write(program)
        process.stdin.close()
    results = [json.loads(process.stdout.read()) for process in processes]
    assert [process.wait(timeout=600) for process in processes] == [0, 0]
    assert results[0]["library"] == results[1]["library"]
    assert sorted(r["hit"] for r in results) == [False, True]
    with make_model(results[0]["library"], {}) as model:
        assert model.constrained_names == ("mu",)
        sd = float(scale)
        assert model.log_density([0.5]) == pytest.approx(-0.5 * (0.5 / sd) ** 2 - math.log(sd * math.sqrt(2 * math.pi)))


def test_two_model_libraries_in_one_process_stay_separate(compiled):
    with make_model(compiled("normal.stan"), {"N": 1, "y": [0.0]}) as normal:
        with make_model(compiled("conjugate.stan"), json.loads(CONJUGATE_DATA)) as conjugate:
            assert normal.constrained_names == ("mu", "sigma", "y_rep")
            assert conjugate.constrained_names == ("mu", "theta", "lambda", "y_new")
            assert normal.n_unconstrained == 2 and conjugate.n_unconstrained == 3


CONJUGATE_DATA = """{"N": 1, "y": [0.5], "sigma": 1, "mu0": 0, "tau0": 1, "n": 3, "h": 1, "alpha": 1, "beta": 1,
 "M": 2, "counts": [1, 2], "shape": 1, "rate": 1}"""


def test_failed_builds_leave_nothing_in_the_cache(toolchain):
    # asserts only on this program's own entries: other processes may be building in the same cache
    source = "parameters { real mu; }\nmodel { mu ~ normal(0, undefined_scale); }\n"
    key = program_key(source, toolchain)
    with pytest.raises(ProgramError):
        compile_program(source, toolchain=toolchain)
    folder = library_path(key, toolchain).parent
    assert not folder.exists()
    leftovers = list(folder.parent.glob(f".build-{key[:8]}-*")) if folder.parent.exists() else []
    assert leftovers == []


def test_build_folders_left_by_killed_builds_are_swept(tmp_path):
    """Only folders older than any live build can be are removed; a fresh one (a build in progress) stays."""
    import os
    import time

    from llb.stan.compile import STALE_BUILD_SECONDS, remove_stale_builds

    stale = tmp_path / ".build-0123abcd-x1"
    (stale / "0123abcd").mkdir(parents=True)
    (stale / "0123abcd" / "model.o").write_bytes(b"\0")
    live = tmp_path / ".build-89abcdef-y2"
    live.mkdir()
    library = tmp_path / "0123abcd0123abcd0123abcd"
    library.mkdir()
    old = time.time() - STALE_BUILD_SECONDS - 60
    for path in (stale, library):
        os.utime(path, (old, old))
    remove_stale_builds(tmp_path)
    assert not stale.exists() and live.exists() and library.exists()
