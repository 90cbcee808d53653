# %% [markdown]
# # Group-level calibration
#
# Smartvote gives, for 8 parties and 75 questions, the candidates' answer distribution and 50
# GPT-4 draws for "a member of party X": 600 (question, party) cells. We fit a one-parameter
# calibration of the LLM's cell distributions (a temperature) on a few labeled cells and
# measure opinion alignment, 1 - W1/(C-1), on all the other cells, as a function of how many
# cells were labeled.

# %%
import matplotlib.pyplot as plt

import synthsurvey as ss

data = ss.datasets.load_smartvote()
cells = ss.group_cells(data.samples, data.humans, data.covariates, key="party")
print(cells.groupby(["item", "group"]).ngroups, "cells")
curve = ss.alignment_curve(cells, sizes=(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 50), replications=10, seed=0)
print(curve.round(4).to_string(index=False))

# %%
figure, axis = plt.subplots(figsize=(6, 3.5))
axis.errorbar(curve["n_labeled"], curve["gain"], yerr=curve["gain_sd"], marker="o")
axis.axhline(0, color="grey", linewidth=0.8)
axis.set_xscale("log")
axis.set_xlabel("labeled cells")
axis.set_ylabel("alignment gain on held-out cells")
figure.tight_layout()
