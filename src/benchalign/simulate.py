"""Realistic synthetic question-level results and preferences, at any size, from a seed.

The generative story (item-response theory with several latent abilities):

* model m has abilities θ_m [n_dims] ~ N(0, I); dimension 0 is a general factor that every benchmark
  loads on, the others are skills that benchmarks load on to different degrees;
* item i of benchmark b has a direction u_i (the benchmark's loading plus item noise, unit norm), a
  slope a_i (log-normal, a few negative: mislabeled items), an intercept d_i and the benchmark's
  guessing floor g_b; P(correct) = g_b + (1 - g_b) σ(a_i θ_m·u_i + d_i);
* scores are 0/1 draws (or, with ``graded``, the mean of 4 draws: partial credit), and a chosen share
  of cells is missing at random;
* a planted true weighting w* gives each model a true score (the w*-weighted mean of its observed results); preferences follow
  the standardized true score plus model-level noise, as ratings (Elo scale), sampled pairs or
  battles with ties. The weighting is benchmark shares (Dirichlet) × item multipliers, planted one
  of two ways: ``planted="items"`` draws the multipliers independently (log-normal, a share of
  items irrelevant), so nothing in the results reveals them; ``planted="skills"`` ties them to what
  the item measures, exp(SKILL_TILT · z_i) with z_i the item's standardized loading (slope ×
  direction) on skill dimension 1, the items that load least on it irrelevant: preferences that
  favour one skill, which the unrated models' results can reveal.

Item parameters take their spread from the IRT fits of metabench (Open LLM Leaderboard v1): slopes
log-normal with median about 2.9 and log-sd 0.6, about 3 % negative; intercepts spread over several
logits. The constants below are those summary numbers; no data file is read at run time.

Everything is generated in row blocks straight into the float32 matrix of :class:`Results` (no
float64 copy of the full matrix), so the Open LLM Leaderboard v2 size (4,576 × 21,606) takes a
few seconds and about 0.5 GB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .data import ELO_SCALE, Preferences, Results, preferences_from_frame
from .errors import OutputExistsError, check_param
from .outputs import Outputs, check_writable
from .scores import model_scores

OPEN_LLM_LEADERBOARD_V2 = {
    "bbh": 5761, "gpqa": 1192, "ifeval": 541, "math_lvl5": 1324, "mmlu_pro": 12032, "musr": 756,
}
"""Questions per benchmark of the Open LLM Leaderboard v2 (21,606 in all)."""

SLOPE_LOG_MEAN, SLOPE_LOG_SD, SLOPE_NEGATIVE = 1.07, 0.61, 0.027
"""Item slopes: log-normal (metabench median 2.9), with this share of negative slopes."""

INTERCEPT_SD = 2.5
"""Spread of item intercepts around the benchmark mean (metabench interquartile range about -2.5
to 2.3 logits)."""

BENCHMARK_PROFILE = {
    # name: (guessing floor, mean intercept): multiple-choice floors from the number of options
    "bbh": (0.15, 0.0), "gpqa": (0.25, -4.0), "ifeval": (0.0, 1.0),
    "math_lvl5": (0.0, -4.0), "mmlu_pro": (0.10, -0.5), "musr": (0.30, -0.5),
}
DEFAULT_PROFILE = (0.0, 0.0)

GENERAL_LOADING = 0.8
"""Weight of the general factor in each benchmark's ability direction (the rest is skills)."""
ITEM_DIRECTION_NOISE = 0.3
RATING_CENTER, RATING_SD = 1000.0, 100.0
GRADED_DRAWS = 4
ROW_BLOCK = 1 << 20
"""Cells generated per block."""

PreferenceForm = Literal["ratings", "pairs", "battles"]
Planting = Literal["items", "skills"]
SKILL_TILT = 1.0
"""planted="skills": log item multiplier per standard deviation of the item's skill loading."""


