"""Population mean of ``belief`` on the bundled simulated study, over repeated random pilots.

Each replication draws a simple random pilot of 200 of the 2,000 people (their human
answers are all known in this simulated world, so the finite-population truth is known)
and estimates the population mean by:
* base LLM         the mean of everybody's draw means (no humans);
* pilot only       the pilot's mean, classical CI with finite-population correction;
* PPI++ scalar     cross-fit PPI++ with predictions from the human answer on the draw mean;
* PPI++ full       cross-fit PPI++ with the full draw vector plus covariates (the default);
* ppi-python       ppi-python's ppi_mean_ci (PPI++) fed each respondent's mean LLM answer as
                   the prediction, pilot as labeled and the other 1,800 as unlabeled: what a
                   user of that package does today.
* PPI++ best possible  PPI++ (synthsurvey.ppi.mean) fed the best prediction anyone could make
                   from the observed data: each person's E[answer | LLM draws, covariates]
                   computed with the simulation's own parameters (simulate.best_prediction). No
                   debiaser learnt from a pilot can beat it, so its width is the floor.
Prints mean absolute error, mean CI width, width relative to pilot only, and coverage, and
three references for the width: PPI++'s width relative to pilot only is about sqrt(1 - rho^2)
for predictions correlated rho with the answers, so it prints that figure for the expected
answer given the latent traits the simulation drew (which no data reveal in full), for the
best prediction from the observed data (as above), and for the default formula's OLS fit
in-sample on all 2,000 people (the most a linear debiaser of these features can reach).
Targets (issue 4): PPI++ full error >= 75% below base LLM, width <= 0.6x pilot only,
coverage 94-96%, width <= 0.85x ppi-python's at equal coverage.
Usage: python benchmarks/inference.py [replications]
"""

import sys

import numpy as np
import pandas as pd

import scipy.stats

import synthsurvey as ss
from synthsurvey.inference import ppi
from synthsurvey.io.simulate import best_prediction, simulate_study

COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]
N_PILOT = 200


def main():
    replications = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    study = ss.datasets.load_simulated()
    fresh = simulate_study()
    if not fresh.samples.equals(study.samples.astype(fresh.samples.dtypes)):
        raise SystemExit("the bundled study is not simulate_study()'s default: regenerate data/")
    humans = study.humans
    best = best_prediction(study.samples, study.covariates).set_index("id")["belief"]
    z = scipy.stats.norm.ppf(0.975)
    feats = ss.features(study.samples)
    truth = humans.loc[humans["item"] == "belief", "response"].mean()
    full = ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES)
    scalar = "belief ~ llm_mean"
    import ppi_py

    rng = np.random.default_rng(2026)
    ids = study.covariates["id"].to_numpy()
    records = []
    for _ in range(replications):
        pilot = humans[humans["id"].isin(rng.choice(ids, N_PILOT, replace=False))]
        fit_full = ss.debias(full, None, pilot, study.covariates, features=feats)
        fit_scalar = ss.debias(scalar, None, pilot, study.covariates, features=feats)
        results = {
            "pilot only": ss.population_mean(fit_full, method="classical"),
            "PPI++ scalar": ss.population_mean(fit_scalar),
            "PPI++ full": ss.population_mean(fit_full),
        }
        for method, result in results.items():
            records.append({"method": method, "estimate": result.estimate,
                            "low": result.ci_low, "high": result.ci_high})
        frame = fit_full.frame
        y = frame.loc[frame["is_pilot"], "response"].to_numpy()
        f = frame.loc[frame["is_pilot"], "llm_mean"].to_numpy()
        f_rest = frame.loc[~frame["is_pilot"], "llm_mean"].to_numpy()
        low, high = ppi_py.ppi_mean_ci(y, f, f_rest, alpha=0.05)
        point = ppi_py.ppi_mean_pointestimate(y, f, f_rest)
        records.append({"method": "ppi-python (draw mean)", "estimate": float(np.ravel(point)[0]),
                        "low": float(np.ravel(low)[0]), "high": float(np.ravel(high)[0])})
        pilot_ids = frame.loc[frame["is_pilot"], "id"]
        floor = ppi.mean(y, best.loc[pilot_ids].to_numpy(), best.to_numpy())
        estimate, se = float(floor.estimate[0]), float(floor.std_error[0])
        records.append({"method": "PPI++ best possible", "estimate": estimate,
                        "low": estimate - z * se, "high": estimate + z * se})
        base = frame["llm_mean"].mean()
        records.append({"method": "base LLM", "estimate": base, "low": np.nan, "high": np.nan})
    table = pd.DataFrame(records)
    table["error"] = (table["estimate"] - truth).abs()
    table["width"] = table["high"] - table["low"]
    table["covered"] = (table["low"] <= truth) & (truth <= table["high"])
    summary = table.groupby("method", sort=False).agg(
        mae=("error", "mean"), width=("width", "mean"), coverage=("covered", "mean"))
    summary.loc["base LLM", "coverage"] = np.nan
    summary["width_vs_pilot"] = summary["width"] / summary.loc["pilot only", "width"]
    print(f"belief on the bundled study: truth {truth:.4f}, {replications} random pilots of {N_PILOT}")
    print(summary.to_string(float_format=lambda v: f"{v:.4f}"))
    full_row, base_row = summary.loc["PPI++ full"], summary.loc["base LLM"]
    peer = summary.loc["ppi-python (draw mean)"]
    mc = np.sqrt(0.95 * 0.05 / replications)
    print(f"PPI++ full: error {100 * (1 - full_row['mae'] / base_row['mae']):.1f}% below base LLM (target >= 75%); "
          f"width {full_row['width_vs_pilot']:.3f}x pilot only (target <= 0.6); coverage {full_row['coverage']:.3f} "
          f"(target 0.94-0.96; Monte-Carlo se {mc:.3f})")
    print(f"width vs ppi-python fed the draw mean: {full_row['width'] / peer['width']:.3f}x (target <= 0.85); "
          f"coverage {full_row['coverage']:.3f} vs {peer['coverage']:.3f}")
    print(f"width of PPI++ fed the best possible predictions: {summary.loc['PPI++ best possible', 'width_vs_pilot']:.3f}x "
          f"pilot only; coverage {summary.loc['PPI++ best possible', 'coverage']:.3f}")
    latent, observed, linear = width_references(study, feats, full, fresh.expected, best)
    print(f"reference widths vs pilot only, sqrt(1 - rho^2): expected answer given the latent traits {latent:.3f}; "
          f"best prediction from the draws and covariates {observed:.3f}; "
          f"default formula's OLS fit in-sample on all {len(study.covariates):,} people {linear:.3f}")


def width_references(study, feats, formula, expected, best):
    """sqrt(1 - rho^2) for the simulation's expected answers given the latent traits, for the best
    prediction from the observed data and for an in-sample OLS fit of ``formula`` on every
    person's human answer."""
    belief = study.humans.query("item == 'belief'").set_index("id")["response"]
    expected = expected.set_index("id")["belief"].loc[belief.index]
    fit = ss.debias(formula, None, study.humans, study.covariates, features=feats)
    predicted = fit.predict().set_index("id")["prediction"].loc[belief.index]
    return tuple(np.sqrt(1 - np.corrcoef(values, belief)[0, 1] ** 2)
                 for values in (expected, best.loc[belief.index], predicted))


if __name__ == "__main__":
    main()
