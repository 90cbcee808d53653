"""Default debiasing formulas: ``llm_auto`` (draw features chosen by cross-validation, see
``selection``) or an item's named feature set (``featurize.sets``), and covariates."""

from ..common.errors import SynthsurveyError
from ..featurize.scales import as_scale
from ..featurize.sets import VARIANTS, feature_set, independent_features
from .formula import item_lhs
from .references import AUTO


def default_formula(item, scale, covariates=(), variant="auto", features=None):
    """Return the formula string ``item ~ <features> + <covariates>``.

    scale: the item's scale (a Scale or a declaration such as ``[1, 2, 3, 4, 5]``).
    covariates: covariate terms as patsy strings (e.g. ``"age"``, ``"C(educ)"``).
    variant: ``"auto"`` (``llm_auto``: the fit chooses between the draw mean and the full vector,
    shrinking between them for OLS, by cross-validation inside each cross-fitting fold; it never
    does much worse than the better of the two), ``"full"`` (the full draw vector, see
    ``featurize.sets.feature_set``) or ``"mean"``.
    features: optional feature table (as from ``ss.features``); features that are constant for
    this item there (e.g. ``llm_sd`` with one draw per person) or an exact linear combination
    of the intercept and the features kept before them (e.g. every quantile equals the mean
    when there is one draw) are left out, in the order of ``feature_set``.
    """
    scale = as_scale(scale)
    if variant not in ("auto",) + VARIANTS:
        raise SynthsurveyError(f"variant {variant!r} is not one of {('auto',) + VARIANTS}")
    if variant == "auto":
        return f"{item_lhs(item)} ~ " + " + ".join([AUTO] + list(covariates))
    chosen = feature_set(scale, variant)
    if features is not None:
        rows = features.loc[features["item"] == item]
        if len(rows) == 0:
            raise SynthsurveyError(f"features has no rows for item {item!r}")
        chosen = independent_features(rows, [f for f in chosen if f in rows.columns]) or ["llm_mean"]
    return f"{item_lhs(item)} ~ " + " + ".join(list(chosen) + list(covariates))
