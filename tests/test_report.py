"""The run report: figures, table, InferenceData, and how it renders in a real browser."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from llb.problem import load_problem
from llb.report import INFERENCE_DATA_FILE, REPORT_FILE, write_report
from llb.llm.candidates import read_program_folder
from llb.pipeline.run import RESULT_FILE, run_problem
from test_run import EXAMPLE, beta_program

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def scalar_run(tmp_path_factory) -> Path:
    programs = tmp_path_factory.mktemp("programs")
    (programs / "uniform.stan").write_text(beta_program(1.0, 1.0))
    (programs / "penny.stan").write_text(beta_program(50.0, 50.0))
    (programs / "penny_again.stan").write_text(beta_program(50.0, 50.0))
    (programs / "broken.stan").write_text("parameters { real bias }")
    out = tmp_path_factory.mktemp("run")
    run_problem(load_problem(EXAMPLE), read_program_folder(programs), out_dir=out, seed=1)
    write_report(out)
    return out


@pytest.fixture(scope="module")
def array_run(tmp_path_factory) -> Path:
    problem = tmp_path_factory.mktemp("problem")
    (problem / "data.json").write_text('{"num_flips": 20, "num_heads": 14, "num_next": 3}')
    (problem / "problem.toml").write_text('text = "Predict the next three flips."\ngoal = "array[num_next] int<lower=0, upper=1> next_flips;"\n')
    programs = tmp_path_factory.mktemp("programs")
    for name, (a, b) in (("uniform", (1.0, 1.0)), ("penny", (50.0, 50.0))):
        source = beta_program(a, b).replace("int<lower=0, upper=num_flips> num_heads;", "int<lower=0, upper=num_flips> num_heads;\n  int<lower=0> num_next;")
        source += "generated quantities {\n  array[num_next] int next_flips;\n  for (i in 1:num_next) next_flips[i] = bernoulli_rng(bias);\n}\n"
        (programs / f"{name}.stan").write_text(source)
    out = tmp_path_factory.mktemp("run")
    run_problem(load_problem(problem), read_program_folder(programs), out_dir=out, seed=1)
    write_report(out)
    return out


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_report_files_and_table(scalar_run):
    figures = sorted(p.name for p in (scalar_run / "report").glob("*.png"))
    assert figures == ["evidence_vs_goal.png", "goal_posterior.png", "weights.png"]
    for name in figures:
        width, height = png_size((scalar_run / "report" / name).read_bytes())
        assert width > 300 and height > 200
    page = (scalar_run / REPORT_FILE).read_text()
    assert page.count("<img ") == 3 and page.count('src="data:image/png;base64,') == 3
    assert page.count("<details>") == 4  # one row per program, failures included
    assert "penny_again (= penny)" in page and "syntax error" in page
    assert "evidence-weighted (LLB)" in page


def test_array_goal_gets_the_per_element_figure(array_run):
    figures = sorted(p.name for p in (array_run / "report").glob("*.png"))
    assert figures == ["evidence_vs_goal.png", "goal_elements.png", "weights.png"]
    page = (array_run / REPORT_FILE).read_text()
    for name in ("next_flips[1]", "next_flips[2]", "next_flips[3]"):
        assert f"<th>{name}</th>" in page


def test_inference_data_matches_the_summaries(scalar_run, array_run):
    import arviz as az

    for folder, goal, shape in ((scalar_run, "bias", ()), (array_run, "next_flips", (3,))):
        result = json.loads((folder / "result.json").read_text())
        data = az.from_netcdf(folder / INFERENCE_DATA_FILE)
        for group, key in (("posterior", "llb"), ("flat_posterior", "flat")):
            values = data[group][goal].values
            assert values.shape == (1, 4000, *shape)
            first = values.reshape(4000, -1)[:, 0]
            summary = result["posterior"][key][result["goal"]["names"][0]]
            # resampling 4000 draws adds Monte Carlo error of about sd / sqrt(4000)
            assert abs(first.mean() - summary["mean"]) < 4.5 * summary["sd"] / np.sqrt(4000) + 1e-12
        ok = [m for m in result["models"] if m["status"] == "ok" and not m["duplicate_of"]]
        for model in ok:
            per_program = az.from_netcdf(folder / "models" / model["id"] / "goal.nc")
            assert per_program.posterior[goal].values.shape == (4, 1000, *shape)


def test_per_program_netcdf_holds_the_draws_and_is_rewritten_only_when_they_change(tmp_path, scalar_run):
    import arviz as az

    folder = tmp_path / "run"
    shutil.copytree(scalar_run, folder)
    result = json.loads((folder / RESULT_FILE).read_text())
    model = next(m for m in result["models"] if m["status"] == "ok" and not m["duplicate_of"])
    goal_nc, draws_file = folder / "models" / model["id"] / "goal.nc", folder / "models" / model["id"] / "goal_draws.npy"
    draws = np.load(draws_file)
    goal_nc.write_bytes(b"left by a report that was killed")  # not made from these draws: written again
    write_report(folder)
    assert np.array_equal(az.from_netcdf(goal_nc).posterior["bias"].values.reshape(-1), draws[:, 0])  # chain-major, as fitted
    assert goal_nc.stat().st_mtime_ns == draws_file.stat().st_mtime_ns  # made from that file
    inode = goal_nc.stat().st_ino
    write_report(folder)
    assert goal_nc.stat().st_ino == inode  # the draws did not change: the file is kept
    np.save(draws_file, draws[::-1])  # a refit writes new draws
    os.utime(draws_file, ns=(goal_nc.stat().st_mtime_ns + 10**9,) * 2)
    write_report(folder)
    assert np.array_equal(az.from_netcdf(goal_nc).posterior["bias"].values.reshape(-1), draws[::-1, 0])
    assert not list(goal_nc.parent.glob("*.partial"))


def test_llb_report_recreates_the_report(scalar_run):
    (scalar_run / REPORT_FILE).unlink()
    shutil.rmtree(scalar_run / "report")
    result = subprocess.run([sys.executable, "-m", "llb", "report", scalar_run], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (scalar_run / REPORT_FILE).exists() and len(list((scalar_run / "report").glob("*.png"))) == 3
    missing = subprocess.run([sys.executable, "-m", "llb", "report", scalar_run / "nothing"], capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    (scalar_run / RESULT_FILE).rename(scalar_run / "result.moved")
    try:
        unfinished = subprocess.run([sys.executable, "-m", "llb", "report", scalar_run], capture_output=True, text=True, timeout=300)
    finally:
        (scalar_run / "result.moved").rename(scalar_run / RESULT_FILE)
    assert unfinished.returncode == 2 and "has no result.json" in unfinished.stderr


def test_report_renders_in_headless_chromium(scalar_run, tmp_path):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed for this test: run `make install`"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto((scalar_run / REPORT_FILE).as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
        assert len(images) == 3 and all(done and width > 300 and height > 200 for done, width, height in images)
        assert page.locator("table.programs tbody tr").count() == 4
        assert page.locator("table.summary tbody tr").count() == 1
        code = page.locator("table.programs pre").first
        assert not code.is_visible()
        page.locator("table.programs summary").first.click()
        assert code.is_visible() and "binomial(num_flips, bias)" in code.inner_text()
        shot = page.screenshot(full_page=True)
        figure = page.locator(".figures img").first
        figure.scroll_into_view_if_needed()
        figure_shot = figure.screenshot()
        browser.close()
    # the rendered figure is a real picture: many distinct colours, not a blank or broken-image box
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(figure_shot)).convert("RGB")).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 200
    width, height = png_size(shot)
    assert width == 1200 and height > 1500
    (tmp_path / "report.png").write_bytes(shot)
