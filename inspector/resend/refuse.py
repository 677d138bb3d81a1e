"""Why a recorded request cannot be re-sent faithfully, in one line; and what is worth saying
before it is sent all the same (pure over the facts `original` reads from the store)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Previous:
    """A response that a request continues (`previous_response_id`), as the store knows it."""

    response_id: str
    recorded: bool  # some recorded exchange holds it
    deleted: bool  # a recorded DELETE of it succeeded: the upstream no longer has it
    unstored: bool  # it was made with `store: false`: the upstream never kept it


@dataclass(frozen=True, slots=True)
class Facts:
    label: str  # how the user named the exchange
    redacted_request: str | None  # which part of the request was stored redacted
    turn_of_session: str | None  # a response id named a turn of this WebSocket session
    capture: str  # the short id of its capture
    previous: tuple[Previous, ...]  # what it continues that is not re-sent before it
    recorded_key: str | None  # the fingerprint of the key it was sent with
    key_available: bool  # a key is in the environment now
    env: str  # the variable the key is read from


def refusal(facts: Facts) -> str | None:
    """The one-line reason not to send, or None."""
    label = facts.label
    if facts.turn_of_session is not None:
        session = facts.turn_of_session
        return (
            f"{label} is a turn of the WebSocket session {session}, which depends on the turns "
            f"before it on that connection: re-send the session (respdeck resend {session}) "
            f"or its capture (respdeck resend --capture {facts.capture})"
        )
    if facts.redacted_request is not None:
        return (
            f"{label}: {facts.redacted_request} was redacted when recorded: it holds "
            "fingerprints, not what was sent"
        )
    if facts.recorded_key is not None and not facts.key_available:
        return (
            f"{label} was sent with a key ({facts.recorded_key}) and ${facts.env} is not set: "
            "set it, or name another variable with --api-key-env"
        )
    for previous in facts.previous:
        if previous.deleted:
            return (
                f"{label} continues {previous.response_id}, whose response was deleted (a "
                "recorded DELETE): the upstream no longer has it"
            )
        if previous.unstored:
            return (
                f"{label} continues {previous.response_id}, made with store: false: the "
                "upstream never kept it"
            )
    return None


def notes(facts: Facts) -> list[str]:
    """What to say before sending that does not stop it."""
    return [
        f"{facts.label} continues {p.response_id}, which is not recorded here: the upstream "
        "must still hold it"
        for p in facts.previous
        if not p.recorded
    ]
