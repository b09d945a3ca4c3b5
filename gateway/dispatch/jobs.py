"""A unit of dispatch work: dial one interaction, or text its first message."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Channel = Literal["voice", "sms"]


@dataclass(frozen=True)
class Job:
    interaction_id: int
    survey_id: int
    channel: Channel
    to: str  # respondent, E.164
    from_: str  # our number, E.164
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
        channel: Channel = "sms" if fields["channel"] == "sms" else "voice"
        return cls(
            interaction_id=int(fields["interaction_id"]),
            survey_id=int(fields["survey_id"]),
            channel=channel,
            to=fields["to"],
            from_=fields["from_"],
            attempt=fields["attempt"],
        )
