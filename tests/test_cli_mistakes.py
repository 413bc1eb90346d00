"""Every path and file mistake a user can make, fed to every command: exit 2, one line naming the
problem, no traceback, and nothing written where llb did not write before.

The commands run in this process (``llb.cli.main``), so the table costs milliseconds a row; none of
the mistakes gets as far as compiling anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llb.cli import main

COIN = Path(__file__).parent / "problems" / "coin"
PROGRAM = "data { int num_flips; int num_heads; }\nparameters { real<lower=0, upper=1> bias; }\nmodel { num_heads ~ binomial(num_flips, bias); }\n"


@pytest.fixture
def place(tmp_path):
    """A folder of well-formed and malformed inputs."""
    good = tmp_path / "good"
    good.mkdir()
    (good / "problem.toml").write_text((COIN / "problem.toml").read_text())
    (good / "data.json").write_text((COIN / "data.json").read_text())
    (tmp_path / "program.stan").write_text(PROGRAM)
    (tmp_path / "latin1.stan").write_bytes(PROGRAM.encode() + b"// caf\xe9\n")
    (tmp_path / "folder.stan").mkdir()
    (tmp_path / "a_file").write_text("not a folder")
    (tmp_path / "bad.json").write_text('{"num_flips": 3,')
    (tmp_path / "data_folder").mkdir()
    foreign = tmp_path / "my_files"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    for name, change in {
        "latin1_toml": lambda root: (root / "problem.toml").write_bytes(b'text = "caf\xe9"\ngoal = "real bias;"\n'),
        "toml_folder": lambda root: ((root / "problem.toml").unlink(), (root / "problem.toml").mkdir()),
        "data_is_folder": lambda root: ((root / "data.json").unlink(), (root / "data.json").mkdir()),
        "bad_data": lambda root: (root / "data.json").write_text("[1, 2]"),
        "bad_goal": lambda root: (root / "problem.toml").write_text('text = "a coin"\ngoal = "vector<lower=0> bias;"\n'),
    }.items():
        root = tmp_path / name
        root.mkdir()
        (root / "problem.toml").write_text((COIN / "problem.toml").read_text())
        (root / "data.json").write_text((COIN / "data.json").read_text())
        change(root)
    return tmp_path


MISTAKES = [
    # (arguments, words the one line must contain); {p} is the test's folder
    (["run", "{p}/nowhere"], "does not exist"),
    (["run", "{p}/a_file"], "is a file"),
    (["run", "{p}/latin1_toml"], "is not a UTF-8 text file"),
    (["run", "{p}/toml_folder"], "is a folder, not a problem.toml"),
    (["run", "{p}/data_is_folder"], "is a folder, not a data file"),
    (["run", "{p}/bad_data"], "must hold a JSON object"),
    (["run", "{p}/bad_goal"], "is not a valid Stan declaration"),
    (["run", "{p}/good", "--programs", "{p}/nowhere"], "does not exist"),
    (["run", "{p}/good", "--programs", "{p}/a_file"], "is a file"),
    (["run", "{p}/good", "--programs", "{p}", "--out", "{p}/run"], "folder.stan is a folder, not a Stan program"),
    (["run", "{p}/good", "--programs", "{p}/good", "--out", "{p}/a_file"], "is a file, not a folder"),
    (["run", "{p}/good", "--programs", "{p}/good", "--out", "{p}/my_files"], "is not an llb run folder"),
    (["run", "{p}/good", "--timeout", "0", "--out", "{p}/run2"], "must be positive"),
    (["run", "{p}/good", "--n-models", "0"], "at least 1"),
    (["run", "{p}/good", "--dask-local", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
    (["fit", "{p}/nowhere.stan"], "does not exist"),
    (["fit", "{p}/folder.stan"], "is a folder, not a Stan program"),
    (["fit", "{p}/latin1.stan"], "is not a UTF-8 text file"),
    (["fit", "{p}/program.stan", "--data", "{p}/nowhere.json"], "does not exist"),
    (["fit", "{p}/program.stan", "--data", "{p}/data_folder"], "is a folder, not a data file"),
    (["fit", "{p}/program.stan", "--data", "{p}/bad.json"], "is not valid JSON"),
    (["fit", "{p}/program.stan", "--chains", "0"], "at least 1"),
    (["report", "{p}/nowhere"], "does not exist"),
    (["report", "{p}/a_file"], "is a file, not a folder"),
    (["report", "{p}/my_files"], "is not an llb run folder"),
    (["prompt", "{p}/nowhere"], "does not exist"),
    (["prompt", "{p}/latin1_toml"], "is not a UTF-8 text file"),
    (["bogus"], "invalid choice"),
    (["serve", "--runs", "{p}/a_file"], "is a file; give a folder for the runs"),
    (["serve", "--port", "0"], "is not a port number"),
    (["serve", "--token", "a b;c"], "--token must be"),
    (["serve", "--host", "no such host!"], "cannot listen on"),
    (["fit"], "the following arguments are required"),
]


@pytest.mark.parametrize("arguments, words", MISTAKES, ids=[" ".join(a) for a, _ in MISTAKES])
def test_mistakes_are_one_line(place, capsys, monkeypatch, arguments, words):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    try:
        code = main([argument.format(p=place) for argument in arguments])
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    captured = capsys.readouterr()
    assert code == 2, captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("llb: error: "), captured.err
    assert words in lines[0] and "Traceback" not in captured.err and "internal error" not in captured.err
    assert (place / "my_files" / "thesis.tex").read_text() == "precious"
    assert sorted(p.name for p in (place / "my_files").iterdir()) == ["thesis.tex"]


def test_unknown_command_names_the_help_once(capsys):
    with pytest.raises(SystemExit):
        main(["bogus"])
    assert "(see `llb --help`)" in capsys.readouterr().err


def test_run_folder_is_refused_while_another_run_holds_it(place, capsys):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom llb.pipeline.run_folder import claim_run_folder\n"
         f"with claim_run_folder({str(place / 'busy')!r}):\n    print('held', flush=True)\n    time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    programs = place / "programs"
    programs.mkdir()
    (programs / "coin.stan").write_text(PROGRAM)
    try:
        assert holder.stdout.readline().strip() == "held"
        code = main(["run", str(place / "good"), "--programs", str(programs), "--out", str(place / "busy"), "--quiet"])
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert f"process {holder.pid}" in err
    assert code == 2 and "is being used by another llb run" in err and len(err.strip().splitlines()) == 1


def test_run_files_get_the_umask_permissions(tmp_path):
    from llb.files import write_atomic

    path = tmp_path / "result.json"
    write_atomic(path, json.dumps({}))
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
