"""An export as an HTTP answer: CSV streamed as it is read, XLSX from a temporary file, and
for a browser an identifying file inside a zip encrypted with the passphrase typed."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO

from flask import Response, current_app, stream_with_context

from returnees.reports.exports import Export
from returnees.reports.files import csv_chunks, encrypted_zip, write_xlsx

TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
CHUNK = 1024 * 1024


def export_response(export: Export, format: str, passphrase: str = "") -> Response:
    """The file, or the encrypted zip around it when a passphrase is given."""
    name = f"{export.filename}.{format}"
    if format == "csv" and not passphrase:
        return _attachment(stream_with_context(csv_chunks(export.header, export.rows)), name)
    written = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK)  # noqa: SIM115 - streamed
    if format == "csv":
        for chunk in csv_chunks(export.header, export.rows):
            written.write(chunk)
    else:
        sheet_rows = current_app.config["XLSX_SHEET_ROWS"]
        write_xlsx(written, export.filename, export.header, export.rows, sheet_rows)
    if passphrase:
        with written:
            zipped = encrypted_zip(name, written, passphrase)
        return _attachment(_read_and_close(zipped), f"{name}.zip")
    written.seek(0)
    return _attachment(_read_and_close(written), name)


def _attachment(body: Iterator[bytes], name: str) -> Response:
    response = Response(body, content_type=TYPES[name.rsplit(".", 1)[-1]])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _read_and_close(file: IO[bytes]) -> Iterator[bytes]:
    """The file's bytes in pieces; the temporary file goes when the answer is sent."""
    with file:
        while chunk := file.read(CHUNK):
            yield chunk
