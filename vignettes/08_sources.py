# %% [markdown]
# # Which LLM source is worth the most humans?
#
# A study rarely asks one model once. Here three sources answer the same two questions for all
# 2,000 people of a simulated population (`ss.simulate_sources`):
#
# * `base`: a base model that hedges to the neutral answer and compresses every effect;
# * `persona`: the same people described in a persona prompt: little hedging, but its answers are
#   shifted and it exaggerates ideology;
# * `finetuned`: a model fine-tuned on half of the human pilot: less bias, more noise, and for the
#   people it was tuned on it has memorised the answer.
#
# A pilot of 250 people answered too. We debias each source alone and all of them together, and
# ask: which source is worth most pilot answers, does combining them help, how many draws per
# person are worth paying for, and what does the fine-tuned source's memory cost?

# %%
import matplotlib.pyplot as plt
import pandas as pd

import synthsurvey as ss

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 20)

study = ss.simulate_sources()
print(study.samples.groupby("source")["draw"].nunique().rename("draws per person"))
covariates = ["age", "female", "C(educ)", "ideology", "rural"]

# %% [markdown]
# ## Several sources in one formula
# With a `source` column in `samples`, features are computed per (person, item, source).
# `llm_mean[persona]` names the persona source's draw mean, `llm_mean[action]` the same person's
# draw mean on another item, `llm_auto` the draw features chosen by cross-validation inside the
# pilot (`ss.default_formula`'s default). `tuned_on=` declares the people the fine-tuned source saw:
# their pilot answers then neither fit nor correct any debiaser that reads that source. Population
# means and the analyst's coefficients still use them: they are stacked over the tuned source (the
# same formula without it, fit on the whole pilot, is a second control variate; see the README).

# %%
belief = ss.debias(ss.default_formula("belief", [1, 2, 3, 4, 5], covariates), study.samples, study.pilot,
                   study.covariates, source="base", tuned_on=study.tuned_on)
action = ss.debias("action ~ llm_mean + female", study.samples, study.pilot, study.covariates, family="logit",
                   source="base", tuned_on=study.tuned_on)
print(belief.summary())
mixed = ss.debias("belief ~ llm_auto[base] + llm_mean[persona] + llm_mean[action, persona] + ideology",
                  study.samples, study.pilot, study.covariates)
print(mixed.params.round(3))

# %% [markdown]
# ## Each source alone and combined
# `ss.compare_sources` refits the debiasers on every source alone, on all of them together
# (`combined`) and on the sources that were not tuned on pilot people (`combined untuned`), and sets
# the fidelity axes and the population mean's value side by side. `n_pilot` counts the pilot answers
# that train each debiaser, `n_labeled_mean` those the population mean uses, and `n_effective` the
# pilot answers alone the PPI++ estimate is worth.

# %%
comparison = ss.compare_sources([belief, action], formula="belief ~ age + female + C(educ) + ideology + rural",
                                by="educ", coherence=("belief", "action"), draws=(1, 2, 5, 10, None),
                                half_width=0.08, cost_human=5.0, cost_draw=0.002)
wide = comparison.wide[comparison.wide["item"] == "belief"].set_index("variant")
print(wide[["n_pilot", "n_labeled_mean", "half_width", "n_effective_mean", "n_effective_coef", "w1_base", "w1_debiased",
            "rmse_base", "rmse_debiased", "attenuation_raw", "coherence_slope_diff_raw"]].round(3))

# %% [markdown]
# The statements below are computed from the table, not written by hand.

# %%
singles = wide.loc[["base", "persona", "finetuned"]]
best = singles["n_effective_mean"].idxmax()
print(f"Alone, {best} is worth the most: {singles.loc[best, 'n_effective_mean']:.0f} pilot answers "
      f"({singles.loc[best, 'n_pilot']} used).")
for variant in ("combined", "combined untuned"):
    ratio = wide.loc[variant, "half_width"] / singles["half_width"].min()
    print(f"{variant}: a CI {ratio:.3f}x as wide as the best single source's.")
print(f"The fine-tuned source is trained on {wide.loc['finetuned', 'n_pilot']} untouched pilot answers; stacked, "
      f"its mean uses all {wide.loc['finetuned', 'n_labeled_mean']}. Combined with it the mean is worth "
      f"{wide.loc['combined', 'n_effective_mean']:.0f} answers, without it "
      f"{wide.loc['combined untuned', 'n_effective_mean']:.0f}.")
print(f"Raw draws attenuate the analyst's coefficients to {singles['attenuation_raw'].round(2).to_dict()} of the "
      "pilot's; the debiased predictions to "
      f"{singles['attenuation_debiased'].round(2).to_dict()}.")

# %% [markdown]
# ## How many draws per person?
# The draws curve refits every variant on the first m draws of each person and source (the same
# pilot and folds): where it flattens, more draws buy nothing.

# %%
curve = comparison.draws
figure, axis = plt.subplots(figsize=(6, 3.5))
for variant, points in curve.groupby("variant", sort=False):
    axis.plot(points["draws_per_person"], points["n_effective_mean"], marker="o", label=variant)
axis.set_xscale("log")
axis.set_xlabel("LLM draws per person")
axis.set_ylabel("n_effective of the mean")
axis.legend(fontsize=8)
print(curve[["variant", "draws", "draws_per_person", "n_effective_mean", "rho"]].round(3))

# %% [markdown]
# ## The cost view
# A human answer costs 5, an LLM draw 0.002. For a CI half-width of 0.08, the cheapest pilot size
# and number of people with predictions only at each number of draws (the mixed-subjects design of
# `ppi_py.ppi_power`), against the pilot alone (draws 0):

# %%
cost = comparison.cost
print(cost[cost["best"]][["variant", "draws_per_person", "rho", "n", "n_unlabeled", "cost"]].round(3))
alone = cost.loc[cost["draws"] == 0, "cost"].iloc[0]
cheapest = cost.loc[cost["cost"].idxmin()]
print(f"Cheapest: {cheapest['variant']} with {cheapest['draws_per_person']:.0f} draws per person, "
      f"{cheapest['n']} answers and {cheapest['n_unlabeled']} people predicted only: {cheapest['cost']:.0f} "
      f"against {alone:.0f} for the pilot alone.")

# %%
path = ss.report(comparison, "sources_report.html", title="Three LLM sources compared")
print(path)
