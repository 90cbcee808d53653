# %% [markdown]
# # How many humans do I need?
#
# `ss.plan_pilot` predicts the CI half-width of the population mean at each pilot size from the
# correlation between cross-fitted predictions and answers. We check its predictions against
# resampling: draw many pilots of each size from the bundled simulated study (whose human
# answers are all known), and measure the half-widths PPI++ actually gives.

# %%
import numpy as np
import pandas as pd

import synthsurvey as ss

study = ss.datasets.load_simulated()
feats = ss.features(study.samples)
formula = ss.default_formula("belief", [1, 2, 3, 4, 5], ["age", "female", "C(educ)", "ideology", "rural"])
everyone = study.humans[study.humans["item"] == "belief"]
fit = ss.debias(formula, None, study.pilot, study.covariates, features=feats)
plan = ss.plan_pilot(fit, half_width=0.1)
print(f"from the bundled pilot of {fit.nobs}: rho = {plan.rho:.3f}, sd = {plan.sd:.3f}")
print(f"pilot size for a half-width of 0.1: {plan.n_ppi} with PPI++, {plan.n_classical} alone")

# %%
sizes = [100, 200, 400]
rng = np.random.default_rng(3)
measured = []
for size in sizes:
    for _ in range(25):
        pilot = everyone[everyone["id"].isin(rng.choice(study.covariates["id"].to_numpy(), size, replace=False))]
        estimate = ss.population_mean(ss.debias(formula, None, pilot, study.covariates, features=feats))
        measured.append({"n": size, "half_width": (estimate.ci_high - estimate.ci_low) / 2})
measured = pd.DataFrame(measured).groupby("n")["half_width"].mean()
predicted = plan.curve(sizes).set_index("n")
comparison = pd.DataFrame({"predicted_ppi": predicted["half_width_ppi"], "measured_ppi": measured,
                           "predicted_pilot_alone": predicted["half_width_classical"]})
comparison["ratio"] = comparison["measured_ppi"] / comparison["predicted_ppi"]
print(comparison.round(4))
