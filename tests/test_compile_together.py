"""Several programs compiled into one library behave exactly as each compiled alone.

``compile_together`` builds one shared library for the programs not yet cached and gives each its
own cache entry; ``compile_program`` then finds them there. The models of the shared library are
compared with the same programs compiled alone, at several points, to the last bit, and their NUTS
draws with the same seed are identical. The builds go into caches of this test's own (the built
toolchain is shared), so that they are really built here.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from conftest import read_program
from llb.errors import LlbError
from llb.pipeline.execute import Limits, ProgramTask, plan_shared_compiles
from llb.pipeline.program import FitSettings
from llb.stan.constants import lift_constants
from llb.stan.compile import MAX_MODELS_PER_LIBRARY, compile_program, compile_together, library_path, program_key
from llb.stan.model import StanModel
from llb.stan.sample import SamplerConfig, sample_nuts
from llb.stan.toolchain import try_file_lock

WITH_FUNCTIONS = """
functions {
  real twice(real x) { return 2 * x; }
}
data { int<lower=0> N; vector[N] y; }
parameters { real mu; real<lower=0> sigma; }
model {
  mu ~ normal(twice(0.25), 3);
  sigma ~ exponential(1);
  y ~ normal(mu, sigma);
}
"""
REJECTED_BY_STANC = "parameters { real mu; }\nmodel { mu ~ normal(0, undefined_scale); }\n"
DATA = {"N": 4, "y": [0.3, -1.2, 2.5, 0.9], "k": [3, 0, 5, 2], "trials": [6, 4, 8, 5]}


def own_cache(toolchain, folder):
    """A compile cache of the test's own that shares the built toolchain."""
    folder.mkdir()
    (folder / "toolchain").symlink_to(toolchain.cache_dir / "toolchain")
    return dataclasses.replace(toolchain, cache_dir=folder)


@pytest.fixture(scope="module")
def builds(toolchain, tmp_path_factory):
    """(programs, their models compiled together, the same compiled alone)."""
    programs = [read_program("two_units.stan"), read_program("normal.stan"), WITH_FUNCTIONS]
    together_chain = own_cache(toolchain, tmp_path_factory.mktemp("together") / "cache")
    built = compile_together([*programs, REJECTED_BY_STANC], toolchain=together_chain, jobs=1)
    together = [compile_program(source, toolchain=together_chain, by_structure=True) for source in programs]
    alone_chain = own_cache(toolchain, tmp_path_factory.mktemp("alone") / "cache")
    alone = [compile_program(source, toolchain=alone_chain, by_structure=True, jobs=1) for source in programs]
    return programs, built, together, alone


def test_each_program_gets_its_own_cache_entry_of_one_shared_library(builds):
    programs, built, together, _ = builds
    assert built.keys == {compiled.key for compiled in together} and built.seconds > 0
    assert all(compiled.cache_hit for compiled in together)  # built by compile_together, found by compile_program
    inodes = {os.stat(compiled.library).st_ino for compiled in together}
    assert len(inodes) == 1  # hard links to one file
    with StanModel(together[0].library, together[0].data_for(DATA), model=together[0].model) as model:
        assert sorted(model.library_models) == sorted(compiled.model for compiled in together)


def test_models_compiled_together_equal_those_compiled_alone(builds, rng):
    _, _, together, alone = builds
    for shared, single in zip(together, alone):
        assert shared.key == single.key and shared.constants == single.constants
        data = shared.data_for(DATA)
        with StanModel(shared.library, data, seed=3, model=shared.model) as a, StanModel(single.library, data, seed=3, model=single.model) as b:
            assert a.constrained_names == b.constrained_names
            for theta in rng.normal(size=(4, a.n_unconstrained)):
                for propto in (False, True):
                    value_a, gradient_a = a.log_density_gradient(theta, propto=propto)
                    value_b, gradient_b = b.log_density_gradient(theta, propto=propto)
                    assert value_a == value_b
                    np.testing.assert_array_equal(gradient_a, gradient_b)
                np.testing.assert_array_equal(a.constrain(theta, seed=5), b.constrain(theta, seed=5))
            config = SamplerConfig(chains=2, warmup=150, draws=100, seed=11)
            np.testing.assert_array_equal(sample_nuts(a, config).draws, sample_nuts(b, config).draws)


