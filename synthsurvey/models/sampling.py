"""The pilot's sampling design: how the people with human answers were chosen from the fit's
population frame. A description only (column names and options, checked against the frame);
the variances it implies live in ``inference.designs``.

``Design(strata=None, cluster=None, probs=None, weights=None, fpc=True)``, every name a column of
the covariates (so of the fit's frame):

* nothing: a simple random sample of the frame's rows (the default, ``design="subsample"``).
* ``strata``: a simple random sample drawn separately in each stratum, each with its own
  finite-population correction 1 - n_h / N_h (N_h counted in the frame).
* ``cluster``: whole clusters were recruited (a respondent's conjoint tasks, panel waves, items
  pooled as rows): clusters are the primary sampling units, cross-fitting folds hold whole
  clusters and every variance is cluster-robust; within strata if both are given.
* ``probs`` (or ``weights`` = 1 / probs): each row's (each cluster's) inclusion probability:
  Hajek estimators weighted by 1 / probs, each unit's own 1 - pi as the Poisson-sampling
  variance gives it (``survey::poisson_sampling``).
* ``fpc=False``: no finite-population correction (with-replacement variances).

Population weights, given to the estimators (``weights=``), are separate: they define the
estimand (a weighted mean over the frame), the design says how the pilot was drawn from it.
"""

from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from ..common.errors import SynthsurveyError, preview, show


@dataclass(frozen=True)
class Design:
    """How the pilot was drawn from the population frame (see the module docstring)."""

    strata: str | None = None
    cluster: str | None = None
    probs: str | None = None
    weights: str | None = None
    fpc: bool = True

    def __post_init__(self):
        for field in ("strata", "cluster", "probs", "weights"):
            value = getattr(self, field)
            if value is not None and not isinstance(value, str):
                raise SynthsurveyError(f"Design({field}=...) names a column of the covariates, got "
                                       f"{type(value).__name__}")
        if self.probs is not None and self.weights is not None:
            raise SynthsurveyError("give the pilot's inclusion probabilities (probs=) or its weights (weights=), "
                                   "not both")
        if not isinstance(self.fpc, (bool, np.bool_)):
            raise SynthsurveyError(f"Design(fpc=...) is True or False, got {self.fpc!r}")

    @property
    def columns(self):
        """The covariate columns the design reads."""
        return [value for value in (self.strata, self.cluster, self.probs, self.weights) if value is not None]

    @property
    def is_simple(self):
        """True for a simple random sample (no strata, clusters or unequal probabilities)."""
        return not self.columns

    def describe(self):
        """A short label: ``"simple random"`` or e.g. ``"strata=region, cluster=UserID"``."""
        parts = [f"{field.name}={getattr(self, field.name)}" for field in fields(self)
                 if field.name != "fpc" and getattr(self, field.name) is not None]
        if not self.fpc:
            parts.append("no fpc")
        return ", ".join(parts) if parts else "simple random"

    def check(self, frame, is_pilot, where="the fit's frame"):
        """Raise unless every design column is in ``frame`` with a value on every row, clusters sit
        in one stratum, and probabilities lie in (0, 1] and are constant within a cluster."""
        missing = [column for column in self.columns if column not in frame.columns]
        if missing:
            raise SynthsurveyError(f"the pilot's design names {preview(missing)}, not column(s) of {where} "
                                   "(the design's columns come with the covariates)")
        for column in self.columns:
            absent = frame[column].isna().to_numpy()
            if absent.any():
                raise SynthsurveyError(f"design column {column!r} has {int(absent.sum())} missing value(s), e.g. "
                                       f"at id {preview(frame.loc[absent, 'id'].tolist())}")
        if self.strata is not None and self.cluster is not None:
            per_cluster = frame.groupby(self.cluster, observed=True)[self.strata].nunique()
            split = per_cluster[per_cluster > 1]
            if len(split):
                raise SynthsurveyError(f"cluster(s) {preview(split.index.tolist())} of {self.cluster!r} span several "
                                       f"strata of {self.strata!r}: clusters must be nested in strata")
        probability = self.probabilities(frame)
        if probability is not None:
            pilot = np.asarray(is_pilot, dtype=bool)
            values = probability[pilot]
            name = self.probs or self.weights
            bad = ~np.isfinite(values) | (values <= 0) | (values > 1 + 1e-12)
            if bad.any() and (self.fpc or np.any(~np.isfinite(values) | (values <= 0))):
                what = "inclusion probabilities in (0, 1]" if self.probs else "weights >= 1 (1 / probability)"
                hint = "" if self.probs or not self.fpc else "; relative weights need Design(..., fpc=False)"
                raise SynthsurveyError(f"design column {name!r} must hold {what}, e.g. not {show(values[bad][0])} "
                                       f"at id {show(frame.loc[pilot, 'id'].to_numpy()[bad][0])}{hint}")
            if self.cluster is not None:
                spread = pd.Series(probability[pilot]).groupby(frame.loc[pilot, self.cluster].to_numpy()).nunique()
                varying = spread[spread > 1]
                if len(varying):
                    raise SynthsurveyError(f"{name!r} varies within cluster(s) {preview(varying.index.tolist())}: "
                                           "a clustered pilot has one inclusion probability per cluster")

    def probabilities(self, frame):
        """Each frame row's inclusion probability (an array), or None without probs/weights."""
        if self.probs is not None:
            return frame[self.probs].to_numpy(dtype=float)
        if self.weights is not None:
            with np.errstate(divide="ignore"):
                return 1.0 / frame[self.weights].to_numpy(dtype=float)
        return None

    def cluster_codes(self, frame):
        """Integer code of each frame row's cluster (each row its own cluster without one)."""
        if self.cluster is None:
            return np.arange(len(frame))
        return pd.factorize(frame[self.cluster], sort=True)[0]


def as_design(design=None, cluster=None, strata=None):
    """The Design given to ``ss.debias``: ``design`` (a Design, a dict of its fields, or None) with
    the ``cluster=`` / ``strata=`` shortcuts filled in."""
    if design is None:
        design = Design()
    elif isinstance(design, dict):
        design = Design(**design)
    elif not isinstance(design, Design):
        raise SynthsurveyError(f"design must be an ss.Design (or a dict of its fields), got {type(design).__name__}")
    shortcuts = {name: value for name, value in (("cluster", cluster), ("strata", strata)) if value is not None}
    for name, value in shortcuts.items():
        if getattr(design, name) not in (None, value):
            raise SynthsurveyError(f"{name}={value!r} contradicts the design's {name}={getattr(design, name)!r}")
    return replace(design, **shortcuts) if shortcuts else design
