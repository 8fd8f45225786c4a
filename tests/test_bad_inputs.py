"""The bad-input suite: every way a user's file or flag can be wrong, through the real CLI.

Each case writes its inputs, runs a command, and checks that the user sees exactly one line, exit
code 2, with the file, the offending rows or values and the fix, and (with --debug) that the
library raised the expected typed error. Diagnostics (warnings) must let the command succeed.
``python scripts/bad_input_catalog.py`` prints the same cases as a table of messages.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchalign.cli import cli

RESULTS = "model,benchmark,item,score\n" + "".join(
    f"m{m},b{q % 2},b{q % 2}/q{q},{(m * 7 + q * 3) % 6 / 5}\n" for m in range(6) for q in range(8)
)
RATINGS = "model,rating\n" + "".join(f"m{m},{1000 + 37 * ((m * 5) % 6)}\n" for m in range(6))


@dataclass
class Case:
    """One bad input: files to write, the command to run, and what the user must see."""

    name: str
    files: dict[str, str | bytes]
    args: Callable[[Path], list[str]]
    error: str | None  # expected error class name; None for a diagnostic warning
    fragments: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # symlinks to make: name -> target
    make: Callable[[Path], object] | None = None  # makes what files cannot be (a pipe, a folder)


def _fit(results: str = "r.csv", prefs: str = "p.csv", *extra: str) -> Callable[[Path], list[str]]:
    return lambda d: ["fit", "--results", str(d / results), "--preferences", str(d / prefs),
                      "-o", str(d / "out.json"), *extra]


def _score(bench: str, results: str = "r.csv", *extra: str) -> Callable[[Path], list[str]]:
    return lambda d: ["score", "--benchmark", str(d / bench), "--results", str(d / results), *extra]


def _bench(edit: Callable[[dict], None] | None = None, raw: str | None = None) -> str:
    """A valid benchmark file for RESULTS' items (uniform weights), then edited."""
    from benchalign.artifact import AlignedBenchmark
    import numpy as np

    items = [f"b{q % 2}/q{q}" for q in range(8)]
    bench = AlignedBenchmark(np.array(sorted(items), dtype=object),
                             np.array([i.split("/")[0] for i in sorted(items)], dtype=object),
                             np.full(8, 1 / 8))
    doc = json.loads(bench.to_json())
    if edit:
        edit(doc)
    return raw if raw is not None else json.dumps(doc)


def _fit_to(output: str, *extra: str) -> Callable[[Path], list[str]]:
    return lambda d: ["fit", "--results", str(d / "r.csv"), "--preferences", str(d / "p.csv"),
                      "-o", str(d / output), *extra]


def _results_case(name, text, error, fragments, file="r.csv"):
    return Case(name, {file: text, "p.csv": RATINGS}, _fit(file), error, fragments)


def _prefs_case(name, text, error, fragments):
    return Case(name, {"r.csv": RESULTS, "p.csv": text}, _fit(), error, fragments)