@dataclass(frozen=True, eq=False)
class SimulatedData:
    """One simulated case.

    results : :class:`Results` (float32 0/1 or graded scores; ``observed`` when cells are missing).
    preference_frame : the preferences as a table, in the columns of the chosen form
        (``model, rating`` / ``winner, loser`` / ``model_a, model_b, winner``).
    models : frame ``model, params_b, family`` (size grows with general ability), for size splits.
    items : frame ``item, benchmark, slope, intercept, guess, true_weight``.
    true_weights : [n_items] the planted weighting (non-negative, sums to 1).
    true_scores : [n_models] w*-weighted mean of each model's observed results.
    utility : [n_models] standardized true score plus noise; what the preferences follow.
    abilities : [n_models, n_dims] latent abilities.
    loadings : [n_dims, n_items] slope × ability direction of each item (for :func:`more_models`).
    params : every setting, seed included (JSON-able).
    """

    results: Results
    preference_frame: pd.DataFrame
    models: pd.DataFrame
    items: pd.DataFrame
    true_weights: np.ndarray
    true_scores: np.ndarray
    utility: np.ndarray
    abilities: np.ndarray
    loadings: np.ndarray
    params: dict = field(default_factory=dict)

    @cached_property
    def preferences(self) -> Preferences:
        """The preference table validated into :class:`Preferences` (built on first use); sampled
        pairs are read as comparison counts (``pair_counts``), as they are drawn one at a time."""
        return preferences_from_frame(self.preference_frame, kind=self.params["preference"],
                                      pair_counts=True)


def simulate(
    n_models: int = 200, n_items_per_benchmark: dict[str, int] | None = None, *,
    n_rated: int | None = None, missing: float = 0.0, graded: bool = False,
    preference: PreferenceForm = "ratings", n_comparisons: int | None = None,
    tie_rate: float = 0.1, n_dims: int = 4, noise: float = 0.3, irrelevant: float = 0.3,
    planted: Planting = "items", seed: int = 0,
) -> SimulatedData:
    """Generate results and preferences (see the module docstring for the model).

    n_models : models (rows). n_items_per_benchmark : questions per benchmark (default: the Open
        LLM Leaderboard v2 sizes, :data:`OPEN_LLM_LEADERBOARD_V2`).
    n_rated : models with preferences (default all), chosen at random.
    missing : share of cells in [0, 1) missing at random (every model keeps at least one item).
    graded : partial-credit scores in {0, 1/4, ..., 1} instead of 0/1.
    preference : "ratings" (one Elo-scale rating per rated model), "pairs" (``n_comparisons``
        sampled pairs, winner drawn from the ratings) or "battles" (the same with ties at
        ``tie_rate``). n_comparisons defaults to 20 per rated model.
    n_dims : latent ability dimensions (>= 1). noise : sd of the model-level preference noise, in
        units of the true score's sd (0 = preferences follow the planted weighting exactly).
    irrelevant : share of items with true weight 0 (planted="items": at random; "skills": those
        with the lowest loading on the preferred skill).
    planted : "items" (item multipliers independent of everything in the results) or "skills"
        (multipliers grow with the item's loading on one skill; see the module docstring).
    seed : the same seed and arguments give identical data.
    """
    sizes = dict(OPEN_LLM_LEADERBOARD_V2 if n_items_per_benchmark is None else n_items_per_benchmark)
    _check_args(n_models, sizes, n_rated, missing, preference, n_comparisons, tie_rate, n_dims,
                noise, irrelevant, planted)
    n_rated = n_models if n_rated is None else n_rated
    rng = np.random.default_rng(seed)
    items = _item_table(sizes, n_dims, rng)
    abilities = rng.standard_normal((n_models, n_dims))
    true_weights = _true_weights(items, irrelevant, planted, rng)
    items["true_weight"] = true_weights
    results = _results(abilities, items, missing, graded, rng)
    true_scores = _weighted_mean(results, true_weights)
    utility = (true_scores - true_scores.mean()) / max(true_scores.std(), 1e-12)
    utility = utility + noise * rng.standard_normal(n_models)
    rated = np.sort(rng.choice(n_models, size=n_rated, replace=False))
    frame = _preference_frame(results.models, utility, rated, preference,
                              20 * n_rated if n_comparisons is None else n_comparisons, tie_rate, rng)
    params = dict(n_models=n_models, n_items_per_benchmark=sizes, n_rated=n_rated, missing=missing,
                  graded=graded, preference=preference, n_comparisons=n_comparisons,
                  tie_rate=tie_rate, n_dims=n_dims, noise=noise, irrelevant=irrelevant,
                  planted=planted, seed=seed)
    models = _model_table(results.models, abilities[:, 0], rng)
    return SimulatedData(results, frame, models, items.drop(columns="direction"), true_weights,
                         true_scores, utility, abilities, _loadings(items), params)


