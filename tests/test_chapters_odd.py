"""The papermill runs of the other half of the chapters (see tests/test_chapters.py for what they check).

A separate file so that ``pytest -n 2 --dist loadfile`` runs the two halves on both cores.
"""

from __future__ import annotations

import pytest
from chapter_harness import (
    check_runs_on_a_user_csv,
    check_runs_with_test_parameters,
    check_stops_on_a_missing_file,
    half,
    ids,
    write_user_csv,
)


@pytest.fixture(scope="module")
def user_csv(tmp_path_factory):
    return write_user_csv(tmp_path_factory.mktemp("analyst"))


@pytest.mark.slow
@pytest.mark.parametrize("chapter", half(1), ids=ids(half(1)))
def test_runs_with_test_parameters(chapter, tmp_path):
    check_runs_with_test_parameters(chapter, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("chapter", half(1), ids=ids(half(1)))
def test_runs_on_a_user_csv(chapter, user_csv, tmp_path):
    check_runs_on_a_user_csv(chapter, user_csv, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("chapter", half(1), ids=ids(half(1)))
def test_a_missing_data_file_stops_the_chapter(chapter, tmp_path):
    check_stops_on_a_missing_file(chapter, tmp_path)
