"""The functions the R package calls (through reticulate). Data frames travel as frame
specs (see ``rbridge``); each function returns a frame spec, a fitted Python object, or
plain scalars. No statistics here: every number comes from the core, and every result reaches R
through ``result_spec`` (its ``table()`` and notes), so R shows what Python computes.

A fit from R is made in two calls: ``debias_model`` builds the model (features, the item's
frame, exclusions) from a formula naming the columns the R formula reads, and returns the
frame's columns R needs; R builds the design with its own ``model.matrix`` on them and
``debias_fit`` fits on it (``DebiasModel.with_matrix``), so coefficient names, order and
contrasts are R's.
"""

import pickle

import numpy as np
import pandas as pd

from .. import featurize as feature_stage
from .. import evaluation as fidelity_stage
from .. import inference
from ..common.errors import SynthsurveyError, preview
from ..io import datasets
from ..io.simulate import STUDY_FILES, simulate_study
from ..inference.pilot_design import STRATUM, design_pilot as plan_pilot_design
from ..models import DebiasModel
from ..models import default_formula as default_formula_text
from ..models import debias as core_debias
from ..models.frame import IS_PILOT, RESPONSE
from ..models.sampling import Design
from .rbridge import frame_from_spec, frame_to_spec, matrix_from_spec

ROW = "_r_row"  # position (1-based) of each frame row's person in R's covariates
from .rsources import compare_sources, simulate_sources, sources_report, tuned_ids  # noqa: F401 (R calls these)


def _frame(spec):
    return None if spec is None else frame_from_spec(spec)


def _scales(scales):
    if scales is None:
        return None
    return {item: (spec if isinstance(spec, str) else list(np.atleast_1d(spec)))
            for item, spec in dict(scales).items()}


def _options(options):
    options = dict(options)
    for name in ("folds", "seed", "replications", "floor_replications"):
        if name in options:
            options[name] = int(options[name])
    for name in ("weights", "pilot_weights"):
        if name in options and not isinstance(options[name], (str, type(None))):
            options[name] = np.asarray(options[name], dtype=float)
    if "by" in options and options["by"] is not None and not isinstance(options["by"], str):
        options["by"] = [str(name) for name in options["by"]]
    return options


# ids ------------------------------------------------------------------------------------------

def _is_text(series):
    dtype = series.dtype.categories.dtype if isinstance(series.dtype, pd.CategoricalDtype) else series.dtype
    return not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


def _integer_text(values):
    """Integers from texts that are each the canonical text of one ("12", not "012" or "12.0");
    None when some text is not."""
    texts = pd.Series(values, dtype=object).astype(str)
    numbers = pd.to_numeric(texts, errors="coerce")
    if numbers.isna().any() or not np.all(np.mod(numbers, 1) == 0):
        return None
    numbers = numbers.astype(np.int64)
    return numbers.to_numpy() if (numbers.astype(str) == texts).all() else None


def _number_text(series):
    """A numeric id column as text (object array): integers without a decimal point, NA as None."""
    values = series.to_numpy(dtype=float, na_value=np.nan)
    whole = np.isfinite(values) & (np.mod(values, 1) == 0)
    text = np.empty(len(values), dtype=object)
    text[whole] = values[whole].astype(np.int64).astype(str)
    text[~whole] = [None if np.isnan(v) else repr(float(v)) for v in values[~whole]]
    return text


