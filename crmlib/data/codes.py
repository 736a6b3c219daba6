"""Distinct values of a text column, sorted, and a code per row: fast on tens of millions of rows.

:func:`sorted_codes` gives what ``pyarrow.compute.dictionary_encode`` followed by a sort of the dictionary
gives: the distinct texts in byte order (the order of ``pyarrow.compute.sort_indices``) and, per row, the
position of its text among them. One hash table of a million distinct ids is mostly cache misses (about
half a microsecond per row on a shared server), so a large column is encoded without one.

Ids such as ``C0001234`` or ``00042`` (a code, or a number, of a few characters) take few values in each pair of
bytes: each pair's values are ranked, and a text's key is the mixed-radix number of its pairs' ranks, which sorts
as the texts do. When there are no more possible keys than about two per row, a table indexed by key numbers the
texts (:func:`_by_pieces`): no hashing. Other texts are encoded by parts that fit in cache:

1. each text becomes fixed-width words: its bytes, 8 per word, big-endian and zero-padded, and its length
   (so the words compare as the texts do);
2. a hash of the words splits the rows into partitions small enough for one hash table each to stay in
   cache; equal texts have equal words, hence equal hashes, so the partitions' distinct texts are disjoint;
3. in each partition the rows are numbered by their hash, and every row's words are compared with those of
   the first row of its number: a hash shared by two different texts is found there, and that partition is
   then numbered by its words exactly;
4. the distinct texts are sorted by their words (a sort of a million short keys rather than of texts).

The answer does not depend on the way it was computed: the tests compare both ways on hostile texts.
"""

from __future__ import annotations

import math
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "PARTITION_ROWS",
    "TABLE_ROWS",
    "TABLE_KEYS_PER_ROW",
    "sort_distinct_keys",
    "sorted_codes",
    "workers",
]

#: Rows from which :func:`sorted_codes` works by partitions (below, one hash table is as fast).
PARTITION_ROWS = 1 << 20
#: Rows per partition: a partition's hash table stays in cache.
ROWS_PER_PARTITION = 1 << 15
#: Rows per block: a block's texts and keys stay in cache while they are put in partition order.
_BLOCK = 1 << 19
#: Rows per block when the texts are numbered through a table: a block's temporary arrays stay in cache, and
#: the allocator reuses their memory from block to block.
PIECE_BLOCK = 1 << 16
#: Longest text (bytes) encoded by words; a column with longer texts is hashed whole.
MAX_WORD_BYTES = 40
#: Rows from which :func:`sorted_codes` tries the table way (below, one hash table is as fast).
TABLE_ROWS = 1 << 16
#: Keys per row up to which :func:`sorted_codes` numbers the texts through a table indexed by key (no hashing).
TABLE_KEYS_PER_ROW = 2
#: Keys always allowed in that table, however few the rows.
MIN_TABLE_KEYS = 1 << 16

_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
#: _KEEP_LOW[k] keeps the first k bytes of a little-endian word (its low bytes).
_KEEP_LOW = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
#: _SWAP[v]: the 16-bit value ``v`` with its two bytes swapped.
_SWAP = np.arange(1 << 16).reshape(256, 256).T.ravel()


def workers() -> int:
    """Threads for the blocks and partitions: the cores this process may use (at most 4).

    Examples
    --------
    >>> 1 <= workers() <= 4
    True
    """
    try:
        return min(max(len(os.sched_getaffinity(0)), 1), 4)
    except AttributeError:  # pragma: no cover - not on Linux
        return min(os.cpu_count() or 1, 4)


