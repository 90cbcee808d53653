"""Default right-hand sides built from draw features, free of exact collinearity.

The C category shares sum to 1 and the draw mean and extreme share are linear in
them, so beside an intercept and ``llm_mean`` at most C-2 shares may enter. The
defaults keep the mean, the spread and the two end shares (C >= 4), plus nonlinear
summaries (entropy, tail quantiles) that carry what the mean discards.
"""

from .errors import SynthsurveyError
from .features import quantile_name
from .formula import item_lhs

VARIANTS = ("full", "mean")


def feature_set(scale, variant="full"):
    """Return the list of ``llm_*`` features of ``variant`` for an item on ``scale``.

    ``"mean"``: the draw mean alone (the scalar-compression baseline).
    ``"full"``: ordinal C >= 4: mean, sd, lowest and highest share, entropy, q10, q90;
    ordinal C = 3: mean, sd (they fix the three shares), entropy; binary: mean, sd;
    continuous: mean, sd, skew, q10, q90.
    """
    if variant not in VARIANTS:
        raise SynthsurveyError(f"variant {variant!r} is not one of {VARIANTS}")
    if variant == "mean":
        return ["llm_mean"]
    tails = [quantile_name(0.1), quantile_name(0.9)]
    if scale.kind == "continuous":
        return ["llm_mean", "llm_sd", "llm_skew"] + tails
    if scale.n_levels == 2:
        return ["llm_mean", "llm_sd"]
    if scale.n_levels == 3:
        return ["llm_mean", "llm_sd", "llm_entropy"]
    shares = scale.share_names()
    return ["llm_mean", "llm_sd", shares[0], shares[-1], "llm_entropy"] + tails


def default_formula(item, scale, covariates=(), variant="full", features=None):
    """Return the formula string ``item ~ <features> + <covariates>``.

    covariates: covariate terms as patsy strings (e.g. ``"age"``, ``"C(educ)"``).
    features: optional feature table (as from ``ss.features``); features that are constant for
    this item there (e.g. ``llm_sd`` with one draw per person) or an exact linear combination
    of the intercept and the features kept before them (e.g. every quantile equals the mean
    when there is one draw) are left out, in the order of ``feature_set``.
    """
    from .scales import as_scale

    scale = as_scale(scale)
    chosen = feature_set(scale, variant)
    if features is not None:
        rows = features.loc[features["item"] == item]
        if len(rows) == 0:
            raise SynthsurveyError(f"features has no rows for item {item!r}")
        chosen = _independent(rows, [f for f in chosen if f in rows.columns]) or ["llm_mean"]
    return f"{item_lhs(item)} ~ " + " + ".join(list(chosen) + list(covariates))


def _independent(rows, candidates):
    """The candidates, in order, that each raise the rank of [intercept, kept features] on rows."""
    import numpy as np

    kept, columns = [], [np.ones(len(rows))]
    for name in candidates:
        values = rows[name].to_numpy(dtype=float)
        if not np.all(np.isfinite(values)):
            continue
        trial = np.column_stack(columns + [values])
        scaled = trial / np.maximum(np.abs(trial).max(axis=0), 1e-300)
        if np.linalg.matrix_rank(scaled) == trial.shape[1]:
            kept.append(name)
            columns.append(values)
    return kept
