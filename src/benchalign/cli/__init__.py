"""The ``benchalign`` command line: a thin layer that parses, calls the library and prints.

Library errors (:class:`~benchalign.errors.BenchAlignError`) become one line on stderr and exit
code 2; ``--debug`` shows the traceback. Anything else is an internal error with a request to
report it.
"""

from __future__ import annotations

import logging
import sys
import traceback
import warnings

import click

from .._version import __version__
from ..errors import BenchAlignError, CommandLineError
from ..interrupt import EXIT_CODE, MESSAGE, end_startup
from .common import started

REPORT_URL = "the benchalign issue tracker"


class _Group(click.Group):
    """Turns library errors into one clear line; keeps tracebacks for --debug."""

    def invoke(self, ctx: click.Context) -> object:
        debug = bool(ctx.params.get("debug"))
        end_startup()
        started(ctx)
        try:
            return self._invoke_typed(ctx)
        except BenchAlignError as exc:
            if debug:
                traceback.print_exc()
            click.echo(f"error: {one_line(str(exc))}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo(MESSAGE, err=True)
            ctx.exit(EXIT_CODE)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if debug:
                traceback.print_exc()
            click.echo(
                f"internal error: {type(exc).__name__}: {exc}\nThis is a bug in benchalign "
                f"{__version__}. Please report it to {REPORT_URL} with the command you ran and "
                "the output of the same command with --debug.",
                err=True,
            )
            ctx.exit(3)


    def _invoke_typed(self, ctx: click.Context) -> object:
        """Run the command; Click's usage errors (a value out of range, an unknown option or
        choice) become :class:`CommandLineError`, shown in one line like every other error
        (Click would print the usage block first). A group run without a command shows its help."""
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise CommandLineError(usage_line(exc)) from None

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:  # noqa: ANN001
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:  # the group's own options, e.g. `benchalign --nope`
            raise _OneLine(usage_line(exc)) from None


def usage_line(exc: click.UsageError) -> str:
    """Click's message of ``exc`` and where to read the command's options."""
    where = exc.ctx.command_path if exc.ctx is not None else "benchalign"
    return f"{exc.format_message()} See `{where} --help`."


class _OneLine(click.UsageError):
    def show(self, file=None) -> None:  # noqa: ANN001
        click.echo(f"error: {one_line(self.format_message())}", err=True)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    click.echo(f"warning: {one_line(str(message))}", err=True)


def one_line(text: str) -> str:
    """A message on one line: line breaks (e.g. inside a model name) shown as \\n."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="benchalign")
@click.option("-v", "--verbose", is_flag=True, help="Say more: ignored columns and chosen parameters.")
@click.option("--debug", is_flag=True, help="Show the full traceback of errors.")
def cli(verbose: bool, debug: bool) -> None:
    """Align a static LLM benchmark with pairwise preferences.

    Learns a non-negative weight per question so that the reweighted benchmark ranks unseen
    models the way preferences (Arena ratings, pairwise votes, battles) would. Start with
    `benchalign demo`, then `fit`, `score` and `evaluate` on your own files.
    """
    logging.basicConfig(format="%(message)s", level=logging.INFO if verbose else logging.WARNING,
                        stream=sys.stderr, force=True)
    warnings.showwarning = _show_warning


def main() -> None:
    """Entry point of the ``benchalign`` command."""
    cli(prog_name="benchalign")


from . import commands  # noqa: E402, F401  (registers the commands on the group
