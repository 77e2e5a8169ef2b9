"""Mapping a page of Salesforce records column by column gives what mapping each record alone would:
the same rows, the same rejections in record order, and the same records left out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from connectors.salesforce.mapping import RecordMapper, load_mapping

MAPPING = load_mapping()


def _deal(i: int, **fields: Any) -> dict[str, Any]:
    record = {
        "Id": f"006{i:015d}",
        "SystemModstamp": "2026-01-01T00:00:00.000+0000",
        "IsDeleted": False,
        "AccountId": "001000000000000001",
        "Name": f"Deal {i}",
        "StageName": "Prospecting",
        "Type": "Renewal",
        "Amount": 1200.5,
        "CloseDate": "2026-03-31",
        "IsClosed": False,
        "IsWon": False,
    }
    record.update(fields)
    return record


def _one_by_one(mapper: RecordMapper, records: list[dict[str, Any]]) -> tuple[list[Any], list[str]]:
    rows, reasons = [], []
    for record in records:
        row, rejected = mapper.map(record)
        if row is not None:
            rows.append(row)
        reasons.extend(r.reason for r in rejected)
    return rows, reasons


def test_clean_page_maps_every_record_on_the_fast_path() -> None:
    mapper = RecordMapper(MAPPING["deal"])
    rows, kept, rejected = mapper.map_many([_deal(1), _deal(2)])
    assert kept == [0, 1] and rejected == []
    assert rows[0]["amount"] == Decimal("1200.5") and rows[0]["close_date"] == date(2026, 3, 31)
    assert rows[0]["kind"] == "renewal" and rows[1]["name"] == "Deal 2"


def test_problems_are_reported_per_record_as_mapping_one_by_one_would() -> None:
    mapper = RecordMapper(MAPPING["deal"])
    records = [
        _deal(1),
        _deal(2, Type="Barter"),  # unknown picklist value: reported, field left empty
        _deal(3, CloseDate="31/03/2026"),  # malformed date: reported
        _deal(4, Name="x" * 400),  # too long: truncated and reported
        _deal(5, Name=None),  # required name missing: record left out
        _deal(6, Name=None, Amount="lots"),  # left out at Name, so the later Amount is not examined
        _deal(7),
        _deal(8, Type={"label": "Renewal"}),  # malformed (not a picklist value at all): reported
    ]
    rows, kept, rejected = mapper.map_many(records)
    assert kept == [0, 1, 2, 3, 6, 7]
    assert (rows, [r.reason for r in rejected]) == _one_by_one(mapper, records)
    assert [r.record_id for r in rejected] == [
        records[1]["Id"],
        records[2]["Id"],
        records[3]["Id"],
        records[4]["Id"],
        records[5]["Id"],
        records[7]["Id"],
    ]
    assert rows[1]["kind"] is None and rows[2]["close_date"] is None
    assert len(rows[3]["name"]) == 255 and rows[3]["name"] == "x" * 255
    assert "unknown picklist value 'Barter'" in rejected[0].reason
    assert "truncated from 400 to 255 chars" in rejected[2].reason
    assert [r.reason for r in rejected[3:5]] == ["Name: required but empty"] * 2
    assert "unknown picklist value {'label': 'Renewal'}" in rejected[5].reason


def test_a_known_untracked_role_is_left_out_quietly() -> None:
    mapper = RecordMapper(MAPPING["stakeholder_role"])

    def role(i: int, name: str | None) -> dict[str, Any]:
        return {
            "Id": f"00K{i:015d}",
            "SystemModstamp": "2026-01-01T00:00:00.000+0000",
            "IsDeleted": False,
            "Opportunity": {"AccountId": "001000000000000001"},
            "ContactId": "003000000000000001",
            "Role": name,
            "CreatedDate": "2025-06-01T10:00:00.000+0000",
        }

    records = [role(1, "Influencer"), role(2, "Evaluator"), role(3, "Chief Wizard"), role(4, None)]
    rows, kept, rejected = mapper.map_many(records)
    assert kept == [0] and rows[0]["role"] == "champion"
    assert [r.reason for r in rejected] == [
        "OpportunityContactRole.Role: unknown picklist value 'Chief Wizard'",
        "Role: required but empty",
    ]
    assert (rows, [r.reason for r in rejected]) == _one_by_one(mapper, records)
