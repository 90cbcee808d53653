"""Sources, cross-item features and ``llm_auto`` in a debiasing model: from the formula's words
to the frame's columns.

A feature table may hold several LLM sources (a ``source`` column, see ``featurize.sources``).
``Sources`` knows the table's items and sources, the default source (``source=``) and which ids
each source was tuned on (``tuned_on=``). ``plan`` turns a parsed formula into a ``Plan``:

* every bracket reference (``llm_mean[gpt4o]``, ``llm_mean[q2]``, ``llm_mean[q2, gpt4o]``, see
  ``references``) is resolved to an (item, source); unknown labels are an error listing the
  known items and sources;
* every ``llm_auto`` term is expanded into its item's full feature set (``featurize.sets``, the
  features constant or collinear in the table left out), recorded as the candidate columns of the
  cross-validated choice (``selection``);
* the *primary* source is the one plain names (``llm_mean``) and the base and scalar baselines
  read: the default source, else the only one, else the first source the formula names.

``add_columns`` merges the referenced features onto the frame by key (people without them are then
counted as excluded, never dropped silently); ``mask_tuned`` turns the pilot answers of people a
source the fit reads was tuned on into unknowns: a tuned source's predictions of them are not
independent of their answers, so they may neither train nor correct the debiaser;
``untuned_formula`` is the formula without the terms that read a tuned source (the untuned
companion's, with which population estimates still use those answers: ``inference.tuned``).
"""

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..common.errors import SynthsurveyError, preview
from ..featurize.sets import feature_set, independent_features
from ..featurize.sources import SOURCE, source_labels
from . import formula as formulas
from . import references as refs
from .frame import IS_PILOT, RESPONSE

_NO_ANSWERS = pd.Series([], dtype=float)
_PLAIN_AUTO = re.compile(r"\b" + refs.AUTO + r"\b(?!\[)")


@dataclass(frozen=True)
class Plan:
    """A formula resolved against the data: ``formula`` (as written), ``spec`` (the parsed formula
    with ``llm_auto`` expanded), ``columns`` ({reference column: (feature, item, source)}),
    ``primary`` (the source plain names read; None without sources), ``sources_read``,
    ``auto_mean`` and ``auto_extra`` (design columns of the expanded ``llm_auto`` terms: their draw
    means, and the other features)."""

    formula: str
    spec: formulas.FormulaSpec
    columns: dict
    primary: object
    sources_read: tuple
    auto_mean: tuple = ()
    auto_extra: tuple = ()


