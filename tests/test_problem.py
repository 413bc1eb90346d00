"""Problem folders: problem.toml (text, goal, optional data_declarations) and data.json.

Every user mistake must raise an LlbError whose message is one line and names what is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llb.errors import DataError, LlbError
from llb.problem import Problem, ProblemError, check_declared_data, infer_data_declarations, load_problem
from llb.analysis.stan_syntax import Declaration, parse_declarations
from llb.stan.validate import validate_program

PAPER_PROBLEMS = Path(__file__).parents[2] / "shared" / "paper-problems"

COIN_TOML = '''
# a comment line
text = """
I flipped a coin a bunch of times. What is its bias?
"""

data_declarations = """
int num_flips; // number of flips
array[num_flips] int<lower=0, upper=1> y; // 1 for heads
"""

goal = """
real<lower=0, upper=1> bias; // probability of heads
"""
'''
COIN_DATA = {"num_flips": 5, "y": [1, 0, 1, 1, 0]}


def make_problem(root: Path, toml: str | None = COIN_TOML, data: object = COIN_DATA) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if toml is not None:
        (root / "problem.toml").write_text(toml)
    if data is not None:
        (root / "data.json").write_text(data if isinstance(data, str) else json.dumps(data))
    return root


def toml_with(
    *, text: str | None = '"a problem"', goal: str | None = '"real theta;"', declarations: str | None = None
) -> str:
    lines = []
    if text is not None:
        lines.append(f"text = {text}")
    if goal is not None:
        lines.append(f"goal = {goal}")
    if declarations is not None:
        lines.append(f'data_declarations = """\n{declarations}\n"""')
    return "\n".join(lines) + "\n"


def load_error(root: Path, kind: type[LlbError]) -> str:
    with pytest.raises(kind) as info:
        load_problem(root)
    assert isinstance(info.value, LlbError)
    message = str(info.value)
    assert message and "\n" not in message, message
    return message


# -- valid problems ---------------------------------------------------------------------------------
def test_valid_problem_loads(tmp_path):
    root = make_problem(tmp_path / "coin")
    problem = load_problem(root)
    assert isinstance(problem, Problem)
    assert problem.root == root
    assert problem.text == "I flipped a coin a bunch of times. What is its bias?"
    assert problem.goal_declaration == Declaration("bias", "real", lower="0", upper="1")
    assert problem.goal == "real<lower=0, upper=1> bias; // probability of heads"
    assert problem.data_declarations == (
        "int num_flips; // number of flips\narray[num_flips] int<lower=0, upper=1> y; // 1 for heads"
    )
    assert not problem.declarations_inferred
    assert problem.data == COIN_DATA
    assert problem.goal_shape == ()


def test_load_problem_accepts_a_string_path(tmp_path):
    root = make_problem(tmp_path / "coin")
    assert load_problem(str(root)).goal_declaration.name == "bias"


@pytest.mark.parametrize(
    "goal, name, type_, dims, shape",
    [
        ("real<lower=0, upper=1> bias;", "bias", "real", (), ()),
        ("int<lower=0, upper=1> rain_next_day;", "rain_next_day", "int", (), ()),
        ("array[num_flips] int<lower=0, upper=1> y_new;", "y_new", "int", ("num_flips",), (5,)),
        ("vector[num_flips] z", "z", "vector", ("num_flips",), (5,)),
        ("array[num_flips, 2] real w;", "w", "real", ("num_flips", "2"), (5, 2)),
        ("matrix[3, num_flips] m; // a comment", "m", "matrix", ("3", "num_flips"), (3, 5)),
        ("cov_matrix[num_flips] S;", "S", "cov_matrix", ("num_flips", "num_flips"), (5, 5)),
        ("array[num_flips] vector<lower=0>[2] v;", "v", "vector", ("num_flips", "2"), (5, 2)),
        ("vector[K] unknown_size;", "unknown_size", "vector", ("K",), None),
        ("vector[num_flips + 1] expression_size;", "expression_size", "vector", ("num_flips + 1",), None),
    ],
)
def test_goal_is_parsed_and_its_shape_comes_from_the_data(tmp_path, goal, name, type_, dims, shape):
    toml = COIN_TOML.replace('"""\nreal<lower=0, upper=1> bias; // probability of heads\n"""', f'"""\n{goal}\n"""')
    assert toml != COIN_TOML
    problem = load_problem(make_problem(tmp_path / "p", toml))
    assert (problem.goal_declaration.name, problem.goal_declaration.type, problem.goal_declaration.dims) == (name, type_, dims)
    assert problem.goal == goal
    assert problem.goal_shape == shape