def _check_args(n_models, sizes, n_rated, missing, preference, n_comparisons, tie_rate, n_dims,
                noise, irrelevant, planted) -> None:
    def check(name, value, ok, allowed):
        check_param("simulate", name, value, ok, allowed)

    check("n_models", n_models, isinstance(n_models, int) and n_models >= 2, "an int in the range [2, inf)")
    check("n_items_per_benchmark", sizes,
          len(sizes) > 0 and all(isinstance(v, int) and v >= 1 for v in sizes.values()),
          "a non-empty dict of benchmark name -> int >= 1")
    check("n_rated", n_rated, n_rated is None or (isinstance(n_rated, int) and 2 <= n_rated <= n_models),
          f"None or an int in the range [2, {n_models}]")
    check("missing", missing, 0.0 <= missing < 1.0, "a float in the range [0, 1)")
    check("preference", preference, preference in ("ratings", "pairs", "battles"),
          'one of "ratings", "pairs", "battles"')
    check("n_comparisons", n_comparisons,
          n_comparisons is None or (isinstance(n_comparisons, int) and n_comparisons >= 1),
          "None or an int in the range [1, inf)")
    check("tie_rate", tie_rate, 0.0 <= tie_rate < 1.0, "a float in the range [0, 1)")
    check("n_dims", n_dims, isinstance(n_dims, int) and n_dims >= 1, "an int in the range [1, inf)")
    check("noise", noise, noise >= 0, "a float in the range [0, inf)")
    check("irrelevant", irrelevant, 0.0 <= irrelevant < 1.0, "a float in the range [0, 1)")
    check("planted", planted, planted in ("items", "skills"), 'one of "items", "skills"')


def _item_table(sizes: dict[str, int], n_dims: int, rng: np.random.Generator) -> pd.DataFrame:
    """Item parameters, benchmarks in sorted order so item ids come out sorted."""
    frames = []
    for bench in sorted(sizes):
        n = sizes[bench]
        width = max(5, len(str(n - 1)))
        guess, mean_intercept = BENCHMARK_PROFILE.get(bench, DEFAULT_PROFILE)
        loading = np.zeros(n_dims)
        loading[0] = GENERAL_LOADING
        if n_dims > 1:
            loading[1:] = (1 - GENERAL_LOADING) * np.abs(rng.standard_normal(n_dims - 1))
        direction = loading + ITEM_DIRECTION_NOISE * rng.standard_normal((n, n_dims)) / np.sqrt(n_dims)
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        slope = np.exp(SLOPE_LOG_MEAN + SLOPE_LOG_SD * rng.standard_normal(n))
        slope[rng.random(n) < SLOPE_NEGATIVE] *= -1
        frames.append(pd.DataFrame({
            "item": [f"{bench}/{i:0{width}d}" for i in range(n)],
            "benchmark": bench,
            "slope": slope,
            "intercept": mean_intercept + INTERCEPT_SD * rng.standard_normal(n),
            "guess": guess,
            "direction": list(direction),
        }))
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values("item", kind="stable", ignore_index=True)  # Results keeps items sorted


def _true_weights(items: pd.DataFrame, irrelevant: float, planted: str,
                  rng: np.random.Generator) -> np.ndarray:
    """Benchmark shares (Dirichlet) × item multipliers (see ``planted``), a share of items at 0."""
    benches, codes = np.unique(items["benchmark"].to_numpy(), return_inverse=True)
    share = rng.dirichlet(np.full(len(benches), 2.0))
    if planted == "skills":
        direction = np.stack(items["direction"].to_numpy())
        z = items["slope"].to_numpy() * direction[:, min(1, direction.shape[1] - 1)]
        z = (z - z.mean()) / max(z.std(), 1e-12)
        raw = np.exp(SKILL_TILT * z)
        raw[z < np.quantile(z, irrelevant)] = 0.0
    else:
        raw = np.exp(rng.standard_normal(len(items)))
        raw[rng.random(len(items)) < irrelevant] = 0.0
    if raw.sum() == 0:
        raw[rng.integers(len(items))] = 1.0
    per_bench = np.bincount(codes, raw, minlength=len(benches))
    w = share[codes] * np.divide(raw, per_bench[codes], out=np.zeros_like(raw),
                                 where=per_bench[codes] > 0)
    return w / w.sum()