def _plain(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Codes and sorted distinct values with one hash table and one sort (small columns, long texts)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    enc = pc.dictionary_encode(values)
    order = pc.sort_indices(enc.dictionary).to_numpy(zero_copy_only=False)
    rank = np.empty(len(order) + 1, np.int64)
    rank[order] = np.arange(len(order))
    rank[-1] = -1  # nulls
    codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return rank[codes], enc.dictionary.take(pa.array(order))


def text_offsets(block: pa.Array) -> np.ndarray:
    """The offsets of a text array's values in its data buffer (``len + 1`` of them, the array's slice)."""
    offset_type = np.int64 if pa.types.is_large_string(block.type) else np.int32
    return np.frombuffer(block.buffers()[1], dtype=offset_type)[block.offset : block.offset + len(block) + 1]


def _has_nul(block: pa.Array) -> bool:
    """True when a text of the block holds a NUL byte (then zero-padded words need the lengths beside them)."""
    offsets = text_offsets(block)
    first, last = int(offsets[0]), int(offsets[-1])
    return last > first and not np.all(np.frombuffer(block.buffers()[2], dtype=np.uint8)[first:last])


def _block_words(block: pa.Array, n_words: int, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The first ``8 * n_words`` bytes of each text as little-endian words, zero-padded (a row per text); the lengths.

    A word more may follow (zeroed too): the words are gathered 16 bytes at a time. ``out``: where to write them.
    """
    offsets = text_offsets(block)
    first, last = int(offsets[0]), int(offsets[-1])
    pairs = -(-n_words // 2)
    width = (last - first) // len(block) if len(block) else -1
    if 0 <= width <= 16 * pairs and last - first == width * len(block) and not block.null_count:
        lengths = offsets[1:] - offsets[:-1]
        if width == 0 or (int(lengths.min()) == width and int(lengths.max()) == width):
            return _fixed_words(block, width, first, pairs, out), lengths
    data = np.zeros(last - first + 16 * pairs + 16, np.uint8)  # so that every window read below exists
    if last > first:
        data[: last - first] = np.frombuffer(block.buffers()[2], dtype=np.uint8)[first:last]
    # the 16 bytes from a text's start, copied as raw bytes: two words per row in one gather
    windows = np.ndarray(shape=(len(data) - 15,), dtype="V16", buffer=data, strides=(1,))
    starts = (offsets[:-1] - first).astype(np.intp)
    lengths = offsets[1:] - offsets[:-1]
    if pairs == 1 and out is None:
        words = windows[starts].view(np.uint64).reshape(-1, 2)
    else:
        words = np.empty((len(starts), 2 * pairs), np.uint64) if out is None else out
        for pair in range(pairs):
            words[:, 2 * pair : 2 * pair + 2] = windows[starts + 16 * pair].view(np.uint64).reshape(-1, 2)
    shortest, longest = (int(lengths.min()), int(lengths.max())) if len(lengths) else (0, 0)
    for j in range(shortest // 8, 2 * pairs):  # words in which some texts end: their bytes past the end are zeroed
        words[:, j] &= _KEEP_LOW[np.clip(np.arange(longest + 1) - 8 * j, 0, 8)][lengths]
    return words, lengths


def _fixed_words(block: pa.Array, width: int, first: int, pairs: int, out: np.ndarray | None) -> np.ndarray:
    """:func:`_block_words` of texts that all have ``width`` bytes: their bytes are a table, copied text by text."""
    words = np.empty((len(block), 2 * pairs), np.uint64) if out is None else out
    table = words.view(np.uint8).reshape(len(block), 16 * pairs)  # a row's words as bytes (little-endian)
    table[...] = 0
    if width:  # each text copied as one item of `width` bytes (a copy byte by byte is 3 times slower)
        data = np.frombuffer(block.buffers()[2], dtype=np.uint8)[first : first + width * len(block)]
        table[:, :width].view(f"V{width}")[...] = data.reshape(len(block), width).view(f"V{width}")
    return words


def _block_keys(block: pa.Array, n_words: int, lengths_needed: bool) -> list[np.ndarray]:
    """The keys of a block's texts: words (uint64, big-endian bytes zero-padded), then the byte lengths if needed."""
    words, lengths = _block_words(block, n_words)
    keys = [words[:, j].byteswap() for j in range(n_words)]  # big-endian: the words compare as the bytes do
    if lengths_needed:
        keys.append(lengths)
    return keys


def _hash(keys: list[np.ndarray]) -> np.ndarray:
    h = keys[0] * _MIX[0]
    for k, key in enumerate(keys[1:]):
        h ^= key.astype(np.uint64, copy=False)
        h *= _MIX[1 + k % 2]
        h ^= h >> np.uint64(31)
    h *= _MIX[2]
    h ^= h >> np.uint64(29)
    return h


def _exact_labels(keys: list[np.ndarray]) -> np.ndarray:
    """Labels (order of first appearance) of the rows' key tuples, exactly: one key at a time."""
    labels, _ = pd.factorize(keys[0])
    for key in keys[1:]:
        codes, uniques = pd.factorize(key)
        labels, _ = pd.factorize(labels.astype(np.int64) * len(uniques) + codes)
    return labels


def _first_rows(labels: np.ndarray) -> np.ndarray:
    """Positions of the first row of each label (labels numbered in order of first appearance)."""
    return np.flatnonzero(np.diff(np.maximum.accumulate(labels), prepend=-1) > 0)


@dataclass
class _Layout:
    """The rows, block by block, each block's rows in partition order: where each row comes from, and its keys.

    Arrays of all the rows (one allocation each, returned to the system when dropped); ``bounds[k][q]`` is
    where partition ``q`` starts in block ``k``.
    """

    rows: np.ndarray
    keys: list[np.ndarray]
    starts: np.ndarray
    bounds: list[np.ndarray] = field(default_factory=list)
    table: np.ndarray | None = None  # the bounds stacked (blocks x partitions), once every block is placed

    def picks(self, q: int) -> np.ndarray:
        """Positions (in layout order) of the rows of partition ``q``, block after block."""
        if self.table is None:
            self.table = np.stack(self.bounds)
        bounds = self.table
        lo = self.starts[:-1] + bounds[:, q]
        lengths = bounds[:, q + 1] - bounds[:, q]
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(0, np.intp)
        # the ranges [lo, lo + length) one after another: arange(total) shifted by each range's start
        shift = np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
        return (np.arange(total) + shift).astype(np.intp, copy=False)


def _place(layout: _Layout, k: int, block: pa.Array, n_words: int, lengths_needed: bool, bits: int) -> None:
    """Block ``k``: its keys, its rows put in partition order (a stable radix sort of 16-bit partition numbers)."""
    keys = _block_keys(block, n_words, lengths_needed)
    part = (_hash(keys) >> np.uint64(64 - bits)).astype(np.uint16)
    if block.null_count:
        part[~block.is_valid().to_numpy(zero_copy_only=False)] = 1 << bits  # nulls: a partition of their own
    order = np.argsort(part, kind="stable")
    a, b = int(layout.starts[k]), int(layout.starts[k + 1])
    np.add(order, a, out=layout.rows[a:b], casting="unsafe")
    for key, out in zip(keys, layout.keys):
        np.take(key, order, out=out[a:b])
    layout.bounds[k] = np.concatenate([[0], np.cumsum(np.bincount(part, minlength=(1 << bits) + 1))])


def _number(layout: _Layout, labels: np.ndarray, q: int) -> tuple[list[np.ndarray], np.ndarray] | None:
    """Number the rows of partition ``q`` (of every block) into ``labels``; the keys and row of each first row."""
    pick = layout.picks(q)
    if not len(pick):
        return None
    keys = [key[pick] for key in layout.keys]
    local, _ = pd.factorize(_hash(keys))
    first = _first_rows(local)
    if not all(np.array_equal(key, key[first][local]) for key in keys):  # two texts with one hash: by the keys
        local = _exact_labels(keys)
        first = _first_rows(local)
    labels[pick] = local
    return [key[first] for key in keys], layout.rows[pick[first]]


def _by_words(values: pa.ChunkedArray, longest: int, partitions: bool) -> tuple[np.ndarray, pa.Array]:
    """The table way if the texts allow it, else by partitions (``partitions``) or with one hash table.

    ``longest``: the length in bytes of the longest text (at most :data:`MAX_WORD_BYTES`).
    """
    n_words = max(1, -(-longest // 8))
    with ThreadPoolExecutor(workers()) as pool:  # numpy and pandas' hash tables work without the interpreter lock
        step = PIECE_BLOCK
        blocks = [c.slice(s, step) for c in values.chunks for s in range(0, len(c), step) if len(c)]
        by_pieces = _by_pieces(pool, values, blocks, n_words, max(1, -(-longest // 2)))
        if by_pieces is not None:
            return by_pieces
        return _by_words_in(pool, values, n_words) if partitions else _plain(values)


def _pieces(words: np.ndarray, n_pieces: int) -> np.ndarray:
    """The first ``n_pieces`` 16-bit pieces of little-endian words: a view, a column per piece in text order.

    The pieces past the longest text are zero padding in every row, and are left out.
    """
    return words.view(np.uint16)[:, :n_pieces]


def _seen(pieces: np.ndarray) -> np.ndarray:
    """Which of the 65,536 values each piece takes (a row per piece)."""
    seen = np.zeros((pieces.shape[1], 1 << 16), bool)
    for row, piece in zip(seen, pieces.T):
        low, high = int(piece.min()), int(piece.max())
        if low == high:  # a piece every text shares (a prefix, or the padding past the longest)
            row[low] = True
        else:
            row[piece] = True
    return seen


def _table_size(seen: np.ndarray) -> int:
    """The number of keys of the mixed-radix numbering: the product of the values each piece takes."""
    return math.prod(int(c) for c in seen.sum(axis=1))


def _by_pieces(
    pool: ThreadPoolExecutor, values: pa.ChunkedArray, blocks: list[pa.Array], n_words: int, n_pieces: int
) -> tuple[np.ndarray, pa.Array] | None:
    r"""Codes through a table indexed by key, when the texts' pieces take few values each; None otherwise.

    Each text is cut into 16-bit pieces (its bytes two by two, zero-padded); piece :math:`j` takes
    :math:`d_j` distinct values over the column, and the text's key is the mixed-radix number of the ranks
    :math:`r_j` of its pieces, most significant first,

    .. math::

        k = \sum_j r_j \prod_{i > j} d_i ,

    which orders the keys as the texts' bytes (zero padding comes first, and texts hold no NUL byte) and
    tells every two texts apart. Ids such as ``C0001234`` or ``00042`` take few values in each piece, so
    :math:`K = \prod_j d_j` is of the order of the rows, and the codes are a table of :math:`K` flags and
    their running count: no hashing. Used when :math:`K` is at most :data:`TABLE_KEYS_PER_ROW` per row.
    ``n_pieces``: the pieces up to the longest text's end (the others are zero in every row).
    """
    if sys.byteorder != "little" or any(b.null_count for b in blocks) or any(pool.map(_has_nul, blocks)):
        return None
    n = len(values)
    budget = max(TABLE_KEYS_PER_ROW * n, MIN_TABLE_KEYS)
    starts = np.cumsum([0] + [len(b) for b in blocks])
    words = np.empty((n, 2 * -(-n_words // 2)), np.uint64)  # every block's words, in one allocation

    def look(k: int) -> np.ndarray:
        block_words = words[starts[k] : starts[k + 1]]
        _block_words(blocks[k], n_words, out=block_words)
        return _seen(_pieces(block_words, n_pieces))

    seen = look(0)
    if _table_size(seen) > budget:  # the first block alone says no: the ids take too many values per piece
        return None
    for more in pool.map(look, range(1, len(blocks))):
        seen |= more
    size = _table_size(seen)
    if size > budget:
        return None
    counts = seen.sum(axis=1)
    varying = [j for j in range(len(counts)) if counts[j] > 1]
    key_type = np.int32 if size < 2**31 else np.int64
    tables: dict[int, np.ndarray] = {}
    scale = 1
    for j in varying[::-1]:  # the rank of each piece's value (in the order of its 2 bytes), times its place's weight
        rank = np.cumsum(seen[j][_SWAP], dtype=np.int64) - 1  # _SWAP: a piece's value read with its bytes in order
        tables[j] = (rank[_SWAP] * scale).astype(key_type)
        scale *= int(counts[j])
    index_type = np.int32 if n < 2**31 else np.int64
    row_of: np.ndarray = np.full(size, -1, index_type)  # a row of each key present (-1: none)
    keys: np.ndarray = np.zeros(n, key_type)  # in one allocation too

    def number(k: int) -> None:
        a, b = starts[k], starts[k + 1]
        pieces, key = _pieces(words[a:b], n_pieces), keys[a:b]
        for j in varying:  # np.take: a third faster than indexing with the strided 16-bit pieces
            key += np.take(tables[j], pieces[:, j])
        row_of[key] = np.arange(a, b, dtype=index_type)  # threads write rows of one key alike

    list(pool.map(number, range(len(blocks))))
    words = np.zeros((0, 2), np.uint64)  # freed
    present = row_of >= 0
    rank = np.cumsum(present, dtype=key_type)
    rank -= 1
    codes = np.empty(n, np.int64)

    def assign(k: int) -> None:
        codes[starts[k] : starts[k + 1]] = np.take(rank, keys[starts[k] : starts[k + 1]])

    distinct = pool.submit(values.take, pa.array(row_of[present]))
    list(pool.map(assign, range(len(blocks))))
    texts = distinct.result()
    return codes, texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts


def _by_words_in(pool: ThreadPoolExecutor, values: pa.ChunkedArray, n_words: int) -> tuple[np.ndarray, pa.Array]:
    n = len(values)
    blocks = [c.slice(s, _BLOCK) for c in values.chunks for s in range(0, len(c), _BLOCK) if len(c)]
    bits = int(np.clip(np.ceil(np.log2(n / ROWS_PER_PARTITION)), 1, 14))
    lengths_needed = any(pool.map(_has_nul, blocks))  # without NUL bytes, zero-padded words tell texts apart
    offset_type = np.int64 if pa.types.is_large_string(values.type) else np.int32
    index_type = np.int32 if n < 2**31 else np.int64
    layout = _Layout(
        rows=np.empty(n, index_type),
        keys=[np.empty(n, np.uint64) for _ in range(n_words)] + ([np.empty(n, offset_type)] if lengths_needed else []),
        starts=np.cumsum([0] + [len(b) for b in blocks]),
        bounds=[np.zeros(0, np.int64)] * len(blocks),
    )
    # per row (in layout order): its number within its partition, then overall
    labels: np.ndarray = np.empty(n, index_type)
    list(pool.map(lambda k: _place(layout, k, blocks[k], n_words, lengths_needed, bits), range(len(blocks))))
    layout.table = np.stack(layout.bounds)
    numbered = list(pool.map(lambda q: _number(layout, labels, q), range(1 << bits)))
    del layout.keys
    base = 0
    bases = np.zeros((1 << bits) + 1, np.int64)  # the first number of each partition (its labels start at 0)
    first_keys: list[list[np.ndarray]] = [[] for _ in range(n_words + lengths_needed)]
    first_rows = []
    for q, result in enumerate(numbered):
        bases[q] = base
        if result is None:
            continue
        keys, rows = result
        for j, key in enumerate(keys):
            first_keys[j].append(key)
        first_rows.append(rows)
        base += len(rows)
    if base == 0:  # nulls only
        return np.full(n, -1, np.int64), pa.array([], values.type)
    # the distinct texts sorted by their keys: the words in byte order, then (NUL bytes) the lengths
    sort = sort_distinct_keys([np.concatenate(k) for k in first_keys])
    rank = np.empty(base + 1, index_type)
    rank[sort] = np.arange(base)
    rank[-1] = -1  # nulls
    codes = np.empty(n, np.int64)
    parts = np.arange((1 << bits) + 1)

    def assign(k: int) -> None:  # block by block: writes stay in it
        a, b, bounds = layout.starts[k], layout.starts[k + 1], layout.bounds[k]
        number = labels[a:b] + np.repeat(bases[parts], np.diff(bounds))  # the partition's first number added
        number[bounds[1 << bits] :] = -1  # the nulls (the block's last partition)
        codes[layout.rows[a:b]] = rank[number]

    distinct = pool.submit(values.take, pa.array(np.concatenate(first_rows)[sort]))
    list(pool.map(assign, range(len(blocks))))
    texts = distinct.result()
    return codes, texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts


def sort_distinct_keys(keys: list[np.ndarray]) -> np.ndarray:
    """The order of distinct key tuples (``keys[0]`` first, then ``keys[1]``...), as ``np.lexsort(keys[::-1])``.

    One sort by the last key, then a stable pass per earlier key: by radix over its ranks when it takes few
    values (a prefix shared by many ids), else a merge sort.

    Examples
    --------
    >>> keys = [np.array([2, 1, 2, 1], np.uint64), np.array([5, 9, 3, 1], np.uint64)]
    >>> sort_distinct_keys(keys).tolist()
    [3, 1, 2, 0]
    """
    order = np.argsort(keys[-1])  # ties broken below: distinct tuples differ in an earlier key
    for key in keys[-2::-1]:
        ordered = key[order]
        labels, uniques = pd.factorize(ordered)
        if len(uniques) <= 1 << 16:
            rank = np.empty(len(uniques), np.uint16)
            rank[np.argsort(uniques)] = np.arange(len(uniques))
            order = order[np.argsort(rank[labels], kind="stable")]  # numpy sorts 16-bit keys stably by radix
        else:
            order = order[np.argsort(ordered, kind="stable")]
    return order


def sorted_codes(
    values: pa.Array | pa.ChunkedArray, *, partition_rows: int | None = None, longest: int | None = None
) -> tuple[np.ndarray, pa.Array]:
    """The distinct values of a text column in byte order, and per row the position of its value (-1 if null).

    Parameters
    ----------
    values : pyarrow.Array or pyarrow.ChunkedArray
        Text (``string`` or ``large_string``); other types are encoded in one piece.
    partition_rows : int, optional
        Columns with at least this many rows are encoded by partitions (see the module's text) when the table
        way does not apply; default :data:`PARTITION_ROWS`. The table way is tried from :data:`TABLE_ROWS` rows,
        or from ``partition_rows`` if fewer.
    longest : int, optional
        The length in bytes of the longest text, when the caller knows it (measured here otherwise).

    Returns
    -------
    codes : ndarray of int64
        :math:`c_i` such that ``distinct[c_i]`` is the value of row :math:`i`; -1 for a null.
    distinct : pyarrow.Array
        The distinct non-null values, sorted as ``pyarrow.compute.sort_indices`` sorts them.

    Examples
    --------
    >>> import pyarrow as pa
    >>> codes, distinct = sorted_codes(pa.array(["b", "a", None, "b"]))
    >>> codes.tolist(), distinct.to_pylist()
    ([1, 0, -1, 1], ['a', 'b'])
    """
    n = len(values)
    kind = values.type
    limit = PARTITION_ROWS if partition_rows is None else partition_rows
    if n < max(min(limit, TABLE_ROWS), 2) or not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return _plain(values)
    if longest is None:
        longest = pc.max(pc.binary_length(values)).as_py() or 0
    if longest > MAX_WORD_BYTES:
        return _plain(values)
    chunked = values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])
    return _by_words(chunked, longest, partitions=n >= limit)
