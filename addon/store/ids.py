"""Ids that many writers can make without asking each other (no sequence, no max(id) + 1).

A capture is a random UUID; an exchange is a UUID derived from its capture and its `seq`, the
capture-local counter, so storing the same journal record again (after a crash) gives the same
id, and ids are spread by the hash: a short prefix tells them apart, as with git's commits.
Ids are `str` in Python and UUID in the database.
"""

from __future__ import annotations

import uuid

# Fixed for good: the ids of databases made before ids were UUIDs are derived from it.
NAMESPACE = uuid.UUID("5d0c6f2e-1b8a-4f43-9a57-72e1c0d2b6a4")


def new_capture_id() -> str:
    """A capture: random, so two writers never pick the same one."""
    return str(uuid.uuid4())


def exchange_id(capture_id: str, seq: int) -> str:
    """The exchange numbered `seq` within its capture (deterministic: idempotent re-ingest)."""
    return str(uuid.uuid5(uuid.UUID(capture_id), str(seq)))


def in_flight_id(capture_id: str, flow_id: str) -> str:
    """A stream shown while in flight: named by the proxy's flow id, which its snapshots and
    its final journal record share, so the final rows replace it under the same id."""
    return str(uuid.uuid5(uuid.UUID(capture_id), f"flow:{flow_id}"))


def legacy_capture_id(old: int) -> str:
    """The UUID a BIGINT capture id of an older database becomes."""
    return str(uuid.uuid5(NAMESPACE, f"capture:{old}"))


def legacy_exchange_id(old: int) -> str:
    """The UUID of an older database's row whose exchange is gone (never the case unless the
    file was edited by hand: every row is kept all the same)."""
    return str(uuid.uuid5(NAMESPACE, f"exchange:{old}"))


def as_uuid(value: object) -> str:
    """An id from the database or a caller, checked and normalised (it ends up in SQL text)."""
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def id_bytes(value: str) -> bytes:
    """An id as an Arrow batch holds it: the 16 bytes of its UUID."""
    return uuid.UUID(value).bytes
