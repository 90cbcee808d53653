"""Individual accuracy of the debiasers on people outside the pilot, over random pilots.

Data sets: the bundled simulated study (5-point ``belief``, 40 draws, pilot 250), Twin-2K-500
(``rating_1_1``, one twin answer per person, pilot 200), Smartvote (``q32214``, 50 GPT-4 draws per
party persona, pilot 200) and a small-pilot world (a 7-point item, 10 draws, 20 covariate
columns, pilot 150; ``small_pilot_world``). For each, ``REPLICATIONS`` random pilots; per pilot
the held-out RMSE (people outside the pilot, the whole-pilot model's predictions) of

* base     the uncorrected LLM: each person's mean of draws;
* scalar   the answer regressed on the draw mean and the covariates (``variant="mean"``);
* full     the full draw vector and the covariates (``variant="full"``, constant or collinear
           features left out);
* default  ``ss.default_formula``'s ``llm_auto`` (the feature set or shrinkage chosen by
           cross-validation inside the pilot).

Prints the mean RMSE per method and data set (and its Monte-Carlo SE), then the checks of issue
16: the default within 1% of the better of scalar and full on every data set, and strictly better
than scalar where full is.
"""

import sys

import numpy as np
import pandas as pd

import synthsurvey as ss

REPLICATIONS = 20
SIMULATED_COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]


def small_pilot_world(n_people=2000, n_draws=10, seed=7):
    """(samples, humans, covariates): a 7-point item, 20 covariate columns (5 that matter, 15 that
    barely do), LLM draws that hedge to the middle, compress the covariates' effects and see most
    of each person's own trait (its spread carries the strength of the opinion)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n_people + 1)
    x = rng.normal(size=(n_people, 20))
    x[:, 10:] = (x[:, 10:] > 0).astype(float)  # ten binary columns
    effects = np.r_[0.5, 0.4, -0.35, 0.3, 0.25, rng.normal(0, 0.04, 15)]
    trait = rng.normal(0, 0.8, n_people)
    strong = np.where(rng.random(n_people) < 0.3, 2.2, 1.0)
    thresholds = np.array([-2.0, -1.2, -0.4, 0.4, 1.2, 2.0])
    location = strong * (x @ effects + trait)
    answers = 1 + np.searchsorted(thresholds, location + rng.logistic(scale=0.45, size=n_people))
    llm_location = np.repeat(strong * (0.5 * x @ effects + 0.8 * trait) - 0.3, n_draws)
    draws = 1 + np.searchsorted(thresholds, llm_location + rng.logistic(scale=0.8, size=llm_location.size))
    hedge = np.repeat(rng.uniform(0.0, 0.6, n_people), n_draws)
    draws = np.where(rng.random(draws.size) < hedge, 4, draws)
    samples = pd.DataFrame({"id": np.repeat(ids, n_draws), "item": "opinion", "draw": np.tile(np.arange(n_draws), n_people),
                            "response": draws})
    humans = pd.DataFrame({"id": ids, "item": "opinion", "response": answers})
    covariates = pd.DataFrame({"id": ids, **{f"x{j + 1}": x[:, j] for j in range(20)}})
    return samples, humans, covariates


def compare(name, samples, humans, covariates, item, scale, covariate_terms, n_pilot, key="id", scales=None,
            replications=REPLICATIONS, seed=0):
    """Held-out RMSE of each method over ``replications`` random pilots: a long DataFrame."""
    feats = ss.features(samples, key=key, scales=scales)
    truth = humans[humans["item"] == item]
    population = covariates["id"].to_numpy()
    formulas = {"scalar": ss.default_formula(item, scale, covariate_terms, variant="mean"),
                "full": ss.default_formula(item, scale, covariate_terms, variant="full", features=feats),
                "default": ss.default_formula(item, scale, covariate_terms)}
    rng = np.random.default_rng(seed)
    records = []
    for replication in range(replications):
        pilot = truth[truth["id"].isin(rng.choice(population, n_pilot, replace=False))]
        for method, formula in formulas.items():
            fit = ss.debias(formula, None, pilot, covariates, key=key, scales=scales, features=feats)
            outside = fit.baselines().query("not is_pilot").merge(truth, on="id", suffixes=("", "_human"))
            records.append({"data": name, "replication": replication, "method": method,
                            "rmse": ss.metrics.rmse(outside["response_human"], outside["debiased"])})
            if method == "scalar":
                records.append({"data": name, "replication": replication, "method": "base",
                                "rmse": ss.metrics.rmse(outside["response_human"], outside["base"])})
    return pd.DataFrame(records)


def main(replications=REPLICATIONS):
    simulated = ss.datasets.load_simulated()
    twin = ss.datasets.load_twin2k500()
    smartvote = ss.datasets.load_smartvote()
    small = small_pilot_world()
    results = pd.concat([
        compare("simulated (pilot 250)", simulated.samples, simulated.humans, simulated.covariates, "belief",
                [1, 2, 3, 4, 5], SIMULATED_COVARIATES, 250, replications=replications),
        compare("Twin-2K-500 (pilot 200)", twin.samples[twin.samples["id"].isin(twin.covariates["id"])], twin.humans,
                twin.covariates, "rating_1_1", "continuous", ["age", "female", "ideology_7pt"], 200,
                scales=twin.scales, replications=replications),
        compare("Smartvote (pilot 200)", smartvote.samples, smartvote.humans,
                smartvote.covariates[smartvote.covariates["party"] != "Übrige"], "q32214", "continuous", [], 200,
                key="party", scales=smartvote.scales, replications=replications),
        compare("small-pilot world (pilot 150, 7 points, 20 covariates)", *small, "opinion", list(range(1, 8)),
                [f"x{j}" for j in range(1, 21)], 150, replications=replications),
    ])
    grouped = results.groupby(["data", "method"], sort=False)["rmse"]
    table = grouped.mean().unstack("method")[["base", "scalar", "full", "default"]]
    errors = (grouped.std(ddof=1) / np.sqrt(replications)).unstack("method")[table.columns]
    print(f"held-out RMSE, mean over {replications} random pilots (Monte-Carlo SE below)")
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))
    print(errors.to_string(float_format=lambda v: f"{v:.4f}"))
    ok = True
    for data, row in table.iterrows():
        better = min(row["scalar"], row["full"])
        within = row["default"] <= 1.01 * better
        beats = row["default"] < row["scalar"] if row["full"] < row["scalar"] else True
        ok &= within and beats
        print(f"{data}: default/best(scalar, full) = {row['default'] / better:.4f} (<= 1.01: {within}); "
              f"full {'beats' if row['full'] < row['scalar'] else 'does not beat'} scalar, default beats scalar: "
              f"{row['default'] < row['scalar']}")
    print("all checks hold" if ok else "A CHECK FAILS")
    return table, ok


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else REPLICATIONS)
