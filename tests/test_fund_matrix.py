"""The fund on Matrix against the real Synapse: receipts uploaded to the media repository
and a command that replies to them (or is their caption), and the payment QR code sent
back as an image."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from nio import DownloadResponse, RoomSendResponse, UploadResponse
from PIL import Image

from tests.support.fund import epc_lines
from tests.support.synapse.people import MatrixWorld, Person, RunningClock, Said
from tests.support.synapse.server import SynapseServer

pytestmark = pytest.mark.synapse

ROME = ZoneInfo("Europe/Rome")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 64
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def upload(person: Person, data: bytes, mime: str, name: str) -> str:
    response, _ = await person.client.upload(
        io.BytesIO(data), content_type=mime, filename=name, filesize=len(data)
    )
    assert isinstance(response, UploadResponse), response
    return str(response.content_uri)


async def send(person: Person, room: str, content: dict[str, Any]) -> str:
    response = await person.client.room_send(room, "m.room.message", content)
    assert isinstance(response, RoomSendResponse), response
    return str(response.event_id)


async def send_file(
    person: Person, room: str, data: bytes, mime: str, name: str, caption: str = ""
) -> str:
    """A file message as Element sends one (`m.image` for pictures); with a caption, as
    MSC2530 has it: the file's name in `filename`, the caption in `body`."""
    url = await upload(person, data, mime, name)
    content: dict[str, Any] = {
        "msgtype": "m.image" if mime.startswith("image/") else "m.file",
        "body": caption or name,
        "url": url,
        "info": {"mimetype": mime, "size": len(data)},
    }
    if caption:
        content["filename"] = name
    return await send(person, room, content)


async def reply(world: MatrixWorld, person: Person, room: str, to: str, text: str) -> Said:
    """`text` as a reply to event `to`, with the quoted fallback clients still put in."""
    content = {
        "msgtype": "m.text",
        "body": f"> <{person.user_id}> a file\n\n{text}",
        "m.relates_to": {"m.in_reply_to": {"event_id": to}},
    }
    event_id = await send(person, room, content)
    await person.wait_for(lambda _: bool(person.replies_to(event_id)), f"a reply to {text!r}")
    return person.replies_to(event_id)[0]


async def rows(world: MatrixWorld, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await world.bot.fetchall(sql)]


async def test_receipts_as_replies_and_captions_and_the_qr_code(matrix: MatrixWorld) -> None:
    world = matrix
    clock = world.bot.clock = RunningClock(datetime(2026, 11, 1, 10, tzinfo=ROME))
    await world.bot.start()
    world.room = await world.open_room()
    await world.setup_space()  # Bruno is the admin, so he holds the fund
    anna, bruno = world.anna, world.bruno
    room = world.room
    await world.command(bruno, "!cost add Heating 90 monthly 25")

    # Bruno posts the receipt's photo, then replies to it with the command.
    photo = await send_file(bruno, room, JPEG, "image/jpeg", "scontrino.jpg")
    said = await reply(world, bruno, room, photo, "!bill Heating 90 boiler")
    assert said.body.startswith("Bill #1: €90.00 paid from the fund for Heating on")
    assert "Receipt #1 saved (scontrino.jpg)." in said.body
    stored = await world.bot.fetchall("SELECT content, mime_type FROM receipts")
    assert (bytes(stored[0][0]), stored[0][1]) == (JPEG, "image/jpeg")
    assert await rows(world, "SELECT kind, amount, receipt_id FROM fund_entries") == [
        ("bill", 9000, 1)
    ]

    # A PDF whose caption is the command (MSC2530), from Anna.
    event_id = await send_file(
        anna, room, PDF, "application/pdf", "fattura.pdf", caption="!spent 12,50 toner"
    )
    await anna.wait_for(lambda _: bool(anna.replies_to(event_id)), "a reply to the caption")
    assert "Receipt #2 saved (fattura.pdf)." in anna.replies_to(event_id)[0].body

    # A reply to a text, or a file that is no receipt: nothing kept, nothing recorded.
    text = await send(bruno, room, {"msgtype": "m.text", "body": "the invoice is coming"})
    said = await reply(world, bruno, room, text, "!bill Heating 5")
    assert said.body.startswith("Bill #3: €5.00") and "Receipt" not in said.body
    notes = await send_file(bruno, room, b"just words", "text/plain", "notes.txt")
    said = await reply(world, bruno, room, notes, "!bill Heating 7")
    assert said.body == (
        "The file you sent with it isn't a photo or a PDF (text/plain), so nothing was"
        " recorded. Send the receipt as a photo or a PDF."
    )
    assert await rows(world, "SELECT COUNT(*) FROM fund_entries") == [(3,)]
    assert await rows(world, "SELECT COUNT(*) FROM receipts") == [(2,)]

    # The receipt comes back, in a private room, as the image it was.
    private = await world.private_room(anna)
    await world.command(anna, "!receipt 1", room=private)
    image = await anna.wait_for(
        lambda heard: any(s.content.get("msgtype") == "m.image" for s in heard), "the receipt"
    )
    sent = next(s for s in image if s.content.get("msgtype") == "m.image")
    assert await download(anna, sent) == JPEG

    # Bank details and the QR code: the share arrives with an m.image of the EPC code.
    for line in (
        "!set iban IT60 X054 2811 1010 0000 0123 456",
        "!set payee Spazio Veglio APS",
        "!set qr on",
    ):
        await world.command(bruno, line)
    clock.set(datetime(2026, 11, 25, 9, 0, 20, tzinfo=ROME))
    await world.bot.app.run_jobs()
    notice = await anna.next_private(lambda s: s.body.startswith("Heating, 25 Oct"), room)
    assert "Pay to IT60 X054 2811 1010 0000 0123 456, Spazio Veglio APS, reference" in (notice.body)
    code = await anna.wait_for(
        lambda heard: any(s.body.startswith("pay-") for s in heard), "the QR code"
    )
    qr = next(s for s in code if s.body.startswith("pay-"))
    assert qr.content["msgtype"] == "m.image"
    assert qr.content["info"]["mimetype"] == "image/png"
    assert qr.content["info"]["w"] == qr.content["info"]["h"] > 200
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(await download(anna, qr))))
    lines = decoded[0].text.split("\n")
    expected = epc_lines("Spazio Veglio APS", "IT60X0542811101000000123456", "30", "")
    assert lines[:-1] == expected[:-1] and lines[-1].startswith("RF")


