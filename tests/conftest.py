"""Shared fixtures. Stan programs used by the tests live in tests/stan/; each distinct program is
compiled once per cache (the cache is $LLB_CACHE_DIR or ~/.cache/llb, shared with normal use)."""

from __future__ import annotations

from pathlib import Path

import pytest

from llb.stan.compile import compile_program
from llb.stan.model import StanModel
from llb.stan.toolchain import find_toolchain

STAN_DIR = Path(__file__).parent / "stan"


def read_program(name: str) -> str:
    return (STAN_DIR / name).read_text()


@pytest.fixture(scope="session")
def toolchain():
    return find_toolchain()


@pytest.fixture(scope="session")
def compiled(toolchain):
    """compiled(name) -> path of the shared library of tests/stan/<name>."""
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            cache[name] = compile_program(read_program(name), toolchain=toolchain).library
        return cache[name]

    return get


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(20261127)


def make_model(library: Path, data: dict, seed: int = 0) -> StanModel:
    return StanModel(library, data, seed=seed)
