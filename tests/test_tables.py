"""Tables as data: a problem folder's data.csv, llb.Problem(data=DataFrame), and their declarations."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import llb
from llb.errors import DataError
from llb.problem import ProblemError, load_problem
from llb.tables import read_csv_text

POLLS = """day,pollster,result,weekend
3,YouGov,47.5,false
5,Ipsos,49.0,false
6,YouGov,48.5,true
9,Gallup,51.0,false
"""


def test_a_csv_becomes_columns_with_n_rows_and_coded_text():
    table = read_csv_text(POLLS, source="polls.csv")
    assert table.data == {
        "N": 4,
        "day": [3, 5, 6, 9],
        "num_pollster": 3,
        "pollster": [3, 2, 3, 1],  # levels sorted: Gallup, Ipsos, YouGov
        "result": [47.5, 49.0, 48.5, 51.0],
        "weekend": [0, 0, 1, 0],
    }
    assert table.levels == {"pollster": ("Gallup", "Ipsos", "YouGov")}
    assert table.declarations.splitlines() == [
        "int<lower=0> N; // rows of the table",
        "array[N] int day;",
        "int<lower=1> num_pollster; // number of levels of pollster",
        'array[N] int<lower=1, upper=num_pollster> pollster; // 1 = "Gallup", 2 = "Ipsos", 3 = "YouGov"',
        "vector[N] result;",
        "array[N] int weekend;",
    ]


def test_a_dataframe_is_read_as_a_csv_is():
    problem = llb.Problem(text="polls", goal="real lean;", data=pd.read_csv(__import__("io").StringIO(POLLS)))
    table = read_csv_text(POLLS, source="polls.csv")
    assert problem.data == table.data and problem.data_declarations == table.declarations


def test_names_llb_adds_never_take_a_columns_name():
    table = read_csv_text("N,y\n10,1.5\n12,2.5\n", source="t.csv")
    assert table.data == {"num_rows": 2, "N": [10, 12], "y": [1.5, 2.5]}
    assert table.declarations.splitlines()[0] == "int<lower=0> num_rows; // rows of the table"
    table = read_csv_text("N,num_rows,g,num_g\n1,2,x,3\n", source="t.csv")
    assert table.data == {"n_rows": 1, "N": [1], "num_rows": [2], "num_g_levels": 1, "g": [1], "num_g": [3]}


def test_old_mac_line_endings_and_a_byte_order_mark_are_read():
    assert read_csv_text("a,b\r1,2\r3,4\r", source="t.csv").data == {"N": 2, "a": [1, 3], "b": [2, 4]}
    assert read_csv_text("\ufeffa,b\n1,2\n", source="t.csv").data == {"N": 1, "a": [1], "b": [2]}


def test_integers_beyond_stans_int_become_reals():
    table = read_csv_text("population\n3000000000\n1200\n", source="t.csv")
    assert table.data["population"] == [3e9, 1200.0] and "vector[N] population;" in table.declarations


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "is empty"),
        ("a,b\n", "has column names but no rows"),
        ("a,b\n1,2\n3,4,5\n", "line 3 has 3 fields but the header has 2"),
        ("a,b\n1,\n2,3\n", "column 'b' has a missing value (an empty cell or NA) in row 1"),
        ("a,b\n1,NA\n2,3\n", "column 'b' has a missing value"),
        ("a,b\n1,2.5\n2,n/a\n", "column 'b' has a missing value"),
        ("a,b\n1,x\n2,3\n", "column 'b' mixes numbers ('3') and text ('x', row 1)"),
        ("a,,c\n1,2,3\n", "(an empty header cell?) is not a Stan variable name"),
        ("height cm,y\n1,2\n", "column 'height cm' is not a Stan variable name"),
        ("a, a\n1,2\n", "two columns are named 'a'"),
        ("a;b\n1;2\n", "seems to be separated by ';', not commas"),
        ("a\n1\n1_000\n", "column 'a' mixes numbers ('1') and text ('1_000', row 2)"),
        ("a\n99999999999999999999\n1\n", "holds integers too large to read"),
        ("a\ninf\n1\n", "column 'a' has an infinite value in row 1"),
        ('a,b\n1,"2\n', "is not a readable CSV table"),
    ],
)
def test_malformed_tables_get_one_line_errors(text, message):
    with pytest.raises(DataError) as caught:
        read_csv_text(text, source="bad.csv")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_folder_may_hold_data_csv_but_not_both(tmp_path):
    (tmp_path / "problem.toml").write_text('text = "polls"\ngoal = "real lean;"\n')
    (tmp_path / "data.csv").write_text(POLLS)
    problem = load_problem(tmp_path)
    assert problem.data["pollster"] == [3, 2, 3, 1] and problem.data_file == "data.csv"
    (tmp_path / "data.json").write_text("{}")
    with pytest.raises(ProblemError, match="has both data.json and data.csv"):
        load_problem(tmp_path)
    (tmp_path / "data.json").unlink()
    (tmp_path / "data.csv").write_text("a,b\n1,x\n2,3\n")
    with pytest.raises(DataError, match=r"data.csv: column 'b' mixes numbers"):
        load_problem(tmp_path)


REGRESSION = """
data { int<lower=0> N; vector[N] x; vector[N] y; }
parameters { real slope; real intercept; }
model {
  slope ~ normal(0, 2);
  intercept ~ normal(0, 5);
  y ~ normal(intercept + slope * x, 0.5);
}
"""


def test_a_run_on_data_csv_answers_as_the_same_data_json_does(tmp_path):
    x = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    y = [0.9, 1.6, 1.8, 2.9, 3.1, 3.4, 4.6, 4.8]
    answers = []
    for kind in ("csv", "json"):
        folder = tmp_path / kind
        (folder / "programs").mkdir(parents=True)
        (folder / "problem.toml").write_text('text = "y grows with x"\ngoal = "real slope;"\n')
        (folder / "programs" / "line.stan").write_text(REGRESSION)
        if kind == "csv":
            (folder / "data.csv").write_text("x,y\n" + "".join(f"{a},{b}\n" for a, b in zip(x, y)))
        else:
            (folder / "data.json").write_text(json.dumps({"N": 8, "x": x, "y": y}))
        result = llb.run(folder, out=tmp_path / f"run-{kind}", progress=False, workers=1, write_report=False)
        assert result.models["status"].tolist() == ["ok"]
        answers.append(result.posterior["llb"])
    pd.testing.assert_frame_equal(answers[0], answers[1])
    # and the answer is the conjugate posterior's: slope ~ N(m, s) given sigma = 0.5 and the priors
    import numpy as np

    design = np.column_stack([np.ones(8), x])
    precision = design.T @ design / 0.25 + np.diag([1 / 25, 1 / 4])
    mean = np.linalg.solve(precision, design.T @ np.array(y) / 0.25)
    sd = np.sqrt(np.linalg.inv(precision)[1, 1])
    assert abs(answers[0].loc["slope", "mean"] - mean[1]) < 5 * sd / np.sqrt(4000 / 4)  # ESS at least a quarter of the draws
