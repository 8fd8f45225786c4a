"""Label-free features of the questions, computed from every model's results (no preferences);
the fit layer builds on them and they import nothing from it."""
