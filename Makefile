# make install: everything llb needs (clang-16 via apt, Python packages, the Stan build cache)
# make demo:    install, then answer the bundled coin problem from its recorded candidate programs
# make test:    the type checker and the test suite (installs first, so it works on a fresh machine)
PYTHON ?= python3

.PHONY: install test demo

install:
	bash scripts/setup.sh

test: install
	$(PYTHON) -m mypy
	$(PYTHON) -m pytest -q

demo: install
	llb run examples/coin_penny
