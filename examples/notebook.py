# %% [markdown]
# # llb from Python
#
# The bundled coin problem answered in a few lines, then a problem of your own from a pandas
# DataFrame. Each `# %%` is a notebook cell (VS Code, Jupytext and PyCharm read them as such); run the
# whole file with `python examples/notebook.py [RUN_FOLDER]`. No LLM is configured here, so the
# candidates are the problem's recorded programs (`examples/coin_penny/programs`).

# %%
import sys
from pathlib import Path

import pandas as pd

import llb

EXAMPLES = Path(__file__).resolve().parent if "__file__" in globals() else Path("examples")
run_folder = sys.argv[1] if len(sys.argv) > 1 else None  # default: llb-runs/coin_penny

# %% [markdown]
# ## The coin problem: the same numbers as `llb run examples/coin_penny`

# %%
problem = llb.load_problem(EXAMPLES / "coin_penny")
result = llb.run(problem, out=run_folder)
print(result)
print(result.posterior["llb"])  # evidence-weighted
print(result.posterior["flat"])  # every valid program weighted equally

# %% [markdown]
# One row per candidate program: where it came from, its status, log evidence and weight.

# %%
models = result.models.sort_values("weight", ascending=False)
print(models[["id", "status", "log_evidence", "log_evidence_se", "weight", "reliability"]].head(8).to_string(index=False))
print(models["status"].value_counts().to_string())

# %%
best = result.program(models["id"].iloc[0])
print(f"the heaviest program, {best.id} ({best.origin}), weight {best.weight:.3f}:")
print(best.source)

# %% [markdown]
# Draws of the goal from the evidence-weighted mixture, and the same as ArviZ InferenceData.

# %%
draws = result.draws("llb")
print(f"P(bias > 0.5) = {(draws['bias'] > 0.5).mean():.3f}")
posterior = result.to_inference_data()
print(posterior.posterior["bias"].shape)

# %% [markdown]
# ## A problem of your own
#
# Data may be a dict or a DataFrame (one array per column, plus `N`, the number of rows); the data
# declarations the LLM sees are inferred from it. With an LLM configured (`OPENAI_BASE_URL`, or
# `llm=llb.LLM(base_url=..., model=...)`) `llb.run` would ask it for programs; here two are given.

# %%
flips = pd.DataFrame({"heads": [1, 0, 1, 1, 0, 1, 1, 1, 0, 1]})
mine = llb.Problem(text="I flipped a coin ten times. How biased is it?", goal="real<lower=0, upper=1> p;", data=flips)
print(mine.data_declarations)
programs = [
    f"data {{ int N; array[N] int heads; }} parameters {{ real<lower=0, upper=1> p; }} model {{ p ~ beta({a}, {a}); heads ~ bernoulli(p); }}"
    for a in (1, 30)
]
answer = llb.run(mine, programs=programs, out=Path(result.folder).parent / "my_coin", progress=False)
print(answer.models[["id", "log_evidence", "weight"]].to_string(index=False))
print(answer.posterior["llb"])

# %% [markdown]
# One program alone: `llb.fit` gives its posterior summary, draws and log evidence.

# %%
fit = llb.fit(programs[0], data=flips)
print(fit.summary.to_string(index=False))
print(f"log evidence {fit.log_evidence:.3f} ± {fit.evidence.error:.3f} ({fit.evidence.method})")
