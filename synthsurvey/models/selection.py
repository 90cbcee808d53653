"""``llm_auto``: draw features chosen by cross-validation inside the rows a model is fit on.

The full draw vector weakly dominates any compression of it only when its coefficients can be
learnt; on a small pilot the full set can predict worse than the draw mean alone. A formula
with ``llm_auto`` (``ss.default_formula``'s default) leaves the choice to the data:

* OLS: generalized ridge with the intercept and each ``llm_auto`` draw mean unpenalised, one
  penalty on the other draw features of ``llm_auto`` and one on the formula's other terms, each
  from ``PENALTIES`` (``inf``: the columns are left out). The corners are the nested models
  ``item ~ llm_mean`` ("draw mean"), "draw mean + terms", "full + terms" and "full"; between them the
  coefficients shrink toward the draw-mean model. Penalties apply to standardised columns (a
  penalty ``a`` adds ``n a sd_j^2 b_j^2`` to the residual sum of squares), the fit is statsmodels'
  ``OLS.fit_regularized(L1_wt=0)`` (its closed form).
* Other families (no ridge in statsmodels for them): the nested sets draw mean alone; draw mean
  and terms; draw mean, spread (``llm_sd``) and terms; full and terms.

The candidate with the smallest cross-validated error (squared error of the expected answer; check
loss for quantreg; ``INNER_FOLDS`` = 5 folds for ols, ``INNER_FOLDS_LIKELIHOOD`` = 3 for the other
families, which refit every candidate in every fold: a 30-item ordinal questionnaire stays fast)
on the rows being fit is refit on all of them. Cross-fitting (``models.crossfit``) calls this for
each fold's training rows, so the pilot row a prediction is for never takes part in choosing its
model, and PPI++ intervals keep their coverage. A ridge fit has no standard errors for its
coefficients (NaN); population estimates do not need them.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ..common.errors import SynthsurveyError
from .families import fit_family

PENALTIES = (0.0, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, np.inf)
DROPPED = 1e10  # the penalty standing for inf (a left-out column) in the cross-validation's solves
INNER_FOLDS = 5
INNER_FOLDS_LIKELIHOOD = 3  # ordinal, logit, mnlogit, quantreg: each candidate refit per inner fold
NESTED = ("draw mean", "draw mean + terms", "draw mean + spread + terms", "full + terms")


@dataclass(frozen=True)
class Selection:
    """What ``llm_auto`` chose on ``n`` rows: ``table`` (candidate, penalty_features, penalty_terms,
    n_columns, cv_error, cv_std_error, chosen; errors are mean squared errors in squared item units,
    or mean check losses for quantreg), ``chosen`` (its label) and ``columns`` (the design columns
    kept)."""

    table: pd.DataFrame
    chosen: str
    columns: tuple
    n: int
    folds: int

    def describe(self):
        """One sentence: what was chosen, against the draw mean alone and the full set."""
        errors = self.table.set_index("candidate")["cv_error"]
        root = "RMSE" if self.table.attrs.get("loss") == "squared" else "check loss"
        show = (lambda v: f"{np.sqrt(v):.4g}") if root == "RMSE" else (lambda v: f"{v:.4g}")
        others = [f"{show(errors[name])} for {name}" for name in ("draw mean", "draw mean + terms", "full + terms")
                  if name in errors.index and name != self.chosen and np.isfinite(errors[name])]
        shrunk = "" if self.chosen in errors.index and not self.chosen.startswith("ridge") else \
            "; its coefficients are shrunk, without standard errors"
        return (f"llm_auto chose {self.chosen!r} by {self.folds}-fold cross-validation on {self.n} pilot answers: "
                f"CV {root} {show(errors[self.chosen])}" + (f" against {', '.join(others)}" if others else "") + shrunk)


class Selector:
    """Chooses among ``llm_auto``'s candidates on the rows of each fit (see the module docstring).
    ``mean_columns``: design columns never penalised besides the intercept (the draw means);
    ``extra_columns``: the other draw features of ``llm_auto``."""

    def __init__(self, family, mean_columns, extra_columns, folds=None, seed=0):
        self.family, self.mean_columns, self.extra_columns = family, tuple(mean_columns), tuple(extra_columns)
        if folds is None:  # the likelihood families refit every candidate per fold: fewer, larger folds
            folds = INNER_FOLDS if family == "ols" else INNER_FOLDS_LIKELIHOOD
        self.folds, self.seed = int(folds), int(seed)

    def fit(self, response, matrix, scale, link="logit", q=0.5):
        """A SelectedFit of the chosen candidate on ``response`` (n,) and the full design ``matrix``."""
        response = np.asarray(response, dtype=float)
        groups = self._groups(matrix)
        n = len(response)
        if n < 2 * self.folds:
            raise SynthsurveyError(f"llm_auto needs at least {2 * self.folds} pilot answers to cross-validate; "
                                   f"these rows have {n}: write the draw features out")
        fold = np.random.default_rng(self.seed).permutation(n) % self.folds
        if self.family == "ols":
            table, kept = _ridge_errors(response, matrix.to_numpy(dtype=float), groups, fold)
        else:
            table, kept = self._nested_errors(response, matrix, groups, fold, scale, link, q)
        table.attrs["loss"] = "check" if self.family == "quantreg" else "squared"
        best = _best(table)
        chosen = table.loc[best]
        table["chosen"] = table.index == best
        columns = kept[chosen["candidate"]]
        names = [matrix.columns[j] for j in columns]
        selection = Selection(table.reset_index(drop=True), chosen["candidate"], tuple(names), n, self.folds)
        corner = all(p in (0.0, np.inf) for p in (chosen["penalty_features"], chosen["penalty_terms"]))
        if self.family != "ols" or corner:
            inner = fit_family(self.family, response, matrix[names], scale, link=link, q=q)
            return SelectedFit(inner, selection)
        penalty = _penalty_vector(matrix.to_numpy(dtype=float)[:, columns], groups, columns,
                                  chosen["penalty_features"], chosen["penalty_terms"])
        result = sm.OLS(response, matrix[names]).fit_regularized(alpha=penalty, L1_wt=0.0)
        return SelectedFit(None, selection, ridge=result, levels=scale.levels,
                           statistics=_ridge_statistics(response, matrix[names].to_numpy(dtype=float), penalty,
                                                        np.asarray(result.params, dtype=float)), penalty=penalty)

    def _groups(self, matrix):
        """Positions of the design columns: (unpenalised, llm_auto's other features, other terms)."""
        names = list(matrix.columns)
        base = [j for j, name in enumerate(names) if name == "Intercept" or name in self.mean_columns]
        extra = [j for j, name in enumerate(names) if name in self.extra_columns]
        other = [j for j in range(len(names)) if j not in base and j not in extra]
        return base, extra, other

    def _nested_errors(self, response, matrix, groups, fold, scale, link, q):
        base, extra, other = groups
        names = list(matrix.columns)
        spread = [j for j in extra if names[j].split("[")[0] == "llm_sd"]
        sets = {"draw mean": (np.inf, np.inf, base), "draw mean + terms": (np.inf, 0.0, base + other),
                "draw mean + spread + terms": (np.nan, 0.0, base + spread + other),
                "full + terms": (0.0, 0.0, base + extra + other)}
        rows, seen, kept = [], set(), {}
        for label in NESTED:
            penalty_features, penalty_terms, columns = sets[label]
            key = tuple(sorted(columns))
            if key in seen:
                continue
            seen.add(key)
            kept[label] = sorted(columns)
            losses = np.full(len(response), np.inf)
            candidate = matrix.iloc[:, columns]
            values, labels = candidate.to_numpy(dtype=float), candidate.columns
            for k in range(self.folds):
                train, test = fold != k, fold == k
                try:  # frames built from array slices: the fold loop runs many times per fit
                    fitted = fit_family(self.family, response[train], pd.DataFrame(values[train], columns=labels),
                                        scale, link=link, q=q)
                    predicted = fitted.mean(pd.DataFrame(values[test], columns=labels))
                    losses[test] = _loss(response[test], predicted, self.family, q)
                except (SynthsurveyError, np.linalg.LinAlgError, ValueError):
                    break
            rows.append(_row(label, penalty_features, penalty_terms, len(columns), losses))
        return pd.DataFrame(rows), kept


def _loss(observed, predicted, family, q):
    residual = observed - predicted
    if family == "quantreg":
        return residual * (q - (residual < 0))
    return residual ** 2


def _row(label, penalty_features, penalty_terms, n_columns, losses):
    finite = np.all(np.isfinite(losses))
    return {"candidate": label, "penalty_features": penalty_features, "penalty_terms": penalty_terms,
            "n_columns": n_columns, "cv_error": float(losses.mean()) if finite else np.inf,
            "cv_std_error": float(losses.std(ddof=1) / np.sqrt(len(losses))) if finite else np.nan}


def _best(table):
    """Index of the smallest CV error; ties (within 1e-12 relative) go to the earlier, simpler row."""
    errors = table["cv_error"].to_numpy()
    if not np.isfinite(errors).any():
        raise SynthsurveyError("llm_auto: no candidate could be fit in every cross-validation fold")
    smallest = np.nanmin(errors)
    return int(np.flatnonzero(errors <= smallest * (1 + 1e-12))[0])


def _columns(groups, penalty_features, penalty_terms):
    """Positions of the columns a candidate keeps, in design order."""
    base, extra, other = groups
    kept = list(base)
    if not np.isinf(penalty_features):
        kept += extra
    if not np.isinf(penalty_terms):
        kept += other
    return sorted(kept)


def _penalty_vector(values, groups, columns, penalty_features, penalty_terms):
    """statsmodels' per-coefficient ridge weights for the kept ``columns``: ``a sd_j^2`` (0 for the
    unpenalised columns), so the penalty is ``a`` on each standardised column."""
    base, extra, _ = groups
    spread = values.var(axis=0)
    spread = np.where(spread > 0, spread, 1e-12)
    weights = []
    for position, column in enumerate(columns):
        if column in base:
            weights.append(0.0)
        else:
            weights.append((penalty_features if column in extra else penalty_terms) * spread[position])
    return np.asarray(weights)


def _ridge_errors(response, values, groups, fold):
    """CV errors of every (penalty on features, penalty on terms) pair of the grid: on each fold's
    training rows the penalised normal equations (X'X + n diag(a sd_j^2)) b = X'y, as statsmodels'
    ridge, for all pairs at once. A left-out column (penalty inf) gets a penalty of ``DROPPED`` x its
    variance, which sets its coefficient to 0 within rounding; a relative 1e-10 on the diagonal
    keeps a rank-deficient training design solvable (the minimum-norm solution, as OLS by pinv)."""
    base, extra, other = groups
    grid_features = PENALTIES if extra else (np.inf,)
    grid_terms = PENALTIES if other else (np.inf,)
    candidates = [(a, b) for a in reversed(grid_features) for b in reversed(grid_terms)]
    weights = np.zeros((len(candidates), values.shape[1]))
    for row, (penalty_features, penalty_terms) in enumerate(candidates):
        weights[row, extra] = min(penalty_features, DROPPED)
        weights[row, other] = min(penalty_terms, DROPPED)
    losses = np.empty((len(candidates), len(response)))
    for k in range(int(fold.max()) + 1):
        train, test = fold != k, fold == k
        x_train, y_train = values[train], response[train]
        gram, moment = x_train.T @ x_train, x_train.T @ y_train
        spread = x_train.var(axis=0)
        spread = np.where(spread > 0, spread, 1.0)
        systems = np.broadcast_to(gram, (len(candidates),) + gram.shape).copy()
        diagonal = np.arange(gram.shape[0])
        systems[:, diagonal, diagonal] += len(y_train) * weights * spread + 1e-10 * np.maximum(np.diag(gram), 1e-300)
        coefficients = np.linalg.solve(systems, np.broadcast_to(moment, (len(candidates), len(moment)))[..., None])
        losses[:, test] = (response[test][None, :] - coefficients[..., 0] @ values[test].T) ** 2
    rows, kept = [], {}
    for row, candidate in enumerate(candidates):
        kept[_label(*candidate)] = _columns(groups, *candidate)
        rows.append(_row(_label(*candidate), *candidate, len(kept[_label(*candidate)]), losses[row]))
    return pd.DataFrame(rows), kept


def _label(penalty_features, penalty_terms):
    names = {(np.inf, np.inf): "draw mean", (np.inf, 0.0): "draw mean + terms", (0.0, 0.0): "full + terms",
             (0.0, np.inf): "full"}
    if (penalty_features, penalty_terms) in names:
        return names[(penalty_features, penalty_terms)]
    show = lambda a: "out" if np.isinf(a) else f"{a:g}"  # noqa: E731
    return f"ridge (features {show(penalty_features)}, terms {show(penalty_terms)})"


def _ridge_statistics(response, values, penalty, params):
    """A ridge fit's R-squared, residual standard error and residual df, the df being n minus the
    trace of its hat matrix X (X'X + n diag(penalty))^-1 X' (its effective number of parameters)."""
    n = len(response)
    hat_trace = np.trace(np.linalg.solve(values.T @ values + n * np.diag(penalty), values.T @ values))
    residual = response - values @ params
    df_resid = n - hat_trace
    total = np.sum((response - response.mean()) ** 2)
    return {"nobs": n, "r_squared": float(1 - residual @ residual / total) if total > 0 else np.nan,
            "sigma": float(np.sqrt(residual @ residual / df_resid)), "df_resid": float(df_resid),
            "df_model": float(hat_trace - 1)}


class SelectedFit:
    """The fitted family of the chosen candidate, read like ``families.FittedFamily``: predictions
    take the full design matrix and use the chosen columns. ``selection`` records the choice;
    ``result`` is the statsmodels result; ``penalised`` says whether it is a ridge fit (then
    ``std_error`` and ``covariance()`` are NaN, and ``penalty`` holds the per-column ridge penalty:
    the coefficients solve (X'X + n diag(penalty)) b = X'y)."""

    def __init__(self, inner, selection, ridge=None, levels=(), statistics=None, penalty=None):
        self.inner, self.selection, self._statistics = inner, selection, statistics
        self.penalty = None if penalty is None else np.asarray(penalty, dtype=float)  # ridge: per column
        self.columns = list(selection.columns)
        self.penalised = inner is None
        if inner is not None:
            self.family, self.result, self.levels, self.observed = inner.family, inner.result, inner.levels, inner.observed
            self._params = inner.params
        else:
            self.family, self.result = "ols", ridge
            self.levels = np.asarray(levels, dtype=float)
            self.observed = np.arange(len(self.levels))
            self._params = pd.Series(np.asarray(ridge.params, dtype=float), index=self.columns)

    @property
    def params(self):
        return self._params.copy()

    @property
    def std_error(self):
        return self.inner.std_error if self.inner is not None else self._params * np.nan

    def covariance(self):
        if self.inner is not None:
            return self.inner.covariance()
        return pd.DataFrame(np.nan, index=self._params.index, columns=self._params.index)

    @property
    def df(self):
        return self.inner.df if self.inner is not None else np.inf

    def statistics(self):
        if self.inner is not None:
            return self.inner.statistics()
        return dict(self._statistics)

    def mean(self, matrix):
        if self.inner is not None:
            return self.inner.mean(matrix[self.columns])
        return matrix[self.columns].to_numpy(dtype=float) @ self._params.to_numpy()

    def probs(self, matrix):
        if self.inner is None:
            raise SynthsurveyError("family 'ols' gives no per-level probabilities; use 'ordinal', 'logit' or 'mnlogit'")
        return self.inner.probs(matrix[self.columns])

    def link_values(self, matrix):
        if self.inner is None:
            return self.mean(matrix)
        return self.inner.link_values(matrix[self.columns])

    def start_values(self):
        """Raw parameters to warm-start another fit (the chosen candidate's, ordinal only; else None)."""
        return self.inner.start_values() if self.inner is not None else None

    def std_error_of(self, matrix, kind="response"):
        """Delta-method standard errors of predictions (see ``FittedFamily.std_error_of``); NaN for a
        ridge fit, whose coefficients have no standard errors."""
        if self.inner is None:
            return np.full(len(matrix), np.nan)
        return self.inner.std_error_of(matrix[self.columns], kind)

    def residuals(self, kind="response"):
        """Residuals of the pilot answers (see ``FittedFamily.residuals``); a ridge fit's y - fitted."""
        if self.inner is not None:
            return self.inner.residuals(kind)
        model = self.result.model
        return np.asarray(model.endog, dtype=float) - np.asarray(model.exog, dtype=float) @ self._params.to_numpy()
