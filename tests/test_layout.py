"""The layout's rules, read from the code: import arrows point down, one composition root.

docs/architecture.md draws the layers; this test keeps them true. Every
``import`` is read, at module level or inside a function, so a lazy import
cannot slip past. When a rule fails, the message names the file, the line
and the import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = ROOT / "gateway"
MAX_LINES = 350

# The foundation: used everywhere, importing (almost) nothing.
FOUNDATION = {"numbers", "config", "logging", "metrics", "background", "languages"}
# Which parts each part may import (a part is a top-level module or package of
# gateway/). Anything not listed is forbidden; "gateway" itself (its version)
# is always allowed.
ALLOWED: dict[str, set[str]] = {
    "numbers": set(),
    "metrics": set(),
    "config": {"numbers"},
    "logging": {"numbers"},
    "background": {"logging"},
    "languages": {"config", "logging", "metrics"},
    "sdx": {"logging", "metrics"},
    "twilio": {"config", "logging"},
    "state": {"sdx"},
    "survey": FOUNDATION | {"sdx", "state"},
    "voice": FOUNDATION | {"sdx", "twilio", "state", "survey"},
    "sms": FOUNDATION | {"sdx", "twilio", "state", "survey"},
    "dispatch": FOUNDATION | {"sdx", "twilio", "state", "survey", "sms"},
    "web": FOUNDATION | {"sdx", "twilio"},
    "run": FOUNDATION | {"sdx", "twilio", "state", "survey", "voice", "sms", "dispatch", "web"},
    "sandbox": FOUNDATION
    | {"sdx", "twilio", "state", "survey", "voice", "sms", "dispatch", "web", "run"},
    "cli": FOUNDATION | {"run", "sandbox"},
    "__main__": {"cli"},
}
# The survey logic of each channel decides; only its routes speak HTTP.
CHANNELS = ("voice", "sms")
# Built by the composition root only (gateway/run/): constructing them anywhere
# else would be a second place that wires the gateway together.
COMPONENTS = {
    "RedisSessionStore",
    "MemorySessionStore",
    "RedisConversationStore",
    "MemoryConversationStore",
    "RedisIndexStore",
    "MemoryIndexStore",
    "RedisDispatchStore",
    "MemoryDispatchStore",
    "RedisAttemptStore",
    "MemoryAttemptStore",
    "InteractionIndex",
    "NumberRouter",
    "PendingInteractions",
    "CallOutcomes",
    "VoiceSurvey",
    "SmsSurvey",
    "SmsExpiry",
    "SmsDelivery",
    "Dispatcher",
    "Dialer",
    "DuePoller",
    "SdxClient",
}


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str  # the absolute dotted name imported from

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} imports {self.module}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def part_of(module: str) -> str:
    """``gateway.voice.survey`` -> ``voice``; ``gateway.cli`` -> ``cli``."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "gateway"


def sources() -> list[Path]:
    return sorted(GATEWAY.rglob("*.py"))


def imports_of(path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            yield Import(path, node.lineno, name)
            # ``from gateway.twilio import urls`` imports the module gateway.twilio.urls.
            for alias in node.names:
                yield Import(path, node.lineno, f"{name}.{alias.name}")


def forbidden_imports(paths: list[Path]) -> list[str]:
    wrong = []
    for path in paths:
        part = part_of(module_name(path))
        for found in imports_of(path):
            if not found.module.startswith("gateway.") and found.module != "gateway":
                continue
            target = part_of(found.module)
            if target in (part, "gateway") or target not in ALLOWED:
                continue  # its own part, the package's version, or a name in __init__
            if target not in ALLOWED[part]:
                wrong.append(f"{found} ({part} may not import {target})")
    return wrong


def test_every_part_has_a_rule() -> None:
    parts = {part_of(module_name(path)) for path in sources()} - {"gateway"}
    assert parts == set(ALLOWED)


def test_imports_point_down() -> None:
    assert forbidden_imports(sources()) == []


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    """The checker itself: a store importing a channel is reported."""
    bad = GATEWAY / "state" / "_layout_probe.py"
    bad.write_text("from gateway.voice.survey import VoiceSurvey\n", encoding="utf-8")
    try:
        found = forbidden_imports([bad])
    finally:
        bad.unlink()
    assert found == [
        "gateway/state/_layout_probe.py:1 imports gateway.voice.survey "
        "(state may not import voice)",
        "gateway/state/_layout_probe.py:1 imports gateway.voice.survey.VoiceSurvey "
        "(state may not import voice)",
    ]


@pytest.mark.parametrize("channel", CHANNELS)
def test_channel_logic_does_not_speak_http(channel: str) -> None:
    speaking = [
        str(found)
        for path in sorted((GATEWAY / channel).glob("*.py"))
        if path.name != "routes.py"
        for found in imports_of(path)
        if found.module == "aiohttp" or found.module.startswith("aiohttp.")
    ]
    assert speaking == []


def test_only_the_command_line_and_the_sandbox_reach_the_sandbox() -> None:
    reaching = [
        str(found)
        for path in sources()
        if part_of(module_name(path)) not in {"sandbox", "cli"}
        for found in imports_of(path)
        if part_of(found.module) == "sandbox" and found.module.startswith("gateway.")
    ]
    assert reaching == []


def test_components_are_built_in_the_composition_root_only() -> None:
    built_elsewhere = []
    for path in sources():
        part = part_of(module_name(path))
        if part == "run":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in COMPONENTS
            ):
                built_elsewhere.append(
                    f"{path.relative_to(ROOT)}:{node.lineno} builds {node.func.id}"
                )
    assert built_elsewhere == []


# Requests that change SDX: sent only through gateway.sdx.ambiguous, which
# asks SDX where things stand after an ambiguous outcome.
CHANGES_SDX = {"submit_response", "abandon_survey", "set_interaction_data", "create_interaction"}


def test_changes_to_sdx_go_through_the_exactly_once_rule() -> None:
    direct = []
    for path in sources():
        name = module_name(path)
        if part_of(name) == "sandbox" or name.startswith("gateway.sdx"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CHANGES_SDX
                and not (
                    isinstance(node.func.value, ast.Name) and node.func.value.id == "ambiguous"
                )
            ):
                direct.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {node.func.attr}")
    assert direct == []


def test_no_module_is_longer_than_the_limit() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in sources()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
