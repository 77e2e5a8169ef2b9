"""The play catalog: the shipped seed plays load; a bad catalog reports every problem with file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from plays.catalog import PLAY_IDS, CatalogError, catalog_dir, load_catalog


def test_seed_catalog_has_the_seven_plays_with_audience_template_buttons_cooldown_sla() -> None:
    catalog = load_catalog()
    assert sorted(p.id for p in catalog) == sorted(PLAY_IDS)
    for play in catalog:
        assert play.audience and play.template and "claim" in play.buttons
        assert play.cooldown.seconds > 0 and play.sla.escalate_to
    assert catalog["usage_decline"].inhibited_by == ("renewal_risk",)
    assert str(catalog["nps_detractor"].sla.claim_within) == "1d"
    assert [str(s.after) for s in catalog["usage_decline"].steps] == ["0h", "3bd"]


def _copy_seed(tmp_path: Path) -> Path:
    for path in catalog_dir().glob("*.yml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def test_all_errors_reported_with_file_and_line(tmp_path: Path) -> None:
    _copy_seed(tmp_path)
    bad = (tmp_path / "ticket_spike.yml").read_text(encoding="utf-8")
    bad = bad.replace("min_tickets_7d: 3", "min_tickets_7d: three").replace(
        "audience: admin", "audience: ceo"
    )
    bad = bad.replace("cooldown: 7d", "cooldown: a week")
    (tmp_path / "ticket_spike.yml").write_text(bad + "colour: blue\n", encoding="utf-8")
    (tmp_path / "extra.yml").write_text("id: extra\nversion: 1\n", encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    found = {(Path(p.file).name, p.line, p.message.split(":")[0]) for p in info.value.problems}
    lines = bad.splitlines()
    assert ("ticket_spike.yml", _line(lines, "min_tickets_7d"), "trigger.min_tickets_7d") in found
    assert ("ticket_spike.yml", _line(lines, "audience:"), "audience") in found
    assert ("ticket_spike.yml", _line(lines, "cooldown:"), "cooldown") in found
    assert ("ticket_spike.yml", len(lines) + 1, "unknown key 'colour'") in found
    missing = [p for p in info.value.problems if p.file.endswith("extra.yml")]
    assert {p.message for p in missing} >= {"missing required key 'trigger'", "missing required key 'sla'"}
    assert "ticket_spike.yml:" in str(info.value)


def _line(lines: list[str], needle: str) -> int:
    return next(i for i, text in enumerate(lines, 1) if needle in text)


def test_yaml_syntax_error_and_unknown_inhibitor(tmp_path: Path) -> None:
    _copy_seed(tmp_path)
    text = (tmp_path / "usage_decline.yml").read_text(encoding="utf-8")
    (tmp_path / "usage_decline.yml").write_text(text.replace("[renewal_risk]", "[renewal_riks]"), "utf-8")
    (tmp_path / "broken.yml").write_text("id: broken\ntrigger: {kind: [\n", encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    messages = [str(p) for p in info.value.problems]
    assert any("broken.yml:" in m and "YAML syntax" in m for m in messages)
    assert any("usage_decline.yml:" in m and "unknown play 'renewal_riks'" in m for m in messages)


def test_duplicate_play_id(tmp_path: Path) -> None:
    _copy_seed(tmp_path)
    text = (tmp_path / "milestone.yml").read_text(encoding="utf-8")
    (tmp_path / "zz_copy.yml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=r"zz_copy.yml:1: duplicate play id 'milestone'"):
        load_catalog(tmp_path)


EXPERIMENT = """experiment:
  holdout: 0.2
  arms:
    - {name: immediate}
    - {name: delayed_3d, weight: 2, delay: 3bd}
