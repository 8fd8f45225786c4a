"""One benchmark per population of raters: the aligner that pulls small populations toward the
pooled benchmark (:mod:`.aligner`), where two populations' benchmarks differ (:mod:`.compare`) and
the cross-population evaluation matrix (:mod:`.evaluate`).
"""
