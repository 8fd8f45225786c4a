"""Held-out evaluation: how rated models are split (:mod:`.splits`), the methods compared
(:mod:`.baselines`, the aligned benchmark among them) and the comparison on the same splits with
paired bootstrap intervals (:mod:`.heldout`).
"""