def _as_numbers(series):
    """A text id column whose every value is an integer's canonical text, as integers (a
    Categorical through its categories); None otherwise."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        numbers = _integer_text(series.cat.categories)
        if numbers is None or series.isna().any():
            return None
        return pd.Series(numbers[series.cat.codes.to_numpy()], index=series.index)
    values = series.dropna().unique()
    numbers = _integer_text(values)
    if numbers is None or series.isna().any():
        return None
    return series.map(dict(zip(values, numbers))).astype(np.int64)


def _link(columns):
    """Make the id columns ``columns`` [(table name, frame, column)], which must hold the same ids,
    comparable: when some hold text and others numbers, the text becomes numbers if every text is
    an integer's canonical text, else the numbers become text; the ids must then match as text
    between the tables, or the error shows both."""
    present = [(name, frame, column) for name, frame, column in columns
               if frame is not None and column in frame.columns]
    if len({_is_text(frame[column]) for _, frame, column in present}) < 2:
        return
    shown = {name: f"{column}: {'text' if _is_text(frame[column]) else 'numbers'}, e.g. "
                   f"{preview(frame[column].dropna().unique()[:3])}" for name, frame, column in present}
    text = [(frame, column) for _, frame, column in present if _is_text(frame[column])]
    converted = [_as_numbers(frame[column]) for frame, column in text]
    if all(values is not None for values in converted):
        for (frame, column), values in zip(text, converted):
            frame[column] = values.to_numpy()
    else:
        for _, frame, column in present:
            if not _is_text(frame[column]):
                frame[column] = _number_text(frame[column])
            elif isinstance(frame[column].dtype, pd.CategoricalDtype):
                frame[column] = frame[column].astype(object).to_numpy()
    first_name, first, first_column = present[0]
    for name, frame, column in present[1:]:
        shared = pd.Index(first[first_column].dropna().unique()).intersection(pd.Index(frame[column].dropna().unique()))
        if len(shared) == 0:
            raise SynthsurveyError(f"the ids of {first_name} ({shown[first_name]}) and of {name} ({shown[name]}) "
                                   "do not match as text")


def _linked_ids(samples, humans, covariates, key):
    """Make the id columns of the three tables comparable (see ``_link``); returns None."""
    if key == "id":
        _link([("samples", samples, "id"), ("humans", humans, "id"), ("covariates", covariates, "id")])
    else:
        _link([("samples", samples, key), ("covariates", covariates, key)])
        _link([("humans", humans, "id"), ("covariates", covariates, "id")])


def _tables(samples, humans, covariates, key, row_numbers=False, features=None):
    """The tables of a call as pandas, ids linked (see ``_link``); ``features`` (a feature table,
    standing in for the samples) is linked like them. With ``row_numbers``, covariates get the
    column ``_r_row``: each person's row in R's covariates."""
    samples, humans, covariates, features = (_frame(table) for table in (samples, humans, covariates, features))
    if row_numbers and covariates is not None:
        covariates[ROW] = np.arange(1, len(covariates) + 1, dtype=np.int32)
    for draws in (samples, features):
        if draws is not None:
            _linked_ids(draws, humans, covariates, key)
    return samples, humans, covariates, features


# results -----------------------------------------------------------------------------------------

def result_spec(result):
    """What R needs of any result: its tidy table (a frame spec), alpha, notes, the Python
    object and its pickle (which R keeps, to restore the object in a later session)."""
    return {"table": frame_to_spec(result.table()), "alpha": result.alpha, "notes": list(result.notes),
            "keys": [str(key) for key in result.table().attrs.get("keys", ())], "py": result,
            "pickle": bytearray(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))}


def restore(data):
    """A result from its pickle (``result_spec``'s)."""
    return pickle.loads(bytes(data))


def result_table(result, alpha):
    """A result's tidy table at level 1 - alpha."""
    return frame_to_spec(result.table(alpha))


def features(samples, key, scales):
    """ss_features: the feature table."""
    return frame_to_spec(feature_stage.features(_frame(samples), key=key, scales=_scales(scales)))


# fits ----------------------------------------------------------------------------------------------

def debias(formula, samples, humans, covariates, family, key, scales, link, q, features=None, source=None,
           tuned_on=None):
    """ss_debias with a formula in the Python core's syntax: the fitted DebiasResults."""
    samples, humans, covariates, features = _tables(samples, humans, covariates, key, features=features)
    return core_debias(formula, samples, humans, covariates, family=family, key=key,
                       scales=_scales(scales), link=link, q=float(q), features=features, source=source,
                       tuned_on=tuned_ids(tuned_on))


def debias_model(formula, samples, humans, covariates, family, key, scales, link, q, features=None, source=None,
                 tuned_on=None):
    """The DebiasModel of ``formula`` (an item and the columns R's formula reads) and the columns
    of its frame R builds the design from: id, the row of each person in R's covariates
    (``_r_row``), response, is_pilot and the formula's llm_* features."""
    samples, humans, covariates, features = _tables(samples, humans, covariates, key, True, features)
    model = DebiasModel(formula, samples, humans, covariates, family=family, key=key, scales=_scales(scales),
                        link=link, q=float(q), features=features, source=source, tuned_on=tuned_ids(tuned_on))
    columns = ["id", *([ROW] if ROW in model.frame.columns else []), RESPONSE, IS_PILOT,
               *model.spec.llm_features]
    return {"model": model, "frame": frame_to_spec(model.frame[columns])}


def debias_fit(model, matrix, reads_llm):
    """Fit ``model`` on the design R built (a matrix spec; see ``DebiasModel.with_matrix``)."""
    design = matrix_from_spec(matrix)
    design.columns = ["Intercept" if name == "(Intercept)" else name for name in design.columns]
    return model.with_matrix(design, list(np.atleast_1d(reads_llm))).fit()


def fit_info(fit):
    """Scalars R's print/summary methods show."""
    statistics = fit.statistics()
    return {"item": fit.item, "formula": fit.formula, "family": fit.family, "scale": fit.scale.describe(),
            "levels": [float(level) for level in fit.scale.levels], "discrete": bool(fit.scale.is_discrete),
            "nobs": fit.nobs, "n_population": fit.n_population, "link": fit.link, "q": fit.q,
            "df": float(fit.fitted.df), "n_coef": len(fit.params), **statistics, "notes": list(fit.notes)}


def fit_table(fit, alpha):
    """Tidy coefficient table of a fit."""
    return frame_to_spec(fit.table(alpha))


def fit_exclusions(fit):
    return frame_to_spec(fit.exclusions)


def fit_vcov(fit):
    """Covariance matrix of the coefficients as a frame with a leading ``term`` column."""
    matrix = fit.vcov()
    names = list(matrix.columns)
    matrix = matrix.reset_index(drop=True)
    matrix.insert(0, "term", names)
    return frame_to_spec(matrix)


def _newdata(newdata, matrix):
    frame = _frame(newdata)
    if frame is not None and "id" not in frame.columns:
        frame.insert(0, "id", np.arange(1, len(frame) + 1))
    design = None
    if matrix is not None:
        design = matrix_from_spec(matrix)
        design.columns = ["Intercept" if name == "(Intercept)" else name for name in design.columns]
    return frame, design


def fit_predict(fit, kind, predictor, newdata, matrix):
    """Predictions of one kind and predictor for everybody, or for newdata (with its design)."""
    frame, design = _newdata(newdata, matrix)
    return frame_to_spec(fit.predict(kind=kind, predictor=predictor, newdata=frame, matrix=design))


def fit_intervals(fit, kind, newdata, matrix, interval, alpha):
    """Predictions with standard errors and limits (``DebiasResults.prediction_intervals``)."""
    frame, design = _newdata(newdata, matrix)
    return frame_to_spec(fit.prediction_intervals(kind, frame, design, interval, alpha))


def fit_values(fit, kind):
    """The pilot rows' id, answer, fitted value (in-sample expected answer) and residual of ``kind``."""
    pilot = fit.frame.loc[fit.is_pilot]
    return frame_to_spec(pd.DataFrame({
        "id": pilot["id"].to_numpy(), "response": pilot[RESPONSE].to_numpy(dtype=float),
        "fitted": fit.predict_values("response", "debiased", pilot),
        "residual": fit.fitted.residuals(kind)}))


def fit_baselines(fit):
    return frame_to_spec(fit.baselines())


# estimates ----------------------------------------------------------------------------------------

def population_table(function, fit, options):
    """One of population_mean / population_shares / population_quantile on ``fit``."""
    return result_spec(getattr(inference, function)(fit, **_options(options)))


def coefficient_table(function, fit, formula, options):
    """population_ols / population_logit of the analyst's ``formula`` on ``fit``."""
    return result_spec(getattr(inference, function)(fit, formula, **_options(options)))


def plan_pilot(fit, half_width, rho, sd, n_population, alpha, sizes=None):
    plan = inference.plan_pilot(fit, half_width=half_width, rho=rho, sd=sd,
                                n_population=None if n_population is None else int(n_population), alpha=alpha)
    curve = plan.curve(None if sizes is None else [int(size) for size in sizes])
    return {**result_spec(plan), "curve": frame_to_spec(curve), "target": plan.target, "n_ppi": plan.n_ppi,
            "n_classical": plan.n_classical, "sd": plan.sd, "rho": plan.rho}


def recover(fit, formula, family, alpha):
    """ss_recover: coefficient table by estimator and its agreement tables."""
    result = fidelity_stage.recover(fit, formula, family=family, alpha=alpha)
    return {**result_spec(result), "per_term": frame_to_spec(result.per_term()),
            "overall": frame_to_spec(result.overall())}


def fidelity(fits, formula, by, coherence, replications):
    """ss_fidelity: every table of the report, plus the report object (for ss_report)."""
    report = fidelity_stage.fidelity(list(fits), formula=formula, by=list(by or []),
                                     coherence=None if coherence is None else tuple(coherence),
                                     replications=int(replications))
    return {"tables": {name: frame_to_spec(table) for name, table in report.tables().items()}, "py": report,
            "pickle": bytearray(pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL))}


