"""Typed walks into parsed MIME messages for the tests (``get_payload`` is a union)."""

from __future__ import annotations

from email.message import Message

__all__ = ["body_text", "inner", "part"]


def part(message: Message, index: int) -> Message:
    """The ``index``-th part of a multipart message."""
    parts = message.get_payload()
    assert isinstance(parts, list)
    found = parts[index]
    assert isinstance(found, Message)
    return found


def inner(message: Message) -> Message:
    """The message (or header block) a ``message/*`` part holds."""
    return part(message, 0)


def body_text(message: Message) -> str:
    """The text of a single-part message."""
    payload = message.get_payload()
    assert isinstance(payload, str)
    return payload