CASES = [
    _results_case("NaN score", RESULTS + "m9,b0,b0/q0,NaN\n", "DataValidationError",
                  ["r.csv", "missing (empty or NaN) at line 50 (model 'm9', item 'b0/q0')", "never imputes"]),
    _results_case("empty score cell", RESULTS + "m9,b0,b0/q0,\n", "DataValidationError",
                  ["line 50", "give a value or delete those rows"]),
    _results_case("infinite score", RESULTS + "m9,b0,b0/q0,inf\n", "DataValidationError",
                  ["infinite at line 50", "finite value"]),
    _results_case("score that is not a number", RESULTS + "m9,b0,b0/q0,correct\n", "DataValidationError",
                  ["not numbers at line 50 ('correct')", "plain decimal numbers"]),
    _results_case("absurdly large score", RESULTS + "m9,b0,b0/q0,1e200\n", "DataValidationError",
                  ["absurdly large", "'m9'", "Check the score column"]),
    _results_case("duplicate rows with different scores", RESULTS + "m0,b0,b0/q0,1\n", "DataValidationError",
                  ["different scores: ('m0', 'b0/q0')", "line 2", "line 50", "Keep one row per model and item"]),
    _results_case("exact duplicate rows", RESULTS + "m0,b0,b0/q0,0.0\n", "DataValidationError",
                  ["more than once with the same score", "concatenated"]),
    _results_case("item under two benchmarks", RESULTS + "m9,b1,b0/q0,1\n", "DataValidationError",
                  ["'b0/q0' in ['b0', 'b1']", "unique per benchmark"]),
    _results_case("empty model name", RESULTS + ",b0,b0/q0,1\n", "DataValidationError",
                  ["'model' is empty at line 50"]),
    _results_case("semicolon delimiter", RESULTS.replace(",", ";"), "InputFormatError",
                  ["semicolons", "comma-separated"]),
    _results_case("tab delimiter in a .csv", RESULTS.replace(",", "\t"), "InputFormatError",
                  ["tabs", ".tsv suffix"]),
    _results_case("empty file", "", "InputFormatError", ["r.csv: the file is empty"]),
    _results_case("header only", "model,benchmark,item,score\n", "InputFormatError",
                  ["has a header (model, benchmark, item, score) but no data rows"]),
    _results_case("truncated gzip", gzip.compress(RESULTS.encode())[:40], "InputFormatError",
                  ["r.csv.gz", "truncated or corrupt"], file="r.csv.gz"),
    _results_case("wrong encoding", ("model,benchmark,item,score\nmodèle,b0,b0/q0,1\n").encode("latin-1"),
                  "InputFormatError", ["not valid UTF-8", "Re-save the file as UTF-8"]),
    _results_case("not a results table", "name,value\na,1\n", "InputFormatError",
                  ["not a results table", "found name, value"]),
    Case("results file missing", {"p.csv": RATINGS}, _fit("nope.csv"), "InputFormatError",
         ["nope.csv", "not found"]),
    _prefs_case("preferences name unknown models", RATINGS + "ghost,1200\n", "UnknownModelError",
                ["1 preference models are not in the results: ghost", "--ignore-unknown-models"]),
    _prefs_case("no overlap between rated models and results", "model,rating\nx,1\ny,2\n",
                "UnknownModelError", ["none of the 2 preference models appear", "name map"]),
    _prefs_case("a model preferred to itself", "winner,loser\nm0,m0\nm0,m1\n", "DataValidationError",
                ["compared with itself", "line 2", "'m0'", "Delete those rows"]),
    _prefs_case("single rated model", "model,rating\nm0,1000\n", "InsufficientDataError",
                ["only 1 rated model", "at least 2"]),
    _prefs_case("all ties", "model_a,model_b,winner\nm0,m1,tie\nm1,m2,tie (bothbad)\n",
                "InsufficientDataError", ["every comparison is a tie"]),
    _prefs_case("contradictory pairs that cancel out", "winner,loser\nm0,m1\nm1,m0\n",
                "InsufficientDataError", ["balanced by its reverse"]),
    _prefs_case("unknown battle winner label", "model_a,model_b,winner\nm0,m1,A\n",
                "DataValidationError", ["unknown winner labels at line 2 ('A')", "never read as a tie"]),
    _prefs_case("model rated twice", RATINGS + "m0,1300\n", "DataValidationError",
                ["rated more than once: m0", "Keep one rating per model"]),
    _prefs_case("negative pair weight", "winner,loser,weight\nm0,m1,-2\n", "DataValidationError",
                ["must be > 0", "line 2"]),
    _prefs_case("missing rating", "model,rating\nm0,\nm1,1000\n", "DataValidationError",
                ["rating column 'rating' is missing", "line 2"]),
    _prefs_case("unrecognized preference columns", "a,b\nm0,m1\n", "InputFormatError",
                ["cannot tell the preference format", "winner, loser"]),
    _prefs_case("all models with the same rating", "model,rating\nm0,5\nm1,5\n", "InsufficientDataError",
                ["same rating"]),
    # rankings (list_id, model, rank) and best-of-k choices (list_id, model, chosen)
    _prefs_case("ranking repeats a rank without --allow-rank-ties", "list_id,model,rank\nL1,m0,1\nL1,m1,1\nL1,m2,2\n",
                "DataValidationError", ["rank is repeated within a list at line 2", "line 3", "--allow-rank-ties"]),
    _prefs_case("ranking list with one model", "list_id,model,rank\nL1,m0,1\nL1,m1,2\nL2,m2,1\n",
                "DataValidationError", ["single model at line 4 (list 'L2')", "at least two models"]),
    _prefs_case("ranking with a rank that is not a number", "list_id,model,rank\nL1,m0,1\nL1,m1,second\n",
                "DataValidationError", ["rank column 'rank' has values that are not numbers at line 3 ('second')"]),
    _prefs_case("ranking with a missing rank", "list_id,model,rank\nL1,m0,1\nL1,m1,\n",
                "DataValidationError", ["rank column 'rank' is missing", "line 3"]),
    _prefs_case("model twice in one ranking list", "list_id,model,rank\nL1,m0,1\nL1,m0,2\nL1,m1,3\n",
                "DataValidationError", ["appears twice in one list", "line 2 (model 'm0')"]),
    _prefs_case("best-of-k list with no model chosen", "list_id,model,chosen\nL1,m0,1\nL1,m1,0\nL2,m2,0\nL2,m3,0\n",
                "DataValidationError", ["exactly one model chosen", "'L2' (from line 4, 0 chosen)"]),
    _prefs_case("best-of-k list with several models chosen", "list_id,model,chosen\nL1,m0,1\nL1,m1,1\nL1,m2,0\n",
                "DataValidationError", ["exactly one model chosen", "'L1' (from line 2, 2 chosen)"]),
    _prefs_case("best-of-k chosen value that is not 1/0", "list_id,model,chosen\nL1,m0,1\nL1,m1,x\n",
                "DataValidationError", ["'chosen' must be 1 or 0", "line 3 ('x')"]),
    Case("benchmark file from a newer schema", {"r.csv": RESULTS, "b.json": _bench(lambda d: d.update(schema_version=3))},
         _score("b.json"), "ArtifactError", ["schema version 3", "Upgrade benchalign"]),
    Case("tampered benchmark file", {"r.csv": RESULTS, "b.json": _bench(lambda d: d["items"][0].update(weight=0.5))},
         _score("b.json"), "ArtifactError", ["content hash", "edited or corrupted", "Re-create it"]),
    Case("benchmark file that is not JSON", {"r.csv": RESULTS, "b.json": _bench(raw="weights: 1")},
         _score("b.json"), "ArtifactError", ["invalid JSON"]),
    Case("results share no item with the benchmark", {"r.csv": RESULTS.replace("/q", "/x"), "b.json": _bench()},
         _score("b.json"), "ItemMismatchError", ["none of the benchmark's 8 items appear", "same benchmark"]),
    Case("results lack benchmark items (strict)", {"r.csv": RESULTS.replace("b1/q7", "b1/q9"), "b.json": _bench()},
         _score("b.json", "r.csv", "--strict"), "ItemMismatchError",
         ["1 result items are not in the benchmark", "1 benchmark items", "Without --strict"]),
    Case("output exists without --force", {"r.csv": RESULTS, "p.csv": RATINGS, "out.json": "{}"}, _fit(),
         "OutputExistsError", ["out.json: already exists; pass --force"]),
    Case("output names the results file, with --force", {"r.csv": RESULTS, "p.csv": RATINGS},
         _fit_to("r.csv", "--force"), "OutputError",
         ["r.csv: names the --results input", "even with --force", "Choose another output path"]),
    Case("output is a symlink to the preferences file", {"r.csv": RESULTS, "p.csv": RATINGS},
         _fit_to("out.json", "--force"), "OutputError", ["out.json: names the --preferences input"],
         links={"out.json": "p.csv"}),
    Case("score output names the benchmark file", {"r.csv": RESULTS, "b.json": _bench()},
         lambda d: [*_score("b.json")(d), "-o", str(d / "b.json"), "--force"], "OutputError",
         ["names the --benchmark input"]),
    Case("output is a dangling symlink, without --force", {"r.csv": RESULTS, "p.csv": RATINGS},
         _fit(), "OutputExistsError", ["out.json: already exists; pass --force"],
         links={"out.json": "elsewhere.json"}),
    Case("output folder is a file", {"r.csv": RESULTS, "p.csv": RATINGS}, _fit_to("p.csv/out.json"),
         "OutputError", ["the folder", "p.csv is not a folder"]),
    Case("negative seed", {"r.csv": RESULTS, "p.csv": RATINGS}, _fit_to("out.json", "--seed", "-1"),
         "ParameterError", ["'--seed' parameter of benchalign fit must be an int >= 0. Got -1"]),
    Case("benchmark file nested 100,000 deep", {"r.csv": RESULTS, "b.json": "[" * 100_000 + "]" * 100_000},
         _score("b.json"), "ArtifactError", ["b.json: not a benchalign benchmark file", "nested too deeply"]),
    Case("size split without metadata", {"r.csv": RESULTS, "p.csv": RATINGS},
         lambda d: ["evaluate", "--results", str(d / "r.csv"), "--preferences", str(d / "p.csv"), "--split", "size:7"],
         "ParameterError", ["needs model metadata; pass --models"]),
    Case("unparseable split", {"r.csv": RESULTS, "p.csv": RATINGS},
         lambda d: ["evaluate", "--results", str(d / "r.csv"), "--preferences", str(d / "p.csv"), "--split", "half"],
         "ParameterError", ["The split 'half' is not understood", "size:13"]),
    # diagnostics: the command succeeds and says what it noticed
    _prefs_case("cycles in pair preferences", "winner,loser\nm0,m1\nm1,m2\nm2,m0\nm3,m4\nm4,m5\nm3,m5\n",
                None, ["warning:", "cycle group(s), e.g. [m0, m1, m2]"]),
    _prefs_case("contradictory duplicated pairs", "winner,loser\nm0,m1\nm0,m1\nm1,m0\nm2,m3\nm4,m5\nm1,m2\n",
                None, ["warning:", "preferred in both directions, e.g. m0 vs m1 (67% / 33%)"]),
    _prefs_case("ratings with the wrong sign convention", "model,rank\n", None, []),  # replaced below
]


