"""An SMTP server on loopback (aiosmtpd) that keeps what it receives; optionally STARTTLS
(RFC 3207) with a certificate made for 127.0.0.1, and AUTH (RFC 4954) with one account.
Leaving the ``with`` stops it."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["LocalSmtp", "Received"]


@dataclass(frozen=True, slots=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class LocalSmtp:
    """``with LocalSmtp() as smtp``: ``smtp.port``, ``smtp.received``; with ``tls_folder``
    it requires STARTTLS and ``client_tls`` trusts its certificate; with ``account`` it
    requires that login."""

    def __init__(
        self, tls_folder: Path | None = None, account: tuple[str, str] | None = None
    ) -> None:
        self.received: list[Received] = []
        self.port = _free_port()
        self.client_tls: ssl.SSLContext | None = None
        owner = self

        class Handler:
            # aiosmtpd's hook name (handle_<SMTP verb>).
            async def handle_DATA(  # noqa: N802
                self, server: Any, session: Session, envelope: Envelope
            ) -> str:
                content = envelope.original_content or b""
                owner.received.append(
                    Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), content)
                )
                return "250 Message accepted for delivery"

        options: dict[str, Any] = {}
        if tls_folder is not None:
            cert, key = _certificate(tls_folder)
            server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_tls.load_cert_chain(cert, key)
            self.client_tls = ssl.create_default_context(cafile=str(cert))
            options.update(tls_context=server_tls, require_starttls=True)
        if account is not None:

            def authenticate(
                server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
            ) -> AuthResult:
                ok = (
                    isinstance(data, LoginPassword)
                    and (
                        data.login.decode(),
                        data.password.decode(),
                    )
                    == account
                )
                # handled=False: aiosmtpd answers a failure with 535 itself (RFC 4954 §6).
                return AuthResult(success=ok, handled=False)

            options.update(authenticator=authenticate, auth_required=True)
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **options)

    def __enter__(self) -> LocalSmtp:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._controller.stop()
