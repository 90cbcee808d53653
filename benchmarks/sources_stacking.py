"""Design study for issue 16's open target: can a combination of sources that includes a source
tuned on part of the pilot be no wider than the best single source?

Today's combined debiaser reads every source, so the pilot answers of the people the fine-tuned
source was tuned on are masked (its predictions of them repeat their answers): its PPI++ mean is
rectified on the untouched half only and comes out about sqrt(2) wider. This script measures, on
the three-source world of the coverage tests (``tests/statistical/sources_world.py``: 2,000
people, pilots of 250, the fine-tuned source tuned on a random half of each), a candidate that
keeps every pilot answer: stacked control variates,

    theta = mean_pilot(y) + lam1 (mean_N(f_u) - mean_pilot(f_u)) + lam2 (mean_{N-T}(f_c) - mean_U(f_c)),

f_u the cross-fitted predictions of the untuned sources combined (honest on the whole pilot),
f_c those of all sources combined (honest on the untouched pilot half U, and on the population
outside the tuned people T; U is a simple random sample of N - T given T). Each bracket has mean
0, so theta is unbiased for any (lam1, lam2); (lam1, lam2) minimise the variance estimated from
the pilot influence values (unclipped, as for several control variates), and the variance is the
pilot design's (simple random, fpc 1 - n/N) of u_i = (y_i - ybar)/n - lam1 (f_u,i - fbar_u)/n -
lam2 1[i in U] (f_c,i - fbar_c,U)/|U|. That approximates the second phase (U within the pilot)
by the first phase's fpc: it understates the f_c term's variance by about |U|/N (6% here) of
that term, which is small when lam2 is.

Prints, over REPLICATIONS pilots: each estimator's mean CI width, width relative to the best
single source, the Monte-Carlo SD of its estimates against its mean SE, and coverage of the
population mean (Monte-Carlo SE of a coverage near 0.95: sqrt(0.95 * 0.05 / REPLICATIONS)).
Not a product feature: the estimator is not in synthsurvey yet (see issue 16's note).
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import synthsurvey as ss  # noqa: E402
from synthsurvey.inference import designs  # noqa: E402
from synthsurvey.inference.population import estimation_inputs  # noqa: E402
from synthsurvey.inference.ppi import hajek  # noqa: E402
from tests.statistical.sources_world import COVARIATES, SourcesWorld  # noqa: E402

REPLICATIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
N_PILOT = 250
UNTUNED = f"belief ~ llm_auto[base] + llm_auto[persona] + {COVARIATES}"
COMBINED = f"belief ~ llm_auto[base] + llm_auto[persona] + llm_auto[finetuned] + {COVARIATES}"


def predictions(fit):
    """(Series of cross-fitted predictions by id, Series of pilot membership by id, pilot answers
    in the frame's order of pilot rows, their ids)."""
    inputs = estimation_inputs(fit, "response", True, 5, 0, None, None)
    ids = inputs.frame["id"].to_numpy()
    return (pd.Series(inputs.predictions, index=ids), pd.Series(inputs.is_pilot, index=ids),
            pd.Series(inputs.answers, index=ids[inputs.is_pilot]))


def stacked(world, pilot, tuned, features):
    declared = {"finetuned": tuned}
    f_u, in_pilot, answers = predictions(world.fit(UNTUNED, pilot, features, tuned_on=declared))
    f_c = predictions(world.fit(COMBINED, pilot, features, tuned_on=declared))[0].reindex(f_u.index)
    is_tuned = f_u.index.isin(tuned)
    pilot_ids = answers.index
    y, fu, fc = answers.to_numpy(), f_u[pilot_ids].to_numpy(), f_c[pilot_ids].to_numpy()
    untouched = ~pilot_ids.isin(tuned)
    # the package's Hajek influence values and simple-random design variance (ppi.mean's pieces)
    pilot = designs.from_sizes("subsample", len(y), len(f_u)).pilot
    y_mean, u_y = hajek(y[:, None], np.ones(len(y)))
    fu_mean, u_fu = hajek(fu[:, None], np.ones(len(y)))
    fc_mean, u_fc = hajek(fc[:, None], untouched.astype(float))
    u = np.column_stack([u_fu, u_fc])
    lam = np.linalg.solve(pilot.variance(u), pilot.covariance(u, u_y)).ravel()
    estimate = (y_mean[0] + lam[0] * (f_u.mean() - fu_mean[0])
                + lam[1] * (f_c[~is_tuned].mean() - fc_mean[0]))
    se = float(np.sqrt(pilot.variance(u_y - u @ lam[:, None])[0, 0]))
    return estimate, se, lam


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
                                      ("combined (today)", COMBINED, None)):
            table = ss.population_mean(world.fit(formula, pilot, features, source=source,
                                                 tuned_on=declared)).table()
            row[(name, "estimate")], row[(name, "se")] = table["estimate"][0], table["std_error"][0]
        estimate, se, lam = stacked(world, pilot, tuned, features)
        row[("stacked", "estimate")], row[("stacked", "se")] = estimate, se
        row[("stacked", "lam1")], row[("stacked", "lam2")] = lam
        rows.append(row)
    results = pd.DataFrame(rows)
    names = ["base", "persona", "finetuned", "untuned combined", "combined (today)", "stacked"]
    table = pd.DataFrame({
        "width": [2 * 1.96 * results[(name, "se")].mean() for name in names],
        "mc_sd": [results[(name, "estimate")].std() for name in names],
        "mean_se": [results[(name, "se")].mean() for name in names],
        "coverage": [(np.abs(results[(name, "estimate")] - truth) <= 1.96 * results[(name, "se")]).mean()
                     for name in names]}, index=names)
    table["width_vs_best_single"] = table["width"] / table.loc[["base", "persona", "finetuned"], "width"].min()
    print(f"{REPLICATIONS} pilots of {N_PILOT}; coverage Monte-Carlo SE {np.sqrt(0.95 * 0.05 / REPLICATIONS):.3f}")
    print(table.round(4).to_string())
    print(f"stacked: mean lam1 {results[('stacked', 'lam1')].mean():.3f}, mean lam2 {results[('stacked', 'lam2')].mean():.3f}")


if __name__ == "__main__":
    main()
