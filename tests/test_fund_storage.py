"""The fund's rows when members link their accounts or ask for their data
(storage/fund.py, through handlers/privacy.py's list of repositories)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from storage import Store
from storage.fund import EntryKind, NewEntry
from storage.members import MemberStatus

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DAY = date(2027, 3, 1)


async def test_linking_two_accounts_keeps_every_total_and_the_treasurer(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "fund.db")
    try:
        async with store.transaction() as s:
            space = await s.spaces.create("Veglio", NOW)
            anna, bruno, bruno_matrix = [
                await s.members.create(space.id, f"memory:{n}", n, NOW, status=MemberStatus.ACTIVE)
                for n in ("Anna", "Bruno", "Bruno M")
            ]
            fund = s.fund
            split = await fund.add_entry(
                NewEntry(space.id, EntryKind.SPENT, 900, "EUR", DAY, member_id=anna.id), NOW
            )
            await fund.add_splits(split.id, {anna.id: 300, bruno.id: 300, bruno_matrix.id: 300})
            await fund.add_entry(
                NewEntry(space.id, EntryKind.SPENT, 500, "EUR", DAY, member_id=bruno_matrix.id),
                NOW,
            )
            await fund.add_entry(
                NewEntry(
                    space.id,
                    EntryKind.TRANSFER,
                    100,
                    "EUR",
                    DAY,
                    member_id=bruno.id,
                    other_id=bruno_matrix.id,
                ),
                NOW,
            )
            await fund.update_settings(space.id, treasurer_id=bruno_matrix.id)
            before = await fund.standing(space.id)
            exported = await fund.export_member(bruno_matrix.id)
            await fund.merge_member(bruno_matrix.id, bruno.id, NOW)
            after = await fund.standing(space.id)
            settings = await fund.settings(space.id)
            splits = await fund.splits([split.id])
        # Bruno: −300 of the split, +100 paid to himself on Matrix; there: −300, +500, −100.
        assert before.positions == {anna.id: 600, bruno.id: -200, bruno_matrix.id: 100}
        assert after.positions == {anna.id: 600, bruno.id: -100}
        assert sum(after.positions.values()) == sum(before.positions.values())
        assert after.balance == before.balance
        assert splits[split.id] == {anna.id: 300, bruno.id: 600}
        assert settings.treasurer_id == bruno.id
        movements = exported["movements"]
        assert isinstance(movements, list)
        assert [(m["kind"], m["role"], m["amount"]) for m in movements] == [
            ("spent", "from", 500),
            ("transfer", "to", 100),
        ]
        assert exported["my_parts_of_split_expenses"] == [
            {"entry": split.id, "amount": 300, "currency": "EUR", "note": "", "on": "2027-03-01"}
        ]
    finally:
        await store.close()
