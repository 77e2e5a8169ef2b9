"""The world moving on, for the demo's time travel: a week of new product usage (some accounts start
to slide), a few NPS detractors, and a ticket spike filed in Salesforce, all deterministic per week.

State (the week number, each account's latest weekly active users, who is sliding) lives in
`state_dir/world.json`, so a restarted demo continues where it stopped.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sandbox.portfolio_records import PAccount
from sandbox.running import SandboxEnv


@dataclass
class WeekChanges:
    week: int
    usage_ndjson: str
    nps_ndjson: str
    tickets_filed: int
    sliding: list[str]  # account names that started to slide this week
    detractors: list[str]


class World:
    def __init__(
        self, env: SandboxEnv, accounts: Sequence[PAccount], state_dir: Path, seed: int = 42
    ) -> None:
        self.env = env
        self.accounts = list(accounts)
        self.path = state_dir / "world.json"
        self.seed = seed
        state: dict[str, Any] = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.week: int = state.get("week", 0)
        self.wau: dict[str, int] = state.get("wau") or {
            a.key: a.usage.weekly_active_users[-1] for a in self.accounts
        }
        self.sliding: set[str] = set(state.get("sliding", []))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(
            json.dumps({"week": self.week, "wau": self.wau, "sliding": sorted(self.sliding)})
        )

    def advance_week(self) -> WeekChanges:
        """Move the shared sandbox clock a week on and produce that week's signals."""
        self.env.clock.advance(timedelta(days=7))
        self.week += 1
        rng = random.Random(f"{self.seed}:week:{self.week}")
        monday = self.accounts[0].usage.first_week + timedelta(
            weeks=len(self.accounts[0].usage.weekly_active_users)
        )
        monday += timedelta(weeks=self.week - 1)
        usage, started = [], []
        for acc in self.accounts:
            last = self.wau.get(acc.key, 0)
            if last == 0:
                continue  # churned or not yet live
            if acc.key not in self.sliding and rng.random() < 0.06:
                self.sliding.add(acc.key)
                started.append(acc.name)
                factor = 0.62  # a sharp drop: over 30% below the weeks before
            elif acc.key in self.sliding:
                factor = 0.85  # and it keeps sliding
            else:
                factor = rng.gauss(1.0, 0.03)
            wau = max(1, round(last * factor))
            self.wau[acc.key] = wau
            usage.append(
                {
                    "domain": acc.domain,
                    "day": monday.isoformat(),
                    "weekly_active_users": wau,
                    "active_users": round(wau * 0.6),
                    "key_feature_events": round(wau * 3),
                    "licensed_seats": acc.usage.licensed_seats,
                }
            )
        live = [a for a in self.accounts if self.wau.get(a.key)]
        detractors = rng.sample(live, k=min(3, len(live)))
        responded = datetime.combine(monday + timedelta(days=2), time(10), tzinfo=UTC)
        nps = [
            {
                "domain": a.domain,
                "external_id": f"{a.key}-W{self.week}",
                "score": rng.randint(0, 5),
                "responded_at": responded.isoformat(),
                "comment": "Not getting value lately",
            }
            for a in detractors
        ]
        filed = self._ticket_spike(rng)
        self.save()
        return WeekChanges(
            week=self.week,
            usage_ndjson="".join(json.dumps(row) + "\n" for row in usage),
            nps_ndjson="".join(json.dumps(row) + "\n" for row in nps),
            tickets_filed=filed,
            sliding=started,
            detractors=[a.name for a in detractors],
        )

    def _ticket_spike(self, rng: random.Random) -> int:
        """Three or four new Cases on one Salesforce account, as its users would file them."""
        sf = self.env.salesforce
        accounts = sf.records("Account")
        if not accounts:
            return 0
        target = rng.choice(sorted(accounts, key=lambda r: r["Id"]))
        count = rng.randint(3, 4)
        for _ in range(count):  # created now on the sandbox clock: the API sets CreatedDate itself
            sf.create(
                "Case",
                {
                    "AccountId": target["Id"],
                    "Subject": "Export keeps failing",
                    "Priority": "High",
                    "Status": "New",
                },
            )
        return count
