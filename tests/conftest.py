"""Shared fixtures: the bundled scenarios, a CLI runner, example networks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, settings

import scenarios

settings.register_profile(
    "ci", max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner() -> CliRunner:
    """A click runner that keeps stderr apart from stdout."""
    return CliRunner()


@pytest.fixture(params=sorted(scenarios.names()))
def bundled(request: pytest.FixtureRequest) -> Path:
    """Each bundled scenario folder."""
    return scenarios.path(request.param)


@pytest.fixture
def hillerod() -> Path:
    return scenarios.path("hillerod")
