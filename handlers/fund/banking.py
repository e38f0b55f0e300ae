"""Bank details for paying shares: IBANs, payment references and the EPC QR code.

- IBAN: ISO 13616, checked with its mod-97 check digits and the length each SEPA
  country gives it, so a mistyped digit is caught before members copy it.
- Payment reference: an ISO 11649 creditor reference (`RF` + two check digits + up to
  21 letters and digits), the structured reference SEPA transfers carry and banks
  check, made of the charge and the member, so the treasurer matches each transfer on
  the bank statement to its share.
- EPC QR code: the European Payments Council's "SEPA credit transfer" QR (EPC069-12,
  version 002), which banking apps scan to fill in a transfer: made by `segno`
  (`segno.helpers.make_epc_qr`: error correction M, version 13 at most, as the standard
  requires) and sent as a PNG image. It exists for euros only.
"""

from __future__ import annotations

import io
import re
import string
from decimal import Decimal

import segno.helpers

# IBAN lengths of the countries of the SEPA scheme (EPC409-09, the IBAN registry).
SEPA_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}  # fmt: skip
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_DIGITS = {ch: str(i) for i, ch in enumerate(string.digits + string.ascii_uppercase)}
MAX_PAYEE = 70  # the EPC QR's beneficiary name
QR_SCALE = 8  # pixels per module: a version-6 code is 392 px, easy to scan off a screen


def compact_iban(text: str) -> str:
    """As people paste it (`IT60 X054 …`, lower case, `IBAN:` before it) → `IT60X054…`."""
    body = "".join(text.split()).upper()
    return body.removeprefix("IBAN:").removeprefix("IBAN")


def _mod97(text: str) -> int:
    return int("".join(_DIGITS[ch] for ch in text)) % 97


def iban_problem(iban: str) -> str | None:
    """Why `iban` (compact) is not a valid IBAN: "shape", "length" or "check"; else None."""
    if not _IBAN_SHAPE.fullmatch(iban):
        return "shape"
    wanted = SEPA_LENGTHS.get(iban[:2])
    if wanted is not None and len(iban) != wanted:
        return "length"
    if _mod97(iban[4:] + iban[:4]) != 1:
        return "check"
    return None


def grouped(text: str) -> str:
    """In groups of four, as banks print IBANs and references: `IT60 X054 2811 …`."""
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def creditor_reference(body: str) -> str:
    """The ISO 11649 creditor reference for `body` (1 to 21 letters and digits)."""
    body = body.upper()
    if not (1 <= len(body) <= 21 and body.isascii() and body.isalnum()):
        raise ValueError(f"not a creditor reference body: {body!r}")
    check = 98 - _mod97(body + "RF00")
    return f"RF{check:02d}{body}"


def valid_creditor_reference(reference: str) -> bool:
    ref = "".join(reference.split()).upper()
    if not re.fullmatch(r"RF[0-9]{2}[A-Z0-9]{1,21}", ref):
        return False
    return _mod97(ref[4:] + ref[:4]) == 1


def share_reference(charge_id: int, member_id: int) -> str:
    """The reference of one member's share of one charge: `RFxx` + `C<charge>M<member>`."""
    return creditor_reference(f"C{charge_id}M{member_id}")


def epc_qr_png(payee: str, iban: str, minor: int, reference: str) -> bytes:
    """The EPC QR code of a euro transfer of `minor` cents, as a PNG image."""
    qr = segno.helpers.make_epc_qr(
        name=payee[:MAX_PAYEE],
        iban=iban,
        amount=Decimal(minor).scaleb(-2),
        reference=reference,
    )
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=QR_SCALE, border=4)
    return buf.getvalue()
