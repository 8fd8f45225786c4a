"""One version: src/benchalign/_version.py, read by pyproject.toml and by every module that
writes it (artifact, report, export, --version)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from click.testing import CliRunner

import benchalign
from benchalign import _version, artifact
from benchalign.export import lm_eval
from benchalign.report import page
from benchalign.cli import cli


def test_one_version_everywhere():
    stated = _version.__version__
    assert benchalign.__version__ == stated
    assert artifact.__version__ == page.__version__ == lm_eval.__version__ == stated
    assert version("benchalign") == stated  # the installed metadata, from pyproject's dynamic version
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = {attr = "benchalign._version.__version__"}' in pyproject
    out = CliRunner().invoke(cli, ["--version"]).output
    assert stated in out
