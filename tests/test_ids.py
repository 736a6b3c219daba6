"""The id rule's shortcuts on the distinct ids give what the plain Arrow computations give.

* whether some id holds a ``.`` (then the decimal repair is looked at) is read from the bytes at once;
* when no id is short enough to be a blank id (``nan``, ``n/a``...), no id is lowered and looked up.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlib.data.ids import BLANK_ID_TEXTS, _holds_dot, blank_mask

TEXTS = st.one_of(
    st.none(),
    st.sampled_from(["13085.0", "12346", "N/A", "nan", "", ".", "é.", "\u00a0", "C0001", "Ą", "a" * 12]),
    st.text(max_size=8),
)


def _arrays(values, offset, kind):
    whole = pa.array(values, kind)
    return [whole.slice(offset), pa.chunked_array([whole.slice(0, offset), whole.slice(offset)])]


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXTS, max_size=12), st.integers(0, 3), st.sampled_from([pa.string(), pa.large_string()]))
def test_a_dot_is_found_as_arrow_finds_it(values, offset, kind):
    offset = min(offset, len(values))
    for texts in _arrays(values, offset, kind):
        assert _holds_dot(texts) == bool(pc.any(pc.match_substring(texts, ".")).as_py())


def _blank_as_arrow_says(texts):
    short = pc.less_equal(pc.utf8_length(texts), max(len(t) for t in BLANK_ID_TEXTS))
    listed = pc.is_in(pc.utf8_lower(texts), pa.array(sorted(BLANK_ID_TEXTS)))
    return pc.and_(short, listed).fill_null(True).to_pylist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(TEXTS, st.sampled_from(sorted(BLANK_ID_TEXTS)), st.just("NULL")), max_size=12))
def test_blank_ids_are_found_as_arrow_finds_them(values):
    texts = pa.array(values, pa.string())
    assert blank_mask(texts).to_pylist() == _blank_as_arrow_says(texts)


def test_long_ids_only_and_a_null():
    texts = pa.array(["C0000001", None, "C0000002"])
    assert blank_mask(texts).to_pylist() == [False, True, False] == _blank_as_arrow_says(texts)