def _rank_case() -> Case:
    # ranks (1 = best) that follow the plain benchmark score, given as ratings
    means = {m: sum((m * 7 + q * 3) % 6 / 5 for q in range(8)) for m in range(6)}
    order = sorted(means, key=lambda m: -means[m])
    text = "model,rating\n" + "".join(f"m{m},{order.index(m) + 1}\n" for m in range(6))
    return _prefs_case("ratings with the wrong sign convention", text, None,
                       ["warning:", "ratings fall as the plain benchmark score rises", "--lower-is-better"])


CASES[-1] = _rank_case()

def _repeat_item(doc: dict) -> None:
    from benchalign.artifact import _content_hash
    import numpy as np

    doc["items"][1] = dict(doc["items"][0])
    rows = doc["items"]
    doc["content_sha256"] = _content_hash(np.array([r["item"] for r in rows], dtype=object),
                                          np.array([r["benchmark"] for r in rows], dtype=object),
                                          np.array([r["weight"] for r in rows]))


def _flag_case() -> Case:
    # ratings that follow the plain benchmark score, negated by a --lower-is-better they do not need
    means = {m: sum((m * 7 + q * 3) % 6 / 5 for q in range(8)) for m in range(6)}
    text = "model,rating\n" + "".join(f"m{m},{1000 + 50 * means[m]}\n" for m in range(6))
    return Case("--lower-is-better given for ratings that are already higher-is-better",
                {"r.csv": RESULTS, "p.csv": text}, _fit("r.csv", "p.csv", "--lower-is-better"), None,
                ["warning:", "ratings fall as the plain benchmark score rises",
                 "if you passed --lower-is-better, the column is already higher-is-better"])


