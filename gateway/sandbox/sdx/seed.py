"""The demo seed shipped as package data."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def load_demo_data() -> dict[str, Any]:
    """A fresh copy of ``gateway/sandbox/data/demo.json`` (callers may change it)."""
    text = resources.files("gateway.sandbox").joinpath("data/demo.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