def _loadings(items: pd.DataFrame) -> np.ndarray:
    """[n_dims, n_items] float32 slope × direction of every item."""
    return (np.stack(items["direction"].to_numpy()) * items["slope"].to_numpy()[:, None]).T.astype(np.float32)


def _results(abilities: np.ndarray, items: pd.DataFrame, missing: float, graded: bool,
             rng: np.random.Generator) -> Results:
    n_models, n_items = abilities.shape[0], len(items)
    loadings = _loadings(items)
    values = np.empty((n_models, n_items), dtype=np.float32)
    observed = np.ones((n_models, n_items), dtype=bool) if missing > 0 else None
    step = max(1, ROW_BLOCK // n_items)
    for i in range(0, n_models, step):
        j = min(i + step, n_models)
        block_observed = None if observed is None else observed[i:j]
        _draw_block(abilities[i:j], loadings, items, missing, graded, rng, values[i:j], block_observed)
    models = model_names("sim/model", 0, n_models, n_models, min_width=5)
    return Results(models, items["item"].to_numpy(dtype=object),
                   items["benchmark"].to_numpy(dtype=object), values, observed)


def model_names(prefix: str, start: int, stop: int, n_models: int, *, min_width: int) -> np.ndarray:
    """(stop - start,) names ``prefix-<number>`` of models ``start .. stop - 1`` of ``n_models``,
    zero-padded to at least ``min_width`` digits and to as many as the largest number needs, so
    the names sort in number order (what :class:`~benchalign.data.Results` readers expect)."""
    width = max(min_width, len(str(max(n_models - 1, 0))))
    return np.array([f"{prefix}-{m:0{width}d}" for m in range(start, stop)], dtype=object)


def _draw_block(abilities: np.ndarray, loadings: np.ndarray, items: pd.DataFrame, missing: float,
                graded: bool, rng: np.random.Generator, out: np.ndarray,
                observed: np.ndarray | None) -> None:
    """Draw the results of a block of models into ``out`` (and its ``observed`` mask)."""
    p = abilities.astype(np.float32) @ loadings
    p += items["intercept"].to_numpy(np.float32)
    np.negative(p, out=p)
    with np.errstate(over="ignore"):                                 # e^+large -> inf -> P = guess
        np.exp(p, out=p)
    p += 1.0
    np.reciprocal(p, out=p)                                          # σ(logit)
    guess = items["guess"].to_numpy(np.float32)
    p *= 1.0 - guess
    p += guess
    out[...] = _draw(p, graded, rng)
    if observed is not None:
        observed[...] = rng.random(p.shape, dtype=np.float32) >= missing
        _keep_one(observed, rng)
        out[~observed] = 0


def more_models(data: SimulatedData, n_models: int, *, seed: int = 1, chunk: int = 4096,
                dtype: type = np.float32, prefix: str = "sim/new"):
    """Results of ``n_models`` new models on the same items, as :class:`Results` chunks.

    New abilities are drawn from the same distribution; the items, missing share and score type
    are those of ``data``. ``dtype`` uint8 keeps 0/1 chunks compact (4x less memory than
    float32; every benchalign scorer accepts it). Yields chunks of at most ``chunk`` models named
    ``<prefix>-<index>``; the same seed gives the same chunks.
    """
    rng = np.random.default_rng(seed)
    items, loadings = data.items, data.loadings
    missing, graded = data.params["missing"], data.params["graded"]
    if graded and np.dtype(dtype) != np.float32:
        raise ValueError("graded scores need dtype float32")
    for i in range(0, n_models, chunk):
        j = min(i + chunk, n_models)
        abilities = rng.standard_normal((j - i, loadings.shape[0]))
        values = np.empty((j - i, loadings.shape[1]), dtype=dtype)
        observed = np.ones(values.shape, dtype=bool) if missing > 0 else None
        step = max(1, ROW_BLOCK // loadings.shape[1])
        for k in range(0, j - i, step):
            block_observed = None if observed is None else observed[k:k + step]
            _draw_block(abilities[k:k + step], loadings, items, missing, graded, rng,
                        values[k:k + step], block_observed)
        names = model_names(prefix, i, j, n_models, min_width=6)
        yield Results(names, data.results.items, data.results.benchmarks, values, observed)


def _draw(p: np.ndarray, graded: bool, rng: np.random.Generator) -> np.ndarray:
    if not graded:
        return rng.random(p.shape, dtype=np.float32) < p
    hits = np.zeros(p.shape, dtype=np.float32)
    for _ in range(GRADED_DRAWS):
        hits += rng.random(p.shape, dtype=np.float32) < p
    return hits / GRADED_DRAWS


def _keep_one(observed: np.ndarray, rng: np.random.Generator) -> None:
    """Give a model that lost every item one observed item back (a model has some result)."""
    empty = np.flatnonzero(~observed.any(axis=1))
    observed[empty, rng.integers(observed.shape[1], size=len(empty))] = True


def _weighted_mean(results: Results, w: np.ndarray) -> np.ndarray:
    return model_scores(w, values=results.values, observed=results.observed)[0]


def _preference_frame(names: np.ndarray, utility: np.ndarray, rated: np.ndarray,
                      form: PreferenceForm, n_comparisons: int, tie_rate: float,
                      rng: np.random.Generator) -> pd.DataFrame:
    rating = RATING_CENTER + RATING_SD * utility
    if form == "ratings":
        return pd.DataFrame({"model": names[rated], "rating": np.round(rating[rated], 3)})
    first = rng.choice(rated, size=n_comparisons)
    offset = rng.integers(1, len(rated), size=n_comparisons)       # second model differs
    second = rated[(np.searchsorted(rated, first) + offset) % len(rated)]
    p_first = 1.0 / (1.0 + np.exp(-(rating[first] - rating[second]) / ELO_SCALE))
    first_wins = rng.random(n_comparisons) < p_first
    if form == "pairs":
        winner = np.where(first_wins, first, second)
        loser = np.where(first_wins, second, first)
        return pd.DataFrame({"winner": names[winner], "loser": names[loser]})
    outcome = np.where(first_wins, "model_a", "model_b").astype(object)
    outcome[rng.random(n_comparisons) < tie_rate] = "tie"
    return pd.DataFrame({"model_a": names[first], "model_b": names[second], "winner": outcome})


def _model_table(names: np.ndarray, general: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Sizes grow with general ability (log-normal around 7B), families at random."""
    z = 0.7 * general + np.sqrt(1 - 0.49) * rng.standard_normal(len(names))
    params_b = np.round(np.exp(np.log(7.0) + 1.2 * z), 1).clip(0.1, None)
    family = np.array([f"family-{k:02d}" for k in rng.integers(40, size=len(names))], dtype=object)
    return pd.DataFrame({"model": names, "params_b": params_b, "family": family})


# --------------------------------------------------------------------------------------------------
# Writing files
# --------------------------------------------------------------------------------------------------

RESULT_FORMATS = ("csv", "csv.gz", "parquet")


def simulated_paths(out_dir: str | Path, fmt: str = "csv") -> dict[str, Path]:
    """The files :func:`write_simulated` writes into ``out_dir``, by name."""
    check_param("write_simulated", "fmt", fmt, fmt in RESULT_FORMATS, 'one of "csv", "csv.gz", "parquet"')
    names = {"results": f"results.{fmt}", "preferences": "preferences.csv", "models": "models.csv",
             "items": "items.csv", "truth": "truth.csv", "params": "params.json"}
    return {k: Path(out_dir) / v for k, v in names.items()}


def write_simulated(data: SimulatedData, out_dir: str | Path, fmt: str = "csv", *,
                    force: bool = False) -> dict[str, Path]:
    """Write a simulated case as the files benchalign reads.

    Files in ``out_dir`` (created if needed): ``results.<fmt>`` (long table ``model, benchmark,
    item, score``, observed cells only), ``preferences.csv``, ``models.csv``, ``items.csv``
    (item parameters and the planted ``true_weight``), ``truth.csv`` (``model, true_score,
    utility``) and ``params.json``. fmt : "csv", "csv.gz" or "parquet". All files are written
    together or none (:class:`benchalign.outputs.Outputs`); existing files raise
    :class:`OutputExistsError` unless ``force``. Returns the paths by name.
    """
    paths = simulated_paths(out_dir, fmt)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not force:
        raise OutputExistsError(
            f"{', '.join(existing)}: already exist; pass force=True (--force) to overwrite them."
        )
    for path in paths.values():
        check_writable(path, force)
    tables = {"preferences": data.preference_frame, "models": data.models, "items": data.items,
              "truth": pd.DataFrame({"model": data.results.models, "true_score": data.true_scores,
                                     "utility": data.utility})}
    with Outputs() as out:
        _write_long(data.results, out.temporary(paths["results"], force=force), fmt)
        for key, frame in tables.items():
            frame.to_csv(out.temporary(paths[key], force=force), index=False, float_format="%.6g")
        out.write(paths["params"], json.dumps(data.params, indent=2, sort_keys=True) + "\n",
                  force=force)
    return paths


def _long_blocks(results: Results):
    """The observed cells as long frames, a block of models at a time."""
    step = max(1, ROW_BLOCK // results.n_items)
    bench_names, bench_codes = np.unique(results.benchmarks.astype(str), return_inverse=True)
    for i in range(0, results.n_models, step):
        j = min(i + step, results.n_models)
        mask = results.mask()[i:j] if results.observed is not None else np.ones((j - i, results.n_items), bool)
        rows, cols = np.nonzero(mask)
        yield pd.DataFrame({
            "model": pd.Categorical.from_codes(rows + i, results.models.astype(str)),
            "benchmark": pd.Categorical.from_codes(bench_codes[cols], bench_names),
            "item": pd.Categorical.from_codes(cols, results.items.astype(str)),
            "score": results.values[i:j][rows, cols].astype(np.float64),
        })


def _write_long(results: Results, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        writer = None
        try:
            for block in _long_blocks(results):
                table = pa.Table.from_pandas(block, preserve_index=False)
                writer = writer or pq.ParquetWriter(path, table.schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
        return
    import gzip

    opener = gzip.open if fmt == "csv.gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as fh:
        for k, block in enumerate(_long_blocks(results)):
            block.to_csv(fh, index=False, header=k == 0, float_format="%.6g")


# --------------------------------------------------------------------------------------------------
# Small planted cases (the tests' data)
# --------------------------------------------------------------------------------------------------


@dataclass
class Planted:
    """A small generated case with a planted question weighting (what the tests fit)."""

    results: Results
    ratings: pd.DataFrame
    true_weights: np.ndarray
    true_scores: np.ndarray


def planted_case(n_models: int = 60, n_items: int = 40, seed: int = 0, missing: float = 0.0,
                 noise: float = 0.0) -> Planted:
    """0/1 results from a 2-ability IRT model; ratings follow a planted weighting of the items.

    The first quarter of the items ("pref" benchmark) measure the ability that preferences
    reward; the rest ("other") measure another ability.
    """
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=(n_models, 2))
    n_pref = n_items // 4
    loading = np.zeros((n_items, 2))
    loading[:n_pref, 0] = 1.0
    loading[n_pref:, 1] = 1.0
    difficulty = rng.normal(size=n_items)
    p = 1.0 / (1.0 + np.exp(-(ability @ loading.T * 1.5 - difficulty)))
    values = (rng.random(p.shape) < p).astype(np.float32)
    observed = None
    if missing > 0:
        observed = rng.random(values.shape) >= missing
        observed[:, 0] = True  # every model keeps at least one item
        values = np.where(observed, values, 0).astype(np.float32)
    true_w = np.zeros(n_items)
    true_w[:n_pref] = 1.0 / n_pref
    true_scores = p @ true_w
    models = np.array([f"m{i:03d}" for i in range(n_models)], dtype=object)
    items = np.array([f"{'pref' if j < n_pref else 'other'}/q{j:03d}" for j in range(n_items)], dtype=object)
    benchmarks = np.array([i.split("/")[0] for i in items], dtype=object)
    results = Results(models, items, benchmarks, values, observed)
    rating = 1000 + 400 * (true_scores + noise * rng.normal(size=n_models))
    ratings = pd.DataFrame({"model": models, "rating": rating})
    return Planted(results, ratings, true_w, true_scores)


def two_sided_case(n_models: int = 80, seed: int = 4) -> tuple[Results, pd.DataFrame]:
    """Results where half the 40 items reward an ability and half its absence (e.g. a refusal
    rate), so either direction of preference can be represented with non-negative weights; and
    ratings that follow the ability."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(size=n_models)
    p = 1 / (1 + np.exp(-(ability[:, None] - rng.normal(size=20)[None, :])))
    names = np.array([f"m{i:02d}" for i in range(n_models)], dtype=object)
    results = Results(names, np.array([f"b/q{j:02d}" for j in range(40)], dtype=object),
                      np.full(40, "b", dtype=object), np.hstack([p, 1 - p]).astype(np.float32))
    return results, pd.DataFrame({"model": names, "rating": 1000 + 100 * ability})
