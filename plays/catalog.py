"""The play catalog: one YAML file per play, validated on load; every problem reported with file and line.

A play names its trigger (a kind known to `plays.triggers` plus thresholds), a segment filter, the
audience role, the message template, the buttons, follow-up steps, cooldown, SLA (claim within,
escalate to), how long an unclaimed alert stays open, and the plays that inhibit it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from plays.clock import Duration, parse_duration
from plays.health import BANDS
from plays.segments import STAGES, TIERS
from plays.yaml_lines import LineReader, Problem

PLAY_IDS = (
    "usage_decline",
    "ticket_spike",
    "nps_detractor",
    "renewal_risk",
    "champion_departure",
    "milestone",
    "renewal_window",
)
AUDIENCE_ROLES = ("admin", "champion", "exec_sponsor", "finance", "csm", "manager")
ESCALATION_TARGETS = ("csm", "manager", "admin")
BUTTONS = (
    "claim",
    "snooze",
    "reassign",
    "escalate",
    "log_outcome",
    "false_positive",
    "record_champion_change",
)
SEVERITIES = ("info", "warning", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

# trigger kind -> parameter -> (type, minimum, maximum)
_NUM = int | float
TRIGGER_PARAMS: dict[str, dict[str, tuple[type | Any, float, float]]] = {
    "usage_decline": {"two_week_decline": (_NUM, 0, 1), "wau_mom_drop": (_NUM, 0, 1)},
    "ticket_spike": {"min_tickets_7d": (int, 1, 1000)},
    "nps_detractor": {"max_score": (int, 0, 10), "within_days": (int, 1, 365)},
    "renewal_risk": {
        "days_before_renewal": (int, 1, 730),
        "min_score_drop": (int, 0, 100),
        "risk_bands": (list, 0, 4),
    },
    "champion_departure": {"within_days": (int, 1, 365), "min_engaged_stakeholders": (int, 1, 10)},
    "milestone": {
        "anniversary_years": (list, 1, 20),
        "within_days": (int, 1, 60),
        "utilisation_achievement": (_NUM, 0, 1),
    },
    "renewal_window": {"windows": (list, 1, 10)},
}
# list threshold -> what each item must be: a tuple of allowed names, or "positive_int"
LIST_ITEMS: dict[str, tuple[str, ...] | str] = {
    "risk_bands": BANDS,
    "anniversary_years": "positive_int",
    "windows": "positive_int",
}
_TOP_KEYS = {
    "id": True,
    "version": True,
    "name": True,
    "description": False,
    "severity": True,
    "trigger": True,
    "segment": False,
    "audience": True,
    "template": True,
    "buttons": True,
    "steps": False,
    "cooldown": True,
    "sla": True,
    "expire_after": False,
    "suppression": False,
    "experiment": False,
}


HOLDOUT_ARM = "holdout"  # the accounts an experiment leaves without the play


class CatalogError(ValueError):
    """Every problem found in the catalog, each with file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("invalid play catalog:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True, slots=True)
class Step:
    action: str
    after: Duration
    condition: str | None = None


@dataclass(frozen=True, slots=True)
class Sla:
    claim_within: Duration
    escalate_to: str


@dataclass(frozen=True, slots=True)
class Arm:
    name: str
    weight: float = 1.0
    delay: Duration = field(default_factory=Duration)  # how long the alert is held back before posting


@dataclass(frozen=True, slots=True)
class Experiment:
    """A/B test of a play's timing: each account gets one arm (or the holdout: no play), by a hash of
    play and account, so the same account always lands in the same arm."""

    arms: tuple[Arm, ...]
    holdout: float = 0.1


@dataclass(frozen=True, slots=True)
class Play:
    id: str
    version: int
    name: str
    severity: str
    trigger: str
    params: Mapping[str, Any]
    audience: str
    template: str
    buttons: tuple[str, ...]
    cooldown: Duration
    sla: Sla
    expire_after: Duration = field(default_factory=lambda: Duration(seconds=14 * 86400))
    tiers: frozenset[str] = frozenset(TIERS)
    stages: frozenset[str] = frozenset(STAGES)
    steps: tuple[Step, ...] = ()
    inhibited_by: tuple[str, ...] = ()
    description: str = ""
    experiment: Experiment | None = None


@dataclass(frozen=True, slots=True)
class Catalog:
    plays: Mapping[str, Play]

    def __getitem__(self, play_id: str) -> Play:
        return self.plays[play_id]

    def __iter__(self) -> Any:
        return iter(self.plays.values())

    def __len__(self) -> int:
        return len(self.plays)


class _PlayBuilder:
    def __init__(self, reader: LineReader, raw: dict[str, Any], problems: list[Problem]) -> None:
        self.r, self.raw, self.problems = reader, raw, problems

    def fail(self, message: str, *path: str) -> None:
        self.problems.append(Problem(self.r.file, self.r.line(*path), message))

    def choice(self, value: Any, allowed: Iterable[str], *path: str) -> str:
        allowed = tuple(allowed)
        if value not in allowed:
            self.fail(f"{'.'.join(path)}: {value!r} is not one of {', '.join(allowed)}", *path)
        return str(value)

    def mapping(self, raw: dict[str, Any], key: str, what: str) -> dict[str, Any]:
        """The optional mapping under `key` ({} when absent or empty); anything else is a problem."""
        value = raw.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(f"{key}: {value!r} must be a mapping {what}", key)
            return {}
        return value

    def names(self, value: Any, allowed: tuple[str, ...], *path: str) -> list[str]:
        """A list whose items are each one of `allowed`; a problem per bad item (or for a non-list)."""
        if not isinstance(value, list):
            self.fail(f"{'.'.join(path)}: {value!r} must be a list of {', '.join(allowed)}", *path)
            return list(allowed)
        for i, item in enumerate(value):
            self.choice(item, allowed, *path, str(i))
        return [str(item) for item in value]

    def duration(self, value: Any, *path: str) -> Duration:
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(f"{'.'.join(path)}: {exc}", *path)
            return Duration()

    def build(self) -> Play | None:
        raw = self.raw
        for key, required in _TOP_KEYS.items():
            if required and key not in raw:
                self.fail(f"missing required key {key!r}")
        for key in raw:
            if key not in _TOP_KEYS:
                self.fail(f"unknown key {key!r}", key)
        if not isinstance(raw.get("version", 1), int):
            self.fail("version: must be an integer", "version")
        severity = self.choice(raw.get("severity", "warning"), SEVERITIES, "severity")
        audience = self.choice(raw.get("audience"), AUDIENCE_ROLES, "audience")
        trigger: dict[str, Any] = raw["trigger"] if isinstance(raw.get("trigger"), dict) else {}
        if "trigger" in raw and not isinstance(raw.get("trigger"), dict):
            self.fail("trigger: must be a mapping with a kind and its thresholds", "trigger")
        kind = self.choice(trigger.get("kind"), TRIGGER_PARAMS, "trigger", "kind")
        params = {k: v for k, v in trigger.items() if k != "kind"}
        self._check_params(kind, params)
        buttons = raw.get("buttons") or []
        for i, button in enumerate(buttons if isinstance(buttons, list) else []):
            self.choice(button, BUTTONS, "buttons", str(i))
        if not isinstance(buttons, list) or "claim" not in buttons:
            self.fail("buttons: must be a list that includes claim", "buttons")
        sla: dict[str, Any] = raw["sla"] if isinstance(raw.get("sla"), dict) else {}
        if "sla" in raw and not {"claim_within", "escalate_to"} <= set(sla):
            self.fail("sla: needs claim_within and escalate_to", "sla")
        segment = self.mapping(raw, "segment", "with tiers and/or stages")
        tiers = self.names(segment.get("tiers", list(TIERS)), TIERS, "segment", "tiers")
        stages = self.names(segment.get("stages", list(STAGES)), STAGES, "segment", "stages")
        steps = []
        for i, step in enumerate(raw.get("steps") or []):
            if not isinstance(step, dict) or "action" not in step:
                self.fail(f"steps.{i}: needs an action", "steps", str(i))
                continue
            after = self.duration(step.get("after", "0h"), "steps", str(i), "after")
            steps.append(Step(str(step["action"]), after, step.get("if")))
        suppression = self.mapping(raw, "suppression", "with inhibited_by")
        inhibited_by = suppression.get("inhibited_by") or []
        if not isinstance(inhibited_by, list) or not all(isinstance(p, str) for p in inhibited_by):
            self.fail(
                f"suppression.inhibited_by: {inhibited_by!r} must be a list of play ids",
                "suppression",
                "inhibited_by",
            )
            inhibited_by = []
        elif raw.get("id") in inhibited_by:
            at = str(inhibited_by.index(raw["id"]))
            self.fail(
                f"suppression.inhibited_by.{at}: a play cannot inhibit itself ({raw['id']!r})",
                "suppression",
                "inhibited_by",
                at,
            )
        if not isinstance(raw.get("template", ""), str) or not raw.get("template"):
            self.fail("template: must be a non-empty template id", "template")
        return Play(
            id=str(raw.get("id")),
            version=int(raw.get("version", 1)) if isinstance(raw.get("version", 1), int) else 1,
            name=str(raw.get("name", "")),
            description=str(raw.get("description", "")),
            severity=severity,
            trigger=kind,
            params=params,
            audience=audience,
            template=str(raw.get("template", "")),
            buttons=tuple(buttons) if isinstance(buttons, list) else (),
            cooldown=self.duration(raw.get("cooldown"), "cooldown"),
            sla=Sla(
                self.duration(sla.get("claim_within"), "sla", "claim_within"),
                self.choice(sla.get("escalate_to"), ESCALATION_TARGETS, "sla", "escalate_to"),
            ),
            expire_after=self.duration(raw.get("expire_after", "14d"), "expire_after"),
            tiers=frozenset(tiers),
            stages=frozenset(stages),
            steps=tuple(steps),
            inhibited_by=tuple(inhibited_by),
            experiment=self._experiment(raw.get("experiment")),
        )

    def _experiment(self, raw: Any) -> Experiment | None:
        if raw is None:
            return None
        if not isinstance(raw, dict) or not isinstance(raw.get("arms"), list):
            self.fail("experiment: needs a list of arms (and optionally a holdout)", "experiment")
            return None
        for key in raw.keys() - {"arms", "holdout"}:
            self.fail(f"experiment.{key}: unknown key", "experiment", key)
        holdout = raw.get("holdout", 0.1)
        if isinstance(holdout, bool) or not isinstance(holdout, int | float) or not 0 <= holdout < 1:
            self.fail(
                f"experiment.holdout: {holdout!r} must be a fraction from 0 up to 1", "experiment", "holdout"
            )
            holdout = 0.0
        arms: list[Arm] = []
        for i, arm in enumerate(raw["arms"]):
            where = ("experiment", "arms", str(i))
            if not isinstance(arm, dict) or not isinstance(arm.get("name"), str) or not arm["name"]:
                self.fail(f"experiment.arms.{i}: needs a name", *where)
                continue
            for key in arm.keys() - {"name", "weight", "delay"}:
                self.fail(f"experiment.arms.{i}.{key}: unknown key", *where, key)
            weight = arm.get("weight", 1)
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
                self.fail(
                    f"experiment.arms.{i}.weight: {weight!r} must be a positive number", *where, "weight"
                )
                weight = 1
            if arm["name"] == HOLDOUT_ARM or arm["name"] in (a.name for a in arms):
                self.fail(f"experiment.arms.{i}: the name {arm['name']!r} is taken", *where, "name")
            delay = self.duration(arm.get("delay", "0h"), *where, "delay")
            arms.append(Arm(arm["name"], float(weight), delay))
        if len(raw["arms"]) < 2:
            self.fail("experiment: needs at least two arms to compare", "experiment", "arms")
        return Experiment(tuple(arms), float(holdout))

    def _check_params(self, kind: str, params: dict[str, Any]) -> None:
        spec = TRIGGER_PARAMS.get(kind)
        if spec is None:
            return
        for name in spec.keys() - params.keys():
            self.fail(f"trigger: missing threshold {name!r} for kind {kind}", "trigger")
        for name, value in params.items():
            if name not in spec:
                self.fail(f"trigger.{name}: unknown threshold for kind {kind}", "trigger", name)
                continue
            typ, low, high = spec[name]
            if typ is list:
                ok = isinstance(value, list) and low <= len(value) <= high
            else:
                allowed = (int,) if typ is int else (int, float)
                ok = isinstance(value, allowed) and not isinstance(value, bool)
                ok = ok and low <= float(value) <= high
            if not ok:
                self.fail(f"trigger.{name}: {value!r} must be {_describe(typ, low, high)}", "trigger", name)
            elif typ is list:
                self._check_items(name, value)

    def _check_items(self, name: str, items: list[Any]) -> None:
        rule = LIST_ITEMS.get(name)
        for i, item in enumerate(items):
            if isinstance(rule, tuple):
                self.choice(item, rule, "trigger", name, str(i))
            elif rule == "positive_int" and (isinstance(item, bool) or not isinstance(item, int) or item < 1):
                self.fail(
                    f"trigger.{name}.{i}: {item!r} must be a positive whole number", "trigger", name, str(i)
                )


def _describe(typ: Any, low: float, high: float) -> str:
    if typ is list:
        return f"a list of {low:g} to {high:g} items"
    return f"a {'whole ' if typ is int else ''}number from {low:g} to {high:g}"


def catalog_dir() -> Path:
    return Path(str(resources.files("plays").joinpath("catalog")))


def load_catalog(directory: Path | None = None) -> Catalog:
    """Load every `*.yml` play in `directory` (default: the shipped seed catalog). Raise CatalogError
    listing every problem found, with file and line, after reading all files."""
    directory = directory or catalog_dir()
    problems: list[Problem] = []
    plays: dict[str, Play] = {}
    lines: dict[str, tuple[str, int]] = {}
    for path in sorted(directory.glob("*.yml")):
        reader = LineReader(str(path), path.read_text(encoding="utf-8"), problems)
        raw = reader.read()
        if raw is None and not any(p.file == str(path) for p in problems):
            problems.append(Problem(str(path), 1, "empty file"))
        if not isinstance(raw, dict):
            if raw is not None:
                problems.append(Problem(str(path), 1, "a play must be a mapping"))
            continue
        play = _PlayBuilder(reader, raw, problems).build()
        if play is None:
            continue
        if play.id in plays:
            first = lines[play.id]
            problems.append(
                Problem(str(path), reader.line("id"), f"duplicate play id {play.id!r} (first in {first[0]})")
            )
        plays[play.id] = play
        lines[play.id] = (str(path), reader.line("suppression", "inhibited_by"))
    for play in plays.values():
        for other in play.inhibited_by:
            if other not in plays:
                file, line = lines[play.id]
                problems.append(Problem(file, line, f"suppression.inhibited_by: unknown play {other!r}"))
    if not plays and not problems:
        problems.append(Problem(str(directory), 0, "no *.yml plays found"))
    if problems:
        raise CatalogError(problems)
    return Catalog(plays)
