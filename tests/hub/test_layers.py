"""The outbound flow runs one way: the apps import down the layers only (issue 10)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imports_of(app: str) -> dict[str, set[str]]:
    """{module file: every module it imports (module level and inside functions)}."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names |= {f"{node.module}.{alias.name}" for alias in node.names}
        found[str(path.relative_to(ROOT))] = names
    return found


def reaching(app: str, *targets: str) -> list[str]:
    return sorted(
        f"{module} -> {name}"
        for module, names in imports_of(app).items()
        for name in names
        if any(name == t or name.startswith(f"{t}.") for t in targets)
    )


def test_rules_imports_neither_hub_events_nor_delivery() -> None:
    assert reaching("rules", "hub.events", "delivery") == []


def test_delivery_imports_only_the_models_of_rules_outside_send_test() -> None:
    # "Send test now" plans a sample delivery through rules (delivery/probe.py) and adds its
    # button to rules' admin (delivery/admin.py): both calls down, not back up.
    allowed = {
        "delivery/probe.py -> rules.planning.plan_one",
        "delivery/probe.py -> rules.samples.sample_event",
        "delivery/admin.py -> rules.admin.WebhookRuleAdmin",
    }
    beyond_models = [
        line
        for line in reaching("delivery", "rules")
        if not line.split(" -> ")[1].startswith("rules.models.") and line not in allowed
    ]
    assert beyond_models == []


def test_nothing_below_the_entry_points_imports_hub_events() -> None:
    assert reaching("delivery", "hub.events") == []
    assert reaching("rules", "hub.events") == []
