"""Pilot designs through the fit: the API as the issue writes it, closed forms of the design
variances (sources of truth: the formulas in inference/designs.py's docstring, computed here by
hand), cross-fitting folds of whole clusters, domains, the census pilot, flags and errors.
R's survey package checks the same numbers in tests/parity/test_survey_parity.py."""

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.inference import designs, ppi
from synthsurvey.models.crossfit import fold_models


@pytest.fixture(scope="module")
def clustered(study):
    """The simulated study with a respondent column (4 rows each, as conjoint tasks would be), three
    strata of respondents, and a pilot of whole respondents."""
    covariates = study.covariates.copy()
    covariates["UserID"] = (covariates["id"] - covariates["id"].min()) // 4
    covariates["region"] = np.array(["a", "b", "c"])[covariates["UserID"] % 3]
    rng = np.random.default_rng(3)
    users = rng.choice(covariates["UserID"].unique(), 40, replace=False)
    pilot_ids = covariates.loc[covariates["UserID"].isin(users), "id"]
    return covariates, study.humans[study.humans["id"].isin(pilot_ids)]


def test_debias_with_cluster_as_the_issue_writes_it(study, clustered):
    covariates, humans = clustered
    fit = ss.debias("belief ~ llm_mean + llm_sd + age", study.samples, humans, covariates, cluster="UserID")
    assert fit.pilot_design == ss.Design(cluster="UserID")
    result = ss.population_mean(fit)
    assert result.table()["df"][0] == 40 - 1  # clusters - 1
    assert result.table()["design"][0] == "subsample: cluster=UserID"
    pilot_rows, fold, _ = fold_models(fit)
    users = fit.frame["UserID"].to_numpy()[pilot_rows]
    assert pd.Series(fold).groupby(users).nunique().max() == 1  # every respondent in one fold
    plain = fit.with_design(ss.Design())
    assert ss.population_mean(plain).table()["df"][0] == len(humans[humans["item"] == "belief"]) - 1


def test_cluster_variance_is_the_between_cluster_spread(study, clustered):
    """Closed form (classical mean, clusters, fpc): Var = (1 - m/M) m/(m-1) sum_k (Z_k - Zbar)^2 with
    Z_k = sum over cluster k of (y_i - ybar) / n."""
    covariates, humans = clustered
    fit = ss.debias("belief ~ llm_mean", study.samples, humans, covariates, cluster="UserID")
    pilot = fit.frame.loc[fit.is_pilot]
    y = pilot["response"].to_numpy()
    totals = pd.Series((y - y.mean()) / len(y)).groupby(pilot["UserID"].to_numpy()).sum().to_numpy()
    m, big_m = len(totals), fit.frame["UserID"].nunique()
    expected = np.sqrt((1 - m / big_m) * m / (m - 1) * np.sum((totals - totals.mean()) ** 2))
    assert ss.population_mean(fit, method="classical").std_error == pytest.approx(expected, rel=1e-12)


def test_poisson_variance_of_clusters_uses_each_units_own_fpc():
    """Closed form: unequal probabilities with fpc (Poisson sampling): Var = sum_k (1 - pi_k) Z_k^2,
    Z_k the cluster totals of the Hajek influence d_i (y_i - ybar) / sum(d)."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"id": np.arange(60), "cluster": np.repeat(np.arange(20), 3)})
    frame["pi"] = np.repeat(rng.uniform(0.1, 0.9, 20), 3)
    is_pilot = np.isin(frame["cluster"], np.arange(12))
    sampling = designs.resolve(ss.Design(cluster="cluster", probs="pi"), frame, is_pilot)
    y = rng.normal(size=is_pilot.sum())
    d = 1 / frame.loc[is_pilot, "pi"].to_numpy()
    result = ppi.mean(y, y, rng.normal(size=60), "classical", sampling)
    influence = d * (y - np.average(y, weights=d)) / d.sum()
    totals = pd.Series(influence).groupby(frame.loc[is_pilot, "cluster"].to_numpy()).sum()
    pi = frame.loc[is_pilot].groupby("cluster")["pi"].first()
    assert result.estimate[0] == pytest.approx(np.average(y, weights=d))
    assert result.std_error[0] == pytest.approx(np.sqrt(np.sum((1 - pi) * totals ** 2)), rel=1e-12)


def test_a_census_pilot_is_exact_even_with_population_weights(study):
    """n = N: every estimate is the population's own (weighted) value with standard error 0; the
    old uniform fpc with pilot weights unlike the population's gave SE 0 around a wrong estimate."""
    people = study.covariates["id"]
    humans = study.humans[study.humans["id"].isin(people)]
    fit = ss.debias("belief ~ llm_mean + age", study.samples, humans, study.covariates)
    weights = np.where(fit.frame["rural"] == 1, 5.0, 1.0)
    truth = np.average(fit.frame["response"], weights=weights)
    for method in ("classical", "ppi++"):
        result = ss.population_mean(fit, method=method, weights=weights)
        assert result.estimate == pytest.approx(truth, abs=1e-12)
        assert result.std_error == pytest.approx(0, abs=1e-12)
        assert result.n_effective == pytest.approx(fit.n_population)


