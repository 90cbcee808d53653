"""Default debiasing formulas: an item's named feature set (``featurize.sets``) and covariates."""

from ..common.errors import SynthsurveyError
from ..featurize.scales import as_scale
from ..featurize.sets import feature_set, independent_features
from .formula import item_lhs


def default_formula(item, scale, covariates=(), variant="full", features=None):
    """Return the formula string ``item ~ <features> + <covariates>``.

    scale: the item's scale (a Scale or a declaration such as ``[1, 2, 3, 4, 5]``).
    covariates: covariate terms as patsy strings (e.g. ``"age"``, ``"C(educ)"``).
    variant: ``"full"`` (the full draw vector, see ``featurize.sets.feature_set``) or ``"mean"``.
    features: optional feature table (as from ``ss.features``); features that are constant for
    this item there (e.g. ``llm_sd`` with one draw per person) or an exact linear combination
    of the intercept and the features kept before them (e.g. every quantile equals the mean
    when there is one draw) are left out, in the order of ``feature_set``.
    """
    scale = as_scale(scale)
    chosen = feature_set(scale, variant)
    if features is not None:
        rows = features.loc[features["item"] == item]
        if len(rows) == 0:
            raise SynthsurveyError(f"features has no rows for item {item!r}")
        chosen = independent_features(rows, [f for f in chosen if f in rows.columns]) or ["llm_mean"]
    return f"{item_lhs(item)} ~ " + " + ".join(list(chosen) + list(covariates))
