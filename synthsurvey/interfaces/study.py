"""Study files: a whole run described in TOML (read with Python's ``tomllib``).

```toml
[data]
samples = "draws/"            # a file, or a folder or glob of CSV or parquet files
humans = "pilot.csv"          # long (id, item, response), or one column per item with wide = true
covariates = "people.csv"     # optional, one row per person
wide = false
id_column = "ResponseId"      # the humans' and covariates' id column (default "id")
key = "id"                    # the samples' column linking draws to people or personas

[options]
out = "results"               # output folder
alpha = 0.05
folds = 5
seed = 0
items = ["q1", "q2"]          # default: every item of the samples ([items.*] tables configure, not select)
covariate_terms = ["age", "C(educ)"]   # of the default formulas
missing = [99]                # missing-value codes of every item (don't know / refused)
weights = "weight"            # a covariates column
by = ["educ"]                 # subgroups in the report
coherence = ["belief", "action"]
errors = "fallback"           # or "raise"
unseen_levels = "error"       # or "exclude"

[items.q1]
formula = "q1 ~ llm_mean + llm_sd + age"   # or "~ llm_mean + age"
family = "ordinal"
scale = [1, 2, 3, 4, 5]       # or "binary", "continuous", or {kind = ..., levels = [...]}
missing = [8, 9]
analyst = "q1 ~ age + C(educ)" # the structural axis of the report
```

Paths are relative to the study file. Unknown keys are errors naming them (a typo never passes
silently).
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..common.errors import SynthsurveyError, preview

DATA_KEYS = {"samples", "humans", "covariates", "wide", "id_column", "key"}
OPTION_KEYS = {"out", "alpha", "folds", "seed", "items", "covariate_terms", "missing", "weights", "by",
               "coherence", "errors", "unseen_levels"}
ITEM_KEYS = {"formula", "family", "scale", "missing", "analyst"}


@dataclass
class Study:
    """A run: where the data are and how to read them, per-item settings and options."""

    samples: str
    humans: str
    covariates: str = None
    wide: bool = False
    id_column: str = "id"
    key: str = "id"
    items: list = None
    formulas: dict = field(default_factory=dict)
    families: dict = field(default_factory=dict)
    scales: dict = field(default_factory=dict)
    analyst: dict = field(default_factory=dict)
    missing: tuple = ()
    covariate_terms: tuple = ()
    by: tuple = ()
    coherence: tuple = None
    weights: str = None
    alpha: float = 0.05
    folds: int = 5
    seed: int = 0
    errors: str = "fallback"
    unseen_levels: str = "error"
    out: str = "synthsurvey-output"
    holdout: object = None  # human answers outside the pilot (the bundled study), for holdout accuracy


def _check_keys(table, allowed, where):
    if not isinstance(table, dict):
        raise SynthsurveyError(f"study file: {where} must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SynthsurveyError(f"study file: unknown key(s) {preview(unknown)} in {where}; allowed: "
                               f"{', '.join(sorted(allowed))}")


def read_study(path):
    """A Study from a TOML file (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise SynthsurveyError(f"study file {str(path)!r} does not exist")
    try:
        spec = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise SynthsurveyError(f"study file {str(path)!r} is not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise SynthsurveyError(f"study file {str(path)!r} is not UTF-8 text") from None
    _check_keys(spec, {"data", "options", "items"}, "the file (sections)")
    data, options, items = spec.get("data", {}), spec.get("options", {}), spec.get("items", {})
    _check_keys(data, DATA_KEYS, "[data]")
    _check_keys(options, OPTION_KEYS, "[options]")
    _check_keys(items, set(items), "[items]")
    for name in ("samples", "humans"):
        if name not in data:
            raise SynthsurveyError(f"study file: [data] needs {name} = \"<file or folder>\"")
    base = path.parent

    def located(value):
        return None if value is None else str(base / value)

    study = Study(samples=located(data["samples"]), humans=located(data["humans"]),
                  covariates=located(data.get("covariates")), wide=bool(data.get("wide", False)),
                  id_column=str(data.get("id_column", "id")), key=str(data.get("key", "id")))
    for name, settings in items.items():
        _check_keys(settings, ITEM_KEYS, f"[items.{name}]")
        for source, target in (("formula", study.formulas), ("family", study.families), ("analyst", study.analyst)):
            if source in settings:
                target[name] = settings[source]
        if "scale" in settings or "missing" in settings:
            scale = settings.get("scale")
            declaration = {} if scale is None else (scale if isinstance(scale, dict) else
                                                    {"kind": scale} if isinstance(scale, str) else {"levels": scale})
            if isinstance(scale, str) and scale == "binary":
                declaration = {"kind": "binary", "levels": [0, 1]}
            if "missing" in settings:
                declaration = {**declaration, "missing": list(settings["missing"])}
            study.scales[name] = declaration
    study.items = list(options["items"]) if "items" in options else None
    for name in ("alpha", "folds", "seed", "weights", "errors", "unseen_levels"):
        if name in options:
            setattr(study, name, options[name])
    study.missing = tuple(options.get("missing", ()))
    study.covariate_terms = tuple(options.get("covariate_terms", ()))
    study.by = tuple([options["by"]] if isinstance(options.get("by"), str) else options.get("by", ()))
    study.coherence = tuple(options["coherence"]) if "coherence" in options else None
    study.out = located(options["out"]) if "out" in options else str(base / "synthsurvey-output")
    return study


def scales_argument(study, items):
    """The ``scales=`` of ``debias_items`` for ``items``: each declared item's declaration with the
    study's missing codes added, and the codes alone for every other item."""
    declarations = {}
    for item in items:
        spec = dict(study.scales.get(item, {}))
        if study.missing:
            spec["missing"] = sorted(set(spec.get("missing", ())) | set(study.missing))
        if spec:
            declarations[item] = spec
    return declarations or None
