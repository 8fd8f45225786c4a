"""Click options for reading tool outputs, and the loaders the CLI calls with them.

Usage in a command (decorators below ``@click.command``)::

    @click.command()
    @click.option("--results", required=True)      # a str: files, directories and globs
    @click.option("--preferences", required=True)
    @results_format_options
    @preference_format_options
    def fit(results, preferences, **opts):
        res = load_results_from_options(results, **opts)
        prefs = load_preferences_from_options(preferences, **opts)

Both loaders take the whole keyword dict of the command and use only their own keys.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..data import (
    ELO_SCALE,
    Preferences,
    Results,
    detect_preference_kind,
    preferences_from_frame,
    results_from_frame,
)
from ..io.formats import PREFERENCE_FORMATS, RESULTS_FORMATS, read_preferences_any, read_results_any
from ..io.formats.names import NAME_COLUMNS, apply_name_map, read_name_map

F = TypeVar("F", bound=Callable[..., Any])

KINDS = ("pairs", "ratings", "battles", "rankings", "choices")
PREFERENCE_CHOICES = ("auto",) + KINDS + PREFERENCE_FORMATS
"""Values of --preference-format: a table of one kind, or a format (table, arena, leaderboard)."""

RANK_SCALE = 1.0
"""Default rating scale for ``--lower-is-better`` columns: one rank step is e:1 odds."""

_NAME_MAP = click.option(
    "--name-map", type=click.Path(exists=True, dir_okay=False), default=None,
    help="CSV with columns from,to: model names to rename in results and preferences before "
         "linking them. Applied exactly as given; review a proposal (match-names) first. "
         "Default: no renaming.",
)

_RESULTS = [
    click.option(
        "--results-format", type=click.Choice(("auto",) + RESULTS_FORMATS), default="auto",
        show_default=True,
        help="Format of --results. auto detects it: a CSV/TSV/Parquet table (long or wide); an "
             "lm-evaluation-harness output dir (lm_eval); HELM run dirs (helm); AlpacaEval "
             "results/<model>/<annotator>/annotations.json (alpaca_eval); Every Eval Ever "
             "per-instance JSONL (eee) or aggregate JSON (eee_aggregate). Directories and globs "
             "load several models at once.",
    ),
    click.option(
        "--results-metric", default=None,
        help="Per-question metric to read (lm_eval, helm, eee). A comma list picks, per task, the "
             "first metric the task has. Default: lm_eval the first metric of the task's "
             "metric_list (acc for arc/hellaswag, exact_match for gsm8k); helm the run group's "
             "main metric (exact_match for mmlu, f1_score for narrative_qa); eee all records "
             "(set it to an evaluation_result_id when a file holds several metrics).",
    ),
    click.option(
        "--lm-eval-filter", default=None,
        help="lm-eval filter of generative tasks (e.g. strict-match, flexible-extract). Default: "
             "the task's first filter_list entry (strict-match for gsm8k), 'none' otherwise.",
    ),
    click.option(
        "--annotator", default=None,
        help="AlpacaEval annotator folder, e.g. weighted_alpaca_eval_gpt4_turbo (AlpacaEval 2) "
             "or alpaca_eval_gpt4 (AlpacaEval 1). Default: the only one present.",
    ),
]

_PREFERENCES = [
    click.option(
        "--preference-format", type=click.Choice(PREFERENCE_CHOICES), default="auto",
        show_default=True,
        help="Format of --preferences. auto detects it: a table of pairs (winner,loser[,weight]), "
             "ratings (model,rating), battles (model_a,model_b,winner), rankings "
             "(list_id,model,rank; rank 1 best) or best-of-k choices (list_id,model,chosen) "
             "(pairs / ratings / battles / rankings / choices force one of them; a list of k models "
             "counts as k-1 comparisons); an Arena battle log in JSON/JSONL or the one-hot CSV "
             "winner_model_a,winner_model_b,winner_tie (arena); a leaderboard with other column "
             "names (leaderboard).",
    ),
    click.option("--model-column", default=None,
                 help="Leaderboard column with model names. Default: model, model_name, name, "
                      "arena_model or key (first present, any case)."),
    click.option("--rating-column", default=None,
                 help="Leaderboard column with the rating or score. Default: rating, elo, "
                      "arena_elo, arena score or score (first present, any case). Ranks are "
                      "never guessed: name the column and pass --lower-is-better."),
    click.option("--lower-is-better", is_flag=True, default=False,
                 help="The rating column is a rank or a loss (smaller is better). Default: higher "
                      "is better."),
    click.option("--rating-scale", type=float, default=None,
                 help="Rating units per logit when ratings become pair probabilities. Default: "
                      "400/ln(10) ≈ 173.7 (Elo), or 1 with --lower-is-better (one rank step = "
                      "e:1 odds)."),
    click.option("--rating-interval-columns", default=None, metavar="LOW,HIGH",
                 help="Ratings: the two columns of each rating's 95% interval, read as a standard "
                      "error s = half-width / 1.96 (noise ceiling, check). Default: "
                      "rating_q025,rating_q975 when both are present."),
    click.option("--ignore-uncertainty", is_flag=True, default=False,
                 help="Ratings: do not read the interval columns at all."),
    click.option("--allow-rank-ties", is_flag=True, default=False,
                 help="Rankings: two models of one list may share a rank (a tie, half a win each "
                      "way). Default: a repeated rank within a list is an error."),
    click.option("--pair-counts", is_flag=True, default=False,
                 help="Pairs: each row (and each unit of its weight) is one sampled comparison, "
                      "as in an A/B test log, so a pair's total weight is its number of "
                      "comparisons (noise ceiling, cycle check). Default: each pair is a stated "
                      "preference, taken as certain. Battles, rankings and choices always count "
                      "comparisons."),
    click.option("--language", multiple=True,
                 help="Arena battles: keep only these languages (repeat or comma-separate; "
                      "case-insensitive, e.g. English). Default: all."),
    click.option("--category", multiple=True,
                 help="Arena battles: keep battles in any of these categories: a 'category' "
                      "field, a true is_<category> flag (e.g. code) or a true flag in "
                      "category_tag (e.g. math). Default: all."),
    click.option("--since", default=None,
                 help="Arena battles: keep battles on or after this UTC date/time (YYYY-MM-DD). "
                      "Default: no limit."),
    click.option("--until", default=None,
                 help="Arena battles: keep battles up to this UTC date (inclusive) or time. "
                      "Default: no limit."),
]


def _existing_names(f: Any) -> set[str]:
    params = getattr(f, "__click_params__", None) or getattr(f, "params", None) or []
    return {p.name for p in params}


def _apply(f: F, options: list[Callable[[F], F]], names: list[str]) -> F:
    present = _existing_names(f)
    for option, name in reversed(list(zip(options, names))):
        if name not in present:
            f = option(f)
    return f


def results_format_options(f: F) -> F:
    """Add --results-format, --results-metric, --lm-eval-filter, --annotator and --name-map.

    An option already on the command (e.g. --name-map from :func:`preference_format_options`)
    is not added twice.
    """
    return _apply(f, _RESULTS + [_NAME_MAP],
                  ["results_format", "results_metric", "lm_eval_filter", "annotator", "name_map"])


def preference_format_options(f: F) -> F:
    """Add --preference-format, --model-column, --rating-column, --lower-is-better,
    --rating-scale, --rating-interval-columns, --ignore-uncertainty, --allow-rank-ties,
    --pair-counts,
    --language, --category,
    --since, --until and --name-map."""
    return _apply(f, _PREFERENCES + [_NAME_MAP],
                  ["preference_format", "model_column", "rating_column", "lower_is_better",
                   "rating_scale", "rating_interval_columns", "ignore_uncertainty",
                   "allow_rank_ties", "pair_counts", "language",
                   "category", "since", "until", "name_map"])


def load_results_from_options(
    path: str | Path,
    *,
    results_format: str | None = "auto",
    results_metric: str | None = None,
    lm_eval_filter: str | None = None,
    annotator: str | None = None,
    name_map: str | Path | dict[str, str] | None = None,
    **_other: Any,
) -> Results:
    """Read, rename (``name_map``) and validate results given the CLI options.

    Other keyword arguments (the command's remaining options) are ignored. Returns
    :class:`benchalign.data.Results`.
    """
    frame = read_results_any(path, results_format, metric=results_metric,
                             filter_name=lm_eval_filter, annotator=annotator)
    if name_map is not None:
        frame = apply_name_map(frame, _name_map(name_map), NAME_COLUMNS["results"])
    return results_from_frame(frame)


def load_preferences_from_options(path: str | Path, **options: Any) -> Preferences:
    """Read, rename (``name_map``) and validate preferences given the CLI options.

    ``preference_format`` is one of :data:`PREFERENCE_CHOICES`; pairs / ratings / battles read a
    table of that kind. Other keyword arguments are ignored. Returns
    :class:`benchalign.data.Preferences`.
    """
    frame, kind, scale = preference_frame(path, **options)
    return preferences_from_frame(frame, kind=kind, rating_scale=scale,  # type: ignore[arg-type]
                                  **uncertainty_options(**options))


def uncertainty_options(*, rating_interval_columns: str | None = None,
                        ignore_uncertainty: bool = False, allow_rank_ties: bool = False,
                        pair_counts: bool = False, **_other: Any) -> dict[str, Any]:
    """The keyword arguments of :func:`benchalign.data.preferences_from_frame` that the rating
    interval, rank-tie and pair-count options ask for."""
    return {"interval_columns": _interval_option(rating_interval_columns),
            "use_uncertainty": not ignore_uncertainty, "allow_rank_ties": allow_rank_ties,
            "pair_counts": pair_counts}


def preference_frame(
    path: str | Path,
    *,
    preference_format: str | None = "auto",
    model_column: str | None = None,
    rating_column: str | None = None,
    lower_is_better: bool = False,
    rating_scale: float | None = None,
    language: tuple[str, ...] | list[str] | str | None = None,
    category: tuple[str, ...] | list[str] | str | None = None,
    since: str | None = None,
    until: str | None = None,
    name_map: str | Path | dict[str, str] | None = None,
    text_columns: tuple[str, ...] = (),
    **_other: Any,
) -> tuple[Any, str, float]:
    """(frame, kind, rating scale) of a preference file read and renamed (``name_map``) with the
    CLI options, before validation (see :func:`load_preferences_from_options`); ``text_columns``
    (a population column) are kept and read as text."""
    forced = preference_format if preference_format in KINDS else None
    frame = read_preferences_any(
        path, "table" if forced else preference_format, model_column=model_column, rating_column=rating_column,
        lower_is_better=lower_is_better, language=language, category=category, since=since,
        until=until, text_columns=text_columns,
    )
    kind = forced or detect_preference_kind(frame.columns, str(path))
    if name_map is not None:
        frame = apply_name_map(frame, _name_map(name_map), NAME_COLUMNS[kind])
    return frame, kind, rating_scale_of(rating_scale=rating_scale, lower_is_better=lower_is_better)


def rating_scale_of(*, rating_scale: float | None = None, lower_is_better: bool = False,
                    **_other: Any) -> float:
    """The rating scale the options ask for: --rating-scale, else 1 for ranks, else Elo's."""
    if rating_scale is not None:
        return rating_scale
    return RANK_SCALE if lower_is_better else ELO_SCALE


def _name_map(name_map: str | Path | dict[str, str]) -> dict[str, str]:
    """A map already read (by the caller, once for both files), or the path of one."""
    return name_map if isinstance(name_map, dict) else read_name_map(name_map)


def _interval_option(text: str | None) -> tuple[str, str] | None:
    """``LOW,HIGH`` of --rating-interval-columns as two column names."""
    if text is None:
        return None
    parts = tuple(p.strip() for p in text.split(","))
    if len(parts) != 2 or not all(parts):
        raise click.BadParameter(f"expected two column names LOW,HIGH, got {text!r}",
                                 param_hint="--rating-interval-columns")
    return parts  # type: ignore[return-value]