def report(fits_or_report, path, title, formula, by, coherence):
    """ss_report: write the HTML report; returns its path."""
    if isinstance(fits_or_report, fidelity_stage.FidelityReport):
        return str(fidelity_stage.report(fits_or_report, path, title=title))
    return str(fidelity_stage.report(list(fits_or_report), path, title=title, formula=formula, by=list(by or []),
                                     coherence=None if coherence is None else tuple(coherence)))


def default_formula(item, scale, covariates, variant, features):
    """ss_default_formula: the formula text (covariate terms are R's, pasted as given)."""
    scale = scale if isinstance(scale, str) else [float(level) for level in np.atleast_1d(scale)]
    return default_formula_text(item, scale, list(covariates or []), variant=variant, features=_frame(features))


def group_cells(samples, humans, covariates, key, group):
    """ss_group_cells: human and LLM distributions per (item, group)."""
    samples, humans, covariates, _ = _tables(samples, humans, covariates, key)
    return frame_to_spec(fidelity_stage.group_cells(samples, humans, covariates, key=key, group=group))


def calibrate_groups(cells, labeled):
    """ss_calibrate_groups: the calibration fit on ``labeled`` [(item, group)], what it chose and its
    evaluation on the other cells."""
    cells = _frame(cells)
    calibration = fidelity_stage.calibrate_groups(cells, [tuple(cell) for cell in labeled])
    return {"tau": float(calibration.tau), "member": str(getattr(calibration, "member", "temperature")),
            "evaluation": frame_to_spec(calibration.evaluate(cells))}


