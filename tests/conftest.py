"""Shared test fixtures; outputs go under test-output/ (figures are closed and drawn off-screen by crm_plugin)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]

# The property tests draw the same examples on every run of the suite ("suite", the default): a red run is a
# change of the code, never a new draw. HYPOTHESIS_PROFILE=explore draws new examples each run, to search for
# cases the fixed draw misses (CONTRIBUTING.md says when); a failure there prints the example to pin as a test.
settings.register_profile("suite", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture(scope="session")
def root() -> Path:
    """The kit's folder."""
    return ROOT


@pytest.fixture(scope="session")
def test_output() -> Path:
    """A folder for files the tests keep for a person to look at (screenshots, rendered pages)."""
    out = Path(os.environ.get("CRM_TEST_OUTPUT", ROOT / "test-output"))
    out.mkdir(parents=True, exist_ok=True)
    return out
