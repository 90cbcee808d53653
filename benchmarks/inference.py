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

Then pilots chosen from the draws (``ss.design_pilot``, issue 15) against simple random pilots
of the same size, PPI++ population mean:
* bundled study (belief, strata by educ x bands of the draws' sd): coverage and mean CI width of
  both over repeated pilots;
* Smartvote (strata by party; all 75 questions): the expected CI width ratio to a simple random
  pilot computed exactly from the candidates' answers (every candidate answered: each stratum's
  residual variance is known), for the plan from GPT-4's draws and for Neyman allocation with the
  candidates' own within-party spreads (what knowing the humans would give); plus coverage of the
  plan on 8 questions by simulation;
* a world where human-LLM disagreement grows with the draws' spread (tests/statistical/
  design_worlds.SpreadWorld): coverage and widths by simulation.
Targets: coverage 94-96% under the plan's own design; never more than 2% wider than a simple
random pilot; narrower where spreads differ.
Usage: python benchmarks/inference.py [replications] [--designs]   (--designs: only that part)
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
    replications = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 200
    if "--designs" in sys.argv:
        design_pilot_benchmark(replications)
        return
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
    design_pilot_benchmark(replications)


def _compare(fit_plan, fit_simple, replications, truth, seed):
    """Coverage, mean CI width and SE/SD of the PPI++ mean over ``replications`` planned pilots
    (``fit_plan(replication)``) and simple random ones (``fit_simple(rng)``)."""
    rng = np.random.default_rng(seed)
    rows = []
    for replication in range(replications):
        for name, fit in (("planned", fit_plan(replication)), ("simple random", fit_simple(rng))):
            result = ss.population_mean(fit)
            rows.append({"pilot": name, "estimate": result.estimate, "std_error": result.std_error,
                         "covered": result.ci_low <= truth <= result.ci_high, "width": result.ci_high - result.ci_low})
    table = pd.DataFrame(rows).groupby("pilot", sort=False).agg(
        coverage=("covered", "mean"), width=("width", "mean"), se=("std_error", "mean"), sd=("estimate", "std"))
    table["se_over_sd"] = table["se"] / table["sd"]
    table["width_vs_simple"] = table["width"] / table.loc["simple random", "width"]
    return table[["coverage", "width", "width_vs_simple", "se_over_sd"]]


def _expected_width_ratio(plan, residual, frame):
    """sqrt(Var stratified / Var simple random) of the mean of ``residual`` (over ``frame``'s rows,
    which carry the plan's strata), both at the plan's size, with every variance known."""
    n, total = plan.n, len(frame)
    strata = plan.table().set_index("term")
    grouped = pd.Series(residual).groupby(frame["pilot_stratum"].to_numpy())
    sizes, spreads = grouped.size(), grouped.var(ddof=1).fillna(0)
    allocation = strata.loc[sizes.index, "estimate"]
    stratified = np.sum((sizes / total) ** 2 * spreads * (1 / allocation - 1 / sizes))
    simple = np.var(residual, ddof=1) * (1 / n - 1 / total)
    return float(np.sqrt(stratified / simple))


def _neyman_width_ratio(residual, party, n):
    """The same ratio for Neyman allocation by party with the parties' true residual spreads."""
    grouped = pd.Series(residual).groupby(np.asarray(party))
    sizes, spreads = grouped.size(), grouped.std(ddof=1)
    allocation = n * sizes * spreads / np.sum(sizes * spreads)
    stratified = np.sum((sizes / len(residual)) ** 2 * spreads ** 2 * (1 / allocation - 1 / sizes))
    return float(np.sqrt(stratified / (np.var(residual, ddof=1) * (1 / n - 1 / len(residual)))))


