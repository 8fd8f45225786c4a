"""Typed errors and warnings of benchalign.

Every error a user can cause is a subclass of :class:`BenchAlignError`; the CLI turns them into one
clear line (exit code 2). Messages state what was found, what was expected, and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence


class BenchAlignError(Exception):
    """Base class of every error caused by the user's input or parameters."""


class InputFormatError(BenchAlignError):
    """A file cannot be read: missing, empty, wrong delimiter, wrong columns, bad encoding."""


class DataValidationError(BenchAlignError):
    """The file was read but its content is invalid (NaN, duplicates, non-numeric scores, ...)."""


class UnknownModelError(DataValidationError):
    """Preferences name models that the results do not contain."""


class InsufficientDataError(BenchAlignError):
    """Too little data to do what was asked (a single model, no pairs, all ties, ...)."""


class ParameterError(BenchAlignError, ValueError):
    """A public parameter is out of its allowed range."""


class CommandLineError(ParameterError):
    """The command line itself is wrong: an option value out of range or not among its choices,
    an unknown or missing option (what Click finds while parsing)."""


class NotFittedError(BenchAlignError, AttributeError):
    """An estimator was used before ``fit`` (an ``AttributeError`` too, as in scikit-learn, since
    the fitted attributes it needs do not exist yet)."""


class ArtifactError(BenchAlignError):
    """A saved benchmark file is invalid, tampered with, or from an unsupported schema."""


class ItemMismatchError(BenchAlignError):
    """New results and a saved benchmark do not share the expected items."""


class ExportError(BenchAlignError):
    """A benchmark cannot be exported as asked: questions without a logged document, results that
    did not come from the harness, item ids that name no harness task and document."""


class OutputError(BenchAlignError):
    """An output cannot be written: its folder is missing or not writable, or it names an input."""


class OutputExistsError(OutputError):
    """An output file exists and overwriting was not allowed."""


class ConvergenceWarning(UserWarning):
    """The optimizer stopped before meeting its convergence criterion."""


class DataWarning(UserWarning):
    """Input was accepted but something about it deserves attention (cycles, ignored models, ...)."""


def format_rows(rows: Sequence[object], limit: int = 5) -> str:
    """Render up to ``limit`` offending values for an error message, with a count of the rest."""
    shown = ", ".join(str(r) for r in list(rows)[:limit])
    extra = len(rows) - limit
    return shown + (f" (and {extra} more)" if extra > 0 else "")


def check_fitted(estimator: object, attribute: str, fit_call: str) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has the fitted ``attribute`` (e.g.
    ``weights_``); ``fit_call`` says how to fit it, e.g. ``fit(results, preferences)``."""
    if not hasattr(estimator, attribute):
        raise NotFittedError(f"this {type(estimator).__name__} is not fitted yet; call {fit_call} "
                             "first.")


def check_param(
    owner: str, name: str, value: object, ok: bool, allowed: str
) -> None:
    """Raise :class:`ParameterError` in the house template unless ``ok``.

    >>> check_param("BenchmarkAligner", "tol", -1, False, "a float in the range (0, inf)")
    Traceback (most recent call last):
    ...
    benchalign.errors.ParameterError: The 'tol' parameter of BenchmarkAligner must be a float in the range (0, inf). Got -1 instead.
    """
    if not ok:
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be {allowed}. Got {value!r} instead."
        )
