"""The debiasing model: one item's modelling frame, formula, family and options, before fitting.

``DebiasModel(formula, samples, humans, covariates, ...)`` computes the draw features (or takes
a precomputed table), resolves the item's scale, checks the pilot and builds the frame: one row
per person in the population with covariates, the item's features and, for pilot rows, the
human answer. ``fit()`` returns an immutable ``DebiasResults``. The model is immutable too:
``with_formula`` and ``with_pilot`` return new models sharing the data.
"""

import numpy as np
import pandas as pd

from ..common.checks import require_columns, require_frame
from ..common.errors import SynthsurveyError, preview
from ..common.results import Frozen
from ..featurize.scales import answers_by_item, restrict_declarations, scales_from_features
from ..featurize.sources import has_sources, source_feature_table
from ..featurize.table import DEFAULT_QUANTILES, feature_table
from . import formula as formulas
from .families import check_family, fit_family
from .frame import (IS_PILOT, RESPONSE, check_humans, check_levels, complete_rows, item_frame,
                    population_size)
from .results import DebiasResults
from .selection import Selector
from .sources import Sources

from .sampling import as_design


UNSEEN_LEVELS = ("error", "exclude")


class DebiasModel(Frozen):
    """A debiasing regression of one item's pilot answers on its draw features and covariates.

    Attributes: ``spec`` (the parsed formula), ``formula``, ``item``, ``family``, ``link``, ``q``,
    ``key``, ``scale`` (the item's), ``scales`` (every item's the features hold), ``samples`` (the
    raw draws, or None when built from a feature table alone), ``features`` (the feature table),
    ``covariates``, ``frame`` (the rows the formula can use), ``exclusions`` (reason, n_rows,
    n_pilot, scope), ``n_input`` (people in the input; the frame holds n_input minus the people
    excluded), ``missing_draws`` (the item's draws left out as missing: {"nan", "codes",
    "keys_without_draws"} or None), ``has_covariates`` (per frame row), ``is_pilot``,
    ``unseen_levels``, ``prebuilt`` (a ``formula.Prebuilt`` design used instead of the formula's,
    or None; see ``with_matrix``);
    with several LLM sources or cross-item features (see ``models.sources``): ``sources`` (items,
    sources, default, tuned-on ids), ``plan`` (the formula resolved against them; ``plan.primary``
    is the source plain names and the base predictor read), ``humans`` (the checked pilot table),
    ``selector`` (``llm_auto``'s, or None) and ``notes``; ``pilot_design`` (how the pilot was drawn
    from the frame: a ``sampling.Design``, simple random by default).
    """

    def __init__(self, formula, samples=None, humans=None, covariates=None, family="ols", key="id",
                 scales=None, link="logit", q=0.5, quantiles=DEFAULT_QUANTILES, features=None,
                 unseen_levels="error", source=None, tuned_on=None, design=None):
        spec = formulas.parse(formula)
        check_family(family, link)
        require_frame(humans, "humans")
        if unseen_levels not in UNSEEN_LEVELS:
            raise SynthsurveyError(f"unseen_levels must be one of {UNSEEN_LEVELS}, got {unseen_levels!r}")
        if key != "id" and covariates is None:
            raise SynthsurveyError(
                f"key={key!r} links samples to personas: pass covariates with columns 'id' and {key!r}")
        if features is None:
            require_frame(samples, "samples")
            draws = _formula_draws(samples, spec)  # only the items the formula reads are summarised
            items = list(pd.unique(draws["item"]))
            answers = answers_by_item(humans.loc[humans["item"].isin(items)]) if "item" in humans else {}
            summarise = source_feature_table if has_sources(draws) else feature_table
            features, scale_map = summarise(draws, key=key, scales=restrict_declarations(scales, items),
                                            quantiles=quantiles, extra_values=answers)
        else:
            require_frame(features, "features")
            require_columns(features, [key, "item"], "features")
            scale_map = scales_from_features(features, restrict_declarations(scales, features["item"].unique()))
        if spec.item not in scale_map:
            raise SynthsurveyError(
                f"formula item {spec.item!r} is not an item of the samples; items: "
                f"{', '.join(map(repr, list(scale_map)[:12]))}")
        scale = scale_map[spec.item]
        pilot = check_humans(humans, _known_ids(humans, features, covariates, samples, key))
        check_levels(pilot.loc[pilot["item"] == spec.item], scale, spec.item)
        missing_draws = features.attrs.get("missing_draws", {}).get(spec.item)
        sources = Sources(features, key, scale_map, source, tuned_on)
        plan = sources.plan(spec)
        built = item_frame(spec.item, sources.item_features(spec.item, plan.primary), pilot, covariates, key=key,
                           scale=scale, missing_draws=missing_draws)
        for refined in sources.uncovered(spec.item, plan, pilot.loc[pilot["item"] == spec.item, "id"]):
            built.exclusions.refine(f"no LLM draws for item {spec.item!r}", refined)  # counted once, said precisely
        frame, notes, masked = sources.mask_tuned(sources.add_columns(built.frame, plan), plan)
        self._set(plan.spec, family, link, q, key, scale, scale_map, samples, features, covariates, frame,
                  built.exclusions, built.has_covariates, built.n_input, missing_draws, unseen_levels,
                  (sources, plan, pilot, notes, masked), as_design(design))

    def _set(self, spec, family, link, q, key, scale, scales, samples, features, covariates, frame, exclusions,
             has_covariates, n_input, missing_draws, unseen_levels, origin, pilot_design, prebuilt=None):
        """Check the formula's columns on ``frame``, keep its complete rows (and, with
        ``unseen_levels="exclude"``, the rows whose categorical levels the pilot has), and freeze.
        ``origin``: (Sources, Plan, the checked pilot table, notes, the masked pilot answers of people
        a source the formula reads was tuned on: a Series by id) of ``models.sources``."""
        self.sources, self.plan, self.humans, self.notes = origin[0], origin[1], origin[2], tuple(origin[3])
        self.tuned_answers = origin[4]
        self.selector = (Selector(family, self.plan.auto_mean, self.plan.auto_extra) if self.plan.auto_mean
                         else None)
        formulas.check_columns(spec, frame, f"the frame of item {spec.item!r}")
        used = complete_rows(frame, list(spec.llm_features + spec.covariates), exclusions, has_covariates)
        used &= _seen_levels(spec, frame, used, exclusions, unseen_levels)
        self.spec, self.formula, self.item = spec, self.plan.formula, spec.item
        self.family, self.link, self.q, self.key = family, link, float(q), key
        self.scale, self.scales = scale, scales
        self.samples, self.features, self.covariates = samples, features, covariates
        self.frame = frame.loc[used].reset_index(drop=True)
        self.has_covariates = np.asarray(has_covariates)[used]
        self._exclusions = exclusions
        self.exclusions = exclusions.table()
        self.n_input, self.missing_draws, self.unseen_levels = int(n_input), missing_draws, unseen_levels
        self.is_pilot = self.frame[IS_PILOT].to_numpy()
        self.prebuilt = prebuilt
        pilot_design.check(self.frame, self.is_pilot, f"the frame of item {spec.item!r}")
        self.pilot_design = pilot_design
        if population_size(self.n_input, self.exclusions) != len(self.frame):  # the counts must add up
            raise AssertionError(f"item {spec.item!r}: {self.n_input} people in the input minus the exclusions "
                                 f"{self.exclusions.to_dict('records')} is not the frame's {len(self.frame)} rows")
        self._freeze()

    def _derived(self, spec=None, frame=None, prebuilt=None, pilot_design=None, origin=None):
        """A model with another formula, frame or prebuilt design and everything else shared (no
        features recomputed; the frame keeps its rows, so a prebuilt design still fits it; the plain
        feature columns stay those of this model's primary source). ``origin``: (notes, masked
        answers) instead of this model's."""
        model = object.__new__(DebiasModel)
        exclusions = type(self._exclusions)(list(self._exclusions.rows))
        plan = self.plan if spec is None else self.sources.plan(spec, self.plan.primary)
        frame = self.sources.add_columns(self.frame if frame is None else frame, plan)
        notes, masked = origin or (self.notes, self.tuned_answers)
        model._set(plan.spec, self.family, self.link, self.q, self.key, self.scale, self.scales,
                   self.samples, self.features, self.covariates, frame, exclusions, self.has_covariates,
                   self.n_input, self.missing_draws, self.unseen_levels, (self.sources, plan, self.humans, notes, masked),
                   pilot_design or self.pilot_design, prebuilt)
        return model

    def untuned_companion(self):
        """The model of the pilot answers a tuned source cost, or None when this one masked none
        (see ``models.sources``): the formula without the terms that read a tuned source (for a
        design built in R, without its ``llm_*`` columns), on the same rows, with the masked answers
        back in the pilot. Its predictions are honest on the whole pilot, so a population estimate
        can use every answer (``inference.tuned``)."""
        masked = self.tuned_answers
        if not len(masked):
            return None
        frame = self.frame.copy()
        restored = frame["id"].map(masked).to_numpy(dtype=float)
        back = ~np.isnan(restored)
        frame.loc[back, RESPONSE] = restored[back]
        frame[IS_PILOT] = frame[IS_PILOT].to_numpy() | back
        origin = ((), masked.iloc[0:0])
        if self.prebuilt is not None:
            keep = [not flag for flag in self.prebuilt.reads_llm]
            matrix = self.prebuilt.matrix.loc[:, keep]
            design = formulas.Prebuilt(matrix, self.prebuilt.ids, tuple(False for _ in range(matrix.shape[1])))
            return self._derived(frame=frame, prebuilt=design, origin=origin)
        formula = self.sources.untuned_formula(self.formula, self.plan.primary)
        return self._derived(spec=formulas.parse(formula), frame=frame, origin=origin)

    def with_matrix(self, matrix, reads_llm):
        """The same model fit on a design built outside Python instead of the formula's (the R
        package passes R's ``model.matrix`` of its own formula): ``matrix`` (DataFrame or 2-d array
        with named columns, the intercept named ``Intercept``) has one row per row of ``frame``, in
        its order; ``reads_llm`` flags the columns that read an ``llm_*`` feature. The formula then
        only names the item and the columns the design reads (rows missing one are excluded)."""
        matrix = pd.DataFrame(matrix)
        if len(matrix) != len(self.frame):
            raise SynthsurveyError(f"the design has {len(matrix)} rows; the model's frame has {len(self.frame)}")
        design = formulas.Prebuilt(matrix.set_axis(self.frame.index, axis=0).astype(float), self.frame["id"].to_numpy(),
                                   tuple(bool(flag) for flag in np.atleast_1d(reads_llm)))
        return self._derived(prebuilt=design)

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
        return self._derived(frame=frame, prebuilt=self.prebuilt, origin=(self.notes, self.tuned_answers.iloc[0:0]))

    def with_design(self, design):
        """The same model with another pilot design (an ``ss.Design``)."""
        return self._derived(pilot_design=as_design(design), prebuilt=self.prebuilt)

    def fit_rows(self, rows, design, start=None, matrix=None):
        """Fit the family on the pilot rows selected by boolean mask ``rows`` with ``design``
        (a formula.Design; ``matrix``: its matrix on those rows, when known), warm-started from
        ``start`` (see ``families.fit_family``). Returns a families.FittedFamily (a
        selection.SelectedFit with ``llm_auto``)."""
        subset = self.frame.loc[rows & self.is_pilot]
        matrix = formulas.rebuild(design, subset) if matrix is None else matrix
        if self.selector is not None:  # llm_auto: candidates cross-validated on these rows only
            return self.selector.fit(subset[RESPONSE].to_numpy(), matrix, self.scale, link=self.link, q=self.q)
        return fit_family(self.family, subset[RESPONSE].to_numpy(), matrix, self.scale, link=self.link, q=self.q,
                          start=start)

    def fit(self):
        """Fit on the whole pilot: a DebiasResults."""
        return DebiasResults(self)

    def __repr__(self):
        return (f"<DebiasModel {self.formula!r} family={self.family} pilot={int(self.is_pilot.sum())} "
                f"population={len(self.frame)}>")


