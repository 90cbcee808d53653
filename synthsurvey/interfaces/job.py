"""The main job: read a study's files, debias every item (``debias_items``), and write tidy files
and the report to an output folder, numbers rounded to 4 significant digits.

Files: ``features.csv.gz``, ``scales.csv``, ``coefficients.csv``, ``predictions.csv.gz`` (id, item,
is_pilot, response, base, scalar, pilot, debiased), ``exclusions.csv``, ``population.csv`` (means and
shares of every item: PPI++ beside the pilot alone and the base LLM, with item, formula, family,
note and the population each row describes), ``summary.txt``, ``report.html`` and, when holdout
answers are given (the bundled study), ``holdout_accuracy.csv``. Distributed (Dask) fits skip
``predictions.csv.gz`` (it would bring every fit's population into memory); their features are
computed partition by partition and written.
"""

from pathlib import Path

import pandas as pd

from ..common.checks import check_alpha, check_count
from ..common.errors import SynthsurveyError
from ..evaluation import metrics
from ..featurize.scales import scales_table
from ..io.readers import read_humans, read_samples, read_table, rename_id
from .questionnaire import debias_items
from .study import scales_argument

DIGITS = 4


def write_csv(frame, path):
    """Write ``frame`` as CSV with every float to ``DIGITS`` significant digits."""
    frame.to_csv(path, index=False, float_format=f"%.{DIGITS}g")


def check_out(out):
    """The output folder, created; an error when it is an existing file or cannot be created."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SynthsurveyError(f"--out {str(out)!r} is an existing file, not a folder: name a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SynthsurveyError(f"cannot create the output folder {str(out)!r}: {error.strerror}") from None
    return out


def load(study):
    """(samples, humans, covariates) read from the study's files (ids renamed to ``id``)."""
    samples = read_samples(study.samples)
    if study.id_column != "id" and study.id_column in samples.columns and study.key == "id":
        samples = samples.rename(columns={study.id_column: "id"})
    if "item" not in samples.columns:
        raise SynthsurveyError(f"samples {study.samples!r} need columns {study.key}, item, draw, response; they have "
                               f"{', '.join(map(str, list(samples.columns)[:8]))}")
    items = samples["item"].unique()
    items = list(items.compute() if hasattr(items, "compute") else items)
    humans = read_humans(study.humans, study.wide, study.id_column, items)
    covariates = None
    if study.covariates:
        covariates = rename_id(read_table(study.covariates, "covariates file"), study.id_column, "covariates file",
                               study.covariates)
    return samples, humans, covariates


def run_study(study, data=None):
    """Run ``study`` (an ``interfaces.study.Study``) on its files (or ``data``: (samples, humans,
    covariates)) and write the outputs to ``study.out``. Returns the QuestionnaireResults."""
    check_alpha(study.alpha)
    check_count(study.folds, "folds", minimum=2)
    out = check_out(study.out)
    samples, humans, covariates = load(study) if data is None else data
    known = samples["item"].unique()
    known = list(known.compute() if hasattr(known, "compute") else known)
    results = debias_items(samples, humans, covariates, items=study.items, formulas=study.formulas or None,
                           families=study.families or None, scales=scales_argument(study, study.items or known),
                           covariate_terms=list(study.covariate_terms), key=study.key, alpha=study.alpha,
                           folds=study.folds, seed=study.seed, errors=study.errors, unseen_levels=study.unseen_levels)
    write_outputs(results, out, study)
    return results


def write_outputs(results, out, study):
    """Every output file of the module docstring."""
    fitted = results.fitted
    features = fitted.features
    if not isinstance(features, pd.DataFrame):  # Dask: one row per (person, item), computed from the persisted table
        features = features.compute().sort_values([fitted.key, "item"], kind="stable")
    write_csv(features, out / "features.csv.gz")
    scales = scales_table(results.scales)
    for column in ("levels", "missing"):
        scales[column] = [", ".join(f"{v:g}" for v in values) for values in scales[column]]
    write_csv(scales, out / "scales.csv")
    fits = results.fits
    tables = {"coefficients": [], "predictions": [], "exclusions": []}
    for item, fit in fits.items():
        tables["coefficients"].append(fit.table().assign(item=item, formula=fit.formula, family=fit.family))
        tables["exclusions"].append(fit.exclusions.assign(item=item))
        if fit.in_memory:
            tables["predictions"].append(fit.baselines().assign(item=item))
    for name, parts in tables.items():
        if parts:
            table = pd.concat(parts, ignore_index=True)
            suffix = ".csv.gz" if name == "predictions" else ".csv"
            write_csv(table, out / f"{name}{suffix}")
    population = results.population(weights=study.weights)
    write_csv(population.table(), out / "population.csv")
    text = [str(results.summary()), "", str(population.summary())]
    text += [f"\n== {item}: {fit.formula} ({fit.family})\n{fit.summary()}" for item, fit in fits.items()]
    (out / "summary.txt").write_text("\n".join(text) + "\n")
    if study.holdout is not None and tables["predictions"]:
        predictions = pd.concat(tables["predictions"], ignore_index=True)
        write_csv(holdout_accuracy(predictions, study.holdout), out / "holdout_accuracy.csv")
    if fits:
        results.report(out / "report.html", analyst=study.analyst, by=list(study.by) or None,
                       coherence=study.coherence)


def holdout_accuracy(predictions, holdout):
    """RMSE and MAE of each predictor against held-out human answers (long table id, item,
    response), per item: a DataFrame (item, predictor, n, rmse, mae)."""
    joined = predictions.drop(columns="response").merge(holdout, on=["id", "item"])
    rows = []
    for item, group in joined.groupby("item"):
        for predictor in ("base", "scalar", "pilot", "debiased"):
            rows.append({"item": item, "predictor": predictor, "n": len(group),
                         "rmse": metrics.rmse(group["response"], group[predictor]),
                         "mae": metrics.mae(group["response"], group[predictor])})
    return pd.DataFrame(rows)
