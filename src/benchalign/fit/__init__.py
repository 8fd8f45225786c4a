"""Fitting the aligned benchmark: candidates, cross-validation and the estimator.

Layout: :mod:`.candidates` (the weightings), :mod:`.folds` (folds, the usable-split check and the
cross-validation of weightings over folds), :mod:`.selection` (the ordered candidate list and the
choice among them),
:mod:`.aligner` (:class:`BenchmarkAligner`); :mod:`.objective` (the pairwise loss) and
:mod:`.ranknet` (the published method, free weights by L-BFGS: ``method="ranknet"`` and the
evaluation's ``ranknet`` baseline).
"""

from .aligner import BenchmarkAligner

__all__ = ["BenchmarkAligner"]
