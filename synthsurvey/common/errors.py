"""The one exception type synthsurvey raises for bad input, and its warning.

Every message names the column, id, item or value at fault, so the R package
can surface it verbatim as a condition of class ``synthsurvey_error``.
"""


class SynthsurveyError(ValueError):
    """Bad input to synthsurvey: the message says which column, id or value and why."""


class SynthsurveyWarning(UserWarning):
    """A result that stands but deserves doubt (e.g. a normal approximation on few answers)."""


class ScaleWarning(SynthsurveyWarning):
    """A scale inferred from data that looks suspicious (a level only one source uses, a gap in
    the levels, a half point among whole numbers): declare the scale to silence it."""


def show(value):
    """repr of a value as a Python scalar (``1``, not ``np.int64(1)``)."""
    return repr(value.item() if hasattr(value, "item") else value)


def preview(values, limit=5):
    """Return a short, readable list of offending values: ``'a', 'b' (and 3 more)``."""
    values = list(values)
    shown = ", ".join(show(v) for v in values[:limit])
    if len(values) > limit:
        shown += f" (and {len(values) - limit} more)"
    return shown
