"""Reading CSV files as people really have them: any common encoding, delimiter and preamble.

A file exported by Outlook, Google Contacts, LinkedIn or saved from Excel may be UTF-8 with or
without a byte-order mark, UTF-16, or Windows-1252; use commas, semicolons or tabs; start with
a few lines of notes (LinkedIn does) or have no header at all; and hold quoted newlines.
:func:`detect_format` looks at the first megabyte once; :class:`CsvReader` then streams every
row with its spreadsheet row number, so memory stays flat however long the file is.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from charset_normalizer import from_bytes

from crm.domain.errors import ValidationError

log = logging.getLogger(__name__)

SAMPLE_BYTES = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
# Notes fields can be long; the csv module's default limit (128 KiB) would refuse them.
FIELD_SIZE_LIMIT = 16 * 1024 * 1024
# Single-byte Western encodings charset-normalizer may name for a UK file; Excel on Windows
# writes Windows-1252, which is a superset of Latin-1 for printable text.
_WESTERN = {
    "cp1252",
    "windows-1252",
    "latin_1",
    "iso8859_1",
    "iso8859_15",
    "cp1250",
    "iso8859_2",
    "cp850",
    "mac_roman",
    "cp437",
}


@dataclass(frozen=True)
class CsvFormat:
    """How to read a CSV file: text encoding, delimiter, header row, records before it."""

    encoding: str
    delimiter: str
    has_header: bool = True
    skip_records: int = 0  # notes or blank lines before the header (LinkedIn exports)

    def describe(self) -> str:
        parts = [
            encoding_name(self.encoding),
            DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter)) + "-separated",
            "with a header row" if self.has_header else "without a header row",
        ]
        if self.skip_records:
            lines = "line" if self.skip_records == 1 else "lines"
            parts.append(f"skipping {self.skip_records} {lines} of notes first")
        return ", ".join(parts)


# What people call the encodings Python names ("utf-8-sig" means nothing to a recruiter).
ENCODING_NAMES = {
    "utf-8-sig": "UTF-8 (with a byte-order mark)",
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "cp1252": "Windows-1252 (Western European)",
}


def encoding_name(encoding: str) -> str:
    """'utf-8-sig' -> 'UTF-8 (with a byte-order mark)'; unknown names in capitals."""
    key = encoding.lower().replace("_", "-")
    return ENCODING_NAMES.get(key, encoding.upper())


def detect_encoding(data: bytes) -> str:
    """The encoding of ``data`` (the start of a file): BOMs first, then UTF-8, then a guess."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _is_utf8(data):
        return "utf-8"
    # UTF-16 without a BOM: every other byte of ASCII text is NUL.
    head = data[:4096]
    if head and head.count(0) > len(head) // 4:
        return "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
    best = from_bytes(data[: 256 * 1024]).best()
    guess = best.encoding if best is not None else "cp1252"
    if guess.replace("-", "_").lower() in _WESTERN or guess.lower() in _WESTERN:
        # A UK spreadsheet in a single-byte encoding is Windows-1252 in practice; the near
        # relatives charset-normalizer may name differ only in characters nobody here uses.
        try:
            data.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return guess
    return guess


