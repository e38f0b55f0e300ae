"""Group 6, `--only replicas`: PostgreSQL against SQLite, and two replicas against one.

Real `coworkbot run` processes in webhook mode (tests/support/replicas.py), fed by the
fake Bot API server (tests/support/fake_telegram.py), which posts the same stream of
`/checkin`/`/checkout` commands of 500 people in 20 spaces to them, 32 at a time, and counts the
replies it is sent (Telegram's limits made 200 times faster on both sides, so the
limiter is not what is measured). The figure is commands per second, from the first
post to the last reply received. The database is on the same machine: the SQLite file
(`synchronous=FULL`) and a PostgreSQL server the group starts with `fsync` on, as in
production. Each setup runs in turn, `ROUNDS` times, and the best round counts (other
work on a shared machine only slows a round down).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from bench.report import Figure, Group
from bench.world import Options
from tests.support.fake_telegram import FakeLimits, FakeTelegram
from tests.support.postgres import PostgresServer
from tests.support.replicas import FASTER, Replica, replica_config, wait_until

PEOPLE = 500
SPACES = 20  # a network of spaces: 25 people each
CONCURRENCY = 32


async def one_round(
    work: Path, server: FakeTelegram, people: list[int], replicas: int, url: str, commands: int
) -> float:
    """Commands per second through `replicas` processes on the database at `url` (the
    SQLite file in `work` if empty)."""
    shutil.rmtree(work, ignore_errors=True)
    running: list[Replica] = []
    try:
        for i in range(replicas):
            config = replica_config(server, work / "data", people, url, spaces=SPACES)
            replica = Replica(f"r{i}", work / f"r{i}", config)
            replica.start()
            await replica.ready()
            running.append(replica)
        users = list(server.users.values())
        before = len(server.sent)
        ids: list[int] = []
        for n in range(commands):
            user = users[n % len(users)]
            text = "/checkin" if (n // len(users)) % 2 == 0 else "/checkout"
            ids.append(server.say(user, None, text))
        began = time.perf_counter()
        await server.post_alternately(ids, [r.url for r in running], concurrency=CONCURRENCY)
        await wait_until(lambda: len(server.sent) - before >= commands, "every reply", 600)
        return commands / (time.perf_counter() - began)
    finally:
        for replica in running:
            replica.stop()


async def run(options: Options) -> Group:
    group = Group("replicas", "6. PostgreSQL and replicas")
    commands = 2_000 if options.quick else 6_000
    rounds = 2 if options.quick else 3
    work = options.data_dir / "replicas"
    postgres = PostgresServer(durable=True)
    postgres.start()
    server = FakeTelegram(limits=FakeLimits().faster(FASTER))
    await server.start()
    people = [server.user(f"Person{i}").id for i in range(PEOPLE)]
    best: dict[str, float] = {}
    try:
        for _ in range(rounds):
            for name, replicas in (("sqlite", 1), ("pg1", 1), ("pg2", 2)):
                if name == "sqlite":
                    rate = await one_round(work, server, people, 1, "", commands)
                else:
                    async with postgres.fresh_schema() as url:
                        rate = await one_round(work, server, people, replicas, url, commands)
                best[name] = max(best.get(name, 0.0), rate)
                print(f"    {name}: {rate:.0f} commands/s", flush=True)
    finally:
        await server.close()
        postgres.stop()
        shutil.rmtree(work, ignore_errors=True)
    group.add(
        Figure(
            "one replica on PostgreSQL",
            best["pg1"],
            "commands/s",
            baseline=best["sqlite"],
            baseline_name="one on SQLite",
            better="higher",
        )
    )
    group.add(
        Figure(
            "two replicas on PostgreSQL",
            best["pg2"],
            "commands/s",
            baseline=best["pg1"],
            baseline_name="one replica",
            better="higher",
            goal=1.6,
        )
    )
    group.note(
        f"{commands} commands of {PEOPLE} people, {CONCURRENCY} posts at a time, best of "
        f"{rounds} rounds each; bot processes, PostgreSQL, the fake Bot API server and the "
        "poster share this machine's cores"
    )
    return group
