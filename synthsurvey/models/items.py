"""Many items in one call: the features of every item computed once, one debiasing fit per item.

``fit_items`` resolves each item's formula and family (a dict by item, one template, or the
defaults: ``default_formula`` of the item's scale and ``covariate_terms``; logit for binary items,
ols otherwise), fits every item on the shared feature table (keeping the raw draws), and returns
a ``FittedItems``. An item that cannot be fitted (e.g. its LLM answers are constant in the pilot)
does not stop the others: its reason is kept, with what the pilot alone needs (its answers and
the number of people with draws), unless ``errors="raise"``.
"""

from dataclasses import dataclass, field

import pandas as pd

from ..common.checks import require_columns, require_frame
from ..common.errors import SynthsurveyError, preview
from ..featurize.scales import answers_by_item, restrict_declarations, scales_from_features
from ..featurize.table import DEFAULT_QUANTILES, feature_table
from .defaults import default_formula
from .formula import item_lhs, parse
from .model import DebiasModel

ERRORS = ("fallback", "raise")


@dataclass
class FittedItems:
    """The fits of a questionnaire: ``fits`` {item: fit}, ``failures`` {item: reason},
    ``formulas`` and ``families`` {item: ...} (as tried), ``scales`` {item: Scale}, ``pilot_only``
    {item: (the pilot's usable answers, people with draws)} for the failed items, the
    ``features`` (in memory, or lazy Dask), ``samples``, ``humans``, ``covariates``, ``key``."""

    fits: dict
    failures: dict
    formulas: dict
    families: dict
    scales: dict
    features: object
    samples: object
    humans: pd.DataFrame
    covariates: object
    key: str = "id"
    pilot_only: dict = field(default_factory=dict)

    @property
    def items(self):
        """Every item, in order (fitted or not)."""
        return list(self.formulas)


def item_formula(formulas, item, scale, covariate_terms, features):
    """The formula of ``item``: from a dict by item, a template (``"{item} ~ llm_mean + age"`` or a
    right-hand side ``"~ llm_mean + age"``), or ``default_formula`` (the item's scale, the
    ``covariate_terms``, the features constant for the item left out)."""
    spec = formulas.get(item) if isinstance(formulas, dict) else formulas
    if spec is None:
        return default_formula(item, scale, covariate_terms, features=features)
    if not isinstance(spec, str):
        raise SynthsurveyError(f"the formula of item {item!r} must be a string, got {spec!r}")
    text = spec.strip()
    if text.startswith("~"):
        return f"{item_lhs(item)} {text}"
    if "{item}" in text:
        return text.replace("{item}", item_lhs(item))
    if isinstance(formulas, dict) and parse(text).item != item:
        raise SynthsurveyError(f"formulas[{item!r}] = {spec!r} debiases item {parse(text).item!r}, not {item!r}")
    if not isinstance(formulas, dict):
        raise SynthsurveyError(f"a formula template for every item needs '{{item}}' or starts with '~', got {spec!r}")
    return text


def item_family(families, item, scale):
    """The family of ``item``: from a dict by item, one family for every item, or the default
    (``logit`` for a binary item, ``ols`` otherwise)."""
    family = families.get(item) if isinstance(families, dict) else families
    if family is None:
        return "logit" if scale.kind == "binary" else "ols"
    return family


def check_items(items, known, where="the samples"):
    """``items`` (None: every known item) as a list; an error names items not among ``known``."""
    known = list(known)
    if items is None:
        return known
    items = [items] if isinstance(items, str) else list(items)
    unknown = [item for item in items if item not in set(known)]
    if unknown:
        raise SynthsurveyError(f"items {preview(unknown)} are not items of {where}; items: {preview(known, 12)}")
    return items


def check_names(mapping, items, argument):
    """Raise when a dict argument names items that are not being fitted."""
    if isinstance(mapping, dict):
        unknown = [name for name in mapping if name not in set(items)]
        if unknown:
            raise SynthsurveyError(f"{argument}= names items that are not fitted: {preview(unknown)}")


def fit_items(samples, humans, covariates=None, items=None, formulas=None, families=None, scales=None,
              covariate_terms=(), key="id", link="logit", quantiles=DEFAULT_QUANTILES, errors="fallback",
              unseen_levels="error", features=None):
    """Fit every item (or ``items``) in memory; see the module docstring. Returns FittedItems."""
    require_frame(humans, "humans")
    require_columns(humans, ["id", "item", "response"], "humans")
    if errors not in ERRORS:
        raise SynthsurveyError(f"errors must be one of {ERRORS}, got {errors!r}")
    if items is not None:  # checked before the features are computed
        check_names(formulas, [items] if isinstance(items, str) else items, "formulas")
        check_names(families, [items] if isinstance(items, str) else items, "families")
    if features is None:
        require_frame(samples, "samples")
        chosen = samples
        if items is not None:  # only the items asked for are summarised
            require_columns(samples, ["item"], "samples")
            names = [items] if isinstance(items, str) else list(items)
            chosen = samples.loc[samples["item"].isin(names).to_numpy()]
            missing = [item for item in names if item not in set(pd.unique(chosen["item"]))]
            if missing:
                check_items(missing, pd.unique(samples["item"]))
            scales = restrict_declarations(scales, names)
        features, scale_map = feature_table(chosen, key=key, scales=scales, quantiles=quantiles,
                                            extra_values=answers_by_item(humans))
    else:
        scale_map = scales_from_features(features, scales)
    items = check_items(items, scale_map)
    check_names(formulas, items, "formulas")
    check_names(families, items, "families")
    fitted = FittedItems({}, {}, {}, {}, {item: scale_map[item] for item in items}, features, samples, humans,
                         covariates, key)

    def fit(item, formula, family):
        return DebiasModel(formula, samples, humans, covariates, family=family, key=key, scales=scale_map,
                           link=link, quantiles=quantiles, features=features, unseen_levels=unseen_levels).fit()

    for item in items:
        run_item(fitted, item, formulas, families, covariate_terms, errors, fit,
                 lambda: features.loc[features["item"] == item, key].nunique())
    return fitted


def run_item(fitted, item, formulas, families, covariate_terms, errors, fit, n_people):
    """Fit one item into ``fitted`` with ``fit(item, formula, family)``; on a SynthsurveyError keep
    the reason and the pilot-only inputs (or raise, with ``errors="raise"``)."""
    scale = fitted.scales[item]
    family = item_family(families, item, scale)
    fitted.families[item] = family
    try:
        formula = item_formula(formulas, item, scale, covariate_terms, fitted_features(fitted, item))
        fitted.formulas[item] = formula
        fitted.fits[item] = fit(item, formula, family)
    except SynthsurveyError as error:
        if errors == "raise":
            raise error.prefixed(f"item {item!r}: ") from None
        fitted.formulas.setdefault(item, "")
        fitted.failures[item] = str(error)
        answers = fitted.humans.loc[fitted.humans["item"] == item, "response"]
        values = pd.to_numeric(answers, errors="coerce").to_numpy(dtype=float)
        fitted.pilot_only[item] = (values[~scale.is_missing(values)], int(n_people()))


def fitted_features(fitted, item):
    """The in-memory features of ``item`` for default formulas (None when they stay in Dask)."""
    features = fitted.features
    if isinstance(features, pd.DataFrame):
        return features
    return getattr(fitted, "pilot_features", None)
