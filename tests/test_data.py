"""Data problems are one-line errors that name the variable, before and after the model is built."""

from __future__ import annotations

import json

import pytest

from conftest import make_model
from llb.stan.data import check_data, load_data
from llb.errors import DataError
from llb.stan.validate import validate_program


@pytest.fixture(scope="module")
def normal_info(toolchain):
    from conftest import read_program

    return validate_program(read_program("normal.stan"), toolchain=toolchain).info


def test_missing_variable(normal_info):
    with pytest.raises(DataError, match=r"^data variable 'y' is missing"):
        check_data({"N": 2}, normal_info)


def test_wrong_rank(normal_info):
    with pytest.raises(DataError, match=r"^data variable 'y' has 2 dimension\(s\) but the program declares 1"):
        check_data({"N": 2, "y": [[1.0], [2.0]]}, normal_info)


def test_non_integer_for_int(normal_info):
    with pytest.raises(DataError, match=r"^data variable 'N' must hold integers but has the value 2.5"):
        check_data({"N": 2.5, "y": [1.0, 2.0]}, normal_info)


def test_integral_floats_become_ints_and_extra_variables_are_dropped(normal_info):
    assert check_data({"N": 2.0, "y": [1, 2], "unused": "x"}, normal_info) == {"N": 2, "y": [1, 2]}


def test_ragged_arrays(normal_info):
    with pytest.raises(DataError, match="ragged"):
        check_data({"N": 2, "y": [[1.0], [2.0, 3.0]]}, normal_info)


def test_size_mismatch_is_reported_by_the_model_with_the_variable(compiled):
    with pytest.raises(DataError) as error:
        make_model(compiled("normal.stan"), {"N": 3, "y": [1.0, 2.0]})
    assert str(error.value) == "data variable 'y' has shape (2) but the program declares (3); fix data.json or the declaration"


def test_constraint_violation_in_data_is_reported(compiled):
    with pytest.raises(DataError, match="the data do not fit the program: .*N"):
        make_model(compiled("normal.stan"), {"N": -1, "y": []})


def test_malformed_json_file(tmp_path):
    path = tmp_path / "data.json"
    path.write_text('{"N": 3, "y": [1, 2,, 3]}')
    with pytest.raises(DataError, match=r"data.json is not valid JSON \(line 1, column 21: Expecting value"):
        load_data(path)
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(DataError, match="must hold a JSON object"):
        load_data(path)
    with pytest.raises(DataError, match="does not exist"):
        load_data(tmp_path / "missing.json")