def test_identical_answers_give_no_interval_and_no_infinite_n_effective(study):
    ids = study.covariates["id"].to_numpy()[:12]
    humans = pd.DataFrame({"id": ids, "item": "belief", "response": 3.0})
    fit = ss.debias("belief ~ llm_mean", study.samples, humans, study.covariates)
    table = ss.population_mean(fit).table()
    assert "no spread" in table["flag"][0]
    assert np.isnan(table["std_error"][0]) and np.isnan(table["ci_low"][0]) and np.isnan(table["n_effective"][0])


def test_small_groups_are_flagged_and_n_effective_never_exceeds_n(fit):
    table = ss.population_mean(fit, by=["educ", "rural"], min_pilot=15).table()
    small = table["n_labeled"] < 15
    assert small.any() and (~small).any()
    assert table.loc[small, "std_error"].isna().all() and table.loc[small, "flag"].str.contains("min_pilot").all()
    assert (table.loc[~small, "flag"] == "").all()
    population = table["n_labeled"] + table["n_unlabeled"]
    assert (table.loc[~small, "n_effective"] <= population[~small]).all()
    assert (table["df"] == np.minimum(table["n_labeled"] - 1, np.inf)).all()  # domain df: its answers - 1
    with pytest.raises(ss.SynthsurveyError, match="min_pilot"):
        ss.population_mean(fit, by="educ", min_pilot=1)


def test_domains_keep_the_whole_design(fit):
    """svyby's domain variance: out-of-group pilot rows count with zero influence, so the group's
    classical SE is sqrt((1 - n/N) n/(n-1) sum over the whole pilot of (z_i - zbar)^2)."""
    table = ss.population_mean(fit, by="educ", method="classical").table().set_index("educ")
    pilot = fit.frame.loc[fit.is_pilot]
    y, inside = pilot["response"].to_numpy(), (pilot["educ"] == 2).to_numpy()
    z = np.where(inside, (y - y[inside].mean()) / inside.sum(), 0.0)
    n, big_n = len(y), fit.n_population
    expected = np.sqrt((1 - n / big_n) * n / (n - 1) * np.sum((z - z.mean()) ** 2))
    assert table.loc[2, "std_error"] == pytest.approx(expected, rel=1e-12)


def test_stratified_design_weights_and_strata_sizes(study):
    """Disproportionate allocation: rural people oversampled; the classical mean is the stratified
    mean sum_h N_h ybar_h / N (Hajek with weights N_h / n_h)."""
    covariates = study.covariates
    rng = np.random.default_rng(9)
    rural = covariates.loc[covariates["rural"] == 1, "id"]
    urban = covariates.loc[covariates["rural"] == 0, "id"]
    chosen = np.r_[rng.choice(rural, 60, replace=False), rng.choice(urban, 60, replace=False)]
    humans = study.humans[study.humans["id"].isin(chosen)]
    fit = ss.debias("belief ~ llm_mean", study.samples, humans, covariates, strata="rural")
    frame = fit.frame
    expected = sum((frame["rural"] == h).sum() * frame.loc[fit.is_pilot & (frame["rural"] == h), "response"].mean()
                   for h in (0, 1)) / len(frame)
    result = ss.population_mean(fit, method="classical")
    assert result.estimate == pytest.approx(expected, rel=1e-12)
    # df: n - strata, shrunk by the Kish ratio of the variance's coefficients (1 - f_h) n_h/(n_h - 1) d_h^2
    sizes = frame.groupby("rural").size()
    coefficient = (1 - 60 / sizes) * 60 / 59 * (sizes / 60) ** 2
    kish = (60 * coefficient.sum()) ** 2 / (120 * 60 * np.sum(coefficient ** 2))
    assert result.table()["df"][0] == pytest.approx((120 - 2) * kish, rel=1e-12)
    assert result.table()["df"][0] < 118


