"""How many humans does a pilot need? Confidence-interval half-widths of the population mean
by pilot size, for the pilot alone and for PPI++ with predictions of a given quality.

With predictions correlated rho with the answers and the variance-minimising lam, the PPI++
residual variance is sd^2 (1 - rho^2); under the subsample design the half-width at pilot
size n is z * sqrt((1 - n/N) * sd^2 * (1 - rho^2) / n).
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.stats

from .errors import SynthsurveyError


def half_width(n, sd, rho, n_population=None, alpha=0.05):
    """Expected CI half-width (item units) of the PPI++ mean at pilot size ``n`` (rho=0: pilot alone)."""
    n = np.asarray(n, dtype=float)
    correction = 1.0 if n_population is None else 1.0 - n / n_population
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    return z * np.sqrt(correction * sd**2 * (1 - rho**2) / n)


def required_n(target, sd, rho, n_population=None, alpha=0.05):
    """Smallest pilot size whose expected half-width is at most ``target``."""
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    spread = z**2 * sd**2 * (1 - rho**2)
    inverse = target**2 / spread + (0.0 if n_population is None else 1.0 / n_population)
    return int(np.ceil(1.0 / inverse))


@dataclass(frozen=True)
class PilotPlan:
    """Pilot sizes needed for a half-width ``target``: ``n_ppi`` with PPI++, ``n_classical`` with the
    pilot alone, from ``sd`` (answers' standard deviation) and ``rho`` (prediction-answer correlation)."""

    target: float
    n_ppi: int
    n_classical: int
    sd: float
    rho: float
    n_population: int | None
    alpha: float

    def table(self, sizes=None):
        """Expected half-widths by pilot size: DataFrame (n, half_width_classical, half_width_ppi)."""
        if sizes is None:
            top = max(self.n_classical, self.n_ppi) * 2
            if self.n_population:
                top = min(top, self.n_population - 1)
            sizes = np.unique(np.linspace(10, max(top, 20), 25).astype(int))
        sizes = np.asarray(sizes)
        return pd.DataFrame({
            "n": sizes,
            "half_width_classical": half_width(sizes, self.sd, 0.0, self.n_population, self.alpha),
            "half_width_ppi": half_width(sizes, self.sd, self.rho, self.n_population, self.alpha),
        })


def plan_pilot(half_width_target, fit=None, rho=None, sd=None, n_population=None, alpha=0.05, folds=5, seed=0):
    """Pilot size for a CI half-width ``half_width_target`` (item units) of the population mean.

    From a ``fit`` (a DebiasResults): sd of the pilot answers and the correlation of its
    cross-fitted predictions with them, N from its population. Or from assumed ``rho`` and ``sd``
    (and optionally ``n_population``). Returns a PilotPlan.
    """
    if half_width_target <= 0:
        raise SynthsurveyError(f"half_width_target must be positive, got {half_width_target!r}")
    if fit is not None:
        from .crossfit import predictions

        predicted = predictions(fit, "response", True, folds, seed)[fit.is_pilot]
        answers = fit.frame.loc[fit.is_pilot, "response"].to_numpy(dtype=float)
        sd = float(np.std(answers, ddof=1)) if sd is None else sd
        rho = float(np.corrcoef(answers, predicted)[0, 1]) if rho is None else rho
        n_population = fit.n_population if n_population is None else n_population
    if rho is None or sd is None:
        raise SynthsurveyError("plan_pilot needs a fit, or both rho and sd")
    if not -1 < rho < 1 or sd <= 0:
        raise SynthsurveyError(f"rho must lie in (-1, 1) and sd be positive, got rho={rho!r}, sd={sd!r}")
    return PilotPlan(half_width_target, required_n(half_width_target, sd, rho, n_population, alpha),
                     required_n(half_width_target, sd, 0.0, n_population, alpha), sd, rho, n_population, alpha)
