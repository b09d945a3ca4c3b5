"""Which SDX survey(s) a Twilio number serves.

From ``GATEWAY_NUMBERS`` when set (every channel), otherwise from SDX's
``/surveys``: ``inbound_number`` and ``outbound_number`` route calls (a
respondent may call back the number that called them), ``sms_number``
routes messages. Surveys change rarely, so the table is kept in memory and
re-read every ``GATEWAY_ROUTING_REFRESH`` seconds by a background task; a
failed refresh keeps the last good table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Literal

from gateway.background import cancel_requested
from gateway.logging import get_logger
from gateway.numbers import FALLBACK_REGION, InvalidNumber, to_e164
from gateway.sdx import SdxClient
from gateway.sdx.errors import SdxError
from gateway.sdx.models import Survey

log = get_logger(__name__)

Channel = Literal["voice", "sms"]
Table = dict[Channel, dict[str, tuple[int, ...]]]


def _add(table: Table, channel: Channel, number: str | None, survey_id: int) -> None:
    if not number or not number.strip():
        return
    try:
        e164 = to_e164(number, FALLBACK_REGION)
    except InvalidNumber:
        log.warning("survey_number_unreadable", survey_id=survey_id, channel=channel)
        return
    ids = table[channel].get(e164, ())
    if survey_id not in ids:
        table[channel][e164] = (*ids, survey_id)


def table_from_surveys(surveys: list[Survey]) -> Table:
    table: Table = {"voice": {}, "sms": {}}
    for survey in sorted(surveys, key=lambda s: s.id):
        _add(table, "voice", survey.inbound_number, survey.id)
        _add(table, "voice", survey.outbound_number, survey.id)
        _add(table, "sms", survey.sms_number, survey.id)
    return table


class NumberRouter:
    def __init__(
        self, sdx: SdxClient, static: Mapping[str, tuple[int, ...]] | None, refresh: float
    ) -> None:
        self._sdx = sdx
        self._refresh = refresh
        self._table: Table | None = None
        self._lock = asyncio.Lock()
        if static:
            self._table = {"voice": dict(static), "sms": dict(static)}
            self._static = True
        else:
            self._static = False

    async def surveys_for(self, number: str, channel: Channel) -> tuple[int, ...]:
        """Survey ids served by ``number`` on ``channel`` (empty: not ours).

        Raises SdxError only when no table was ever loaded and SDX fails now.
        """
        try:
            e164 = to_e164(number, FALLBACK_REGION)
        except InvalidNumber:
            return ()
        return (await self.table())[channel].get(e164, ())

    async def table(self) -> Table:
        if self._table is not None:
            return self._table
        async with self._lock:  # concurrent first requests load it once
            if self._table is None:
                await self._load()
        assert self._table is not None
        return self._table

    async def refresh(self) -> None:
        """Re-read SDX's surveys (no-op for static routing)."""
        if not self._static:
            async with self._lock:
                await self._load()

    async def _load(self) -> None:
        surveys = [survey async for survey in self._sdx.iter_surveys()]
        self._table = table_from_surveys(surveys)
        log.info(
            "routing_loaded",
            surveys=len(surveys),
            voice_numbers=len(self._table["voice"]),
            sms_numbers=len(self._table["sms"]),
        )

    async def run(self) -> None:
        """Background refresh loop; cancelled at shutdown."""
        if self._static:
            return
        while True:
            try:
                await self.refresh()
            except SdxError as exc:
                if cancel_requested():
                    raise asyncio.CancelledError from None  # shutdown, not a failure
                log.warning("routing_refresh_failed", error=type(exc).__name__)
            await asyncio.sleep(self._refresh)
