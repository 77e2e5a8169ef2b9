"""Deterministic synthetic portfolio: `generate(accounts, seed)` streams one PAccount at a time.

Each account is drawn from its own `random.Random((seed, index))`, so the output is identical for a
seed whatever the machine, accounts can be generated in slices, and memory stays flat for 1,000,000
accounts. Patterns are planted (steady, growing, usage decline >30% for two weeks, WAU -40% month over
month, recovering), with ticket spikes, NPS detractors, champion departures and anniversaries, and a
ground-truth churned/renewed outcome correlated with them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from sandbox.portfolio_records import (
    GroundTruth,
    PAccount,
    PContact,
    PDeal,
    PNps,
    PTicket,
    RoleSpan,
    UsageSeries,
    tier_for_arr,
)
from sandbox.portfolio_words import (
    FIRST,
    INDUSTRIES,
    LAST,
    NPS_COMMENTS,
    PREFIXES,
    SUFFIXES,
    TICKET_SUBJECTS,
    TITLES,
)

DEFAULT_SEED = 42
DEFAULT_AS_OF = date(2026, 11, 2)  # a Monday; pass `as_of` for another reference week
HISTORY_WEEKS = 104

_PATTERN_WEIGHTS = (
    ("steady", 50),
    ("growing", 12),
    ("usage_decline", 15),
    ("wau_drop_mom", 10),
    ("recovering", 13),
)
_CHURN_BASE = {
    "steady": 0.06,
    "growing": 0.03,
    "usage_decline": 0.55,
    "wau_drop_mom": 0.50,
    "recovering": 0.15,
}


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    total = sum(w for _, w in table)
    pick = rng.uniform(0, total)
    for value, weight in table:
        pick -= weight
        if pick <= 0:
            return value
    return table[-1][0]


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(7, 19), rng.randint(0, 59)), tzinfo=UTC)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _arr(rng: random.Random) -> float:
    band = rng.random()
    if band < 0.20:
        value = math.exp(rng.uniform(math.log(50_000), math.log(600_000)))
    elif band < 0.65:
        value = math.exp(rng.uniform(math.log(5_000), math.log(50_000)))
    else:
        value = math.exp(rng.uniform(math.log(600), math.log(5_000)))
    return round(value, -1) if value < 50_000 else round(value, -2)


def _usage_factor(pattern: str, week: int, onset: int) -> float:
    """Multiplier on baseline usage for history week `week` (0 = oldest) given the pattern onset week."""
    if pattern == "growing":
        return 1.0 + 0.006 * week
    if pattern == "steady" or week < onset:
        return 1.0
    since = week - onset
    if pattern == "usage_decline":
        return max(0.25, 0.62 - 0.03 * since)  # >30% down from the onset week on, sliding further
    if pattern == "wau_drop_mom":
        return max(0.45, 1.0 - 0.14 * (since + 1))  # -40% or more within four weeks
    # recovering: a dip of a few weeks, then back to baseline
    return 0.6 if since < 4 else min(1.0, 0.6 + 0.1 * (since - 3))


def _usage(
    rng: random.Random, pattern: str, onset: int, first_week: date, start: date, end: date | None, arr: float
) -> UsageSeries:
    seats = max(3, int(arr / rng.uniform(500, 1200)))
    base = seats * rng.uniform(0.45, 0.9)
    depth = rng.uniform(0.8, 6.0)
    waus, events = [], []
    for week in range(HISTORY_WEEKS):
        day = first_week + timedelta(days=7 * week)
        if day < start or (end is not None and day >= end):
            waus.append(0)
            events.append(0)
            continue
        wau = max(0, round(base * _usage_factor(pattern, week, onset) * rng.gauss(1.0, 0.035)))
        waus.append(min(wau, seats))
        events.append(max(0, round(wau * depth * rng.gauss(1.0, 0.05))))
    return UsageSeries(first_week, tuple(waus), tuple(events), seats)


def _contacts(
    rng: random.Random, key: str, domain: str, since: date, as_of: date, departure: date | None
) -> tuple[PContact, ...]:
    count = rng.choices((1, 2, 3, 4, 5, 6), weights=(8, 17, 25, 22, 16, 12))[0]
    roles = ["champion", "exec_sponsor", "admin", "finance"][: min(count, 4)] + ["user"] * max(0, count - 4)
    contacts = []
    for j, role in enumerate(roles):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        valid_to = departure if role == "champion" and departure else None
        contacts.append(
            PContact(
                key=f"{key}-C{j}",
                account_key=key,
                first_name=first,
                last_name=last,
                email=f"{local}{j}@{domain}",
                title=rng.choice(TITLES[role]),
                roles=(RoleSpan(role, since, valid_to),),
                left_on=valid_to,
            )
        )
    if departure and len(contacts) < 6 and rng.random() < 0.6:
        start = departure + timedelta(days=rng.randint(7, 42))
        if start <= as_of:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            contacts.append(
                PContact(
                    key=f"{key}-C{len(contacts)}",
                    account_key=key,
                    first_name=first,
                    last_name=last,
                    email=f"{first}.{last}{len(contacts)}@{domain}".lower().replace("'", ""),
                    title=rng.choice(TITLES["champion"]),
                    roles=(RoleSpan("champion", start, None),),
                    left_on=None,
                )
            )
    return tuple(contacts)


def _tickets(
    rng: random.Random, key: str, contacts: tuple[PContact, ...], as_of: date, start: date, spike: date | None
) -> tuple[PTicket, ...]:
    window_start = max(start, as_of - timedelta(weeks=52))
    days = (as_of - window_start).days
    if days <= 0:
        return ()
    opened = [
        window_start + timedelta(days=rng.randrange(days)) for _ in range(_poisson(rng, rng.uniform(0.5, 12)))
    ]
    if spike is not None:
        opened += [spike + timedelta(days=rng.randrange(5)) for _ in range(rng.randint(3, 7))]
    opened.sort()
    tickets = []
    for j, day in enumerate(opened):
        opened_at = _at(day, rng)
        closed = day < as_of - timedelta(days=10) or rng.random() < 0.5
        closed_at = opened_at + timedelta(hours=rng.uniform(1, 240)) if closed else None
        priority = rng.choices(("low", "medium", "high", "urgent"), weights=(35, 40, 20, 5))[0]
        tickets.append(
            PTicket(
                key=f"{key}-T{j}",
                account_key=key,
                contact_key=rng.choice(contacts).key if contacts else None,
                subject=rng.choice(TICKET_SUBJECTS),
                priority=priority,
                status="closed"
                if closed_at and closed_at.date() <= as_of
                else rng.choice(("new", "working")),
                opened_at=opened_at,
                closed_at=closed_at if closed_at and closed_at.date() <= as_of else None,
            )
        )
    return tuple(tickets)


def _nps(
    rng: random.Random,
    key: str,
    contacts: tuple[PContact, ...],
    as_of: date,
    start: date,
    detractor_after: date | None,
) -> tuple[PNps, ...]:
    responses = []
    for quarter in range(8):
        day = as_of - timedelta(days=91 * quarter + rng.randrange(80))
        if day < start or rng.random() < 0.45:
            continue
        if detractor_after is not None and day >= detractor_after:
            score = rng.randint(0, 6)
        else:
            score = rng.choices(range(11), weights=(1, 1, 1, 1, 1, 2, 3, 8, 14, 16, 12))[0]
        kind = "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"
        responses.append(
            PNps(
                key=f"{key}-N{quarter}",
                account_key=key,
                contact_key=rng.choice(contacts).key if contacts else None,
                score=score,
                comment=rng.choice(NPS_COMMENTS[kind]),
                responded_at=_at(day, rng),
            )
        )
    responses.reverse()
    return tuple(responses)


def _deals(
    rng: random.Random,
    key: str,
    name: str,
    arr: float,
    contract_start: date,
    renewal: date,
    as_of: date,
    churned: bool,
) -> tuple[PDeal, ...]:
    deals = [
        PDeal(
            f"{key}-D0",
            key,
            f"{name} — new business",
            "new_business",
            "Closed Won",
            arr,
            contract_start,
            True,
            True,
        )
    ]
    term = contract_start
    j = 1
    while (term := _add_years(term, 1)) < renewal:
        if term <= as_of:
            deals.append(
                PDeal(
                    f"{key}-D{j}",
                    key,
                    f"{name} — renewal {term.year}",
                    "renewal",
                    "Closed Won",
                    arr,
                    term,
                    True,
                    True,
                )
            )
            j += 1
    if renewal <= as_of:
        stage, closed, won = ("Closed Lost", True, False) if churned else ("Closed Won", True, True)
    else:
        stage, closed, won = rng.choice(("Prospecting", "Qualification", "Negotiation")), False, False
    deals.append(
        PDeal(
            f"{key}-D{j}",
            key,
            f"{name} — renewal {renewal.year}",
            "renewal",
            stage,
            arr,
            renewal,
            closed,
            won,
        )
    )
    if rng.random() < 0.15:
        amount = round(arr * rng.uniform(0.1, 0.5), -1)
        close = as_of + timedelta(days=rng.randint(-200, 120))
        closed = close <= as_of
        deals.append(
            PDeal(
                f"{key}-D{j + 1}",
                key,
                f"{name} — expansion",
                "expansion",
                "Closed Won" if closed else "Proposal",
                amount,
                close,
                closed,
                closed,
            )
        )
    return tuple(deals)


def make_account(
    index: int, seed: int = DEFAULT_SEED, as_of: date = DEFAULT_AS_OF, csm_count: int = 20
) -> PAccount:
    """Account number `index` of the portfolio for `seed`: the same inputs always give the same record."""
    rng = random.Random(f"{seed}:{index}")
    key = f"ACC-{index:07d}"
    name = f"{rng.choice(PREFIXES)} {rng.choice(SUFFIXES)}"
    slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:20]
    domain = f"{slug}{index}.example.com"
    arr = _arr(rng)
    pattern = _weighted(rng, _PATTERN_WEIGHTS)
    first_week = as_of - timedelta(weeks=HISTORY_WEEKS - 1)
    onset_weeks_ago = rng.randint(2, 20)
    onset = HISTORY_WEEKS - 1 - onset_weeks_ago
    pattern_start = as_of - timedelta(weeks=onset_weeks_ago) if pattern not in ("steady", "growing") else None

    declining = pattern in ("usage_decline", "wau_drop_mom")
    departure = (
        as_of - timedelta(days=rng.randint(7, 180)) if rng.random() < (0.25 if declining else 0.08) else None
    )
    spike = (
        as_of - timedelta(weeks=rng.randint(1, 12)) - timedelta(days=as_of.weekday())
        if rng.random() < (0.35 if declining else 0.1)
        else None
    )
    detractor_after = (
        pattern_start
        if declining and rng.random() < 0.6
        else (as_of - timedelta(days=120) if rng.random() < 0.08 else None)
    )
    churn_p = _CHURN_BASE[pattern] + 0.12 * bool(departure) + 0.1 * bool(spike) + 0.12 * bool(detractor_after)
    churned = rng.random() < min(0.9, churn_p)

    if churned:
        renewal = (pattern_start or as_of - timedelta(weeks=rng.randint(0, 10))) + timedelta(
            weeks=rng.randint(6, 20)
        )
    else:
        renewal = as_of + timedelta(days=rng.randint(1, 365))
    years = rng.choices((1, 2, 3, 4, 5), weights=(20, 25, 25, 15, 15))[0]
    contract_start = _add_years(renewal, -years)
    created = datetime.combine(contract_start - timedelta(days=rng.randint(10, 90)), time(9), tzinfo=UTC)
    modified = _at(as_of - timedelta(days=rng.randint(0, 60)), rng)
    usage_end = renewal if churned and renewal <= as_of else None

    contacts = _contacts(rng, key, domain, contract_start, as_of, departure)
    return PAccount(
        key=key,
        index=index,
        name=name,
        domain=domain,
        industry=rng.choice(INDUSTRIES),
        owner_email=f"csm{rng.randrange(csm_count):03d}@retainer.example",
        arr=arr,
        tier=tier_for_arr(arr),
        contract_start=contract_start,
        renewal_date=renewal,
        created_at=created,
        modified_at=max(modified, created),
        contacts=contacts,
        deals=_deals(rng, key, name, arr, contract_start, renewal, as_of, churned),
        usage=_usage(rng, pattern, onset, first_week, contract_start, usage_end, arr),
        tickets=_tickets(rng, key, contacts, as_of, contract_start, spike),
        nps=_nps(rng, key, contacts, as_of, contract_start, detractor_after),
        truth=GroundTruth(
            pattern=pattern,
            pattern_start=pattern_start,
            outcome="churned" if churned else "renewed",
            outcome_date=renewal,
            champion_departed_on=departure,
            ticket_spike_week=spike,
            detractor=detractor_after is not None,
        ),
    )


def csm_count_for(accounts: int) -> int:
    return max(3, min(500, accounts // 40))


def generate(
    accounts: int, seed: int = DEFAULT_SEED, as_of: date = DEFAULT_AS_OF, start: int = 0
) -> Iterator[PAccount]:
    """Stream accounts `start .. accounts-1` of the portfolio (10 to 1,000,000 accounts)."""
    if not 1 <= accounts <= 1_000_000:
        raise ValueError(f"accounts must be between 1 and 1,000,000, got {accounts}")
    csms = csm_count_for(accounts)
    for index in range(start, accounts):
        yield make_account(index, seed, as_of, csms)
