"""Fitting the aligned benchmark: candidates, cross-validation and the estimator.

Layout: :mod:`.objective` (the pairwise loss), :mod:`.ranknet` (free weights by L-BFGS),
:mod:`.candidates` (the weightings), :mod:`.folds` (folds and the usable-split check),
:mod:`.selection` (the ordered candidate list and the cross-validation that picks),
:mod:`.aligner` (:class:`BenchmarkAligner`).
"""

from .aligner import BenchmarkAligner

__all__ = ["BenchmarkAligner"]
