"""`benchalign datasets`: list the real cases shipped inside the package and export them as files."""

from __future__ import annotations

import click

from ..datasets import CASE_INFO, CASES, case_shape
from ..datasets.export import export_case, export_files
from . import cli
from .common import force_option


@cli.group()
def datasets() -> None:
    """The real cases shipped inside the package (provenance and licenses: `datasets list`).

    Export one as plain files to try every command on real data, e.g.
    `benchalign datasets export alpacaeval2 ae`.
    """


@datasets.command("list")
def list_cases() -> None:
    """One line per shipped case: size, rated models, data license and the files it exports."""
    for name in CASES:
        n_models, n_items, n_rated = case_shape(name)
        info = CASE_INFO[name]
        click.echo(f"{name}: {info.title}; {n_models:,} models x {n_items:,} questions, "
                   f"{n_rated} rated; data license: {info.license}")
        click.echo(f"    files: {', '.join(export_files(name))}")


@datasets.command("export")
@click.argument("name", type=click.Choice(CASES))
@click.argument("folder", type=click.Path())
@force_option
def export(name: str, folder: str, force: bool) -> None:
    """Write shipped case NAME into FOLDER (created if absent) as files the other commands read.

    results.csv.gz (long table model, benchmark, item, score), preferences.csv (Arena ratings),
    items.csv, README.md (provenance and license: keep it with the data), and where the case has
    them models.csv, preferences_by_category.csv, models_time.csv. Refuses to replace an existing
    file unless --force; every file is written atomically.
    """
    for path in export_case(name, folder, force=force):
        click.echo(f"wrote {path}", err=True)
    click.echo(f"data license of {name}: {CASE_INFO[name].license} (see {folder}/README.md)",
               err=True)