_WIDE = "model,b0/q0,b0/q1,b1/q2\n" + "".join(f"m{m},{m % 2},{(m + 1) % 2},{m / 5}\n" for m in range(6))
CASES += [  # issue 19: wide tables, headers and files that are not what their name says
    _results_case("wide table with a repeated item column", _WIDE.replace("b1/q2", "b0/q1", 1),
                  "InputFormatError", ["repeats the column(s) 'b0/q1'", "its own name"]),
    _results_case("wide table with a 'score' column", _WIDE.replace("b1/q2", "score", 1),
                  "DataValidationError", ["column(s) score", "per-model summary", "Delete those columns"]),
    _results_case("wide table with a win_rate column", _WIDE.replace("b1/q2", "win_rate", 1),
                  "DataValidationError", ["column(s) win_rate", "not a question"]),
    _results_case("header with spaces after the commas", RESULTS.replace(",", ", ", 3),
                  "InputFormatError", ["spaces around them: ' benchmark', ' item', ' score'"]),
    _results_case("gzip named .csv", gzip.compress(RESULTS.encode()), "InputFormatError",
                  ["r.csv: is gzip-compressed", "name it .csv.gz"]),
    _results_case("Parquet named .csv", b"PAR1" + bytes(range(200)), "InputFormatError",
                  ["r.csv: is a Parquet file", "name it .parquet"]),
    Case("preferences passed as results", {"p.csv": RATINGS}, _fit("p.csv", "p.csv"), "DataValidationError",
         ["a table of model and rating is not question-level results", "swapped?"]),
    Case("results passed as preferences", {"r.csv": RESULTS}, _fit("r.csv", "r.csv"), "InputFormatError",
         ["which are question-level results", "swapped?"]),
    # diagnostics: readable but suspicious data (findings of benchalign.check); the fit goes on and says so
    _results_case("rated models that share no item",
                  "model,benchmark,item,score\n" + "".join(
                      f"m{m},b{m // 3},b{m // 3}/q{q},{(m + q) % 3 / 2}\n" for m in range(6) for q in range(4)), None,
                  ["warning:", "share no item"]),
    _results_case("one model on a 0-100 scale", RESULTS.replace("m5,b0,b0/q0,1.0", "m5,b0,b0/q0,75"),
                  None, ["[scale-mix]", "another scale", "m5", "0-100 among 0-1"]),
    _results_case("models with identical results",
                  "model,benchmark,item,score\n" + "".join(f"m{m},b,b/q{q},{q % 2}\n" for m in range(6) for q in range(4)),
                  None, ["warning:", "all 6 models have identical results"]),
    _prefs_case("ratings that are percentages", "model,rating\n" + "".join(f"m{m},{10 + 15 * m}\n" for m in range(6)),
                None, ["warning:", "like percentages", "--rating-scale"]),
    _prefs_case("a UTF-8 BOM in the preferences", "\ufeff" + RATINGS, None, []),
    Case("benchmark file with schema_version 1.0", {"r.csv": RESULTS, "b.json": _bench(lambda d: d.update(schema_version=1.0))},
         _score("b.json"), "ArtifactError", ["schema_version is 1.0, not a version number", "edited or corrupted"]),
    Case("benchmark file with schema_version true", {"r.csv": RESULTS, "b.json": _bench(lambda d: d.update(schema_version=True))},
         _score("b.json"), "ArtifactError", ["schema_version is true, not a version number"]),
    Case("benchmark file with schema_version -5", {"r.csv": RESULTS, "b.json": _bench(lambda d: d.update(schema_version=-5))},
         _score("b.json"), "ArtifactError", ["schema_version is -5, not a version number"]),
    Case("benchmark file with a repeated item and a recomputed hash", {"r.csv": RESULTS, "b.json": _bench(_repeat_item)},
         _score("b.json"), "ArtifactError", ["item(s) b0/q0 are listed more than once"]),
    _prefs_case("a line break inside a model name", RATINGS + '"gh\nost",1200\n', "UnknownModelError",
                ["not in the results: gh\\nost."]),
    _prefs_case("ratings of 1e308", "model,rating\nm0,1e308\nm1,-1e308\nm2,0\n", "DataValidationError",
                ["ratings of absurd magnitude at line 2 (model 'm0'), line 3 (model 'm1')", "Check the rating column"]),
    _prefs_case("a file with both pairs and ratings columns",
                "winner,loser,model,rating\n" + "".join(f"m{m},m{m + 1},m{m},{1000 + 40 * m}\n" for m in range(5)),
                None, ["warning:", "the columns fit pairs and ratings", "read as pairs", "--preference-format ratings"]),
    _results_case("NaN score after blank lines", RESULTS.replace("\nm1,", "\n\n\nm1,", 1) + "m9,b0,b0/q0,NaN\n",
                  "DataValidationError", ["missing (empty or NaN) at line 52 (model 'm9', item 'b0/q0')"]),
    Case("-o - for a benchmark file", {"r.csv": RESULTS, "p.csv": RATINGS},
         lambda d: ["fit", "--results", str(d / "r.csv"), "--preferences", str(d / "p.csv"), "-o", "-"],
         "ParameterError", ["-o -: benchalign writes output files, not standard output"]),
    Case("preferences given as a quoted glob that matches two files",
         {"r.csv": RESULTS, "p1.csv": RATINGS, "p2.csv": RATINGS}, _fit("r.csv", "p*.csv"),
         "InputFormatError", ["the pattern matches 2 files", "Concatenate them, or name one"]),
    _flag_case(),
    Case("items file without a text column (checked before the work)",
         {"r.csv": RESULTS, "p.csv": RATINGS, "items.csv": "item,body\nb0/q0,x\n"},
         lambda d: ["report", "--results", str(d / "r.csv"), "--preferences", str(d / "p.csv"),
                    "--items", str(d / "items.csv"), "-o", str(d / "r.html")],
         "InputFormatError", ["lacks the column(s) 'item' or a text column (text, instruction, question",
                              "--text-column"]),
    Case("suggest --curve-reps without --report", {"r.csv": RESULTS, "p.csv": RATINGS},
         lambda d: ["suggest", "--results", str(d / "r.csv"), "--preferences", str(d / "p.csv"),
                    "--budget", "1", "--curve-reps", "3"],
         "ParameterError", ["--curve-reps sets the active curve of the --report page"]),
    Case("suggest --report with too few rated models for a curve",
         {"r.csv": RESULTS, "p.csv": "".join(RATINGS.splitlines(keepends=True)[:6])},
         lambda d: ["suggest", "--results", str(d / "r.csv"), "--preferences", str(d / "p.csv"),
                    "--budget", "1", "--report", str(d / "s.html")],
         "InsufficientDataError", ["an active curve needs", "Rate more models or leave out --report"]),
]


