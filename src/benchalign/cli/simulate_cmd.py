"""`benchalign simulate`: write a generated case (results, preferences, planted truth) to disk."""

from __future__ import annotations

import click

from ..errors import ParameterError
from ..outputs import check_folder_writable, check_writable
from ..simulate import (OPEN_LLM_LEADERBOARD_V2, RESULT_FORMATS, simulate, simulated_paths,
                        write_simulated)
from . import cli
from .common import check_seed, force_option, stage


def parse_benchmarks(text: str) -> dict[str, int]:
    """'oll-v2' or 'name=count,name=count'."""
    if text == "oll-v2":
        return dict(OPEN_LLM_LEADERBOARD_V2)
    out = {}
    for part in text.split(","):
        name, _, count = part.partition("=")
        if not name or not count.isdigit() or int(count) < 1:
            raise ParameterError(
                f"--benchmarks must be 'oll-v2' or name=count pairs like 'mmlu=500,gsm8k=300'; "
                f"got {part!r} in {text!r}."
            )
        out[name] = int(count)
    return out


@cli.command("simulate")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--models", "n_models", type=click.IntRange(min=2), default=200, show_default=True,
              help="Number of models (rows).")
@click.option("--benchmarks", default="oll-v2", show_default=True,
              help="Questions per benchmark: 'oll-v2' (Open LLM Leaderboard v2 sizes, 21,606 "
                   "questions) or name=count pairs, e.g. 'mmlu=500,gsm8k=300'.")
@click.option("--rated", "n_rated", type=click.IntRange(min=2), default=None,
              help="Models with preferences, drawn at random. Default: all.")
@click.option("--missing", type=click.FloatRange(0, 1, max_open=True), default=0.0, show_default=True,
              help="Share of result cells missing at random.")
@click.option("--graded", is_flag=True, help="Partial-credit scores in {0, 1/4, ..., 1} instead of 0/1.")
@click.option("--preference", type=click.Choice(["ratings", "pairs", "battles"]), default="ratings",
              show_default=True, help="Form of the preferences written. Pairs are sampled one "
                                      "comparison per row: read them with --pair-counts.")
@click.option("--comparisons", "n_comparisons", type=click.IntRange(min=1), default=None,
              help="Pairs or battles to sample. Default: 20 per rated model.")
@click.option("--tie-rate", type=click.FloatRange(0, 1), default=0.1, show_default=True,
              help="Share of battles that end in a tie.")
@click.option("--dims", "n_dims", type=click.IntRange(min=1), default=4, show_default=True,
              help="Latent ability dimensions.")
@click.option("--noise", type=click.FloatRange(min=0), default=0.3, show_default=True,
              help="Preference noise, in units of the true score's sd (0 = preferences follow "
                   "the planted weighting exactly).")
@click.option("--irrelevant", type=click.FloatRange(0, 1, max_open=True), default=0.3, show_default=True,
              help="Share of questions with planted weight 0.")
@click.option("--planted", type=click.Choice(["items", "skills"]), default="items", show_default=True,
              help="How the planted question weights arise: 'items' independent draws that nothing "
                   "in the results reveals; 'skills' growing with how much a question measures one "
                   "skill (learnable from the unrated models' results).")
@click.option("--format", "fmt", type=click.Choice(RESULT_FORMATS), default="csv", show_default=True,
              help="File format of the results table.")
@click.option("--seed", type=int, default=0, show_default=True, callback=check_seed,
              help="Same seed, same files; an int >= 0.")
@force_option
def simulate_cmd(out_dir: str, n_models: int, benchmarks: str, n_rated: int | None, missing: float,
                 graded: bool, preference: str, n_comparisons: int | None, tie_rate: float,
                 n_dims: int, noise: float, irrelevant: float, planted: str, fmt: str, seed: int,
                 force: bool) -> None:
    """Generate question-level results and preferences with a planted question weighting.

    Writes results.<format>, preferences.csv, models.csv (with params_b and family for size and
    group splits), items.csv (item parameters and the planted true_weight), truth.csv and
    params.json into OUT_DIR, ready for fit / evaluate / report.
    """
    sizes = parse_benchmarks(benchmarks)
    check_folder_writable(out_dir, create=True)
    for path in simulated_paths(out_dir, fmt).values():  # existing files fail before the work
        check_writable(path, force)
    with stage(f"simulating {n_models} models x {sum(sizes.values())} questions"):
        data = simulate(n_models, sizes, n_rated=n_rated, missing=missing, graded=graded,
                        preference=preference, n_comparisons=n_comparisons, tie_rate=tie_rate,
                        n_dims=n_dims, noise=noise, irrelevant=irrelevant, planted=planted,
                        seed=seed)
    with stage(f"writing {out_dir}"):
        paths = write_simulated(data, out_dir, fmt, force=force)
    for name, path in paths.items():
        click.echo(f"wrote {path}")
