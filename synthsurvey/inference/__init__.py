"""Stage 4: inference. Prediction-powered estimators on arrays (``ppi``), population means,
shares, quantiles and subgroups, the analyst's coefficients, and pilot planning. Every function
takes the fit first; in-memory and distributed fits both work (``estimation_frame``)."""

from .coefficients import population_logit, population_ols
from .planning import plan_pilot
from .population import PopulationResult, population_mean, population_quantile, population_shares, population_total

__all__ = ["population_mean", "population_total", "population_shares", "population_quantile", "population_ols",
           "population_logit", "plan_pilot", "PopulationResult"]
