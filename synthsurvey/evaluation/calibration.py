"""A supervised calibration of an LLM's group distributions toward the human ones, fit on a few
labeled (item, group) cells and evaluated on the rest by opinion alignment 1 - W1/(C-1)
(Santurkar et al. 2023; the distributional-alignment setting of Meister et al. 2024).

The calibration of a cell's LLM pmf p is one member of a small family:

* ``identity``: p as it is;
* ``temperature``: q ~ p^tau (tau < 1 flattens an overconfident LLM);
* ``temperature_uniform``: q = (1 - w) p^tau / Z + w / C (mixing toward uniform);
* ``temperature_human``: q = (1 - w) p^tau / Z + w m, m the labeled cells' mean human pmf;
* ``offsets``: q ~ p^tau exp(b1 P1(u) + b2 P2(u)), offsets on the log scale by the level's
  relative position u, ridge-penalised toward 0;

applied in part: the calibrated pmf is (1 - s) p + s q with a blend s in ``blends``.

Items differ in their number of levels C, so what the members share across cells is a function
of a level's relative position u = (k - 1)/(C - 1) in [0, 1]. The mean human pmf m averages the
labeled cells' cumulative pmfs on [0, 1] (level k of a C-level item covering [(k-1)/C, k/C]) and
rediscretises the mean to each cell's C levels. The offsets use the shifted Legendre polynomials
P1(u) = 2u - 1 (a tilt toward one end) and P2(u) = 6u^2 - 6u + 1 (the middle against both ends):
a free offset per level for items of up to 3 levels (offsets are defined up to a constant), a
quadratic in position beyond, because 10 labeled cells cannot pin down one offset per level of
every scale; ``ridge`` * (b1^2 + b2^2) is subtracted from the mean alignment they maximise.

Fitting: every member maximises the mean alignment of the labeled cells over a fixed grid of
its parameters (tau on a log grid from 0.018 to 11 that contains 1; w in [0, 0.9]; b1, b2 in
[-2, 2]). The objective is piecewise linear with flat stretches, where a grid is robust; and
with every grid point's alignment of every labeled cell at hand, each cross-validation fit is
the grid point maximising the sum without the held-out fold, so the cross-validation is exact
and cheap.

Cross-validation holds out one item at a time (``folds="item"``: all labeled cells of a
question; ``folds="cell"`` holds out single cells): the calibration is meant for questions it
has not seen, and cells of one question share its quirks. The cross-validated gain of a
(member, blend) is the mean over the folds of the held-out cells' alignment minus that of their
raw pmfs.

Selection, in two steps. The gate: a (member, blend) is a candidate only if the one-sided
(1 - alpha) Student-t lower confidence bound of its gain, gain - t(1 - alpha, F - 1) * SE over
the F folds, is above 0; with no candidate, identity is kept: a calibration is used only when the
labeled cells show, beyond their noise, that it helps. The choice: among the candidates, the
largest cross-validated gain (ties: fewer parameters, then the smaller blend). Choosing by the
bound itself as well would favour partial blends whenever the evidence is strong (W1 is convex
in the pmf, so a blend's gain is at least s times the full calibration's and its SE is smaller):
on the benchmark's log-probability settings, where the LLM's pmfs are far off, it gave up about
a fifth of the gain. Blends still bound the harm where the evidence is moderate: a partial blend
can pass the gate where the full calibration does not. A member takes part only when every
cross-validation fit keeps more cells than the member has parameters (with single-cell folds:
temperature from 3 labeled cells, the 2-parameter members from 4, offsets from 5); with fewer
than 2 folds (1 labeled cell, or cells of one item only) nothing can be cross-validated and
identity is kept.

Why not always fit a calibration: on the distributional-alignment benchmark's OpinionQA persona
cells, a two-parameter calibration fit on 10 labeled cells lowers the alignment of every
express_distribution setting (by 0.5 to 1.3 points on 0-100), where the LLM's stated
distributions are about as good as 10 cells can tell.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.stats

from ..common.errors import SynthsurveyError, preview
from .cells import _Pack, _native, _split

METRICS = ("opinion_alignment", "tv_similarity")
MEMBERS = ("identity", "temperature", "temperature_uniform", "temperature_human", "offsets")
# members that share information across items through the levels' order
ORDINAL_MEMBERS = ("temperature_human", "offsets")
N_PARAMETERS = {"identity": 0, "temperature": 1, "temperature_uniform": 2, "temperature_human": 2, "offsets": 3}
BLENDS = (0.25, 0.5, 0.75, 1.0)
LOG_TAUS = np.linspace(-4.0, 2.4, 41)  # tau from 0.018 to 11 in steps of 0.16 on the log scale; 1 is on it
WEIGHTS = np.array([0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
OFFSETS = np.linspace(-2.0, 2.0, 17)
OFFSET_LOG_TAUS = LOG_TAUS[::2]


def _alignment(human, q, pack, metric):
    """Per-cell alignment of pmfs ``q`` with the human pmfs (both (n, K), 0 in the padding)."""
    if metric == "opinion_alignment":
        # 1 - W1/(C-1) on levels 1..C: the summed gaps of the cumulative pmfs over the first C-1
        # levels (metrics.opinion_alignment, vectorised over cells)
        gaps = np.abs(np.cumsum(human - q, axis=-1))[..., :-1] * pack.mask[:, 1:]
        return 1.0 - gaps.sum(-1) / (pack.n_levels - 1)
    return 1.0 - 0.5 * np.abs(human - q).sum(-1)


# ---------------------------------------------------------------------------------------------
# the family


def _softmax(z):
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def _legendre(pack):
    """(2, n, K) shifted Legendre polynomials P1, P2 at each level's relative position."""
    u = pack.position
    return np.stack([(2 * u - 1) * pack.mask, (6 * u * u - 6 * u + 1) * pack.mask])