def test_pilot_weights_are_the_pilots_sampling_weights(fit):
    """Equal sampling weights N/n: the simple random estimate, with the Poisson-sampling variance
    (each unit's 1 - pi, no n/(n-1)): the simple random SE times sqrt((n-1)/n)."""
    equal = ss.population_mean(fit, pilot_weights=np.full(fit.n_population, fit.n_population / fit.nobs))
    plain = ss.population_mean(fit)
    assert equal.estimate == pytest.approx(plain.estimate, rel=1e-12)
    assert equal.std_error == pytest.approx(plain.std_error * np.sqrt((fit.nobs - 1) / fit.nobs), rel=1e-12)
    with pytest.raises(ss.SynthsurveyError, match="pilot_weights must be positive sampling weights"):
        ss.population_mean(fit, pilot_weights=np.full(fit.n_population, 0.5))
    relative = ss.population_mean(fit, pilot_weights=np.full(fit.n_population, 0.5), finite_population=False)
    assert relative.estimate == pytest.approx(plain.estimate)


def test_design_errors_name_the_culprit(study, clustered):
    covariates, humans = clustered
    with pytest.raises(ss.SynthsurveyError, match="'Respondent'.*not column"):
        ss.debias("belief ~ llm_mean", study.samples, humans, covariates, cluster="Respondent")
    with pytest.raises(ss.SynthsurveyError, match="span several strata"):
        ss.debias("belief ~ llm_mean", study.samples, humans, covariates, cluster="UserID", strata="educ")
    with pytest.raises(ss.SynthsurveyError, match=r"inclusion probabilities in \(0, 1\]"):
        ss.debias("belief ~ llm_mean", study.samples, humans, covariates.assign(p=2.0), design=ss.Design(probs="p"))
    with pytest.raises(ss.SynthsurveyError, match="missing value"):
        ss.debias("belief ~ llm_mean", study.samples, humans,
                  covariates.assign(UserID=covariates["UserID"].where(covariates["id"] != humans["id"].iloc[0])),
                  cluster="UserID")
    with pytest.raises(ss.SynthsurveyError, match="contradicts"):
        ss.debias("belief ~ llm_mean", study.samples, humans, covariates, design=ss.Design(cluster="UserID"),
                  cluster="region")
    first_user = covariates.loc[covariates["id"] == humans["id"].iloc[0], "UserID"].iloc[0]
    outside = covariates.loc[~covariates["id"].isin(humans["id"]), "UserID"].iloc[0]
    lonely = covariates.assign(region=np.where(covariates["UserID"].isin([first_user, outside]), "z", "a"))
    fit = ss.debias("belief ~ llm_mean", study.samples, humans, lonely, design=ss.Design(strata="region",
                                                                                         cluster="UserID"))
    with pytest.raises(ss.SynthsurveyError, match="single pilot unit"):
        ss.population_mean(fit)
    with pytest.raises(ss.SynthsurveyError, match="folds must be between 2 and the number of pilot clusters"):
        two_users = covariates.loc[covariates["UserID"].isin([first_user, first_user + 1]), "id"]
        few = study.humans[study.humans["id"].isin(two_users)]
        ss.population_mean(ss.debias("belief ~ llm_mean", study.samples, few, covariates, cluster="UserID"))


def test_independent_design_keeps_the_clusters(study, clustered):
    covariates, humans = clustered
    fit = ss.debias("belief ~ llm_mean + age", study.samples, humans, covariates, cluster="UserID")
    result = ss.population_mean(fit, design="independent").table()
    assert result["design"][0] == "independent: cluster=UserID" and result["df"][0] == 39
    assert ss.population_total(fit).estimate > 0
    with pytest.raises(ss.SynthsurveyError, match="total needs the subsample design"):
        ss.population_total(fit, design="independent")
