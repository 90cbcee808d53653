# %% [markdown]
# # A whole questionnaire, from messy files to the report
#
# A survey of 2,500 people on 8 items (five 5-point items, two 7-point items, one yes/no), each
# person's LLM twin answering 20 times, and a human pilot of 300 exported from Qualtrics: one
# column per item, two extra header rows, response ids like `R_3fGh...`, `99` for "don't know",
# a few empty cells. The covariates come as a semicolon-separated file. We go from these files
# to population estimates of every item, first with a study file and the command line, then in
# Python with `ss.debias_items`, and end with the report.
#
# The data are simulated (`ss.simulate_questionnaire`), so every person's human answer is known
# and we can check the estimates against the truth.

# %%
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import synthsurvey as ss
from synthsurvey.io.readers import read_humans, read_samples, read_table, rename_id
from synthsurvey.io.simulate_questionnaire import item_plan

folder = Path("questionnaire_files")
(folder / "draws").mkdir(parents=True, exist_ok=True)
q = ss.simulate_questionnaire(n_people=2500, n_draws=20, n_pilot=300, items=item_plan(5, 2, 1), seed=11,
                              ids="qualtrics", dont_know=(99, 0.04), pilot_missing=0.02)

# the LLM draws: a folder of CSV files, whole respondents per file
draws = q.samples.rename(columns={"id": "ResponseId"})
for part, ids in enumerate(np.array_split(draws["ResponseId"].unique(), 4)):
    draws[draws["ResponseId"].isin(ids)].to_csv(folder / "draws" / f"draws_{part}.csv", index=False)
# the pilot: a Qualtrics export (header, question texts, ImportIds), one column per item
wide = q.pilot.pivot(index="id", columns="item", values="response").reset_index()
wide = wide.rename(columns={"id": "ResponseId"}).rename_axis(columns=None)
top = pd.DataFrame([[f"Text of {c}" for c in wide.columns], [json.dumps({"ImportId": c}) for c in wide.columns]],
                   columns=wide.columns)
pd.concat([top, wide.astype(object)]).to_csv(folder / "pilot_export.csv", index=False)
q.covariates.rename(columns={"id": "ResponseId"}).to_csv(folder / "people.csv", sep=";", index=False)
print((folder / "pilot_export.csv").read_text().splitlines()[3][:100])

# %% [markdown]
# ## Reading the files
# The readers sniff the delimiter, drop the two Qualtrics rows and melt the wide pilot; the id
# column is named `ResponseId` in every file.

# %%
samples = read_samples(folder / "draws").rename(columns={"ResponseId": "id"})
humans = read_humans(folder / "pilot_export.csv", wide=True, id_column="ResponseId",
                     items=samples["item"].unique())
people = rename_id(read_table(folder / "people.csv"), "ResponseId", "covariates", folder / "people.csv")
print(samples.shape, humans.shape, people.shape)
print(humans.head())

# %% [markdown]
# ## Don't-know codes are not answers
# Left to itself, scale inference would see `99` beside `1..5` and make the item continuous
# (population mean about 6 instead of 3). It refuses, names the values and says how to declare
# them:

# %%
try:
    ss.infer_scales(samples, humans)
except ss.SynthsurveyError as error:
    print(error)

# %%
print(ss.infer_scales(samples, humans, scales={"missing": [99]})[["item", "kind", "levels", "missing"]])

# %% [markdown]
# ## The study file and the command line
# One TOML file names the files, the codes, the formulas' covariates, an ordinal family for the
# first item and an analyst formula for its structural check. `synthsurvey run` writes the tidy
# files (numbers to 4 significant digits) and the report.

# %%
(folder / "study.toml").write_text("""
[data]
samples = "draws"
humans = "pilot_export.csv"
covariates = "people.csv"
wide = true
id_column = "ResponseId"

[options]
out = "results"
missing = [99]
covariate_terms = ["age", "female", "C(educ)", "ideology"]
by = ["educ"]

[items.q01]
family = "ordinal"
analyst = "q01 ~ age + ideology"
""")
run = subprocess.run([sys.executable, "-m", "synthsurvey", "run", str(folder / "study.toml")], capture_output=True,
                     text=True)
print(run.stdout, run.stderr)
print(sorted(p.name for p in (folder / "results").iterdir()))

# %% [markdown]
# A user error ends with one line and exit status 2, never a traceback: here the wide file read
# as long.

# %%
wrong = subprocess.run([sys.executable, "-m", "synthsurvey", "--samples", str(folder / "draws"), "--humans",
                        str(folder / "pilot_export.csv"), "--id-column", "ResponseId", "--formula", "q01 ~ llm_mean"],
                       capture_output=True, text=True)
print(wrong.returncode, wrong.stderr)

# %% [markdown]
# ## The same in Python: `ss.debias_items`
# Features are computed once for all items; each item gets its default formula (its feature set
# plus the covariates) and family (logit for the yes/no item), here the ordinal family for `q01`.
# Missing answers and don't-know codes are left out of their own item only, and counted.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ss.SynthsurveyWarning)
    study = ss.debias_items(samples, humans, people, scales={"missing": [99]},
                            covariate_terms=["age", "female", "C(educ)", "ideology"], families={"q01": "ordinal"})
print(study.summary())
print(study["q01"].exclusions)

# %% [markdown]
# ## Against the truth
# Every person's human answer is known here: the PPI++ intervals should cover the population
# means (about 95% of them), and be narrower than the pilot's alone.

# %%
table = study.population().table()
means = table[table["term"] == "mean"].pivot(index="item", columns="method", values=["estimate", "ci_low", "ci_high"])
truth = q.truth.set_index("item")["mean"]
check = pd.DataFrame({"truth": truth, "base LLM": means["estimate"]["base LLM"],
                      "PPI++": means["estimate"]["ppi++"], "low": means["ci_low"]["ppi++"],
                      "high": means["ci_high"]["ppi++"]})
check["covers"] = (check["low"] <= check["truth"]) & (check["truth"] <= check["high"])
width = lambda method: means["ci_high"][method] - means["ci_low"][method]  # noqa: E731
check["width vs pilot alone"] = width("ppi++") / width("classical")
print(check.round(3))

# %% [markdown]
# ## The report
# The first screen has one row per item and a forest plot; each item has its own section with the
# held-out (cross-fitted) marginal comparison, its human floor, subgroups and the exclusions.

# %%
path = study.report("questionnaire_report.html", analyst={"q01": "q01 ~ age + ideology"}, by=["educ"])
print("report written to", path)
