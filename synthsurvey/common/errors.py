"""The one exception type synthsurvey raises for bad input, and its warning.

Every message names the column, id, item or value at fault, so the R package
can surface it verbatim as a condition of class ``synthsurvey_error``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ScaleSuggestion:
    """A scale declaration an error suggests, for each interface to spell in its own syntax:
    ``item``, ``kind`` ("ordinal" or "binary"), ``levels`` and ``missing`` codes (tuples of
    numbers), and whether the codes may also be declared for every item at once (``every_item``)."""

    item: str
    kind: str
    levels: tuple
    missing: tuple
    every_item: bool = False


class SynthsurveyError(ValueError):
    """Bad input to synthsurvey: the message says which column, id or value and why.

    ``suggestion`` (a ScaleSuggestion, or None) is a declaration the message proposes; ``spelled``
    is how the message spells it (Python's syntax), so that the R package and the command line can
    put their own spelling in its place (``respelled``)."""

    def __init__(self, message, suggestion=None, spelled=None):
        super().__init__(message)
        self.suggestion, self.spelled = suggestion, spelled

    def respelled(self, spell):
        """The message with the suggestion spelled by ``spell(suggestion)`` instead (unchanged
        without one)."""
        message = str(self)
        if self.suggestion is None or not self.spelled or self.spelled not in message:
            return message
        return message.replace(self.spelled, spell(self.suggestion))

    def prefixed(self, prefix):
        """The same error with ``prefix`` before its message, keeping its suggestion."""
        return SynthsurveyError(f"{prefix}{self}", self.suggestion, self.spelled)


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
