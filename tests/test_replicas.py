"""Two `coworkbot run` replicas in webhook mode on one PostgreSQL database.

The fake Bot API server posts the updates of a thousand people to both replicas in
turn, one in ten to both at once (a redelivery a balancer hands to the other
replica); halfway through, the replica that sends the replies is SIGKILLed and, a
round later, started again. Every update must have its effect once (a visit per
check-in, each closed by its check-out, one dedupe record), every reply must reach
its person once, one replica at a time must run the scheduler and the sender, and the
other must take the sending over within 5 seconds of the kill.

`COWORKBOT_REPLICA_UPDATES` sets the number of updates (10,000 by default).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from pathlib import Path

import asyncpg
import pytest

from tests.support.fake_telegram import FakeLimits, FakeTelegram
from tests.support.postgres import PostgresServer
from tests.support.replicas import FASTER, Replica, replica_config, wait_until

pytestmark = [pytest.mark.replicas, pytest.mark.crash, pytest.mark.timeout(900)]

UPDATES = int(os.environ.get("COWORKBOT_REPLICA_UPDATES", "10000"))
PEOPLE = 1000


async def test_two_replicas_one_killed_every_effect_and_reply_once(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    people_count = min(PEOPLE, max(10, UPDATES // 10))
    rounds = max(2, UPDATES // people_count)
    server = FakeTelegram(limits=FakeLimits().faster(FASTER))
    await server.start()
    people = [server.user(f"Person{i}") for i in range(people_count)]
    replicas: list[Replica] = []
    try:
        async with postgres_server.fresh_schema() as url:
            for name in ("a", "b"):
                workdir = tmp_path / name
                config = replica_config(server, workdir / "data", [p.id for p in people], url)
                replicas.append(Replica(name, workdir, config))
            a, b = replicas
            a.start()
            await a.ready()
            b.start()
            await b.ready()
            await wait_until(lambda: a.took("outbox.telegram") == 1, "a to send")
            targets = [a.url, b.url]

            asked: list[tuple[int, int]] = []  # (chat id, message id) of every command
            killed_at = 0.0
            for round_ in range(rounds):
                text = "/checkin" if round_ % 2 == 0 else "/checkout"
                ids = [server.say(p, None, text) for p in people]
                asked += [(p.id, server.updates[-len(people) + i]["message"]["message_id"])
                          for i, p in enumerate(people)]  # fmt: skip
                if round_ == rounds // 2:
                    # The sender dies in the middle of a round: posts to it are refused
                    # and go to the other replica, which must take the sending over.
                    posting = asyncio.create_task(
                        server.post_alternately(ids, targets, duplicate_every=10)
                    )
                    await asyncio.sleep(0.3)
                    a.kill()
                    killed_at = time.monotonic()
                    await posting
                    continue
                if round_ == rounds // 2 + 1:
                    a.start()
                    await a.ready()
                await server.post_alternately(ids, targets, duplicate_every=10)

            await wait_until(lambda: len(server.sent) >= len(asked), "every reply", 300)
            await asyncio.sleep(1.0)  # anything sent twice would come now
            after_kill = [s.at for s in server.sent if s.at > killed_at]
            for replica in replicas:
                replica.stop()

            conn = await asyncpg.connect(url)
            try:
                processed = await conn.fetchval(
                    "SELECT COUNT(*) FROM processed_updates WHERE update_key LIKE 'telegram:%'"
                )
                visits = await conn.fetchval("SELECT COUNT(*) FROM visits")
                open_visits = await conn.fetchval(
                    "SELECT COUNT(*) FROM visits WHERE checkout_at IS NULL"
                )
                pending = await conn.fetchval("SELECT COUNT(*) FROM outbox WHERE state <> 'sent'")
            finally:
                await conn.close()
    finally:
        for replica in replicas:
            replica.stop()
        await server.close()

    total = rounds * people_count
    checkins = (rounds + 1) // 2
    # Every update had its effect once: one dedupe record each, one visit per check-in,
    # closed by the check-out after it; nothing waits in the outbox.
    assert processed == total
    assert visits == checkins * people_count
    assert open_visits == (people_count if rounds % 2 else 0)
    assert pending == 0
    # Every command was answered, once.
    replies = Counter((s.chat_id, s.reply_to) for s in server.sent)
    assert all(replies[key] >= 1 for key in asked), "a command went unanswered"
    twice = [key for key in asked if replies[key] > 1]
    # The only replies allowed twice: those the killed sender handed to Telegram in its
    # last moment, before their record committed (at least once, never lost): sent
    # first less than a second before the kill, and again by the new sender.
    first_sent = {key: min(s.at for s in server.sent if (s.chat_id, s.reply_to) == key)
                  for key in twice}  # fmt: skip
    late = {k: round(killed_at - at, 2) for k, at in first_sent.items() if killed_at - at > 1.0}
    assert not late, f"sent twice, not in flight at the kill: {late}"
    assert len(server.sent) == len(asked) + sum(replies[k] - 1 for k in twice)
    # The other replica took the sending over within 5 s.
    takeover = min(after_kill) - killed_at
    assert takeover <= 5.0, f"the sender was taken over after {takeover:.1f}s"
    # One scheduler and one sender at a time: a took both at its start; b took them
    # once, when a died; a, started again, stood by.
    assert (a.took("scheduler"), a.took("outbox.telegram")) == (1, 1), a.tail()
    assert (b.took("scheduler"), b.took("outbox.telegram")) == (1, 1), b.tail()
    print(
        f"\n    replicas: {total} updates, {len(twice)} replies twice, "
        f"sender taken over in {takeover:.2f}s"
    )
