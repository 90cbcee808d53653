"""How many humans does a pilot need? Confidence-interval half-widths of the population mean
by pilot size, for the pilot alone and for PPI++ with predictions of a given quality.

PPI++ uses lam = clip(rho sd / sd_f, 0, 1) (sd of the answers, sd_f of the predictions, rho
their correlation), whose residual variance is sd^2 times

    ratio = 1 - 2 lam rho sd_f / sd + lam^2 sd_f^2 / sd^2,

which is 1 - rho^2 when lam is not clipped, 1 (the pilot alone) when rho <= 0. Under the
subsample design the half-width at pilot size n is z * sqrt((1 - n/N) * sd^2 * ratio / n).
"""

import numpy as np
import pandas as pd
import scipy.stats

from ..common.checks import check_alpha
from ..common.errors import SynthsurveyError
from ..common.results import Result, Summary
from ..models.frame import RESPONSE
from .population import population_mean


def variance_ratio(rho, sd=None, sd_prediction=None):
    """PPI++'s residual variance over the answers' variance with lam clipped to [0, 1] (see the
    module docstring); without ``sd_prediction`` lam is taken as unclipped for rho > 0."""
    if rho <= 0:
        return 1.0
    if sd is None or sd_prediction is None or sd_prediction <= 0:
        return 1.0 - rho ** 2
    lam = float(np.clip(rho * sd / sd_prediction, 0.0, 1.0))
    share = sd_prediction / sd
    return 1.0 - 2 * lam * rho * share + lam ** 2 * share ** 2


def half_width(n, sd, ratio, n_population=None, alpha=0.05):
    """Expected CI half-width (item units) of the mean at pilot size ``n`` with residual variance
    ``ratio`` x sd^2 (ratio 1: the pilot alone)."""
    n = np.asarray(n, dtype=float)
    correction = 1.0 if n_population is None else 1.0 - n / n_population
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    return z * np.sqrt(correction * sd ** 2 * ratio / n)


def required_n(target, sd, ratio, n_population=None, alpha=0.05):
    """Smallest pilot size whose expected half-width is at most ``target``."""
    z = scipy.stats.norm.ppf(1 - alpha / 2)
    spread = z ** 2 * sd ** 2 * ratio
    inverse = target ** 2 / spread + (0.0 if n_population is None else 1.0 / n_population)
    return int(np.ceil(1.0 / inverse))


class PilotPlan(Result):
    """Pilot sizes needed for a half-width ``target``: ``table()`` has one row per method
    (``classical``: the pilot alone; ``ppi++``), term ``n_pilot``, estimate (the pilot size, in
    rows), and the inputs (half_width, sd, rho, variance_ratio, design_effect, n_population);
    ``curve(sizes)`` gives the expected half-widths by pilot size. Attributes ``n_ppi``,
    ``n_classical``, ``sd``, ``rho``, ``ratio``, ``deff``."""

    def __init__(self, target, sd, rho, ratio, n_population, alpha, deff=1.0):
        self.target, self.sd, self.rho, self.ratio = float(target), float(sd), float(rho), float(ratio)
        self.deff = float(deff)
        self.n_population, self.plan_alpha = n_population, alpha
        self.n_ppi = required_n(target, sd, ratio * self.deff, n_population, alpha)
        self.n_classical = required_n(target, sd, self.deff, n_population, alpha)
        rows = [{"term": "n_pilot", "estimate": float(n), "std_error": np.nan, "method": method,
                 "half_width": self.target, "sd": self.sd, "rho": self.rho, "variance_ratio": ratio,
                 "design_effect": self.deff, "n_population": np.nan if n_population is None else n_population}
                for method, n, ratio in (("classical", self.n_classical, 1.0), ("ppi++", self.n_ppi, self.ratio))]
        self._set_estimates(pd.DataFrame(rows), alpha)
        self._freeze()

    def curve(self, sizes=None):
        """Expected half-widths by pilot size: DataFrame (n, half_width_classical, half_width_ppi)."""
        if sizes is None:
            top = max(self.n_classical, self.n_ppi) * 2
            if self.n_population:
                top = min(top, self.n_population - 1)
            sizes = np.unique(np.linspace(10, max(top, 20), 25).astype(int))
        sizes = np.asarray(sizes)
        return pd.DataFrame({
            "n": sizes,
            "half_width_classical": half_width(sizes, self.sd, self.deff, self.n_population, self.plan_alpha),
            "half_width_ppi": half_width(sizes, self.sd, self.ratio * self.deff, self.n_population,
                                         self.plan_alpha),
        })

    def summary(self, alpha=None):
        info = [("Target half-width", self.target), ("Confidence level", f"{100 * (1 - self.plan_alpha):g}%"),
                ("Answers' sd", self.sd), ("Prediction-answer correlation", self.rho),
                ("Design effect", self.deff),
                ("Pilot size with PPI++", self.n_ppi), ("Pilot size alone", self.n_classical)]
        return Summary("Pilot plan", info, self.table(), columns=["method", "estimate", "variance_ratio"])

    def __repr__(self):
        return (f"<PilotPlan: {self.n_ppi} with PPI++ (rho={self.rho:.3f}), {self.n_classical} alone, "
                f"for a {100 * (1 - self.plan_alpha):g}% CI half-width of {self.target:g}>")


