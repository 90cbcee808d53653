"""Individual accuracy on the bundled simulated study's non-pilot respondents.

For the 5-point ``belief`` item (OLS debiasing, pilot of 250, 1,750 held-out people):
RMSE and MAE of
* base     the uncorrected LLM: each person's mean of draws;
* scalar   the human answer regressed on the draw mean alone;
* pilot    the same regression on the covariates alone (no LLM);
* mean+cov the draw mean plus covariates (the "mean" variant of ss.default_formula);
* full     the full draw vector plus covariates (the "full" variant), the default.
Prints each method's error reduction against base. The full-vector model must beat base
and scalar (issue 3); a test asserts the same ordering.
"""

import pandas as pd

import synthsurvey as ss

COVARIATES = ["age", "female", "C(educ)", "ideology", "rural"]


def main():
    study = ss.datasets.load_simulated()
    truth = study.holdout[study.holdout["item"] == "belief"][["id", "response"]]
    full = ss.debias(ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES),
                     study.samples, study.pilot, study.covariates)
    mean_cov = ss.debias(ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES, variant="mean"),
                         study.samples, study.pilot, study.covariates)
    side = full.baselines().rename(columns={"debiased": "full"})
    side["mean+cov"] = mean_cov.predict()["prediction"].to_numpy()
    side = side.drop(columns="response").merge(truth, on="id")
    rows = []
    for method in ("base", "scalar", "pilot", "mean+cov", "full"):
        rows.append({
            "method": method,
            "rmse": ss.metrics.rmse(side["response"], side[method]),
            "mae": ss.metrics.mae(side["response"], side[method]),
            "rmse_reduction_vs_base": ss.metrics.error_reduction(side["response"], side[method], side["base"]),
        })
    table = pd.DataFrame(rows)
    print(f"belief: {len(side)} held-out respondents, pilot of {full.nobs}")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    rmse = table.set_index("method")["rmse"]
    print(f"full beats base: {rmse['full'] < rmse['base']}; full beats scalar: {rmse['full'] < rmse['scalar']}; "
          f"full beats mean+cov: {rmse['full'] < rmse['mean+cov']}")


if __name__ == "__main__":
    main()
