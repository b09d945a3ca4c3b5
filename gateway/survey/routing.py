"""Which SDX survey(s) a Twilio number serves.

From ``GATEWAY_NUMBERS`` when set (every channel), otherwise from SDX's
``/surveys``: ``inbound_number`` and ``outbound_number`` route calls (a
respondent may call back the number that called them), ``sms_number``
routes messages. Surveys change rarely, so the table is kept in memory and
re-read every ``GATEWAY_ROUTING_REFRESH`` seconds by a background task; a
failed refresh keeps the last good table.

The table also gives the gateway its default region (the region SDX's
numbers written without a country code are read in): ``GATEWAY_DEFAULT_REGION``,
else that of the first routed number, in the table's order (GATEWAY_NUMBERS
as listed; from SDX, surveys by id, each one's inbound then outbound number,
then the SMS numbers), else US.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Literal

from gateway.background import cancel_requested
from gateway.logging import get_logger
from gateway.numbers import FALLBACK_REGION, InvalidNumber, Region, default_region, to_e164
from gateway.sdx import SdxClient
from gateway.sdx.errors import SdxError
from gateway.sdx.models import Survey

log = get_logger(__name__)

Channel = Literal["voice", "sms"]
Table = dict[Channel, dict[str, tuple[int, ...]]]


def _add(table: Table, channel: Channel, number: str | None, survey_id: int, region: str) -> None:
    if not number or not number.strip():
        return
    try:
        e164 = to_e164(number, region)
    except InvalidNumber:
        log.warning("survey_number_unreadable", survey_id=survey_id, channel=channel)
        return
    ids = table[channel].get(e164, ())
    if survey_id not in ids:
        table[channel][e164] = (*ids, survey_id)


def table_from_surveys(surveys: list[Survey], region: str) -> Table:
    """The routing of SDX's surveys; a number without a country code is read in ``region``."""
    table: Table = {"voice": {}, "sms": {}}
    for survey in sorted(surveys, key=lambda s: s.id):
        _add(table, "voice", survey.inbound_number, survey.id, region)
        _add(table, "voice", survey.outbound_number, survey.id, region)
        _add(table, "sms", survey.sms_number, survey.id, region)
    return table


def region_for(configured: str | None, table: Table) -> Region:
    """The default region: ``configured``, else the first routed number's, else US."""
    return default_region(configured, [*table["voice"], *table["sms"]])


class NumberRouter:
    def __init__(
        self,
        sdx: SdxClient,
        static: Mapping[str, tuple[int, ...]] | None,
        refresh: float,
        *,
        region: str | None,
    ) -> None:
        """``region``: GATEWAY_DEFAULT_REGION (None: derived from the routed numbers)."""
        self._sdx = sdx
        self._refresh = refresh
        self._configured = region
        # Our own numbers (SDX survey numbers) cannot lend a region to
        # themselves: written without a country code, they are read in the
        # configured region or the fallback.
        self._own_region = region or FALLBACK_REGION
        self._table: Table | None = None
        # Known now when configured, else derived whenever the table is set.
        self._region = default_region(region, ()) if region else None
        self._lock = asyncio.Lock()
        if static:
            self._set_table({"voice": dict(static), "sms": dict(static)})
            self._static = True
        else:
            self._static = False

    def _set_table(self, table: Table) -> None:
        self._table = table
        self._region = region_for(self._configured, table)

    async def surveys_for(self, number: str, channel: Channel) -> tuple[int, ...]:
        """Survey ids served by ``number`` on ``channel`` (empty: not ours).

        Raises SdxError only when no table was ever loaded and SDX fails now.
        """
        try:
            # Twilio's number (E.164): the region does not matter in reading it.
            e164 = to_e164(number, self._own_region)
        except InvalidNumber:
            return ()
        return (await self.table())[channel].get(e164, ())

    async def region(self) -> Region:
        """The default region, and where it came from.

        With GATEWAY_DEFAULT_REGION set it never asks SDX; otherwise it may
        load the table, and raises SdxError as ``table`` does.
        """
        if self._region is None:  # to be derived from SDX's numbers, not read yet
            await self.table()
        assert self._region is not None  # set with the table
        return self._region

    async def region_code(self) -> str:
        """The default region's code (``AU``): what the readers of SDX's numbers need."""
        return (await self.region()).code

    async def table(self) -> Table:
        if self._table is not None:
            return self._table
        async with self._lock:  # concurrent first requests load it once
            if self._table is None:
                await self._load()
        assert self._table is not None
        return self._table

    async def survey_ids(self) -> list[int]:
        """Every survey a number routes to, in id order."""
        table = await self.table()
        ids = {sid for numbers in table.values() for sids in numbers.values() for sid in sids}
        return sorted(ids)

    async def refresh(self) -> None:
        """Re-read SDX's surveys (no-op for static routing)."""
        if not self._static:
            async with self._lock:
                await self._load()

    async def _load(self) -> None:
        surveys = [survey async for survey in self._sdx.iter_surveys()]
        table = table_from_surveys(surveys, self._own_region)
        self._set_table(table)
        assert self._region is not None
        log.info(
            "routing_loaded",
            surveys=len(surveys),
            voice_numbers=len(table["voice"]),
            sms_numbers=len(table["sms"]),
            region=self._region.code,
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
