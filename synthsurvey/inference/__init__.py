"""Stage 4: inference. Prediction-powered estimators on arrays (``ppi``: means, totals, quantiles;
``regression``: OLS and logistic coefficients) under the pilot's sampling design (``designs``:
survey-package variances; ``domains``: subgroups), population means, totals, shares, quantiles
and subgroups, the analyst's coefficients, pilot planning and pilots chosen from the draws
(``pilot_design``). Every function taking a fit takes it first; in-memory and distributed fits
both work (``estimation_frame``)."""

from .coefficients import population_logit, population_ols
from .pilot_design import PilotDesign, design_pilot
from .planning import plan_pilot
from .population import PopulationResult, population_mean, population_quantile, population_shares, population_total

__all__ = ["population_mean", "population_total", "population_shares", "population_quantile", "population_ols",
           "population_logit", "plan_pilot", "design_pilot", "PilotDesign", "PopulationResult"]
