"""Design-based variances of estimators that are smooth functions of weighted sums over a sample.

Every estimator in ``ppi`` reduces its error to a sum over the pilot's rows of influence values
u_i (one row of an (n, d) array: the linearisation of a Hajek mean, a total or an estimating
equation), plus, under the independent design, a sum over the unlabeled rows. ``SampleDesign``
turns such sums into covariance matrices the way R's ``survey`` package does (``svyrecvar``
for one-stage designs, ``poisson_sampling`` for unequal probabilities):

* strata h, primary sampling units k (rows, or whole clusters) with totals U_hk = sum of u_i
  over the unit's rows; m_h units in the sample, M_h in the frame:
  Var = sum_h (1 - m_h / M_h) m_h / (m_h - 1) sum_k (U_hk - mean_h U)(U_hk - mean_h U)'
  (without a finite-population correction the factor 1 - m_h / M_h is 1);
* unequal inclusion probabilities pi_k with the finite-population correction (Poisson sampling,
  each unit its own fpc): Var = sum_k (1 - pi_k) U_hk U_hk'.

Degrees of freedom: sampled units minus strata (n - 1, clusters - 1, n - strata), as
``survey::degf``, shrunk when the analysis weights are unequal by the Kish ratio of the variance's
coefficients c_k = factor_k x (unit total of the weights)^2, (sum c)^2 / (m sum c^2): a
Satterthwaite approximation under equal unit variances, so that a variance dominated by a few
heavily weighted units is referred to t with few df (equal weights keep survey's df). Measured
with weights 81 times apart (Poisson pilots of ~200, 400 pilots): z intervals covered 0.88-0.89,
these t intervals 0.935. ``Sampling`` bundles the pilot's design, whether the rest of the population is
a known finite frame (``"subsample"``) or an independent sample (``"independent"``, then with the
unlabeled rows' own with-replacement design), and a label for tables.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse

from ..common.errors import SynthsurveyError, preview
from ..models.sampling import Design

RELATIONS = ("subsample", "independent")


class SampleDesign:
    """The design of one sample of n rows (see the module docstring): ``unit`` (the primary
    sampling unit of each row, codes 0..m-1), ``stratum`` (of each unit, codes 0..H-1),
    ``population_units`` (M_h per stratum, None without fpc), ``probs`` (per unit, or None), and
    ``weights`` (each row's sampling weight 1 / pi: M_h / m_h, or 1 / probs)."""

    def __init__(self, unit, unit_stratum, population_units=None, probs=None, labels=None, finite=True):
        self.unit = np.asarray(unit)
        self.n = len(self.unit)
        self.n_units = int(self.unit.max()) + 1 if self.n else 0
        self.stratum = np.asarray(unit_stratum)
        self.n_strata = int(self.stratum.max()) + 1 if self.n else 0
        self.units_per_stratum = np.bincount(self.stratum, minlength=self.n_strata)
        self.population_units = None if population_units is None else np.asarray(population_units, dtype=float)
        self.probs = None if probs is None else np.asarray(probs, dtype=float)
        self.finite = bool(finite) and (self.population_units is not None or self.probs is not None)
        self.labels = labels  # stratum labels, for messages
        self._sum = scipy.sparse.csr_matrix((np.ones(self.n), (self.unit, np.arange(self.n))),
                                            shape=(self.n_units, self.n))
        if self.probs is not None:
            unit_weights = 1.0 / self.probs
        elif self.population_units is not None:
            unit_weights = (self.population_units / self.units_per_stratum)[self.stratum]
        else:
            unit_weights = np.ones(self.n_units)
        self.weights = unit_weights[self.unit]
        self.poisson = self.finite and self.probs is not None
        self._factor = self._unit_factors()

    def _unit_factors(self):
        """The factor of each unit's squared deviation (Poisson: 1 - pi)."""
        if self.poisson:
            return 1.0 - self.probs
        m = self.units_per_stratum.astype(float)
        correction = 1.0 - m / self.population_units if self.finite else np.ones(self.n_strata)
        lonely = (m < 2) & (correction > 1e-12)
        if lonely.any():
            which = lonely.nonzero()[0] if self.labels is None else np.asarray(self.labels)[lonely]
            raise SynthsurveyError(f"stratum {preview(which)} has a single pilot unit: its variance cannot be "
                                   "estimated; merge it with a neighbouring stratum")
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(m > 1, correction * m / (m - 1), 0.0)
        return factor[self.stratum]

    def totals(self, values):
        """Unit totals of ``values`` (n, d) -> (m, d)."""
        return np.asarray(self._sum @ np.asarray(values, dtype=float).reshape(self.n, -1))

    def covariance(self, u, v=None):
        """Design covariance of sum(u) and sum(v) (influence arrays (n, d) and (n, e)) -> (d, e)."""
        first = self.totals(u)
        second = first if v is None else self.totals(v)
        if not self.poisson:
            first = self._centred(first)
            second = first if v is None else self._centred(second)
        return (first * self._factor[:, None]).T @ second

    def variance(self, u):
        """Design variance (d, d) of sum(u) for influence values ``u`` (n, d)."""
        return self.covariance(u)

    def _centred(self, totals):
        means = np.zeros((self.n_strata, totals.shape[1]))
        np.add.at(means, self.stratum, totals)
        means /= np.maximum(self.units_per_stratum, 1)[:, None]
        return totals - means[self.stratum]

    @property
    def df(self):
        """Degrees of freedom: sampled units minus strata (at least 1)."""
        return float(max(self.n_units - self.n_strata, 1))

    def domain_df(self, rows):
        """Degrees of freedom of a domain (boolean mask over rows): its units minus their strata."""
        units = np.unique(self.unit[np.asarray(rows, dtype=bool)])
        return float(max(len(units) - len(np.unique(self.stratum[units])), 1))

    def effective_df(self, weights, rows=None):
        """The df of a variance built from analysis ``weights`` (over rows; zero outside a domain):
        the design's (or the domain's ``rows``') df times the Kish ratio of the coefficients
        factor_k x (unit weight total)^2 (see the module docstring); at least 1."""
        base = self.df if rows is None else self.domain_df(rows)
        coefficients = self._factor * self.totals(weights)[:, 0] ** 2
        coefficients = coefficients[coefficients > 0]
        if len(coefficients) < 2:
            return base
        kish = coefficients.sum() ** 2 / (len(coefficients) * np.sum(coefficients ** 2))
        return float(max(base * kish, 1.0)) if kish < 1 - 1e-9 else base

    def domain_units(self, rows):
        """Number of sampled units with a row in the domain ``rows``."""
        return len(np.unique(self.unit[np.asarray(rows, dtype=bool)]))


def simple_random(n, n_population=None, finite=True):
    """A simple random sample of n rows of N = ``n_population`` (with fpc when ``finite``; without
    N, equal weights and no fpc)."""
    return SampleDesign(np.arange(n), np.zeros(n, dtype=int), None if n_population is None else [n_population],
                        finite=finite)


@dataclass(frozen=True)
class Sampling:
    """The design an estimate assumes: the pilot's ``SampleDesign``, the ``relation`` of the
    population side ("subsample": a known frame the pilot was drawn from; "independent": an
    independent sample, with its own design ``rest``), and a ``label`` for tables."""

    pilot: SampleDesign
    relation: str = "subsample"
    rest: SampleDesign | None = None
    label: str = "subsample"

    @property
    def independent(self):
        return self.relation == "independent"


def from_sizes(design, n, n_all, finite_population=True):
    """The Sampling of a design given by name ("subsample"/"independent") for arrays: a simple
    random pilot of n from N = ``n_all`` rows, or independent simple random samples."""
    if isinstance(design, Sampling):
        if design.pilot.n != n or (design.rest is not None and design.rest.n != n_all):
            raise SynthsurveyError(f"the design describes {design.pilot.n} pilot rows, the data have {n}")
        return design
    if design not in RELATIONS:
        raise SynthsurveyError(f"design {design!r} is not one of {RELATIONS} or an ss.Design")
    if design == "subsample":
        return Sampling(simple_random(n, n_all, finite_population))
    return Sampling(simple_random(n), "independent", simple_random(n_all), "independent")


def _codes(values):
    codes, labels = pd.factorize(pd.Series(values), sort=True)
    return codes, np.asarray(labels)


def sample_design(described, frame, rows, finite_population=True, probs=None):
    """The SampleDesign of the ``rows`` (boolean mask) of ``frame`` drawn by ``described`` (a
    models.sampling.Design) from all of the frame's rows; ``probs`` (over the frame's rows)
    overrides the design's probabilities. Units are clusters (or rows); M_h counts the frame's."""
    rows = np.asarray(rows, dtype=bool)
    finite = finite_population and described.fpc
    unit_all = described.cluster_codes(frame)
    if described.strata is not None:
        stratum_all, labels = _codes(frame[described.strata].to_numpy())
    else:
        stratum_all, labels = np.zeros(len(frame), dtype=int), np.array(["all"])
    unit, unit_codes = np.unique(unit_all[rows], return_inverse=True)
    first_row = np.flatnonzero(rows)[np.unique(unit_codes, return_index=True)[1]]
    sampled_strata, unit_stratum = np.unique(stratum_all[first_row], return_inverse=True)
    frame_units = pd.DataFrame({"stratum": stratum_all, "unit": unit_all}).drop_duplicates()
    population_units = frame_units.groupby("stratum").size().loc[sampled_strata].to_numpy(dtype=float)
    probability = described.probabilities(frame) if probs is None else np.asarray(probs, dtype=float)
    unit_probs = None if probability is None else probability[first_row]
    return SampleDesign(unit_codes, unit_stratum, population_units, unit_probs, labels[sampled_strata], finite)


def label(described, relation):
    """The ``design`` column of a table: the relation and, if not simple random, the design."""
    return relation if described.is_simple else f"{relation}: {described.describe()}"


def resolve(fit_design, frame, is_pilot, design="subsample", finite_population=True, pilot_probs=None):
    """The Sampling of an estimate on ``frame`` (the fit's estimation frame): ``design`` is
    "subsample" (the pilot drawn from the frame by the fit's design ``fit_design``),
    "independent" (the same pilot design, the rest an independent sample) or a Design overriding
    the fit's. ``pilot_probs`` (over the frame's rows) overrides the inclusion probabilities."""
    if isinstance(design, Design):
        described, relation = design, "subsample"
    elif isinstance(design, str) and design in RELATIONS:
        described, relation = fit_design or Design(), design
    else:
        raise SynthsurveyError(f"design {design!r} is not one of {RELATIONS} or an ss.Design")
    described.check(frame, is_pilot, "the fit's frame")
    text = label(described, relation)
    if pilot_probs is not None:
        pilot_probs = _checked_probs(described, frame, is_pilot, pilot_probs, finite_population and relation == "subsample")
        text += ", pilot_weights" if ":" in text else ": pilot_weights"
    if relation == "subsample":
        return Sampling(sample_design(described, frame, is_pilot, finite_population, pilot_probs), label=text)
    pilot = sample_design(described, frame, is_pilot, False, pilot_probs)
    rest_frame = frame.loc[~np.asarray(is_pilot, dtype=bool)]
    rest = sample_design(Design(cluster=described.cluster, fpc=False), rest_frame, np.ones(len(rest_frame), bool),
                         False)
    return Sampling(pilot, "independent", rest, text)


def _checked_probs(described, frame, is_pilot, pilot_probs, finite):
    """Inclusion probabilities from ``pilot_weights`` (1 / weight), checked."""
    if described.probs is not None or described.weights is not None:
        raise SynthsurveyError("pilot_weights and the design's probs/weights both give the pilot's weights")
    values = np.asarray(pilot_probs, dtype=float)
    pilot = np.asarray(is_pilot, dtype=bool)
    bad = pilot & ~(np.isfinite(values) & (values > 0))
    if finite and described.fpc:
        bad |= pilot & (values > 1 + 1e-12)
    if bad.any():
        raise SynthsurveyError(f"pilot_weights must be positive sampling weights (1 / inclusion probability, so >= 1 "
                               f"with a finite-population correction), e.g. not at id "
                               f"{preview(frame.loc[bad, 'id'].tolist())}; relative weights need "
                               "finite_population=False")
    if described.cluster is not None:
        spread = pd.Series(values[pilot]).groupby(frame.loc[pilot, described.cluster].to_numpy()).nunique()
        if (spread > 1).any():
            raise SynthsurveyError("pilot_weights vary within a cluster: a clustered pilot has one weight per cluster")
    return values


def effective_size(n, n_population, variance, classical_variance, finite):
    """Pilot answers the estimate is worth: the size n' of a pilot drawn by the same design (the
    same design effect) whose classical estimate would have ``variance``. With a finite-population
    correction, Var_classical(n') = (1/n' - 1/N) S^2 with S^2 = n Var_classical(n) / (1 - n/N),
    so n' = 1 / (Var / S^2 + 1/N) <= N; without it n' = n Var_classical / Var, capped at N.
    NaN when the classical variance is 0 (no spread: nothing to compare with)."""
    if finite and n >= n_population:
        return float(n_population)  # a census: the estimate is exact
    if not classical_variance > 0 or not np.isfinite(variance):
        return np.nan
    if finite:
        spread = n * classical_variance / (1.0 - n / n_population)
        return float(1.0 / (variance / spread + 1.0 / n_population))
    if variance <= 0:
        return float(n_population)
    return float(min(n * classical_variance / variance, n_population))
