"""A real Synapse homeserver for the Matrix tests, started from the `matrix-synapse` package.

It runs on 127.0.0.1 with SQLite and a throwaway config written into a temporary
directory: registration only by shared secret, rate limits raised so tests are not
throttled by accident, `bcrypt_rounds: 4` so registering users is quick. Federation,
presence, URL previews and stats are off: the tests need one server and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SERVER_NAME = "localhost"
START_TIMEOUT = 120.0

# Every limit a test could hit, raised far above what the suite does.
_RELAXED = {"per_second": 1000, "burst_count": 10000}
RATE_LIMITS: dict[str, Any] = {
    "rc_message": _RELAXED,
    "rc_registration": _RELAXED,
    "rc_login": {"address": _RELAXED, "account": _RELAXED, "failed_attempts": _RELAXED},
    "rc_joins": {"local": _RELAXED, "remote": _RELAXED},
    "rc_joins_per_room": _RELAXED,
    "rc_invites": {"per_room": _RELAXED, "per_user": _RELAXED, "per_issuer": _RELAXED},
    "rc_room_creation": _RELAXED,
    "rc_media_create": _RELAXED,
    "rc_presence": {"per_user": _RELAXED},
    "rc_admin_redaction": _RELAXED,
    "rc_profile": _RELAXED,
}

LOG_CONFIG = """\
version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: {log}
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SynapseServer:
    """One Synapse process; `restart()` keeps its database, port and keys."""

    base_dir: Path
    port: int = field(default_factory=free_port)
    shared_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.base_dir / "homeserver.yaml"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "homeserver.log"

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{SERVER_NAME}"

    def write_config(self) -> None:
        """The throwaway config: JSON is YAML, so no YAML writer is needed."""
        from signedjson.key import generate_signing_key, write_signing_keys

        self.base_dir.mkdir(parents=True, exist_ok=True)
        key_path = self.base_dir / "signing.key"
        if not key_path.exists():
            with key_path.open("w") as out:
                write_signing_keys(out, [generate_signing_key("auto")])
        log_config = self.base_dir / "log.yaml"
        log_config.write_text(LOG_CONFIG.format(log=self.log_path))
        config: dict[str, Any] = {
            "server_name": SERVER_NAME,
            "pid_file": str(self.base_dir / "homeserver.pid"),
            "public_baseurl": self.url + "/",
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {
                "name": "sqlite3",
                "args": {"database": str(self.base_dir / "homeserver.db")},
            },
            "log_config": str(log_config),
            "media_store_path": str(self.base_dir / "media"),
            "signing_key_path": str(key_path),
            "registration_shared_secret": self.shared_secret,
            "enable_registration": False,
            "macaroon_secret_key": secrets.token_hex(16),
            "form_secret": secrets.token_hex(16),
            "report_stats": False,
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "bcrypt_rounds": 4,
            "presence": {"enabled": False},
            "url_preview_enabled": False,
            "enable_metrics": False,
            "federation_domain_whitelist": [],
            **RATE_LIMITS,
        }
        self.config_path.write_text(json.dumps(config, indent=2))

    def start(self) -> None:
        if not self.config_path.exists():
            self.write_config()
        log = (self.base_dir / "stdout.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "synapse.app.homeserver",
                "--config-path",
                str(self.config_path),
            ],
            cwd=self.base_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"synapse exited with {self.process.returncode}:\n{self._tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"synapse did not start in {START_TIMEOUT:.0f}s:\n{self._tail()}")

    def _tail(self) -> str:
        parts = []
        for path in (self.base_dir / "stdout.log", self.log_path):
            if path.exists():
                parts.append(path.read_text(errors="replace")[-4000:])
        return "\n".join(parts)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    # -- accounts ---------------------------------------------------------------------

    def register(self, localpart: str, password: str, *, admin: bool = False) -> str:
        """A new account through the shared-secret admin API; returns its user id."""
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": _mac(self.shared_secret, nonce, localpart, password, admin),
        }
        result = self._request("POST", "/_synapse/admin/v1/register", body)
        return str(result["user_id"])

    def login(self, localpart: str, password: str) -> tuple[str, str]:
        """(access token, device id) of a fresh login, for admin calls in tests."""
        result = self._request(
            "POST",
            "/_matrix/client/v3/login",
            {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": localpart},
                "password": password,
            },
        )
        return str(result["access_token"]), str(result["device_id"])

    def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str = ""
    ) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as resp:
            result: dict[str, Any] = json.loads(resp.read() or b"{}")
            return result

    def admin_request(
        self, token: str, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        return self._request(method, path, body, token)


def _mac(secret: str, nonce: str, user: str, password: str, admin: bool) -> str:
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
    mac.update(nonce.encode())
    mac.update(b"\x00")
    mac.update(user.encode())
    mac.update(b"\x00")
    mac.update(password.encode())
    mac.update(b"\x00")
    mac.update(b"admin" if admin else b"notadmin")
    return mac.hexdigest()