POPULATIONS = "model,category,rating\n" + "".join(
    f"m{m},{c},{1000 + 37 * ((m * k) % 6)}\n" for c, k in (("A", 5), ("B", 1)) for m in range(6))
MODELS = "model,first_seen\n" + "".join(f"m{m},2024-0{m + 1}-01\n" for m in range(6))


def _pop_fit(prefs: str, column: str = "category") -> Callable[[Path], list[str]]:
    return lambda d: ["fit", "--results", str(d / "r.csv"), "--preferences", str(d / prefs),
                      "-o", str(d / "out.json"), "--population-column", column]


def _time_split(split: str, models: str = MODELS) -> tuple[dict, Callable[[Path], list[str]]]:
    files = {"r.csv": RESULTS, "p.csv": RATINGS, "m.csv": models}
    return files, lambda d: ["evaluate", "--results", str(d / "r.csv"), "--preferences",
                             str(d / "p.csv"), "--models", str(d / "m.csv"), "--split", split]


def _compare(a: str, b: str) -> Callable[[Path], list[str]]:
    return lambda d: ["populations", "compare", "--results", str(d / "r.csv"), "--preferences",
                      str(d / "pop.csv"), "--population-column", "category", "--a", a, "--b", b]


def _population_bench() -> str:
    from benchalign.artifact import AlignedBenchmark
    import numpy as np

    items = sorted(f"b{q % 2}/q{q}" for q in range(8))
    return AlignedBenchmark(np.array(items, dtype=object),
                            np.array([i.split("/")[0] for i in items], dtype=object),
                            np.full(8, 1 / 8), populations={"A": np.full(8, 1 / 8)}).to_json()


