"""Listings that grow with the community stay one Telegram message (4096 characters):
`costs`, `due` and `balance` show what fits and say how many more there are, and the
totals still count everything. Found by the fuzz test: a `balance` of 4388 characters."""

from __future__ import annotations

from bot.i18n import to_plain
from bot.testing import BotHarness
from tests.support.costs import at_rome, start_space
from tests.support.markup import html_problem, utf16_length

TELEGRAM_LIMIT = 4096
MANY = 70


async def many_charges(bot: BotHarness) -> None:
    """70 one-off costs of €10 with long names, all due now: 70 open charges for three."""
    await start_space(bot)
    for i in range(1, MANY + 1):
        sent = await bot.say(
            f"/cost add Shared running cost number {i:02} 10 once today", as_="Anna"
        )
        assert sent[0].text.startswith(f"Cost #{i} ")
    await bot.tick()
    assert await bot.count("charges") == MANY


def fits(html: str) -> None:
    assert html_problem(html) is None
    assert utf16_length(to_plain(html)) <= TELEGRAM_LIMIT


async def test_balance_of_many_charges_fits_one_message(bot: BotHarness) -> None:
    await many_charges(bot)
    await bot.say("/paid 1 3", as_="Bruno")
    sent = await bot.say("/balance", as_="Anna", chat="private")
    assert len(sent) == 1
    fits(sent[0].html)
    lines = sent[0].text.splitlines()
    assert lines[0] == "Open charges"
    assert lines[2].startswith("#1 Shared running cost number 01")
    more = [line for line in lines if line.startswith("… and ")]
    assert len(more) == 1 and more[0].endswith("more open charges: /export costs lists them all.")
    shown = sum(1 for line in lines if line.startswith("#"))
    assert int(more[0].split()[2]) == MANY - shown
    # The totals count every charge, shown or not (the €3 declared is not confirmed).
    totals = [t for t in lines[lines.index("Who owes what") + 1 : -1] if t]
    owed = await bot.fetchall(
        "SELECT m.display_name, SUM(s.amount) AS owed FROM charge_shares s"
        " JOIN members m ON m.id = s.member_id GROUP BY m.id, m.display_name"
    )
    assert sorted(totals) == sorted(f"{r['display_name']}: €{r['owed'] / 100:.2f}" for r in owed)
    assert lines[-1] == "To record money you've received: /paid <charge> <amount> <member>."


async def test_due_and_costs_of_many_fit_one_message(bot: BotHarness) -> None:
    await many_charges(bot)
    sent = await bot.say("/due", as_="Bruno", chat="private")
    fits(sent[0].html)
    lines = sent[0].text.splitlines()
    shown = sum(1 for line in lines if line.startswith("#"))
    assert 0 < shown < MANY
    assert f"… and {MANY - shown} more charges, counted in the total." in lines
    owed = await bot.fetchval(
        "SELECT SUM(s.amount) FROM charge_shares s JOIN members m ON m.id = s.member_id"
        " WHERE m.display_name = 'Bruno'"
    )
    assert lines[-1].startswith(f"Still to pay: €{owed / 100:.2f}.")

    for i in range(1, MANY + 1):
        await bot.say(f"/cost add Monthly running cost number {i:02} 10 monthly 28", as_="Anna")
    sent = await bot.say("/costs", as_="Bruno")
    fits(sent[0].html)
    lines = sent[0].text.splitlines()
    shown = sum(1 for line in lines if line.startswith("#"))
    assert 0 < shown < MANY and lines[-1] == f"… and {MANY - shown} more."

    await bot.say("/lang it", as_="Bruno")
    sent = await bot.say("/due", as_="Bruno", chat="private")
    fits(sent[0].html)
    assert any(line.endswith("addebiti, contati nel totale.") for line in sent[0].text.splitlines())


async def test_reminders_of_many_charges_fit_one_message(bot: BotHarness) -> None:
    await many_charges(bot)
    for i in range(1, MANY + 1):
        await bot.say(f"/cost add Monthly running cost number {i:02} 10 monthly 5", as_="Anna")
    # A week after the due date, Bruno is reminded of all 70 in one message…
    bot.clock.set(at_rome(2026, 12, 2, 9, 30))
    sent = await bot.tick()
    [nag] = [s for s in sent if s.private and s.to == "bruno"]
    fits(nag.html)
    lines = nag.text.splitlines()
    shown = sum(1 for line in lines if line.startswith("#"))
    assert 0 < shown < MANY
    assert f"… and {MANY - shown} more: /due lists everything you owe." in lines
    # …and on the 1st the admins' summary is about November alone: its 70 charges in one
    # line, none of December's costs.
    [summary] = [s for s in sent if s.private and s.to == "anna" and "Shared costs:" in s.text]
    fits(summary.html)
    assert summary.text.splitlines()[:3] == [
        "Shared costs: November 2026",
        f"Fell due in the month: {MANY} charges, €{MANY * 10:,}.00.",
        f"Of those, still owed: €{MANY * 10:,}.00, by 3 members.",
    ]
    assert "Monthly running cost" not in summary.text
