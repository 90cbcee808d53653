"""Bracket references to draw features of other sources and other items in a formula.

In a formula ``llm_mean`` is the draw mean of the formula's own item from the default source;
``llm_mean[gpt4o]`` the same feature from source ``gpt4o``; ``llm_mean[q2]`` the same person's
draw mean of item ``q2``; ``llm_mean[q2, gpt4o]`` both (item first, then source). Labels that are
not identifiers are quoted: ``llm_mean["gpt-4o"]``. Whether a single label names an item or a
source is settled when the model sees the data (``models.sources``).

This module only reads the text (no patsy): ``rewrite`` replaces each reference by
``Q('<column name>')``, the patsy spelling of a column with any name, where the column name is
the reference written canonically (``llm_mean[q2, "gpt-4o"]``: one space after the comma,
identifiers and whole numbers bare, other labels in double quotes). The frame then carries a
column of that name, and term names read as the user wrote them (``readable``).
"""

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass

from ..common.errors import SynthsurveyError

AUTO = "llm_auto"  # the automatically chosen draw features (see models.selection)
_QUOTED = re.compile(r"""Q\((?P<literal>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\)""")


@dataclass(frozen=True)
class Reference:
    """One bracket reference: ``column`` (its canonical name, also the frame column's),
    ``feature`` (``llm_mean``) and ``labels`` (one or two strings, as written)."""

    column: str
    feature: str
    labels: tuple


def label_text(label):
    """A label as written canonically: bare when an identifier or a whole number, else quoted."""
    label = str(label)
    return label if label.isidentifier() or label.isdigit() else json.dumps(label)


def column_name(feature, labels):
    """The canonical column name of ``feature`` with bracket ``labels`` (none: the feature itself)."""
    return feature if not labels else f"{feature}[{', '.join(label_text(label) for label in labels)}]"


def quoted(column):
    """The patsy spelling of a column name: ``Q('name')``."""
    return f"Q({column!r})"


def rewrite(text):
    """Return (``text`` with every ``llm_x[...]`` replaced by ``Q('<canonical name>')``, the
    references in order of appearance). Raises naming a malformed reference."""
    text = " ".join(str(text).splitlines())
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)]
    except (tokenize.TokenError, IndentationError, SyntaxError) as error:
        raise SynthsurveyError(f"cannot read the formula terms {text!r}: {error}") from None
    pieces, references, position, index = [], [], 0, 0
    while index < len(tokens):
        token = tokens[index]
        follows = tokens[index + 1] if index + 1 < len(tokens) else None
        if (token.type == tokenize.NAME and token.string.startswith("llm_") and follows is not None
                and follows.string == "[" and follows.start[1] == token.end[1]):
            labels, end_index = _labels(tokens, index + 2, text, token.string)
            reference = Reference(column_name(token.string, labels), token.string, labels)
            references.append(reference)
            pieces += [text[position:token.start[1]], quoted(reference.column)]
            position = tokens[end_index].end[1]
            index = end_index + 1
            continue
        index += 1
    pieces.append(text[position:])
    return "".join(pieces), tuple(references)


def _labels(tokens, index, text, feature):
    """(labels, index of the closing bracket) of a reference whose labels start at ``index``."""
    labels, expect_label = [], True
    while index < len(tokens):
        token = tokens[index]
        if expect_label and token.type in (tokenize.NAME, tokenize.NUMBER, tokenize.STRING):
            value = ast.literal_eval(token.string) if token.type == tokenize.STRING else token.string
            labels.append(str(value))
            expect_label = False
        elif not expect_label and token.string == ",":
            expect_label = True
        elif not expect_label and token.string == "]":
            if len(labels) > 2:
                break
            return tuple(labels), index
        else:
            break
        index += 1
    raise SynthsurveyError(
        f"cannot read the reference {feature}[...] in {text!r}: write {feature}[source], {feature}[item] or "
        f"{feature}[item, source], quoting labels that are not identifiers ({feature}[\"gpt-4o\"])")


def readable(name):
    """A patsy column or term name with each ``Q('llm_x[...]')`` written back as ``llm_x[...]``."""
    if "Q(" not in name:
        return name

    def back(match):
        column = ast.literal_eval(match.group("literal"))
        return column if column.startswith("llm_") and "[" in column else match.group(0)

    return _QUOTED.sub(back, name)


def split_terms(text):
    """The top-level ``+`` pieces of a right-hand side (parentheses and brackets respected)."""
    pieces, depth, current = [], 0, []
    for character in str(text):
        if character in "([":
            depth += 1
        elif character in ")]":
            depth -= 1
        if character == "+" and depth == 0:
            pieces.append("".join(current).strip())
            current = []
        else:
            current.append(character)
    pieces.append("".join(current).strip())
    return [piece for piece in pieces if piece]


_FEATURE_TOKEN = re.compile(r"\bllm_\w+(?:\[[^\]]*\])?")


def with_source(term, label, is_item):
    """``term`` with every draw feature it reads moved to source ``label``: ``llm_mean`` ->
    ``llm_mean[label]``, ``llm_mean[q2]`` -> ``llm_mean[q2, label]``. ``is_item(label)`` says whether
    a one-label reference names an item; a reference that already names a source is an error."""

    def moved(match):
        token = match.group(0)
        if "[" not in token:
            return column_name(token, (label,))
        _, references = rewrite(token)
        (reference,) = references
        if len(reference.labels) == 2 or not is_item(reference.labels[0]):
            raise SynthsurveyError(f"{token} already names a source: write the formula with plain feature names "
                                   "to apply it to each source")
        return column_name(reference.feature, (reference.labels[0], label))

    return _FEATURE_TOKEN.sub(moved, term)
