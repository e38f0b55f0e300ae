"""CSV files people open in a spreadsheet: one convention for every export.

UTF-8 with a byte order mark (without it Excel shows accented names as mojibake), CRLF
line ends, and the separators of the reader's language, so that a double click opens
the file in columns: Italian and German Excel and LibreOffice split fields on `;` and
read `12,50` as a number, English ones split on `,` and read `12.50`. Dates are ISO, which every
spreadsheet reads; text that starts like a formula is kept from running as one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_COMMA_DECIMALS = {"it", "de"}


def cell(text: str) -> str:
    """User text as a spreadsheet cell: a leading `=`, `+`, `-` or `@` would be a formula."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def decimal(plain: str, lang: str) -> str:
    """A plain number (`1234.56`, from `plain_amount`) as the reader's spreadsheet takes
    it: `1234.56` or `1234,56`."""
    return plain.replace(".", ",") if lang in _COMMA_DECIMALS else plain


def table(header: Sequence[str], rows: Iterable[Sequence[object]], lang: str) -> bytes:
    buffer = io.StringIO()
    separator = ";" if lang in _COMMA_DECIMALS else ","
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")