"""


def test_a_timing_experiment_loads_with_its_arms_holdout_and_delays(tmp_path: Path) -> None:
    _copy_seed(tmp_path)
    path = tmp_path / "usage_decline.yml"
    path.write_text(path.read_text(encoding="utf-8") + EXPERIMENT, encoding="utf-8")
    experiment = load_catalog(tmp_path)["usage_decline"].experiment
    assert experiment is not None and experiment.holdout == 0.2
    assert [(a.name, a.weight, str(a.delay)) for a in experiment.arms] == [
        ("immediate", 1.0, "0h"),
        ("delayed_3d", 2.0, "3bd"),
    ]
    assert load_catalog()["usage_decline"].experiment is None  # the seed plays run no experiment


@pytest.mark.parametrize(
    ("block", "needle", "message"),
    [
        ("experiment: {holdout: 0.1}\n", "experiment:", "experiment: needs a list of arms"),
        ("experiment:\n  arms:\n    - {name: only}\n", "arms:", "experiment: needs at least two arms"),
        (EXPERIMENT.replace("0.2", "1.5"), "holdout:", "experiment.holdout: 1.5 must be a fraction"),
        (EXPERIMENT.replace("weight: 2", "weight: 0"), "delayed_3d", "experiment.arms.1.weight: 0 must"),
        (
            EXPERIMENT.replace("delayed_3d", "immediate"),
            "weight: 2",
            "experiment.arms.1: the name 'immediate'",
        ),
        (
            EXPERIMENT.replace("name: immediate", "name: holdout"),
            "{name: holdout}",
            "experiment.arms.0: the name",
        ),
        (EXPERIMENT.replace("3bd", "soon"), "delayed_3d", "experiment.arms.1.delay"),
        (EXPERIMENT.replace("holdout: 0.2", "holdout: 0.2\n  colour: blue"), "colour", "experiment.colour"),
    ],
)
def test_a_bad_experiment_is_reported_with_file_and_line(
    tmp_path: Path, block: str, needle: str, message: str
) -> None:
    _copy_seed(tmp_path)
    path = tmp_path / "usage_decline.yml"
    text = path.read_text(encoding="utf-8") + block
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    problems = [(p.line, p.message) for p in info.value.problems if p.file.endswith("usage_decline.yml")]
    line = _line(text.splitlines(), needle)
    assert any(at == line and words.startswith(message) for at, words in problems), problems


def _edit(path: Path, pattern: str, replacement: str) -> str:
    """Replace the one line of a seed play matching `pattern` (a regex); return the new text."""
    text = path.read_text(encoding="utf-8")
    text, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert count == 1, f"{pattern!r} not found in {path.name}"
    path.write_text(text, encoding="utf-8")
    return text


@pytest.mark.parametrize(
    ("file", "pattern", "replacement", "needle", "message"),
    [
        (
            "usage_decline.yml",
            r"^  inhibited_by: .*$",
            "  inhibited_by: [renewal_risk, usage_decline]",
            "inhibited_by:",
            "suppression.inhibited_by.1: a play cannot inhibit itself ('usage_decline')",
        ),
        (
            "renewal_risk.yml",
            r"^  risk_bands: .*$",
            "  risk_bands: [at-risk, critical]",
            "risk_bands:",
            "trigger.risk_bands.0: 'at-risk' is not one of healthy, watch, at_risk, critical",
        ),
        (
            "renewal_window.yml",
            r"^  windows: .*$",
            "  windows: [180, 120, 90d]",
            "windows:",
            "trigger.windows.2: '90d' must be a positive whole number",
        ),
        (
            "renewal_window.yml",
            r"^  windows: .*$",
            "  windows: [180, 0]",
            "windows:",
            "trigger.windows.1: 0 must be a positive whole number",
        ),
        (
            "milestone.yml",
            r"^  anniversary_years: .*$",
            "  anniversary_years: [1, 2, five]",
            "anniversary_years:",
            "trigger.anniversary_years.2: 'five' must be a positive whole number",
        ),
        (
            "milestone.yml",
            r"^segment:\n(  .*\n)+",
            "segment: high\n",
            "segment:",
            "segment: 'high' must be a mapping",
        ),
        (
            "usage_decline.yml",
            r"^suppression:\n(  .*\n?)+",
            "suppression: renewal_risk\n",
            "suppression:",
            "suppression: 'renewal_risk' must be a mapping",
        ),
        (
            "usage_decline.yml",
            r"^  inhibited_by: .*$",
            "  inhibited_by: renewal_risk",
            "inhibited_by:",
            "suppression.inhibited_by: 'renewal_risk' must be a list of play ids",
        ),
    ],
    ids=[
        "inhibits_itself",
        "unknown_risk_band",
        "window_not_a_number",
        "window_zero",
        "anniversary_not_a_number",
        "segment_not_a_mapping",
        "suppression_not_a_mapping",
        "inhibited_by_not_a_list",
    ],
)
def test_a_broken_play_is_refused_with_file_and_line_before_it_can_crash_a_check(
    tmp_path: Path, file: str, pattern: str, replacement: str, needle: str, message: str
) -> None:
    _copy_seed(tmp_path)
    text = _edit(tmp_path / file, pattern, replacement)
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    problems = [(p.line, p.message) for p in info.value.problems if p.file.endswith(file)]
    line = _line(text.splitlines(), needle)
    assert any(at == line and words.startswith(message) for at, words in problems), problems
