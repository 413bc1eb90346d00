"""Reply parsing copes with what LLMs really return."""

from __future__ import annotations

from llb.llm.replies import parse_reply

PROGRAM = "data {\n  int N;\n}\nparameters {\n  real mu;\n}\nmodel {\n  mu ~ normal(0, 1); // {braces} in a comment\n}"


def test_markers():
    parsed = parse_reply(f"THOUGHTS START\nA normal mean.\nTHOUGHTS END\nMODEL START\n{PROGRAM}\nMODEL END\n")
    assert parsed.description == "A normal mean." and parsed.program == PROGRAM and parsed.problem is None and parsed.note is None


def test_code_fences_inside_the_markers():
    parsed = parse_reply(f"THOUGHTS START\nx\nTHOUGHTS END\nMODEL START\n```stan\n{PROGRAM}\n```\nMODEL END")
    assert parsed.program == PROGRAM


def test_missing_end_marker_and_text_after_the_program():
    parsed = parse_reply(f"THOUGHTS START\nx\nTHOUGHTS END\nMODEL START\n{PROGRAM}\n\nThis model assumes independent draws.")
    assert parsed.program == PROGRAM
    assert parsed.note == "the reply has no MODEL END marker"


def test_missing_thoughts_end():
    parsed = parse_reply(f"THOUGHTS START\nMy model.\nMODEL START\n{PROGRAM}\nMODEL END")
    assert parsed.description == "My model." and parsed.program == PROGRAM


def test_no_markers_fenced_program():
    parsed = parse_reply(f"Here is a model:\n\n```stan\n{PROGRAM}\n```\nHope this helps!")
    assert parsed.program == PROGRAM
    assert "no MODEL START" in parsed.note and parsed.description is None


def test_no_markers_bare_program_with_prose_around():
    parsed = parse_reply(f"Sure.\n{PROGRAM}\nThat is all.")
    assert parsed.program == PROGRAM


def test_several_programs_take_the_first():
    other = PROGRAM.replace("normal(0, 1)", "normal(0, 2)")
    parsed = parse_reply(f"MODEL START\n{PROGRAM}\nMODEL END\nOr:\nMODEL START\n{other}\nMODEL END")
    assert parsed.program == PROGRAM and parsed.note == "the reply has 2 programs; the first was used"


def test_no_program():
    assert parse_reply("I cannot help with that.").problem == "the reply contains no Stan program"
    assert parse_reply("").problem == "the reply is empty"
    assert parse_reply(None).problem == "the reply is empty"
    assert parse_reply("MODEL START\nno code here\nMODEL END").program is None


def test_unbalanced_program_is_kept_for_stanc_to_judge():
    parsed = parse_reply("MODEL START\nparameters {\n  real mu;\nmodel {\n  mu ~ normal(0, 1);\n}\nMODEL END")
    assert parsed.program is not None and parsed.program.startswith("parameters {")
