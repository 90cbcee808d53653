"""The pilot alone (method="classical") under every design equals R's survey package.

Source of truth: ``svymean``, ``svytotal``, ``svyby(..., svymean)``, ``svyciprop`` (shares' logit-scale
intervals), ``svyglm`` (gaussian and quasibinomial) and ``degf`` on the equivalent ``svydesign`` of the pilot's rows (Debian's
r-cran-survey 4.1), through rpy2 in this process (coefficients with ``leverage=False``: our default
adds the HC2 correction, checked in tests/inference/test_regression.py); estimates and standard errors to 1e-8, joined
on term names (svyglm's logistic fits converged to 1e-14, glm's default 1e-8 on the deviance
leaves ~1e-7 in the coefficients). The world: 1,200 people in 300 clusters of 4 (three strata of clusters), a pilot
of 60 whole clusters, cluster inclusion probabilities, population weights.

Designs and their svydesign (N_h, M_h: rows and clusters of the frame per stratum):
  simple random          svydesign(ids = ~1, fpc = ~N)
  stratified             svydesign(ids = ~1, strata = ~stratum, fpc = ~N_h)
  clustered              svydesign(ids = ~cluster, fpc = ~M)
  stratified clusters    svydesign(ids = ~cluster, strata = ~stratum, fpc = ~M_h)
  unequal probabilities  svydesign(ids = ~1, probs = ~pi, pps = poisson_sampling(pi)) (with population
                         weights probs = ~I(pi / W): a pps design ignores ``weights=``)
  clusters, pps, no fpc  svydesign(ids = ~cluster, probs = ~pi)
  clusters, pps, fpc     the clusters' totals, svydesign(ids = ~1, probs = ~pi, pps = poisson_sampling(pi)):
                         svyratio for the mean, svytotal (survey's poisson_sampling works row by row)
  relative weights       svydesign(ids = ~1, weights = ~w)
  independent            svydesign(ids = ~1) (and ids = ~cluster with clusters)
With population weights W the analysis weights are W / pi (svydesign's ``weights=``).
"""

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

import synthsurvey as ss
from synthsurvey.io.simulate import simulate_study

pytestmark = pytest.mark.r_parity
TOL = 1e-8
OLS = "belief ~ age + female + C(educ)"
LOGIT = "action ~ age + ideology"

R_REFERENCE = """
function(data, spec, formula, family, weighted, share_df = NA) {
  suppressPackageStartupMessages(library(survey))
  data$educ <- factor(data$educ)
  w <- if (weighted) data$W else rep(1, nrow(data))
  n_h <- ave(rep(1, nrow(data)), data$stratum, FUN = sum)
  m <- length(unique(data$cluster))
  m_h <- ave(data$cluster, data$stratum, FUN = function(v) length(unique(v)))
  data$wt <- switch(spec, srs = w * data$N / nrow(data), strata = w * data$N_h / n_h, cluster = w * data$M / m,
                    strata_cluster = w * data$M_h / m_h, poisson = w / data$pi, cluster_pps = w / data$pi,
                    relative = w * data$relative, w)
  des <- switch(spec,
    srs = svydesign(ids = ~1, fpc = ~N, weights = ~wt, data = data),
    strata = svydesign(ids = ~1, strata = ~stratum, fpc = ~N_h, weights = ~wt, data = data),
    cluster = svydesign(ids = ~cluster, fpc = ~M, weights = ~wt, data = data),
    strata_cluster = svydesign(ids = ~cluster, strata = ~stratum, fpc = ~M_h, weights = ~wt, data = data),
    poisson = svydesign(ids = ~1, probs = ~I(1 / wt), pps = poisson_sampling(data$pi), data = data),
    cluster_pps = svydesign(ids = ~cluster, weights = ~wt, data = data),
    svydesign(ids = if (spec == "independent_cluster") ~cluster else ~1, weights = ~wt, data = data))
  if (family == "gaussian") {
    mean <- svymean(~response, des)
    total <- svytotal(~response, des)
    by <- svyby(~response, ~educ, des, svymean)
    model <- svyglm(as.formula(formula), des)
    shares <- sapply(1:5, function(k) {  # svyciprop's logit-scale interval (delta method), at our df
      p <- svyciprop(as.formula(sprintf("~I(response == %d)", k)), des, method = "xlogit", df = share_df)
      c(coef(p), confint(p))
    })
    list(mean = c(coef(mean), SE(mean)), total = c(coef(total), SE(total)), degf = degf(des), shares = shares,
         by_estimate = unname(coef(by)), by_se = unname(SE(by)), by_names = as.character(by$educ),
         estimate = coef(model), se = SE(model), names = names(coef(model)))
  } else {
    model <- svyglm(as.formula(formula), des, family = quasibinomial(), control = glm.control(epsilon = 1e-14, maxit = 100))
    list(estimate = coef(model), se = SE(model), names = names(coef(model)))
  }
}
"""