def _rediscretised(human, n_levels, targets, width):
    """(len(human), len(targets), width): each source pmf's cumulative pmf on relative positions,
    rediscretised to each target cell's number of levels."""
    out = np.zeros((len(human), len(targets), width))
    for size in np.unique(targets):
        edges = np.arange(size + 1) / size
        for i, (pmf, count) in enumerate(zip(human, n_levels)):
            cumulative = np.interp(edges, np.arange(count + 1) / count, np.concatenate([[0], np.cumsum(pmf[:count])]))
            out[i, targets == size, :size] = np.diff(cumulative)
    return out


def _mean_human(reference, pack):
    """The reference human pmfs' mean on relative positions, on each cell of ``pack``."""
    sizes = [len(h) for h in reference]
    human = np.zeros((len(reference), max(sizes)))
    for i, h in enumerate(reference):
        human[i, :len(h)] = h
    return _rediscretised(human, np.array(sizes), pack.n_levels, pack.mask.shape[1]).mean(0)


def _transform(member, params, pack, reference):
    """The member's calibrated pmfs (n, K) of the pack's LLM pmfs, before blending."""
    if member == "identity":
        return pack.llm
    z = params["tau"] * pack.log_llm
    if member == "offsets":
        z = z + np.tensordot(np.asarray(params["offsets"]), _legendre(pack), axes=1)
    q = _softmax(z)
    if member == "temperature_uniform":
        q = (1 - params["weight"]) * q + params["weight"] * pack.mask / pack.n_levels[:, None]
    elif member == "temperature_human":
        q = (1 - params["weight"]) * q + params["weight"] * _mean_human(reference, pack)
    return q


