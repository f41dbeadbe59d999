"""Who is writing (child or parent), kept per conversation: the shared guess in common.speaker."""

from __future__ import annotations

from common.speaker import (
    CHILD,
    PARENT,
    PARENT_PAYLOADS,
    SPEAKERS,
    UNKNOWN,
    address_of,
    as_audience,
    from_payload,
    guess,
    over,
)

__all__ = [
    "CHILD",
    "PARENT",
    "PARENT_PAYLOADS",
    "SPEAKERS",
    "UNKNOWN",
    "address_of",
    "as_audience",
    "from_payload",
    "guess",
    "over",
]
