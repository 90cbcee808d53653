"""The functions the R package calls (through reticulate). Data frames travel as frame
specs (see ``rbridge``); each function returns a frame spec, a fitted Python object, or
plain scalars. No statistics here: every number comes from the core, and every result reaches R
through ``result_spec`` (its ``table()`` and notes), so R shows what Python computes."""

import numpy as np

from .. import featurize as feature_stage
from .. import evaluation as fidelity_stage
from .. import inference
from ..io import datasets
from ..io.simulate import STUDY_FILES, simulate_study
from ..models import debias as core_debias
from .rbridge import frame_from_spec, frame_to_spec


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


def result_spec(result):
    """What R needs of any result: its tidy table (a frame spec), alpha and notes."""
    return {"table": frame_to_spec(result.table()), "alpha": result.alpha, "notes": list(result.notes),
            "keys": [str(key) for key in result.table().attrs.get("keys", ())]}


def features(samples, key, scales):
    """ss_features: the feature table."""
    return frame_to_spec(feature_stage.features(_frame(samples), key=key, scales=_scales(scales)))


def debias(formula, samples, humans, covariates, family, key, scales, link, q):
    """ss_debias: the fitted DebiasResults (kept in Python; R holds a reference)."""
    return core_debias(formula, _frame(samples), _frame(humans), _frame(covariates), family=family, key=key,
                       scales=_scales(scales), link=link, q=float(q))


def fit_info(fit):
    """Scalars R's print/summary methods show."""
    return {"item": fit.item, "formula": fit.formula, "family": fit.family, "scale": fit.scale.describe(),
            "nobs": fit.nobs, "n_population": fit.n_population, "link": fit.link, "q": fit.q,
            **fit.statistics()}


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


def fit_predict(fit, kind, predictor, newdata):
    return frame_to_spec(fit.predict(kind=kind, predictor=predictor, newdata=_frame(newdata)))


def fit_baselines(fit):
    return frame_to_spec(fit.baselines())


def population_table(function, fit, options):
    """One of population_mean / population_shares / population_quantile on ``fit``."""
    return result_spec(getattr(inference, function)(fit, **_options(options)))


def coefficient_table(function, fit, formula, options):
    """population_ols / population_logit of the analyst's ``formula`` on ``fit``."""
    return result_spec(getattr(inference, function)(fit, formula, **_options(options)))


def plan_pilot(fit, half_width, rho, sd, n_population, alpha):
    plan = inference.plan_pilot(fit, half_width=half_width, rho=rho, sd=sd,
                                n_population=None if n_population is None else int(n_population), alpha=alpha)
    return {**result_spec(plan), "curve": frame_to_spec(plan.curve()), "target": plan.target, "n_ppi": plan.n_ppi,
            "n_classical": plan.n_classical, "sd": plan.sd, "rho": plan.rho}


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
    return {"tables": {name: frame_to_spec(table) for name, table in report.tables().items()}, "py": report}


def report(fits_or_report, path, title, formula, by, coherence):
    """ss_report: write the HTML report; returns its path."""
    if isinstance(fits_or_report, fidelity_stage.FidelityReport):
        return str(fidelity_stage.report(fits_or_report, path, title=title))
    return str(fidelity_stage.report(list(fits_or_report), path, title=title, formula=formula, by=list(by or []),
                                     coherence=None if coherence is None else tuple(coherence)))


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
    from ..models.sampling import Design

    return fit.with_design(Design(strata=strata, cluster=cluster, probs=probs, weights=weights, fpc=bool(fpc)))


def fit_design(fit):
    """The fit's pilot design as a named list of its columns (R shows it)."""
    design = fit.pilot_design
    return {"strata": design.strata, "cluster": design.cluster, "probs": design.probs, "weights": design.weights,
            "fpc": design.fpc, "label": design.describe()}


def design_pilot(samples, covariates, n, item, by, key, scales, min_per_group, seed):
    """ss_design_pilot: the planned pilot's strata table, whom to recruit, the covariates with the
    stratum column and the stratum column's name."""
    from ..inference.pilot_design import STRATUM, design_pilot as plan_pilot_design

    plan = plan_pilot_design(_frame(samples), _frame(covariates), int(n), item, by=by, key=key, scales=_scales(scales),
                             min_per_group=int(min_per_group), seed=int(seed))
    return {**result_spec(plan), "recruit": frame_to_spec(plan.recruit), "covariates": frame_to_spec(plan.covariates),
            "strata": STRATUM, "n": plan.n, "predicted_width_ratio": plan.predicted_width_ratio,
            "worst_width_ratio": plan.worst_width_ratio}