def _grid(member, pack, ridge):
    """The member's parameter grid on ``pack``: (params, pmfs (G, n, K), penalty (G,))."""
    if member == "offsets":
        taus = np.exp(OFFSET_LOG_TAUS)
        b1, b2 = np.meshgrid(OFFSETS, OFFSETS, indexing="ij")
        shift = np.tensordot(np.stack([b1.ravel(), b2.ravel()], 1), _legendre(pack), axes=1)  # (B, n, K)
        z = taus[:, None, None, None] * pack.log_llm[None, None] + shift[None]
        pmfs = _softmax(z).reshape(-1, *pack.llm.shape)
        params = [{"tau": float(t), "offsets": (float(x), float(y))} for t in taus
                  for x, y in zip(b1.ravel(), b2.ravel())]
        penalty = ridge * np.tile(b1.ravel() ** 2 + b2.ravel() ** 2, len(taus))
        return params, pmfs, penalty
    taus = np.exp(LOG_TAUS)
    tempered = _softmax(taus[:, None, None] * pack.log_llm[None])
    if member == "temperature":
        return [{"tau": float(t)} for t in taus], tempered, np.zeros(len(taus))
    target = pack.mask / pack.n_levels[:, None]
    pmfs = ((1 - WEIGHTS)[None, :, None, None] * tempered[:, None]
            + WEIGHTS[None, :, None, None] * target[None, None]).reshape(-1, *pack.llm.shape)
    params = [{"tau": float(t), "weight": float(w)} for t in taus for w in WEIGHTS]
    return params, pmfs, np.zeros(len(params))


def _fit_all(member, pack, fold, metric, ridge):
    """Fit ``member`` on every cell of ``pack`` and on all cells but those of each fold (``fold``
    (n,): fold ids 0..F-1): the params of the full fit and the held-out pmfs (n, K), each
    cell's from the fit without its fold (NaN with fewer than 2 folds)."""
    n, n_folds = len(pack.keys), int(fold.max()) + 1
    if member == "temperature_human":
        return _fit_all_human(pack, fold, metric)
    params, pmfs, penalty = _grid(member, pack, ridge)
    scores = _alignment(pack.human[None], pmfs, pack, metric)  # (G, n)
    total = scores.sum(1)
    best = int(np.argmax(total / n - penalty))
    if n_folds < 2:
        return params[best], np.full_like(pack.llm, np.nan)
    members = fold[:, None] == np.arange(n_folds)[None, :]  # (n, F)
    kept = n - members.sum(0)
    fits = np.argmax((total[:, None] - scores @ members) / kept - penalty[:, None], axis=0)  # (F,)
    return params[best], pmfs[fits[fold], np.arange(n)]


def _fit_all_human(pack, fold, metric):
    """temperature_human: each fold's target is the mean human pmf of the cells it keeps."""
    n_folds = int(fold.max()) + 1
    taus = np.exp(LOG_TAUS)
    tempered = _softmax(taus[:, None, None] * pack.log_llm[None])  # (T, n, K)
    parts = _rediscretised(pack.human, pack.n_levels, pack.n_levels, pack.mask.shape[1])  # (source, target, K)
    params = [{"tau": float(t), "weight": float(w)} for t in taus for w in WEIGHTS]

    def grid(target):  # (G, n, K)
        return ((1 - WEIGHTS)[None, :, None, None] * tempered[:, None]
                + WEIGHTS[None, :, None, None] * target[None, None]).reshape(-1, *pack.llm.shape)

    best = int(np.argmax(_alignment(pack.human[None], grid(parts.mean(0)), pack, metric).mean(1)))
    if n_folds < 2:
        return params[best], np.full_like(pack.llm, np.nan)
    held = np.empty_like(pack.llm)
    for f in range(n_folds):
        out = fold == f
        pmfs = grid(parts[~out].mean(0))
        scores = _alignment(pack.human[None], pmfs, pack, metric)
        fit = int(np.argmax(scores[:, ~out].mean(1)))
        held[out] = pmfs[fit, out]
    return params[best], held


# ---------------------------------------------------------------------------------------------
# fitted calibration


