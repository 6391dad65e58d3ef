"""Reading a roster file (or another MIS export, such as the contacts): the CSV a school's MIS
exports (SIMS, Arbor, Bromcom and similar), in whatever encoding and delimiter it came in,
with its header row found below any title rows. Pure: touches no database."""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.errors import InvalidInput
from kiosk.services.roster_columns import ROSTER, FieldSet

MAX_FILE_BYTES = 20_000_000
MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class SourceRow:
    line: int  # where the row starts in the file (1-based), as a spreadsheet numbers it
    cells: tuple[str, ...]


@dataclass(frozen=True)
class RawTable:
    headers: tuple[str, ...]
    rows: tuple[SourceRow, ...]
    encoding: str
    delimiter: str
    header_line: int | None  # None when no header row was recognised
    sha256: str

    def cell(self, row: SourceRow, column: int) -> str:
        return row.cells[column] if column < len(row.cells) else ""


_INVISIBLE = str.maketrans({"\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\xa0": " "})
_EXCEL_TEXT = re.compile(r'^="(.*)"$')  # ="001234": Excel's way of keeping leading zeros


_C1_CONTROLS = re.compile("[\x80-\x9f]")


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV export and the name of its encoding. UTF-8 (with or without a
    BOM) is tried first: Windows-1252 bytes above 0x7F are almost never valid UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "UTF-8 with BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _refuse_mixed_encodings(data, exc.start)
    else:
        return _utf8_or_by_chance(data, text)
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "ISO-8859-1"


def _utf8_or_by_chance(data: bytes, text: str) -> tuple[str, str]:
    """Valid UTF-8 can be so by chance: Windows-1252's "Â" then "Ÿ" are the bytes of
    U+009F, a control character no roster holds. Such a file is read as Windows-1252."""
    if _C1_CONTROLS.search(text):
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode("cp1252"), "Windows-1252"
    return text, "UTF-8"


# A well-formed UTF-8 sequence for a letter beyond ASCII: in a file that is really
# Windows-1252, two such bytes side by side ("Ã©") are almost never meant. C2 80-9F are
# UTF-8's C1 control characters, no letter: Windows-1252's "Â" then "Ÿ" (or "€"...).
_UTF8_LETTER = re.compile(
    rb"\xc2[\xa0-\xbf]|[\xc3-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _refuse_mixed_encodings(data: bytes, bad_at: int) -> None:
    """A file that is UTF-8 but for a stray byte is refused with the line of that byte:
    decoding all of it as Windows-1252 would silently turn every "Zoë" into "ZoÃ«"."""
    if _UTF8_LETTER.search(data):
        line = data.count(b"\n", 0, bad_at) + 1
        raise InvalidInput(
            f"Line {line} of the file has a character that is not UTF-8, although the rest "
            "of the file is UTF-8 (a mix of text encodings). Correct that line, or save the "
            "file again from the MIS as 'CSV UTF-8', then import it."
        )


def clean_cell(value: str) -> str:
    value = unicodedata.normalize("NFC", value.translate(_INVISIBLE)).strip()
    excel = _EXCEL_TEXT.match(value)
    if excel:
        value = excel.group(1)
    return " ".join(value.split())


def _refuse_non_csv(data: bytes) -> None:
    if not data.strip():
        raise InvalidInput("The file is empty.")
    if data.startswith(b"PK\x03\x04"):
        raise InvalidInput(
            "This is an Excel workbook, not a CSV file. In Excel choose File > Save As > "
            "'CSV UTF-8 (Comma delimited)', then import that file."
        )
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InvalidInput("This is not a text (CSV) file.")


def _records(text: str, delimiter: str, noun: str) -> list[SourceRow]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    rows: list[SourceRow] = []
    start = 1
    try:
        for cells in reader:
            cleaned = tuple(clean_cell(c) for c in cells)
            if any(cleaned):
                rows.append(SourceRow(start, _trim(cleaned)))
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise InvalidInput(
                f"Line {start} of the file has a cell far too long to be a {noun} value "
                f"(over {csv.field_size_limit():,} characters): is it the right file?"
            ) from exc
        raise InvalidInput(f"Line {start} of the file cannot be read as CSV ({exc}).") from exc
    return rows


def _trim(cells: tuple[str, ...]) -> tuple[str, ...]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _guess_delimiter(text: str) -> str:
    """The candidate that splits the first lines into the most columns (commas win ties).
    Not csv.Sniffer: it can take the apostrophe in O'Brien for a quote character."""
    sample = "\n".join(text.splitlines()[:30])
    best, best_width = ",", 0
    for candidate in (",", ";", "\t", "|"):
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=candidate))
        except csv.Error:  # e.g. a cell over the csv module's size limit: not this one
            continue
        widths = sorted(len(r) for r in rows if r)
        width = widths[len(widths) // 2] if widths else 0
        if width > best_width:
            best, best_width = candidate, width
    return best


def _header_score(cells: Sequence[str], fields: FieldSet[Any]) -> int:
    return len({hit[0] for c in cells if (hit := fields.rank(c)) is not None})


def read_roster(data: bytes, fields: FieldSet[Any] = ROSTER) -> RawTable:
    """Decode and split a CSV export; find its header row (MIS reports may put a title
    and blank lines above it) by the header names of ``fields``. Raises InvalidInput with
    plain words when it cannot."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"The file is too large to be a {fields.noun} (over 20 MB).")
    _refuse_non_csv(data)
    text, encoding = decode_text(data)
    delimiter = _guess_delimiter(text)
    rows = _records(text, delimiter, fields.noun)
    if not rows:
        raise InvalidInput("The file is empty.")
    scores = [_header_score(r.cells, fields) for r in rows[:HEADER_SEARCH_ROWS]]
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    if scores[best] >= 2:
        header_row, data_rows = rows[best], rows[best + 1 :]
        headers = header_row.cells
        header_line: int | None = header_row.line
    else:
        headers, data_rows, header_line = (), rows, None
    width = max([len(headers), *(len(r.cells) for r in data_rows)])
    headers = tuple(h or f"Column {i + 1}" for i, h in enumerate(headers)) + tuple(
        f"Column {i + 1}" for i in range(len(headers), width)
    )
    if len(data_rows) > MAX_ROWS:
        raise InvalidInput(f"The file has more than {MAX_ROWS} rows: is it the right file?")
    digest = hashlib.sha256(data).hexdigest()
    return RawTable(headers, tuple(data_rows), encoding, delimiter, header_line, digest)


def load_roster_file(path: Path, fields: FieldSet[Any] = ROSTER) -> RawTable:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InvalidInput(f"The file is too large to be a {fields.noun} (over 20 MB).")
        return read_roster(path.read_bytes(), fields)
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path.name}: {exc.strerror or exc}.") from exc
