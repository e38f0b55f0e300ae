"""A throwaway PostgreSQL server for the tests, from Debian's `postgresql` package.

One server per test session: `initdb` into a temporary directory (as the `postgres`
user when the tests run as root, since the server refuses to run as root), C locale,
a free port on 127.0.0.1, `fsync=off` (a crash of a test machine loses nothing worth
keeping), its socket in that directory; stopped at the end. Each test gets a schema of
its own, where no other test's rows are: `fresh_schema`, dropped after it, or
`emptied_schema`, the migrated schema of the previous test with every table emptied.

On a machine without the server it is installed first (`apt-get install -y
postgresql`, as root), as CI's fresh Debian machine needs.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

DATABASE = "coworkbot"
# A test server loses nothing worth keeping in a crash of its machine.
FAST = ("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")
SHARED = "tests"
_schemas = itertools.count(1)


def _bindir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    return Path(found[-1]).parent if found else None


def install() -> Path:
    """The server's binaries, installed from Debian's package when missing."""
    bindir = _bindir()
    if bindir is not None:
        return bindir
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(
            "PostgreSQL is not installed and cannot be installed here: "
            "apt-get install postgresql (as root)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    bindir = _bindir()
    if bindir is None:
        raise RuntimeError("apt-get installed postgresql but no initdb was found")
    return bindir


def pg_tool(name: str) -> str:
    """One of the server's programs (`pg_restore`, `psql`), from the installed version."""
    return str(install() / name)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    def __init__(self, *, durable: bool = False) -> None:
        """`durable`: fsync as a production server does (the benchmark's, to compare
        with SQLite's `synchronous=FULL`); the tests' server does not."""
        self.durable = durable
        # Not under pytest's temporary directory: that is private to root, and the
        # server runs as `postgres`.
        self.root = Path(tempfile.mkdtemp(prefix="coworkbot-postgres-"))
        self.data = self.root / "data"
        self.port = 0
        self.bindir: Path | None = None
        self._user: str | None = None

    @property
    def url(self) -> str:
        """The test database, as the `postgres` superuser (trust on loopback)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def schema_url(self, schema: str) -> str:
        return f"{self.url}?search_path={schema}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        user = self._user
        return subprocess.run(
            list(args), user=user, capture_output=True, text=True, check=True, cwd=self.root
        )

    def start(self) -> None:
        self.bindir = install()
        if os.geteuid() == 0:
            self._user = "postgres"
            entry = pwd.getpwnam("postgres")
            for path in (self.root,):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "--locale=C",
            "--encoding=UTF8",
            "--auth=trust",
            "--username=postgres",
            "--no-sync",
        )
        self.port = free_port()
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                *(() if self.durable else FAST),
                "-c max_connections=200",
                "-c shared_buffers=32MB",
            ]
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        for _ in range(50):
            done = subprocess.run(
                [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                 "-U", "postgres", DATABASE],
                capture_output=True,
                text=True,
                check=False,
            )  # fmt: skip
            if done.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"could not create the test database: {done.stderr}")

    def stop(self) -> None:
        if self.bindir is None:
            return
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        self.bindir = None
        shutil.rmtree(self.root, ignore_errors=True)

    async def execute(self, sql: str) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    @contextlib.asynccontextmanager
    async def emptied_schema(self) -> AsyncIterator[str]:
        """The URL of the schema the bots of the tests share, every table emptied (ids
        start from 1 again): as a fresh schema, without running the migrations anew for
        each of hundreds of tests (the first bot on it runs them)."""
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SHARED}")
            tables = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = $1"
                " AND tablename <> 'schema_version'",
                SHARED,
            )
            if tables:
                names = ", ".join(f"{SHARED}.{t['tablename']}" for t in tables)
                await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        finally:
            await conn.close()
        yield self.schema_url(SHARED)

    @contextlib.asynccontextmanager
    async def fresh_schema(self) -> AsyncIterator[str]:
        """A URL whose tables live in a new, empty schema; the schema goes afterwards."""
        schema = f"t{os.getpid()}_{next(_schemas)}"
        await self.execute(f"CREATE SCHEMA {schema}")
        try:
            yield self.schema_url(schema)
        finally:
            await self.execute(f"DROP SCHEMA {schema} CASCADE")