def design_pilot_benchmark(replications, n_pilot=200):
    """The ss.design_pilot part of the module docstring."""
    replications = max(replications // 2, 20)
    study = ss.datasets.load_simulated()
    features = ss.features(study.samples)
    full = ss.default_formula("belief", [1, 2, 3, 4, 5], COVARIATES)
    truth = study.humans.loc[study.humans["item"] == "belief", "response"].mean()
    plan = ss.design_pilot(study.samples, study.covariates, n_pilot, "belief", by="educ")
    humans = study.humans

    def planned(replication):
        ids = plan.draw(1000 + replication)["id"]
        return ss.debias(full, None, humans[humans["id"].isin(ids)], plan.covariates, features=features,
                         design=plan.design)

    def simple(rng):
        ids = rng.choice(study.covariates["id"], n_pilot, replace=False)
        return ss.debias(full, None, humans[humans["id"].isin(ids)], study.covariates, features=features)

    print(f"\nss.design_pilot, pilots of {n_pilot}, PPI++ population mean ({replications} pilots of each kind)")
    print(f"bundled study (belief; strata educ x spread bands; the plan predicts x{plan.predicted_width_ratio:.3f}, "
          f"at most x{plan.worst_width_ratio:.3f} whatever the spreads):")
    print(_compare(planned, simple, replications, truth, 31).to_string(float_format=lambda v: f"{v:.4f}"))
    _smartvote(n_pilot, max(replications // 2, 20))
    _spread_world(n_pilot, replications)


def _smartvote(n_pilot, replications):
    data = ss.datasets.load_smartvote()
    people = data.covariates[data.covariates["party"] != "Übrige"]
    rows = []
    answers = data.humans[data.humans["id"].isin(people["id"])]
    for item in sorted(answers["item"].unique()):
        humans = answers[answers["item"] == item]
        plan = ss.design_pilot(data.samples, people, n_pilot, item, by="party", key="party", scales=data.scales)
        census = ss.debias(f"{item} ~ llm_mean", data.samples, humans, plan.covariates, key="party", scales=data.scales)
        frame = census.frame
        residual = frame["response"].to_numpy() - census.predict_values("response", "debiased", frame)
        within = frame["response"] - frame.groupby("party")["response"].transform("mean")  # party means known
        rows.append({"item": item, "plan": _expected_width_ratio(plan, residual, frame),
                     "neyman_with_human_spreads": _neyman_width_ratio(residual, frame["party"], n_pilot),
                     "plan_party_means_known": _expected_width_ratio(plan, within.to_numpy(), frame),
                     "neyman_party_means_known": _neyman_width_ratio(within.to_numpy(), frame["party"], n_pilot)})
    widths = pd.DataFrame(rows)
    print(f"Smartvote ({len(widths)} questions, strata by party): expected CI width vs a simple random pilot, "
          "computed from the candidates' answers. PPI++ with 'q ~ llm_mean' (its residuals keep some of the "
          "parties' mean differences, which strata remove), and with the parties' means predicted exactly "
          "(the gain is then the allocation's alone); 'plan': ss.design_pilot from GPT-4's draws; 'neyman': "
          "Neyman allocation with the candidates' own within-party spreads (unknowable before the pilot)")
    print(widths.drop(columns="item").describe().loc[["mean", "min", "50%", "max"]]
          .to_string(float_format=lambda v: f"{v:.4f}"))
    coverage = []
    for item in sorted(answers["item"].unique())[:8]:
        humans = answers[answers["item"] == item]
        plan = ss.design_pilot(data.samples, people, n_pilot, item, by="party", key="party", scales=data.scales)
        truth = humans["response"].mean()
        for replication in range(replications):
            ids = plan.draw(replication)["id"]
            fit = ss.debias(f"{item} ~ llm_mean", data.samples, humans[humans["id"].isin(ids)], plan.covariates,
                            key="party", scales=data.scales, design=plan.design)
            result = ss.population_mean(fit)
            coverage.append(result.ci_low <= truth <= result.ci_high)
    print(f"  coverage of the planned pilots on 8 questions x {replications} pilots: {np.mean(coverage):.3f}")


def _spread_world(n_pilot, replications):
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    from tests.statistical.design_worlds import SpreadWorld

    world = SpreadWorld()
    for widening in (0.02, 0.10):
        plan = ss.design_pilot(world.samples, world.covariates, n_pilot, "y", by="group", scales=world.scales,
                               max_widening=widening)
        print(f"world where disagreement grows with the draws' spread, guard max_widening={widening:g} (the plan "
              f"predicts x{plan.predicted_width_ratio:.3f}; at most x{plan.worst_width_ratio:.3f} whatever the spreads):")
        table = _compare(lambda replication: world.fit(plan.draw(replication)["id"], plan.covariates, plan.design),
                         lambda rng: world.fit(rng.choice(world.covariates["id"], n_pilot, replace=False)),
                         replications, world.truth(), 32)
        print(table.to_string(float_format=lambda v: f"{v:.4f}"))


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
