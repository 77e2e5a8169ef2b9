"""The backtest's week-by-week signals agree with the live set-based ones, and the replay reports an
AUC well above chance on the synthetic portfolio's planted outcomes."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from types import SimpleNamespace as NS
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine

from bot.services import backtest
from bot.services.backtest import _refire_day, _timelines, run_backtest
from bot.services.signals import build_signals
from plays.backtest import PlayScore
from plays.catalog import load_catalog
from plays.clock import Duration
from plays.timeline import signals_at
from sandbox.portfolio import DEFAULT_AS_OF, generate
from sandbox.store_loader import load_portfolio
from store.history import load_history
from store.scoring_inputs import fetch_inputs
from store.uow import unit_of_work


@pytest.mark.parametrize("weeks_back", [0, 9])
def test_replayed_signals_match_the_live_queries(engine: Engine, weeks_back: int) -> None:
    load_portfolio(engine, generate(80, seed=3))
    day = DEFAULT_AS_OF - timedelta(weeks=weeks_back)
    with unit_of_work(engine) as session:
        live = {s.account_id: s for s in build_signals(fetch_inputs(session, day))}
        timelines, _ = _timelines(load_history(session, day - timedelta(weeks=10)))
    assert len(live) == len(timelines) == 80
    for tl in timelines:
        replayed = signals_at(tl, day)
        expected = live[tl.account_id]
        if weeks_back:  # the live path reads the CRM's current renewal date, the replay the one due then
            replayed = dataclasses.replace(replayed, renewal_date=expected.renewal_date)
        assert replayed == expected


def test_backtest_reports_auc_and_per_play_scores(engine: Engine) -> None:
    load_portfolio(engine, generate(200, seed=42))
    report = run_backtest(engine, load_catalog(), DEFAULT_AS_OF, weeks=26)
    assert report.accounts == 200 and report.churned > 5 and report.scored_outcomes > 50
    assert report.auc is not None and report.auc >= 0.8
    plays = {p.play_id: p for p in report.plays}
    assert set(plays) == {p.id for p in load_catalog()}
    usage = plays["usage_decline"]
    assert usage.precision is not None and usage.recall is not None and usage.recall > 0.5
    assert report.first_alert_lead_days is not None and report.first_alert_lead_days > 0
    assert report.end == DEFAULT_AS_OF and report.start == date(2026, 5, 11)


END = date(2026, 10, 26)
START = END - timedelta(weeks=51)  # the first replayed day of a 52-week backtest
CHURN_ON = START + timedelta(weeks=46)


def _declining_account(dip_weeks: set[int]) -> dict[str, Any]:
    """One account's history: 100 weekly active users, 40 in the replayed weeks `dip_weeks`, and a
    renewal lost on CHURN_ON."""
    usage, day = [], START - timedelta(weeks=10)
    while day <= END:
        active = 40 if (day - START).days // 7 in dip_weeks else 100
        usage.append(NS(day=day, active=active, key_feature_events=50, licensed_seats=120))
        day += timedelta(days=1)
    began = START - timedelta(days=500)
    return {
        "accounts": [NS(id="acc-1", arr=20000, contract_start=began, renewal_date=CHURN_ON)],
        "deals": {
            "acc-1": [
                NS(kind="new_business", close_date=began, is_closed=True, is_won=True),
                NS(kind="renewal", close_date=CHURN_ON, is_closed=True, is_won=False),
            ]
        },
        "usage": {"acc-1": usage},
        "tickets": {},
        "nps": {},
        "roles": {},
    }


def _usage_decline_score(monkeypatch: pytest.MonkeyPatch, history: dict[str, Any]) -> PlayScore:
    monkeypatch.setattr(backtest, "load_history", lambda session, since: history)
    report = run_backtest(create_engine("sqlite://"), load_catalog(), END, weeks=52, horizon_days=60)
    return next(p for p in report.plays if p.play_id == "usage_decline")


@pytest.mark.parametrize("early_dip", [True, False], ids=["dipped_early_and_recovered", "one_decline"])
def test_a_decline_before_churn_counts_even_after_an_earlier_recovered_dip(
    monkeypatch: pytest.MonkeyPatch, early_dip: bool
) -> None:
    late = set(range(40, 47))  # the decline in the last weeks before the churn
    score = _usage_decline_score(
        monkeypatch, _declining_account(late | ({3, 4, 5, 6} if early_dip else set()))
    )
    assert (score.flagged, score.true_positives, score.recall) == (1, 1, 1.0)
    assert score.median_lead_days is not None and 30 <= score.median_lead_days <= 42


def test_a_fingerprint_fires_again_once_its_alert_expired_and_the_cooldown_passed() -> None:
    play = load_catalog()["usage_decline"]  # expires after 21 days, then a 14-day cooldown
    fired = date(2026, 3, 2)
    assert _refire_day(play, "decline", fired) == fired + (
        timedelta(seconds=play.expire_after.seconds) + timedelta(seconds=play.cooldown.seconds)
    )
    slow = dataclasses.replace(play, expire_after=Duration(business_days=5), cooldown=Duration(seconds=86400))
    assert _refire_day(slow, "decline", date(2026, 3, 6)) == date(2026, 3, 14)  # Fri -> Fri -> Sat
    assert _refire_day(play, "renewal:2026-09-01", fired) == date.max  # once per occurrence


def test_contract_start_never_comes_from_a_renewal_or_expansion_deal() -> None:
    def deal(kind: str, on: date, won: bool = True) -> NS:
        return NS(kind=kind, close_date=on, is_closed=True, is_won=won)

    def account(account_id: str, start: date | None) -> NS:
        return NS(id=account_id, arr=20000, contract_start=start, renewal_date=date(2026, 9, 1))

    history = {
        "accounts": [
            account("only-renewal", date(2022, 3, 1)),
            account("deals-earlier-than-start", date(2022, 3, 1)),
            account("no-start", None),
            account("no-start-no-new-business", None),
        ],
        "deals": {
            "only-renewal": [deal("renewal", date(2026, 9, 1), won=False)],
            "deals-earlier-than-start": [
                deal("expansion", date(2021, 6, 1)),
                deal("renewal", date(2021, 9, 1)),
            ],
            "no-start": [
                deal("renewal", date(2020, 1, 1)),
                deal("expansion", date(2020, 6, 1)),
                deal("new_business", date(2020, 9, 1), won=False),
                deal("new_business", date(2021, 2, 1)),
            ],
            "no-start-no-new-business": [deal("renewal", date(2020, 1, 1))],
        },
        "usage": {},
        "tickets": {},
        "nps": {},
        "roles": {},
    }
    timelines, _ = _timelines(history)
    assert {tl.account_id: tl.contract_start for tl in timelines} == {
        "only-renewal": date(2022, 3, 1),
        "deals-earlier-than-start": date(2022, 3, 1),
        "no-start": date(2021, 2, 1),
        "no-start-no-new-business": None,
    }


def test_an_account_whose_store_holds_only_its_renewal_deal_is_scored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    history = _declining_account(set(range(40, 47)))
    history["deals"]["acc-1"] = [d for d in history["deals"]["acc-1"] if d.kind == "renewal"]
    monkeypatch.setattr(backtest, "load_history", lambda session, since: history)
    report = run_backtest(create_engine("sqlite://"), load_catalog(), END, weeks=52, horizon_days=60)
    assert (report.outcomes, report.churned, report.scored_outcomes) == (1, 1, 1)
    usage = next(p for p in report.plays if p.play_id == "usage_decline")
    assert (usage.flagged, usage.recall) == (1, 1.0)
