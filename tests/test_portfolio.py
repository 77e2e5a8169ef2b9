"""The synthetic portfolio: deterministic, streaming, realistic, with planted patterns and ground truth."""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter

import pytest
from sqlalchemy import Engine, func, select

from sandbox.portfolio import generate, make_account
from sandbox.portfolio_records import tier_for_arr
from sandbox.store_loader import load_portfolio
from store.models import Account, Contact, StakeholderRole, UsageDaily
from store.uow import unit_of_work


def _digest(accounts: int, seed: int) -> str:
    h = hashlib.sha256()
    for acc in generate(accounts, seed=seed):
        h.update(repr(acc).encode())
    return h.hexdigest()


def test_same_seed_gives_identical_output() -> None:
    assert _digest(60, seed=7) == _digest(60, seed=7)


def test_different_seed_gives_different_output() -> None:
    assert _digest(20, seed=7) != _digest(20, seed=8)


def test_accounts_can_be_generated_in_slices() -> None:
    whole = list(generate(30, seed=3))
    assert list(generate(30, seed=3, start=20)) == whole[20:]


def test_generation_streams_a_million_accounts_lazily() -> None:
    stream = generate(1_000_000, seed=1)
    first = list(itertools.islice(stream, 3))
    assert [a.key for a in first] == ["ACC-0000000", "ACC-0000001", "ACC-0000002"]


def test_out_of_range_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="between 1 and 1,000,000"):
        next(generate(1_000_001))


@pytest.fixture(scope="module")
def sample() -> list:
    return list(generate(3000, seed=42))


def test_distributions_cover_every_tier_pattern_and_role(sample: list) -> None:
    tiers = Counter(a.tier for a in sample)
    assert set(tiers) == {"high", "mid", "tech"}
    assert 0.12 < tiers["high"] / len(sample) < 0.3
    assert all(a.tier == tier_for_arr(a.arr) for a in sample)
    assert set(Counter(a.truth.pattern for a in sample)) == {
        "steady",
        "growing",
        "usage_decline",
        "wau_drop_mom",
        "recovering",
    }
    roles = Counter(span.role for a in sample for c in a.contacts for span in c.roles)
    assert set(roles) == {"champion", "exec_sponsor", "admin", "finance", "user"}
    assert all(1 <= len(a.contacts) <= 6 for a in sample)
    assert all(a.contract_start < a.renewal_date for a in sample)
    assert all(len(a.usage.weekly_active_users) == 104 for a in sample)


def test_planted_usage_decline_is_over_30_percent_for_two_weeks(sample: list) -> None:
    for acc in (a for a in sample if a.truth.pattern == "usage_decline"):
        weeks = list(acc.usage.weeks())
        onset = next(i for i, (day, _, _) in enumerate(weeks) if day == acc.truth.pattern_start)
        before = [w for _, w, _ in weeks[onset - 4 : onset]]
        if min(before) < 10 or acc.truth.outcome_date <= weeks[onset + 1][0]:
            continue  # tiny or already-churned accounts: integer noise dominates
        baseline = sum(before) / 4
        assert weeks[onset][1] < 0.7 * baseline and weeks[onset + 1][1] < 0.7 * baseline, acc.key


def test_steady_accounts_never_look_like_a_decline(sample: list) -> None:
    for acc in (a for a in sample if a.truth.pattern == "steady" and a.usage.licensed_seats >= 20):
        waus = [w for w in acc.usage.weekly_active_users[-12:] if w]
        if len(waus) == 12 and acc.truth.outcome == "renewed":
            assert min(waus) > 0.7 * max(waus), acc.key


def test_outcomes_correlate_with_planted_patterns(sample: list) -> None:
    def churn_rate(pattern: str) -> float:
        group = [a for a in sample if a.truth.pattern == pattern]
        return sum(a.truth.outcome == "churned" for a in group) / len(group)

    assert churn_rate("usage_decline") > 4 * churn_rate("steady")
    assert churn_rate("wau_drop_mom") > 4 * churn_rate("growing")


def test_signals_are_planted(sample: list) -> None:
    assert any(n.score <= 6 for a in sample for n in a.nps)
    assert any(a.truth.champion_departed_on for a in sample)
    spikes = [a for a in sample if a.truth.ticket_spike_week]
    assert spikes
    for acc in spikes:
        in_week = [t for t in acc.tickets if 0 <= (t.opened_at.date() - acc.truth.ticket_spike_week).days < 7]
        assert len(in_week) >= 3, acc.key
    departed = [a for a in sample if a.truth.champion_departed_on]
    for acc in departed:
        champions = [s for c in acc.contacts for s in c.roles if s.role == "champion"]
        assert any(s.valid_to == acc.truth.champion_departed_on for s in champions)


def test_single_account_is_reproducible_by_index() -> None:
    assert make_account(12345, seed=9) == make_account(12345, seed=9)


def test_loading_twice_upserts_without_duplicates(engine: Engine) -> None:
    first = load_portfolio(engine, generate(25, seed=5), batch_accounts=10)
    second = load_portfolio(engine, generate(25, seed=5), batch_accounts=10)
    assert first.rows == second.rows
    with unit_of_work(engine) as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 25
        contacts = session.scalar(select(func.count()).select_from(Contact))
        assert contacts == sum(len(a.contacts) for a in generate(25, seed=5))
        assert session.scalar(select(func.count()).select_from(StakeholderRole)) == contacts
        assert session.scalar(select(func.count()).select_from(UsageDaily)) == first.by_table["usage_daily"]
