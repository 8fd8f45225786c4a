"""The HTML report: what it shows, computed (:mod:`.build`), how it is rendered (:mod:`.html`), its
figures (:mod:`.plots`) and the populations and suggest pages (:mod:`.populations`,
:mod:`.suggest`).
"""
