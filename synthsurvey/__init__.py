"""synthsurvey: debias LLM survey answers with a small human pilot."""

from .errors import SynthsurveyError
from .features import features, infer_scales
from .feature_sets import default_formula, feature_set
from .scales import Scale
from .debias import debias, DebiasResults
from .population import population_mean, population_shares, population_quantile
from .coefficients import population_ols, population_logit
from .planning import plan_pilot
from .recovery import recover
from .fidelity import fidelity
from .report import report
from .groups import group_cells, calibrate_groups, alignment_curve
from .edsl_results import from_edsl
from . import metrics, datasets

__all__ = ["SynthsurveyError", "features", "infer_scales", "default_formula", "feature_set",
           "Scale", "debias", "DebiasResults", "metrics", "datasets",
           "population_mean", "population_shares", "population_quantile", "population_ols",
           "population_logit", "plan_pilot", "recover", "fidelity", "report",
           "group_cells", "calibrate_groups", "alignment_curve", "from_edsl"]
__version__ = "0.1.0"
