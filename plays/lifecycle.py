"""The alert lifecycle, in Alertmanager's words, as pure functions of (state, now).

States: firing -> claimed -> done | snoozed | false_positive | expired. A pass runs each hit through a
fixed pipeline and returns a named reason for what happens to it:

    dedup (an open alert has the fingerprint: refresh it) -> inhibit (an open alert or a hit of a play
    listed in `suppression.inhibited_by` exists for the account) -> silence (an active silence matches)
    -> cooldown (the fingerprint resolved less than `cooldown` ago) -> fire.

A play with a timing experiment (`experiment:` in its YAML) then puts the account in an arm: the holdout
gets no alert (reason "holdout"), and an arm with a delay fires an alert held back until `deliver_at`
(not posted or listed before then; its SLA and expiry count from then).

`sweep` moves open alerts along with time: snoozes end, unclaimed alerts past their SLA escalate,
alerts left firing past `expire_after` expire, and a play's follow-up step ("call after 3 business days
if no response") comes due on an alert still open. `group_digests` batches notifications per channel.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from plays.catalog import SEVERITY_RANK, Catalog, Step
from plays.clock import Duration
from plays.experiments import arm_for
from plays.triggers import Hit, occurs_once

NEVER = datetime.max.replace(tzinfo=UTC)
# How far back a handled occurrence is remembered: every occurrence-bearing trigger looks at most a year
# back (the latest NPS response within 365 days, a renewal's 180-day window), plus slack.
OCCURRENCE_MEMORY = timedelta(days=400)
OPEN_STATES = ("firing", "claimed", "snoozed")
RESOLVED_STATES = ("done", "false_positive", "expired")

FIRE = "fire"
DUPLICATE = "duplicate"
INHIBITED = "inhibited"
SILENCED = "silenced"
COOLDOWN = "cooldown"
HELD_OUT = "holdout"  # the account is in the holdout of the play's timing experiment: no play


@dataclass(frozen=True, slots=True)
class AlertState:
    id: str
    fingerprint: str
    account_id: str
    play_id: str
    state: str
    fired_at: datetime
    due_at: datetime | None = None
    claimed_at: datetime | None = None
    escalated_at: datetime | None = None
    snoozed_until: datetime | None = None
    deliver_at: datetime | None = None  # held back by a timing experiment until then
    steps_reminded: int = 0  # the play's steps, in order, already reminded of (or due at once)
    account_gone: bool = False  # the account was deleted in the CRM (or a full sync no longer saw it)


@dataclass(frozen=True, slots=True)
class SilenceRule:
    """Matches alerts by alert id, or by account and/or play (None matches anything), between times."""

    starts_at: datetime
    ends_at: datetime
    alert_id: str | None = None
    account_id: str | None = None
    play_id: str | None = None

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def matches(self, account_id: str, play_id: str, alert_id: str | None = None) -> bool:
        if self.alert_id is not None:
            return self.alert_id == alert_id
        return self.account_id in (None, account_id) and self.play_id in (None, play_id)


@dataclass(frozen=True, slots=True)
class Decision:
    action: str  # fire | duplicate | inhibited | silenced | cooldown
    detail: str = ""  # e.g. the inhibiting play, or the alert that was refreshed

    @property
    def notify(self) -> bool:
        return self.action == FIRE


def decide(
    hit: Hit,
    *,
    inhibited_by: Sequence[str],
    open_alert: AlertState | None,
    active_plays: Iterable[str],
    silences: Iterable[SilenceRule],
    last_resolved_at: datetime | None,
    cooldown_until: datetime | None,
    now: datetime,
) -> Decision:
    """Whether `hit` becomes a new alert, and if not, the named reason why not."""
    if open_alert is not None:
        return Decision(DUPLICATE, open_alert.id)
    active = set(active_plays)
    for play_id in inhibited_by:
        if play_id in active:
            return Decision(INHIBITED, play_id)
    for rule in silences:
        if rule.active(now) and rule.matches(hit.account_id, hit.play_id):
            return Decision(SILENCED, rule.ends_at.isoformat())
    if last_resolved_at is not None and cooldown_until is not None and now < cooldown_until:
        return Decision(COOLDOWN, cooldown_until.isoformat())
    return Decision(FIRE)


@dataclass(frozen=True, slots=True)
class NewAlert:
    hit: Hit
    fired_at: datetime
    due_at: datetime  # claim by then, or it escalates (counted from deliver_at when it is held back)
    arm: str | None = None  # the timing experiment's arm, when the play runs one
    deliver_at: datetime | None = None  # posted and shown to the CSM from then on (None: at once)


@dataclass
class Plan:
    fire: list[NewAlert] = field(default_factory=list)
    refresh: list[tuple[str, Hit]] = field(default_factory=list)  # (open alert id, the hit seen again)
    suppressed: dict[str, int] = field(default_factory=dict)  # reason -> count
    arms: dict[tuple[str, str], str] = field(default_factory=dict)  # (play, account) -> arm, holdout too

    def count(self, reason: str) -> None:
        self.suppressed[reason] = self.suppressed.get(reason, 0) + 1


def plan_pass(
    hits: Sequence[Hit],
    catalog: Catalog,
    *,
    open_alerts: Mapping[str, AlertState],  # by fingerprint
    open_plays: Mapping[str, set[str]],  # account id -> plays with an open alert
    last_resolved: Mapping[str, datetime],  # fingerprint -> when its latest alert resolved
    silences: Mapping[str | None, Sequence[SilenceRule]],  # account id (None = any account) -> rules
    now: datetime,
) -> Plan:
    """Run every hit of one pass through `decide`. Hits of this pass count as active for inhibition."""
    plan = Plan()
    hit_plays: dict[str, set[str]] = defaultdict(set)
    for hit in hits:
        hit_plays[hit.account_id].add(hit.play_id)
    seen: set[str] = set()
    for hit in hits:
        fp = hit.fingerprint
        if fp in seen:
            plan.count(DUPLICATE)
            continue
        seen.add(fp)
        play = catalog[hit.play_id]
        resolved = last_resolved.get(fp)
        if resolved is None:
            quiet_until = None
        elif occurs_once(hit.reason):  # that occurrence was handled: not again after the cooldown
            quiet_until = NEVER
        else:
            quiet_until = play.cooldown.after(resolved)
        decision = decide(
            hit,
            inhibited_by=play.inhibited_by,
            open_alert=open_alerts.get(fp),
            active_plays=hit_plays[hit.account_id] | open_plays.get(hit.account_id, set()),
            silences=[*silences.get(hit.account_id, ()), *silences.get(None, ())],
            last_resolved_at=resolved,
            cooldown_until=quiet_until,
            now=now,
        )
        if decision.notify and play.experiment is not None:
            arm = arm_for(play.experiment, play.id, hit.account_id)
            plan.arms[(play.id, hit.account_id)] = arm.name if arm else HELD_OUT
            if arm is None:
                plan.count(HELD_OUT)
                continue
            deliver_at = arm.delay.after(now) if arm.delay != Duration() else None
            due_at = play.sla.claim_within.after(deliver_at or now)
            plan.fire.append(NewAlert(hit, now, due_at, arm.name, deliver_at))
        elif decision.notify:
            plan.fire.append(NewAlert(hit, now, play.sla.claim_within.after(now)))
        elif decision.action == DUPLICATE:
            plan.refresh.append((decision.detail, hit))
            plan.count(DUPLICATE)
        else:
            plan.count(decision.action)
    return plan


ACCOUNT_DELETED = "account_deleted"


@dataclass(frozen=True, slots=True)
class Transition:
    alert_id: str
    action: str  # unsnooze | escalate | expire | step_due
    from_state: str
    to_state: str
    escalate_to: str | None = None
    step: int | None = None  # step_due: the index in the play's steps of the step now due
    step_action: str | None = None  # step_due: that step's action
    due_at: datetime | None = None  # unsnooze: the claim SLA, restarted from the wake-up
    reason: str | None = None  # expire: why, when it is not the play's expiry ("account_deleted")


def sweep(alerts: Iterable[AlertState], catalog: Catalog, now: datetime) -> list[Transition]:
    """Time-driven transitions of open alerts (the SLA/escalation sweep). An open alert of an account
    the CRM deleted closes as expired, whatever its state: nobody can act on it any more, and it must
    not escalate or nag."""
    out: list[Transition] = []
    for a in alerts:
        if a.account_gone:
            out.append(Transition(a.id, "expire", a.state, "expired", reason=ACCOUNT_DELETED))
            continue
        play = catalog.plays.get(a.play_id)
        if a.state == "snoozed":
            if a.snoozed_until is not None and a.snoozed_until <= now:
                # The alert comes back as if delivered now: its SLA, expiry and follow-up steps count
                # from the wake-up, or a week's snooze would return it expired or escalated at once.
                back = "claimed" if a.claimed_at is not None else "firing"
                due = play.sla.claim_within.after(now) if play is not None else None
                out.append(Transition(a.id, "unsnooze", a.state, back, due_at=due))
            continue
        if play is None:
            continue
        if a.state == "firing":
            if play.expire_after.after(a.deliver_at or a.fired_at) <= now:
                out.append(Transition(a.id, "expire", a.state, "expired"))
                continue
            if a.escalated_at is None and a.due_at is not None and a.due_at <= now:
                out.append(Transition(a.id, "escalate", a.state, a.state, play.sla.escalate_to))
        step = _step_due(a, play.steps, now)  # firing or claimed: the play's follow-ups still apply
        if step is not None:
            out.append(
                Transition(a.id, "step_due", a.state, a.state, step=step, step_action=play.steps[step].action)
            )
    return out


def _step_due(a: AlertState, steps: Sequence[Step], now: datetime) -> int | None:
    """The latest of the play's follow-up steps that has come due since the owner was last reminded
    (counted from delivery), for an alert still open and not done. Steps due at once are in the alert
    itself; a step's condition ("no_response") holds while nobody has logged an outcome."""
    start = a.deliver_at or a.fired_at
    due = None
    for index in range(a.steps_reminded, len(steps)):
        after = steps[index].after
        if after != Duration() and after.after(start) <= now:
            due = index
    return due