POPULATION_CASES = [
    Case("no population column in the preferences", {"r.csv": RESULTS, "p.csv": POPULATIONS},
         _pop_fit("p.csv", "language"), "InputFormatError",
         ["no population column 'language' (found model, category, rating)", "--population-column category"]),
    Case("empty cells in the population column",
         {"r.csv": RESULTS, "p.csv": POPULATIONS.replace("m2,A,", "m2,,")}, _pop_fit("p.csv"),
         "InputFormatError", ["the population column 'category' is empty at 1 rows (e.g. line 4)",
                              "Give every row a population"]),
    Case("a population named 'pooled'", {"r.csv": RESULTS, "p.csv": POPULATIONS.replace(",B,", ",pooled,")},
         _pop_fit("p.csv"), "InputFormatError", ["'pooled' is reserved for the pooled benchmark",
                                                 "rename that population"]),
    Case("score --population with an unknown name", {"r.csv": RESULTS, "b.json": _population_bench()},
         _score("b.json", "r.csv", "--population", "Z"), "ArtifactError",
         ["has no population 'Z'; it has: pooled, A"]),
    Case("time split with a DATE that is not a date", *_time_split("time:first_seen:soon"),
         "ParameterError", ["The split 'time:first_seen:soon' is not understood", "time:first_seen:2024-01-01"]),
    Case("time split on a column with a value that is not a date",
         *_time_split("time:first_seen:2024-03-15", MODELS.replace("m3,2024-04-01", "m3,spring")),
         "DataValidationError", ["'first_seen' column is not a date for m3 ('spring')", "YYYY-MM-DD"]),
    Case("time split on a column the metadata lacks", *_time_split("time:released:2024-03-15"),
         "ParameterError", ["needs a 'released' column in the model metadata; found first_seen"]),
    Case("populations compare with an unknown population", {"r.csv": RESULTS, "pop.csv": POPULATIONS},
         _compare("A", "C"), "ParameterError",
         ["--b 'C': no population of that name in column 'category'; it has A, B, pooled"]),
    Case("populations compare of a population with itself", {"r.csv": RESULTS, "pop.csv": POPULATIONS},
         _compare("A", "A"), "ParameterError", ["--a and --b are both 'A'; name two different"]),
    Case("populations compare of a population with too few rated models",
         {"r.csv": RESULTS, "pop.csv": "\n".join(  # 3 B ratings, far enough apart for Elo
             line for line in POPULATIONS.replace("m1,B,1037", "m1,B,1300").replace("m2,B,1074", "m2,B,1600")
             .splitlines() if not line.startswith(("m3,B", "m4,B", "m5,B"))) + "\n"},
         _compare("A", "B"), "InsufficientDataError",
         ["population 'B' has 3 rated models", "at least 5 rated models in each"]),
]
CASES += POPULATION_CASES

DAY_FIRST = "model,first_seen\n" + "".join(f"m{m},{d}/0{m + 1}/2024\n" for m, d in enumerate((20, 6, 13, 6, 25, 3)))
NUMBERS = "model,first_seen\n" + "".join(f"m{m},20240{m + 1}01\n" for m in range(6))
HOSTILE_DATA_CASES = [
    Case("time split on day-first dates without --date-format", *_time_split("time:first_seen:2024-03-15", DAY_FIRST),
         "DataValidationError", ["not a date for m0 ('20/01/2024')", "ISO 8601", "--date-format"]),
    Case("time split on numbers (YYYYMMDD) without --date-format", *_time_split("time:first_seen:2024-03-15", NUMBERS),
         "DataValidationError", ["holds numbers, not dates, for m0 (20240101)", "--date-format", "%Y%m%d"]),
    Case("time split with DATE 'now'", *_time_split("time:first_seen:now"),
         "ParameterError", ["'time:first_seen:now' is not understood", "not 'now' or 'today'"]),
]
HOSTILE_DATA_CASES += [
    Case("a population named 'Pooled ' (case and spaces)",
         {"r.csv": RESULTS, "p.csv": POPULATIONS.replace(",B,", ",Pooled ,")}, _pop_fit("p.csv"),
         "InputFormatError", ["'pooled' is reserved", "in any case, with or without spaces", "'Pooled '",
                              "rename that population"]),
    Case("a population name of spaces only", {"r.csv": RESULTS, "p.csv": POPULATIONS.replace("m2,A,", "m2,  ,")},
         _pop_fit("p.csv"), "InputFormatError", ["the population column 'category' is empty at 1 rows"]),
]
HOSTILE_DATA_CASES += [
    Case("per-category ratings without --population-column", {"r.csv": RESULTS, "p.csv": POPULATIONS},
         _fit(), "DataValidationError", ["models rated more than once", "has a column 'category'",
                                         "pass --population-column category"]),
]
HOSTILE_DATA_CASES += [
    _prefs_case("rating intervals of absurd magnitude",
                "model,rating,rating_q025,rating_q975\n" + "".join(
                    f"m{m},{1000 + 37 * ((m * 5) % 6)},-1e300,1e300\n" for m in range(6)),
                "DataValidationError", ["rating intervals (rating_q025, rating_q975) of absurd magnitude",
                                        "line 2 (model 'm0')", "below 1e+30", "--ignore-uncertainty"]),
]
HOSTILE_DATA_CASES += [
    _prefs_case("one model rated under its name in NFC and in NFD (decomposed accents)",
                RATINGS + "mod\u00e8le,1100\nmode\u0300le,1200\n", "DataValidationError",
                ["models rated more than once: mod\u00e8le", "Keep one rating per model"]),
]
HOSTILE_DATA_CASES += [
    Case("report --items whose ids match none of the questions",
         {"r.csv": RESULTS, "p.csv": RATINGS, "items.csv": "item,text\nq0,x\nq1,y\n"},
         lambda d: ["report", "--results", str(d / "r.csv"), "--preferences", str(d / "p.csv"),
                    "--items", str(d / "items.csv"), "-o", str(d / "r.html")],
         None, ["the items table matches 0 of the 8 questions", "results' item ids"]),
]
CASES += HOSTILE_DATA_CASES


