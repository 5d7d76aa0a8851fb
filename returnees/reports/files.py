"""Export files: CSV streamed in bounded memory, XLSX written row by row (openpyxl's write-only
mode) onto further sheets past a sheet's limit, an AES-encrypted zip for a browser download,
and the guard that keeps a spreadsheet from running what a cell says."""

from __future__ import annotations

import csv
import enum
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import IO, Any

import pyzipper
from openpyxl import Workbook

# The most rows a sheet holds (Excel, LibreOffice); each sheet repeats the header row. The
# exports write sheets of the setting XLSX_SHEET_ROWS, this number unless a test lowers it.
XLSX_SHEET_ROWS = 1_048_576
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH_ROWS = 1_000


def cell(value: Any) -> Any:
    """A value as a spreadsheet cell: text that a spreadsheet would read as a formula starts
    with an apostrophe; times in ISO 8601 (UTC); enums by their value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The file in pieces of CSV_BATCH_ROWS rows: memory holds one piece, whatever the count."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # spreadsheets then read the accents as UTF-8
    writer.writerow(header)
    for number, row in enumerate(rows, start=1):
        writer.writerow([cell(value) for value in row])
        if number % CSV_BATCH_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def write_xlsx(
    target: IO[bytes],
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    sheet_rows: int = XLSX_SHEET_ROWS,
) -> int:
    """Write the rows to `target` as a workbook, continuing on "title 2", "title 3", ... past
    `sheet_rows` a sheet (the header included); the number of sheets."""
    if not 2 <= sheet_rows <= XLSX_SHEET_ROWS:
        raise ValueError(f"a sheet holds between 2 and {XLSX_SHEET_ROWS:,} rows, not {sheet_rows}")
    book = Workbook(write_only=True)
    sheet, used, sheets = None, sheet_rows, 0
    for row in rows:
        if used == sheet_rows:
            sheets += 1
            sheet = book.create_sheet(title if sheets == 1 else f"{title} {sheets}")
            sheet.append(list(header))
            used = 1
        sheet.append([cell(value) for value in row])
        used += 1
    if sheet is None:
        book.create_sheet(title).append(list(header))
        sheets = 1
    book.save(target)
    return sheets


def encrypted_zip(name: str, source: IO[bytes], passphrase: str) -> IO[bytes]:
    """The file inside a zip encrypted with AES-256 under the passphrase (a temporary file,
    read from its start)."""
    source.seek(0)
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned
    with pyzipper.AESZipFile(
        target, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(passphrase.encode())
        with archive.open(name, "w") as member:
            while chunk := source.read(1024 * 1024):
                member.write(chunk)
    target.seek(0)
    return target