@dataclass(frozen=True, slots=True)
class Notice:
    alert_id: str
    channel: str
    account_id: str
    play_id: str
    severity: str
    summary: str


@dataclass(frozen=True, slots=True)
class Digest:
    channel: str
    notices: tuple[Notice, ...]


def group_digests(notices: Iterable[Notice], max_per_digest: int = 20) -> list[Digest]:
    """Group notifications per channel, most severe first, at most `max_per_digest` per message."""
    by_channel: dict[str, list[Notice]] = defaultdict(list)
    for notice in notices:
        by_channel[notice.channel].append(notice)
    digests = []
    for channel in sorted(by_channel):
        items = sorted(
            by_channel[channel], key=lambda n: (-SEVERITY_RANK.get(n.severity, 0), n.play_id, n.account_id)
        )
        for start in range(0, len(items), max_per_digest):
            digests.append(Digest(channel, tuple(items[start : start + max_per_digest])))
    return digests


@dataclass(frozen=True, slots=True)
class Route:
    """A routing rule: the first matching route by ascending priority picks the channel."""

    priority: int
    channel: str
    tier: str | None = None
    play_id: str | None = None
    csm_slack_id: str | None = None


def route(routes: Sequence[Route], *, tier: str, play_id: str, csm_slack_id: str | None, default: str) -> str:
    for r in sorted(routes, key=lambda r: r.priority):
        if r.tier in (None, tier) and r.play_id in (None, play_id) and r.csm_slack_id in (None, csm_slack_id):
            return r.channel
    return default