DESIGNS = {
    "srs": (ss.Design(), "subsample"),
    "strata": (ss.Design(strata="stratum"), "subsample"),
    "cluster": (ss.Design(cluster="cluster"), "subsample"),
    "strata_cluster": (ss.Design(strata="stratum", cluster="cluster"), "subsample"),
    "poisson": (ss.Design(probs="pi"), "subsample"),
    "cluster_pps": (ss.Design(cluster="cluster", probs="pi", fpc=False), "subsample"),
    "relative": (ss.Design(weights="relative", fpc=False), "subsample"),
    "independent": (ss.Design(), "independent"),
    "independent_cluster": (ss.Design(cluster="cluster"), "independent"),
}


@pytest.fixture(scope="module")
def world():
    study = simulate_study(n_people=1200, n_draws=8, n_pilot=10, seed=31)
    rng = np.random.default_rng(5)
    covariates = study.covariates.copy()
    cluster = (covariates["id"].to_numpy() - covariates["id"].min()) // 4
    covariates["cluster"] = cluster
    covariates["stratum"] = np.array(["north", "south", "west"])[cluster % 3]
    cluster_pi = rng.uniform(0.1, 0.4, cluster.max() + 1)
    covariates["pi"] = cluster_pi[cluster]
    covariates["relative"] = rng.uniform(0.5, 3.0, cluster.max() + 1)[cluster]
    covariates["W"] = rng.uniform(0.5, 2.5, len(covariates))
    chosen = rng.choice(cluster.max() + 1, 60, replace=False)
    pilot_ids = covariates.loc[np.isin(cluster, chosen), "id"]
    humans = study.humans[study.humans["id"].isin(pilot_ids)]
    features = ss.features(study.samples)
    scales = {"belief": [1, 2, 3, 4, 5], "action": [0, 1]}

    def fit(formula, family, design):
        return ss.debias(formula, None, humans, covariates, family=family, scales=scales, features=features,
                         design=design)

    return fit


def _r_reference():
    logging.getLogger("rpy2.rinterface_lib.embedded").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import rpy2.robjects as ro
        from rpy2.robjects import pandas2ri
        from rpy2.robjects.conversion import localconverter
    function = ro.r(R_REFERENCE)

    def call(pilot, spec, formula, family, weighted, share_df=np.nan):
        with localconverter(ro.default_converter + pandas2ri.converter):
            data = ro.conversion.py2rpy(pilot.reset_index(drop=True))
        result = function(data, spec, formula, family, weighted, float(share_df))
        return {name: (list(value) if name.endswith("names") else np.asarray(value, dtype=float))
                for name, value in zip(result.names, result)}

    return call


@pytest.fixture(scope="module")
def reference():
    return _r_reference()


def _pilot_frame(fit, item):
    """The fit's pilot rows with the frame sizes svydesign's fpc needs."""
    frame = fit.frame.copy()
    frame["N"] = len(frame)
    frame["N_h"] = frame.groupby("stratum")["id"].transform("size")
    frame["M"] = frame["cluster"].nunique()
    frame["M_h"] = frame.groupby("stratum")["cluster"].transform("nunique")
    pilot = frame.loc[fit.is_pilot, ["response", "age", "female", "educ", "ideology", "stratum", "cluster", "pi",
                                     "relative", "W", "N", "N_h", "M", "M_h"]]
    return pilot.rename(columns={"response": "response" if item == "belief" else "action"})


def _r_terms(names):
    return [n.replace("C(educ)[T.", "educ").replace("]", "").replace("Intercept", "(Intercept)") for n in names]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "population-weighted"])
