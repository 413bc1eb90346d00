"""The prompt's worked examples must follow the prompt's own rules."""

from __future__ import annotations

import pytest

from llb.analysis.priors import check_priors
from llb.problem import load_problem
from llb.llm.prompt import EXAMPLES, build_messages
from llb.llm.replies import parse_reply
from llb.llm.prompt import example_reply
from llb.analysis.stan_syntax import parse_declarations
from llb.stan.validate import validate_program


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.goal.split(";")[0].split()[-1])
def test_worked_examples_are_valid_normalised_and_define_their_goal(toolchain, example):
    validation = validate_program(example.program, toolchain=toolchain)
    assert validation.ok, validation.error
    priors = check_priors(example.program, validation.warnings, toolchain=toolchain)
    assert priors.ok and not priors.rewritten and not priors.corrections
    goal = parse_declarations(example.goal)[0]
    block, variable = validation.info.find(goal.name)
    assert variable.ndim == goal.ndim and (goal.base_type == "real" or variable.base_type == "int")
    declared = {d.name: d.dims for d in parse_declarations(example.data)}
    assert {v.name for v in validation.info.inputs} == set(declared)
    assert "target +=" not in example.program and "#include" not in example.program
    # the example's reply parses back to exactly its program
    assert parse_reply(example_reply(example)).program == example.program


def test_examples_cover_different_model_families():
    programs = " ".join(e.program for e in EXAMPLES)
    for feature in ("binomial_logit", "normal(", "neg_binomial_2_log", "student_t", "_rng", "offset="):
        assert feature in programs


def test_inferred_declarations_reach_the_prompt(tmp_path):
    (tmp_path / "problem.toml").write_text('text = "Some counts."\ngoal = "real rate;"\n')
    (tmp_path / "data.json").write_text('{"N": 3, "K": 2, "counts": [1, 4, 2], "exposure": [1.5, 2.0, 0.5], "X": [[1.0, 0], [0.5, 1], [2, 2]]}')
    last = build_messages(load_problem(tmp_path))[-1]["content"]
    declarations = "int N;\nint K;\narray[N] int counts;\narray[N] real exposure;\nmatrix[N, K] X;"
    assert last == f"PROBLEM\nSome counts.\n\nDATA\n{declarations}\n\nGOAL\nreal rate;"
