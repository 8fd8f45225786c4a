"""Which preferences to collect next: the ranked suggestions (:mod:`.rank`) and what choosing that
way was worth on the user's data, the active curve (:mod:`.curve`).
"""
