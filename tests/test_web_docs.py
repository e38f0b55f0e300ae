"""The examples in docs/ work: Home Assistant's rest_command and automation, rendered as
Home Assistant renders them, and the OpenWrt script, run by a POSIX shell with curl,
both against the real server."""

from __future__ import annotations

import asyncio
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from jinja2.nativetypes import NativeEnvironment

from bot.testing import BotHarness
from tests.support.debian import ensure
from tests.support.web import Client

pytestmark = pytest.mark.http

DOCS = Path(__file__).resolve().parent.parent / "docs"
SCRIPT = DOCS / "openwrt-presence.sh"


class HomeAssistantLoader(yaml.SafeLoader):
    """YAML as Home Assistant reads it: `!secret name` is a value from secrets.yaml."""


def yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.S)


def load(block: str, secrets: dict[str, str]) -> Any:
    loader = type("Loader", (HomeAssistantLoader,), {})
    loader.add_constructor("!secret", lambda ld, node: secrets[ld.construct_scalar(node)])
    return yaml.load(block, Loader=loader)


async def setup(bot: BotHarness) -> str:
    await bot.setup_space("Anna", members=["Bruno", "Carla"], name="Coworking Veglio")
    sent = await bot.say("/presence token", as_="Anna", chat="private")
    found = re.search(r"Token: (\S+)", sent[0].text)
    assert found
    return found[1]


async def visits(bot: BotHarness) -> list[tuple[str, str | None]]:
    rows = await bot.fetchall(
        "SELECT m.display_name, v.closed_by FROM visits v"
        " JOIN members m ON m.id = v.member_id ORDER BY v.id"
    )
    return [(r[0], r[1]) for r in rows]


async def test_the_home_assistant_example(web_bot: BotHarness, client: Client) -> None:
    bot = web_bot
    token = await setup(bot)
    await bot.say("/device add device_tracker.carla_phone", as_="Carla", chat="private")
    blocks = yaml_blocks((DOCS / "presence.md").read_text("utf-8"))
    secrets: dict[str, str] = load(blocks[1], {})
    secrets["coworkbot_bearer"] = secrets["coworkbot_bearer"].replace(
        "paste-the-token-from-/presence-token-here", token
    )
    config = load(blocks[0], secrets)
    command = config["rest_command"]["coworkbot_presence"]
    automation = config["automation"][0]
    action = automation["actions"][0]
    assert action["action"] == "rest_command.coworkbot_presence"
    assert "device_tracker.anna_phone" in automation["triggers"][0]["entity_id"]
    url = command["url"].replace("https://cowo.example.org", bot.web_url)
    assert url == f"{bot.web_url}/spaces/coworking-veglio/presence"
    # Home Assistant renders templates to native types (jinja2's NativeEnvironment).
    env = NativeEnvironment()

    async def tracker(state: str) -> None:
        trigger = {"entity_id": "device_tracker.carla_phone", "to_state": {"state": state}}
        condition = automation["conditions"][0]["value_template"]
        if not env.from_string(condition).render(trigger=trigger):
            return
        data = {k: env.from_string(v).render(trigger=trigger) for k, v in action["data"].items()}
        payload = env.from_string(command["payload"]).render(**data)
        headers = {**command["headers"], "content-type": command["content_type"]}
        answer = await client.post(url, headers=headers, data=str(payload))
        assert (answer.status, answer.json()) == (200, {"ok": True, "received": 1})

    await tracker("home")
    assert await visits(bot) == [("Carla", None)]
    await tracker("unavailable")  # the condition keeps Home Assistant quiet
    await tracker("not_home")
    await bot.tick(timedelta(minutes=10))
    assert await visits(bot) == [("Carla", "device")]


async def test_the_openwrt_script(web_bot: BotHarness, tmp_path: Path) -> None:
    bot = web_bot
    curl = ensure(("curl",), "curl")
    token = await setup(bot)
    await bot.say("/device add 3C-22-FB-12-34-56", as_="Bruno", chat="private")
    await bot.say("/device add 70:1a:b8:00:00:01", as_="Carla", chat="private")
    # A stand-in for OpenWrt's `iw`: two radios, the stations of each in a file.
    fake = tmp_path / "bin"
    fake.mkdir()
    radios = {"phy0-ap0": tmp_path / "ap0", "phy1-ap0": tmp_path / "ap1"}
    (fake / "iw").write_text(
        "#!/bin/sh\n"
        'if [ "$1" = dev ] && [ -z "$2" ]; then\n'
        + "".join(f'  echo "phy#{i}"; echo "\tInterface {name}"\n' for i, name in enumerate(radios))
        + "  exit 0\nfi\n"
        + "".join(f'[ "$2" = {name} ] && cat {path}\n' for name, path in radios.items())
        + "exit 0\n"
    )
    (fake / "iw").chmod(0o755)
    os.symlink(curl, fake / "curl")

    def associate(radio: str, *macs: str) -> None:
        radios_path = radios[radio]
        radios_path.write_text(
            "".join(f"Station {mac} (on {radio})\n\tinactive time:\t10 ms\n" for mac in macs)
        )

    async def run_script() -> int:
        env = {
            "PATH": f"{fake}:/usr/bin:/bin",
            "COWORKBOT_URL": f"{bot.web_url}/spaces/coworking-veglio/presence",
            "COWORKBOT_TOKEN": token,
            "COWORKBOT_STATE": str(tmp_path / "last"),
        }
        proc = await asyncio.create_subprocess_exec(
            "sh", str(SCRIPT), env=env, stderr=asyncio.subprocess.PIPE
        )
        await proc.communicate()
        assert proc.returncode is not None
        return proc.returncode

    associate("phy0-ap0", "3C:22:FB:12:34:56", "de:ad:be:ef:00:01")  # a visitor's phone too
    associate("phy1-ap0", "70:1a:b8:00:00:01")
    assert await run_script() == 0
    assert sorted(await visits(bot)) == [("Bruno", None), ("Carla", None)]
    # Carla's laptop leaves the 5 GHz radio; the next run reports it absent, once.
    associate("phy1-ap0")
    assert await run_script() == 0
    assert (tmp_path / "last").read_text().split() == ["3c:22:fb:12:34:56", "de:ad:be:ef:00:01"]
    await bot.tick(timedelta(minutes=10))
    assert sorted(await visits(bot)) == [("Bruno", None), ("Carla", "device")]
    assert await run_script() == 0  # nothing left to report but the heartbeat
    assert sorted(await visits(bot)) == [("Bruno", None), ("Carla", "device")]
    # With the bot unreachable, the state is not advanced: the absent report is retried.
    associate("phy0-ap0")
    await bot.app.web.stop()
    before = (tmp_path / "last").read_text()
    assert await run_script() != 0
    assert (tmp_path / "last").read_text() == before