def test_a_library_of_several_models_loads_only_by_name(builds):
    _, _, together, _ = builds
    with pytest.raises(LlbError, match="holds 3 models; name the one to load"):
        StanModel(together[1].library, DATA)
    with pytest.raises(LlbError, match="holds no model named llb_model_nonesuch"):
        StanModel(together[1].library, DATA, model="llb_model_nonesuch")


def test_a_program_stanc_rejects_is_left_out_and_then_fails_alone(builds, toolchain):
    *_, together, _ = builds
    chain = dataclasses.replace(toolchain, cache_dir=together[0].library.parents[3])
    assert not library_path(program_key(REJECTED_BY_STANC, chain), chain).parent.exists()
    from llb.errors import ProgramError

    with pytest.raises(ProgramError, match="undefined_scale"):
        compile_program(REJECTED_BY_STANC, toolchain=chain, by_structure=True)


def test_programs_another_process_is_building_are_left_out(toolchain, tmp_path):
    chain = own_cache(toolchain, tmp_path / "cache")
    first, second = read_program("normal.stan"), WITH_FUNCTIONS
    lifted = lift_constants(first)
    assert lifted is not None
    held = program_key(lifted.source, chain)  # its constants as data: the library compile_program would build
    with try_file_lock(chain.cache_dir / "locks" / f"{held}.lock") as taken:
        assert taken
        built = compile_together([first, second], toolchain=chain, jobs=1)
    assert built.keys == frozenset()  # one program left: nothing is shared, each compiles alone later
    assert not library_path(held, chain).exists()


def test_a_failed_shared_build_leaves_every_program_to_compile_alone(toolchain, tmp_path, monkeypatch):
    import llb.stan.compile as compile_module
    from llb.errors import ProgramError

    def failing(*args, **kwargs):
        raise ProgramError("C++ compilation failed: simulated", stage="compile")

    chain = own_cache(toolchain, tmp_path / "cache")
    monkeypatch.setattr(compile_module, "_build_library", failing)
    programs = [read_program("normal.stan"), WITH_FUNCTIONS]
    assert compile_together(programs, toolchain=chain, jobs=1).keys == frozenset()
    assert not any(library_path(program_key(source, chain), chain).parent.exists() for source in programs)
    assert list((chain.cache_dir / "models").glob(".build-*")) == []


def test_a_shared_library_that_does_not_load_is_not_published(toolchain, tmp_path, monkeypatch):
    """A link leaves undefined symbols to the loader: a shared library that fails to load would fail
    all of its models, so it is dropped and each program compiles alone (and only the bad one fails)."""
    import llb.stan.compile as compile_module

    def unloadable(models, work, *args, **kwargs):
        (work / compile_module.LIBRARY_NAME).write_bytes(b"not a shared library")
        return {}

    chain = own_cache(toolchain, tmp_path / "cache")
    monkeypatch.setattr(compile_module, "_build_library", unloadable)
    programs = [read_program("normal.stan"), WITH_FUNCTIONS]
    assert compile_together(programs, toolchain=chain, jobs=1).keys == frozenset()
    assert not any(library_path(program_key(source, chain), chain).parent.exists() for source in programs)


def test_the_load_check_catches_a_symbol_no_library_defines(toolchain, tmp_path):
    from llb.errors import ProgramError
    from llb.stan.compile import _check_loads
    from llb.stan.process import run_command

    for name, body in (("good", "int f() { return 1; }"), ("bad", "int nowhere(); int f() { return nowhere(); }")):
        (tmp_path / f"{name}.cpp").write_text(body)
        assert run_command([toolchain.compiler, "-shared", "-fPIC", "-o", tmp_path / f"{name}.so", tmp_path / f"{name}.cpp"], timeout=60).ok
    _check_loads(tmp_path / "good.so", 30)
    with pytest.raises(ProgramError, match="does not load.*nowhere"):
        _check_loads(tmp_path / "bad.so", 30)