class Sources:
    """The items and sources of a feature table, the default source and the tuned-on ids."""

    def __init__(self, features, key, scales, source=None, tuned_on=None):
        self.features, self.key, self.scales = features, key, scales
        self.labels = source_labels(features)
        self.items = {str(item): item for item in pd.unique(features["item"])}
        if source is not None and str(source) not in map(str, self.labels):
            known = preview(self.labels) if self.labels else "none: samples have no 'source' column"
            raise SynthsurveyError(f"source={source!r} is not a source of the samples; sources: {known}")
        self.default = self._source(source) if source is not None else (self.labels[0] if len(self.labels) == 1
                                                                          else None)
        self.tuned_on = self._tuned(tuned_on)

    def _source(self, label):
        return {str(s): s for s in self.labels}[str(label)]

    def _tuned(self, tuned_on):
        """{source (None without sources): set of ids}."""
        if tuned_on is None:
            return {}
        if not isinstance(tuned_on, dict):
            if len(self.labels) > 1:
                raise SynthsurveyError(f"the samples hold sources {preview(self.labels)}: say which one was "
                                       "tuned on the ids, tuned_on={source: ids}")
            tuned_on = {self.labels[0] if self.labels else None: tuned_on}
        out = {}
        for label, ids in tuned_on.items():
            if label is not None and str(label) not in map(str, self.labels):
                raise SynthsurveyError(f"tuned_on names source {label!r}, which is not a source of the samples; "
                                       f"sources: {preview(self.labels) if self.labels else 'none'}")
            out[None if label is None else self._source(label)] = set(np.asarray(list(ids)).tolist())
        return out

    # resolving the formula -----------------------------------------------------------------
    def locate(self, labels, item, written):
        """(item, source) of a reference's ``labels`` in a formula about ``item``."""
        sources = {str(s): s for s in self.labels}
        if len(labels) == 2:
            first, second = labels
            if first not in self.items:
                self._unknown(written, [first], "item")
            if second not in sources:
                self._unknown(written, [second], "source")
            return self.items[first], sources[second]
        (label,) = labels
        if label in self.items and label in sources:
            raise SynthsurveyError(f"{written}: {label!r} is both an item and a source; write "
                                   f"[{label}, <source>] for the item or [{refs.label_text(item)}, {label}] for the source")
        if label in sources:
            return item, sources[label]
        if label in self.items:
            if self.default is None and self.labels:
                raise SynthsurveyError(f"{written}: the samples hold sources {preview(self.labels)}; write "
                                       f"[{label}, <source>] or pass source=")
            return self.items[label], self.default
        self._unknown(written, [label], "item or source")

    def _unknown(self, written, labels, what):
        raise SynthsurveyError(
            f"{written} names unknown {what} {preview(labels)}; items: {preview(list(self.items), 12)}; "
            f"sources: {preview(self.labels, 12) if self.labels else 'none (samples have no source column)'}")

    def plan(self, spec, primary=None):
        """The Plan of a parsed formula (see the module docstring). ``primary``: the source whose
        features a frame already holds under plain names (for models derived from another)."""
        located = {reference.column: self.locate(reference.labels, spec.item, reference.column)
                   for reference in spec.references}
        named = [source for _, source in located.values() if source is not None]
        plain = [name for name in spec.llm_features if "[" not in name]
        if plain and primary is None and self.default is None and len(self.labels) > 1:
            raise SynthsurveyError(
                f"{preview(plain)} in {spec.formula!r}: the samples hold sources {preview(self.labels)}; name one, "
                f"e.g. {plain[0]}[{refs.label_text(self.labels[0])}], or pass source=")
        if primary is None:
            primary = self.default if self.default is not None else (named[0] if named else
                                                                     (self.labels[0] if self.labels else None))
        if not spec.auto:
            feature = {reference.column: reference.feature for reference in spec.references}
            columns = {column: (feature[column], *where) for column, where in located.items()}
            return Plan(spec.formula, spec, columns, primary, self._read(primary, columns))
        return self._expand(spec, located, primary)

    def _read(self, primary, columns):
        read = [primary] + [source for _, _, source in columns.values()]
        return tuple(dict.fromkeys(source for source in read if source is not None))

    def _expand(self, spec, located, primary):
        """The Plan with each ``llm_auto`` term replaced by its item's full feature set."""
        rhs, auto_mean, auto_extra = spec.rhs, [], []
        for name in spec.auto:
            item, source = located.get(name, (spec.item, primary))
            labels = next((r.labels for r in spec.references if r.column == name), ())
            candidates = feature_set(self.scales[item], "full")
            rows = self.rows(item, source)
            kept = independent_features(rows, [f for f in candidates if f in rows.columns]) or ["llm_mean"]
            expanded = [refs.column_name(feature, labels) for feature in kept]
            auto_mean.append(expanded[0])
            auto_extra += expanded[1:]
            written = " + ".join(refs.quoted(column) if labels else column for column in expanded)
            rhs = rhs.replace(refs.quoted(name), written) if labels else _PLAIN_AUTO.sub(written, rhs)
        text = f"{formulas.item_lhs(spec.item)} ~ {refs.readable(rhs)}"
        expanded_spec = formulas.parse(text)
        planned = self.plan(expanded_spec, primary)
        return Plan(spec.formula, expanded_spec, planned.columns, planned.primary, planned.sources_read,
                    tuple(dict.fromkeys(auto_mean)), tuple(dict.fromkeys(auto_extra)))

    def combined_formula(self, formula, labels=None):
        """``formula`` (written with plain feature names) with each term that reads draw features
        repeated for every source in ``labels`` (default: all): one debiaser of several sources."""
        spec = formulas.parse(formula)
        labels = list(self.labels if labels is None else labels)
        rhs = formula.split("~", 1)[1]
        terms = []
        for term in refs.split_terms(rhs):
            if "llm_" not in term:
                terms.append(term)
                continue
            terms += [refs.with_source(term, label, lambda label: label in self.items) for label in labels]
        return f"{formulas.item_lhs(spec.item)} ~ {' + '.join(terms)}"

    # the frame ---------------------------------------------------------------------------------
    def rows(self, item, source):
        """The feature rows of (item, source), one per key, without item and source columns."""
        features = self.features
        chosen = features["item"] == item
        if source is not None:
            chosen &= features[SOURCE] == source
        rows = features.loc[chosen].drop(columns=[c for c in ("item", SOURCE) if c in features.columns])
        if len(rows) == 0:
            raise SynthsurveyError(f"source {source!r} has no draws for item {item!r}")
        return rows

    def item_features(self, item, primary):
        """The primary source's feature rows of the formula ``item`` with an ``item`` column, as
        ``frame.item_frame`` takes them (the whole table without sources)."""
        if not self.labels:
            return self.features
        return self.rows(item, primary).assign(item=item)

    def add_columns(self, frame, plan):
        """``frame`` with one column per bracket reference of ``plan``, joined by key (NaN for
        people without those draws: ``frame.complete_rows`` counts them)."""
        missing = {column: where for column, where in plan.columns.items() if column not in frame.columns}
        if not missing:
            return frame
        by_pair = {}
        for column, (feature, item, source) in missing.items():
            by_pair.setdefault((item, source), []).append((feature, column))
        added = frame
        for (item, source), wanted in by_pair.items():
            rows = self.rows(item, source)
            for feature, column in wanted:
                if feature not in rows.columns or rows[feature].isna().all():
                    defined = [c for c in rows.columns if c.startswith("llm_") and rows[c].notna().any()]
                    raise SynthsurveyError(f"{column}: item {item!r} (source {source!r}) has no feature {feature!r}; "
                                           f"its features: {preview(defined, 30)}")
            part = rows[[self.key] + list(dict.fromkeys(f for f, _ in wanted))]
            part = pd.DataFrame({self.key: part[self.key].to_numpy(),
                                 **{column: part[feature].to_numpy() for feature, column in wanted}})
            added = added.merge(part, on=self.key, how="left", validate="many_to_one")
        return added

    def uncovered(self, item, plan, pilot_ids):
        """Exclusion rows (dicts: reason, n_rows, n_pilot) for people with draws for ``item`` from a
        source the fit reads but none from the primary source (they are not in the frame)."""
        if self.key != "id" or len(plan.sources_read) < 2:
            return []
        present = pd.Index(self.rows(item, plan.primary)[self.key])
        others = pd.Index([])
        for source in plan.sources_read[1:]:
            try:
                others = others.union(pd.Index(self.rows(item, source)[self.key]))
            except SynthsurveyError:
                continue
        missing = others.difference(present)
        if not len(missing):
            return []
        return [{"reason": f"draws for item {item!r} from other sources but none from {plan.primary!r} (the primary "
                           "source)", "n_rows": len(missing), "n_pilot": int(missing.isin(pilot_ids).sum())}]

    def mask_tuned(self, frame, plan):
        """(frame, notes, masked): pilot answers of ids a source the fit reads was tuned on become
        unknown; ``masked`` holds those answers (a Series by id) for the untuned companion
        (``DebiasModel.untuned_companion``)."""
        if not self.tuned_on:
            return frame, [], _NO_ANSWERS
        notes, tuned = [], set()
        for source, ids in self.tuned_on.items():
            if source is None or source in plan.sources_read:
                tuned |= ids
            else:
                notes.append(f"source {source!r} was tuned on {len(ids)} id(s) but this formula does not read it")
        hit = frame[IS_PILOT].to_numpy() & frame["id"].isin(tuned).to_numpy()
        if not hit.any() and not tuned:
            return frame, notes, _NO_ANSWERS
        masked = pd.Series(frame.loc[hit, RESPONSE].to_numpy(), index=frame.loc[hit, "id"].to_numpy())
        frame = frame.copy()
        frame.loc[hit, RESPONSE] = np.nan
        frame[IS_PILOT] = frame[IS_PILOT].to_numpy() & ~hit
        names = ", ".join(repr(s) for s in self.tuned_on if s is None or s in plan.sources_read)
        notes.append(f"{int(hit.sum())} pilot answer(s) come from people {'a source' if names == 'None' else names} "
                     f"was tuned on: they neither fit nor correct the debiaser; {int(frame[IS_PILOT].sum())} "
                     "untouched pilot answer(s) remain")
        return frame, notes, masked

    def untuned_formula(self, formula, primary):
        """``formula`` without the terms that read a source some ids were tuned on (plain feature
        names read ``primary``); ``item ~ 1`` when no term is left."""
        lhs = formulas.item_lhs(formulas.parse(formula).item)
        kept = []
        for term in refs.split_terms(formula.split("~", 1)[1]):
            spec = formulas.parse(f"{lhs} ~ {term}")
            read = {self.locate(r.labels, spec.item, r.column)[1] for r in spec.references}
            if any("[" not in name for name in (*spec.llm_features, *spec.auto)):
                read.add(primary)
            if not read & set(self.tuned_on):
                kept.append(term)
        return f"{lhs} ~ {' + '.join(kept) if kept else '1'}"