async def download(person: Person, said: Said) -> bytes:
    response = await person.client.download(mxc=said.content["url"])
    assert isinstance(response, DownloadResponse), response
    return bytes(response.body)


async def test_a_receipt_in_an_encrypted_room(
    synapse_server: SynapseServer, tmp_path: Path
) -> None:
    """As Element does it there: the photo uploaded encrypted (`file`, not `url`), the
    message and the reply to it both m.room.encrypted; the bot decrypts all three."""
    world = await MatrixWorld.create(synapse_server, tmp_path / "bot", encrypted=True)
    try:
        world.bot.clock = RunningClock(datetime(2026, 11, 1, 10, tzinfo=ROME))
        await world.bot.start()
        world.room = await world.open_room(encrypted=True)
        await world.setup_space()
        bruno, room = world.bruno, world.room
        await world.command(bruno, "!cost add Heating 90 monthly 25")
        response, keys = await bruno.client.upload(
            io.BytesIO(JPEG),
            content_type="image/jpeg",
            filename="scontrino.jpg",
            encrypt=True,
            filesize=len(JPEG),
        )
        assert isinstance(response, UploadResponse) and keys is not None, response
        photo = {
            "msgtype": "m.image",
            "body": "scontrino.jpg",
            "info": {"mimetype": "image/jpeg", "size": len(JPEG)},
            "file": {**keys, "url": response.content_uri, "mimetype": "image/jpeg"},
        }
        sent = await bruno.client.room_send(
            room, "m.room.message", photo, ignore_unverified_devices=True
        )
        assert isinstance(sent, RoomSendResponse), sent
        command = {
            "msgtype": "m.text",
            "body": "!bill Heating 90",
            "m.relates_to": {"m.in_reply_to": {"event_id": sent.event_id}},
        }
        asked = await bruno.client.room_send(
            room, "m.room.message", command, ignore_unverified_devices=True
        )
        assert isinstance(asked, RoomSendResponse), asked
        replies = await bruno.wait_for(
            lambda _: bool(bruno.replies_to(asked.event_id)), "the answer to !bill"
        )
        answer = next(s for s in replies if s.reply_to == asked.event_id)
        assert answer.encrypted and "Receipt #1 saved (scontrino.jpg)." in answer.body
        stored = await world.bot.fetchall("SELECT content FROM receipts")
        assert bytes(stored[0][0]) == JPEG
    finally:
        await world.close()