def test_compile_ahead_never_fails_the_program_that_compiles_the_group(monkeypatch):
    import llb.pipeline.program as program_module
    from llb.stan.toolchain import ToolchainError

    def broken(sources, **_):
        raise ToolchainError("the precompiled header could not be built")

    monkeypatch.setattr(program_module, "library_source", lambda source, data, **_: source)
    monkeypatch.setattr(program_module, "library_cached", lambda source, **_: source == "cache check breaks" and 1 / 0)
    monkeypatch.setattr(program_module, "compile_together", broken)
    assert program_module.compile_ahead(["a", "cache check breaks", "b"], {}).keys == frozenset()


def task(name: str) -> ProgramTask:
    return ProgramTask(name, f"// {name}", {}, None, FitSettings(sampler=SamplerConfig()))


def test_shared_compiles_are_planned_one_group_per_worker_at_least_and_firsts_start_first():
    tasks = [task(f"t{i}") for i in range(27)]
    planned = plan_shared_compiles(tasks, workers=2)
    assert sorted(t.key for t in planned) == sorted(t.key for t in tasks)
    firsts = [t for t in planned if t.companions]
    assert [t.key for t in planned[: len(firsts)]] == [t.key for t in firsts]  # every group's first starts first
    sizes = [1 + len(t.companions) for t in firsts]
    assert len(firsts) == 4 and sizes == [7, 7, 7, 6] and max(sizes) <= MAX_MODELS_PER_LIBRARY
    # each group's other programs follow, group by group, in the order given
    others = [t.source for t in planned[len(firsts) :]]
    assert others == [source for t in firsts for source in t.companions]
    assert all(t.companions_timeout == 0.25 * Limits().seconds for t in firsts)


def test_few_tasks_give_every_worker_a_group_and_short_limits_compile_alone():
    three = plan_shared_compiles([task(f"t{i}") for i in range(3)], workers=2)
    assert [(t.key, len(t.companions)) for t in three] == [("t0", 1), ("t2", 0), ("t1", 0)]
    two = plan_shared_compiles([task("a"), task("b")], workers=2)
    assert [(t.key, t.companions) for t in two] == [("a", ()), ("b", ())]
    one_worker = plan_shared_compiles([task(f"t{i}") for i in range(5)], workers=1)
    assert [len(t.companions) for t in one_worker] == [4, 0, 0, 0, 0]
    short = plan_shared_compiles([task(f"t{i}") for i in range(5)], workers=1, limits=Limits(seconds=200))
    assert all(not t.companions for t in short)  # a quarter of 200 s is too little for a shared compile


def test_compile_ahead_skips_programs_already_built_and_stops_on_a_warm_cache(monkeypatch):
    """Programs whose libraries are built are left out; when the first two are built, the cache is
    taken to be warm and the others are not analysed."""
    import llb.pipeline.program as program_module

    analysed, shared = [], []
    monkeypatch.setattr(program_module, "library_source", lambda source, data, **_: analysed.append(source) or (None if source == "invalid" else source))
    monkeypatch.setattr(program_module, "library_cached", lambda source, **_: source.startswith("built"))
    monkeypatch.setattr(program_module, "compile_together", lambda sources, **_: shared.append(list(sources)))
    program_module.compile_ahead(["built1", "a", "invalid", "built2", "b", "built3", "c"], {})  # partly warm
    assert analysed == ["built1", "a", "invalid", "built2", "b", "built3", "c"] and shared == [["a", "b", "c"]]
    analysed.clear(), shared.clear()
    program_module.compile_ahead(["built1", "built2", "a", "b"], {})  # warm
    assert analysed == ["built1", "built2"] and shared == [[]]


def test_llb_failing_on_a_companion_leaves_the_others_to_compile_together(monkeypatch):
    import llb.pipeline.program as program_module

    def analyse(source, data, **_):
        if source == "breaks llb":
            raise RuntimeError("a bug in the analysis")
        return source

    shared = []
    monkeypatch.setattr(program_module, "library_source", analyse)
    monkeypatch.setattr(program_module, "library_cached", lambda source, **_: False)
    monkeypatch.setattr(program_module, "compile_together", lambda sources, **_: shared.append(list(sources)))
    program_module.compile_ahead(["a", "breaks llb", "b"], {})
    assert shared == [["a", "b"]]
