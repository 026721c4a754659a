"""Frozen records of the TAXII 2.1 resources a client reads, parsed from their JSON bodies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ApiRoot",
    "Collection",
    "Discovery",
    "MalformedResource",
    "ManifestRecord",
    "Status",
    "StatusDetail",
    "parse_api_root",
    "parse_collection",
    "parse_discovery",
    "parse_manifest_record",
    "parse_status",
]


class MalformedResource(ValueError):
    """A response body that lacks a property TAXII 2.1 requires, or has one of the wrong type."""


def _str(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise MalformedResource(f"{name!r} must be a string")
    return value


def _opt_str(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise MalformedResource(f"{name!r} must be a string")
    return value


def _int(body: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedResource(f"{name!r} must be an integer")
    return value


def _bool(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name)
    if not isinstance(value, bool):
        raise MalformedResource(f"{name!r} must be a boolean")
    return value


def _strs(body: Mapping[str, Any], name: str) -> tuple[str, ...]:
    # §2 list: an absent optional list and an empty one mean the same to a reader.
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MalformedResource(f"{name!r} must be a list of strings")
    return tuple(value)


@dataclass(frozen=True, slots=True)
class Discovery:
    """The §4.1.1 ``discovery`` resource."""

    title: str
    description: str | None
    contact: str | None
    default: str | None
    api_roots: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ApiRoot:
    """The §4.2.1 ``api-root`` resource."""

    title: str
    description: str | None
    versions: tuple[str, ...]
    max_content_length: int


@dataclass(frozen=True, slots=True)
class Collection:
    """The §5.2.1 ``collection`` resource."""

    id: str
    title: str
    description: str | None
    alias: str | None
    can_read: bool
    can_write: bool
    media_types: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ManifestRecord:
    """One §5.3.1 ``manifest-record``: the id, date_added, version and media type of a version."""

    id: str
    date_added: str
    version: str
    media_type: str | None


@dataclass(frozen=True, slots=True)
class StatusDetail:
    """One §4.3.1 ``status-details`` entry: an object version and an optional message."""

    id: str
    version: str
    message: str | None


@dataclass(frozen=True, slots=True)
class Status:
    """The §4.3.1 ``status`` resource of one add-objects request."""

    id: str
    status: str
    request_timestamp: str | None
    total_count: int
    success_count: int
    failure_count: int
    pending_count: int
    successes: tuple[StatusDetail, ...]
    failures: tuple[StatusDetail, ...]
    pendings: tuple[StatusDetail, ...]

    @property
    def is_complete(self) -> bool:
        """Whether the server has finished with every object (§4.3.1 ``status`` = complete)."""
        return self.status == "complete"


def parse_discovery(body: Mapping[str, Any]) -> Discovery:
    """A ``Discovery`` from a §4.1.1 body; ``MalformedResource`` if it breaks the spec."""
    return Discovery(
        title=_str(body, "title"),
        description=_opt_str(body, "description"),
        contact=_opt_str(body, "contact"),
        default=_opt_str(body, "default"),
        api_roots=_strs(body, "api_roots"),
    )


def parse_api_root(body: Mapping[str, Any]) -> ApiRoot:
    """An ``ApiRoot`` from a §4.2.1 body; ``MalformedResource`` if it breaks the spec."""
    return ApiRoot(
        title=_str(body, "title"),
        description=_opt_str(body, "description"),
        versions=_strs(body, "versions"),
        max_content_length=_int(body, "max_content_length"),
    )


def parse_collection(body: Mapping[str, Any]) -> Collection:
    """A ``Collection`` from a §5.2.1 body; ``MalformedResource`` if it breaks the spec."""
    return Collection(
        id=_str(body, "id"),
        title=_str(body, "title"),
        description=_opt_str(body, "description"),
        alias=_opt_str(body, "alias"),
        can_read=_bool(body, "can_read"),
        can_write=_bool(body, "can_write"),
        media_types=_strs(body, "media_types"),
    )


def parse_manifest_record(body: Mapping[str, Any]) -> ManifestRecord:
    """A ``ManifestRecord`` from a §5.3.1 ``manifest-record``."""
    return ManifestRecord(
        id=_str(body, "id"),
        date_added=_str(body, "date_added"),
        version=_str(body, "version"),
        media_type=_opt_str(body, "media_type"),
    )


def _details(body: Mapping[str, Any], name: str) -> tuple[StatusDetail, ...]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise MalformedResource(f"{name!r} must be a list of status-details")
    return tuple(
        StatusDetail(
            id=_str(item, "id"), version=_str(item, "version"), message=_opt_str(item, "message")
        )
        for item in value
    )


def parse_status(body: Mapping[str, Any]) -> Status:
    """A ``Status`` from a §4.3.1 body; ``MalformedResource`` if it breaks the spec."""
    return Status(
        id=_str(body, "id"),
        status=_str(body, "status"),
        request_timestamp=_opt_str(body, "request_timestamp"),
        total_count=_int(body, "total_count"),
        success_count=_int(body, "success_count", 0),
        failure_count=_int(body, "failure_count", 0),
        pending_count=_int(body, "pending_count", 0),
        successes=_details(body, "successes"),
        failures=_details(body, "failures"),
        pendings=_details(body, "pendings"),
    )
