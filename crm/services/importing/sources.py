"""The files an import reads: a preview of their start, and their rows one at a time.

A CSV file's rows come through :class:`crm.services.csvfiles.CsvReader` and the mapping; a
vCard file's cards through :mod:`crm.services.vcards`. Either way a source yields
``(row number, {field: text})`` and says how much of the file it has read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm.domain.errors import ValidationError
from crm.services import csvfiles
from crm.services.csvfiles import CsvFormat, CsvReader
from crm.services.importing.mapping import (
    PEOPLE,
    SAMPLE_ROWS,
    check_kind,
    fields_for,
    guess_mapping,
    guess_source,
    is_known_header,
)


# -- preview ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportPreview:
    """What the wizard's mapping page shows: the file's shape, first rows and a guess."""

    path: str
    kind: str
    file_type: str  # "csv" or "vcard"
    format: CsvFormat | None
    header: list[str]
    rows: list[list[str]]
    mapping: dict[str, int]
    source: str
    #: Each preview row's number in the file: the numbers refused rows are reported with.
    row_numbers: tuple[int, ...] = ()

    @property
    def width(self) -> int:
        return max([len(self.header), *(len(r) for r in self.rows)])


def is_vcard(path: Path) -> bool:
    return Path(path).suffix.lower() in (".vcf", ".vcard")


def preview_import(
    path: str | Path,
    kind: str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = None,
    rows: int = 20,
) -> ImportPreview:
    """Read the start of ``path`` and guess how to import it."""
    path = Path(path)
    kind = check_kind(kind)
    if is_vcard(path):
        header = [f.label for f in fields_for(kind)]
        names = [f.name for f in fields_for(kind)]
        sample: list[list[str]] = []
        numbers: list[int] = []
        with _VCardRows(path, kind, encoding) as cards:
            for number, values in cards:
                sample.append([values.get(n, "") for n in names])
                numbers.append(number)
                if len(sample) >= rows:
                    break
        return ImportPreview(
            str(path),
            kind,
            "vcard",
            None,
            header,
            sample,
            {n: i for i, n in enumerate(names)},
            "vCard contacts",
            tuple(numbers),
        )
    fmt = csvfiles.detect_format(
        path,
        encoding=encoding,
        delimiter=delimiter,
        has_header=has_header,
        is_header_name=is_known_header(kind),
    )
    row_numbers: list[int] = []
    header, sample = csvfiles.read_preview(path, fmt, rows, row_numbers)
    mapping = guess_mapping(kind, header, sample) if fmt.has_header else {}
    source = guess_source(kind, header) if fmt.has_header else "A file without a header row"
    return ImportPreview(
        str(path), kind, "csv", fmt, header, sample, mapping, source, tuple(row_numbers)
    )


# -- reading sources ------------------------------------------------------------------------------
class Source:
    """Rows of a file as ``(row number, {field: text})``, with a progress fraction."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        raise NotImplementedError

    @property
    def fraction(self) -> float:
        return 0.0

    def describe(self) -> str:
        return ""


class _CsvSource(Source):
    def __init__(self, path: Path, fmt: CsvFormat, mapping: Mapping[str, int]) -> None:
        self.reader = CsvReader(path, fmt)
        self.mapping = dict(mapping)

    def __enter__(self) -> _CsvSource:
        self.reader.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.reader.__exit__(None, None, None)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        items = list(self.mapping.items())
        for row, cells in self.reader:
            width = len(cells)
            values = {name: cells[i] for name, i in items if i < width}
            yield row, _refused_if_unstorable(values, self.reader.format.encoding)

    @property
    def fraction(self) -> float:
        return self.reader.fraction

    def describe(self) -> str:
        return self.reader.format.describe()


def _refused_if_unstorable(values: dict[str, str], encoding: str) -> dict[str, str]:
    """The row, or a refusal when a cell holds a NUL character: PostgreSQL cannot store one
    and SQLite must not keep what PostgreSQL would refuse. A file full of them is usually
    UTF-16 read as something else, so the reason says so."""
    if not any("\x00" in v for v in values.values()):
        return values
    return {
        "__refuse__": "This row contains a NUL character (\\x00), which cannot be stored"
        + ("; is the file UTF-16? Try --encoding utf-16." if "16" not in encoding else ".")
    }


class _VCardSource(Source):
    def __init__(self, path: Path, kind: str, encoding: str | None) -> None:
        self.cards = _VCardRows(path, kind, encoding)

    def __enter__(self) -> _VCardSource:
        self.cards.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cards.__exit__()

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        return iter(self.cards)

    @property
    def fraction(self) -> float:
        return self.cards.fraction

    def describe(self) -> str:
        return "vCard"


class _VCardRows:
    """The cards of a vCard 2.1/3.0/4.0 file as import rows, read one card at a time."""

    def __init__(self, path: Path, kind: str, encoding: str | None) -> None:
        self.path = Path(path)
        self.kind = kind
        self.encoding = encoding
        self._text: Any = None
        self._counted: csvfiles.CountedText | None = None

    def __enter__(self) -> _VCardRows:
        encoding = csvfiles.check_encoding(self.encoding) if self.encoding else None
        if not encoding:
            with open(self.path, "rb") as fh:
                encoding = csvfiles.detect_encoding(fh.read(csvfiles.SAMPLE_BYTES))
        self._counted = csvfiles.CountedText(self.path, encoding)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._counted is not None:
            self._counted.close()

    @property
    def fraction(self) -> float:
        return self._counted.fraction if self._counted is not None else 0.0

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        from crm.services import vcards

        assert self._counted is not None
        yield from vcards.read_cards(self._counted.text, self.kind, self.path.name)


def open_source(
    path: Path,
    kind: str,
    fmt: CsvFormat | None,
    mapping: Mapping[str, int] | None,
    encoding: str | None = None,
) -> Source:
    if is_vcard(path):
        return _VCardSource(path, kind, encoding or (fmt.encoding if fmt else None))
    if fmt is None:
        fmt = csvfiles.detect_format(path, encoding=encoding, is_header_name=is_known_header(kind))
    if mapping is None:
        if not fmt.has_header:
            raise ValidationError(
                "A file without a header row needs a mapping: say which column holds which "
                "field (for example first_name=1 last_name=2 email=3).",
                field="mapping",
            )
        header, sample = csvfiles.read_preview(path, fmt, SAMPLE_ROWS)
        mapping = guess_mapping(kind, header, sample)
    _check_mapping(kind, mapping)
    return _CsvSource(path, fmt, mapping)


def _check_mapping(kind: str, mapping: Mapping[str, int]) -> None:
    if kind == PEOPLE:
        has_name = ("first_name" in mapping and "last_name" in mapping) or "full_name" in mapping
        if not has_name:
            raise ValidationError(
                "Map the first and last name columns (or a full name column) before importing.",
                field="mapping",
            )
    elif "name" not in mapping:
        raise ValidationError("Map the organisation name column before importing.", field="mapping")