def _formula_draws(samples, spec):
    """The rows of ``samples`` for the formula's item and the items its bracket references may name
    (``llm_mean[q2]``); an error lists the items when the formula's item has none."""
    require_columns(samples, ["item"], "samples")
    wanted = {spec.item} | {label for reference in spec.references for label in reference.labels}
    rows = samples.loc[samples["item"].isin(wanted).to_numpy()]
    if not (rows["item"] == spec.item).any():
        items = pd.unique(samples["item"])
        raise SynthsurveyError(f"formula item {spec.item!r} is not an item of the samples; items: {preview(items, 12)}")
    return rows


def _known_ids(humans, features, covariates, samples, key):
    """Ids a pilot answer may belong to: the people of the covariates (persona keys), else those
    with draws in ``features`` or in ``samples`` (any item) or a row in ``covariates``."""
    if key != "id":
        return covariates["id"].unique()
    known = pd.Index(features[key].unique())
    if covariates is not None and "id" in covariates:
        known = known.union(pd.Index(covariates["id"].unique()))
    if samples is not None and key in samples:
        unknown = pd.Index(humans["id"].unique()).difference(known)
        if len(unknown):
            known = known.union(unknown[unknown.isin(samples.loc[samples[key].isin(unknown), key].unique())])
    return known


