"""The main job: features, one debiasing fit per item, predictions and baselines,
written as tidy files to an output folder."""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..featurize import dask as dask_features_adapter
from ..featurize.scales import answers_by_item, scales_table
from ..featurize.table import feature_table
from ..evaluation import metrics
from ..evaluation.report import report
from ..inference.population import population_mean, population_shares
from ..models import debias


@dataclass(frozen=True)
class ItemModel:
    """What to fit for one item: the formula and the family (plus ``link``/``q`` options)."""

    formula: str
    family: str = "ols"
    link: str = "logit"
    q: float = 0.5


def run_job(samples, humans, covariates, models, out, key="id", scales=None, holdout=None, report_options=None):
    """Fit every ``models`` entry (a list of ItemModel) and write to folder ``out``:
    ``features.csv.gz``, ``scales.csv``, ``coefficients.csv``, ``predictions.csv.gz``
    (id, item, is_pilot, base, scalar, pilot, debiased), ``exclusions.csv``,
    ``population.csv`` (population means and shares: PPI++ with cross-fitting beside the
    pilot alone and the uncorrected LLM), ``summary.txt`` and, when ``holdout`` answers are
    given, ``holdout_accuracy.csv`` (RMSE and MAE of each method on them), and the HTML
    fidelity report ``report.html`` (``report_options`` go to ``fidelity``).
    Returns ``{item: DebiasResults}``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    extra = answers_by_item(humans)
    if dask_features_adapter.is_dask(samples):
        from dask.diagnostics import ProgressBar  # dask is installed: samples are a Dask DataFrame

        lazy, scale_map = dask_features_adapter.dask_features(samples, key, scales, extra_values=extra)
        with ProgressBar():  # the local scheduler's progress bar (a distributed client has its dashboard)
            feats = lazy.compute().reset_index(drop=True)
    else:
        feats, scale_map = feature_table(samples, key=key, scales=scales, extra_values=extra)
    feats.to_csv(out / "features.csv.gz", index=False)
    scales_table(scale_map).to_csv(out / "scales.csv", index=False)
    fits, coefficients, predictions, exclusions, summaries, population = {}, [], [], [], [], []
    for model in models:
        fit = debias(model.formula, None, humans, covariates, family=model.family, key=key,
                     scales=scale_map, link=model.link, q=model.q, features=feats)
        fits[fit.item] = fit
        coefficients.append(fit.table().assign(item=fit.item))
        predictions.append(fit.baselines().assign(item=fit.item))
        exclusions.append(fit.exclusions.assign(item=fit.item))
        summaries.append(f"== {fit.item}: {model.formula} ({model.family})\n{fit.summary()}\n")
        population.append(population_table(fit))
    pd.concat(coefficients).to_csv(out / "coefficients.csv", index=False)
    predictions = pd.concat(predictions, ignore_index=True)
    predictions.to_csv(out / "predictions.csv.gz", index=False)
    pd.concat(exclusions).to_csv(out / "exclusions.csv", index=False)
    population = pd.concat(population, ignore_index=True)
    population.to_csv(out / "population.csv", index=False)
    summaries.append("== population estimates (95% CI)\n" + population.to_string(index=False))
    (out / "summary.txt").write_text("\n".join(summaries))
    if holdout is not None:
        holdout_accuracy(predictions, holdout).to_csv(out / "holdout_accuracy.csv", index=False)
    report(list(fits.values()), out / "report.html", **(report_options or {}))
    return fits


def population_table(fit):
    """Population mean (and shares, for discrete items) of a fit's item: PPI++ (cross-fit),
    the pilot alone, and the uncorrected LLM (no interval), as one tidy DataFrame."""
    tables = [population_mean(fit).table(), population_mean(fit, method="classical").table()]
    tables.append(pd.DataFrame([{"term": "mean", "estimate": fit.frame["llm_mean"].mean(),
                                 "method": "base LLM", "n_labeled": 0,
                                 "n_unlabeled": fit.n_population}]))
    if fit.scale.is_discrete:
        tables += [population_shares(fit).table(), population_shares(fit, method="classical").table()]
    return pd.concat(tables, ignore_index=True).assign(item=fit.item, formula=fit.formula, family=fit.family)


def holdout_accuracy(predictions, holdout):
    """RMSE and MAE of each method's predictions against held-out human answers
    (long table id, item, response), per item: a DataFrame (item, method, n, rmse, mae)."""
    joined = predictions.drop(columns="response").merge(holdout, on=["id", "item"])
    rows = []
    for item, group in joined.groupby("item"):
        for method in ("base", "scalar", "pilot", "debiased"):
            rows.append({"item": item, "method": method, "n": len(group),
                         "rmse": metrics.rmse(group["response"], group[method]),
                         "mae": metrics.mae(group["response"], group[method])})
    return pd.DataFrame(rows)
