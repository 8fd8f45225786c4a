"""Fitting the aligned benchmark: candidates, cross-validation and the estimator.

Layout: :mod:`.candidates` (the weightings), :mod:`.folds` (folds and the usable-split check),
:mod:`.selection` (the ordered candidate list and the cross-validation that picks),
:mod:`.aligner` (:class:`BenchmarkAligner`); :mod:`.objective` (the pairwise loss) and
:mod:`.ranknet` (the published method, free weights by L-BFGS: a baseline of the evaluation).
"""

from .aligner import BenchmarkAligner

__all__ = ["BenchmarkAligner"]