def _seen_levels(spec, frame, used, exclusions, unseen_levels):
    """Mask of the ``used`` rows whose categorical covariate levels the pilot rows have. Levels the
    pilot lacks are an error naming the column, the level and how many people hold it (or, with
    ``unseen_levels="exclude"``, those people are excluded and counted)."""
    keep = np.ones(len(frame), dtype=bool)
    if not spec.covariates:
        return keep
    rows = frame.loc[used]
    found = formulas.unseen_levels(spec, rows.loc[rows[IS_PILOT]], rows)
    if not found:
        return keep
    if unseen_levels == "error":
        column, levels, _ = found[0]
        shown = "; ".join(f"{level!r} ({count} people)" for level, count in list(levels.items())[:5])
        raise SynthsurveyError(
            f"covariate {column!r} has level(s) no pilot respondent of item {spec.item!r} has: {shown}; the "
            f"model cannot predict them. Collapse rare levels into larger ones, or pass "
            f"unseen_levels='exclude' to leave these people out (they are counted)")
    positions = np.flatnonzero(used)
    is_pilot = frame[IS_PILOT].to_numpy()
    for column, levels, mask in found:
        dropped = np.zeros(len(frame), dtype=bool)
        dropped[positions[mask]] = True
        dropped &= keep
        shown = ", ".join(map(repr, levels))
        exclusions.add(f"level(s) {shown} of covariate {column!r} absent from the pilot", dropped, is_pilot)
        keep &= ~dropped
    return keep
