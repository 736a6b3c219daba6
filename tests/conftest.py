"""Shared test fixtures; outputs go under test-output/ (figures are closed and drawn off-screen by crm_plugin)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