@pytest.mark.parametrize("spec", list(DESIGNS))
def test_means_totals_domains_and_ols_equal_survey(world, reference, spec, weighted):
    design, relation = DESIGNS[spec]
    fit = world(ss.default_formula("belief", [1, 2, 3, 4, 5], ["age"]), "ols", design)
    options = dict(method="classical", design=relation, weights="W" if weighted else None)
    shares = ss.population_shares(fit, **options).table()
    r = reference(_pilot_frame(fit, "belief"), spec, OLS.replace("belief", "response").replace("C(educ)", "educ"),
                  "gaussian", weighted, shares["df"][0])
    # shares: svyciprop's logit-scale intervals (method "xlogit", the delta method on svymean, which
    # "logit", its default, equals up to svyglm's convergence), at our df
    inside = ((shares["estimate"] > 0) & (shares["estimate"] < 1)).to_numpy()
    assert inside.sum() >= 4
    np.testing.assert_allclose(shares[["estimate", "ci_low", "ci_high"]].to_numpy()[inside],
                               np.asarray(r["shares"]).reshape(3, 5).T[inside], rtol=0, atol=TOL)
    mean = ss.population_mean(fit, **options).table()
    np.testing.assert_allclose(mean[["estimate", "std_error"]].to_numpy()[0], r["mean"], rtol=0, atol=TOL)
    # survey's degf with equal weights; fewer df with unequal ones (inference/designs.py, README)
    if spec in ("srs", "cluster", "independent", "independent_cluster") and not weighted:
        assert mean["df"][0] == r["degf"][0]
    assert mean["df"][0] <= r["degf"][0]
    if relation == "subsample" and design.fpc:
        total = ss.population_total(fit, **options).table()
        np.testing.assert_allclose(total[["estimate", "std_error"]].to_numpy()[0], r["total"], rtol=1e-10)
    groups = ss.population_mean(fit, by="educ", min_pilot=2, **options).table()
    assert [str(level) for level in groups["educ"]] == r["by_names"]
    np.testing.assert_allclose(groups["estimate"], r["by_estimate"], rtol=0, atol=TOL)
    np.testing.assert_allclose(groups["std_error"], r["by_se"], rtol=0, atol=TOL)
    ols = ss.population_ols(fit, OLS, leverage=False, **options).table()
    ours = pd.DataFrame({"estimate": ols["estimate"].to_numpy(), "se": ols["std_error"].to_numpy()},
                        index=_r_terms(ols["term"]))
    theirs = pd.DataFrame({"estimate": r["estimate"], "se": r["se"]}, index=r["names"])
    joined = ours.join(theirs, rsuffix="_r", how="inner")
    assert len(joined) == len(ours) == len(theirs)
    np.testing.assert_allclose(joined["estimate"], joined["estimate_r"], rtol=0, atol=TOL)
    np.testing.assert_allclose(joined["se"], joined["se_r"], rtol=0, atol=TOL)


@pytest.mark.parametrize("spec", ["srs", "strata_cluster", "poisson", "independent_cluster"])
def test_logistic_coefficients_equal_svyglm_quasibinomial(world, reference, spec):
    design, relation = DESIGNS[spec]
    fit = world("action ~ llm_mean + ideology", "logit", design)
    r = reference(_pilot_frame(fit, "action"), spec, LOGIT, "quasibinomial", True)
    table = ss.population_logit(fit, LOGIT, method="classical", design=relation, weights="W", leverage=False).table()
    ours = pd.DataFrame({"estimate": table["estimate"].to_numpy(), "se": table["std_error"].to_numpy()},
                        index=_r_terms(table["term"]))
    theirs = pd.DataFrame({"estimate": r["estimate"], "se": r["se"]}, index=r["names"])
    joined = ours.join(theirs, rsuffix="_r", how="inner")
    assert len(joined) == len(ours) == 3
    np.testing.assert_allclose(joined["estimate"], joined["estimate_r"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(joined["se"], joined["se_r"], rtol=0, atol=1e-8)


R_CLUSTER_POISSON = """
function(data) {
  suppressPackageStartupMessages(library(survey))
  data$one <- 1
  psu <- aggregate(cbind(response, one) ~ cluster + pi, data = data, FUN = sum)
  des <- svydesign(ids = ~1, probs = ~pi, pps = poisson_sampling(psu$pi), data = psu)
  ratio <- svyratio(~response, ~one, des)
  total <- svytotal(~response, des)
  c(coef(ratio), SE(ratio), coef(total), SE(total))
}
"""


def test_clusters_with_their_own_fpc_equal_survey_on_cluster_totals(world):
    """Clusters drawn with unequal probabilities, each with its own fpc 1 - pi: survey's
    poisson_sampling works row by row, so the reference is the design of the clusters' totals
    (one row per cluster, Poisson sampling with the clusters' pi): the Hajek mean is svyratio of
    the answers' totals to the rows', the total svytotal."""
    logging.getLogger("rpy2.rinterface_lib.embedded").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import rpy2.robjects as ro
        from rpy2.robjects import pandas2ri
        from rpy2.robjects.conversion import localconverter
    fit = world(ss.default_formula("belief", [1, 2, 3, 4, 5], ["age"]), "ols", ss.Design(cluster="cluster", probs="pi"))
    pilot = _pilot_frame(fit, "belief")[["response", "cluster", "pi"]]
    with localconverter(ro.default_converter + pandas2ri.converter):
        data = ro.conversion.py2rpy(pilot.reset_index(drop=True))
    r = np.asarray(ro.r(R_CLUSTER_POISSON)(data), dtype=float)
    mean = ss.population_mean(fit, method="classical").table()
    total = ss.population_total(fit, method="classical").table()
    np.testing.assert_allclose([mean["estimate"][0], mean["std_error"][0]], r[:2], rtol=0, atol=TOL)
    np.testing.assert_allclose([total["estimate"][0], total["std_error"][0]], r[2:], rtol=1e-10)