@dataclass(frozen=True)
class GroupCalibration:
    """A fitted group calibration: the LLM pmf p of a cell becomes (1 - blend) p + blend q, q
    the chosen member's calibrated pmf.

    member: the chosen member of the family (see the module docstring). params: its parameters
    (tau; weight, the mixing weight; offsets, (b1, b2)) and blend. labeled: the labeled (item,
    group) cells. reference: the labeled cells' human pmfs (the target of temperature_human).
    cv: the cross-validation table, one row per (member, blend): member, blend, n_parameters,
    eligible (cross-validated: at least 2 folds, and every fit keeps more cells than the member
    has parameters), cv_alignment, cv_gain (mean over folds of the held-out gain over the raw
    pmf), cv_gain_se, lower_bound (cv_gain - t(1 - alpha, folds - 1) cv_gain_se), chosen, params
    (the member's fit on all labeled cells).
    metric: "opinion_alignment" (ordered levels) or "tv_similarity" (1 - total variation).
    note: why the choice was made when cross-validation could not decide.
    """

    member: str = "identity"
    params: dict = field(default_factory=dict)
    labeled: tuple = ()
    reference: tuple = field(default=(), repr=False)
    cv: pd.DataFrame = field(default=None, repr=False, compare=False)
    metric: str = "opinion_alignment"
    note: str = ""

    def __post_init__(self):
        if self.member not in MEMBERS:
            raise SynthsurveyError(f"unknown calibration member {self.member!r}; the family is {preview(MEMBERS)}")
        if self.metric not in METRICS:
            raise SynthsurveyError(f"metric must be one of {preview(METRICS)}, got {self.metric!r}")
        if self.member == "temperature_human" and not self.reference:
            raise SynthsurveyError("temperature_human needs the reference cells' human pmfs")
        if not 0 <= self.blend <= 1:
            raise SynthsurveyError(f"blend must lie in [0, 1], got {self.blend!r}")

    @property
    def tau(self):
        """The temperature of the chosen member (1 for identity)."""
        return self.params.get("tau", 1.0)

    @property
    def blend(self):
        """The share s of the member's pmf in the calibrated pmf (1 - s) p + s q."""
        return self.params.get("blend", 1.0)

    @property
    def cv_gain(self):
        """Cross-validated gain of the choice over the raw pmf (0 for identity; NaN if untested)."""
        if self.member == "identity":
            return 0.0
        if self.cv is None or not self.cv["chosen"].any():
            return np.nan
        return float(self.cv.loc[self.cv["chosen"], "cv_gain"].iloc[0])

    def _apply(self, pack):
        q = _transform(self.member, self.params, pack, self.reference)
        return (1 - self.blend) * pack.llm + self.blend * q

    def transform(self, llm_pmf):
        """Calibrated pmf of one cell's LLM pmf (levels in order)."""
        llm = np.asarray(llm_pmf, dtype=float)
        if llm.ndim != 1 or len(llm) < 2:
            raise SynthsurveyError(f"transform needs one pmf on at least 2 levels, got shape {llm.shape}")
        pack = _Pack((), np.zeros((1, len(llm))), llm[None, :], np.ones((1, len(llm)), bool), np.array([len(llm)]))
        return self._apply(pack)[0]

    def calibrated(self, cells):
        """``cells`` (one setting) with a column llm_calibrated: each cell's calibrated LLM pmf."""
        pack = _split(cells)
        out = cells.sort_values(["item", "group", "level"], kind="stable").copy()
        out["llm_calibrated"] = self._apply(pack)[pack.mask]
        return out.sort_index()

    def evaluate(self, cells):
        """Per unlabeled cell: alignment of the raw and of the calibrated LLM pmf (DataFrame
        item, group, n_levels, alignment_before, alignment_after)."""
        pack = _split(cells)
        labeled = set(self.labeled)
        pack = pack.take(np.flatnonzero([key not in labeled for key in pack.keys]))
        before, after = _scores(self, pack)
        return pd.DataFrame({"item": [k[0] for k in pack.keys], "group": [k[1] for k in pack.keys],
                             "n_levels": pack.n_levels, "alignment_before": before, "alignment_after": after})


