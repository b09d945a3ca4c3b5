"""The fuzz's harnesses, and its counts after the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.security.fuzz import STATS, Harness, running_harness


@pytest.fixture
def harness(request: pytest.FixtureRequest, redis_url: str) -> Iterator[Harness]:
    with running_harness(request.node.name, redis_url) as running:
        yield running


@pytest.fixture
def creating_harness(request: pytest.FixtureRequest, redis_url: str) -> Iterator[Harness]:
    """Unknown respondents get an interaction: each example can start a survey of its own."""
    # A shorter deadline: a hang-up mid-survey waits a tenth of it for a last answer.
    overrides = {"gateway_inbound_create": True, "gateway_webhook_deadline": 1.0}
    with running_harness(request.node.name, redis_url, **overrides) as running:
        yield running


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if STATS.tests:
        for line in STATS.report():
            terminalreporter.write_line(line)