LONG_NAME = "a" * 256 + ".json"  # longer than any common file system allows (255 bytes)
EVALUATE_JSON = '{\n "schema": "benchalign.evaluation/1",\n "splits": {}\n}\n'


def _suggest(d: Path, budget: str = "1") -> list[str]:
    return ["suggest", "--results", str(d / "r.csv"), "--preferences", str(d / "p.csv"), "--budget", budget]


OUTPUT_CASES = [  # outputs, paths and the command line itself
    Case("-o is a named pipe, with --force", {"r.csv": RESULTS, "p.csv": RATINGS},
         _fit_to("pipe", "--force"), "OutputError",
         ["pipe: is a named pipe (FIFO), not a regular file", "even with --force"],
         make=lambda d: os.mkfifo(d / "pipe")),
    Case("demo --json naming an evaluate JSON, without --force", {"e.json": EVALUATE_JSON},
         lambda d: ["demo", "--case", "alpacaeval2", "--json", str(d / "e.json"), "--report",
                    str(d / "demo.html")], "OutputExistsError", ["e.json: already exists; pass --force"]),
    Case("suggest --json and --report naming one file, with --force", {"r.csv": RESULTS, "p.csv": RATINGS},
         lambda d: [*_suggest(d), "--json", str(d / "s.out"), "--report", str(d / "s.out"), "--force"],
         "OutputError", ["s.out: names the --json output", "even with --force"]),
    Case("datasets export where items.csv is a folder, with --force", {},
         lambda d: ["datasets", "export", "alpacaeval2", str(d / "ae"), "--force"], "OutputError",
         ["items.csv: is a folder, not a regular file"], make=lambda d: (d / "ae" / "items.csv").mkdir(parents=True)),
    Case("output name longer than the file system allows", {"r.csv": RESULTS, "p.csv": RATINGS},
         _fit_to(LONG_NAME), "OutputError", [f"{LONG_NAME}: cannot be written (File name too long)"]),
    Case("datasets export into a folder name that is too long", {},
         lambda d: ["datasets", "export", "alpacaeval2", str(d / LONG_NAME)], "OutputError",
         ["cannot create this folder (File name too long)"]),
    Case("empty output path", {"r.csv": RESULTS, "p.csv": RATINGS}, lambda d: [*_fit()(d)[:-1], ""], "ParameterError",
         ["an output path is empty ('')"]),
    Case("a value Click rejects (suggest --budget 0)", {"r.csv": RESULTS, "p.csv": RATINGS},
         lambda d: _suggest(d, "0"), "CommandLineError",
         ["Invalid value for '--budget': 0 is not in the range x>=1", "--help"]),
    Case("an unknown shipped case (datasets export)", {}, lambda d: ["datasets", "export", "nope", str(d / "x")],
         "CommandLineError", ["'nope' is not one of 'metabench'"]),
    Case("a population with too few rated models for cross-validation",
         {"r.csv": RESULTS, "p.csv": POPULATIONS + "m0,C,1000\nm1,C,1100\n"}, _pop_fit("p.csv"),
         "InsufficientDataError", ["population 'C': cross-validation over the 2 rated models",
                                   "`fit` and `prune`: --method coverage"]),
    Case("model names a spreadsheet would run as formulas (score -o)",
         {"r.csv": RESULTS.replace("m1,", "=HYPERLINK(1),").replace("m2,", "@SUM(A1),"), "b.json": _bench()},
         lambda d: [*_score("b.json")(d), "-o", str(d / "s.csv")], None, ["scored 6 models"]),
]
CASES += OUTPUT_CASES


def _export(bench: str, *extra: str) -> Callable[[Path], list[str]]:
    return lambda d: ["export", "lm-eval", str(d / bench), "-o", str(d / "out"),
                      *[str(d / e) if e.endswith((".csv", ".json")) else e for e in extra]]


