"""Byte streams of a text file: bounded decompression, the encoding of the whole file, whitespace fields.

* :func:`open_bytes` gives the file's bytes, decompressed for ``.gz``; a compressed file may expand to
  at most ``max_expansion`` times its size (:class:`ExpansionLimit` is raised past it), so a small
  compression bomb cannot fill the memory.
* :func:`classify_encoding` reads the whole file once and says how it is encoded: UTF-8, a one-byte
  code page (cp1252, or Latin-1 where cp1252 has holes), or *mixed* -- lines of UTF-8 and lines of a
  code page, as when two exports are pasted together. :class:`PerLineDecoder` then decodes each line in
  its own encoding.
* :class:`WhitespaceFields` turns fields separated by runs of spaces (the original CDNOW files) into
  comma-separated ones, line by line.
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from crmlib.data.paths import FileSource

__all__ = [
    "EncodingReport",
    "ExpansionLimit",
    "PerLineDecoder",
    "WhitespaceFields",
    "classify_encoding",
    "open_bytes",
]

_CHUNK = 1 << 20
# bytes cp1252 leaves undefined: a file holding them is Latin-1
_CP1252_HOLES = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_NON_ASCII_LINE = re.compile(rb"^[^\n]*[\x80-\xff]", re.MULTILINE)


class ExpansionLimit(Exception):
    """A compressed file expanded past its limit; ``read`` bytes were produced before reading stopped."""

    def __init__(self, read: int, limit: int) -> None:
        super().__init__(f"expanded past {limit} bytes")
        self.read = read
        self.limit = limit


class _Limited(io.RawIOBase):
    """A readable stream that raises :class:`ExpansionLimit` once more than ``limit`` bytes came out."""

    def __init__(self, inner: BinaryIO, limit: int) -> None:
        self.inner = inner
        self.limit = limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.inner.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise ExpansionLimit(self.count, self.limit)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


def open_bytes(src: FileSource, max_expansion: float) -> BinaryIO:
    r"""The bytes of ``src`` as a stream: decompressed (bounded by ``max_expansion``) for a gzip file.

    Examples
    --------
    >>> import gzip, tempfile
    >>> from crmlib.data.paths import file_source
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with gzip.open(f"{folder}/orders.csv.gz", "wb") as fh:
    ...         _ = fh.write(b"customer_id,date,amount\nA,2024-01-02,10\n")
    ...     with open_bytes(file_source(f"{folder}/orders.csv.gz"), max_expansion=100) as stream:
    ...         print(stream.read().decode())
    customer_id,date,amount
    A,2024-01-02,10
    """
    if src.compression == "gzip":
        limit = int(max(src.size * max_expansion, 1 << 24))  # 16 MB expanded is harmless
        return io.BufferedReader(_Limited(cast(BinaryIO, gzip.open(src.path, "rb")), limit), buffer_size=_CHUNK)
    return open(src.path, "rb")


def read_head(stream: BinaryIO, *, minimum: int = 1 << 16, cap: int = 1 << 24) -> tuple[bytes, bool]:
    """The first bytes of a stream: at least ``minimum``, more until three line ends (up to ``cap``).

    Returns the bytes and whether the stream ended within them.
    """
    head = stream.read(minimum)
    ended = len(head) < minimum
    while not ended and head.count(b"\n") < 3 and len(head) < cap:
        more = stream.read(len(head))
        ended = len(more) < len(head)
        head += more
    return head, ended


@dataclass
class EncodingReport:
    """How a whole file is encoded: ``encoding`` is a codec name, or ``"mixed"``."""

    encoding: str
    fallback: str = "cp1252"
    utf8_lines: int = 0
    other_lines: int = 0
    first_utf8_line: int = 0
    first_other_line: int = 0
    examples: list[bytes] = field(default_factory=list)


def _whole_lines(stream: BinaryIO):
    """The stream in chunks of whole lines, with the number of lines before each chunk."""
    line_no, rest = 0, b""
    while True:
        chunk = stream.read(_CHUNK)
        data = rest + chunk
        if chunk:
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            data, rest = data[:cut], data[cut:]
        if data:
            yield line_no, data
            line_no += data.count(b"\n")
        if not chunk:
            return


def _count_lines(report: EncodingReport, line_no: int, data: bytes) -> bool:
    """Count the chunk's non-ASCII lines as UTF-8 or not; True if a line holds bytes cp1252 leaves undefined."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        lines = _NON_ASCII_LINE.findall(data)
        if lines:
            report.utf8_lines += len(lines)
            match = _NON_ASCII_LINE.search(data)
            first = match.start() if match else 0
            report.first_utf8_line = report.first_utf8_line or line_no + data.count(b"\n", 0, first) + 1
        return False
    holes = False
    for k, line in enumerate(data.split(b"\n")):
        if not _NON_ASCII.search(line):
            continue
        try:
            line.decode("utf-8")
            report.utf8_lines += 1
            report.first_utf8_line = report.first_utf8_line or line_no + k + 1
        except UnicodeDecodeError:
            report.other_lines += 1
            report.first_other_line = report.first_other_line or line_no + k + 1
            holes = holes or _CP1252_HOLES.search(line) is not None
            if len(report.examples) < 3:
                report.examples.append(line[:80])
    return holes


