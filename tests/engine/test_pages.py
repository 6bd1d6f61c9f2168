"""Matches run with numpy's huge-page advice off, and give it back as it was."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import matcher
import models
import scenarios
from matcher.engine.pages import ordinary_pages

advice = np._core.multiarray._get_madvise_hugepage
switch = np._core.multiarray._set_madvise_hugepage


@pytest.fixture(autouse=True)
def _advice_on(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
    before = switch(True)
    yield
    switch(before)


def test_a_match_runs_without_the_advice_and_restores_it() -> None:
    scenario, network = models.load(scenarios.path("hillerod"))
    seen: list[bool] = []
    result = matcher.match(network, scenario, progress=lambda _: seen.append(advice()))
    assert result.status == "optimal"
    assert seen and not any(seen)
    assert advice() is True
    warm = matcher.WarmMatch(network, scenario)
    assert advice() is True
    assert warm.result().objective == pytest.approx(result.objective)


def test_the_advice_comes_back_after_the_last_of_overlapping_matches() -> None:
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with ordinary_pages():
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(10)
    with ordinary_pages():
        with ordinary_pages():
            assert advice() is False
    assert advice() is False  # the other match still runs
    leave.set()
    thread.join()
    assert advice() is True


def test_an_explicit_numpy_setting_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
    with ordinary_pages():
        assert advice() is True


def test_an_error_inside_restores_the_advice() -> None:
    with pytest.raises(KeyError), ordinary_pages():
        {}["missing"]
    assert advice() is True