def _scores(calibration, pack):
    before = _alignment(pack.human, pack.llm, pack, calibration.metric)
    after = _alignment(pack.human, calibration._apply(pack), pack, calibration.metric)
    return before, after


def _check_options(members, metric, alpha, blends, ridge, folds):
    if folds not in ("item", "cell"):
        raise SynthsurveyError(f"folds must be 'item' or 'cell', got {folds!r}")
    if metric not in METRICS:
        raise SynthsurveyError(f"metric must be one of {preview(METRICS)}, got {metric!r}")
    if members is None:
        members = MEMBERS if metric == "opinion_alignment" else tuple(m for m in MEMBERS if m not in ORDINAL_MEMBERS)
    members = (members,) if isinstance(members, str) else tuple(members)
    unknown = [m for m in members if m not in MEMBERS]
    if unknown or not members:
        raise SynthsurveyError(f"unknown calibration member(s) {preview(unknown)}; the family is {preview(MEMBERS)}")
    if metric != "opinion_alignment" and any(m in ORDINAL_MEMBERS for m in members):
        raise SynthsurveyError(f"members {preview(ORDINAL_MEMBERS)} share information across items by the "
                               f"levels' order: not for a nominal metric ({metric!r})")
    if not 0 < alpha < 1:
        raise SynthsurveyError(f"alpha must lie in (0, 1), got {alpha!r}")
    blends = (blends,) if np.isscalar(blends) else tuple(float(b) for b in blends)
    if not blends or any(not 0 < b <= 1 for b in blends):
        raise SynthsurveyError(f"blends must lie in (0, 1], got {blends!r}")
    if ridge <= 0:
        raise SynthsurveyError(f"ridge must be positive, got {ridge!r}")
    return tuple(dict.fromkeys(members)), tuple(sorted(set(blends)))


def _folds(pack, folds):
    """Fold ids (n,) of the labeled cells: one fold per item ("item") or per cell ("cell")."""
    if folds == "cell":
        return np.arange(len(pack.keys))
    return pd.factorize(pd.Series([key[0] for key in pack.keys], dtype=object))[0]