def classify_encoding(stream: BinaryIO) -> EncodingReport:
    r"""Read the whole stream (in chunks) and say how it is encoded.

    A line that is valid UTF-8 and holds non-ASCII characters counts as UTF-8; a line that is not
    valid UTF-8 as a code page. Both kinds in one file: ``"mixed"``.

    Examples
    --------
    >>> classify_encoding(io.BytesIO("id,name\n1,Zoë\n".encode("utf-8"))).encoding
    'utf-8'
    >>> classify_encoding(io.BytesIO("id,name\n1,Zoë\n".encode("cp1252"))).encoding
    'cp1252'
    >>> report = classify_encoding(io.BytesIO("1,Zoë\n".encode("utf-8") + "2,Chloë\n".encode("cp1252")))
    >>> report.encoding, report.utf8_lines, report.other_lines
    ('mixed', 1, 1)
    """
    report = EncodingReport(encoding="utf-8")
    holes = False
    for line_no, data in _whole_lines(stream):
        holes = _count_lines(report, line_no, data) or holes
    report.fallback = "latin-1" if holes else "cp1252"
    if report.other_lines == 0:
        report.encoding = "utf-8"
    elif report.utf8_lines == 0:
        report.encoding = report.fallback
    else:
        report.encoding = "mixed"
    return report


class _Transform(io.RawIOBase):
    """A readable stream of ``transform(lines)`` over whole lines of ``inner``."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self._out = b""
        self._rest = b""
        self._done = False
        self._first = True

    def readable(self) -> bool:
        return True

    def transform(self, data: bytes, first: bool) -> bytes:  # pragma: no cover - overridden
        raise NotImplementedError

    def _fill(self, size: int) -> None:
        while len(self._out) < size and not self._done:
            chunk = self.inner.read(_CHUNK)
            data = self._rest + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                data, self._rest = data[:cut], data[cut:]
            else:
                self._done, self._rest = True, b""
            if data:
                self._out += self.transform(data, self._first)
                self._first = False

    def readinto(self, buffer) -> int:
        self._fill(len(buffer))
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def close(self) -> None:
        self.inner.close()
        super().close()


class PerLineDecoder(_Transform):
    r"""UTF-8 bytes of a file whose lines are UTF-8 or ``fallback`` (each line decoded in its own).

    Examples
    --------
    Two exports pasted together, one in UTF-8 and one in cp1252:

    >>> data = "1,Zoë\n".encode("utf-8") + "2,Chloë\n".encode("cp1252")
    >>> PerLineDecoder(io.BytesIO(data), "cp1252").read().decode("utf-8")
    '1,Zoë\n2,Chloë\n'
    """

    def __init__(self, inner: BinaryIO, fallback: str) -> None:
        super().__init__(inner)
        self.fallback = fallback

    def transform(self, data: bytes, first: bool) -> bytes:
        """Whole lines as UTF-8: valid ones as they are, the others decoded from the fallback."""
        try:
            data.decode("utf-8")
            return data
        except UnicodeDecodeError:
            pass
        out = []
        for line in data.splitlines(keepends=True):
            try:
                line.decode("utf-8")
                out.append(line)
            except UnicodeDecodeError:
                out.append(line.decode(self.fallback, errors="replace").encode("utf-8"))
        return b"".join(out)


class Transcoder(_Transform):
    """UTF-8 bytes of a file in another encoding (UTF-16, cp1252...), decoded incrementally."""

    def __init__(self, inner: BinaryIO, encoding: str) -> None:
        super().__init__(inner)
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="replace")

    def _fill(self, size: int) -> None:
        while len(self._out) < size and not self._done:
            chunk = self.inner.read(_CHUNK)
            if not chunk:
                self._done = True
            self._out += self.decoder.decode(chunk, final=not chunk).encode("utf-8")


_SPACES_AROUND_EOL = re.compile(rb"[ \t]*(\r?\n)[ \t]*")
_SPACES = re.compile(rb"[ \t]+")


class WhitespaceFields(_Transform):
    r"""Comma-separated lines from lines whose fields are separated by runs of spaces or tabs.

    Examples
    --------
    >>> data = b"00001 19970101  1   11.77\n00001  19970118 2 29.33\n"
    >>> print(WhitespaceFields(io.BytesIO(data)).read().decode())
    00001,19970101,1,11.77
    00001,19970118,2,29.33
    """

    def transform(self, data: bytes, first: bool) -> bytes:
        """Whole lines: spaces at both ends dropped, runs of spaces inside made one comma."""
        data = data.lstrip(b" \t")  # every chunk starts at the start of a line
        data = _SPACES_AROUND_EOL.sub(b"\n", data)
        return _SPACES.sub(b",", data)


def whitespace_lines(lines: list[str]) -> list[str]:
    """Text lines with runs of spaces or tabs turned into commas (for sniffing a head)."""
    return [re.sub(r"[ \t]+", ",", ln.strip()) for ln in lines]
