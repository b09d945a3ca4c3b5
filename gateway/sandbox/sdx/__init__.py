"""The SDX sandbox: a local, in-memory Survey Dynamix API for tests and demos.

``create_sdx_sandbox()`` builds the aiohttp app; a client's base URL is
``http://host:port/api``. ``app[SANDBOX_STATE]`` gives the data, the faults
in force and the requests seen; ``/_sandbox/...`` does the same over HTTP.

Where SDX documents nothing, the sandbox chooses (clients must not rely on
these against real SDX):

- ``POST /interactions`` answers 200 with the interaction; ``DELETE`` of an
  interaction or of interaction data answers 200 ``{"id": n, "deleted": true}``.
- Errors are ``text/plain`` lines; 401 carries ``WWW-Authenticate``.
- ``GET /interactions`` for an unknown survey is an empty list (204);
  ``/surveys/{id}/...`` for an unknown survey is 404.
- Without ``_order`` interactions come by status (not started, in progress,
  ended; then by id), questions in asking order, everything else by id.
- Phone numbers must be E.164; ``Now + X Units`` also takes the "+" as a
  space (an unencoded curl ``-d`` sends it that way).
- Prompts and sound files always have the same length (``""`` for none);
  an invalid answer re-asks with "Sorry, that is not a valid response.";
  a second ``abandon_survey`` repeats the closing and changes nothing.
- ``completed_at`` is ``-0001-11-30 00:00:00`` until the survey ends;
  ``recording_url`` is null.

Flavours: the above is the "plain" flavour, the default. The "php" flavour
(``create_sdx_sandbox(flavour="php")``, ``gateway sandbox --flavour php``,
or ``PUT /_sandbox/flavour`` with ``{"flavour": "php"}``) answers as a
PHP/Laravel SDX plausibly does, so the gateway is tested against both:

- every number and flag in a JSON answer is a string (``"id": "1001"``,
  ``"survey_completed": "0"``, ``"deleted": "1"``); null stays null;
- a survey turn: an empty prompt is null; sound files are a list when every
  prompt has one, a list of nulls when none has, else an object keyed by
  position (``{"0": "a.mp3", "2": "c.mp3"}``, PHP's array after unset());
  ``current_question`` is ``[]`` once the survey is over and carries no
  ``survey_id``;
- ``POST /interaction_data`` always adds a record, even for a key the
  interaction has; interaction data (every listing, and ``_include_data``)
  comes newest first unless ``_order`` is given;
- boolean parameters take ``1`` and ``0`` only: anything else ("true",
  "false", "yes") is a 422 with Laravel's body ``{"message": "The started
  field must be true or false.", "errors": {"started": [...]}}``;
- ``_limit`` above ``PHP_MAX_LIMIT`` (100) is cut to it without a word;
- ``start_survey`` on an ended survey is a 409 ("Survey already completed");
- ``submit_response`` before the survey started is a 302 to its
  ``start_survey`` (the reference says it "redirects"); nothing is recorded.

Only the wire differs: the store holds the same Python objects in both.

For benches (issue 14's scale bench): ``POST /_sandbox/interactions/bulk``
seeds a backlog of up to millions of interactions in seconds; the store
lists a survey's interactions at the cost of the page (see ``indexes.py``);
``PUT /_sandbox/latency`` (or ``create_sdx_sandbox(latency=...)``) makes
every answer as slow as a real API's; ``GET /_sandbox/requests/counts``
counts every request by endpoint, while ``gateway sandbox`` lists only the
latest 10,000 or so under ``/_sandbox/requests``.
"""

from gateway.sandbox.sdx.app import create_sdx_sandbox
from gateway.sandbox.sdx.errors import BadRequest, Conflict, Gone, NotFound, SandboxError
from gateway.sandbox.sdx.faults import Fault, FaultSet, RecordedRequest, RequestLog
from gateway.sandbox.sdx.latency import Latency
from gateway.sandbox.sdx.seed import load_demo_data
from gateway.sandbox.sdx.state import FLAVOURS, SANDBOX_STATE, Flavour, SandboxState
from gateway.sandbox.sdx.store import SdxStore

__all__ = [
    "FLAVOURS",
    "SANDBOX_STATE",
    "BadRequest",
    "Conflict",
    "Fault",
    "FaultSet",
    "Flavour",
    "Gone",
    "Latency",
    "NotFound",
    "RecordedRequest",
    "RequestLog",
    "SandboxError",
    "SandboxState",
    "SdxStore",
    "create_sdx_sandbox",
    "load_demo_data",
]