def test_declarations_are_inferred_from_the_data(tmp_path):
    data = {
        "num_flips": 3,
        "y": [1, 0, 1],
        "x": [0.5, 1.5, 2.0],
        "grid": [[1, 2], [3, 4], [5, 6]],
        "two": 2,
        "scale": 2.5,
        "whole_float": 4.0,
        "mixed": [1, 2.0, 3],
        "long": [7, 8, 9, 10],
    }
    problem = load_problem(make_problem(tmp_path / "p", toml_with(goal='"array[num_flips] int y_new;"'), data))
    assert problem.declarations_inferred
    assert problem.data_declarations.splitlines() == [
        "int num_flips;",
        "int two;",
        "real scale;",
        "real whole_float;",  # 4.0 in JSON is a real
        "array[num_flips] int y;",  # arrays after the scalars their sizes name
        "array[num_flips] real x;",
        "array[num_flips, 2] int grid;",  # `two` equals 2 but is not named like a count
        "array[num_flips] real mixed;",
        "array[4] int long;",  # no int variable equals 4
    ]
    assert problem.goal_shape == (3,)
    # The inferred declarations describe the data they came from.
    check_declared_data(parse_declarations(problem.data_declarations), data, source="data.json")


def test_inferred_size_names_prefer_the_first_matching_variable(tmp_path):
    data = {"num_flips": 4, "num_heads": 4, "y": [1, 1, 0, 1], "negative": -4, "empty": []}
    declarations = infer_data_declarations(data)
    assert declarations.splitlines() == [
        "int num_flips;",
        "int num_heads;",
        "int negative;",
        "array[num_flips] int y;",
        "array[0] int empty;",
    ]


def test_inferred_declarations_are_a_valid_data_block(toolchain):
    data = {"N": 2, "K": 3, "y": [[1.5, 2, 3], [4, 5, 6]], "z": [1, 2], "s": 0.5}
    declarations = infer_data_declarations(data)
    source = f"data {{\n{declarations}\n}}\nparameters {{ real mu; }}\nmodel {{ mu ~ normal(0, 1); }}\n"
    validation = validate_program(source, toolchain=toolchain)
    assert validation.ok, validation.error
    ranks = {v.name: (v.base_type, v.ndim) for v in validation.info.inputs}
    assert ranks == {"N": ("int", 0), "K": ("int", 0), "y": ("real", 2), "z": ("int", 1), "s": ("real", 0)}


def test_blank_data_declarations_are_inferred(tmp_path):
    toml = toml_with(declarations="   ")
    problem = load_problem(make_problem(tmp_path / "p", toml, {"n": 2}))
    assert problem.declarations_inferred and problem.data_declarations == "int n;"


def test_integral_floats_are_accepted_for_int_declarations(tmp_path):
    toml = toml_with(declarations="int N;\narray[N] int y;")
    problem = load_problem(make_problem(tmp_path / "p", toml, {"N": 2.0, "y": [1.0, 0]}))
    assert not problem.declarations_inferred


def test_extra_data_variables_are_allowed(tmp_path):
    toml = toml_with(declarations="int N;")
    problem = load_problem(make_problem(tmp_path / "p", toml, {"N": 2, "unused": [1.5]}))
    assert problem.data["unused"] == [1.5]


# -- user mistakes ------------------------------------------------------------------------------------
def test_missing_folder(tmp_path):
    message = load_error(tmp_path / "nowhere", ProblemError)
    assert str(tmp_path / "nowhere") in message and "does not exist" in message


def test_folder_that_is_a_file(tmp_path):
    path = tmp_path / "problem.toml"
    path.write_text(COIN_TOML)
    message = load_error(path, ProblemError)
    assert str(path) in message


def test_missing_problem_toml(tmp_path):
    root = make_problem(tmp_path / "p", toml=None)
    message = load_error(root, ProblemError)
    assert str(root) in message and "problem.toml" in message


def test_invalid_toml(tmp_path):
    root = make_problem(tmp_path / "p", toml='text = "unterminated\ngoal = "real x;"\n')
    message = load_error(root, ProblemError)
    assert str(root / "problem.toml") in message and "not valid TOML" in message


