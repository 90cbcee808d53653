# %% [markdown]
# # Full draw vector vs the mean alone
#
# On every bundled data set and over 50 random pilots each: individual RMSE on the people
# outside the pilot, and the population mean's error and CI width, for `base` (the uncorrected
# LLM mean), `scalar` (the human answer regressed on the draw mean) and `full` (the default
# full-vector right-hand side), each with the same covariates where the data have them.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import synthsurvey as ss

REPLICATIONS = 50


def compare(name, samples, humans, covariates, item, scale, covariate_terms, n_pilot, key="id", scales=None):
    feats = ss.features(samples, key=key, scales=scales)
    truth_rows = humans[humans["item"] == item]
    truth = truth_rows["response"].mean()
    population = covariates["id"].to_numpy()
    rng = np.random.default_rng(0)
    formulas = {"scalar": ss.default_formula(item, scale, covariate_terms, variant="mean"),
                "full": ss.default_formula(item, scale, covariate_terms, features=feats)}
    records = []
    for _ in range(REPLICATIONS):
        pilot = truth_rows[truth_rows["id"].isin(rng.choice(population, n_pilot, replace=False))]
        for method, formula in formulas.items():
            fit = ss.debias(formula, None, pilot, covariates, key=key, scales=scales, features=feats)
            outside = fit.baselines().query("not is_pilot").merge(truth_rows, on="id", suffixes=("", "_human"))
            estimate = ss.population_mean(fit)
            records.append({"data": name, "method": method,
                            "rmse": ss.metrics.rmse(outside["response_human"], outside["debiased"]),
                            "mean_error": abs(estimate.estimate - truth), "ci_width": estimate.ci_high - estimate.ci_low})
            if method == "scalar":
                records.append({"data": name, "method": "base",
                                "rmse": ss.metrics.rmse(outside["response_human"], outside["base"]),
                                "mean_error": abs(fit.frame["llm_mean"].mean() - truth), "ci_width": np.nan})
    return pd.DataFrame(records)


simulated = ss.datasets.load_simulated()
twin = ss.datasets.load_twin2k500()
smartvote = ss.datasets.load_smartvote()
results = pd.concat([
    compare("simulated (40 draws)", simulated.samples, simulated.humans, simulated.covariates, "belief",
            [1, 2, 3, 4, 5], ["age", "female", "C(educ)", "ideology", "rural"], 200),
    compare("Twin-2K-500 (1 draw)", twin.samples[twin.samples["id"].isin(twin.covariates["id"])], twin.humans,
            twin.covariates, "rating_1_1", "continuous", ["age", "female", "ideology_7pt"], 200, scales=twin.scales),
    compare("Smartvote (50 draws per party)", smartvote.samples, smartvote.humans,
            smartvote.covariates[smartvote.covariates["party"] != "Übrige"], "q32214", "continuous", [], 200,
            key="party", scales=smartvote.scales),
])
summary = results.groupby(["data", "method"], sort=False).mean().round(4)
print(summary)

# %% [markdown]
# ## What the numbers say
# The statements below are computed from the table above, not written by hand.

# %%
for name, rows in summary.groupby(level="data", sort=False):
    rows = rows.droplevel("data")
    gain = 1 - rows.loc["full", "rmse"] / rows.loc["scalar", "rmse"]
    width = rows.loc["full", "ci_width"] / rows.loc["scalar", "ci_width"]
    verdict = "helps" if gain > 0.01 else ("does not help" if gain > -0.01 else "hurts")
    print(f"{name}: the full vector {verdict} (individual RMSE {100 * gain:+.1f}% vs scalar; "
          f"CI width {width:.3f}x scalar's)")

# %%
figure, axes = plt.subplots(1, 3, figsize=(12, 3.5))
for axis, metric in zip(axes, ["rmse", "mean_error", "ci_width"]):
    summary[metric].unstack("method").plot.bar(ax=axis, rot=15, legend=metric == "rmse")
    axis.set_title(metric)
    axis.set_xlabel("")
figure.tight_layout()
