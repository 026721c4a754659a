"""The TAXII client's TLS context: built once per trust store, not once per client."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import certifi
import httpx
import pytest

from entente.taxii import client as taxii_client
from entente.taxii.client import TaxiiClient, default_tls


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Each TLS context httpx is asked to build, with a fresh cache around the test."""
    made: list[Any] = []
    real = httpx.create_ssl_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    taxii_client._tls_for.cache_clear()
    yield made
    taxii_client._tls_for.cache_clear()


def test_clients_made_one_after_another_share_one_context(builds: list[Any]) -> None:
    # A node syncing each partner every second made a client per partner per run, and each
    # parsed the whole CA bundle again (about 20 ms of CPU).
    for _ in range(3):
        with TaxiiClient("https://taxii.example/"):
            pass
    assert len(builds) == 1


def test_the_shared_context_verifies_certificates_and_host_names(builds: list[Any]) -> None:
    context = default_tls()
    assert context is default_tls()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.cert_store_stats()["x509_ca"] > 0


def test_a_trust_store_named_in_the_environment_gets_its_own_context(
    builds: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    default = default_tls()
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    chosen = default_tls()
    assert chosen is not default
    assert chosen is default_tls()
    assert len(builds) == 2