@pytest.mark.parametrize(
    "toml, key",
    [
        (toml_with(text=None), "text"),
        (toml_with(goal=None), "goal"),
        (toml_with(text='"   "'), "text"),
        (toml_with(goal='""'), "goal"),
        (toml_with(text="3"), "text"),
        (toml_with(goal='["real x;"]'), "goal"),
        ("", "text"),
    ],
)
def test_missing_or_empty_text_or_goal(tmp_path, toml, key):
    root = make_problem(tmp_path / "p", toml)
    message = load_error(root, ProblemError)
    assert f"`{key}`" in message and str(root / "problem.toml") in message


@pytest.mark.parametrize(
    "goal",
    [
        '"real a; real b;"',
        '"real a, b;"',
        '"theta ~ normal(0, 1);"',
        '"// just a comment"',
        '"""\nreal a;\nvector[3] b;\n"""',
        '"bias"',
    ],
)
def test_goal_that_is_not_one_declaration(tmp_path, goal):
    root = make_problem(tmp_path / "p", toml_with(goal=goal))
    message = load_error(root, ProblemError)
    assert "`goal`" in message and "one Stan declaration" in message and str(root / "problem.toml") in message


@pytest.mark.parametrize(
    "goal, words",
    [
        ('"vector<lower=0> bias;"', "is not a valid Stan declaration"),  # no size: not Stan
        ('"array[scale] real w;"', "Array sizes must be of type int"),
        ('"real<lower=0 upper=1> p;"', "is not a valid Stan declaration"),
    ],
)
def test_goal_is_checked_by_stanc(tmp_path, goal, words):
    root = make_problem(tmp_path / "p", toml_with(goal=goal), {"num_flips": 5, "num_heads": 3, "scale": 2.5})
    message = load_error(root, ProblemError)
    assert "`goal`" in message and words in message and str(root / "problem.toml") in message and "\n" not in message


def test_data_declarations_are_checked_by_stanc(tmp_path):
    root = make_problem(tmp_path / "p", toml_with(declarations="int N; vector[N] y"), {"N": 2, "y": [1.0, 2.0]})
    message = load_error(root, ProblemError)
    assert "`data_declarations`" in message and "not valid Stan declarations" in message


def test_problem_toml_that_is_not_utf8_or_is_a_folder(tmp_path):
    root = make_problem(tmp_path / "p")
    (root / "problem.toml").write_bytes(b'text = "caf\xe9"\ngoal = "real x;"\n')
    assert "is not a UTF-8 text file" in load_error(root, ProblemError)
    (root / "problem.toml").unlink()
    (root / "problem.toml").mkdir()
    assert "is a folder, not a problem.toml" in load_error(root, ProblemError)


def test_missing_data_json(tmp_path):
    root = make_problem(tmp_path / "p", data=None)
    message = load_error(root, ProblemError)
    assert str(root) in message and "data.json" in message


@pytest.mark.parametrize(
    "text, words",
    [
        ('{"N": 3,', "not valid JSON"),
        ("{'N': 3}", "not valid JSON"),
        ("", "not valid JSON"),
        ("[1, 2, 3]", "JSON object"),
        ('"just a string"', "JSON object"),
    ],
)
def test_malformed_data_json(tmp_path, text, words):
    root = make_problem(tmp_path / "p", data=text)
    message = load_error(root, DataError)
    assert str(root / "data.json") in message and words in message


def test_data_json_that_is_not_utf8(tmp_path):
    root = make_problem(tmp_path / "p", data=None)
    (root / "data.json").write_bytes(b'{"N": "\xff\xfe"}')
    message = load_error(root, DataError)
    assert "data.json" in message and "UTF-8" in message


def declared(tmp_path, declarations: str, data: dict, *, names_file: bool = True) -> str:
    root = make_problem(tmp_path / "p", toml_with(declarations=declarations), data)
    message = load_error(root, DataError)
    if names_file:
        assert str(root / "data.json") in message
    return message


def test_data_lacking_a_declared_variable(tmp_path):
    message = declared(tmp_path, "int N;\narray[N] real y;", {"N": 2})
    assert "'y'" in message and "lacks" in message


