"""benchalign: align static LLM benchmarks with pairwise preferences.

Learn a non-negative weight per question so that the reweighted benchmark ranks unseen models the
way preferences (Arena votes, ratings, A/B tests) would.

>>> from benchalign import BenchmarkAligner, load_results, load_preferences
>>> # aligner = BenchmarkAligner().fit(load_results("results.csv"), load_preferences("prefs.csv"))
"""

from .interrupt import guard_startup

guard_startup()  # before the heavy imports below: Ctrl-C while the command loads exits cleanly

from ._version import __version__  # noqa: E402
from .artifact import AlignedBenchmark, load_benchmark, score  # noqa: E402
from .data import (  # noqa: E402
    PairSet,
    Preferences,
    Results,
    link,
    preferences_from_frame,
    results_from_frame,
)
from .errors import BenchAlignError, ConvergenceWarning, DataWarning  # noqa: E402
from .evaluation.heldout import evaluate  # noqa: E402
from .evaluation.splits import parse_split  # noqa: E402
from .fit import BenchmarkAligner  # noqa: E402
from .io.load import load_models, load_preferences, load_results  # noqa: E402
from .populations.compare import compare_populations  # noqa: E402
from .populations.evaluate import evaluate_populations  # noqa: E402
from .populations.aligner import PopulationAligner, split_populations  # noqa: E402

__all__ = [
    "AlignedBenchmark",
    "BenchAlignError",
    "BenchmarkAligner",
    "ConvergenceWarning",
    "DataWarning",
    "PairSet",
    "PopulationAligner",
    "Preferences",
    "Results",
    "__version__",
    "compare_populations",
    "evaluate",
    "evaluate_populations",
    "link",
    "load_benchmark",
    "load_models",
    "load_preferences",
    "load_results",
    "parse_split",
    "preferences_from_frame",
    "results_from_frame",
    "score",
    "split_populations",
]