def _harness_bench(items: list[str]) -> str:
    """A benchmark file over items <task>/<doc_id> (uniform weights)."""
    from benchalign.artifact import AlignedBenchmark
    import numpy as np

    return AlignedBenchmark(np.array(items, dtype=object),
                            np.array([i.split("/")[0] for i in items], dtype=object),
                            np.full(len(items), 1 / len(items))).to_json()


LM_EVAL_RUN = {  # one logged document (doc_id 0) of a task "toy", as lm_eval --log_samples writes
    "results_2024-01-01T00-00-00.json": json.dumps({
        "results": {"toy": {"acc,none": 1.0}}, "model_name": "m1",
        "configs": {"toy": {"task": "toy", "output_type": "multiple_choice",
                            "metric_list": [{"metric": "acc"}]}}}),
    "samples_toy_2024-01-01T00-00-00.jsonl": json.dumps(
        {"doc_id": 0, "doc": {"q": "?"}, "filter": "none", "metrics": ["acc"], "acc": 1.0}) + "\n",
}
EXPORT_CASES = [
    Case("export lm-eval from results that are not lm-eval output",
         {"r.csv": RESULTS, "b.json": _harness_bench(["toy/0"])}, _export("b.json", "--results", "r.csv"),
         "ExportError", ["not lm-evaluation-harness output", "--doc-list"]),
    Case("export lm-eval of a question whose document no run logged",
         {"b.json": _harness_bench(["toy/0", "toy/7"]), **LM_EVAL_RUN},
         lambda d: ["export", "lm-eval", str(d / "b.json"), "--results", str(d), "-o", str(d / "out")],
         "ExportError", ["1 questions have no logged doc (toy/7)", "--limit"]),
    Case("export lm-eval --doc-list of item ids that name no harness document",
         {"b.json": _bench()}, _export("b.json", "--doc-list"),
         "ExportError", ["b0/q0", "<task>/<doc_id>"]),
]
CASES += EXPORT_CASES


def run_case(case: Case, folder: Path, debug: bool = False):
    for name, content in case.files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for name, target in case.links.items():
        (folder / name).symlink_to(target)
    if case.make is not None:
        case.make(folder)
    args = (["--debug"] if debug else []) + case.args(folder)
    return CliRunner().invoke(cli, args, catch_exceptions=False, prog_name="benchalign")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path: Path):
    res = run_case(case, tmp_path)
    if case.error is None:
        assert res.exit_code == 0, res.output
    else:
        assert res.exit_code == 2, res.output
        assert res.output.count("\n") == 1 and res.output.startswith("error: "), res.output
        assert "Traceback" not in res.output
    for fragment in case.fragments:
        assert fragment in res.output, (fragment, res.output)
    if case.error is not None:
        again = run_case(case, tmp_path / "debug" if (tmp_path / "debug").mkdir() is None else tmp_path, debug=True)
        assert f"benchalign.errors.{case.error}: " in again.output


ROOT = Path(__file__).resolve().parents[1]


def test_the_catalog_and_the_readme_show_every_case():
    # docs/bad_inputs.md is what users read: it must list exactly these cases with these
    # outcomes (regenerate it with scripts/bad_input_catalog.py), and the README quotes its count
    catalog = (ROOT / "docs" / "bad_inputs.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| (.+?) \| (?:`(\w+)`|diagnostic), exit (\d) \|", catalog, re.M)
    assert [(int(i), name, error or None) for i, name, error, _ in rows] == [
        (i, c.name, c.error) for i, c in enumerate(CASES, 1)]
    errors = sum(c.error is not None for c in CASES)
    assert f"{errors} of {errors} error cases raised a typed error" in catalog
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"What every kind of bad input produces ({len(CASES)} cases" in readme


def _can_write_in(folder: Path) -> bool:
    try:
        (folder / "probe").write_text("")
    except OSError:
        return False
    (folder / "probe").unlink()
    return True


def test_an_unwritable_output_folder_fails_before_any_work(tmp_path, monkeypatch):
    import benchalign.cli.report_cmd as report_cmd

    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if _can_write_in(folder):  # root: mode bits do not stop it; sysfs does
        folder = Path("/sys")
        if not folder.is_dir() or _can_write_in(folder):
            pytest.skip("no folder that this user cannot write to")
    (tmp_path / "r.csv").write_text(RESULTS)
    (tmp_path / "p.csv").write_text(RATINGS)

    def no_work(*args, **kwargs):
        raise AssertionError("the report started working before checking its output")

    monkeypatch.setattr(report_cmd, "load_checked", no_work)
    res = CliRunner().invoke(cli, ["report", "--results", str(tmp_path / "r.csv"), "--preferences",
                                   str(tmp_path / "p.csv"), "-o", str(folder / "report.html")],
                             catch_exceptions=False)
    assert res.exit_code == 2, res.output
    assert res.output.startswith(f"error: {folder}: cannot write in this folder") and res.output.count("\n") == 1