def _calibrate_pack(pack, metric, members, alpha, blends, ridge, folds="item"):
    """Select and fit on every cell of ``pack`` (the labeled cells)."""
    n = len(pack.keys)
    fold = _folds(pack, folds)
    n_folds = int(fold.max()) + 1
    smallest_fit = n - np.bincount(fold).max()
    reference = tuple(tuple(pack.human[i, :k]) for i, k in enumerate(pack.n_levels))
    raw = _alignment(pack.human, pack.llm, pack, metric)
    critical = scipy.stats.t.ppf(1 - alpha, n_folds - 1) if n_folds >= 2 else np.nan
    by_fold = np.bincount(fold)

    def fold_means(values):
        return np.bincount(fold, weights=values) / by_fold

    rows = []
    for member in members:
        if member == "identity":
            rows.append({"member": member, "blend": 0.0, "n_parameters": 0, "eligible": True,
                         "cv_alignment": fold_means(raw).mean(), "cv_gain": 0.0, "cv_gain_se": 0.0,
                         "lower_bound": 0.0, "params": {}})
            continue
        # cross-validated only if there are 2 folds and every fit keeps more cells than parameters
        eligible = n_folds >= 2 and smallest_fit > N_PARAMETERS[member]
        params, held = _fit_all(member, pack, fold, metric, ridge) if eligible else ({}, None)
        for blend in blends:
            row = {"member": member, "blend": blend, "n_parameters": N_PARAMETERS[member], "eligible": eligible,
                   "cv_alignment": np.nan, "cv_gain": np.nan, "cv_gain_se": np.nan, "lower_bound": np.nan,
                   "params": params}
            if eligible:
                gains = fold_means(_alignment(pack.human, (1 - blend) * pack.llm + blend * held, pack, metric) - raw)
                se = float(np.std(gains, ddof=1) / np.sqrt(n_folds))
                row.update(cv_alignment=float(fold_means(raw).mean() + gains.mean()), cv_gain=float(gains.mean()),
                           cv_gain_se=se, lower_bound=float(gains.mean() - critical * se))
            rows.append(row)
    cv = pd.DataFrame(rows)
    tested = cv[cv["eligible"]]
    note = ""
    if "identity" in members:
        candidates = tested[tested["lower_bound"] > 0].sort_values(["cv_gain", "n_parameters", "blend"],
                                                                    ascending=[False, True, True])
        chosen = (candidates.iloc[0]["member"], candidates.iloc[0]["blend"]) if len(candidates) else ("identity", 0.0)
        if len(tested) == 1 and len(members) > 1:
            note = (f"{n} labeled cell(s) in {n_folds} fold(s): too few to cross-validate any member, "
                    "identity kept")
    elif len(tested):
        best = tested.sort_values(["lower_bound", "n_parameters", "blend"], ascending=[False, True, True]).iloc[0]
        chosen = (best["member"], best["blend"])
    else:
        member = min(members, key=lambda m: N_PARAMETERS[m])
        chosen = (member, max(blends))
        note = (f"{n} labeled cell(s) in {n_folds} fold(s): too few to cross-validate; {member} (the simplest "
                "member asked for) fit on them")
    cv["chosen"] = (cv["member"] == chosen[0]) & (cv["blend"] == chosen[1])
    member, blend = chosen
    if member == "identity":
        params = {}
    elif cv.loc[cv["chosen"], "eligible"].iloc[0]:
        params = {**cv.loc[cv["chosen"], "params"].iloc[0], "blend": float(blend)}
    else:
        params = {**_fit_all(member, pack, np.zeros(n, dtype=int), metric, ridge)[0], "blend": float(blend)}
    return GroupCalibration(member=member, params=params, labeled=pack.keys,
                            reference=reference if member == "temperature_human" else (),
                            cv=cv, metric=metric, note=note)


def calibrate_groups(cells, labeled, *, members=None, alpha=0.05, blends=BLENDS, ridge=0.01,
                     metric="opinion_alignment", folds="item"):
    """Fit the calibration on the ``labeled`` cells (an iterable of (item, group) pairs) of
    ``cells`` (as from ``group_cells``; one setting). Returns a GroupCalibration.

    members: the candidate members (default: the whole family; for ``metric="tv_similarity"``
    those that do not use the levels' order). With "identity" among them, a calibration is used
    only if its cross-validated gain's lower confidence bound is above 0, and among those that
    pass, the largest cross-validated gain wins; without identity, the best bound wins even if
    below 0 (e.g. ``members="temperature_uniform", blends=1`` always fits that member in full).
    alpha: one-sided level of the lower confidence bound (Student t, folds - 1 degrees of
    freedom).
    blends: the shares s of the calibrated pmf in (1 - s) p + s q to choose from.
    ridge: the offsets' penalty weight, on the scale of the mean alignment.
    metric: "opinion_alignment" (ordered levels) or "tv_similarity" (1 - total variation).
    folds: "item" (hold out all labeled cells of a question at a time) or "cell".
    See the module docstring for the family and the selection.
    """
    members, blends = _check_options(members, metric, alpha, blends, ridge, folds)
    pack = _split(cells)
    labeled = tuple(tuple(_native(v) for v in cell) for cell in labeled)
    index = {key: i for i, key in enumerate(pack.keys)}
    unknown = [cell for cell in labeled if cell not in index]
    if unknown:
        raise SynthsurveyError(f"labeled cells not in cells: {unknown[:5]}")
    if not labeled:
        raise SynthsurveyError("calibration needs at least one labeled cell")
    return _calibrate_pack(pack.take([index[cell] for cell in dict.fromkeys(labeled)]), metric, members, alpha,
                           blends, ridge, folds)


# ---------------------------------------------------------------------------------------------
# evaluation
