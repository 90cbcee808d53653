# %% [markdown]
# # Quick start: a real survey, its LLM twins, and a small human pilot
#
# Twin-2K-500 (Apache-2.0) paired 799 real US respondents of the *Promiscuous donors* study with
# an LLM "digital twin" of each of them. We pretend we could afford only 200 human answers: a
# random pilot. Everybody else is predicted from the twin's answer and covariates, and the
# pilot corrects the predictions (cross-fitted PPI++). Because all 799 humans did answer, we can
# check the estimate against the truth at the end.

# %%
import numpy as np
import pandas as pd

import synthsurvey as ss

data = ss.datasets.load_twin2k500()
print(data.citation)
print(data.notes)
item = "rating_1_1"
people = data.covariates
print(data.items.set_index("variable").loc[item, ["study", "scale_min", "scale_max", "corr_human_twin"]])

# %% [markdown]
# ## Features of the LLM draws
# One twin answer per person here, so the spread features are constant; `default_formula`
# leaves such features out.

# %%
feats = ss.features(data.samples, scales=data.scales)
print(feats[feats["item"] == item].head())
formula = ss.default_formula(item, data.scales[item], ["age", "female", "ideology_7pt", "C(party_id_code)"],
                             features=feats)
print(formula)

# %% [markdown]
# ## A pilot of 200 and the debiasing regression

# %%
rng = np.random.default_rng(1)
everyone = data.humans[data.humans["item"] == item]
pilot_ids = rng.choice(people["id"].to_numpy(), 200, replace=False)
pilot = everyone[everyone["id"].isin(pilot_ids)]
samples = data.samples[data.samples["id"].isin(people["id"])]
fit = ss.debias(formula, samples, pilot, people, scales=data.scales)
print(fit.summary())

# %% [markdown]
# ## Population estimates with confidence intervals

# %%
truth = everyone["response"].mean()
rows = [
    ("human truth (all 799)", truth, np.nan, np.nan),
    ("LLM twins, uncorrected", fit.frame["llm_mean"].mean(), np.nan, np.nan),
]
for label, method in (("pilot alone", "classical"), ("PPI++ (cross-fit)", "ppi++")):
    estimate = ss.population_mean(fit, method=method)
    rows.append((label, estimate.estimate, estimate.ci_low, estimate.ci_high))
table = pd.DataFrame(rows, columns=["method", "estimate", "ci_low", "ci_high"])
table["ci_width"] = table["ci_high"] - table["ci_low"]
print(table.round(3).to_string(index=False))
for row in table.dropna().itertuples():
    print(f"{row.method}: the interval {'covers' if row.ci_low <= truth <= row.ci_high else 'misses'} the truth")
print(ss.population_mean(fit, by="female").table()[["female", "estimate", "ci_low", "ci_high", "n_effective"]].round(3))

# %% [markdown]
# ## The fidelity report

# %%
report_path = ss.report(fit, "quickstart_report.html", by=["female"])
print("report written to", report_path)
