"""The end-to-end packages' flavour fixture: every test there runs on both flavours."""

from __future__ import annotations

import pytest

from gateway.sandbox.sdx import FLAVOURS, Flavour


@pytest.fixture(params=FLAVOURS)
def sdx_flavour(request: pytest.FixtureRequest) -> Flavour:
    """Overrides tests/conftest.py's plain-only one: the SDX sandbox as documented,
    then as a PHP/Laravel service plausibly answers (test ids end in [plain] / [php])."""
    flavour: Flavour = request.param
    return flavour