@pytest.mark.parametrize(
    "declarations, data, ranks",
    [
        ("int N;\narray[N] real y;", {"N": 2, "y": [[1.0], [2.0]]}, "2 dimension(s)"),
        ("int N;\narray[N] real y;", {"N": 2, "y": 1.5}, "0 dimension(s)"),
        ("real y;", {"y": [1.0, 2.0]}, "1 dimension(s)"),
        ("matrix[2, 2] y;", {"y": [1.0, 2.0]}, "1 dimension(s)"),
        ("cov_matrix[2] y;", {"y": [1.0, 0.0]}, "1 dimension(s)"),
    ],
)
def test_data_of_the_wrong_rank(tmp_path, declarations, data, ranks):
    message = declared(tmp_path, declarations, data)
    assert "'y'" in message and ranks in message


def test_empty_list_for_a_scalar_is_the_wrong_rank(tmp_path):
    message = declared(tmp_path, "real y;", {"y": []})
    assert "'y'" in message


def test_empty_array_matches_a_zero_size(tmp_path):
    toml = toml_with(declarations="int N;\narray[N, 3] real y;")
    problem = load_problem(make_problem(tmp_path / "p", toml, {"N": 0, "y": []}))
    assert problem.data["y"] == []


@pytest.mark.parametrize(
    "declarations, data, expected",
    [
        ("int N;\narray[N] real y;", {"N": 3, "y": [1.0, 2.0]}, "`N` is 3"),
        ("int N;\nint K;\narray[N, K] real y;", {"N": 2, "K": 3, "y": [[1, 2], [3, 4]]}, "`K` is 3"),
        ("int N;\nvector[N] y;", {"N": 1, "y": [1.0, 2.0]}, "`N` is 1"),
        ("vector[3] y;", {"y": [1.0, 2.0]}, "`3` is 3"),
    ],
)
def test_data_of_the_wrong_size(tmp_path, declarations, data, expected):
    message = declared(tmp_path, declarations, data)
    assert "'y'" in message and expected in message


@pytest.mark.parametrize(
    "declarations, data",
    [
        ("int N;\narray[N] int y;", {"N": 2, "y": [1, 2.5]}),
        ("int y;", {"y": 0.5}),
        ("array[2] int<lower=0> y;", {"y": ["inf", 1]}),
    ],
)
def test_non_integers_for_an_int_declaration(tmp_path, declarations, data):
    message = declared(tmp_path, declarations, data)
    assert "'y'" in message and "int" in message


@pytest.mark.parametrize(
    "value, words",
    [(True, "boolean"), (None, "null"), ("hello", "string"), ([[1.0], [1.0, 2.0]], "ragged"), ({"a": 1}, "dict")],
)
def test_values_that_are_not_numbers(tmp_path, value, words):
    # These come from reading the value itself, and name the variable rather than the file.
    message = declared(tmp_path, "real y;", {"y": value}, names_file=False)
    assert message.startswith("data variable 'y'")
    assert "'y'" in message and words in message


# -- the paper's problems ---------------------------------------------------------------------------
def paper_problem_folders() -> list[Path]:
    return sorted(path for path in PAPER_PROBLEMS.iterdir() if path.is_dir()) if PAPER_PROBLEMS.is_dir() else []


@pytest.mark.skipif(
    not PAPER_PROBLEMS.is_dir(),
    reason=f"{PAPER_PROBLEMS} is absent (CI checks out shared/paper-problems beside the repository)",
)
def test_paper_problems_load_with_fully_known_goal_shapes():
    folders = paper_problem_folders()
    assert folders, f"no problem folders in {PAPER_PROBLEMS}"
    for folder in folders:
        problem = load_problem(folder)
        assert problem.text and problem.goal_declaration.name, folder.name
        assert not problem.declarations_inferred, folder.name
        shape = problem.goal_shape
        assert shape is not None and all(isinstance(size, int) and size > 0 for size in shape), (folder.name, shape)
        assert len(shape) == problem.goal_declaration.ndim, folder.name
        # Declarations inferred from the same data describe it too.
        check_declared_data(parse_declarations(infer_data_declarations(problem.data)), problem.data, source=folder.name)


@pytest.mark.parametrize(
    "data, expected",
    [
        ({"prior_sd": 2, "y": [1.0, 2.0]}, "array[2] real y;"),
        ({"num_heads": 5, "N": 5, "y": [1.0] * 5}, "array[N] real y;"),
        ({"n_obs": 2, "y": [1, 2]}, "array[n_obs] int y;"),
        ({"J": 3, "sigma": [1.0, 2.0, 3.0]}, "array[J] real sigma;"),
    ],
)
def test_only_count_like_integers_name_sizes(data, expected):
    assert expected in infer_data_declarations(data).splitlines()
