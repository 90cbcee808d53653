# %% [markdown]
# # Does my regression survive?
#
# An analyst wants `rating ~ age + female + ideology` on Twin-2K-500's *Promiscuous donors*
# ratings (799 real people, each beside an LLM twin). Do the twins' answers give the same
# coefficients as the humans? We compare, against a human pilot of 300: one twin answer per
# person as the respondent, the debiased predictions plugged in naively, and PPI++; and, since
# all 799 answered, the full human regression as the reference.

# %%
import numpy as np
import statsmodels.formula.api as smf

import synthsurvey as ss
from synthsurvey.evaluation.report import forest_figure

data = ss.datasets.load_twin2k500()
item = "rating_1_1"
people = data.covariates
everyone = data.humans[data.humans["item"] == item]
rng = np.random.default_rng(7)
pilot = everyone[everyone["id"].isin(rng.choice(people["id"].to_numpy(), 300, replace=False))]
samples = data.samples[data.samples["id"].isin(people["id"])]
fit = ss.debias(f"{item} ~ llm_mean + age + female + ideology_7pt", samples, pilot, people, scales=data.scales)

analyst = f"{item} ~ age + female + ideology_7pt"
recovery = ss.recover(fit, analyst)
per_term, overall = recovery.per_term(), recovery.overall()
print(overall.round(3).to_string(index=False))

# %% [markdown]
# ## Against the full human sample

# %%
full = smf.ols(f"response ~ age + female + ideology_7pt", everyone.merge(people, on="id")).fit()
table = recovery.table().pivot(index="term", columns="estimator", values="estimate")
table["all 799 humans"] = full.params.rename({"Intercept": "Intercept"})
print(table.round(3))

# %% [markdown]
# ## Forest plot

# %%
from IPython.display import HTML

HTML(forest_figure(recovery.table()))