def _is_utf8(data: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # final=False: a sample cut in the middle of a character is still UTF-8.
        decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _records(text: str, delimiter: str, limit: int = 200) -> list[list[str]]:
    # Drop the last line of a sample: it may be cut short.
    cut = text.rfind("\n")
    if 0 < cut < len(text) - 1:
        text = text[: cut + 1]
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def _score(text: str, delimiter: str) -> tuple[int, int]:
    """How well ``delimiter`` splits the sample: rows of the commonest width, and that width."""
    widths = Counter(len(r) for r in _records(text, delimiter) if any(c.strip() for c in r))
    if not widths:
        return (0, 0)
    width, count = widths.most_common(1)[0]
    if width <= 1:
        return (0, 1)
    return (count, width)


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV sample: csv.Sniffer's answer if it splits the rows consistently,
    else whichever candidate gives the most rows of equal width."""
    scores = {d: _score(text, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: scores[d])  # ties keep the earlier, commoner one
    try:
        sniffed = csv.Sniffer().sniff(text[:65536], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in scores and scores[sniffed] == scores[best]:
        return sniffed
    return best


def _preamble(rows: list[list[str]]) -> int:
    """Records before the real header: blank lines, and one-cell notes above a wider table."""
    widths = Counter(len(r) for r in rows if any(c.strip() for c in r))
    width = widths.most_common(1)[0][0] if widths else 1
    skip = 0
    for row in rows[:20]:
        filled = [c for c in row if c.strip()]
        if not filled or (width > 1 and len(filled) <= 1 and len(row) < width):
            skip += 1
            continue
        break
    return skip if skip < len(rows) else 0


def _looks_like_header(row: list[str], is_header_name: Callable[[str], bool] | None) -> bool:
    if is_header_name is not None and any(is_header_name(c) for c in row):
        return True
    if any("@" in c or any(ch.isdigit() for ch in c) for c in row):
        return False
    # No known column name and nothing that looks like data: a header we cannot read.
    return is_header_name is None


def detect_format(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = None,
    is_header_name: Callable[[str], bool] | None = None,
) -> CsvFormat:
    """Work out how to read ``path``; any argument given is taken as it is.

    ``is_header_name`` says whether a cell is a column name the caller knows; a first row
    with one of those is a header row.
    """
    try:
        with open(path, "rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror or exc}.", field="file") from None
    if not sample.strip():
        raise ValidationError(f"{Path(path).name} is empty.", field="file")
    encoding = check_encoding(encoding) if encoding else detect_encoding(sample)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
    delimiter = _check_delimiter(delimiter) if delimiter else sniff_delimiter(text)
    rows = _records(text, delimiter, limit=60)
    skip = _preamble(rows)
    if has_header is None:
        first = rows[skip] if len(rows) > skip else []
        has_header = _looks_like_header(first, is_header_name)
    fmt = CsvFormat(encoding, delimiter, has_header, skip)
    log.info("%s: %s", path, fmt.describe())
    return fmt


def check_encoding(name: str) -> str:
    """The codec name for ``name``, refused unless it decodes bytes into text."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        raise ValidationError(f"{name!r} is not a text encoding.", field="encoding") from None
    # rot13, base64, zlib... are codecs too, but between str and str or bytes and bytes.
    if not getattr(info, "_is_text_encoding", True):
        raise ValidationError(f"{name!r} is not a text encoding.", field="encoding")
    return info.name if name.lower() not in ("utf-8-sig", "utf_8_sig") else name


def _check_delimiter(text: str) -> str:
    named = {
        "tab": "\t",
        "\\t": "\t",
        "comma": ",",
        "semicolon": ";",
        "pipe": "|",
        "bar": "|",
    }
    value = named.get(text.lower(), text)
    if len(value) != 1:
        raise ValidationError(
            f"{text!r} is not a delimiter: give one character, or tab, comma or semicolon.",
            field="delimiter",
        )
    return value


class _CountingReader(io.RawIOBase):
    """Counts the bytes the text layer has pulled from the file, for a progress fraction."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.consumed += n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


class CountedText:
    """A text file opened for streaming, knowing how far through it reading has got."""

    def __init__(self, path: Path, encoding: str) -> None:
        try:
            raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise ValidationError(
                f"Cannot read {path}: {exc.strerror or exc}.", field="file"
            ) from None
        self.size = max(1, Path(path).stat().st_size)
        self._counter = _CountingReader(raw)
        buffered = io.BufferedReader(self._counter, buffer_size=256 * 1024)
        self.text = io.TextIOWrapper(buffered, encoding=encoding, newline="")

    @property
    def fraction(self) -> float:
        return min(1.0, self._counter.consumed / self.size)

    def close(self) -> None:
        self.text.close()


class CsvReader:
    """Streams the rows of a CSV file with their spreadsheet row numbers.

    Use as a context manager; ``header`` holds the header cells (or ``Column 1``... when the
    file has none) and iterating yields ``(row_number, cells)`` for each non-blank data row.
    Row numbers count records as a spreadsheet shows them (the header is row 1 when it is the
    first line), so a refusal can say "row 17" and the user finds it.
    """

    def __init__(self, path: Path, fmt: CsvFormat) -> None:
        self.path = Path(path)
        self.format = fmt
        self.header: list[str] = []
        self._file: CountedText | None = None
        self._reader: Any = None
        self._row = 0
        self._first: list[str] | None = None

    def __enter__(self) -> CsvReader:
        csv.field_size_limit(max(csv.field_size_limit(), FIELD_SIZE_LIMIT))
        self._file = CountedText(self.path, self.format.encoding)
        self._reader = csv.reader(self._file.text, delimiter=self.format.delimiter)
        for _ in range(self.format.skip_records):
            if self._next() is None:
                break
        if self.format.has_header:
            self.header = [c.strip() for c in self._next() or []]
        else:
            self._first = self._next()
            width = len(self._first or [])
            self.header = [f"Column {i}" for i in range(1, width + 1)]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()

    def _next(self) -> list[str] | None:
        try:
            row: list[str] = next(self._reader)
        except StopIteration:
            return None
        except UnicodeDecodeError:
            raise ValidationError(
                f"{self.path.name} is not {encoding_name(self.format.encoding)} text after row "
                f"{self._row}; "
                "choose its encoding (for example utf-8, cp1252 or utf-16).",
                field="encoding",
            ) from None
        except csv.Error as exc:
            raise ValidationError(
                f"{self.path.name} cannot be read as CSV at row {self._row + 1}: {exc}.",
                field="file",
            ) from None
        self._row += 1
        return row

    @property
    def fraction(self) -> float:
        """How far through the file reading has got, from 0 to 1."""
        return self._file.fraction if self._file is not None else 0.0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        if self._first is not None:
            first, self._first = self._first, None
            if _filled(first):
                yield self._row, first
        while True:
            row = self._next()
            if row is None:
                return
            if _filled(row):
                yield self._row, row


def _filled(row: list[str]) -> bool:
    """Whether any cell of ``row`` holds more than whitespace."""
    # The same as any(c.strip() for c in row), without a generator for every row.
    return bool("".join(row).strip())


def read_preview(
    path: Path, fmt: CsvFormat, rows: int = 20, numbers: list[int] | None = None
) -> tuple[list[str], list[list[str]]]:
    """The header and the first ``rows`` data rows, for the mapping screen; ``numbers``, if
    given, receives each row's number in the file (the numbers refusals are reported with)."""
    with CsvReader(path, fmt) as reader:
        out: list[list[str]] = []
        for number, cells in reader:
            out.append(cells)
            if numbers is not None:
                numbers.append(number)
            if len(out) >= rows:
                break
        header = reader.header
    width = max([len(header), *(len(r) for r in out)])
    if not fmt.has_header:
        header = [f"Column {i}" for i in range(1, width + 1)]
    return header, out


def with_header(fmt: CsvFormat, has_header: bool) -> CsvFormat:
    return replace(fmt, has_header=has_header)
