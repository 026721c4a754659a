"""The one exception tree of Entente; only ``server`` and ``cli`` map it to codes.

::

    EntenteError
     ├── InvalidInput                 bad data from outside (a client, a file, a feed)
     │    ├── InvalidObject           one STIX object breaks STIX 2.1 (carries field + reason)
     │    │    ├── InvalidPattern     a ``pattern`` that the STIX patterning grammar rejects
     │    │    └── SignatureError     a signature that is malformed, unsupported or false
     │    ├── VersioningError         a version that breaks the STIX 2.1 §3.6 versioning rules
     │    ├── InvalidAgreement        a sharing agreement document that is wrong (with where)
     │    ├── MalformedDocument       a file or stream that is not the JSON/CSV it claims to be
     │    └── UnsupportedFormat       no reader knows this input
     ├── ObjectNotFound               no such object (or version) in the store
     ├── ConfigurationError           settings that cannot work (bad URL, unwritable home)
     ├── StorageError                 the store failed (I/O, schema); never the client's fault
     ├── AuthenticationFailed         an unknown, malformed, revoked or expired credential
     ├── DeliveryFailed               an outbound exchange (RDAP look-up, SMTP relay) failed
     ├── PermissionDenied             an authenticated caller whose role may not do this
     │    ├── NotApproved             an outbound action without the approvals it needs
     │    └── UnderLegalHold          a deletion refused: a case's legal hold preserves it
     └── TaxiiError                   a TAXII server answered with an error or broke TAXII 2.1
          └── TaxiiUnavailable        still 429/503 or unreachable after every retry
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationFailed",
    "ConfigurationError",
    "DeliveryFailed",
    "EntenteError",
    "InvalidAgreement",
    "InvalidInput",
    "InvalidObject",
    "InvalidPattern",
    "MalformedDocument",
    "NotApproved",
    "ObjectNotFound",
    "PermissionDenied",
    "SignatureError",
    "StorageError",
    "TaxiiError",
    "TaxiiUnavailable",
    "UnderLegalHold",
    "UnsupportedFormat",
    "VersioningError",
]


class EntenteError(Exception):
    """Root of every error Entente raises on purpose."""


class InvalidInput(EntenteError):
    """Data from outside is wrong; the caller can fix it."""


class _LocatedError(InvalidInput):
    """Bad input whose reason is tied to one field of one object."""

    def __init__(self, reason: str, field: str = "", object_id: str | None = None) -> None:
        self.reason = reason
        self.field = field
        self.object_id = object_id
        where = f"{field}: " if field else ""
        super().__init__(f"{where}{reason}")


class InvalidObject(_LocatedError):
    """A STIX object breaks the specification.

    ``field`` is a JSON-path-like location inside the object (``"created"``,
    ``"external_references[2].url"``) or ``""`` for the object as a whole.
    """


class InvalidPattern(InvalidObject):
    """A STIX pattern that the STIX 2.1 patterning grammar (§9) rejects."""


class SignatureError(InvalidObject):
    """A signature (Entente signed provenance, a partner card) that is malformed or fails.

    Raised for a missing or malformed signature, an unsupported algorithm or canonicalization,
    and a signature that does not verify (RFC 8032 §5.1.7) under the signer's public key.
    """


class VersioningError(_LocatedError):
    """A new version that breaks the versioning rules of STIX 2.1 §3.6."""


class InvalidAgreement(_LocatedError):
    """An agreement document that is wrong; ``field`` is where (``parties[1]``, ``redact.*[0]``).

    ``object_id`` is the agreement's ``id`` when the document got far enough to have one.
    """


class MalformedDocument(InvalidInput):
    """A document that cannot be read at all (broken JSON, not a CSV, ...)."""


class UnsupportedFormat(InvalidInput):
    """No reader recognises this input."""


class ObjectNotFound(EntenteError):
    """No object or version with that identity is stored (or visible)."""


class ConfigurationError(EntenteError):
    """Settings that cannot work."""


class StorageError(EntenteError):
    """The store failed for reasons that are not the caller's fault."""


class AuthenticationFailed(EntenteError):
    """A presented credential (an API token) is unknown, malformed, revoked or expired."""


class DeliveryFailed(EntenteError):
    """An exchange with a server outside the coalition (an RDAP registry, the SMTP relay)
    failed: unreachable, an error status, or a refusal. Nothing was delivered."""


class TaxiiError(EntenteError):
    """A remote TAXII exchange failed: an HTTP error status or a response that breaks TAXII 2.1.

    ``status`` is the HTTP status (``None`` when no response arrived) and ``body`` the TAXII
    §3.6.1 ``error`` message when the server sent one as JSON (``None`` for HTML and the like).
    """

    def __init__(
        self, message: str, *, status: int | None, url: str, body: dict[str, Any] | None = None
    ) -> None:
        self.status = status
        self.url = url
        self.body = body
        super().__init__(message)

    @property
    def title(self) -> str | None:
        """The ``title`` of the TAXII error message, when there is one."""
        title = self.body.get("title") if self.body is not None else None
        return title if isinstance(title, str) else None


class TaxiiUnavailable(TaxiiError):
    """The server kept answering 429/503, or could not be reached, through every retry."""


class PermissionDenied(EntenteError):
    """An authenticated caller whose role or collection access does not allow the action."""


class NotApproved(PermissionDenied):
    """An outbound action that is not (or no longer) approved: still pending, rejected, or
    about to send other bytes than those approved (issue 15 item 1)."""


class UnderLegalHold(PermissionDenied):
    """A deletion refused because a case under legal hold preserves the object (issue 15)."""
