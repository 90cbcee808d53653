"""The debiasing model: one item's modelling frame, formula, family and options, before fitting.

``DebiasModel(formula, samples, humans, covariates, ...)`` computes the draw features (or takes
a precomputed table), resolves the item's scale, checks the pilot and builds the frame: one row
per person in the population with covariates, the item's features and, for pilot rows, the
human answer. ``fit()`` returns an immutable ``DebiasResults``. The model is immutable too:
``with_formula`` and ``with_pilot`` return new models sharing the data.
"""

import numpy as np

from ..common.checks import require_frame
from ..common.errors import SynthsurveyError
from ..common.results import Frozen
from ..featurize.scales import answers_by_item, scales_from_features
from ..featurize.table import DEFAULT_QUANTILES, feature_table
from . import formula as formulas
from .families import check_family, fit_family
from .frame import IS_PILOT, RESPONSE, check_humans, check_levels, complete_rows, item_frame
from .results import DebiasResults
from .sampling import as_design


class DebiasModel(Frozen):
    """A debiasing regression of one item's pilot answers on its draw features and covariates.

    Attributes: ``spec`` (the parsed formula), ``formula``, ``item``, ``family``, ``link``, ``q``,
    ``key``, ``scale`` (the item's), ``scales`` (every item's), ``samples`` (the raw draws, or None
    when built from a feature table), ``features`` (the feature table), ``covariates``,
    ``frame`` (the rows the formula can use), ``exclusions`` (reason, n_rows, n_pilot),
    ``has_covariates`` (per frame row), ``is_pilot``, ``pilot_design`` (how the pilot was drawn from
    the frame: a ``sampling.Design``, simple random by default).
    """

    def __init__(self, formula, samples=None, humans=None, covariates=None, family="ols", key="id",
                 scales=None, link="logit", q=0.5, quantiles=DEFAULT_QUANTILES, features=None, design=None):
        spec = formulas.parse(formula)
        check_family(family, link)
        require_frame(humans, "humans")
        if key != "id" and covariates is None:
            raise SynthsurveyError(
                f"key={key!r} links samples to personas: pass covariates with columns 'id' and {key!r}")
        if features is None:
            require_frame(samples, "samples")
            features, scale_map = feature_table(samples, key=key, scales=scales, quantiles=quantiles,
                                                extra_values=answers_by_item(humans))
        else:
            require_frame(features, "features")
            scale_map = scales_from_features(features, scales)
        if spec.item not in scale_map:
            raise SynthsurveyError(
                f"formula item {spec.item!r} is not an item of the samples; items: "
                f"{', '.join(map(repr, list(scale_map)[:12]))}")
        scale = scale_map[spec.item]
        known_ids = covariates["id"] if key != "id" else features[key]
        pilot = check_humans(humans, known_ids.unique())
        check_levels(pilot.loc[pilot["item"] == spec.item], scale, spec.item)
        built = item_frame(spec.item, features, pilot, covariates, key=key)
        self._set(spec, family, link, q, key, scale, scale_map, samples, features, covariates, built.frame,
                  built.exclusions, built.has_covariates, as_design(design))

    def _set(self, spec, family, link, q, key, scale, scales, samples, features, covariates, frame, exclusions,
             has_covariates, pilot_design):
        """Check the formula's columns on ``frame``, keep its complete rows, and freeze."""
        formulas.check_columns(spec, frame, f"the frame of item {spec.item!r}")
        used = complete_rows(frame, list(spec.llm_features + spec.covariates), exclusions, has_covariates)
        self.spec, self.formula, self.item = spec, spec.formula, spec.item
        self.family, self.link, self.q, self.key = family, link, float(q), key
        self.scale, self.scales = scale, scales
        self.samples, self.features, self.covariates = samples, features, covariates
        self.frame = frame.loc[used].reset_index(drop=True)
        self.has_covariates = np.asarray(has_covariates)[used]
        self._exclusions = exclusions
        self.exclusions = exclusions.table()
        self.is_pilot = self.frame[IS_PILOT].to_numpy()
        pilot_design.check(self.frame, self.is_pilot, f"the frame of item {spec.item!r}")
        self.pilot_design = pilot_design
        self._freeze()

    def _derived(self, spec=None, frame=None, pilot_design=None):
        """A model with another formula or frame and everything else shared (no features recomputed)."""
        model = object.__new__(DebiasModel)
        exclusions = type(self._exclusions)(list(self._exclusions.rows))
        model._set(spec or self.spec, self.family, self.link, self.q, self.key, self.scale, self.scales,
                   self.samples, self.features, self.covariates, self.frame if frame is None else frame,
                   exclusions, self.has_covariates, pilot_design or self.pilot_design)
        return model

    def with_formula(self, formula):
        """The same item, family, data and population frame with another formula (e.g. the
        scalar baseline ``"item ~ llm_mean"``)."""
        spec = formulas.parse(formula)
        if spec.item != self.item:
            raise SynthsurveyError(f"the formula must keep the item {self.item!r}, got {spec.item!r}")
        return self._derived(spec=spec)

    def with_pilot(self, keep):
        """The same model with only the pilot rows where boolean mask ``keep`` is true (the other
        pilot answers are treated as unknown): for repeated pilot resampling."""
        keep = np.asarray(keep, dtype=bool) & self.is_pilot
        frame = self.frame.copy()
        frame.loc[self.is_pilot & ~keep, RESPONSE] = np.nan
        frame[IS_PILOT] = keep
        return self._derived(frame=frame)

    def with_design(self, design):
        """The same model with another pilot design (an ``ss.Design``)."""
        return self._derived(pilot_design=as_design(design))

    def fit_rows(self, rows, design):
        """Fit the family on the pilot rows selected by boolean mask ``rows`` with ``design``
        (a formula.Design). Returns a families.FittedFamily."""
        subset = self.frame.loc[rows & self.is_pilot]
        matrix = formulas.rebuild(design, subset)
        return fit_family(self.family, subset[RESPONSE].to_numpy(), matrix, self.scale, link=self.link, q=self.q)

    def fit(self):
        """Fit on the whole pilot: a DebiasResults."""
        return DebiasResults(self)

    def __repr__(self):
        return (f"<DebiasModel {self.formula!r} family={self.family} pilot={int(self.is_pilot.sum())} "
                f"population={len(self.frame)}>")
