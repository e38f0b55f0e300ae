"""Payment details on every share message: the IBAN, the payee, a reference for the
charge and the member, and (where the space enables it) the EPC QR code as an image."""

from __future__ import annotations

from dataclasses import dataclass

from bot.events import Document
from bot.i18n import Localizer, Markup, join
from handlers.fund.banking import epc_qr_png, grouped, share_reference
from storage import Session


@dataclass(frozen=True)
class PayTo:
    """Where a space's members pay their shares."""

    iban: str
    payee: str | None
    qr: bool

    def details(self, loc: Localizer, charge_id: int, member_id: int) -> Markup:
        reference = share_reference(charge_id, member_id)
        if self.payee:
            return loc.t(
                "pay.details", iban=grouped(self.iban), payee=self.payee, reference=reference
            )
        return loc.t("pay.details_no_payee", iban=grouped(self.iban), reference=reference)

    def with_details(self, text: Markup, loc: Localizer, charge_id: int, member_id: int) -> Markup:
        return join([text, self.details(loc, charge_id, member_id)])

    def qr_code(
        self, charge_id: int, member_id: int, amount: int, currency: str
    ) -> Document | None:
        """The EPC QR code of the transfer, for euro shares of a space that enabled it."""
        if not self.qr or not self.payee or currency != "EUR":
            return None
        png = epc_qr_png(self.payee, self.iban, amount, share_reference(charge_id, member_id))
        return Document(f"pay-{charge_id}-{member_id}.png", png, "image/png")


async def pay_to(session: Session, space_id: int) -> PayTo | None:
    """The space's payment details, or None if it has no IBAN."""
    settings = await session.fund.settings(space_id)
    if not settings.iban:
        return None
    return PayTo(settings.iban, settings.payee, settings.epc_qr)