def alignment_curve(cells, sizes, replications, seed):
    """ss_alignment_curve: alignment before and after calibration by number of labeled cells (one
    row per size; the core's notes)."""
    curve = fidelity_stage.alignment_curve(_frame(cells), sizes=[int(size) for size in sizes],
                                           replications=int(replications), seed=int(seed))
    table = getattr(curve, "settings", curve)
    return {"table": frame_to_spec(table), "notes": [str(note) for note in getattr(curve, "notes", ())]}


# data ---------------------------------------------------------------------------------------------

def load_simulated():
    """The bundled simulated study's four tables."""
    return _study_specs(datasets.load_simulated())


def roundtrip(spec):
    """Convert a frame to pandas and back (for the conversion tests); also returns the pandas
    dtypes by column."""
    frame = frame_from_spec(spec)
    return {"frame": frame_to_spec(frame),
            "dtypes": {str(column): str(dtype) for column, dtype in frame.dtypes.items()}}


def simulate(n_people, n_draws, n_pilot, seed):
    """A seeded simulated study (see ``io.simulate.simulate_study``), as frame specs."""
    return _study_specs(simulate_study(int(n_people), int(n_draws), int(n_pilot), int(seed)))


def _study_specs(study):
    """A SimulatedStudy's tables (those ``write_study`` writes) as frame specs by name."""
    return {name: frame_to_spec(getattr(study, name)) for name in STUDY_FILES}


def load_dataset(name):
    """A bundled real data set (``twin2k500`` or ``smartvote``) as frame specs plus its key,
    scales, notes and citation."""
    data = getattr(datasets, f"load_{name}")()
    return {"samples": frame_to_spec(data.samples), "humans": frame_to_spec(data.humans),
            "covariates": frame_to_spec(data.covariates), "items": frame_to_spec(data.items),
            "key": data.key, "scales": data.scales, "notes": list(data.notes), "citation": data.citation}


# pilot designs (issue 15) ------------------------------------------------------------------

def with_design(fit, strata, cluster, probs, weights, fpc):
    """ss_design: the fit with its pilot's design (column names; None for none)."""
    return fit.with_design(Design(strata=strata, cluster=cluster, probs=probs, weights=weights, fpc=bool(fpc)))


def fit_design(fit):
    """The fit's pilot design as a named list of its columns (R shows it)."""
    design = fit.pilot_design
    return {"strata": design.strata, "cluster": design.cluster, "probs": design.probs, "weights": design.weights,
            "fpc": design.fpc, "label": design.describe()}


def design_pilot(samples, covariates, n, item, by, key, scales, min_per_group, seed):
    """ss_design_pilot: the planned pilot's strata table, whom to recruit, the covariates with the
    stratum column and the stratum column's name."""
    plan = plan_pilot_design(_frame(samples), _frame(covariates), int(n), item, by=by, key=key, scales=_scales(scales),
                             min_per_group=int(min_per_group), seed=int(seed))
    return {**result_spec(plan), "recruit": frame_to_spec(plan.recruit), "covariates": frame_to_spec(plan.covariates),
            "strata": STRATUM, "n": plan.n, "predicted_width_ratio": plan.predicted_width_ratio,
            "worst_width_ratio": plan.worst_width_ratio}
