"""Issue 16's target with a tuned source: is the combination of sources no wider than the best
single source, and do its intervals cover?

A source tuned on part of the pilot predicts those people from their own answers, so a debiaser
that reads it is trained and corrected on the untouched pilot rows only ("masked"). The package's
population mean stacks two control variates instead (``synthsurvey.inference.tuned``): the
predictions of the formula without the tuned source over the whole pilot, and the fit's own over
the untouched rows, so that every pilot answer is used. This script measures, on the three-source
world of the coverage tests (``tests/statistical/sources_world.py``: 2,000 people, pilots of 250,
the fine-tuned source tuned on a random half of each), each source alone, the untuned sources
combined, all sources combined as the package estimates it (stacked), and the masked estimator it
replaced (PPI++ on the untouched rows, computed here from the fit's cross-fitted predictions).

Prints, over REPLICATIONS pilots: each estimator's mean CI width, width relative to the best
single source, the Monte-Carlo SD of its estimates against its mean SE, and coverage of the
population mean (Monte-Carlo SE of a coverage near 0.95: sqrt(0.95 * 0.05 / REPLICATIONS)).
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import synthsurvey as ss  # noqa: E402
from synthsurvey.inference import ppi  # noqa: E402
from synthsurvey.inference.population import estimation_inputs  # noqa: E402
from tests.statistical.sources_world import COVARIATES, SourcesWorld  # noqa: E402

REPLICATIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
N_PILOT = 250
UNTUNED = f"belief ~ llm_auto[base] + llm_auto[persona] + {COVARIATES}"
COMBINED = f"belief ~ llm_auto[base] + llm_auto[persona] + llm_auto[finetuned] + {COVARIATES}"


def masked(fit):
    """(estimate, SE) of PPI++ on the fit's untouched pilot rows alone (the estimator stacking
    replaced)."""
    inputs = estimation_inputs(fit, "response", True, 5, 0, None, None)
    result = ppi.mean(inputs.answers, inputs.predictions[inputs.is_pilot], inputs.predictions, "ppi++",
                      inputs.sampling)
    return result.estimate[0], result.std_error[0]


def main():
    warnings.filterwarnings("ignore")
    world = SourcesWorld()
    truth = world.truth().mean()
    rng = np.random.default_rng(7)
    rows = []
    for _ in range(REPLICATIONS):
        pilot, tuned, features = world.replication(rng, N_PILOT)
        declared = {"finetuned": tuned}
        row = {}
        for name, formula, source in (("base", f"belief ~ llm_auto + {COVARIATES}", "base"),
                                      ("persona", f"belief ~ llm_auto + {COVARIATES}", "persona"),
                                      ("finetuned", f"belief ~ llm_auto + {COVARIATES}", "finetuned"),
                                      ("untuned combined", UNTUNED, None),
                                      ("combined (stacked)", COMBINED, None)):
            fit = world.fit(formula, pilot, features, source=source, tuned_on=declared)
            table = ss.population_mean(fit).table()
            row[(name, "estimate")], row[(name, "se")] = table["estimate"][0], table["std_error"][0]
            if name == "combined (stacked)":
                row[("combined (masked)", "estimate")], row[("combined (masked)", "se")] = masked(fit)
        rows.append(row)
    results = pd.DataFrame(rows)
    names = ["base", "persona", "finetuned", "untuned combined", "combined (masked)", "combined (stacked)"]
    table = pd.DataFrame({
        "width": [2 * 1.96 * results[(name, "se")].mean() for name in names],
        "mc_sd": [results[(name, "estimate")].std() for name in names],
        "mean_se": [results[(name, "se")].mean() for name in names],
        "coverage": [(np.abs(results[(name, "estimate")] - truth) <= 1.96 * results[(name, "se")]).mean()
                     for name in names]}, index=names)
    table["width_vs_best_single"] = table["width"] / table.loc[["base", "persona", "finetuned"], "width"].min()
    print(f"{REPLICATIONS} pilots of {N_PILOT}; coverage Monte-Carlo SE {np.sqrt(0.95 * 0.05 / REPLICATIONS):.3f}")
    print(table.round(4).to_string())


if __name__ == "__main__":
    main()
