"""What the fund tests share."""

from __future__ import annotations


def epc_lines(payee: str, iban: str, amount: str, reference: str) -> list[str]:
    """An EPC069-12 (version 002) payload, line by line, as a banking app reads it."""
    return [
        "BCD",  # service tag
        "002",  # version
        "2",  # character set: ISO 8859-1
        "SCT",  # SEPA credit transfer
        "",  # BIC: optional in version 002
        payee,
        iban,
        f"EUR{amount}",
        "",  # purpose
        reference,  # structured reference (ISO 11649)
    ]
