"""A unit of dispatch work: dial one interaction, or text its first message."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Literal

Channel = Literal["voice", "sms"]


class InvalidJob(ValueError):
    """Fields that do not make a Job.

    The message names the field and the fault, never the value: a value may
    be a phone number, and the message is logged and kept in the dead-letter
    stream's ``reason``.
    """


@dataclass(frozen=True)
class Job:
    interaction_id: int
    survey_id: int
    channel: Channel
    to: str  # respondent, E.164
    # Our number (E.164), or for a text the Messaging Service SID it goes
    # through (Twilio then picks the From from the service's pool).
    from_: str
    # Identity of this attempt: the interaction's scheduled_at (epoch
    # seconds), which a reschedule changes; or "retry-N" for a resend.
    attempt: str

    @property
    def key(self) -> str:
        return f"{self.interaction_id}:{self.attempt}"

    def to_fields(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Job:
        """The job ``to_fields`` wrote; raises InvalidJob for anything else.

        Strict on purpose: an entry that is not exactly a job (a field missing,
        an id that is not a number, an unknown channel) is set aside by the
        store instead of being dialled as a guess.
        """
        missing = [name for name in JOB_FIELDS if name not in fields]
        if missing:
            raise InvalidJob(f"missing field {', '.join(missing)}")
        channel = fields["channel"]
        if channel not in ("voice", "sms"):
            raise InvalidJob("unknown channel")
        return cls(
            interaction_id=_integer(fields, "interaction_id"),
            survey_id=_integer(fields, "survey_id"),
            channel="sms" if channel == "sms" else "voice",
            to=fields["to"],
            from_=fields["from_"],
            attempt=fields["attempt"],
        )


# The field names in to_fields' order: also the order of a retry's member
# (``|``-joined values), which the retry script turns back into fields.
JOB_FIELDS: tuple[str, ...] = tuple(field.name for field in dataclasses.fields(Job))


def _integer(fields: dict[str, str], name: str) -> int:
    # ASCII digits only, as str(int) wrote them: int() alone would also take
    # "+61400000001" (a number in the wrong field) for an id.
    value = fields[name]
    if not (value.isascii() and value.isdigit()):
        raise InvalidJob(f"{name} is not an integer")
    return int(value)