def plan_pilot(fit=None, half_width=None, rho=None, sd=None, n_population=None, alpha=0.05, folds=5, seed=0,
               deff=None):
    """Pilot size for a CI half-width ``half_width`` (item units) of the population mean.

    From a ``fit`` (a DebiasResults): sd of the pilot answers, the correlation of its
    cross-fitted predictions with them, N from its population, and the variance ratio of PPI++
    and the design effect measured under the fit's pilot design (see the module docstring). Or
    from assumed ``rho`` and ``sd`` (and optionally ``n_population`` and the design effect
    ``deff``, default 1). Returns a PilotPlan. A half-width that a pilot of 2 already reaches is
    refused: it is not on the item's scale (a percentage?).
    """
    if isinstance(fit, (int, float)) and not isinstance(fit, bool):
        raise SynthsurveyError(f"plan_pilot takes the fit first: plan_pilot(fit, half_width={fit!r}) or "
                               f"plan_pilot(half_width={fit!r}, rho=..., sd=...)")
    if half_width is None or not half_width > 0:
        raise SynthsurveyError(f"half_width must be a positive number in the item's units, got {half_width!r}")
    if deff is not None and not deff > 0:
        raise SynthsurveyError(f"deff (the design effect) must be positive, got {deff!r}")
    alpha = check_alpha(alpha)
    ratio = None
    if fit is not None:
        predicted = fit.predictions("response", True, folds, seed)[fit.is_pilot]
        answers = fit.frame.loc[fit.is_pilot, RESPONSE].to_numpy(dtype=float)
        sd = float(np.std(answers, ddof=1)) if sd is None else sd
        rho = float(np.corrcoef(answers, predicted)[0, 1]) if rho is None else rho
        n_population = fit.n_population if n_population is None else n_population
        measured_ratio, measured_deff = _measured(fit, answers, n_population, folds, seed)
        ratio = measured_ratio if ratio is None else ratio
        deff = measured_deff if deff is None else deff
    if rho is None or sd is None:
        raise SynthsurveyError("plan_pilot needs a fit, or both rho and sd")
    if not -1 < rho < 1 or sd <= 0:
        raise SynthsurveyError(f"rho must lie in (-1, 1) and sd be positive, got rho={rho!r}, sd={sd!r}")
    deff = 1.0 if deff is None else deff
    if required_n(half_width, sd, deff, n_population, alpha) <= 2:
        raise SynthsurveyError(
            f"half_width={half_width!r} is reached by a pilot of 2 answers (sd {sd:.3g}): give the half-width in "
            "the item's units (e.g. 0.1 on a 1-5 scale), not a percentage")
    return PilotPlan(half_width, sd, rho, variance_ratio(rho) if ratio is None else ratio, n_population, alpha, deff)


def _measured(fit, answers, n_population, folds, seed):
    """(Var PPI++ / Var pilot alone, design effect of the pilot alone) under the fit's design."""
    classical = population_mean(fit, method="classical", folds=folds, seed=seed).table()
    tuned = population_mean(fit, folds=folds, seed=seed).table()
    n = len(answers)
    simple = (1 - n / n_population) * np.var(answers, ddof=1) / n
    classical_variance = classical["std_error"][0] ** 2
    if not (classical_variance > 0 and simple > 0):
        return 1.0, 1.0
    return float(tuned["std_error"][0] ** 2 / classical_variance), float(classical_variance / simple)
