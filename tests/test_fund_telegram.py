"""The fund on Telegram: receipts sent as a photo or a file with the command as caption,
fetched with getFile, and the payment QR code sent as a photo, through the real
python-telegram-bot transport against the fake Bot API server."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from tests.support.fake_telegram import FakeChat, FakeLimits, FakeTelegram, FakeUser, TelegramBot
from tests.support.fund import epc_lines

pytestmark = [
    pytest.mark.http,
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning"),
]

SPEED = 20
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40  # a receipt's photo
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(limits=FakeLimits().faster(SPEED))
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def tg(server: FakeTelegram, tmp_path: Path) -> AsyncIterator[TelegramBot]:
    bot = await TelegramBot(server, tmp_path, speed=SPEED).start()
    yield bot
    await bot.stop()


async def space(tg: TelegramBot, server: FakeTelegram) -> tuple[FakeUser, FakeUser, FakeChat]:
    anna = server.user("Anna", "Verdi", username="anna_v")
    bruno = server.user("Bruno", "Rossi")
    group = server.group("Coworking Veglio", creator=anna, members=(bruno,))
    await tg.say(anna, "/setup Veglio", group)
    await tg.say(anna, "/set join open", group)
    await tg.say(bruno, "/join", group)
    await tg.say(anna, "/cost add Heating 120 monthly 25", group)
    return anna, bruno, group


async def stored(tg: TelegramBot) -> tuple[int, int]:
    """(fund entries, receipts): what a refused command must leave as it was."""
    entries = await tg.fetchval("SELECT COUNT(*) FROM fund_entries")
    receipts = await tg.fetchval("SELECT COUNT(*) FROM receipts")
    return int(entries), int(receipts)


async def test_a_photo_with_bill_as_its_caption_is_kept_as_the_receipt(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, _, _ = await space(tg, server)
    sent = await tg.send_file(anna, "/bill Heating 120 boiler check", photo=JPEG)
    assert len(sent) == 1
    assert sent[0].text.startswith("Bill #1: €120.00 paid from the fund for Heating on")
    assert "Receipt #1 saved (photo-" in sent[0].text
    # The picture as sent, not one of the thumbnails before it in `photo`.
    row = (await tg.fetchall("SELECT content, mime_type, size, sent_by FROM receipts"))[0]
    assert bytes(row[0]) == JPEG and row[1] == "image/jpeg" and row[2] == len(JPEG)
    assert list(server.downloads.values()) == [1]
    bill = await tg.fetchall("SELECT kind, amount, note, receipt_id FROM fund_entries")
    assert [tuple(r) for r in bill] == [("bill", 12000, "boiler check", 1)]

    # Anyone in the space gets it back, privately, as a file.
    back = await tg.say(anna, "/receipt 1")
    assert back[0].method == "sendDocument" and back[0].document is not None
    assert back[0].document[1] == JPEG
    assert back[0].text.startswith("Receipt #1: boiler check,")


async def test_a_pdf_sent_as_a_file_with_spent(tg: TelegramBot, server: FakeTelegram) -> None:
    _, bruno, _ = await space(tg, server)
    sent = await tg.send_file(
        bruno, "/spent 18,40 pellets", document=("fattura 12.pdf", PDF, "application/pdf")
    )
    reply = next(s for s in sent if s.chat_id == bruno.id)
    assert "Receipt #1 saved (fattura 12.pdf)" in reply.text
    row = (await tg.fetchall("SELECT content, mime_type, filename FROM receipts"))[0]
    assert (bytes(row[0]), row[1], row[2]) == (PDF, "application/pdf", "fattura 12.pdf")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            ("notes.docx", b"PK\x03\x04" + b"x" * 500, "application/vnd.openxmlformats"),
            "isn't a photo",
        ),
        # Says it is a PDF; its bytes say otherwise.
        (("receipt.pdf", b"<html><script>alert(1)</script>", "application/pdf"), "isn't a photo"),
        (("scan.pdf", b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024), "application/pdf"), "over 10 MB"),
    ],
)
async def test_a_receipt_that_is_not_a_photo_or_pdf_or_too_big_changes_nothing(
    tg: TelegramBot, server: FakeTelegram, document: tuple[str, bytes, str], expected: str
) -> None:
    anna, _, _ = await space(tg, server)
    sent = await tg.send_file(anna, "/bill Heating 120", document=document)
    assert expected in sent[0].text and "nothing was recorded" in sent[0].text
    assert await stored(tg) == (0, 0)
    if len(document[1]) > 10 * 1024 * 1024:
        assert not server.downloads  # announced too big: never fetched


async def test_a_big_file_that_does_not_say_its_size_is_not_fetched(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    """file_size is optional: getFile tells it, and a file over 20 MB cannot be had."""
    anna, _, _ = await space(tg, server)
    for size in (12, 21):
        big = ("scan.pdf", b"%PDF-1.4\n" + b"0" * (size * 1024 * 1024), "application/pdf")
        sent = await tg.send_file(anna, "/bill Heating 120", document=big, announce_size=False)
        assert "over 10 MB" in sent[0].text
    assert not server.downloads
    assert server.calls["getFile"] == 2
    assert await stored(tg) == (0, 0)


async def test_photos_without_a_command_are_left_alone(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, _, group = await space(tg, server)
    before = len(server.sent)
    update = server.send_file(anna, group, "look at the new desks", photo=JPEG)
    await server.wait_confirmed(update)
    update = server.send_file(anna, group, "", photo=JPEG)
    await server.wait_confirmed(update)
    await tg.deliver()
    assert server.sent[before:] == [] and server.calls["getFile"] == 0


async def test_every_share_comes_with_bank_details_and_a_payment_qr_code(
    tg: TelegramBot, server: FakeTelegram
) -> None:
    anna, bruno, _ = await space(tg, server)
    for line in (
        "/set iban IT60 X054 2811 1010 0000 0123 456",
        "/set payee Spazio Veglio APS",
        "/set qr on",
    ):
        await tg.say(anna, line)
    before = len(server.sent)
    await tg.app.run_jobs()  # 25 Nov, past 09:00: Heating falls due
    await tg.deliver()
    shares = [s for s in server.sent[before:] if s.chat_id == bruno.id]
    assert len(shares) == 1
    share = shares[0]
    assert share.method == "sendPhoto" and share.photo is not None
    charge, member = (
        await tg.fetchall(
            "SELECT s.charge_id, s.member_id FROM charge_shares s JOIN members m"
            " ON m.id = s.member_id WHERE m.display_name = 'Bruno Rossi'"
        )
    )[0]
    assert "your share is €60.00 of €120.00" in share.text
    assert "Pay to IT60 X054 2811 1010 0000 0123 456, Spazio Veglio APS, reference" in share.text
    reference = share.text.split("reference ")[1].rstrip(".")
    assert reference.endswith(f"C{charge}M{member}")
    assert [label for label, _ in share.buttons] == ["I've paid"]
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(share.photo)))
    assert decoded[0].text.split("\n") == epc_lines(
        "Spazio Veglio APS", "IT60X0542811101000000123456", "60", reference
    )
    assert server.errors == []
