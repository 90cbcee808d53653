# %% [markdown]
# # Survey designs: stratified, clustered pilots, and pilots chosen from the draws
#
# A pilot is rarely a simple random sample. Here the bundled study's 2,000 people live in
# households of four, in three regions, and the pilot recruited **whole households**, twice as
# many in the west as in the north or south. `ss.debias` takes that description (as
# `survey::svydesign` would: clusters, strata, inclusion probabilities) and every estimate from
# the fit uses it: Hajek estimators weighted by the design, cluster-robust stratified variances
# equal to the survey package's, t intervals on the design's degrees of freedom, and
# cross-fitting folds of whole households. Every human answer is known in this simulated world,
# so we can check.

# %%
import numpy as np
import pandas as pd

import synthsurvey as ss

study = ss.datasets.load_simulated()
everyone = study.humans
people = study.covariates.assign(household=(study.covariates["id"] - 1) // 4)
people["region"] = np.array(["north", "south", "west"])[people["household"] % 3]
rng = np.random.default_rng(15)
households = people.drop_duplicates("household")
chosen = np.concatenate([rng.choice(households.loc[households["region"] == region, "household"], size, replace=False)
                         for region, size in (("north", 12), ("south", 12), ("west", 24))])
pilot = everyone[everyone["id"].isin(people.loc[people["household"].isin(chosen), "id"])]
print(f"pilot: {pilot['id'].nunique()} people in {len(chosen)} whole households")

formula = ss.default_formula("belief", [1, 2, 3, 4, 5], ["age", "female", "C(educ)", "ideology", "rural"])
fit = ss.debias(formula, study.samples, pilot, people, cluster="household", strata="region")
truth = everyone.loc[everyone["item"] == "belief", "response"].mean()
print(fit.pilot_design)

# %% [markdown]
# The design is what the population estimates assume. Beside it, the same pilot analysed as if it
# were a simple random sample of people: its point estimate ignores that the west is
# oversampled, and its degrees of freedom count people, not households.

# %%
rows = []
for label, one in (("as drawn (strata, households)", fit), ("as if simple random", fit.with_design(ss.Design()))):
    for method in ("classical", "ppi++"):
        table = ss.population_mean(one, method=method).table()
        rows.append({"design": label, "method": method, **table[["estimate", "std_error", "df", "ci_low",
                                                                  "ci_high", "n_effective"]].iloc[0].to_dict()})
print(pd.DataFrame(rows).round(4).to_string(index=False))
print(f"truth: {truth:.4f}")

# %% [markdown]
# Subgroups are domains of the whole design (as `survey::svyby` makes them); a group with fewer
# than `min_pilot` pilot households, or with identical answers, keeps its estimate but gets no
# interval, and its `flag` says why. Totals are Horvitz-Thompson (`survey::svytotal` for the
# pilot alone), and the analyst's regression coefficients carry the design-based sandwich with a
# leverage (HC2) correction for small pilots.

# %%
print(ss.population_mean(fit, by="educ").table()[["educ", "estimate", "std_error", "df", "n_labeled",
                                                   "n_effective", "flag"]].round(3).to_string(index=False))
print(ss.population_total(fit).table()[["estimate", "std_error", "df"]].round(1).to_string(index=False))
print(ss.population_ols(fit, "belief ~ age + ideology + rural").table()[
    ["term", "estimate", "std_error", "df", "ci_low", "ci_high"]].round(4).to_string(index=False))

# %% [markdown]
# ## Pilots chosen from the draws
#
# Before anyone is recruited, every person's LLM draws and covariates exist. `ss.design_pilot`
# turns them into a stratified design: the analyst's subgroups (every level gets at least
# `min_per_group` answers) crossed with bands of the draws' spread, a Neyman allocation on the
# predicted spreads, and a guard that keeps the plan within 2% of a simple random pilot's
# interval width whatever the true spreads turn out to be. It returns whom to recruit and the
# design `ss.debias` takes back.

# %%
plan = ss.design_pilot(study.samples, study.covariates, 200, "belief", by="educ", seed=2)
print(plan.summary())
recruited = everyone[everyone["id"].isin(plan.recruit["id"])]
planned = ss.debias(formula, study.samples, recruited, plan.covariates, design=plan.design)
simple = everyone[everyone["id"].isin(rng.choice(study.covariates["id"], 200, replace=False))]
random_fit = ss.debias(formula, study.samples, simple, study.covariates)
for label, one in (("planned", planned), ("simple random", random_fit)):
    result = ss.population_mean(one)
    print(f"{label:>13}: {result.estimate:.4f} [{result.ci_low:.4f}, {result.ci_high:.4f}], "
          f"width {result.ci_high - result.ci_low:.4f}")

# %% [markdown]
# On this study the draws' spread barely predicts how far a person's answer falls from the
# debiased prediction, so the plan's gain is small (its own prediction is printed above; over
# repeated pilots, `benchmarks/inference.py` measures it). What it guarantees is that every
# education level is in the pilot with at least ten answers, and that the interval cannot be
# more than 2% wider than a simple random pilot's. Where human-LLM disagreement does grow with
# the draws' spread, or where strata (such as Smartvote's parties) explain what the predictions
# miss, the planned pilot is narrower.
