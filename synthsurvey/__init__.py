"""synthsurvey: debias LLM survey answers with a small human pilot.

The package is built in stages, each importing only from those before it:
``common`` -> ``io`` -> ``features`` -> ``models`` -> ``inference`` -> ``fidelity`` ->
``interfaces``. This module is the public face: ``import synthsurvey as ss`` is instant, and
each name below is imported from its stage the first time it is used.
"""

import importlib

from .common.errors import ScaleWarning, SynthsurveyError, SynthsurveyWarning

_PUBLIC = {
    # io
    "datasets": ("synthsurvey.io.datasets", None),
    "simulate_study": ("synthsurvey.io.simulate", "simulate_study"),
    "simulate_questionnaire": ("synthsurvey.io.simulate_questionnaire", "simulate_questionnaire"),
    "simulate_sources": ("synthsurvey.io.simulate_sources", "simulate_sources"),
    "from_edsl": ("synthsurvey.io.edsl", "from_edsl"),
    # features
    "features": ("synthsurvey.featurize", "features"),
    "infer_scales": ("synthsurvey.featurize", "infer_scales"),
    "Scale": ("synthsurvey.featurize.scales", "Scale"),
    "feature_set": ("synthsurvey.featurize.sets", "feature_set"),
    # models
    "debias": ("synthsurvey.models", "debias"),
    "default_formula": ("synthsurvey.models.defaults", "default_formula"),
    "DebiasModel": ("synthsurvey.models.model", "DebiasModel"),
    "DebiasResults": ("synthsurvey.models.results", "DebiasResults"),
    "DistributedFit": ("synthsurvey.models.distributed", "DistributedFit"),
    "Design": ("synthsurvey.models.sampling", "Design"),
    # inference
    "population_mean": ("synthsurvey.inference.population", "population_mean"),
    "population_total": ("synthsurvey.inference.population", "population_total"),
    "population_shares": ("synthsurvey.inference.population", "population_shares"),
    "population_quantile": ("synthsurvey.inference.population", "population_quantile"),
    "population_ols": ("synthsurvey.inference.coefficients", "population_ols"),
    "population_logit": ("synthsurvey.inference.coefficients", "population_logit"),
    "plan_pilot": ("synthsurvey.inference.planning", "plan_pilot"),
    "design_pilot": ("synthsurvey.inference.pilot_design", "design_pilot"),
    "PilotDesign": ("synthsurvey.inference.pilot_design", "PilotDesign"),
    "PopulationResult": ("synthsurvey.inference.population", "PopulationResult"),
    "PilotPlan": ("synthsurvey.inference.planning", "PilotPlan"),
    # fidelity
    "metrics": ("synthsurvey.evaluation.metrics", None),
    "recover": ("synthsurvey.evaluation.recovery", "recover"),
    "RecoveryResult": ("synthsurvey.evaluation.recovery", "RecoveryResult"),
    "fidelity": ("synthsurvey.evaluation.fidelity", "fidelity"),
    "FidelityReport": ("synthsurvey.evaluation.fidelity", "FidelityReport"),
    "report": ("synthsurvey.evaluation.report", "report"),
    "compare_sources": ("synthsurvey.evaluation.sources", "compare_sources"),
    "SourceComparison": ("synthsurvey.evaluation.sources", "SourceComparison"),
    "group_cells": ("synthsurvey.evaluation.groups", "group_cells"),
    "calibrate_groups": ("synthsurvey.evaluation.calibration", "calibrate_groups"),
    "GroupCalibration": ("synthsurvey.evaluation.calibration", "GroupCalibration"),
    "alignment_curve": ("synthsurvey.evaluation.groups", "alignment_curve"),
    "QuestionnaireResults": ("synthsurvey.evaluation.questionnaire", "QuestionnaireResults"),
    # interfaces
    "debias_items": ("synthsurvey.interfaces.questionnaire", "debias_items"),
    "read_table": ("synthsurvey.io.readers", "read_table"),
}

__all__ = ["SynthsurveyError", "SynthsurveyWarning", "ScaleWarning", *_PUBLIC]
__version__ = "0.2.0"


def __getattr__(name):
    """Import a public name from its stage on first use (PEP 562)."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'synthsurvey' has no attribute {name!r}")
    module_name, attribute = _PUBLIC[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
