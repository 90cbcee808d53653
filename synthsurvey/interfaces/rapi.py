"""The functions the R package calls (through reticulate), each by name through ``call``, which
hands the core's warnings to R. Data frames travel as frame specs (see ``rbridge``; ids linked
and results returned by ``rcommon``); each function returns a frame spec, a fitted Python object,
or plain scalars. No statistics here: every number comes from the core, and every result reaches
R through ``result_spec`` (its ``table()`` and notes), so R shows what Python computes. The calls
for questionnaires, group calibration and several sources live in ``rquestionnaire``,
``rgroups`` and ``rsources``, imported here (R loads this module only).

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
from ..common.errors import SynthsurveyError
from ..io import datasets
from ..io.simulate import STUDY_FILES, simulate_study
from ..inference.pilot_design import STRATUM, design_pilot as plan_pilot_design
from ..models import DebiasModel
from ..models import default_formula as default_formula_text
from ..models import debias as core_debias
from ..models.frame import IS_PILOT, RESPONSE
from ..models.sampling import Design
from .rbridge import frame_to_spec, matrix_from_spec
from .rcommon import ROW, call_tables, estimate_options, from_spec, result_spec, scale_declarations
from .rcommon import with_warnings as _with_warnings
# what R calls from the other R entry modules (R loads this one)
from .rgroups import alignment_curve, calibrate_groups, group_cells, load_distalign  # noqa: F401
from .rquestionnaire import (debias_items, questionnaire_fit, questionnaire_overview,  # noqa: F401
                             questionnaire_population, questionnaire_report, simulate_questionnaire)
from .rsources import compare_sources, simulate_sources, sources_report, tuned_ids  # noqa: F401


def call(name, *args):
    """Call the function ``name`` of this module with ``args``: {"value", "warnings"} (see
    ``rcommon.with_warnings``). The R package makes every call through this one."""
    return _with_warnings(globals()[name], *args)


# results -----------------------------------------------------------------------------------------

def restore(data):
    """A result from its pickle (``result_spec``'s)."""
    return pickle.loads(bytes(data))


def result_table(result, alpha):
    """A result's tidy table at level 1 - alpha."""
    return frame_to_spec(result.table(alpha))


def result_vcov(result):
    """The covariance of a result's estimates (``PopulationResult.vcov()``: coefficients and
    shares) as a frame with a leading ``term`` column; None where the core computes none (one
    estimate per group, a quantile, estimates of many items)."""
    try:
        return _vcov_spec(result.vcov())
    except SynthsurveyError:
        return None


def features(samples, key, scales):
    """ss_features: the feature table."""
    return frame_to_spec(feature_stage.features(from_spec(samples), key=key, scales=scale_declarations(scales)))


# fits ----------------------------------------------------------------------------------------------

def debias(formula, samples, humans, covariates, family, key, scales, link, q, features=None, source=None,
           tuned_on=None):
    """ss_debias with a formula in the Python core's syntax: the fitted DebiasResults."""
    samples, humans, covariates, features = call_tables(samples, humans, covariates, key, features=features)
    return core_debias(formula, samples, humans, covariates, family=family, key=key,
                       scales=scale_declarations(scales), link=link, q=float(q), features=features, source=source,
                       tuned_on=tuned_ids(tuned_on))


def debias_model(formula, samples, humans, covariates, family, key, scales, link, q, features=None, source=None,
                 tuned_on=None):
    """The DebiasModel of ``formula`` (an item and the columns R's formula reads) and the columns
    of its frame R builds the design from: id, the row of each person in R's covariates
    (``_r_row``), response, is_pilot and the formula's llm_* features."""
    samples, humans, covariates, features = call_tables(samples, humans, covariates, key, True, features)
    model = DebiasModel(formula, samples, humans, covariates, family=family, key=key, scales=scale_declarations(scales),
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


def _vcov_spec(matrix):
    """A covariance DataFrame (labelled by term) as a frame with a leading ``term`` column."""
    names = list(matrix.columns)
    matrix = matrix.reset_index(drop=True)
    matrix.insert(0, "term", names)
    return frame_to_spec(matrix)


def fit_vcov(fit):
    """Covariance matrix of the coefficients as a frame with a leading ``term`` column."""
    return _vcov_spec(fit.vcov())


def _newdata(newdata, matrix):
    frame = from_spec(newdata)
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
    return result_spec(getattr(inference, function)(fit, **estimate_options(options)))


def coefficient_table(function, fit, formula, options):
    """population_ols / population_logit of the analyst's ``formula`` on ``fit``."""
    return result_spec(getattr(inference, function)(fit, formula, **estimate_options(options)))


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
    return default_formula_text(item, scale, list(covariates or []), variant=variant, features=from_spec(features))


# data ---------------------------------------------------------------------------------------------

def load_simulated():
    """The bundled simulated study's four tables."""
    return _study_specs(datasets.load_simulated())


def roundtrip(spec):
    """Convert a frame to pandas and back (for the conversion tests); also returns the pandas
    dtypes by column."""
    frame = from_spec(spec)
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
    plan = plan_pilot_design(from_spec(samples), from_spec(covariates), int(n), item, by=by, key=key, scales=scale_declarations(scales),
                             min_per_group=int(min_per_group), seed=int(seed))
    return {**result_spec(plan), "recruit": frame_to_spec(plan.recruit), "covariates": frame_to_spec(plan.covariates),
            "strata": STRATUM, "n": plan.n, "predicted_width_ratio": plan.predicted_width_ratio,
            "worst_width_ratio": plan.worst_width_ratio}
