"""The reader's fast paths give what the plain computation gives, whatever the chunks of the parsed column."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from crmlib.data.dates import fast_days


def _days_whole(texts: pa.Array) -> np.ndarray | None:
    """The days as computed on the whole column at once (numpy's datetime conversion floors to the day)."""
    if len(texts) == 0 or texts.null_count:
        return None
    for unit in ("ns", "s"):
        try:
            stamps = pc.cast(texts, pa.timestamp(unit))
        except pa.ArrowInvalid:
            continue
        return stamps.to_numpy(zero_copy_only=False).astype("datetime64[D]").view(np.int64)
    return None


def _chunked(texts: list[str], cuts: list[int]) -> pa.ChunkedArray:
    bounds = [0, *cuts, len(texts)]
    return pa.chunked_array([pa.array(texts[a:b], pa.string()) for a, b in zip(bounds[:-1], bounds[1:])], pa.string())


DATES = {
    "before 1970, times of day": ["1969-12-31 23:59:59", "1970-01-01 00:00:00", "1969-12-31", "1900-03-01 12:00"],
    "fractions of seconds (ns only)": ["2024-01-31 10:00:00.5", "1969-12-31 23:59:59.999999999", "2024-02-01"],
    "years past 2262 (seconds only)": ["9999-12-31 23:59:59", "1500-01-01", "2024-01-31T10:00:00"],
    "fractions here, year 9999 there (neither unit)": ["2024-01-31 10:00:00.5", "2024-02-01", "9999-12-31"],
    "not ISO in the last chunk": ["2024-01-31", "2024-02-01", "31/01/2024"],
    "one day": ["2024-01-31"],
}


@pytest.mark.parametrize("name", list(DATES))
@pytest.mark.parametrize("cuts", [[], [1], [0, 1, 1, 2], "each"])
def test_fast_days_chunk_by_chunk_equals_the_whole_column(name, cuts):
    texts = DATES[name]
    cuts = list(range(1, len(texts))) if cuts == "each" else [c for c in cuts if c <= len(texts)]
    expected = _days_whole(pa.array(texts, pa.string()))
    for column in (_chunked(texts, cuts), pa.array(texts, pa.string())):
        got = fast_days(column)
        if expected is None:
            assert got is None
        else:
            assert got is not None and got.dtype == np.int64
            np.testing.assert_array_equal(got, expected)
    if name == "fractions here, year 9999 there (neither unit)":
        assert expected is None  # the case is one: a unit serves the whole column or none
