"""Named sets of draw features, free of exact collinearity.

The C category shares sum to 1 and the draw mean and extreme share are linear in them, so
beside an intercept and ``llm_mean`` at most C-2 shares may enter. The ``full`` set keeps the
mean, the spread and the two end shares (C >= 4), plus nonlinear summaries (entropy, tail
quantiles) that carry what the mean discards.
"""

import numpy as np

from ..common.errors import SynthsurveyError
from .summaries import quantile_name

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


def independent_features(rows, candidates):
    """The candidates (column names of ``rows``), in order, that each raise the rank of
    [intercept, kept features] on ``rows``; features with missing values are skipped."""
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
