"""Shared fixtures: the small planted cases of :mod:`benchalign.simulate` and file helpers."""

from __future__ import annotations

import pytest

from benchalign.data import Results, preferences_from_frame
from benchalign.simulate import Planted
from benchalign.simulate import planted_case as make_planted
from benchalign.simulate import two_sided_case as make_two_sided  # noqa: F401 (tests import it from here)


@pytest.fixture(autouse=True)
def no_progress_lines(monkeypatch):
    """Commands run in-process print no progress lines: a stage line appears only when a stage
    runs longer than a delay, which would make their output depend on the machine's speed.
    tests/test_reliability.py checks the lines themselves."""
    from benchalign.cli import common

    monkeypatch.setattr(common, "PROGRESS_DELAY", None)


@pytest.fixture
def planted() -> Planted:
    return make_planted()


@pytest.fixture
def planted_prefs(planted: Planted):
    return preferences_from_frame(planted.ratings)


def write_long(results: Results, path) -> None:
    results.to_long().to_csv(path, index=False)
