"""SDX keeping interaction data otherwise than the sandbox does (it overwrites a
key, or in its php flavour appends and lists the newest first).

SDX documents ``POST /interaction_data`` only as *adding* a pair: a real SDX
may append a record per write, list a key's oldest record, or lose a write.
These turn the sandbox of one test into such an SDX.
"""

from __future__ import annotations

import json

import pytest

from gateway.sandbox.sdx import SandboxState
from gateway.sandbox.sdx.faults import Fault
from gateway.sandbox.sdx.models import InteractionDatum

# The answer to a write that was ignored: a record, as SDX answers a write.
_IGNORED = json.dumps({"id": 999_999, "custom_key": "ignored", "custom_value": ""})


def ignore_data_writes(sandbox: SandboxState) -> Fault:
    """Every data write answered 201 with a record, and none kept."""
    return sandbox.faults.add(
        Fault(method="POST", path="/interaction_data", status=201, body=_IGNORED)
    )


def list_oldest_data(
    sandbox: SandboxState, monkeypatch: pytest.MonkeyPatch
) -> list[InteractionDatum]:
    """Every write appended, and each key's oldest record the one listed: to a
    reader, only the first write of a key shows. Returns the later records,
    which no listing shows, as they are appended."""
    store = sandbox.store
    first_write = store.add_datum  # a key's first record, in either flavour
    hidden: list[InteractionDatum] = []

    def append(interaction_id: int, key: str, value: str) -> InteractionDatum:
        shown = [d for d in store.data_for(interaction_id) if d.custom_key == key]
        if not shown:
            return first_write(interaction_id, key, value)
        # The appended record SDX answers with; no listing ever shows it.
        record = shown[0].model_copy(update={"id": 900_000 + len(hidden), "custom_value": value})
        hidden.append(record)
        return record

    # Both ways a flavour writes: plain overwrites (set_datum), php appends (add_datum).
    monkeypatch.setattr(store, "set_datum", append)
    monkeypatch.setattr(store, "add_datum", append)
    return hidden
